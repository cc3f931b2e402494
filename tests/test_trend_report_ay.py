"""The trends report's exports as a quarterly review reads them (trial AY).

Trial AY S3: the 重复反映 sheet wrote a row's withheld total 「<3」 where the row added up to
29 (3, 9, 11, 5 and one withheld): a total is now exact unless it would tell a withheld count,
and then written 「*」 as the 走访逾期 sheet writes one.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from layers import trend_report
from tests.trend_cases import insert_case
from tests.workflow_data import COUNTY, NOW, actor, ensure_world, village, village_centre

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
