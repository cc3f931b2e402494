"""The 走访 list works out each person's schedule once per read (trial BC M3).

The county commander's 走访 tab read its counts, its page of persons, its places and its workers
in four statements, each finding every person's last visit again (1.6–4.0 s at a busy county's
volume). :func:`layers.visit_schedule.due_persons` now finds them once, and the four figures are
read from that: the same figures, checked here against each person's own due day and on
visits at the edges of the interval (due today: not overdue; due yesterday: overdue).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import sessionmaker

from layers import visit_schedule, visits_due
from layers.china_time import CHINA
from layers.database import scoped_session
from tests.api_fixtures import COUNTY_A, ApiWorld
from tests.conftest import SuiteDatabase


def test_the_list_finds_each_persons_last_visit_once_with_the_same_figures(
    database: SuiteDatabase, api_world: ApiWorld
) -> None:
    today = datetime.now(UTC).astimezone(CHINA).date()
    with database.owner.begin() as db:
        two = db.execute(
            text(
                "SELECT p.id, p.area_code, r.interval_days FROM persons p"
                " JOIN visit_rules r ON r.category = p.category"
                "  AND r.management_level = p.management_level"
                " WHERE p.area_code >= :lo AND p.area_code < :hi AND p.ended_on IS NULL"
                " ORDER BY p.id LIMIT 2"
            ),
            {"lo": COUNTY_A[:6], "hi": COUNTY_A[:5] + chr(ord(COUNTY_A[5]) + 1)},
        ).all()
        assert len(two) == 2
        # due today (not overdue), due yesterday (overdue by a day); a later visit that
        # found nobody does not restart the interval
        added = [
            db.scalar(
                text(
                    "INSERT INTO person_visits (person_id, area_code, visited_on, outcome)"
                    " VALUES (:p, :a, :d, :o) RETURNING id"
                ),
                {"p": p.id, "a": p.area_code, "d": day, "o": outcome},
            )
            for p, day, outcome in (
                (two[0], today - timedelta(days=two[0].interval_days), "met"),
                (two[1], today - timedelta(days=two[1].interval_days + 1), "contacted"),
                (two[1], today - timedelta(days=1), "absent"),
            )
        ]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(database.app, "before_cursor_execute", seen)
    try:
        with scoped_session(sessionmaker(database.app), COUNTY_A) as session:
            listed = visit_schedule.due_persons(
                session, scope_code=COUNTY_A, today=today, status="all", limit=1000
            )
            own_due = {
                p.id: session.scalar(
                    text(
                        f"SELECT {visits_due.DUE_ON} FROM persons p"
                        " JOIN visit_rules r ON r.category = p.category"
                        "  AND r.management_level = p.management_level"
                        f" {visits_due.LAST_VISIT} WHERE p.id = :p"
                    ),
                    {"p": p.id},
                )
                for p in listed.persons
            }
            again = visit_schedule.due_persons(  # twice in one transaction
                session, scope_code=COUNTY_A, today=today, status="overdue", limit=1000
            )
    finally:
        event.remove(database.app, "before_cursor_execute", seen)
        with database.owner.begin() as db:
            db.execute(text("DELETE FROM person_visits WHERE id = ANY(:ids)"), {"ids": added})
    # the four figures of the first read found the last visits in one statement
    first = statements[: statements.index(next(s for s in statements if "WHERE p.id =" in s))]
    assert sum(visits_due.LAST_VISIT in s for s in first) == 1
    persons = {p.id: p for p in listed.persons}
    assert listed.matched == listed.followed == len(persons) > 2
    assert {i: p.due_on for i, p in persons.items()} == own_due
    assert (persons[two[0].id].due_on, persons[two[0].id].overdue) == (today, False)
    assert (persons[two[1].id].overdue_days, persons[two[1].id].overdue) == (1, True)
    assert persons[two[1].id].latest_outcome == "absent"
    overdue = {i for i, p in persons.items() if p.overdue}
    assert listed.overdue == len(overdue) == again.matched == again.overdue
    assert {p.id for p in again.persons} == overdue
    assert sum(place.followed for place in listed.places) == listed.followed
    assert sum(place.overdue for place in listed.places) == listed.overdue
