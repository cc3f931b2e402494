"""The demo county's 走访逐期统计 is that of a plain count, counted once until it changes.

A user trial on a county five times 华宁县 waited 2.5 to 5.3 s for every read of
``/api/trends/{code}/visit-history``. :func:`layers.visit_history.visit_series` now keeps its
answer keyed by a fingerprint of what it read, as :func:`layers.trends.series` does. On the
华宁县 demo (its register and their visits, read as the county's app role under row-level
security) its figures are those of a count made here person by person and period by period in
Python, by month and by quarter, for the county and a township; a second read is not counted
again, and a visit recorded or corrected, or a person ended, is counted at once. Nothing is
committed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import division_level, prefix_length, scope_range
from layers import trends, visit_history, visits_due
from layers.database import apply_scope
from layers.trends import Period
from layers.visit_history import OUTCOMES, period_days
from tests.console_fixtures import ConsoleDemo


@pytest.fixture
def county(console_demo: ConsoleDemo) -> Iterator[tuple[Session, str]]:
    """A transaction on the demo as the county's app role, rolled back at the end."""
    code = console_demo.data.county_code
    with Session(console_demo.owner) as session:
        session.begin()
        apply_scope(session, code, set_role=True)
        try:
            yield session, code
        finally:
            session.rollback()


def _child(code: str, area: str) -> str:
    """The unit directly inside ``code`` that ``area`` lies in (as trends.child_key_sql)."""
    if area == code:
        return code
    for level in range(division_level(code) + 1, 6):
        key = area[: prefix_length(level)].ljust(12, "0")
        if key != code:
            return key
    return area


def _reference(session: Session, code: str, periods: tuple[Period, ...]) -> dict[str, Any]:
    """Count the figures of every unit and period one person and one visit at a time."""
    lo, hi = scope_range(code)
    persons = session.execute(
        text(
            "SELECT p.id, p.area_code, p.on_record_since, p.ended_on, r.interval_days AS k,"
            f" {visits_due.FIRST_DUE} AS first_due, {visits_due.CORRECTION_END} AS done"
            " FROM persons p JOIN visit_rules r ON r.category = p.category"
            " AND r.management_level = p.management_level"
            " WHERE p.area_code >= :lo AND p.area_code < :hi"
        ),
        {"lo": lo, "hi": hi},
    ).all()
    reached: dict[int, list[date]] = {}
    for person_id, day in session.execute(
        text(
            "SELECT pv.person_id, pv.visited_on FROM person_visits pv"
            " JOIN persons p ON p.id = pv.person_id"
            " WHERE p.area_code >= :lo AND p.area_code < :hi AND pv.outcome = ANY(:reached)"
        ),
        {"lo": lo, "hi": hi, "reached": list(visits_due.REACHED)},
    ):
        reached.setdefault(person_id, []).append(day)
    visits = session.execute(
        text(
            "SELECT area_code, visited_on, outcome FROM person_visits"
            " WHERE area_code >= :lo AND area_code < :hi"
        ),
        {"lo": lo, "hi": hi},
    ).all()
    counts: Counter[tuple[str, str, int]] = Counter()
    for t, period in enumerate(periods):
        start, end = period_days(period)
        for p in persons:
            if p.on_record_since is not None and p.on_record_since >= end:
                continue
            if p.ended_on is not None and p.ended_on < end:
                continue
            unit = _child(code, p.area_code)
            counts[(unit, "persons", t)] += 1
            before = [d for d in reached.get(p.id, []) if d < end]
            due = max(before) + timedelta(days=p.k) if before else p.first_due
            ended = p.done is not None and p.done < end
            if (due is None or due < end) and not ended:
                counts[(unit, "overdue", t)] += 1
        for area, day, outcome in visits:
            if start <= day < end:
                unit = _child(code, area)
                counts[(unit, "visits", t)] += 1
                counts[(unit, outcome, t)] += 1
    keys = [key for key, _ in visit_history.FIGURES]
    units = {unit for unit, _, _ in counts}
    return {
        unit: {key: [counts[(unit, key, t)] for t in range(len(periods))] for key in keys}
        for unit in units
    }


