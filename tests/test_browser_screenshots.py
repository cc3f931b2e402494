"""The browser tests' pictures: a failed test leaves one, the steps' only when asked for."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import ARTIFACTS

ROOT = Path(__file__).resolve().parents[1]
INNER = """
def test_zz_inner_step_passes(page):
    page.goto("data:text/html,<h1>一</h1>")
    shot = page.screenshot_step("first")
    assert shot.name == "first.png"
    assert not shot.exists()


def test_zz_inner_step_fails(page):
    page.goto("data:text/html,<h1>二</h1>")
    page.screenshot_step("first")
    assert page.locator("h1").inner_text() == "三"
"""


@pytest.mark.browser
def test_a_failed_browser_test_leaves_its_page_and_steps_are_pictured_only_when_asked(
    tmp_path: Path,
) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.browser"]\n')
    (tmp_path / "test_inner.py").write_text(INNER)
    folders = [ARTIFACTS / "test_zz_inner_step_passes", ARTIFACTS / "test_zz_inner_step_fails"]
    # nor the outer run's options (a --junitxml of its own would be overwritten by this run's)
    env = {
        k: v for k, v in os.environ.items() if k not in {"ZONGZHI_SCREENSHOTS", "PYTEST_ADDOPTS"}
    }
    env["PYTHONPATH"] = str(ROOT)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
            + ["--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
        assert not folders[0].exists()  # a passing test: no picture
        failed = folders[1] / "failed.png"
        assert failed.stat().st_size > 1_000  # the page as the failure left it
        assert sorted(p.name for p in folders[1].iterdir()) == ["failed.png"]  # no step
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
