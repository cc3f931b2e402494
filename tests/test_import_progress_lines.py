"""An import run where nobody watches a bar (the console's job) says each step as a line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from importers.progress import LONG_STEP_ROWS, StepLines, planned_steps
from tests.conftest import SuiteDatabase
from tests.import_fixtures import csv_text

ROWS = [
    ["630000000000", "青海省"],
    ["630100000000", "西宁市"],
    ["630102000000", "城东区"],
]
COMMAND = "from layers.cli import app; from importers.cli import register; register(app); app()"


def _dry_run(database: SuiteDatabase, tmp_path: Path, interactive: str) -> str:
    """Return what a dry run of a small jurisdictions file writes to stderr."""
    path = tmp_path / "jurisdictions.csv"
    path.write_text(csv_text(["区划代码", "名称"], ROWS), encoding="utf-8")
    env = {
        **os.environ,
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_HOME": str(tmp_path / "home"),
        "TTY_INTERACTIVE": interactive,
        "FORCE_COLOR": "1",
        "TERM": "xterm-256color",
    }
    done = subprocess.run(
        [sys.executable, "-c", COMMAND, "import", "jurisdictions", str(path), "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_an_output_nobody_watches_live_gets_a_line_per_step(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    said = _dry_run(database, tmp_path, "0")
    steps = [
        "[1/4] 读取并检查文件…",
        "[2/4] 有效行写入暂存表 3 行…",
        "[3/4] 数据库校验（辖区、网格、点位）…",
        "[4/4] 核算新增、更新（试运行，不写入）…",  # a dry run writes nothing (trial X)
    ]
    places = [said.find(step) for step in steps]
    assert -1 not in places, said
    assert places == sorted(places)
    assert places[-1] < said.find("导入辖区：jurisdictions.csv（试运行）")


def test_a_terminal_keeps_its_bar(database: SuiteDatabase, tmp_path: Path) -> None:
    said = _dry_run(database, tmp_path, "1")
    assert "[1/4]" not in said
    assert "导入辖区：jurisdictions.csv（试运行）" in said


def test_a_long_counted_step_says_each_tenth_and_a_short_one_none() -> None:
    said: list[str] = []
    lines = StepLines(said.append, {"stage": "写入暂存表"}, ("stage",))
    lines.step("stage", 50_000)
    for _ in range(5):
        lines.rows(10_000)
    assert said == [
        "[1/1] 写入暂存表 50,000 行…",
        *(f"  写入暂存表：{n:,} / 50,000 行（{n // 500}%）" for n in range(10_000, 50_001, 10_000)),
    ]
    said.clear()
    lines.step("stage", LONG_STEP_ROWS - 1)
    lines.rows(LONG_STEP_ROWS - 1)
    assert said == [f"[1/1] 写入暂存表 {LONG_STEP_ROWS - 1:,} 行…"]


def test_a_step_the_plan_did_not_count_is_said_under_the_step_before() -> None:
    """The total is known from the first line: no ``[5/5]`` turning into ``[6/6]`` (trial X)."""
    said: list[str] = []
    labels = {"check": "数据库校验", "write": "写入正式表", "rebuild": "重建索引"}
    lines = StepLines(said.append, labels, ("check", "write"))
    lines.step("check", None)
    lines.step("write", None)
    lines.step("rebuild", None)
    assert said == ["[1/2] 数据库校验…", "[2/2] 写入正式表…", "  重建索引…"]
    assert planned_steps("cases") == ("read", "stage", "check", "repeats", "write")
    said.clear()
    unplanned = StepLines(said.append, labels, ())  # zongzhi divisions plans none
    unplanned.step("write", None)
    assert said == ["写入正式表…"]
