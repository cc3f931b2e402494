"""The command feed's 走访超期 gives a reader who may not see small counts what the trends page
gives, no more and no less (trials AI M1, AJ M3).

Trial AI M1: the feed blanked a child's small count alone while the unit's total stayed exact.
Trial AJ M3: a village's total in the feed beside the village's trends page, which listed its
grids of 1 as ``*``, told each of them; the stopgap gave such readers no 走访超期 at all. The
feed now gives a unit's or a child's total exactly where the trends page of that unit gives it
(:func:`layers.trend_tables.shown_totals`, judged from the lowest unit up), and a grid's figure
where that page lists the grid.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from layers import command, trend_tables, trends
from layers.workflow import Actor
from tests.test_suppression_visits import (
    ANALYST,
    TOWN,
    V1,
    V2,
    _assert_nothing_told,
    _what_the_reader_can_tell,
    _world,
)
from tests.workflow_data import CITY, NOW, actor, grid

COUNTY = TOWN[:6] + "000000"
WORLDS = {
    # a village of 4 grids of 1 each beside one of 5: 4 beside its trends page told them
    "ones": [(grid(V1), V1, 8, 5)] + [(V2 + f"00{n}", V2, 3, 1) for n in range(2, 6)],
    # the same with a grid of 3 more in each village: some totals are given now
    "mixed": [
        (grid(V1), V1, 8, 5),
        (V1 + "003", V1, 4, 1),
        (V1 + "004", V1, 6, 4),
        (V2 + "002", V2, 3, 1),
        (V2 + "003", V2, 3, 1),
        (V2 + "004", V2, 3, 1),
        (V2 + "005", V2, 3, 1),
        (V2 + "006", V2, 9, 6),
    ],
}


def _overdue(feed: dict[str, Any]) -> dict[str, tuple[str, int | None]]:
    return {
        c["code"]: (c.get("kind", "jurisdiction"), c["kpis"]["overdue_visits"])
        for c in [feed["unit"], *feed["children"]]
    }


def _agree(db: Session, reader: Actor) -> int:
    """Check the feed against the trends page for every unit; return how many figures it gives."""
    min_count = trends.min_count_for(reader)
    given = 0
    for unit in (COUNTY, TOWN, V1, V2):
        page = trend_tables.overdue_visits(db, unit, now=NOW, min_count=min_count, limit=None)
        listed = {g["grid_code"]: g["overdue"] for g in page["grids"]}
        for code, (kind, figure) in _overdue(command.feed(db, unit, actor=reader, now=NOW)).items():
            if kind == "grid":
                assert figure == listed.get(code), (unit, code, figure, listed)
            else:
                other = trend_tables.overdue_visits(db, code, now=NOW, min_count=min_count)
                assert figure == other["overdue"], (unit, code, figure, other["overdue"])
            given += figure is not None
    return given


def test_the_feed_gives_what_the_trends_page_gives(db: Session) -> None:
    for name, world in WORLDS.items():
        sp = db.begin_nested()
        _world(db, world)
        for reader in (ANALYST, actor("commander", CITY)):
            assert trends.min_count_for(reader) == 3
            assert _agree(db, reader) > 0, name  # no longer nothing at all
        # and nothing the two pages give together tells a grid not listed
        grids = [g for g, *_ in world]
        _assert_nothing_told(_what_the_reader_can_tell(db, grids, [COUNTY, TOWN, V1, V2], ANALYST))
        sp.rollback()


def test_the_feed_lists_no_grid_of_the_village_of_ones(db: Session) -> None:
    _world(db, WORLDS["ones"])
    shown = _overdue(command.feed(db, TOWN, actor=ANALYST, now=NOW))
    # V2's 4, as on its trends page: four grids of at most 2 each hold it in many ways
    assert shown[V2] == ("jurisdiction", 4)
    assert trend_tables.overdue_visits(db, V2, now=NOW, min_count=3)["overdue"] == 4
    grids = _overdue(command.feed(db, V2, actor=ANALYST, now=NOW))
    assert {figure for kind, figure in grids.values() if kind == "grid"} == {None}
    exact = _overdue(command.feed(db, TOWN, actor=actor("commander", TOWN), now=NOW))
    assert (exact[TOWN][1], exact[V1][1], exact[V2][1]) == (9, 5, 4)
    grids = _overdue(command.feed(db, V2, actor=actor("commander", TOWN), now=NOW))
    assert [grids[V2 + f"00{n}"][1] for n in range(2, 6)] == [1, 1, 1, 1]
