"""A case's events and photos are tested against the reader's unit before their case (0044).

0013 and 0036 let a case event and a case photo be read wherever their case is read (a moved
case keeps its history), with a policy that only probed the case; PostgreSQL ORs it before the
policy of the scope, so every row of the reader's own unit looked its case up. 0044 tests the
row's own unit first. What may be read is the same before and after: a moved case's events and
photo are read by the unit it moved to, the unit it left reads the events it made, and a unit
that reads neither the row nor its case reads nothing.

The world: case 甲 registered in 村100-1 with a 处置反馈 and its photo there, then moved to
村200-2 (a re-division) where it was 区划网格调整; case 乙 stays in 村100-1.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.database import apply_scope
from tests.migration_steps import migration_steps
from tests.workflow_data import (
    COUNTY,
    actor,
    ensure_world,
    hazard_at_centre,
    township,
    village,
)

OLD_TOWN, NEW_TOWN, ELSEWHERE = township(100), township(200), township(300)
OLD_VILLAGE, NEW_VILLAGE = village(100, 1), village(200, 2)
DESK = actor("dispatcher", OLD_TOWN)
MIGRATION = "0044_case_reads_own_unit_first.py"
Scoped = Callable[[str], None]


@dataclass(frozen=True)
class Cases:
    """The moved case, the one that stayed, and the events of each."""

    moved: int
    stayed: int
    before_move: tuple[int, ...]
    after_move: int
    stayed_events: tuple[int, ...]


def _event(db: Session, case: int, area: str, action: str) -> int:
    return int(
        db.execute(
            text(
                "INSERT INTO case_events (case_id, area_code, actor_name, action, note)"
                " VALUES (:c, :a, '测试员', :action, '测试') RETURNING id"
            ),
            {"c": case, "a": area, "action": action},
        ).scalar_one()
    )


def _events_of(db: Session, case: int) -> tuple[int, ...]:
    ids = db.execute(
        text("SELECT id FROM case_events WHERE case_id = :c ORDER BY id"), {"c": case}
    ).scalars()
    return tuple(ids)


@pytest.fixture
def world(db: Session) -> Cases:
    ensure_world(db)
    moved = hazard_at_centre(db, DESK, OLD_VILLAGE, "井盖缺失").id
    stayed = hazard_at_centre(db, DESK, OLD_VILLAGE, "路灯不亮").id
    feedback = _event(db, moved, OLD_VILLAGE, "feedback")
    db.execute(
        text(
            "INSERT INTO case_photos (case_id, event_id, area_code, width, height, content,"
            " thumbnail) VALUES (:c, :e, :a, 1, 1, '\\x00', '\\x00')"
        ),
        {"c": moved, "e": feedback, "a": OLD_VILLAGE},
    )
    before = _events_of(db, moved)
    db.execute(
        text("UPDATE cases SET area_code = :a WHERE id = :c"), {"a": NEW_VILLAGE, "c": moved}
    )
    after = _event(db, moved, NEW_VILLAGE, "rehomed")
    return Cases(moved, stayed, before, after, _events_of(db, stayed))


@pytest.fixture
def as_unit(db: Session) -> Iterator[Scoped]:
    """Read as the app role scoped to a unit; the role is reset when the test ends."""

    def scoped(code: str) -> None:
        db.execute(text("RESET ROLE"))
        apply_scope(db, code, set_role=True)

    yield scoped
    db.execute(text("RESET ROLE"))


def _read(db: Session, world: Cases) -> tuple[tuple[int, ...], int]:
    """The events of both cases the reader reads, and the photos of the moved one."""
    ids = [world.moved, world.stayed]
    events = db.execute(
        text("SELECT id FROM case_events WHERE case_id = ANY(:ids) ORDER BY id"), {"ids": ids}
    ).scalars()
    photos = db.scalar(
        text("SELECT count(*) FROM case_photos WHERE case_id = :c"), {"c": world.moved}
    )
    return tuple(events), int(photos or 0)


def _case_probes(db: Session, table: str, world: Cases) -> int:
    """How many times reading ``table``'s rows of both cases looked a case up (EXPLAIN ANALYZE)."""
    plan = db.scalar(
        text(
            f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT JSON) SELECT id FROM {table}"
            " WHERE case_id = ANY(:ids)"
        ),
        {"ids": [world.moved, world.stayed]},
    )
    nodes = [(json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]]
    probes = 0
    while nodes:
        node = nodes.pop()
        if node.get("Relation Name") == "cases":
            probes += int(node["Actual Loops"])
        nodes.extend(node.get("Plans", []))
    return probes


def _reads_by_unit(
    db: Session, world: Cases, as_unit: Scoped
) -> dict[str, tuple[tuple[int, ...], int]]:
    seen = {}
    for code in (NEW_TOWN, OLD_TOWN, ELSEWHERE, COUNTY):
        as_unit(code)
        seen[code] = _read(db, world)
    db.execute(text("RESET ROLE"))
    return seen


def test_a_moved_cases_events_and_photo_are_read_by_its_new_unit_and_no_stranger(
    db: Session, world: Cases, as_unit: Scoped
) -> None:
    everything = tuple(sorted((*world.before_move, world.after_move, *world.stayed_events)))
    expected = {
        # the whole history of the case it holds now, none of the case that stayed
        NEW_TOWN: ((*world.before_move, world.after_move), 1),
        # the events it made (of both cases), not the moved case's after the move
        OLD_TOWN: (tuple(sorted((*world.before_move, *world.stayed_events))), 1),
        ELSEWHERE: ((), 0),
        COUNTY: (everything, 1),
    }
    assert _reads_by_unit(db, world, as_unit) == expected
    with migration_steps(db, MIGRATION) as (module, _conn):
        module.downgrade()  # 0013's and 0036's policies read the same rows
        assert _reads_by_unit(db, world, as_unit) == expected
        module.upgrade()
        assert _reads_by_unit(db, world, as_unit) == expected


def test_only_the_rows_outside_the_readers_unit_look_their_case_up(
    db: Session, world: Cases, as_unit: Scoped
) -> None:
    rows = len(world.before_move) + 1 + len(world.stayed_events)

    def probes() -> dict[str, tuple[int, int]]:
        found = {}
        for code in (OLD_TOWN, NEW_TOWN, COUNTY):
            as_unit(code)
            found[code] = (
                _case_probes(db, "case_events", world),
                _case_probes(db, "case_photos", world),
            )
        db.execute(text("RESET ROLE"))
        return found

    assert probes() == {
        OLD_TOWN: (1, 0),  # the moved case's event after the move only
        NEW_TOWN: (rows - 1, 1),  # every event and the photo made in 镇100
        COUNTY: (0, 0),
    }
    with migration_steps(db, MIGRATION) as (module, _conn):
        module.downgrade()  # every row looked its case up, the reader's own ones too
        assert probes() == {OLD_TOWN: (rows, 1), NEW_TOWN: (rows, 1), COUNTY: (rows, 1)}