def _figures(series: dict[str, Any]) -> dict[str, Any]:
    return {unit["code"]: unit["figures"] for unit in series["units"]}


def test_the_figures_are_those_of_a_count_person_by_person(
    county: tuple[Session, str], console_demo: ConsoleDemo
) -> None:
    session, code = county
    months = trends.window(console_demo.now, "month", 24)
    quarters = trends.window(console_demo.now, "quarter", 8)
    series = visit_history.visit_series(session, code, months, min_count=1)
    expected = _reference(session, code, months)
    assert _figures(series) == expected
    # not a comparison of empty counts: the register, visits of each outcome, the overdue
    totals = series["totals"]
    assert min(totals["persons"]) > 1000 and max(totals["overdue"]) > 0
    assert all(sum(totals[c]) > 0 for c, _ in OUTCOMES)
    assert totals["visits"] == [
        sum(units["visits"][t] for units in expected.values()) for t in range(len(months))
    ]
    assert _figures(visit_history.visit_series(session, code, quarters, min_count=1)) == (
        _reference(session, code, quarters)
    )
    township = max(expected, key=lambda unit: sum(expected[unit]["visits"]))
    assert _figures(visit_history.visit_series(session, township, months, min_count=1)) == (
        _reference(session, township, months)
    )


def test_a_second_read_is_not_counted_again_until_a_visit_or_person_changes(
    county: tuple[Session, str], console_demo: ConsoleDemo
) -> None:
    session, code = county
    months = trends.window(console_demo.now, "month", 6)
    first = visit_history.visit_series(session, code, months, min_count=1)
    counted = visit_history.SERIES.computations
    assert visit_history.visit_series(session, code, months, min_count=1) == first
    assert visit_history.SERIES.computations == counted
    # another min_count is another answer
    analyst = visit_history.visit_series(session, code, months, min_count=3)
    assert visit_history.SERIES.computations == counted + 1 and analyst["min_count"] == 3

    person = session.execute(
        text(
            "SELECT p.id, p.area_code FROM persons p JOIN visit_rules r"
            " ON r.category = p.category AND r.management_level = p.management_level"
            " WHERE p.ended_on IS NULL AND p.area_code > :code ORDER BY p.id LIMIT 1"
        ),
        {"code": code},
    ).one()
    last_day = period_days(months[-1])[1].toordinal() - 1
    session.execute(
        text(
            "INSERT INTO person_visits (person_id, area_code, visited_on, outcome)"
            " VALUES (:p, :a, :d, 'missing')"
        ),
        {"p": person.id, "a": person.area_code, "d": date.fromordinal(last_day)},
    )
    added = visit_history.visit_series(session, code, months, min_count=1)
    assert visit_history.SERIES.computations == counted + 2
    assert added["totals"]["missing"][-1] == first["totals"]["missing"][-1] + 1
    assert added["totals"]["visits"][-1] == first["totals"]["visits"][-1] + 1
    assert _figures(added) == _reference(session, code, months)

    # the visit corrected: 失联 becomes 见到本人
    session.execute(
        text("UPDATE person_visits SET outcome = 'met' WHERE person_id = :p AND visited_on = :d"),
        {"p": person.id, "d": date.fromordinal(last_day)},
    )
    corrected = visit_history.visit_series(session, code, months, min_count=1)
    assert visit_history.SERIES.computations == counted + 3
    assert corrected["totals"]["missing"][-1] == first["totals"]["missing"][-1]
    assert corrected["totals"]["met"][-1] == added["totals"]["met"][-1] + 1

    # the person leaves the register before the last period ends
    session.execute(
        text("UPDATE persons SET ended_on = :d WHERE id = :p"),
        {"p": person.id, "d": period_days(months[-1])[0]},
    )
    ended = visit_history.visit_series(session, code, months, min_count=1)
    assert visit_history.SERIES.computations == counted + 4
    assert ended["totals"]["persons"][-1] == first["totals"]["persons"][-1] - 1
    assert _figures(ended) == _reference(session, code, months)
