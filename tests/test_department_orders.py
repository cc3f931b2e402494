"""A department's dispatched order stays the department's (trial BA S2, M5, S5, M2).

Trial BA S2, M5: while 县住建局 held an order the township dispatched to it (受理'd, with a
申请延期 refused), the township was offered 到场, 办结, 退回 and 处置反馈 on it, 办结'd it, and
the department's desk then said 「县住建局已办结」: the department was credited with a 办结 it
did not make.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from layers import cases, department_scope
from layers.errors import Forbidden
from layers.model import AuditEntry, Case, Dispatch
from layers.workflow import Actor
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_user,
    ensure_world,
    township,
    village,
    village_centre,
)

HOUSING = "测单县住建局"
LABOUR = "测单县人社局"
CALLER, PHONE = "朱晓东", "13487659651"
#: The dispatch's work an operator registers for a grid worker, not for a department.
WORK = {"accept", "arrive", "feedback", "resolve", "return"}


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    add_user(db, username=HOUSING, role="department", scope_code=COUNTY)
    return db


def _department(name: str = HOUSING) -> Actor:
    return Actor(user_id=None, name=name, role="department", scope_code=COUNTY)


def _dispatched(db: Session, department: str = HOUSING) -> Case:
    town = actor("dispatcher")
    lon, lat = village_centre(village())
    made = cases.register(
        db,
        actor=town,
        channel="phone",
        category="dispute",
        subcategory="labour_wages",
        title="派单部门测试：楼顶彩钢房",
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case
    cases.act(db, made.id, "triage", actor=town, now=NOW)
    cases.act(db, made.id, "dispatch", actor=town, now=NOW, params={"department": department})
    return made


def _refusal(db: Session, case: Case, action: str, **body: object) -> str:
    with pytest.raises(Forbidden) as refused:
        cases.act(db, case.id, action, actor=actor("dispatcher"), now=NOW, **body)  # type: ignore[arg-type]
    return str(refused.value)


def test_the_township_does_not_do_the_work_of_a_department_holding_its_order(
    world: Session,
) -> None:
    town = actor("dispatcher")
    case = _dispatched(world)
    offered = set(cases.actions_open_to(world, case, town, now=NOW))
    assert not offered & WORK and "recall" in offered
    assert _refusal(world, case, "accept") == (
        f"该案件已派给{HOUSING}，尚未受理：受理须由{HOUSING}办理，本级不能代为受理；"
        "如需改派或自行办理，请先撤回派单"
    )
    cases.act(world, case.id, "accept", actor=_department(), now=NOW)
    offered = set(cases.actions_open_to(world, case, town, now=NOW))
    assert not offered & WORK, offered
    assert {"remind", "summon"} <= offered
    said = _refusal(world, case, "resolve", params={"outcome": "resolved"}, note="街道已拆除")
    assert said == (
        f"该案件已派给{HOUSING}，{HOUSING}已受理：办结须由{HOUSING}办理，本级不能代为办结；"
        f"如需收回，请{HOUSING}退回后再办理"
    )
    for action in ("arrive", "feedback", "return"):
        assert HOUSING in _refusal(world, case, action, note="代为填写")
    # the department's own work stays its own, and the dispatch is finished by it
    mine = set(cases.actions_open_to(world, case, _department(), now=NOW))
    assert {"resolve", "return", "feedback"} <= mine
    cases.act(
        world,
        case.id,
        "resolve",
        actor=_department(),
        now=NOW,
        params={"outcome": "resolved"},
        note="已组织拆除",
    )
    status = world.scalars(select(Dispatch.status).where(Dispatch.case_id == case.id)).one()
    assert status == "finished"


def test_the_township_still_registers_for_a_department_without_an_account(
    world: Session,
) -> None:
    """A department working on paper (no account of its own) is registered for, as before."""
    town = actor("dispatcher")
    case = _dispatched(world, "司法所")
    assert "accept" in cases.actions_open_to(world, case, town, now=NOW)
    cases.act(world, case.id, "accept", actor=town, now=NOW)
    assert "resolve" in cases.actions_open_to(world, case, town, now=NOW)


def test_a_superior_s_督办_is_answered_by_the_department_holding_the_order(
    world: Session,
) -> None:
    """Trial BA S5: the city's 督办 of 人社局's order never reached it, nor could it answer."""
    add_user(world, username=LABOUR, role="department", scope_code=COUNTY)
    case = _dispatched(world)
    cases.act(
        world,
        case.id,
        "summon",
        actor=actor("dispatcher"),
        now=NOW,
        params={"departments": [LABOUR]},
    )
    county = actor("commander", COUNTY)
    until = NOW + timedelta(days=3)
    cases.act(
        world,
        case.id,
        "supervise",
        actor=county,
        now=NOW,
        params={"deadline": until},
        note="限期办结",
    )
    holder = _department()
    assert "supervision_reply" in cases.actions_open_to(world, case, holder, now=NOW)
    # a department only summoned (吹哨) does not answer the 督办 of an order it does not hold
    summoned = _department(LABOUR)
    assert "supervision_reply" not in cases.actions_open_to(world, case, summoned, now=NOW)
    with pytest.raises(Forbidden):
        cases.act(world, case.id, "supervision_reply", actor=summoned, now=NOW, note="代答")
    later = NOW + timedelta(hours=1)
    cases.act(
        world,
        case.id,
        "supervision_reply",
        actor=holder,
        now=later,
        note="已约谈施工方，周五前拆除",
    )
    # the supervising level reads the answer as it reads a township's
    replied = cases.latest(world, [case])[case.id].replied
    assert replied is not None
    assert (replied.actor_name, replied.note) == (HOUSING, "已约谈施工方，周五前拆除")
    # the township, which handles the case, still answers too
    assert "supervision_reply" in cases.actions_open_to(world, case, actor("dispatcher"), now=later)


def test_the_department_holding_the_order_reads_the_caller_with_a_reason_audited(
    world: Session,
) -> None:
    """Trial BA M2: 人社局 saw 朱** 134****9651 and phoned the centre for each caller's number."""
    lon, lat = village_centre(village())
    town = actor("dispatcher")
    case = cases.register(
        world,
        actor=town,
        channel="phone",
        category="dispute",
        subcategory="labour_wages",
        title="派单部门测试：欠薪来电",
        reported_at=NOW,
        lon=lon,
        lat=lat,
        reporter_name=CALLER,
        reporter_phone=PHONE,
    ).case
    add_user(world, username=LABOUR, role="department", scope_code=COUNTY)
    holder = replace(
        _department(),
        user_id=add_user(world, username=HOUSING, role="department", scope_code=COUNTY),
    )
    other = _department(LABOUR)
    reason = "联系来电人核实拖欠工资情况"
    cases.act(world, case.id, "triage", actor=town, now=NOW)
    cases.act(world, case.id, "dispatch", actor=town, now=NOW, params={"department": HOUSING})
    assert cases.reporter_refusal(world, case, holder, can_unmask=False) is None
    assert cases.reporter_contact(
        world, case.id, actor=holder, can_unmask=False, reason=reason
    ) == (CALLER, PHONE)
    # another department, summoned or not, does not: the order is not its own
    assert cases.reporter_refusal(world, case, other, can_unmask=False) == cases.NOT_HELD_REPORTER
    # once the department 办结'd it, the caller is masked to it again
    cases.act(world, case.id, "accept", actor=holder, now=NOW)
    done = {"outcome": "resolved"}
    cases.act(world, case.id, "resolve", actor=holder, now=NOW, params=done, note="已追回工资")
    with pytest.raises(Forbidden, match=cases.NOT_HELD_REPORTER):
        cases.reporter_contact(world, case.id, actor=holder, can_unmask=False, reason=reason)
    entries = world.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "case.reporter.unmask", AuditEntry.object_id == str(case.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.actor_id, e.outcome, e.reason) for e in entries] == [
        (holder.user_id, "ok", reason),
        (holder.user_id, "denied", reason),
    ]
    assert all(CALLER not in str(e.detail) and PHONE not in str(e.detail) for e in entries)


