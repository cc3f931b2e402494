"""`zongzhi db start|migrate|status|url|stop` with no configuration but a home folder."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from layers.migrate import alembic_config
from tests.conftest import SuiteDatabase

ZONGZHI = str(Path(sys.executable).with_name("zongzhi"))


def _run(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZONGZHI_")}
    env["ZONGZHI_HOME"] = str(home)
    done = subprocess.run(
        [ZONGZHI, *args], env=env, capture_output=True, text=True, check=False, timeout=180
    )
    assert not check or done.returncode == 0, f"zongzhi {' '.join(args)}: {done.stderr}"
    return done


def _psql(url: str, query: str) -> str:
    done = subprocess.run(
        [shutil.which("psql") or "psql", url, "-tAc", query],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_embedded_database_lifecycle(tmp_path: Path) -> None:
    home = tmp_path / "zz"
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    try:
        first = _run(home, "db", "start")
        assert f"已建立表结构（版本 {head}）" in first.stdout
        assert f"数据库已启动：{home / 'pg'}" in first.stdout
        again = _run(home, "db", "start")  # harmless the second time
        assert f"表结构已是版本 {head}，无需升级" in again.stdout
        _run(home, "db", "migrate")
        status = _run(home, "db", "status").stdout
        assert "运行中" in status and "是" in status and f"{head}" in status
        url = _run(home, "db", "url").stdout.strip()
        assert url.startswith("postgresql://zongzhi_app:")
        assert _psql(url, "select postgis_version()").startswith("3.")
        assert _run(home, "db", "stop").stdout.strip() == "数据库已停止"
        stopped = _run(home, "db", "status", check=False)
        assert stopped.returncode == 3 and "否" in stopped.stdout
        assert "数据库没有运行" in _run(home, "db", "url").stderr
        migrated = _run(home, "db", "migrate")  # a stopped cluster is started, not a traceback
        assert f"表结构已是版本 {head}" in migrated.stdout
        _run(home, "db", "stop")
        # a folder above it tightened while it was down (chmod 700): it still starts
        tmp_path.chmod(0o700)
        _run(home, "db", "start")
        assert tmp_path.stat().st_mode & 0o777 == (0o701 if os.geteuid() == 0 else 0o700)
        # the connections of psql and of the commands above closed: they do not make it move
        assert _run(home, "db", "url").stdout.strip() == url
        _run(home, "db", "stop")

        port = json.loads((home / "pg" / "secrets.json").read_text())["port"]
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
        assert port < low  # never one the kernel hands out to outgoing connections
        # Its port taken while it was down (by a client's end of a connection, say): it moves.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
            _run(home, "db", "start")
            moved = _run(home, "db", "url").stdout.strip()
        assert f":{port}/" not in moved
        assert _psql(moved, "select 1").strip() == "1"
    finally:
        _run(home, "db", "stop", check=False)


def test_external_server_starts_nothing(tmp_path: Path, database: SuiteDatabase) -> None:
    env_url = database.urls.owner.replace("postgresql+psycopg://", "postgresql://")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZONGZHI_")}
    env.update(ZONGZHI_HOME=str(tmp_path / "unused"), ZONGZHI_DATABASE_URL=env_url)
    out = subprocess.run(
        [ZONGZHI, "db", "start"], env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert "无需启动" in out
    assert not (tmp_path / "unused" / "pg").exists()
