"""The worker whose dispatch of a case was withdrawn is marked when the case is dispatched again.

Trial AQ M4: the village escalated a case because its worker's mediation had failed twice; after
the township's 分流 the recommendation ranked that same worker first and neither his row nor the
确认派单 box said he had had the case. The ranking and the hand-picked list now carry, for such a
worker, how his dispatch was withdrawn (上报, 撤回派单 or his own 退回), when, by whom and why
(:func:`layers.dispatch.withdrawn_from`), for the desk's 原承办人（已撤回：<原因>）.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import cases, dispatch, dispatch_picks, workflow
from layers.model import Case
from tests.workflow_data import NOW, actor, add_worker, ensure_world, village, village_centre

M = 1 / 101_000  # about one metre of longitude at 24.3° N, in degrees
V = village(200, 1)
TOWN = V[:9] + "000"


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    db.execute(text("DELETE FROM workers WHERE area_code LIKE '520424200%'"))
    return db


def _case(db: Session, by: workflow.Actor) -> Case:
    lon, lat = village_centre(V)
    return cases.register(
        db,
        actor=by,
        channel="phone",
        category="dispute",
        subcategory="labour_wages",
        title="复安社区劳资欠薪",
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case


def _workers(db: Session) -> tuple[int, int]:
    lon, lat = village_centre(V)
    first = add_worker(db, area_code=V, lon=lon + 58 * M, lat=lat, name="邓峰军")
    other = add_worker(db, area_code=V, lon=lon + 400 * M, lat=lat, name="高莲颖")
    return first, other


def _marks(db: Session, case_id: int, by: workflow.Actor) -> dict[int, object]:
    """The ranking's marks, checked against the hand-picked list's (found by name)."""
    now = NOW + timedelta(minutes=5)
    ranked = dispatch.candidates(db, case_id, actor=by, now=now)
    marks = {c.worker_id: c.withdrawn for c in ranked.candidates}
    for name in ("邓峰军", "高莲颖"):
        picked = dispatch_picks.workers_to_pick(db, case_id, actor=by, now=now, query=name)
        assert {w.worker_id: w.withdrawn for w in picked.workers}.items() <= marks.items()
        assert len(picked.workers) == 1
    return marks


def test_an_escalation_marks_the_village_worker_it_took_the_case_from(world: Session) -> None:
    village_desk, town_desk = actor("commander", V), actor("dispatcher", TOWN)
    first, other = _workers(world)
    case = _case(world, village_desk)
    assert case.handling_level == 5
    cases.act(world, case.id, "triage", actor=village_desk, now=NOW)
    cases.act(world, case.id, "dispatch", actor=village_desk, now=NOW, params={"worker_id": first})
    up = NOW + timedelta(minutes=1)
    cases.act(world, case.id, "escalate", actor=village_desk, now=up, note="社区调解两次未果")
    cases.act(world, case.id, "triage", actor=town_desk, now=up + timedelta(minutes=1))
    marks = _marks(world, case.id, town_desk)
    assert marks[first] == {
        "action": "escalate",
        "label": "上报",
        "ended": "已上报",
        "reason": "社区调解两次未果",
        "at": up.isoformat(),
        "by": village_desk.name,
    }
    assert marks[other] is None


def test_a_recall_and_a_return_mark_the_worker_too(world: Session) -> None:
    town_desk = actor("dispatcher", TOWN)
    first, other = _workers(world)
    case = _case(world, town_desk)
    cases.act(world, case.id, "triage", actor=town_desk, now=NOW)
    cases.act(world, case.id, "dispatch", actor=town_desk, now=NOW, params={"worker_id": first})
    cases.act(world, case.id, "recall", actor=town_desk, now=NOW, note="改派本网格专职网格员")
    marks = _marks(world, case.id, town_desk)
    assert marks[first] is not None and marks[first]["label"] == "撤回派单"  # type: ignore[index]
    assert marks[first]["reason"] == "改派本网格专职网格员"  # type: ignore[index]
    assert marks[other] is None

    later = NOW + timedelta(minutes=2)
    cases.act(world, case.id, "dispatch", actor=town_desk, now=later, params={"worker_id": other})
    worker = workflow.Actor(None, "高莲颖", "grid_worker", V, worker_id=other)
    cases.act(world, case.id, "return", actor=worker, now=later, note="当事人在外地务工")
    marks = _marks(world, case.id, town_desk)
    assert marks[other] == {
        "action": "return",
        "label": "退回",
        "ended": "已退回",
        "reason": "当事人在外地务工",
        "at": later.isoformat(),
        "by": "高莲颖",
    }
    assert marks[first]["action"] == "recall"  # type: ignore[index]
