"""A case whose risk a repeat report raises gets the new risk's time limits (trial AZ S2).

「复安社区后山出现裂缝」 was registered 橙色 (24 h, 15 days); three repeats raised it to 红色,
but it kept orange's limits while its own repeat, registered red, had 7 days, and the red
master sorted below its repeat. A raise now brings each limit forward to the new risk's, as
分流 sets it (layers.deadlines.sooner), never later, and the timeline says so.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import cases, deadlines
from layers.model import Case, CaseEvent
from tests.workflow_data import NOW, actor, ensure_world, village, village_centre


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _register(db: Session, title: str, offset_m: float, **kw: object) -> Case:
    lon, lat = village_centre(village())
    return cases.register(
        db,
        actor=actor(),
        channel="phone",
        category="safety_hazard",
        title=title,
        lon=lon + offset_m / 101_000,
        lat=lat,
        **kw,  # type: ignore[arg-type]
    ).case


def _last_link(db: Session, case: Case) -> CaseEvent:
    return db.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == "repeat_linked")
        .order_by(CaseEvent.id.desc())
    ).first()  # type: ignore[return-value]


def test_a_case_raised_to_red_gets_red_limits(world: Session) -> None:
    master = _register(world, "后山出现裂缝，疑似山体滑坡", 0, risk_level=2, reported_at=NOW)
    orange = deadlines.limits_for("safety_hazard", 2)
    assert master.deadline == NOW + orange.close  # 15 days
    repeat = _register(
        world, "后山裂缝又扩大了", 80, risk_level=1, reported_at=NOW + timedelta(hours=1)
    )
    world.refresh(master)
    assert repeat.duplicate_of == master.id and master.risk_level == 1
    red = deadlines.limits_for("safety_hazard", 1)
    assert master.contact_deadline == NOW + red.contact  # 2 hours (trial AZ M7)
    assert master.deadline == NOW + red.close  # 7 days
    # the master now comes before its own repeat on the queue
    assert master.deadline < repeat.deadline
    event = _last_link(world, master)
    assert event.note == f"重复反映：案件 {repeat.code}"
    assert event.payload is not None
    # the timeline says each limit with its time before (trial BA M4)
    assert deadlines.said(event.payload["deadline_changes"]) == (
        "联系时限 2026-11-24 16:00 → 2026-11-23 18:00（重复反映提高风险等级）；"
        "办结时限 2026-12-08 16:00 → 2026-11-30 16:00（重复反映提高风险等级）"
    )
    assert (event.payload["risk_from"], event.payload["risk_to"]) == (2, 1)
    assert event.payload["deadline_to"] == (NOW + red.close).isoformat()


def test_a_raise_never_puts_a_limit_later(world: Session) -> None:
    master = _register(world, "路边挡墙开裂", 0, risk_level=3, reported_at=NOW)
    # its limits are already sooner than a red case's (set so by a deployment's own limits)
    master.contact_deadline = NOW + timedelta(hours=1)
    master.deadline = NOW + timedelta(days=3)
    world.flush()
    _register(world, "挡墙裂缝有落石", 60, reported_at=NOW + timedelta(hours=2))
    _register(world, "挡墙快倒了", 90, reported_at=NOW + timedelta(hours=3))
    world.refresh(master)
    assert master.risk_level == 1
    assert master.contact_deadline == NOW + timedelta(hours=1)
    assert master.deadline == NOW + timedelta(days=3)
    event = _last_link(world, master)
    assert event.payload is not None and "deadline_to" not in event.payload
    assert "提前" not in (event.note or "")


def test_a_repeat_of_a_case_without_a_deadline_leaves_it_without() -> None:
    at = NOW
    kept = deadlines.sooner("dispute", 1, at, None, None)
    assert (kept.contact_deadline, kept.deadline, kept.deadline_moved) == (None, None, False)
