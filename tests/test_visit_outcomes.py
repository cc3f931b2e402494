"""A visit that did not find the person, and the end of a 社区矫正 (trial AW S2, S4).

Trial AW: a grid worker wrote 「上门未见到本人……人户分离……去向不明」 and the overdue vanished
from every count, and a 社区矫正人员 whose correction had ended stayed due to be visited. Only a
visit that reached the person (见到本人, 电话/视频联系) restarts the interval now, in the one
fragment the command KPIs, the trends and the visit list share (:mod:`layers.visits_due`); a
person whose latest visit found them 失联 is counted apart, and a correction that has ended is
neither due nor overdue but listed apart until struck off. Real PostGIS, each test rolled back.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from layers import command, trend_tables, visit_schedule, visits_due
from layers.china_time import CHINA
from layers.errors import Forbidden, InvalidInput
from layers.secrets import Keys, seal
from tests.migration_steps import migration_steps
from tests.workflow_data import (
    COUNTY,
    MENTAL_KEY_EVERY_14_DAYS,
    NOW,
    actor,
    ensure_world,
    grid,
    township,
    village,
)

V1 = village(100, 1)
KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
TODAY = NOW.astimezone(CHINA).date()


def _person(
    db: Session, n: int, category: str, attributes: dict[str, str], visits: list[tuple[int, str]]
) -> int:
    """Insert a key-level person of V1 on record since 2025 and their visits (days ago, outcome)."""
    pid = int(
        db.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, grid_code, residence, on_record_since)"
                " VALUES (:c, :name, :h, '5304**********0011', :s, 1, CAST(:attrs AS jsonb), :a,"
                " :g, ST_SetSRID(ST_MakePoint(102.505, 24.305), 4490), DATE '2025-01-01')"
                " RETURNING id"
            ),
            {
                "c": category,
                "name": f"测试人{n}",
                "h": n.to_bytes(32, "big"),
                "s": seal(KEYS, "530424198001010011"),
                "attrs": json.dumps(attributes),
                "a": V1,
                "g": grid(V1),
            },
        ).scalar_one()
    )
    for days_ago, outcome in visits:
        db.execute(
            text(
                "INSERT INTO person_visits (person_id, area_code, visited_on, outcome)"
                " VALUES (:p, :a, :d, :o)"
            ),
            {"p": pid, "a": V1, "d": TODAY - timedelta(days=days_ago), "o": outcome},
        )
    return pid


@pytest.fixture
def people(db: Session) -> dict[str, int]:
    """Persons of V1 on a 14-day (mental) and 7-day (correction) rule, visited as named."""
    ensure_world(db)
    db.execute(text(MENTAL_KEY_EVERY_14_DAYS))
    db.execute(
        text(
            "INSERT INTO visit_rules VALUES ('correction', 1, 7)"
            " ON CONFLICT (category, management_level) DO UPDATE SET interval_days = 7"
        )
    )
    ended = (TODAY - timedelta(days=10)).isoformat()
    ending = (TODAY + timedelta(days=5)).isoformat()
    return {
        # met 30 days ago, not found 2 days ago (人户分离): still overdue
        "absent": _person(db, 8101, "mental", {}, [(30, "met"), (2, "absent")]),
        # met 30 days ago, 失联 yesterday: overdue and flagged
        "missing": _person(db, 8102, "mental", {}, [(30, "met"), (1, "missing")]),
        # reached by phone 3 days ago: not due
        "phoned": _person(db, 8103, "mental", {}, [(3, "contacted")]),
        # a correction ended 10 days ago, never visited: neither due nor overdue
        "ended": _person(db, 8104, "correction", {"end_date": ended}, []),
        # a correction ending in 5 days, never visited: overdue, and told the end is near
        "ending": _person(db, 8105, "correction", {"end_date": ending}, []),
    }


def test_a_visit_that_found_nobody_leaves_the_person_overdue_in_every_count(
    db: Session, people: dict[str, int]
) -> None:
    overdue = {people["absent"], people["missing"], people["ending"]}
    feed = command.feed(db, township(), actor=actor("dispatcher", township()), now=NOW)
    assert feed["unit"]["kpis"]["overdue_visits"] == len(overdue)
    follow_up = trend_tables.overdue_visits(db, COUNTY, now=NOW, min_count=1)
    assert (follow_up["total"], follow_up["overdue"]) == (len(people), len(overdue))
    listed = visit_schedule.due_persons(db, scope_code=COUNTY, today=TODAY, status="all")
    rows = {p.id: p for p in listed.persons}
    assert {pid for pid, p in rows.items() if p.overdue} == overdue
    assert (listed.overdue, listed.missing, listed.correction_over) == (3, 1, 1)
    # the interval runs from the last visit that reached the person; the card says the other
    absent = rows[people["absent"]]
    assert absent.last_visit == TODAY - timedelta(days=30)
    assert absent.latest_visit == TODAY - timedelta(days=2)
    day = TODAY - timedelta(days=2)
    assert absent.notices == [f"最近一次走访（{day:%m-%d}）未见到本人：人户分离"]
    assert rows[people["missing"]].notices[0].endswith("失联：去向不明")
    assert rows[people["phoned"]].overdue is False and rows[people["phoned"]].notices == []
    # the township's 失联 list
    flagged = visit_schedule.due_persons(db, scope_code=COUNTY, today=TODAY, status="missing")
    assert [p.id for p in flagged.persons] == [people["missing"]]


def test_an_ended_correction_is_listed_apart_and_one_ending_says_so(
    db: Session, people: dict[str, int]
) -> None:
    due = visit_schedule.due_persons(db, scope_code=COUNTY, today=TODAY, status="due")
    assert people["ended"] not in {p.id for p in due.persons}
    over = visit_schedule.due_persons(db, scope_code=COUNTY, today=TODAY, status="correction_over")
    assert [p.id for p in over.persons] == [people["ended"]]
    ended = over.persons[0]
    assert ended.overdue is False and ended.correction_over is True
    end = TODAY - timedelta(days=10)
    assert ended.notices == [f"矫正期已满（{end.isoformat()}），请办理解除矫正"]
    ending = next(p for p in due.persons if p.id == people["ending"])
    end = TODAY + timedelta(days=5)
    assert ending.overdue is True
    assert ending.notices == [f"矫正期满还有 5 天（{end.isoformat()}）"]
    # the SQL rule and the Python one agree on the day itself and the day after
    for days in (0, -1, 1):
        day = TODAY + timedelta(days=days)
        db.execute(
            text("UPDATE persons SET attributes = CAST(:a AS jsonb) WHERE id = :p"),
            {"a": json.dumps({"end_date": day.isoformat()}), "p": people["ended"]},
        )
        row = next(
            p
            for p in visit_schedule.due_persons(
                db, scope_code=COUNTY, today=TODAY, status="all"
            ).persons
            if p.id == people["ended"]
        )
        notice = visits_due.correction_notice(day, TODAY)
        assert row.correction_over is (notice is not None and notice.startswith("矫正期已满"))


def _worker(db: Session, home_grid: str | None) -> int:
    return int(
        db.execute(
            text(
                "INSERT INTO workers (name, role, home_grid, area_code, status)"
                " VALUES ('走访测试员', 'grid_worker', :g, :a, 'on_duty') RETURNING id"
            ),
            {"g": home_grid, "a": V1},
        ).scalar_one()
    )


def test_only_a_visit_that_reached_the_person_moves_the_due_day(
    db: Session, people: dict[str, int]
) -> None:
    worker = _worker(db, grid(V1))
    pid = people["absent"]
    before = visit_schedule.due_persons(db, scope_code=COUNTY, today=TODAY, status="all")
    due_on = next(p.due_on for p in before.persons if p.id == pid)
    assert due_on == TODAY - timedelta(days=16)
    missed = visit_schedule.record_visit(
        db, person_id=pid, visitor_id=worker, visited_on=TODAY, today=TODAY, outcome="missing"
    )
    assert (missed.due_moved, missed.due_on, missed.outcome) == (False, due_on, "missing")
    assert missed.notice == (
        f"失联（去向不明），仍按原应访日期 {due_on.isoformat()} 计，已逾期 16 天；"
        "已列入乡镇（街道）的失联名单"
    )
    # the same day, met after all: the visit says so, and the due day moves
    met = visit_schedule.record_visit(
        db, person_id=pid, visitor_id=worker, visited_on=TODAY, today=TODAY, outcome="met"
    )
    assert (met.id, met.already, met.due_moved, met.notice) == (missed.id, True, True, None)
    assert met.due_on == TODAY + timedelta(days=14)
    with pytest.raises(InvalidInput, match="走访结果无效"):
        visit_schedule.record_visit(
            db, person_id=pid, visitor_id=worker, visited_on=TODAY, today=TODAY, outcome="x"
        )


def test_a_grid_worker_records_visits_of_the_persons_he_follows_only(
    db: Session, people: dict[str, int]
) -> None:
    elsewhere = _worker(db, None)  # no home grid, named for nobody
    with pytest.raises(Forbidden) as refused:
        visit_schedule.record_visit(
            db,
            person_id=people["absent"],
            visitor_id=elsewhere,
            visited_on=TODAY,
            today=TODAY,
            role="grid_worker",
        )
    assert str(refused.value) == visits_due.NOT_FOLLOWED
    # named responsible: his to visit
    db.execute(
        text(
            "INSERT INTO person_responsibles (person_id, worker_id, area_code, duty)"
            " VALUES (:p, :w, :a, '帮扶责任人')"
        ),
        {"p": people["absent"], "w": elsewhere, "a": V1},
    )
    visit = visit_schedule.record_visit(
        db,
        person_id=people["absent"],
        visitor_id=elsewhere,
        visited_on=TODAY,
        today=TODAY,
        role="grid_worker",
    )
    assert visit.due_moved is True
    # a township's operator linked to a worker record visits anyone of the scope
    visit_schedule.record_visit(
        db,
        person_id=people["missing"],
        visitor_id=elsewhere,
        visited_on=TODAY,
        today=TODAY,
        role="dispatcher",
    )


def test_the_migration_counts_every_earlier_visit_as_met(
    db: Session, people: dict[str, int]
) -> None:
    visits = text("SELECT outcome FROM person_visits WHERE person_id = :p ORDER BY visited_on")
    with migration_steps(db, "0038_visit_outcome.py") as (module, conn):
        module.downgrade()
        conn.execute(
            text(
                "INSERT INTO person_visits (person_id, area_code, visited_on) VALUES (:p, :a, :d)"
            ),
            {"p": people["ended"], "a": V1, "d": TODAY},
        )
        module.upgrade()
        assert conn.execute(visits, {"p": people["ended"]}).scalars().all() == ["met"]
        assert conn.execute(visits, {"p": people["absent"]}).scalars().all() == ["met", "met"]
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(
                text(
                    "INSERT INTO person_visits (person_id, area_code, visited_on, outcome)"
                    " VALUES (:p, :a, :d, 'elsewhere')"
                ),
                {"p": people["ended"], "a": V1, "d": TODAY},
            )
