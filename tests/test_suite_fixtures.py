"""The suite's shared fixtures stay shared: test modules do not import them.

tests/conftest.py registers the fixture modules as plugins. A test module that imports one of
their fixtures defines a second fixture of that name, and a session-scoped one then lives
once per importing module until the process ends: 55 modules importing ``api_client`` held
55 apps' connection pools open, and a test process ran out of its cluster's connections.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests import conftest

TESTS = Path(__file__).resolve().parent


def _fixtures(module: str) -> set[str]:
    """Return the names of the fixtures a module of the suite defines."""
    path = TESTS.parent.joinpath(*module.split(".")).with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(target) == "pytest.fixture":
                    names.add(node.name)
    return names


def test_no_test_module_imports_a_fixture_of_the_suites_plugins() -> None:
    plugins = {module: _fixtures(module) for module in conftest.pytest_plugins}
    assert plugins["tests.api_fixtures"] >= {"api_client", "api_settings", "api_world"}
    imported = []
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module in plugins:
                imported += [
                    f"{path.name}: {alias.name}"
                    for alias in node.names
                    if alias.name in plugins[node.module]
                ]
    assert imported == [], "imported fixtures (delete these names from the imports):\n" + (
        "\n".join(imported)
    )
