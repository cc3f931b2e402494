"""`zongzhi demo` says which of its boundaries are real: the province's, city's and county's.

A user trial read 真实边界 in the help, yet the townships carry their real names and codes on
boundaries the demo derives inside the county (甘州区's city streets land ~45 km from the real
city centre): the help, the top-level command list and the printed summary now say it exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import typer
from rich.console import Console
from typer.testing import CliRunner

from importers.demo import cli
from importers.demo.dataset import generate
from importers.demo.load import LoadReport
from importers.demo.plan import DemoScale

SAID = "省、市、县边界为真实数据；乡镇（街道）为真实名称与代码，边界为示意"


def _flat(text: str) -> str:
    """The text without the help's wrapping and box drawing."""
    return re.sub(r"[\s│]+", "", text)


def test_the_help_says_only_the_upper_boundaries_are_real() -> None:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Nothing."""

    cli.register(app)
    shown = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0
    assert SAID in _flat(shown.output) and "真实边界" not in _flat(shown.output)
    assert "村（社区）、网格、人员、案事件与视频点位均为虚构" in _flat(shown.output)
    listed = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "80"})
    assert "载入演示县，再启动控制台。" in listed.output and "真实边界" not in listed.output


def test_the_printed_summary_says_it_too() -> None:
    scale = DemoScale(
        villages=8,
        grids=10,
        workers=10,
        persons=10,
        disputes_per_year=10,
        hazards_per_year=2,
        opinions_per_year=2,
        cameras=5,
        years=1,
    )
    data = generate("530424", seed=3, now=datetime(2026, 11, 23, tzinfo=UTC), scale=scale)
    said = Console(record=True, width=100)
    cli._print_report(said, data, LoadReport({"jurisdictions": 9}, []), 1.0)
    text = said.export_text()
    assert text.splitlines()[0].startswith("演示数据已载入 云南省 玉溪市 华宁县")
    assert SAID in _flat(text) and "真实边界" not in text
