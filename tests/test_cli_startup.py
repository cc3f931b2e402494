"""``zongzhi --help`` starts at once: the command line loads no heavy library before a command runs.

Every command group is plugged into the root app (``zongzhi.commands`` entry points), so each
invocation loads every CLI module: they import the libraries their commands need (pandas,
scipy, geopandas, FastAPI …) inside the commands, never at module level. The help that clerks
and admins read is Simplified Chinese, and shown whole.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from importers.kinds import KINDS
from importers.loading import DEFAULT_TOLERANCE_M
from importers.official import ALL
from layers.cli import app
from layers.model import Role

ZONGZHI = str(Path(sys.executable).with_name("zongzhi"))
HEAVY = frozenset({"scipy", "numba", "geopandas", "pandas", "pyogrio", "fastapi", "shapely"})
"""Libraries a ``--help`` must not load (seconds and hundreds of megabytes between them)."""
CJK = re.compile(r"[\u4e00-\u9fff]")
FRAMEWORK = frozenset({"help", "install_completion", "show_completion"})
"""Options typer adds to every app, with typer's own help."""


def imported(*args: str) -> set[str]:
    """Return the top-level packages ``zongzhi ARGS`` imports (``python -X importtime``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", ZONGZHI, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.parametrize(
    "args", [["--help"], ["import", "--help"], ["db", "--help"], ["demo", "--help"]]
)
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    loaded = imported(*args)
    assert "typer" in loaded  # the measure itself works
    assert sorted(loaded & HEAVY) == []


def test_the_db_commands_load_no_plugin(tmp_path: Path) -> None:
    """``db`` is the root's own: its commands run without the entry-point scan and the plugins."""
    env = {**os.environ, "ZONGZHI_HOME": str(tmp_path / "home")}
    env.pop("ZONGZHI_DATABASE_URL", None)
    plugins = ("layers.users_cli", "importers.cli", "api.cli", "importers.demo.cli")
    loaded: dict[str, str] = {}
    for args in (["db", "stop"], ["db", "--help"], ["--help"]):
        probe = (
            "import contextlib, io, runpy, sys\n"
            f"sys.argv = [{ZONGZHI!r}, *{args!r}]\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out, "
            "contextlib.suppress(SystemExit):\n"
            f"    runpy.run_path({ZONGZHI!r}, run_name='__main__')\n"
            f"print(len(out.getvalue()), [m for m in {plugins!r} if m in sys.modules])"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        shown, modules = done.stdout.strip().split(" ", 1)
        assert int(shown) > 10, args  # the command ran and said something
        loaded[" ".join(args)] = modules
    assert loaded["--help"] == repr(list(plugins))  # the measure itself works
    assert loaded["db stop"] == loaded["db --help"] == "[]"


def test_a_plugin_run_as_python_m_layers_cli_finds_the_root_without_a_second_copy() -> None:
    """``python -m layers.cli demo`` (the module as ``__main__``) asks it for ``serve``.

    ``zongzhi demo`` asked :mod:`layers.cli` whether ``serve`` was there; run as
    ``python -m layers.cli``, that import was a second copy of the module, which loaded every
    plugin again onto a root of its own. The demo's command is replaced by a probe (the load
    itself takes minutes).
    """
    probe = (
        "import runpy, sys\n"
        "import importers.demo.cli as plugin\n"
        "def demo(ctx: plugin.typer.Context) -> None:\n"
        "    print(plugin.serve_offered(ctx), 'layers.cli' in sys.modules)\n"
        "plugin.demo = demo\n"
        "sys.argv = ['layers.cli', 'demo']\n"
        "runpy.run_module('layers.cli', run_name='__main__', alter_sys=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "False"]


def _unspaced(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Return every command under ``command`` (groups included) with its path of names."""
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():  # typer's own click
        found += _commands(sub, (*path, name))
    return found


def test_help_of_commands_and_options_is_chinese() -> None:
    english = [
        f"zongzhi {' '.join(path)} {what}".rstrip()
        for path, command in _commands(typer.main.get_command(app))
        for what, help_text in [
            ("", command.help),
            *((param.name or "", getattr(param, "help", "")) for param in command.params),
        ]
        if what not in FRAMEWORK and not CJK.search(help_text or "")
    ]
    assert english == []


def test_help_lists_what_the_commands_take() -> None:
    commands = dict(_commands(typer.main.get_command(app)))
    runner = CliRunner()
    shown = _unspaced(runner.invoke(app, ["import", "--help"]).output)
    for name, kind in KINDS.items():
        assert f"{name}{kind.label}" in shown
    tolerance = next(p for p in commands["import",].params if p.name == "tolerance")
    assert tolerance.default == DEFAULT_TOLERANCE_M
    shown = _unspaced(runner.invoke(app, ["template", "--help"]).output)
    assert all(f"{name}{kind.label}" in shown for name, kind in KINDS.items())
    shown = _unspaced(runner.invoke(app, ["divisions", "--help"]).output)
    assert f"{ALL}表示全国" in shown
    shown = _unspaced(runner.invoke(app, ["user", "add", "--help"]).output)
    assert all(f"{code}{label}" in shown for code, label in Role.labels().items())


def test_db_url_help_says_the_app_role_sees_no_rows() -> None:
    shown = _unspaced(CliRunner().invoke(app, ["db", "url", "--help"]).output)
    assert "行级安全" in shown and "0行" in shown and "--owner" in shown
    listed = _unspaced(CliRunner().invoke(app, ["db", "--help"]).output)
    assert "看不到数据，请加--owner" in listed  # said where the db commands are listed too


@pytest.mark.parametrize("columns", ["80", "120"])
def test_help_shows_every_text_whole(columns: str) -> None:
    # rich's tables cut a line of Chinese with "…" and lost the rest; click's formatter folds it
    root = typer.main.get_command(app)
    lost = []
    for path, command in _commands(root):
        shown = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": columns}).output
        texts = [command.help]  # typer's own options are shown in Chinese (test_cli_help_chinese)
        texts += [
            getattr(p, "help", None)
            for p in command.params
            if p.name not in FRAMEWORK and not getattr(p, "hidden", False)  # --summary-json
        ]
        texts += [sub.help.split("\n\n")[0] for sub in getattr(command, "commands", {}).values()]
        lost += [
            f"zongzhi {' '.join(path)} --help: {text[:20]}"
            for text in texts
            if text and _unspaced(text) not in _unspaced(shown)
        ]
    assert lost == []
