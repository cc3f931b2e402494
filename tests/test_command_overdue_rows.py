"""The command feed's 走访逾期 by grid, counted by grid and village first (trial BC M4).

:func:`layers.command._overdue_rows` counts the persons by grid and village before joining the
names the trends page groups its rows by (joined to each person they were a third of the
statement). Its rows must be those of the persons one by one: checked here on visits at the
edges of the interval (due today: not overdue; due yesterday: overdue) and a person moved to a
grid of another village.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from layers import command, visits_due
from layers.china_time import CHINA
from layers.database import scoped_session
from tests.api_fixtures import COUNTY_A, ApiWorld
from tests.conftest import SuiteDatabase

_LO, _HI = COUNTY_A[:6], COUNTY_A[:5] + chr(ord(COUNTY_A[5]) + 1)


def _one_by_one(session: Any, today: Any) -> set[tuple[str | None, str, int]]:
    """Each grid's (and village's) overdue persons, each person's state read on its own."""
    persons = session.execute(
        text(
            "SELECT p.id, p.grid_code, p.area_code, t.name AS township, j.name AS village"
            " FROM persons p JOIN visit_rules r ON r.category = p.category"
            "  AND r.management_level = p.management_level"
            " LEFT JOIN jurisdictions j ON j.code = p.area_code"
            " LEFT JOIN jurisdictions t ON t.code = left(p.area_code, 9) || '000'"
            " WHERE p.area_code >= :lo AND p.area_code < :hi AND p.ended_on IS NULL"
        ),
        {"lo": _LO, "hi": _HI},
    ).all()
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for p in persons:
        late = session.scalar(
            text(
                f"SELECT {visits_due.overdue('today')} FROM persons p"
                " JOIN visit_rules r ON r.category = p.category"
                "  AND r.management_level = p.management_level"
                f" {visits_due.LAST_VISIT} WHERE p.id = :p"
            ),
            {"p": p.id, "today": today},
        )
        groups[(p.grid_code, p.township, p.village)].append((p.area_code, bool(late)))
    return {
        (grid, min(a for a, _ in rows), sum(late for _, late in rows))
        for (grid, _, _), rows in groups.items()
    }


def test_the_feeds_overdue_rows_are_those_of_the_persons_one_by_one(
    database: SuiteDatabase, api_world: ApiWorld
) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(CHINA).date()
    with database.owner.begin() as db:
        two = db.execute(
            text(
                "SELECT p.id, p.area_code, p.grid_code, r.interval_days FROM persons p"
                " JOIN visit_rules r ON r.category = p.category"
                "  AND r.management_level = p.management_level"
                " WHERE p.area_code >= :lo AND p.area_code < :hi AND p.ended_on IS NULL"
                "  AND p.grid_code IS NOT NULL ORDER BY p.id LIMIT 2"
            ),
            {"lo": _LO, "hi": _HI},
        ).all()
        elsewhere = db.scalar(
            text(
                "SELECT code FROM grids WHERE area_code >= :lo AND area_code < :hi"
                " AND area_code <> :a AND retired_on IS NULL ORDER BY code LIMIT 1"
            ),
            {"lo": _LO, "hi": _HI, "a": two[1].area_code},
        )
        assert len(two) == 2 and elsewhere is not None
        added = [
            db.scalar(
                text(
                    "INSERT INTO person_visits (person_id, area_code, visited_on, outcome)"
                    " VALUES (:p, :a, :d, 'met') RETURNING id"
                ),
                {"p": p.id, "a": p.area_code, "d": today - timedelta(days=days)},
            )
            for p, days in ((two[0], two[0].interval_days), (two[1], two[1].interval_days + 1))
        ]
        # moved to a grid of another village, his village kept
        db.execute(
            text("UPDATE persons SET grid_code = :g WHERE id = :p"),
            {"g": elsewhere, "p": two[1].id},
        )
    try:
        with scoped_session(sessionmaker(database.app), COUNTY_A) as session:
            rows, live = command._overdue_rows(session, COUNTY_A, now=now)
            expected = _one_by_one(session, today)
    finally:
        with database.owner.begin() as db:
            db.execute(text("DELETE FROM person_visits WHERE id = ANY(:ids)"), {"ids": added})
            db.execute(
                text("UPDATE persons SET grid_code = :g WHERE id = :p"),
                {"g": two[1].grid_code, "p": two[1].id},
            )
    got = {(r.grid_code, r.area_code, int(r.overdue)) for r in rows}
    assert len(rows) == len(got) == len(expected)
    assert got == expected
    assert any(r.grid_code == elsewhere and r.area_code == two[1].area_code for r in rows)
    assert live  # the live units still come on one row
    assert sum(r.live is not None for r in rows) == 1
