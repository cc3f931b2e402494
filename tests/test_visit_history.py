"""走访 figures per month and quarter, and the past month's 走访逾期 (trial AY S2).

Every visit figure was the current one: a September 月总结 made in December gave December's
走访逾期, and the visit outcomes were added up nowhere. A small world of four persons (精神障碍,
重点管控: every 14 days) put on record, visited with known outcomes and leaving the register on
known days gives per month the persons on the register at the month's end, the visits by
outcome and the persons overdue at the month's end, which the test works out by hand.
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import trend_report, trends, visit_history
from tests.workflow_data import (
    MENTAL_KEY_EVERY_14_DAYS,
    NOW,
    actor,
    ensure_world,
    township,
    village,
)

TOWN = township(300)
COUNTY = TOWN[:6] + "000000"
V1 = village(300, 1)
V2 = village(300, 2)
# name, village, on record since, ended on, visits (day, outcome)
PERSONS = [
    ("甲", V1, date(2026, 7, 1), None, [("2026-08-10", "met"), ("2026-09-05", "absent"),
                                        ("2026-10-20", "contacted")]),
    ("乙", V1, date(2026, 9, 20), date(2026, 10, 15), []),
    ("丙", V2, date(2026, 8, 25), None, [("2026-08-28", "met"), ("2026-09-30", "missing"),
                                        ("2026-10-31", "met")]),
    ("丁", V2, None, None, [("2026-09-15", "contacted")]),
]  # fmt: skip


def _world(session: Session) -> None:
    ensure_world(session)
    session.execute(text(MENTAL_KEY_EVERY_14_DAYS))
    for k, (name, area, since, ended, visits) in enumerate(PERSONS):
        pid = session.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, on_record_since, ended_on) VALUES"
                " ('mental', :name, :h, '5304**********001X', 'sealed', 1, '{}', :a, :since,"
                " :ended) RETURNING id"
            ),
            {
                "name": name,
                "h": (8800 + k).to_bytes(32, "big"),
                "a": area,
                "since": since,
                "ended": ended,
            },
        ).scalar_one()
        for day, outcome in visits:
            session.execute(
                text(
                    "INSERT INTO person_visits (person_id, area_code, visited_on, outcome)"
                    " VALUES (:p, :a, :d, :o)"
                ),
                {"p": pid, "a": area, "d": date.fromisoformat(day), "o": outcome},
            )


MONTHS = trends.window(NOW, "month", 3, end="2026-10")  # August to October


def test_each_month_gives_its_register_visits_and_overdue_at_its_end(db: Session) -> None:
    _world(db)
    body = visit_history.visit_series(db, TOWN, MONTHS, min_count=1)
    assert [p["key"] for p in body["periods"]] == ["2026-08", "2026-09", "2026-10"]
    assert body["units_label"] == "村（社区）"
    figures = {u["code"]: u["figures"] for u in body["units"]}
    assert set(figures) == {V1, V2}
    # 甲 overdue at August's and September's ends (人户分离 restarts nothing), visited in
    # October; 乙 on record from 20 September (not yet due), gone on 15 October
    assert figures[V1] == {
        "persons": [1, 2, 1],
        "visits": [1, 1, 1],
        "met": [1, 0, 0],
        "contacted": [0, 0, 1],
        "absent": [0, 1, 0],
        "missing": [0, 0, 0],
        "overdue": [1, 1, 0],
    }
    # 丙 due on 11 September (失联 on the 30th restarts nothing), met on 31 October; 丁 on
    # record since an unknown day: overdue until reached, and again 14 days after
    assert figures[V2] == {
        "persons": [2, 2, 2],
        "visits": [1, 2, 1],
        "met": [1, 0, 1],
        "contacted": [0, 1, 0],
        "absent": [0, 0, 0],
        "missing": [0, 1, 0],
        "overdue": [1, 2, 1],
    }
    assert body["totals"]["persons"] == [3, 4, 3]
    assert body["totals"]["overdue"] == [2, 3, 1]
    assert body["totals"]["visits"] == [2, 3, 2]
    assert "现行走访周期规则" in body["note"]
    # the county's page: the township's row, the same sums
    county = visit_history.visit_series(db, COUNTY, MONTHS, min_count=1)
    town = next(u for u in county["units"] if u["code"] == TOWN)
    assert town["figures"]["overdue"] == [2, 3, 1]
    assert town["figures"]["missing"] == [0, 1, 0]
    # a quarter: Q3 ends on 30 September, as September does
    quarter = trends.window(NOW, "quarter", 1, end="2026Q3")
    q3 = visit_history.visit_series(db, TOWN, quarter, min_count=1)
    assert q3["totals"]["overdue"] == [3] and q3["totals"]["persons"] == [4]
    assert q3["totals"]["visits"] == [5] and q3["totals"]["met"] == [2]


def test_an_analyst_reads_no_small_count(db: Session) -> None:
    _world(db)
    body = visit_history.visit_series(db, TOWN, MONTHS, min_count=3)
    figures = {u["code"]: u["figures"] for u in body["units"]}
    assert figures[V1]["persons"] == [None, None, None]
    assert figures[V2]["overdue"] == [None, None, None]
    assert figures[V1]["overdue"] == [None, None, 0]
    # two counts withheld: their sum is told; one withheld: the total would give it back
    assert body["totals"]["persons"] == [3, 4, 3]
    assert body["totals"]["overdue"] == [None, 3, None]


def test_a_past_month_gives_its_overdue_at_its_end(db: Session) -> None:
    _world(db)
    september = visit_history.overdue_at_end(db, TOWN, [V1, V2], date(2026, 9, 30), min_count=1)
    assert september == {V1: 1, V2: 2, TOWN: 3}
    october = visit_history.overdue_at_end(db, TOWN, [V1, V2], date(2026, 10, 31), min_count=1)
    assert october == {V1: 0, V2: 1, TOWN: 1}
    withheld = visit_history.overdue_at_end(db, TOWN, [V1, V2], date(2026, 9, 30), min_count=3)
    assert withheld == {V1: None, V2: None, TOWN: 3}


def test_the_workbook_has_a_sheet_of_the_figures_per_month(db: Session) -> None:
    _world(db)
    commander = actor("commander", COUNTY)
    rep = trend_report.report(db, TOWN, actor=commander, now=NOW, periods=4, end="2026-10")
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    header, *rows = [list(r) for r in book[trend_report.VISIT_HISTORY_SHEET].values]
    assert header == ["村（社区）", "指标", "2026年7月", "2026年8月", "2026年9月", "2026年10月"]
    table = {(r[0], r[1]): r[2:] for r in rows if r[1]}
    names = dict(db.execute(text("SELECT code, name FROM jurisdictions")).all())
    assert table[(names[V1], "期末走访逾期人数")] == [1, 1, 1, 0]
    assert table[(names[V2], "失联")] == [0, 0, 1, 0]
    assert table[("合计", "期末在册人数")] == [2, 3, 4, 3]  # 丁 on record since ever
    assert "现行走访周期规则" in str(rows[-1][0])
    analyst = actor("analyst", COUNTY)
    rep = trend_report.report(db, TOWN, actor=analyst, now=NOW, periods=4, end="2026-10")
    book = load_workbook(io.BytesIO(trend_report.workbook(rep)))
    rows = [list(r) for r in book[trend_report.VISIT_HISTORY_SHEET].values]
    table = {(r[0], r[1]): r[2:] for r in rows[1:] if r[1]}
    assert table[(names[V1], "期末在册人数")] == ["<3"] * 4
    assert table[("合计", "期末走访逾期人数")] == ["*", "*", 3, "*"]
