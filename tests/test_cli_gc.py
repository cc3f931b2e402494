"""An import freezes its libraries out of the garbage collector in the command line's own process.

The console runs each upload as ``python -m layers.cli import …`` and users run ``zongzhi
import …``: both go through :func:`layers.cli.main`, which claims the process, and the import
command loads its libraries inside :func:`layers.cli_gc.frozen_imports`. A test worker invoking
the same app through ``CliRunner`` must freeze nothing: it would keep what the worker holds out
of collection for the rest of its life. The command here stops at its first check (an unknown
kind, exit 2), after its libraries are imported and before any database is needed.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from api.import_runner import zongzhi_command
from layers.cli import app

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import atexit, gc\n"
    "atexit.register(lambda: print('frozen', gc.get_freeze_count(), gc.isenabled()))\n"
)
"""Prepended to a child's code: says at exit how many objects are frozen, whether gc is on."""


def _unknown_kind(tmp_path: Path) -> list[str]:
    rows = tmp_path / "rows.csv"
    rows.write_text("编号\n1\n", encoding="utf-8")
    return ["import", "nosuchkind", str(rows)]


def _frozen_at_exit(code: str) -> tuple[int, bool, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE + code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]  # the unknown kind, after the imports
    said, count, enabled = done.stdout.strip().splitlines()[-1].split()
    assert said == "frozen"
    return int(count), enabled == "True", done.stdout + done.stderr


def test_the_console_s_import_child_freezes_its_libraries(tmp_path: Path) -> None:
    command = zongzhi_command(*_unknown_kind(tmp_path))
    assert command[1:3] == ["-m", "layers.cli"]
    count, enabled, said = _frozen_at_exit(  # what ``python -m`` does, with the probe first
        "import runpy, sys\n"
        f"sys.argv = ['-m', *{command[3:]!r}]\n"
        "runpy.run_module('layers.cli', run_name='__main__', alter_sys=True)\n"
    )
    assert "未知的导入类型" in said
    assert count > 100_000  # pandas, SQLAlchemy, pyproj … and the app
    assert enabled  # the collector is on again for the import's own objects


def test_the_zongzhi_script_freezes_its_libraries(tmp_path: Path) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert scripts["project"]["scripts"]["zongzhi"] == "layers.cli:main"
    count, enabled, _ = _frozen_at_exit(  # the script pip writes for ``layers.cli:main``
        "import sys\n"
        f"sys.argv = ['zongzhi', *{_unknown_kind(tmp_path)!r}]\n"
        "from layers.cli import main\n"
        "sys.exit(main())\n"
    )
    assert count > 100_000
    assert enabled


def test_the_app_run_in_process_freezes_nothing(tmp_path: Path) -> None:
    before = gc.get_freeze_count()
    done = CliRunner().invoke(app, _unknown_kind(tmp_path))
    assert done.exit_code == 2, done.output
    assert "未知的导入类型" in done.output
    assert gc.get_freeze_count() == before == 0
    assert gc.isenabled()


def test_the_collector_is_on_again_after_an_import_fails() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc\n"
            "from layers.cli_gc import claim_process, frozen_imports\n"
            "claim_process()\n"
            "try:\n"
            "    with frozen_imports():\n"
            "        print('during', gc.isenabled())\n"
            "        import layers.no_such_module\n"
            "except ModuleNotFoundError:\n"
            "    print('after', gc.isenabled(), gc.get_freeze_count() > 0)\n",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    assert done.stdout.splitlines() == ["during False", "after True True"]
