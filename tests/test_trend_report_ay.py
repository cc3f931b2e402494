"""The trends report's exports as a quarterly review reads them (trial AY).

Trial AY S3: the 重复反映 sheet wrote a row's withheld total 「<3」 where the row added up to
29 (3, 9, 11, 5 and one withheld): a total is now exact unless it would tell a withheld count,
and then written 「*」 as the 走访逾期 sheet writes one.

Trial AY M4: 「变化对比」 gave 「柳铺村 4 1 +3（+300%）」; a change on a small base (both under 5
cases) now gives the counts and 「基数小，仅供参考」 instead of a percentage, in the workbook and
the HTML report alike (the page reads the same flag). Trial AY M2: the quarterly report carries
the 环比 and 同比 of its cases the page shows.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from layers import trend_report
from tests.trend_cases import insert_case
from tests.workflow_data import COUNTY, NOW, actor, ensure_world, village, village_centre
from web.trend_export import report_html

V1 = village(100, 1)
V2 = village(200, 2)


def _repeats(db: Session, area: str, kind: str, per_month: dict[int, int], tag: str) -> None:
    first = insert_case(
        db,
        f"{tag}-0",
        village_centre(area),
        area,
        datetime(2026, 7, 1, tzinfo=UTC),
        subcategory=kind,
    )
    for month, n in per_month.items():
        for i in range(n):
            insert_case(
                db,
                f"{tag}-{month}-{i}",
                village_centre(area),
                area,
                datetime(2026, month, 12, tzinfo=UTC),
                subcategory=kind,
                duplicate_of=first,
            )


def test_a_repeat_row_s_total_is_exact_or_written_as_withheld_never_below_3(db: Session) -> None:
    ensure_world(db)
    _repeats(db, V1, "labour_wages", {8: 3, 9: 4, 10: 1}, "ay-s3a")  # 8: the 1 told by it
    _repeats(db, V2, "land", {8: 1, 9: 2, 10: 4}, "ay-s3b")  # 7: 1 and 2, neither told
    rep = trend_report.report(
        db, COUNTY, actor=actor("analyst", COUNTY), now=NOW, periods=3, period="2026-10"
    )
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    rows = {r[2]: r[3:] for r in book["重复反映"].iter_rows(values_only=True) if r[2]}
    assert rows["劳资欠薪"] == (3, 4, "<3", "*")
    assert rows["土地山林"] == ("<3", "<3", 4, 7)
    told = [str(r[0]) for r in book["重复反映"].iter_rows(values_only=True) if r[0]]
    assert any("记为*" in t and "合计按实数显示" in t for t in told), told


def _cases(db: Session, area: str, when: list[datetime], tag: str) -> None:
    for i, at in enumerate(when):
        insert_case(db, f"{tag}-{i}", village_centre(area), area, at)


def test_a_change_on_a_small_base_gives_counts_and_no_percentage(db: Session) -> None:
    """Trial AY M4: 「柳铺村 4 1 +3（+300%）」 ranked as the largest rise."""
    ensure_world(db)
    recent, earlier = datetime(2026, 9, 10, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    _cases(db, V1, [recent] * 4 + [earlier], "ay-m4a")  # 4 against 1: small
    _cases(db, V2, [recent] * 10 + [earlier] * 5, "ay-m4b")  # 10 against 5: +100%
    rep = trend_report.report(
        db, COUNTY, actor=actor("analyst", COUNTY), now=NOW, periods=6, period="2026-10"
    )
    rows = {r["code"]: r for r in rep.changes["rows"]}
    assert (rows[V1]["recent"], rows[V1]["earlier"], rows[V1]["change"]) == (4, 1, 3)
    assert rows[V1]["small_base"] and rows[V1]["change_pct"] is None
    assert not rows[V2]["small_base"] and rows[V2]["change_pct"] == 100.0
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    sheet = list(book["变化对比（近6个月）"].iter_rows(values_only=True))
    header = sheet[0]
    pct = header.index("变化（%）")
    by_name = {r[header.index("村（社区）")]: r for r in sheet[1:]}
    names = {r["code"]: r["label"] for r in rep.changes["rows"]}
    assert by_name[names[V1]][pct] == "基数小，仅供参考"
    assert by_name[names[V2]][pct] == 1.0
    assert any("基数小，仅供参考" in str(r[0]) and "不足5件" in str(r[0]) for r in sheet[1:])
    html = report_html(rep)
    assert "基数小，仅供参考" in html and "+300" not in html


def test_the_quarterly_report_gives_the_quarter_s_changes_as_the_page_does(db: Session) -> None:
    """Trial AY M2: the page said 「环比 −4% · 同比 +15%」, the 2026Q3 report neither."""
    ensure_world(db)
    _cases(db, V1, [datetime(2026, 8, 10, tzinfo=UTC)] * 23, "ay-m2a")  # 2026Q3
    _cases(db, V1, [datetime(2026, 5, 10, tzinfo=UTC)] * 24, "ay-m2b")  # 2026Q2
    _cases(db, V1, [datetime(2025, 8, 10, tzinfo=UTC)] * 20, "ay-m2c")  # 2025Q3
    rep = trend_report.report(
        db,
        COUNTY,
        actor=actor("analyst", COUNTY),
        now=NOW,
        granularity="quarter",
        periods=8,
        period="2026Q3",
    )
    totals = [int(n) for n in rep.series.totals]
    t = rep.index
    now, before, year = totals[t], totals[t - 1], totals[t - 4]
    assert (now, before, year) == (23, 24, 20)
    told = "环比 −4%（上期 2026年第2季度 24 件）；同比 +15%（上年同期 2025年第3季度 20 件）"
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    facts = {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}
    assert facts["案件数环比、同比"] == told
    assert told in report_html(rep)


def test_every_sheet_prints_on_a4_landscape_fitted_to_width_with_its_header(db: Session) -> None:
    """Trial AY m3: the exports had no page setup (orientation, paper, header rows)."""
    ensure_world(db)
    _repeats(db, V1, "labour_wages", {9: 4, 10: 3}, "ay-m3")
    rep = trend_report.report(
        db, COUNTY, actor=actor("analyst", COUNTY), now=NOW, periods=3, period="2026-10"
    )
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, int(setup.paperSize), int(setup.fitToWidth)) == (
            "landscape",
            9,
            1,
        ), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        if sheet.title != "概况":  # a table: its header on every page
            assert sheet.print_title_rows == "$1:$1", sheet.title
