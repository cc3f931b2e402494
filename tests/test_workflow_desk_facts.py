# ruff: noqa: F811 - the world fixture imported from tests.test_workflow_registrar_level
"""Trial AH M3, M5, M6: the desk reads a case's 退回, 办结, 督办 and 上报 beside its row.

A case the worker returned looked like a fresh one, the township decided 评价/回访/销号 without
the worker's 办结结果 and note, and a 督办 was a badge without its 督办意见 or 督办时限.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from layers import cases, workflow
from tests.test_workflow_registrar_level import (  # noqa: F401 - the world fixture
    COUNTY_DESK,
    TOWN_DESK,
    V1,
    _register,
    world,
)
from tests.workflow_data import NOW, add_worker, village_centre


def test_the_desk_reads_who_returned_what_was_resolved_and_the_supervision(
    world: Session,
) -> None:
    lon, lat = village_centre(V1)
    worker_id = add_worker(world, area_code=V1, lon=lon, lat=lat, name="高网格员")
    worker = workflow.Actor(None, "高网格员", "grid_worker", V1, worker_id=worker_id)
    case = _register(world, TOWN_DESK, "电线老化")
    cases.act(world, case.id, "triage", actor=TOWN_DESK, now=NOW)
    cases.act(world, case.id, "dispatch", actor=TOWN_DESK, now=NOW, params={"worker_id": worker_id})
    cases.act(world, case.id, "return", actor=worker, now=NOW, note="该处电线属供电所产权")
    facts = cases.latest(world, [case])[case.id]
    assert facts.returned is not None
    assert (facts.returned.actor_name, facts.returned.note) == ("高网格员", "该处电线属供电所产权")
    assert facts.moved is None and facts.resolved is None and facts.supervised is None
    deadline = NOW + timedelta(days=3)
    cases.act(
        world,
        case.id,
        "supervise",
        actor=COUNTY_DESK,
        now=NOW,
        note="于三日内协调供电所",
        params={"deadline": deadline},
    )
    cases.act(world, case.id, "dispatch", actor=TOWN_DESK, now=NOW, params={"worker_id": worker_id})
    facts = cases.latest(world, [case])[case.id]
    assert facts.returned is None  # dispatched again
    assert facts.supervised is not None and facts.supervised.note == "于三日内协调供电所"
    assert facts.supervised.payload["deadline"] == deadline.isoformat()
    cases.act(world, case.id, "accept", actor=worker, now=NOW)
    cases.act(
        world,
        case.id,
        "resolve",
        actor=worker,
        now=NOW,
        note="供电所已更换线路",
        params={"outcome": "resolved"},
    )
    facts = cases.latest(world, [case])[case.id]
    assert facts.resolved is not None
    assert facts.resolved.note == "供电所已更换线路"
    assert facts.resolved.payload == {"outcome": "resolved"}
    json = facts.as_json()
    assert json["resolved"]["actor_name"] == "高网格员" and json["returned"] is None
    # a 上报 is the move the desk names
    moved = _register(world, TOWN_DESK, "山林权属争议", offset=0.004)
    cases.act(world, moved.id, "escalate", actor=TOWN_DESK, now=NOW, note="涉及两镇")
    fact = cases.latest(world, [moved])[moved.id].moved
    assert fact is not None and fact.action == "escalate"
    assert (fact.payload["from_level"], fact.payload["to_level"]) == (4, 3)
