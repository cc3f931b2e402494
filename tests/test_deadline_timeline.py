"""Every change of a case's time limits is said in its timeline, and one rule decides (trial BA M4).

Case 4248 was imported with the 12345 file's 10 working days, moved by a later file to 12-20,
brought to 12-08 by a repeat's raise of its risk, and put back to 12-20 by the township's 分流
with nothing in the timeline. Now the hotline's 办理时限, once given, is the deadline that 分流
keeps: 分流 never puts it later and brings it forward only when it raises the risk, as a repeat
does; and each event that moves a limit says it with the time before, the time after and why.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import cases, deadlines
from layers.model import Case, CaseEvent
from tests.workflow_data import NOW, actor, ensure_world, village, village_centre

TOWN = actor("dispatcher")


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _register(db: Session, title: str, risk: int) -> Case:
    lon, lat = village_centre(village())
    return cases.register(
        db,
        actor=TOWN,
        channel="phone",
        category="dispute",
        title=title,
        lon=lon,
        lat=lat,
        risk_level=risk,
        reported_at=NOW,
    ).case


def _hotline_order(db: Session, title: str, risk: int, given: timedelta) -> Case:
    """A case whose source (a 12345 export) gave its 办理时限, ``given`` after its call."""
    case = _register(db, title, risk)
    limit = NOW + given
    db.add(
        CaseEvent(
            case_id=case.id,
            area_code=case.area_code,
            actor_name="root",
            action="import",
            to_state=case.state,
            note="从文件导入",
            payload={"time_limit": limit.isoformat()},
        )
    )
    case.deadline = limit
    db.flush()
    return case


def _last(db: Session, case: Case, action: str) -> CaseEvent:
    found = db.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == action)
        .order_by(CaseEvent.id.desc())
    ).first()
    assert found is not None
    return found


def _triage(db: Session, case: Case, risk: int) -> CaseEvent:
    cases.act(
        db,
        case.id,
        "triage",
        actor=TOWN,
        now=NOW + timedelta(hours=3),
        params={"category": "dispute", "risk_level": risk, "handling_level": 4},
    )
    return _last(db, case, "triage")


def test_triage_never_puts_the_hotlines_deadline_later(world: Session) -> None:
    order = _hotline_order(world, "拖欠工资13000元", 4, timedelta(days=14))
    # a repeat report raised it to red: its 办结时限 came forward to red's 7 days
    raised = cases.raise_risk(order, 1, None)
    red = NOW + deadlines.limits_for("dispute", 1).close
    assert order.deadline == red
    assert deadlines.said(raised.payload["deadline_changes"]).endswith(
        "办结时限 2026-12-07 16:00 → 2026-11-30 16:00（重复反映提高风险等级）"
    )
    world.flush()
    # the township's 分流 (orange) no longer puts it back to the hotline's 14 days
    event = _triage(world, order, 2)
    world.refresh(order)
    assert order.deadline == red
    assert event.payload is not None and "deadline_changes" not in event.payload


def test_triage_raising_the_risk_brings_the_hotlines_deadline_forward_and_says_so(
    world: Session,
) -> None:
    order = _hotline_order(world, "小区噪音扰民", 4, timedelta(days=20))
    event = _triage(world, order, 1)
    world.refresh(order)
    assert order.deadline == NOW + deadlines.limits_for("dispute", 1).close
    assert event.payload is not None
    why = "（分流：提高风险等级，按新风险等级的时限提前）"
    assert deadlines.said(event.payload["deadline_changes"]) == (
        f"联系时限 2026-11-25 16:00 → 2026-11-23 18:00{why}；"
        f"办结时限 2026-12-13 16:00 → 2026-11-30 16:00{why}"
    )


def test_triage_of_a_platform_case_says_the_limits_it_works_out_again(world: Session) -> None:
    case = _register(world, "邻里漏水纠纷", 2)
    event = _triage(world, case, 4)
    world.refresh(case)
    assert case.deadline == NOW + timedelta(days=30)
    assert event.payload is not None
    assert deadlines.said(event.payload["deadline_changes"]) == (
        "联系时限 2026-11-24 16:00 → 2026-11-25 16:00（分流：按类别和风险等级重新计算）；"
        "办结时限 2026-12-08 16:00 → 2026-12-23 16:00（分流：按类别和风险等级重新计算）"
    )
