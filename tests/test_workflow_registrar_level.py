"""Trial AH M1, M2: a new case stays at the registrar's own level until it is moved.

A county's registration waits in the county's queue (it went to the township, said 已交办 and
left the county's 待派单), a village keeps its small matter (小事不出村) and may 上报 it to the
township or close it (it went to the township, said 已上报, and the village could do nothing);
a grid worker's report still goes to the township's desk.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from layers import case_lists, cases, workflow
from layers.model import Case
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

TOWN = township(300)
V1 = village(300, 1)
COUNTY_DESK = actor("commander", COUNTY)
TOWN_DESK = actor("dispatcher", TOWN)
VILLAGE_DESK = actor("commander", V1)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _register(db: Session, who: workflow.Actor, title: str, offset: float = 0.0) -> Case:
    lon, lat = village_centre(V1)
    return cases.register(
        db,
        actor=who,
        channel="phone",
        category="dispute",
        subcategory="neighbours",
        title=title,
        reported_at=NOW,
        lon=lon + offset,
        lat=lat,
    ).case


def _queue_ids(db: Session, who: workflow.Actor) -> set[int]:
    return {c.id for c in cases.queue(db, actor=who)}


def test_a_county_registration_waits_in_the_county_queue_until_the_county_moves_it(
    world: Session,
) -> None:
    case = _register(world, COUNTY_DESK, "征地补偿款分配不均")
    assert case.handling_level == 3
    assert case.id in _queue_ids(world, COUNTY_DESK)
    assert case.id not in _queue_ids(world, TOWN_DESK)
    assert {"triage", "escalate", "hand_down"} <= set(
        cases.actions_open_to(world, case, COUNTY_DESK)
    )
    # its 上报 goes to the city (trial AH S1: it went from the township to the county)
    case = cases.act(world, case.id, "escalate", actor=COUNTY_DESK, now=NOW, note="需市级统筹")
    assert case.handling_level == 2
    log = cases.events(world, case.id, actor=COUNTY_DESK)
    assert log[-1].payload is not None
    assert (log[-1].payload["from_level"], log[-1].payload["to_level"]) == (3, 2)


def test_a_village_keeps_its_small_matter_closes_it_or_reports_it_up(world: Session) -> None:
    kept = _register(world, VILLAGE_DESK, "楼上漏水影响楼下住户")
    sent = _register(world, VILLAGE_DESK, "宅基地边界争议", offset=0.004)
    assert (kept.handling_level, sent.handling_level) == (5, 5)
    assert {kept.id, sent.id} <= _queue_ids(world, VILLAGE_DESK)
    assert not {kept.id, sent.id} & _queue_ids(world, TOWN_DESK)
    for case in (kept, sent):
        assert {"triage", "escalate"} <= set(cases.actions_open_to(world, case, VILLAGE_DESK))
    # 上报 to the township: its queue has it now, the village follows it (已上报)
    cases.act(world, sent.id, "escalate", actor=VILLAGE_DESK, now=NOW, note="涉及多村")
    assert sent.handling_level == 4 and sent.id in _queue_ids(world, TOWN_DESK)
    above = case_lists.stage_list(world, actor=VILLAGE_DESK, stage=case_lists.Stage.ESCALATED)
    assert sent.id in {c.id for c in above}
    # 办结 the small matter: triaged, sent to the village's own worker, closed, archived
    lon, lat = village_centre(V1)
    worker_id = add_worker(world, area_code=V1, lon=lon, lat=lat, name="村网格员")
    cases.act(world, kept.id, "triage", actor=VILLAGE_DESK, now=NOW)
    cases.act(
        world, kept.id, "dispatch", actor=VILLAGE_DESK, now=NOW, params={"worker_id": worker_id}
    )
    cases.act(world, kept.id, "accept", actor=VILLAGE_DESK, now=NOW)
    cases.act(
        world,
        kept.id,
        "resolve",
        actor=VILLAGE_DESK,
        now=NOW,
        note="调解后修复防水层",
        params={"outcome": "mediated"},
    )
    closing = case_lists.stage_list(world, actor=VILLAGE_DESK, stage=case_lists.Stage.CLOSING)
    assert kept.id in {c.id for c in closing}
    cases.act(world, kept.id, "evaluate", actor=VILLAGE_DESK, now=NOW)
    # 销号 without 回访 says why (trial AS M5)
    cases.act(world, kept.id, "archive", actor=VILLAGE_DESK, now=NOW, note="反映人匿名，无法回访")
    assert kept.state == "archived" and kept.handling_level == 5


def test_a_grid_workers_report_still_goes_to_the_township_desk(world: Session) -> None:
    case = _register(world, actor("grid_worker", V1), "井盖缺失")
    assert case.handling_level == 4
    assert case.id in _queue_ids(world, TOWN_DESK)
    assert _register(world, TOWN_DESK, "噪音扰民", offset=0.004).handling_level == 4


def test_a_grid_worker_reports_through_his_own_channels_only(world: Session) -> None:
    """Trial AW m4: a worker's report was offered (and took) 上级交办, 下级上报 and 信访."""
    worker = actor("grid_worker", V1)
    lon, lat = village_centre(V1)
    for channel in ("superior", "petition", "hotline_12345"):
        with pytest.raises(cases.InvalidInput, match="只能是网格员上报、来访、来电"):
            cases.register(
                world,
                actor=worker,
                channel=channel,
                category="dispute",
                subcategory="neighbours",
                title="路灯损坏",
                reported_at=NOW,
                lon=lon,
                lat=lat,
            )
    assert _register(world, worker, "邻里噪音").channel == "phone"
