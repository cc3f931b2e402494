"""The trends report counts repeat reports (重复反映) by place, kind and period (trial AT M4).

Trial AT M4: every table of the trends page and of its 研判报告 workbook leaves repeats out
(「不含重复反映」), and none said where repeats come from, of which types, or how they trend.
The workbook now has a 重复反映 sheet: the repeat reports per township, village and kind of
matter, per period, aggregates only, a small count withheld from an analyst as on the map
(and a row's total with it); the page says where to find it.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import trend_report
from tests.trend_cases import insert_case
from tests.workflow_data import COUNTY, NOW, actor, ensure_world, village, village_centre

V1 = village(100, 1)
V2 = village(200, 2)


def _seed(db: Session) -> None:
    ensure_world(db)
    n = 0

    def case(area: str, at: datetime, sub: str, of: int | None = None) -> int:
        nonlocal n
        n += 1
        return insert_case(
            db, f"rp-{n}", village_centre(area), area, at, subcategory=sub, duplicate_of=of
        )

    october, september = datetime(2026, 10, 10, tzinfo=UTC), datetime(2026, 9, 12, tzinfo=UTC)
    wages = case(V1, datetime(2026, 9, 1, tzinfo=UTC), "labour_wages")
    for _ in range(4):  # 4 repeats of the unpaid wages in October, 3 in September
        case(V1, october, "labour_wages", wages)
    for _ in range(3):
        case(V1, september, "labour_wages", wages)
    land = case(V2, datetime(2026, 10, 1, tzinfo=UTC), "land")
    case(V2, october, "land", land)  # a single repeat: small
    for _ in range(30):  # cases that are no repeat: not counted
        case(V2, october, "neighbours")


def _sheet(db: Session, who: str) -> list[tuple[object, ...]]:
    rep = trend_report.report(
        db, COUNTY, actor=actor(who, COUNTY), now=NOW, periods=3, period="2026-10"
    )
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    assert "重复反映" in book.sheetnames and "热点及模式单元" in book.sheetnames
    return list(book["重复反映"].iter_rows(values_only=True))


def test_the_workbook_counts_repeats_by_village_kind_and_period(db: Session) -> None:
    _seed(db)
    names = dict(db.execute(text("SELECT code, name FROM jurisdictions")).all())
    rows = _sheet(db, "commander")
    assert rows[0] == (
        "所在乡镇（街道）",
        "所在村（社区）",
        "类型",
        "2026年8月",
        "2026年9月",
        "2026年10月",
        "合计",
    )
    assert rows[1] == (names[V1[:9] + "000"], names[V1], "劳资欠薪", 0, 3, 4, 7)
    assert rows[2] == (names[V2[:9] + "000"], names[V2], "土地山林", 0, 0, 1, 1)
    assert "不含重复反映" in str(rows[3][0])
    # an analyst reads the small count withheld, and the row's total it would tell as "*"
    analyst = _sheet(db, "analyst")
    assert analyst[1][3:] == (0, 3, 4, 7)
    assert analyst[2][3:] == (0, 0, "<3", "*")
    assert any("小于3的数记为<3" in str(r[0]) for r in analyst[3:])


def test_the_workbook_s_change_ends_with_the_period_reported(db: Session) -> None:
    """Trial AT m6: the report of 2026年9月 compared the months up to the window's end."""
    _seed(db)
    rep = trend_report.report(
        db, COUNTY, actor=actor("analyst", COUNTY), now=NOW, periods=6, period="2026-09"
    )
    assert rep.series.periods[-1].key != "2026-09"
    assert rep.changes["recent"]["last"] == "2026-09"
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    told = [str(r[0]) for r in book["变化对比（近6个月）"].iter_rows(values_only=True) if r[0]]
    assert any("2026年4月 至 2026年9月" in t and "截至所选统计期" in t for t in told), told[-1]
