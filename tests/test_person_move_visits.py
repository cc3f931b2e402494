"""A person who moves to another township takes their 走访 history along (migration 0043).

A visit keeps the unit the person lived in when it was made, and row-level security read it
there only: the township a person moved to saw none of the visits made before the move (their
last visit gone from its 走访 list, the person overdue since the day put on record in its
counts and the command feed, their history and its photo empty), while the township they left
still held the visits of someone it no longer follows. Now the visits are read wherever their
person is (their clear record naming the old township's worker with his village), and the
trends page's 走访逐期统计 counts each visit where it was made: the old township keeps the work it
did, and sees nothing of the person.

The world: 甲 (精神障碍, 重点管控: every 14 days) of 镇100 met on 20 October and phoned on
13 November (with a photo) there, then moved to 镇200 on 16 November, where a visit on
21 November found nobody (人户分离). Today is 23 November: the last visit that reached 甲 was
on the 13th, the next is due on the 27th, 甲 is not overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import (
    command,
    disclosure,
    trend_tables,
    trends,
    visit_history,
    visit_photos,
    visit_schedule,
)
from layers.accounts import Reader
from layers.china_time import CHINA
from layers.database import apply_scope
from layers.errors import NotFound
from layers.secrets import Keys, seal
from tests.migration_steps import function_executors, migration_steps
from tests.workflow_data import (
    COUNTY,
    MENTAL_KEY_EVERY_14_DAYS,
    NOW,
    actor,
    add_user,
    add_worker,
    ensure_world,
    grid,
    township,
    village,
    village_centre,
)

TODAY = NOW.astimezone(CHINA).date()  # 2026-11-23
OLD_TOWN, NEW_TOWN = township(100), township(200)
OLD_VILLAGE, NEW_VILLAGE = village(100, 1), village(200, 2)
LAST_REACHED = date(2026, 11, 13)
DUE_ON = date(2026, 11, 27)
MONTHS = trends.periods_ending(datetime(2026, 12, 2, tzinfo=UTC), "month", 2)  # Oct, Nov
KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)


@dataclass(frozen=True)
class Moved:
    """The moved person, their visits made before the move and the one after it."""

    person: int
    before: tuple[int, int]
    after: int


def _visit(db: Session, person: int, area: str, day: date, outcome: str, visitor: int) -> int:
    return int(
        db.execute(
            text(
                "INSERT INTO person_visits (person_id, area_code, visited_on, outcome, visitor_id)"
                " VALUES (:p, :a, :d, :o, :w) RETURNING id"
            ),
            {"p": person, "a": area, "d": day, "o": outcome, "w": visitor},
        ).scalar_one()
    )


def _worker(db: Session, area: str, name: str) -> int:
    lon, lat = village_centre(area)
    return add_worker(db, area_code=area, lon=lon, lat=lat, home_grid=grid(area), name=name)


@pytest.fixture
def moved(db: Session) -> Moved:
    ensure_world(db)
    db.execute(text(MENTAL_KEY_EVERY_14_DAYS))
    person = int(
        db.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, grid_code, residence,"
                " on_record_since) VALUES ('mental', '甲', :h, '5304**********002X', :s, 1,"
                " '{}', :a, :g, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490),"
                " DATE '2026-01-01') RETURNING id"
            ),
            {
                "h": (4300).to_bytes(32, "big"),
                "s": seal(KEYS, "530424198001010029"),
                "a": OLD_VILLAGE,
                "g": grid(OLD_VILLAGE),
                "lon": village_centre(OLD_VILLAGE)[0],
                "lat": village_centre(OLD_VILLAGE)[1],
            },
        ).scalar_one()
    )
    old_worker = _worker(db, OLD_VILLAGE, "李走访")
    met = _visit(db, person, OLD_VILLAGE, date(2026, 10, 20), "met", old_worker)
    phoned = _visit(db, person, OLD_VILLAGE, LAST_REACHED, "contacted", old_worker)
    db.execute(
        text(
            "INSERT INTO visit_photos (visit_id, person_id, area_code, width, height, content,"
            " thumbnail) VALUES (:v, :p, :a, 1, 1, '\\x00', '\\x00')"
        ),
        {"v": phoned, "p": person, "a": OLD_VILLAGE},
    )
    # moved by the county (a roster, a registration after 迁出): place and grid change
    db.execute(
        text(
            "UPDATE persons SET area_code = :a, grid_code = :g,"
            " residence = ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) WHERE id = :p"
        ),
        {
            "a": NEW_VILLAGE,
            "g": grid(NEW_VILLAGE),
            "lon": village_centre(NEW_VILLAGE)[0],
            "lat": village_centre(NEW_VILLAGE)[1],
            "p": person,
        },
    )
    absent = _visit(
        db, person, NEW_VILLAGE, date(2026, 11, 21), "absent", _worker(db, NEW_VILLAGE, "王新")
    )
    return Moved(person, (met, phoned), absent)


def _as(db: Session, code: str) -> None:
    """Read on as the app role scoped to ``code`` (row-level security)."""
    db.execute(text("RESET ROLE"))
    apply_scope(db, code, set_role=True)


def _schedule(db: Session, code: str) -> list[visit_schedule.DuePerson]:
    return visit_schedule.due_persons(db, scope_code=code, today=TODAY, status="all").persons


def _overdue_kpi(db: Session, code: str) -> int:
    kpis = command.feed(db, code, actor=actor("commander", code), now=NOW)["unit"]["kpis"]
    return int(kpis["overdue_visits"])


def test_the_new_township_reads_the_whole_history_and_the_old_one_its_own_work(
    db: Session, moved: Moved
) -> None:
    commander = add_user(db, username="cmd-200-unmask", role="commander", scope_code=NEW_TOWN)
    _as(db, NEW_TOWN)
    (listed,) = _schedule(db, NEW_TOWN)
    assert (listed.id, listed.last_visit, listed.due_on, listed.overdue) == (
        moved.person,
        LAST_REACHED,
        DUE_ON,
        False,
    )
    assert listed.last_visit_photos == 1
    assert listed.notices == ["最近一次走访（11-21）未见到本人：人户分离"]
    assert _overdue_kpi(db, NEW_TOWN) == 0
    by_grid = trend_tables.overdue_visits(db, NEW_TOWN, now=NOW, min_count=1)
    assert (by_grid["total"], by_grid["overdue"]) == (1, 0)
    reader = Reader(0, "disp-200", "dispatcher", NEW_TOWN, False)
    history = visit_photos.visit_list(db, moved.person, reader=reader)
    assert [(v["id"], v["photos"]) for v in history] == [
        (moved.after, 0),
        (moved.before[1], 1),  # the old township's photo came along
        (moved.before[0], 0),
    ]
    # the clear record names the old township's worker, with the village he visited in
    clear = disclosure.unmask_person(
        db,
        Reader(commander, "cmd-200-unmask", "commander", NEW_TOWN, True),
        moved.person,
        reason="核实迁入人员走访情况",
        keys=KEYS,
    )
    assert [(v.id, v.visitor, len(v.photos)) for v in clear.visits] == [
        (moved.after, "王新", 0),
        (moved.before[1], "李走访（村100-1）", 1),
        (moved.before[0], "李走访（村100-1）", 0),
    ]
    # reading is all it gained: the old township's visits are still written there only
    corrected = db.execute(
        text("UPDATE person_visits SET note = '补记' WHERE person_id = :p"), {"p": moved.person}
    )
    assert corrected.rowcount == 1

    _as(db, OLD_TOWN)
    assert _schedule(db, OLD_TOWN) == []
    assert _overdue_kpi(db, OLD_TOWN) == 0
    with pytest.raises(NotFound):
        visit_photos.visit_list(db, moved.person, reader=reader)
    kept = db.execute(
        text("SELECT id FROM person_visits WHERE person_id = :p ORDER BY id"),
        {"p": moved.person},
    ).scalars()
    assert tuple(kept) == moved.before  # its own records of the work it did, no more

    _as(db, COUNTY)
    (county,) = _schedule(db, COUNTY)
    assert (county.last_visit, county.due_on, county.overdue) == (LAST_REACHED, DUE_ON, False)
    assert _overdue_kpi(db, COUNTY) == 0


def test_each_township_counts_the_visits_it_made_and_the_persons_it_follows(
    db: Session, moved: Moved
) -> None:
    def figures(code: str) -> dict[str, dict[str, list[int | None]]]:
        _as(db, code)
        body = visit_history.visit_series(db, code, MONTHS, min_count=1)
        assert [p["key"] for p in body["periods"]] == ["2026-10", "2026-11"]
        return {u["code"]: u["figures"] for u in body["units"]}

    keys = ("persons", "visits", "met", "contacted", "absent", "overdue")
    old = figures(OLD_TOWN)
    assert {k: old[OLD_VILLAGE][k] for k in keys} == {
        "persons": [0, 0],  # 甲 is followed in 镇200 now, as far as the figures know
        "visits": [1, 1],
        "met": [1, 0],
        "contacted": [0, 1],
        "absent": [0, 0],
        "overdue": [0, 0],
    }
    new = figures(NEW_TOWN)
    assert {k: new[NEW_VILLAGE][k] for k in keys} == {
        "persons": [1, 1],
        "visits": [0, 1],
        "met": [0, 0],
        "contacted": [0, 0],
        "absent": [0, 1],
        # at October's end the visit of 20 October (made in 镇100) held; at November's end
        # the call of the 13th was 18 days old
        "overdue": [0, 1],
    }
    county = figures(COUNTY)
    assert county[OLD_TOWN]["visits"] == [1, 1] and county[NEW_TOWN]["visits"] == [0, 1]
    assert county[NEW_TOWN]["overdue"] == [0, 1] and county[OLD_TOWN]["persons"] == [0, 0]


def test_migration_0043_downgrades_to_the_visits_of_the_scope_and_upgrades(
    db: Session, moved: Moved
) -> None:
    def seen_from_new_township() -> tuple[date | None, date | None, bool, int]:
        _as(db, NEW_TOWN)
        (person,) = _schedule(db, NEW_TOWN)
        photos = db.scalar(
            text("SELECT count(*) FROM visit_photos WHERE person_id = :p"), {"p": moved.person}
        )
        db.execute(text("RESET ROLE"))
        return person.last_visit, person.due_on, person.overdue, int(photos or 0)

    assert seen_from_new_township() == (LAST_REACHED, DUE_ON, False, 1)
    # the app role may run it, no other role
    assert function_executors(db, "zongzhi_visitors_of") == [True, False]
    with migration_steps(db, "0043_visits_follow_their_person.py") as (module, _conn):
        module.downgrade()
        # the visits before the move were out of sight: overdue since the day put on record
        assert seen_from_new_township() == (None, date(2026, 1, 15), True, 0)
        assert function_executors(db, "zongzhi_visitors_of") == []
        module.upgrade()
        assert seen_from_new_township() == (LAST_REACHED, DUE_ON, False, 1)
        assert function_executors(db, "zongzhi_visitors_of") == [True, False]
