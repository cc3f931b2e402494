"""催办 and 派单说明 on the lists of those who hold the case (layers.case_reminders).

A 催办 keeps the case's state, so the township or the worker it pressed saw nothing of it on
their queue or on 我的任务; the dispatcher's note was on the case's page alone (trial Z).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from layers import case_reminders, cases, command, workflow
from layers.model import Case
from tests.test_workflow import _worker_actor
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_worker,
    ensure_world,
    township,
    village,
    village_centre,
)

NOTE = "请先联系物业，带上卷尺"


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _act(db: Session, case: Case, action: str, who: workflow.Actor, **kw: Any) -> Case:
    return cases.act(db, case.id, action, actor=who, now=NOW, expected_version=case.version, **kw)


def _registered(db: Session) -> Case:
    lon, lat = village_centre(village())
    return cases.register(
        db,
        actor=actor(),
        channel="phone",
        category="safety_hazard",
        title="楼道电线私拉乱接",
        reported_at=NOW - timedelta(hours=2),
        lon=lon,
        lat=lat,
    ).case


def _listed(feed: dict[str, Any], key: str, case_id: int) -> dict[str, Any]:
    return next(c for c in feed[key] if c["id"] == case_id)


def test_a_worker_reads_the_dispatch_note_and_the_reminders_until_he_acts(world: Session) -> None:
    town, county = actor(), actor("commander", COUNTY)
    lon, lat = village_centre(village())
    worker_id = add_worker(world, area_code=village(), lon=lon, lat=lat)
    case = _registered(world)
    # the county presses the township while the case waits in its queue
    case = _act(world, case, "remind", county, note="今天内派单")
    queued = _listed(command.feed(world, township(), actor=town, now=NOW), "queue", case.id)
    assert [(r["by"], r["note"]) for r in queued["reminders"]] == [(county.name, "今天内派单")]
    # the township acts (分流): the reminder is answered
    case = _act(world, case, "triage", town, params={"handling_level": 4})
    queued = _listed(command.feed(world, township(), actor=town, now=NOW), "queue", case.id)
    assert queued["reminders"] == []
    case = _act(world, case, "dispatch", town, note=NOTE, params={"worker_id": worker_id})
    field = _worker_actor(worker_id)
    task = _listed(command.feed(world, village(), actor=field, now=NOW), "tasks", case.id)
    assert (task["dispatch_note"], task["dispatched_by"]) == (NOTE, town.name)
    assert task["reminders"] == []
    # the township presses its worker twice: both stand on his task, the last one last
    case = _act(world, case, "remind", town, note="请尽快到场")
    case = _act(world, case, "remind", county)
    task = _listed(command.feed(world, village(), actor=field, now=NOW), "tasks", case.id)
    assert [r["note"] for r in task["reminders"]] == ["请尽快到场", None]
    assert [r["by"] for r in task["reminders"]] == [town.name, county.name]
    # he accepts: answered; the note stays on the task
    case = _act(world, case, "accept", field)
    task = _listed(command.feed(world, village(), actor=field, now=NOW), "tasks", case.id)
    assert task["reminders"] == [] and task["dispatch_note"] == NOTE


def test_a_case_dispatched_again_drops_the_reminders_of_the_worker_before(
    world: Session,
) -> None:
    town = actor()
    lon, lat = village_centre(village())
    first = add_worker(world, area_code=village(), lon=lon, lat=lat)
    second = add_worker(world, area_code=village(), lon=lon, lat=lat)
    case = _act(world, _registered(world), "triage", town, params={"handling_level": 4})
    case = _act(world, case, "dispatch", town, note="第一次", params={"worker_id": first})
    case = _act(world, case, "remind", town, note="催第一位")
    case = _act(world, case, "return", _worker_actor(first), note="不在本网格")
    case = _act(world, case, "dispatch", town, note="改派", params={"worker_id": second})
    mark = case_reminders.marks(world, [case.id])[case.id]
    assert mark.reminders == [] and mark.dispatch_note == "改派"
    # a 处置反馈 answers a reminder, though the state stays 已受理
    case = _act(world, case, "accept", _worker_actor(second))
    case = _act(world, case, "remind", town, note="进展如何")
    assert case_reminders.marks(world, [case.id])[case.id].reminders
    case = _act(world, case, "feedback", _worker_actor(second), note="已约物业明早到场")
    assert case_reminders.marks(world, [case.id])[case.id].reminders == []
    # no case, nothing to read; a case with no event of the kind, an empty mark
    assert case_reminders.marks(world, []) == {}
    fresh = _registered(world)
    empty = case_reminders.marks(world, [fresh.id])[fresh.id]
    assert empty.reminders == [] and empty.dispatch_note is None
