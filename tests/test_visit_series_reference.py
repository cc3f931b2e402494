"""The 走访逐期统计 reads each person once and gives the figures the per-period statement gave.

:func:`layers.visit_history.visit_series` joined every person to every period and, per person
and period, probed the index for their last visit that reached them before the period's end
(88,229 probes for a county's 24 months on a scale-2 demo). It now reads each person's visits
once and counts ranges of periods. That statement, as it was, is kept here as the reference:
on a world of edge cases (visits on a period's first and last day, persons put on record or
leaving the register mid-period and on its edges, a 社区矫正 whose end passes, a person who
moved villages and townships, persons of no rule) and of persons drawn at random, both give the
same counts for every unit and period, by month and by quarter, as the owner and under
row-level security.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import trends, visit_history, visits_due
from layers.database import apply_scope
from layers.trends import Period, child_key_sql
from layers.visit_history import OUTCOMES, period_days
from tests.workflow_data import (
    COUNTY,
    MENTAL_KEY_EVERY_14_DAYS,
    NOW,
    ensure_world,
    township,
    village,
)

TOWN, OTHER_TOWN = township(300), township(400)
V1, V2, V3 = village(300, 1), village(300, 2), village(400, 1)
MONTHS = trends.window(NOW, "month", 10, end="2026-10")  # January to October 2026
QUARTERS = trends.window(NOW, "quarter", 4, end="2026Q3")  # 2025Q4 to 2026Q3
ONE_MONTH = trends.window(NOW, "month", 1, end="2026-09")
D = date.fromisoformat

# name, area, category, level, on record since, ended on, 矫正结束日期, visits (day, outcome, area)
EDGES: list[tuple[str, str, str, int, date | None, date | None, str | None, list[Any]]] = [
    # visits on August's last day and September's first: each counts in its own month
    ("月末月初", V1, "mental", 1, D("2026-06-01"), None, None,
     [("2026-08-31", "met", V1), ("2026-09-01", "contacted", V1), ("2026-09-30", "met", V1)]),
    # on record mid-August, on August's last day, on September's first day
    ("月中在册", V1, "mental", 1, D("2026-08-15"), None, None, []),
    ("月末在册", V1, "mental", 1, D("2026-08-31"), None, None, [("2026-09-20", "met", V1)]),
    ("月初在册", V2, "mental", 1, D("2026-09-01"), None, None, []),
    # leaving mid-September, on its last day, on October's first day
    ("月中注销", V1, "drug", 1, D("2025-01-01"), D("2026-09-15"), None,
     [("2026-07-01", "met", V1)]),
    ("月末注销", V2, "drug", 1, D("2025-01-01"), D("2026-09-30"), None, []),
    ("月初注销", V2, "drug", 1, D("2025-01-01"), D("2026-10-01"), None,
     [("2026-09-30", "absent", V2)]),
    # 矫正 ending mid-August, on its last day, after the window, and a day not written as one
    ("矫正期满", V1, "correction", 1, D("2026-01-10"), None, "2026-08-14",
     [("2026-03-02", "met", V1)]),
    ("矫正月末", V2, "correction", 1, D("2026-01-10"), None, "2026-08-31", []),
    ("矫正未满", V2, "correction", 2, D("2026-01-10"), None, "2027-03-01",
     [("2026-05-05", "contacted", V2), ("2026-05-05", "met", V2)]),
    ("矫正日期不明", V1, "correction", 1, D("2026-02-01"), None, "2026年8月", []),
    # moved from 村300-1 to 村300-2 in May and to 镇400 in August: the visits before stay
    # with the units that made them, the person is counted where they are now
    ("迁移", V3, "mental", 1, D("2025-12-01"), None, None,
     [("2026-03-10", "met", V1), ("2026-05-20", "contacted", V2), ("2026-08-25", "absent", V3),
      ("2026-09-03", "met", V3)]),
    # on record since an unknown day, never reached (only 失联 and 人户分离)
    ("日期不明", V2, "released", 1, None, None, None,
     [("2026-04-01", "missing", V2), ("2026-06-01", "absent", V2)]),
    # a visit before being put on record is their last, not the day put on record
    ("先访后册", V1, "youth", 1, D("2026-07-01"), None, None, [("2024-03-01", "met", V1)]),
    # on record after the window, with visits in it; gone before it, with visits before
    ("窗口后在册", V2, "mental", 2, D("2026-11-02"), None, None, [("2026-10-12", "met", V2)]),
    ("窗口前注销", V1, "mental", 2, D("2024-01-01"), D("2025-06-30"), None,
     [("2025-03-01", "met", V1)]),
    # on the township itself, visited after the window only
    ("本级", TOWN, "aids_risk", 1, D("2025-01-01"), None, None, [("2026-11-05", "met", TOWN)]),
    # a category and level with no rule: on no count of the register
    ("无规则", V1, "youth", 3, D("2025-01-01"), None, None, [("2026-02-02", "met", V1)]),
]  # fmt: skip


def _reference_rows(session: Session, code: str, periods: tuple[Period, ...]) -> list[Any]:
    """The statement visit_series ran before (commit 8c89273), as it was."""
    lo, hi = scope_range(code)
    starts = [period_days(p)[0] for p in periods]
    ends = [period_days(p)[1] for p in periods]
    reached = ", ".join(f"'{c}'" for c in visits_due.REACHED)
    outcome_counts = ", ".join(
        f"count(*) FILTER (WHERE pv.outcome = '{c}') AS {c}" for c, _ in OUTCOMES
    )
    return list(
        session.execute(
            text(
                "WITH t AS (SELECT i, s, e FROM unnest(CAST(:starts AS date[]),"
                "  CAST(:ends AS date[])) WITH ORDINALITY AS x(s, e, i)),"
                " p AS (SELECT id, category, management_level, attributes, on_record_since,"
                f"  ended_on, {child_key_sql(code)} AS unit FROM persons"
                "  WHERE area_code >= :lo AND area_code < :hi),"
                " reg AS (SELECT t.i, p.unit, count(*) AS persons,"
                "  count(*) FILTER (WHERE coalesce(lv.last, p.on_record_since, DATE '-infinity')"
                f"   + r.interval_days < t.e AND NOT coalesce({visits_due.CORRECTION_END} < t.e,"
                "   false)) AS overdue"
                "  FROM t JOIN p ON coalesce(p.on_record_since < t.e, true)"
                "   AND (p.ended_on IS NULL OR p.ended_on >= t.e)"
                "  JOIN visit_rules r ON r.category = p.category"
                "   AND r.management_level = p.management_level"
                "  LEFT JOIN LATERAL (SELECT pv.visited_on AS last FROM person_visits pv"
                f"   WHERE pv.person_id = p.id AND pv.outcome IN ({reached})"
                "   AND pv.visited_on < t.e ORDER BY pv.visited_on DESC LIMIT 1) lv ON true"
                "  GROUP BY 1, 2),"
                f" vis AS (SELECT t.i, pv.unit, count(*) AS visits, {outcome_counts}"
                f"  FROM (SELECT visited_on, outcome, {child_key_sql(code)} AS unit"
                "   FROM person_visits WHERE area_code >= :lo AND area_code < :hi"
                "   AND visited_on >= :first AND visited_on < :last) pv"
                "  JOIN t ON t.i = width_bucket(pv.visited_on, CAST(:starts AS date[]))"
                "  GROUP BY 1, 2)"
                " SELECT i, unit, coalesce(reg.persons, 0) AS persons,"
                " coalesce(reg.overdue, 0) AS overdue, coalesce(vis.visits, 0) AS visits, "
                + ", ".join(f"coalesce(vis.{c}, 0) AS {c}" for c, _ in OUTCOMES)
                + " FROM reg FULL JOIN vis USING (i, unit)"
            ),
            {
                "starts": starts,
                "ends": ends,
                "lo": lo,
                "hi": hi,
                "unit": code,
                "first": starts[0],
                "last": ends[-1],
            },
        ).all()
    )


def _counts(rows: list[Any]) -> set[tuple[int | str, ...]]:
    keys = ("persons", "overdue", "visits", *(c for c, _ in OUTCOMES))
    return {(int(r.i), str(r.unit), *(int(getattr(r, k)) for k in keys)) for r in rows}


def _random_persons(seed: int, n: int) -> list[Any]:
    """Persons drawn at random around the window, in three villages and the township."""
    rng = random.Random(seed)
    areas = [V1, V2, V3, TOWN]
    categories = ["mental", "correction", "drug", "released", "youth", "aids_risk"]
    outcomes = [c for c, _ in OUTCOMES]
    persons = []
    for k in range(n):
        area = rng.choice(areas)
        category = rng.choice(categories)
        since = None if rng.random() < 0.1 else D("2025-06-01") + timedelta(rng.randrange(560))
        ended = D("2025-09-01") + timedelta(rng.randrange(450)) if rng.random() < 0.2 else None
        end = None
        if category == "correction":
            end = str(D("2025-10-01") + timedelta(rng.randrange(500)))
        visits = []
        day = D("2025-08-01") + timedelta(rng.randrange(60))
        while day < D("2026-11-20"):
            moved = rng.random() < 0.05
            visits.append((str(day), rng.choice(outcomes), rng.choice(areas) if moved else area))
            day += timedelta(rng.choice([0, 1, 7, 14, 29, 30, 31, 45, 60, 92]))
        persons.append((f"随机{k}", area, category, rng.randint(1, 3), since, ended, end, visits))
    return persons


def _world(session: Session) -> None:
    ensure_world(session)
    session.execute(text(MENTAL_KEY_EVERY_14_DAYS))
    session.execute(
        text("DELETE FROM visit_rules WHERE category = 'youth' AND management_level = 3")
    )
    visits: list[dict[str, Any]] = []
    for k, (name, area, category, level, since, ended, end, days) in enumerate(
        EDGES + _random_persons(47, 160)
    ):
        pid = session.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, on_record_since, ended_on) VALUES"
                " (:c, :name, :h, '5304**********001X', 'sealed', :l, :attrs, :a, :since,"
                " :ended) RETURNING id"
            ),
            {
                "c": category,
                "name": name,
                "h": (470000 + k).to_bytes(32, "big"),
                "l": level,
                "attrs": json.dumps({"end_date": end} if end else {}),
                "a": area,
                "since": since,
                "ended": ended,
            },
        ).scalar_one()
        visits += [{"p": pid, "d": D(d), "o": o, "a": a} for d, o, a in days]
    session.execute(
        text(
            "INSERT INTO person_visits (person_id, area_code, visited_on, outcome)"
            " VALUES (:p, :a, :d, :o)"
        ),
        visits,
    )


def _same(session: Session, code: str, periods: tuple[Period, ...]) -> set[Any]:
    reference = _counts(_reference_rows(session, code, periods))
    assert _counts(list(visit_history._series_rows(session, code, periods))) == reference
    return reference


def test_the_counts_are_those_of_the_statement_per_person_and_period(db: Session) -> None:
    _world(db)
    county = _same(db, COUNTY, MONTHS)
    # the comparison is not between empty tables: both townships, overdue and not, visits
    # of each outcome, a month with someone on the register and no visit
    assert {row[1] for row in county} == {TOWN, OTHER_TOWN}
    assert all(sum(row[k] for row in county) > 0 for k in range(2, 9))
    assert any(row[2] > row[3] > 0 for row in county)
    for code in (TOWN, OTHER_TOWN, V1, V2):
        _same(db, code, MONTHS)
        _same(db, code, QUARTERS)
    _same(db, COUNTY, QUARTERS)
    _same(db, COUNTY, ONE_MONTH)


def test_the_counts_are_the_same_under_row_level_security(db: Session) -> None:
    _world(db)
    for code in (OTHER_TOWN, TOWN):
        db.execute(text("RESET ROLE"))
        apply_scope(db, code, set_role=True)
        # 镇400 reads the visits its moved person had in 镇300; 镇300 does not read the person
        _same(db, code, MONTHS)
        _same(db, code, QUARTERS)
