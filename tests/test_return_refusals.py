"""A 退回 refused says why in terms of the 派单 it would give back (a user trial).

退回 gives back a dispatch its worker, unit or department holds, between the 派单 and the 办结.
A case refused it read 「案件当前状态为“已办结”，不能退回」, about the case's state; now each
state says why there is no 派单 to give back. The case is walked through every state, and the
worker it was dispatched to and the township that dispatched it try 退回 at each.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from layers import cases
from layers.errors import Conflict, Forbidden
from layers.workflow import Actor
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_user,
    add_worker,
    ensure_world,
    grid,
    village,
    village_centre,
    worker_actor,
)

NOTE = "不属本网格，请改派"


def _refused(db: Session, case_id: int, who: Actor) -> str:
    with pytest.raises(Conflict) as refused:
        cases.act(db, case_id, "return", actor=who, now=NOW, note=NOTE)
    return str(refused.value)


def test_a_return_refused_says_why_in_each_state(db: Session) -> None:
    ensure_world(db)
    lon, lat = village_centre(village())
    worker = worker_actor(
        add_worker(db, area_code=village(), lon=lon, lat=lat, home_grid=grid(village()))
    )
    town = actor("dispatcher")

    def step(case_id: int, action: str, who: Actor = town, **more: object) -> None:
        cases.act(db, case_id, action, actor=who, now=NOW, **more)  # type: ignore[arg-type]

    def register() -> int:
        return cases.register(
            db,
            actor=town,
            channel="phone",
            category="dispute",
            subcategory="neighbours",
            title="退回测试：邻里噪音",
            reported_at=NOW,
            lon=lon,
            lat=lat,
        ).case.id

    said: dict[str, tuple[str, str]] = {}

    def tried(state: str, case_id: int) -> None:
        said[state] = (_refused(db, case_id, worker), _refused(db, case_id, town))

    case = register()
    tried("registered", case)
    step(case, "triage")
    tried("triaged", case)
    step(case, "dispatch", params={"worker_id": worker.worker_id})
    step(case, "accept", worker)
    failed = {"outcome": "mediation_failed", "route": "litigation"}
    step(case, "resolve", worker, params=failed, note="调解不成")
    tried("legal_route", case)
    step(case, "resolve", params={"outcome": "legal_concluded"}, note="已判决")
    tried("resolved", case)
    step(case, "evaluate")
    tried("evaluated", case)
    step(case, "visit", note="电话回访，当事人满意")
    tried("visited", case)
    step(case, "archive")
    tried("archived", case)
    up = register()
    step(up, "escalate", note="需县级协调")
    tried("escalated", up)

    assert said == {
        "registered": (
            "该案件尚未派单，没有可退回的派单；当前没有您可执行的操作",
            "该案件尚未派单，没有可退回的派单；当前可执行：分流、上报、交办、吹哨",
        ),
        "triaged": (
            "该案件尚未派单（或派单已退回、已撤回），没有可退回的派单；当前没有您可执行的操作",
            "该案件尚未派单（或派单已退回、已撤回），没有可退回的派单；"
            "当前可执行：分流、派单、上报、交办、吹哨",
        ),
        "legal_route": (
            "该案件调解不成、已转法治化途径，原派单随之结束，没有可退回的派单；"
            "当前可执行：办结、处置反馈",
            "该案件调解不成、已转法治化途径，原派单随之结束，没有可退回的派单；"
            "当前可执行：办结、处置反馈、吹哨",
        ),
        "resolved": (
            "该案件已办结，派单已完成，不能再退回；当前可执行：回访",
            "该案件已办结，派单已完成，不能再退回；当前可执行：评价、回访、重新办理",
        ),
        "evaluated": (
            "该案件已办结并评价，派单已完成，不能再退回；当前可执行：回访",
            "该案件已办结并评价，派单已完成，不能再退回；当前可执行：回访、销号、重新办理",
        ),
        "visited": (
            "该案件已办结并回访，派单已完成，不能再退回；当前没有您可执行的操作",
            "该案件已办结并回访，派单已完成，不能再退回；当前可执行：销号、重新办理",
        ),
        "archived": (
            "该案件已销号，派单已完成，不能再退回；当前没有您可执行的操作",
            "该案件已销号，派单已完成，不能再退回；当前可执行：重新办理",
        ),
        "escalated": (
            "该案件已上报，待上级分流，没有可退回的派单；当前没有您可执行的操作",
            "该案件已上报，待上级分流，没有可退回的派单；当前没有您可执行的操作",
        ),
    }


def test_a_return_of_a_department_s_accepted_order_is_the_department_s_to_ask_for(
    db: Session,
) -> None:
    """The township's 退回 of an order 县住建局 受理'd was told 「如需收回，请…退回后再办理」."""
    ensure_world(db)
    bureau = "测退县住建局"
    add_user(db, username=bureau, role="department", scope_code=COUNTY)
    town = actor("dispatcher")
    lon, lat = village_centre(village())
    case = cases.register(
        db,
        actor=town,
        channel="phone",
        category="dispute",
        subcategory="property_management",
        title="退回测试：楼顶彩钢房",
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case
    cases.act(db, case.id, "triage", actor=town, now=NOW)
    cases.act(db, case.id, "dispatch", actor=town, now=NOW, params={"department": bureau})
    department = Actor(user_id=None, name=bureau, role="department", scope_code=COUNTY)
    cases.act(db, case.id, "accept", actor=department, now=NOW)
    with pytest.raises(Forbidden) as refused:
        cases.act(db, case.id, "return", actor=town, now=NOW, note=NOTE)
    assert str(refused.value) == (
        f"该案件已派给{bureau}，{bureau}已受理：退回须由{bureau}提出，本级不能代为退回；"
        f"如需改派，请{bureau}写明原因退回"
    )
