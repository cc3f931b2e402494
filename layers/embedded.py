"""The embedded PostgreSQL + PostGIS cluster: initdb and pg_ctl into a folder of our own.

The cluster listens on a unix socket inside its data folder and on a loopback port chosen at
creation below the kernel's ephemeral range (moved to another if it is taken when the server
starts). It has two roles: ``zongzhi_owner`` (superuser, owns the schema, runs migrations) and
``zongzhi_app`` (what the application logs in as; it owns nothing, so row-level security
applies to it). Passwords are generated at creation and kept in ``secrets.json`` (mode 0600).

As root, the server runs as the ``postgres`` OS user (PostgreSQL refuses to run as root); the
cluster's folders are then owned by that user and their parents made traversable.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PG_VERSION = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
DATABASE = "zongzhi"
OWNER_ROLE = "zongzhi_owner"
APP_ROLE = "zongzhi_app"
RUN_AS_ROOT_USER = "postgres"


class EmbeddedError(RuntimeError):
    """The embedded cluster cannot be created, started or reached."""


@dataclass(frozen=True)
class ClusterInfo:
    """Connection facts of an initialised cluster.

    Attributes
    ----------
    root : pathlib.Path
        The cluster folder (holds ``data/`` and ``secrets.json``).
    port : int
        Loopback TCP port.
    owner_password, app_password : str
        Generated passwords of the two roles.
    """

    root: Path
    port: int
    owner_password: str
    app_password: str

    def url(self, role: str = APP_ROLE, driver: str = "postgresql") -> str:
        """Return a connection URL for ``role`` over loopback TCP.

        Parameters
        ----------
        role : str
            ``zongzhi_app`` (default) or ``zongzhi_owner``.
        driver : str
            URL scheme, ``postgresql`` for psql or ``postgresql+psycopg`` for SQLAlchemy.

        Returns
        -------
        str
            The URL.
        """
        password = self.owner_password if role == OWNER_ROLE else self.app_password
        return f"{driver}://{role}:{quote(password, safe='')}@127.0.0.1:{self.port}/{DATABASE}"


class EmbeddedCluster:
    """A PostgreSQL cluster living in ``root`` (``root/data`` + ``root/secrets.json``).

    Parameters
    ----------
    root : pathlib.Path
        Folder of the cluster; created on :meth:`init`.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.secrets_file = root / "secrets.json"
        self.log_file = root / "server.log"

    # --- state ------------------------------------------------------------------------------
    @property
    def initialised(self) -> bool:
        """Whether ``initdb`` has run and the secrets exist."""
        return (self.data / "PG_VERSION").exists() and self.secrets_file.exists()

    def info(self) -> ClusterInfo:
        """Return the cluster's connection facts.

        Returns
        -------
        ClusterInfo
            Port and passwords.

        Raises
        ------
        EmbeddedError
            If the cluster has not been initialised.
        """
        if not self.initialised:
            raise EmbeddedError(f"{self.root} 下还没有数据库：请先运行 zongzhi db start")
        raw = json.loads(self.secrets_file.read_text())
        return ClusterInfo(self.root, int(raw["port"]), raw["owner"], raw["app"])

    def running(self) -> bool:
        """Whether the server of this cluster is running (``pg_ctl status``)."""
        if not self.initialised:
            return False
        return self._pg("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    # --- lifecycle --------------------------------------------------------------------------
    def init(self) -> ClusterInfo:
        """Create the cluster if it does not exist yet (idempotent).

        Returns
        -------
        ClusterInfo
            Connection facts.
        """
        if self.initialised:
            return self.info()
        _require_binaries()
        if self.data.exists():  # a half-made cluster from an interrupted init
            shutil.rmtree(self.data)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        info = ClusterInfo(self.root, _free_port(), _password(), _password())
        pwfile = self.root / ".pwfile"
        pwfile.write_text(info.owner_password + "\n")
        os.chmod(pwfile, 0o600)
        self._hand_over(self.root)
        try:
            self._pg(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                OWNER_ROLE,
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with open(self.data / "postgresql.auto.conf", "a", encoding="utf-8") as conf:
            conf.write(
                f"port = {info.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.data}'\n"
                "max_connections = 200\n"
                "shared_buffers = '256MB'\n"
                "work_mem = '32MB'\n"
                "fsync = on\n"
            )
        self._hand_over(self.data)
        self.secrets_file.write_text(
            json.dumps({"port": info.port, "owner": info.owner_password, "app": info.app_password})
        )
        os.chmod(self.secrets_file, 0o600)
        return info

    def start(self, wait_seconds: float = 60.0) -> ClusterInfo:
        """Initialise if needed, start the server if it is not running, create the database.

        Running it twice is harmless.

        Parameters
        ----------
        wait_seconds : float
            How long to wait for the server to accept connections.

        Returns
        -------
        ClusterInfo
            Connection facts.
        """
        info = self.init()
        if not self.running():
            if not _port_free(info.port):  # taken while the server was down: move
                info = self._move_to(_free_port())
            self._pg(
                "pg_ctl",
                "start",
                "-D",
                str(self.data),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(int(wait_seconds)),
            )
        self._wait_ready(info, wait_seconds)
        self._ensure_database(info)
        return info

    def stop(self) -> bool:
        """Stop the server (fast shutdown).

        Returns
        -------
        bool
            ``True`` if a running server was stopped.
        """
        if not self.running():
            return False
        self._pg("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")
        return True

    def destroy(self) -> None:
        """Stop the server and delete the cluster folder."""
        if self.initialised:
            self._pg("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    # --- helpers ----------------------------------------------------------------------------
    def _move_to(self, port: int) -> ClusterInfo:
        """Make the stopped server listen on ``port`` from its next start; return the new facts."""
        conf = self.data / "postgresql.auto.conf"
        text = conf.read_text(encoding="utf-8")
        conf.write_text(re.sub(r"(?m)^port = \d+$", f"port = {port}", text), encoding="utf-8")
        raw = json.loads(self.secrets_file.read_text())
        self.secrets_file.write_text(json.dumps({**raw, "port": port}))
        return self.info()

    def _ensure_database(self, info: ClusterInfo) -> None:
        import psycopg

        admin = info.url(OWNER_ROLE).rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if (
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
                is None
            ):
                conn.execute(f"CREATE DATABASE {DATABASE}")
            if (
                conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone()
                is None
            ):
                conn.execute(
                    f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD "
                    + _literal(info.app_password)
                )
        with psycopg.connect(info.url(OWNER_ROLE), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def _wait_ready(self, info: ClusterInfo, wait_seconds: float) -> None:
        import psycopg

        deadline = time.monotonic() + wait_seconds
        admin = info.url(OWNER_ROLE).rsplit("/", 1)[0] + "/postgres"
        while True:
            try:
                psycopg.connect(admin, connect_timeout=2).close()
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise EmbeddedError(f"数据库服务没有接受连接：{exc}") from exc
                time.sleep(0.2)

    def _pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(PG_BIN / tool), *args]
        if os.geteuid() == 0:
            # a parent folder tightened since (chmod 700 on a home) would lock the server out
            _make_traversable(self.root)
            cmd = ["runuser", "-u", RUN_AS_ROOT_USER, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/", check=False)
        if check and proc.returncode != 0:
            failed = f"{tool} 执行失败（退出码 {proc.returncode}）"
            raise EmbeddedError(f"{failed}：{proc.stderr.strip()}")
        return proc

    def _hand_over(self, path: Path) -> None:
        """As root, give ``path`` to the server's OS user and make its parents traversable."""
        if os.geteuid() != 0:
            return
        user = pwd.getpwnam(RUN_AS_ROOT_USER)
        for dirpath, _dirs, files in os.walk(path):
            os.chown(dirpath, user.pw_uid, user.pw_gid)
            for name in files:
                os.chown(os.path.join(dirpath, name), user.pw_uid, user.pw_gid)
        _make_traversable(path)


def _make_traversable(path: Path) -> None:
    """Let every user pass through the folders above ``path`` (``o+x``), as root.

    The server runs as its own OS user; the cluster's folder may lie under a home that only
    root may enter.
    """
    for parent in path.resolve().parents:
        if not parent.exists():
            continue
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


def _require_binaries() -> None:
    if not (PG_BIN / "initdb").exists():
        raise EmbeddedError(
            f"没有安装 PostgreSQL {PG_VERSION}（缺少 {PG_BIN}/initdb）：请运行 "
            f"apt-get install postgresql-{PG_VERSION} postgresql-{PG_VERSION}-postgis-3，"
            "或 make demo（自动安装）"
        )
    if not Path(f"/usr/share/postgresql/{PG_VERSION}/extension/postgis.control").exists():
        raise EmbeddedError(
            f"没有安装 PostGIS：请运行 apt-get install postgresql-{PG_VERSION}-postgis-3"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS_ROOT_USER)
        except KeyError as exc:
            raise EmbeddedError(
                f"以 root 运行时，数据库服务须由系统用户 {RUN_AS_ROOT_USER} 运行，但没有这个用户"
            ) from exc


EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")
"""The kernel's range of ports for the local end of outgoing connections."""


def _free_port() -> int:
    """Return a free loopback port below the kernel's ephemeral range.

    A port from that range (what binding port 0 gives) may be taken between initdb and the
    server's start, or before a later restart, by the local end of any outgoing connection,
    such as a client of another cluster; the server would then fail to start.
    """
    try:
        low = int(EPHEMERAL_PORTS.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    first = max(1024, low - 10000)
    for _ in range(100):
        port = first + secrets.randbelow(low - first)
        if _port_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    """Whether the server could listen on the loopback ``port``.

    As PostgreSQL binds (``SO_REUSEADDR``): the closed connections of a stopped server, in
    ``TIME_WAIT``, do not make it busy; a listener, or a client's end of a connection, does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _password() -> str:
    return secrets.token_urlsafe(24)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
