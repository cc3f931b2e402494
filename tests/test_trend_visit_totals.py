"""The trends page gives the township totals of 走访逾期 the 月总结 gives, by one name (AT M3).

Trial AT M3: the county's trends page withheld its total and every township's (「逾期未走访 *」)
while the 月总结 exported from the same page gave four townships' totals under another name
(走访超期), with nothing tying the two. The page and its exports now give the totals of the
units directly below, exactly those the command feed (the 月总结's 简报) gives, and say why a
total is withheld: complementary suppression of a small township's count, not a small total.
Small counts stay withheld: the county's total would tell the small township's by subtraction.
"""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import command, trend_report, trend_tables, trends
from tests.test_suppression_visits import ANALYST, _world
from tests.workflow_data import NOW, grid, township, village
from web import trend_export

COUNTY = township(100)[:6] + "000000"
BIG = village(100, 1)
SMALL = village(200, 1)
OTHER = village(100, 2)
WORLD = [
    (grid(BIG), BIG, 12, 10),  # listed
    (BIG + "003", BIG, 3, 1),  # four grids not listed, 4 overdue among them in two villages:
    (BIG + "004", BIG, 3, 1),  # each village's 2 withheld, the township's 14 given
    (grid(OTHER), OTHER, 3, 1),
    (OTHER + "003", OTHER, 3, 1),
    (grid(SMALL), SMALL, 4, 1),  # the other township: 1 overdue, withheld
]


def test_the_page_gives_the_townships_the_brief_gives(db: Session) -> None:
    _world(db, WORLD)
    min_count = trends.min_count_for(ANALYST)
    assert min_count == 3
    page = trend_tables.overdue_visits(db, COUNTY, now=NOW, min_count=min_count, limit=None)
    # the county's total would tell the small township's 1 by subtracting the other's: withheld
    assert page["overdue"] is None
    units = {u["code"]: u["overdue"] for u in page["units"]}
    assert units == {township(100): 14, township(200): None}
    assert page["units_label"] == "乡镇（街道）"
    feed = command.feed(db, COUNTY, actor=ANALYST, now=NOW)
    brief = {c["code"]: c["kpis"]["overdue_visits"] for c in feed["children"]}
    assert {code: brief.get(code) for code in units} == units
    assert feed["unit"]["kpis"]["overdue_visits"] is None
    # one name for the figure: the command page and the 月总结 say 走访逾期, as the page does
    assert command.KPI_LABELS["overdue_visits"] == "走访逾期"


def test_the_report_gives_the_township_totals_and_says_why_one_is_withheld(db: Session) -> None:
    _world(db, WORLD)
    names = dict(db.execute(text("SELECT code, name FROM jurisdictions")).all())
    rep = trend_report.report(db, COUNTY, actor=ANALYST, now=NOW, periods=12)
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    summary = {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}
    line = f"{names[township(100)]} 14 人；{names[township(200)]} *"
    assert summary["各乡镇（街道）走访逾期人数"] == line
    assert summary["走访逾期人数（截至报告生成时）"] == "*"
    told = " ".join(str(r[0]) for r in book["走访逾期"].iter_rows(values_only=True) if r[0])
    assert f"各乡镇（街道）走访逾期人数（与月总结相同）：{line}" in told
    assert "互补隐藏" in told and "保护小数" in told
    page = trend_export.report_html(rep)
    assert line in page and "互补隐藏" in page
