"""The command feed's 走访超期 gives a reader who may not see small counts nothing the trends page
does not (trials AI M1, AJ M3).

Trial AI M1: the feed blanked a child's small count alone while the unit's total stayed exact.
Trial AJ M3: a village's total in the feed beside the village's trends page, which listed its
grids of 1 as ``*``, told each of them. The trends page now gives a unit's total only where it
tells nothing of the grids it does not list, judged on the grids inside the unit
(:func:`layers.trend_tables.shown_totals`); the feed, which reads the children's totals only,
cannot judge that and gives such a reader none.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers import command, trends
from tests.test_suppression_visits import ANALYST, TOWN, V1, V2, _world
from tests.workflow_data import CITY, NOW, actor, grid


def _overdue(feed: dict[str, object]) -> dict[str, int | None]:
    unit = feed["unit"]
    children = feed["children"]
    assert isinstance(unit, dict) and isinstance(children, list)
    return {c["code"]: c["kpis"]["overdue_visits"] for c in [unit, *children]}


def test_the_feed_gives_no_overdue_visits_to_a_reader_of_counts_only(db: Session) -> None:
    # a village of 4 grids of 1 each: 4 beside its trends page told them (trial AJ M3)
    _world(
        db,
        [(grid(V1), V1, 8, 5)] + [(V2 + f"00{n}", V2, 3, 1) for n in range(2, 6)],
    )
    for reader in (ANALYST, actor("commander", CITY)):
        assert trends.min_count_for(reader) == 3
        for code in (TOWN, V1, V2):
            shown = _overdue(command.feed(db, code, actor=reader, now=NOW))
            assert set(shown.values()) == {None}, (code, shown)
    exact = _overdue(command.feed(db, TOWN, actor=actor("commander", TOWN), now=NOW))
    assert (exact[TOWN], exact[V1], exact[V2]) == (9, 5, 4)
    grids = _overdue(command.feed(db, V2, actor=actor("commander", TOWN), now=NOW))
    assert [grids[V2 + f"00{n}"] for n in range(2, 6)] == [1, 1, 1, 1]
