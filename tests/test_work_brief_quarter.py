"""季度总结, and a 月总结 of a month before the records start (trial AY M2, m4).

Trial AY M2: the brief API refused ``period=quarter`` (「统计期的取值无效」), so the quarterly
review had no summary. It is now the calendar quarter holding ``date`` (by default the last
complete one), compared with the quarter before (上季度) and the same quarter a year before.

Trial AY m4: the 月总结 of January 2023, before the first case, gave its zeros with no word, and
named its 办结率 「截至各月末后第1404日24时」. 概况 now says where the records start, and a
办结率 read that long after the window is named by the brief's own moment.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from geo.codes import scope_range
from layers.china_time import CHINA
from layers.command import KPI_LABELS
from tests.api_fixtures import COUNTY_A, TOWN_A1, TOWN_A2
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]


def _sheets(body: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def _reported(database: SuiteDatabase, code: str, first: date, after: date) -> int:
    lo, hi = scope_range(code)
    with database.owner.connect() as conn:
        times = conn.execute(
            text("SELECT reported_at FROM cases WHERE area_code >= :lo AND area_code < :hi"),
            {"lo": lo, "hi": hi},
        ).scalars()
        return sum(first <= t.astimezone(CHINA).date() < after for t in times)


def test_a_quarterly_brief_counts_its_quarter_against_the_quarter_before(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    database: SuiteDatabase,
) -> None:
    got = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx?period=quarter&date=2026-05-20",
        headers=auth_headers("analyst_a"),
    )
    assert got.status_code == 200, got.text
    assert unquote(got.headers["content-disposition"]).endswith("季度总结_甲区_2026Q2.xlsx")
    sheets = _sheets(got.content)
    # printed on A4 landscape, fitted to the width, each table's header repeated (trial AY m3)
    for sheet in load_workbook(io.BytesIO(got.content)).worksheets:
        assert (sheet.page_setup.orientation, int(sheet.page_setup.paperSize)) == ("landscape", 9)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.title == "概况" or sheet.print_title_rows == "$1:$1", sheet.title
    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert (summary["简报"], summary["统计时段"]) == (
        "季度总结",
        "2026-04-01 00:00 至 2026-07-01 00:00",
    )
    assert summary["环比时段"] == "2026-01-01 00:00 至 2026-04-01 00:00（上季度）"
    assert str(summary["同比时段"]).startswith("2025-04-01 00:00 至 2025-07-01 00:00（上年同季度）")
    column = 3 + list(KPI_LABELS).index("reported")
    counted = {row[2]: row[column] for row in sheets["简报"][1:]}
    compared = {(row[2], row[3]): row[4:6] for row in sheets["环比同比"][1:]}
    for code in (COUNTY_A, TOWN_A1, TOWN_A2):
        q2 = _reported(database, code, date(2026, 4, 1), date(2026, 7, 1))
        q1 = _reported(database, code, date(2026, 1, 1), date(2026, 4, 1))
        assert counted[code] == q2 and q2 > 0
        assert compared[(code, "近期受理")] == [q2, q1]
    # by default the last complete quarter
    default = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx?period=quarter", headers=auth_headers("cmd_a")
    )
    today = datetime.now(CHINA).date()
    last = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    last = date(last.year - 1, 10, 1) if last.month == 1 else date(last.year, last.month - 3, 1)
    span = {row[0]: row[1] for row in _sheets(default.content)["概况"]}["统计时段"]
    assert str(span).startswith(f"{last:%Y-%m-%d} 00:00 至 "), span
    assert "至今" not in str(span)


def test_a_month_before_the_records_says_so_and_names_its_resolved_share_sensibly(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    database: SuiteDatabase,
) -> None:
    assert _reported(database, COUNTY_A, date(2000, 1, 1), date(2023, 2, 1)) == 0
    got = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx?period=month&date=2023-01-01",
        headers=auth_headers("analyst_a"),
    )
    assert got.status_code == 200, got.text
    sheets = _sheets(got.content)
    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert "本统计时段在此之前，无数据" in str(summary["案件记录"]), summary
    labels = {row[3] for row in sheets["环比同比"][1:]}
    share = next(label for label in labels if str(label).startswith("办结率"))
    assert "后第" not in share and "本期截至" in share and "月末后同样天数" in share, share
    assert "后第" not in str(summary["说明"])
