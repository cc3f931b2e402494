"""The analyst reads the county's and each township's total of 走访逾期 (trial AY M1).

Trial AY M1: the analyst read 「不予显示」 for the county's 448 overdue (the commander's figure)
and one township's 60, while only the small grid counts need withholding: complementary
suppression held back totals of tens and hundreds because the sum of the grids not listed
was not spread thin enough. A township's or county's total is now given when it is not small
itself, unless its rest would give back one withheld piece; the small grids stay unlisted.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers import command, trend_tables, trends
from tests.test_suppression_visits import ANALYST, _world
from tests.workflow_data import NOW, grid, township, village

TOWN = township(100)
COUNTY = TOWN[:6] + "000000"
V1 = village(100, 1)
V2 = village(100, 2)
WORLD = [
    (grid(V1), V1, 12, 10),  # listed
    (V1 + "003", V1, 3, 2),  # four grids not listed, 7 overdue among them: more than
    (V1 + "004", V1, 3, 2),  # 3 × 2, so each holds someone; neither village's total is
    (grid(V2), V2, 3, 2),  # given (their rests are small), the township's 17 is
    (V2 + "003", V2, 3, 1),
]


def test_the_county_and_township_totals_are_given(db: Session) -> None:
    _world(db, WORLD)
    min_count = trends.min_count_for(ANALYST)
    assert min_count == 3
    town = trend_tables.overdue_visits(db, TOWN, now=NOW, min_count=min_count, limit=None)
    assert [g["overdue"] for g in town["grids"]] == [10]  # the small grids stay unlisted
    assert town["overdue"] == 17
    county = trend_tables.overdue_visits(db, COUNTY, now=NOW, min_count=min_count, limit=None)
    assert county["overdue"] == 17
    assert {u["code"]: u["overdue"] for u in county["units"]} == {TOWN: 17}
    for v in (V1, V2):  # a village's small rest is still withheld
        page = trend_tables.overdue_visits(db, v, now=NOW, min_count=min_count)
        assert page["overdue"] is None
    feed = command.feed(db, COUNTY, actor=ANALYST, now=NOW)
    assert feed["unit"]["kpis"]["overdue_visits"] == 17
    assert {c["code"]: c["kpis"]["overdue_visits"] for c in feed["children"]}[TOWN] == 17


def test_a_total_that_gives_back_one_grid_is_withheld(db: Session) -> None:
    # the township's 12 less the 10 listed is the one grid not listed: its 2 would be told
    _world(db, [(grid(V1), V1, 12, 10), (grid(V2), V2, 3, 2)])
    town = trend_tables.overdue_visits(db, TOWN, now=NOW, min_count=3)
    assert [g["overdue"] for g in town["grids"]] == [10]
    assert town["overdue"] is None
    assert trend_tables.overdue_visits(db, TOWN, now=NOW, min_count=1)["overdue"] == 12
