"""``zongzhi demo`` written to a log, not a terminal, says each step as a line as it starts.

A demo load's progress was a rich spinner only: written to a log file or systemd's journal it
said nothing until the end, and a long ``--scale 5`` load looked hung.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import psycopg
import typer
from rich.console import Console
from typer.testing import CliRunner

from importers.demo.cli import register
from importers.demo.progress import DemoProgress
from tests.conftest import SuiteDatabase, separate_database

DATABASE = "zongzhi_demo_lines"
"""A database of its own: the command commits its county."""
STEPS = (
    "准备数据库",
    "生成演示数据 530424000000",
    "写入：删除旧的演示数据",
    "写入：行政区划",
    "写入：网格",
    "写入：网格员",
    "写入：特殊人群",
    "写入：案事件",
    "写入：视频点位",
    "写入：演示账号",
    "写入：统计信息",
    "热点分析（近一年）",
)
"""The steps of a load, in order, each said as a line."""


def test_a_demo_load_written_to_a_log_says_each_step_as_a_line(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    urls = separate_database(database, DATABASE)
    env = {
        "ZONGZHI_HOME": str(tmp_path / "home"),
        "ZONGZHI_DATABASE_URL": urls.owner,
        "ZONGZHI_APP_DATABASE_URL": urls.app,
    }
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # two commands: ``demo`` is a subcommand
    try:
        done = CliRunner().invoke(app, ["demo", "--no-serve", "--scale", "0.05"], env=env)
    finally:
        server = urls.owner.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    said = [m[1] for line in lines if (m := re.fullmatch(r"\[\d+:\d\d:\d\d\] (.+)…", line))]
    assert [s for s in said if s in STEPS] == list(STEPS), said
    loaded = next(i for i, line in enumerate(lines) if "演示数据已载入" in line)
    assert loaded > lines.index(next(x for x in lines if x.endswith("热点分析（近一年）…")))


def test_a_long_step_says_it_still_runs_and_a_terminal_gets_no_lines() -> None:
    now = [100.0]
    out = io.StringIO()
    with DemoProgress(Console(file=out), every=15, clock=lambda: now[0]) as shown:
        shown.update("写入：案事件")
        for at in (110.0, 116.0, 125.0, 131.5):
            now[0] = at
            shown.tick()
        shown.update("写入：视频点位")
        now[0] = 140.0
        shown.tick()
    assert out.getvalue().splitlines() == [
        "[0:00:00] 写入：案事件…",
        "[0:00:16] 仍在进行：写入：案事件（本步已 16 秒）",
        "[0:00:32] 仍在进行：写入：案事件（本步已 32 秒）",
        "[0:00:32] 写入：视频点位…",
    ]
    live = io.StringIO()
    terminal = Console(file=live, force_terminal=True, force_interactive=True)
    with DemoProgress(terminal, every=15, clock=lambda: now[0]) as shown:
        shown.update("写入：案事件")
        now[0] = 200.0
        shown.tick()
    assert "仍在进行" not in live.getvalue() and "[0:00:00]" not in live.getvalue()
