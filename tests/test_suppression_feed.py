"""The command feed's 走访超期 of each child cannot be worked out from the unit's (trial AI M1).

The feed blanked a child's small count alone while the unit's total stayed exact: the total less
the other children told it, as the trends' grids did.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers import command, trends
from tests.test_suppression_visits import ANALYST, NOW, TOWN, V1, V2, _world
from tests.workflow_data import actor, grid


def test_a_child_s_small_count_is_blanked_with_another(db: Session) -> None:
    _world(db, [(grid(V1), V1, 8, 5), (grid(V2), V2, 4, 1)])
    assert trends.min_count_for(ANALYST) == 3
    feed = command.feed(db, TOWN, actor=ANALYST, now=NOW)
    by_code = {c["code"]: c["kpis"]["overdue_visits"] for c in feed["children"]}
    assert by_code[V2] is None  # small
    assert by_code[V1] is None  # 6 − 5 would give the 1 back
    assert feed["unit"]["kpis"]["overdue_visits"] == 6
    shown = [v for v in by_code.values() if v]
    assert sum(shown) < 6 and sum(v is None for v in by_code.values()) >= 2
    exact = command.feed(db, TOWN, actor=actor("commander", TOWN), now=NOW)
    exact_by_code = {c["code"]: c["kpis"]["overdue_visits"] for c in exact["children"]}
    assert (exact_by_code[V1], exact_by_code[V2]) == (5, 1)