def test_an_order_the_township_closed_for_a_department_is_not_the_department_s_办结(
    world: Session,
) -> None:
    """Trial BA S2: the desk said 「县住建局已办结」 of an order 宁州街道 had closed.

    The township still registers the work of a department without an account of its own, which
    the county's shared department account reads on its desk: it says who closed it.
    """
    shared = Actor(user_id=None, name="测单县部门处置人员", role="department", scope_code=COUNTY)
    add_user(world, username=shared.name, role="department", scope_code=COUNTY)
    town = replace(
        actor("dispatcher"),
        user_id=add_user(
            world, username="测单乡镇调度员", role="dispatcher", scope_code=township()
        ),
    )
    by_town, by_itself = _dispatched(world, "测单司法所"), _dispatched(world, "测单司法所")
    done = {"outcome": "resolved"}
    for case, who in ((by_town, town), (by_itself, shared)):
        cases.act(world, case.id, "accept", actor=who, now=NOW)
        cases.act(world, case.id, "resolve", actor=who, now=NOW, params=done, note="已处理")
    rows = {r.case.id: r for r in department_scope.desk(world, shared, now=NOW)}
    unit = world.scalar(text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": township()})
    assert (rows[by_town.id].group, rows[by_town.id].closed_by) == ("done", unit)
    assert (rows[by_itself.id].group, rows[by_itself.id].closed_by) == ("done", None)
