"""A worker who sent a case back (退回) is marked so and ranked after the others for it.

Trial AS M6: after a worker's 退回 (「网格员无权处理，建议转县人社局」) the township desk's
推荐网格员 row said 原承办人（已撤回：…）, as if the dispatcher had recalled the case, and still
offered her third with a 派单 button. The server now says how the dispatch ended
(``ended``: 已退回 for his own 退回, 已撤回 for the desk's 撤回派单, 已上报 for a 上报), and
ranks a worker who returned the case after every other candidate, however near he is.
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
V = village(200, 2)
TOWN = V[:9] + "000"


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    db.execute(text("DELETE FROM workers WHERE area_code LIKE :t"), {"t": TOWN[:9] + "%"})
    return db


def _case(db: Session, by: workflow.Actor) -> Case:
    lon, lat = village_centre(V)
    return cases.register(
        db,
        actor=by,
        channel="phone",
        category="dispute",
        subcategory="labour_wages",
        title="装修公司拖欠农民工工资",
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case


def test_a_worker_who_returned_the_case_is_ranked_last_and_said_to_have_returned_it(
    world: Session,
) -> None:
    desk = actor("dispatcher", TOWN)
    lon, lat = village_centre(V)
    near = add_worker(world, area_code=V, lon=lon + 60 * M, lat=lat, name="吴云琳")
    middle = add_worker(world, area_code=V, lon=lon + 700 * M, lat=lat, name="谢浩军")
    far = add_worker(world, area_code=V, lon=lon + 1500 * M, lat=lat, name="高莲颖")
    case = _case(world, desk)
    cases.act(world, case.id, "triage", actor=desk, now=NOW)
    before = dispatch.candidates(world, case.id, actor=desk, now=NOW)
    assert [c.worker_id for c in before.candidates] == [near, middle, far]

    cases.act(world, case.id, "dispatch", actor=desk, now=NOW, params={"worker_id": near})
    back = NOW + timedelta(minutes=3)
    worker = workflow.Actor(None, "吴云琳", "grid_worker", V, worker_id=near)
    reason = "该事项涉及企业欠薪，需劳动监察执法，网格员无权处理，建议转县人社局。"
    cases.act(world, case.id, "return", actor=worker, now=back, note=reason)

    later = back + timedelta(minutes=2)
    ranked = dispatch.candidates(world, case.id, actor=desk, now=later)
    assert [c.worker_id for c in ranked.candidates] == [middle, far, near]
    # among the best two he still is, after the other one: not dropped out of sight
    two = dispatch.candidates(world, case.id, actor=desk, now=later, limit=2)
    assert [c.worker_id for c in two.candidates] == [middle, near]
    mark = ranked.candidates[-1].withdrawn
    assert mark is not None
    assert (mark["action"], mark["ended"], mark["reason"]) == ("return", "已退回", reason)
    assert dispatch.returned_it(mark)
    assert ranked.candidates[0].withdrawn is None
    picked = dispatch_picks.workers_to_pick(world, case.id, actor=desk, now=later, query="吴云琳")
    assert [w.withdrawn for w in picked.workers] == [mark]


def test_a_recall_says_withdrawn_and_keeps_the_worker_in_his_place(world: Session) -> None:
    desk = actor("dispatcher", TOWN)
    lon, lat = village_centre(V)
    near = add_worker(world, area_code=V, lon=lon + 60 * M, lat=lat, name="邓峰军")
    far = add_worker(world, area_code=V, lon=lon + 1500 * M, lat=lat, name="高莲颖")
    case = _case(world, desk)
    cases.act(world, case.id, "triage", actor=desk, now=NOW)
    cases.act(world, case.id, "dispatch", actor=desk, now=NOW, params={"worker_id": near})
    cases.act(world, case.id, "recall", actor=desk, now=NOW, note="改派本网格专职网格员")
    ranked = dispatch.candidates(world, case.id, actor=desk, now=NOW + timedelta(minutes=1))
    assert [c.worker_id for c in ranked.candidates] == [near, far]
    mark = ranked.candidates[0].withdrawn
    assert mark is not None and mark["ended"] == "已撤回"
    assert not dispatch.returned_it(mark)


def test_an_escalation_says_the_case_went_up(world: Session) -> None:
    village_desk, town_desk = actor("commander", V), actor("dispatcher", TOWN)
    lon, lat = village_centre(V)
    first = add_worker(world, area_code=V, lon=lon + 60 * M, lat=lat, name="邓峰军")
    case = _case(world, village_desk)
    cases.act(world, case.id, "triage", actor=village_desk, now=NOW)
    cases.act(world, case.id, "dispatch", actor=village_desk, now=NOW, params={"worker_id": first})
    up = NOW + timedelta(minutes=1)
    cases.act(world, case.id, "escalate", actor=village_desk, now=up, note="社区调解两次未果")
    cases.act(world, case.id, "triage", actor=town_desk, now=up + timedelta(minutes=1))
    ranked = dispatch.candidates(world, case.id, actor=town_desk, now=up + timedelta(minutes=2))
    mark = ranked.candidates[0].withdrawn
    assert mark is not None and (mark["action"], mark["ended"]) == ("escalate", "已上报")
