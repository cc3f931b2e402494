"""``zongzhi --help`` starts at once: the command line loads no heavy library before a command runs.

Every command group is plugged into the root app (``zongzhi.commands`` entry points), so each
invocation loads every CLI module: they import the libraries their commands need (pandas,
scipy, geopandas, FastAPI …) inside the commands, never at module level. The help that clerks
and admins read is Simplified Chinese, and shown whole.
"""

from __future__ import annotations

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
