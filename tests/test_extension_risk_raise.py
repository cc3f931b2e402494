"""An approved extension (批准延期) holds when a repeat report raises the case's risk.

Trial AX S5 gave the holder of a case a 申请延期 and its superior the decision. A repeat report
that raises a case's risk brings its limits forward to the new risk's (trial AZ S2): on an
extended case it brought the 办结时限 back before the date a person had approved, silently.
The approved date now stands, and the timeline says so for the level that approved it to
reconsider; the 联系时限 still tightens. Both the console's registration and an import's
repeats keep it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from layers import cases, deadline_extensions, deadlines
from layers.model import Case, CaseEvent
from layers.workflow import Actor
from tests.import_fixtures import seed_jurisdictions
from tests.test_import_repeats import START, _import, _row, _stored
from tests.workflow_data import COUNTY, NOW, actor, ensure_world, township, village, village_centre

TOWN = actor("dispatcher", township())
COUNTY_DESK = actor("commander", COUNTY)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _register(db: Session, title: str, offset_m: float, **kw: object) -> Case:
    lon, lat = village_centre(village())
    return cases.register(
        db,
        actor=TOWN,
        channel="phone",
        category="dispute",
        title=title,
        lon=lon + offset_m / 101_000,
        lat=lat,
        **kw,  # type: ignore[arg-type]
    ).case


def _extend(db: Session, case: Case, asker: Actor, decider: Actor, days: int) -> None:
    """``asker`` asks ``days`` more days on ``case``; ``decider`` approves them."""
    assert case.deadline is not None
    wanted = case.deadline + timedelta(days=days)
    at = case.reported_at + timedelta(hours=1)
    deadline_extensions.act(
        db,
        case.id,
        "extension_request",
        actor=asker,
        now=at,
        note="当事人外出务工，返乡后调解",
        params={"deadline": wanted.isoformat()},
    )
    deadline_extensions.act(db, case.id, "extension_approve", actor=decider, now=at, note="同意")
    db.refresh(case)
    assert case.deadline == wanted


def test_a_repeat_raising_the_risk_keeps_the_approved_deadline(world: Session) -> None:
    master = _register(world, "延期后重复反映：邻里宅基地纠纷", 0, risk_level=3, reported_at=NOW)
    _extend(world, master, TOWN, COUNTY_DESK, days=10)
    approved = master.deadline
    assert approved == NOW + timedelta(days=40)
    repeat = _register(
        world, "宅基地纠纷又吵起来了", 60, risk_level=3, reported_at=NOW + timedelta(hours=2)
    )
    world.refresh(master)
    assert repeat.duplicate_of == master.id and master.risk_level == 2
    # the approved 办结时限 stands; orange's 15 days would have put it before it
    orange = deadlines.limits_for("dispute", 2)
    assert NOW + orange.close < approved
    assert master.deadline == approved
    # the 联系时限 tightens to orange's all the same
    assert master.contact_deadline == NOW + orange.contact
    event = world.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == master.id, CaseEvent.action == "repeat_linked")
        .order_by(CaseEvent.id.desc())
    ).first()
    assert event is not None and event.payload is not None
    assert event.note == f"重复反映：案件 {repeat.code}，办结时限仍为批准延期的 2027-01-02 16:00"
    assert [c["limit"] for c in event.payload["deadline_changes"]] == ["contact_deadline"]
    assert "deadline_to" not in event.payload
    assert event.payload["deadline_kept"] == approved.isoformat()


def test_a_repeat_on_a_case_never_extended_still_brings_the_deadline_forward(
    world: Session,
) -> None:
    master = _register(world, "未延期的宅基地纠纷", 0, risk_level=3, reported_at=NOW)
    _register(world, "未延期的宅基地纠纷又吵", 50, risk_level=3, reported_at=NOW)
    world.refresh(master)
    assert master.deadline == NOW + deadlines.limits_for("dispute", 2).close


def test_an_imports_repeats_keep_the_approved_deadline(world: Session, tmp_path: Path) -> None:
    seed_jurisdictions(world)
    _import(world, tmp_path / "第一批.csv", [_row("XR-1", "邻里纠纷", 0.0, 0.0, 0.0, risk=4)])
    case = world.get(Case, _stored(world, "XR-")["XR-1"].id)
    assert case is not None and case.deadline == START + timedelta(days=30)
    assert case.handling_level == 4  # the township's desk; the county decides its request
    town = Actor(None, "乡镇调度员", "dispatcher", "530424100000")
    county = Actor(None, "县指挥中心", "commander", "530424000000")
    _extend(world, case, town, county, days=20)
    approved = case.deadline
    rows = [
        _row("XR-1", "邻里纠纷", 0.0, 0.0, 0.0, risk=4),
        _row("XR-2", "邻里纠纷", 40.0, 0.0, 1.0),
        _row("XR-3", "邻里纠纷", 0.0, 40.0, 1.5),
    ]
    outcome = _import(world, tmp_path / "第二批.csv", rows)
    assert outcome.counts.repeats == 2
    world.expire_all()
    stored = _stored(world, "XR-")
    assert (stored["XR-1"].repeat_count, stored["XR-1"].risk_level) == (2, 2)
    kept = world.execute(
        text("SELECT deadline, contact_deadline, reported_at FROM cases WHERE id = :id"),
        {"id": case.id},
    ).one()
    assert kept.deadline == approved  # orange's 15 days would have come before it
    assert kept.contact_deadline == kept.reported_at + timedelta(days=1)
