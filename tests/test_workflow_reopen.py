# ruff: noqa: F811 - the world fixture imported from tests.test_workflow_registrar_level
"""Trial AH S2, M4: 重新办理 keeps the registration's time limits and says why, to the next worker.

A reopened late case got a fresh 30 days and left the overdue figures; the reason was optional
and the worker the case went to next read nothing of it on 我的任务.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from layers import case_lists, case_reminders, cases
from layers.errors import InvalidInput
from layers.model import Case
from tests.test_workflow_registrar_level import (  # noqa: F401 - the world fixture
    TOWN_DESK,
    V1,
    _register,
    world,
)
from tests.workflow_data import NOW, add_worker, village_centre


def _settle(db: Session, case: Case, worker_id: int) -> None:
    cases.act(db, case.id, "triage", actor=TOWN_DESK, now=NOW)
    cases.act(db, case.id, "dispatch", actor=TOWN_DESK, now=NOW, params={"worker_id": worker_id})
    cases.act(db, case.id, "accept", actor=TOWN_DESK, now=NOW)
    cases.act(
        db,
        case.id,
        "resolve",
        actor=TOWN_DESK,
        now=NOW + timedelta(days=35),
        note="已协调赔偿",
        params={"outcome": "mediated"},
    )


def test_a_reopened_case_keeps_its_limits_says_why_and_tells_the_next_worker(
    world: Session,
) -> None:
    lon, lat = village_centre(V1)
    worker_id = add_worker(world, area_code=V1, lon=lon, lat=lat, name="谢网格员")
    case = _register(world, TOWN_DESK, "漏水纠纷")
    limits = (case.contact_deadline, case.deadline)
    _settle(world, case, worker_id)
    later = NOW + timedelta(days=36)
    with pytest.raises(InvalidInput, match="请填写重新办理原因"):
        cases.act(world, case.id, "reopen", actor=TOWN_DESK, now=later, note="  ")
    case = cases.act(world, case.id, "reopen", actor=TOWN_DESK, now=later, note="当事人称仍漏水")
    # the registration's limits: past them, the case is overdue at once (trial AH S2)
    assert (case.contact_deadline, case.deadline) == limits
    assert case.deadline is not None and case.deadline < later
    overdue = case_lists.stage_list(
        world, actor=TOWN_DESK, stage=case_lists.Stage.OVERDUE, now=later
    )
    assert case.id in {c.id for c in overdue}
    # the next 派单's note carries the reason to the worker's 我的任务 (trial AH M4)
    cases.act(
        world,
        case.id,
        "dispatch",
        actor=TOWN_DESK,
        now=later,
        note="请复查",
        params={"worker_id": worker_id},
    )
    mark = case_reminders.marks(world, [case.id])[case.id]
    assert mark.dispatch_note == "重新办理：当事人称仍漏水；请复查"
    # settled again, the round is over: a later dispatch says nothing of it
    assert cases.reopen_reason(world, case.id) == "当事人称仍漏水"
    cases.act(world, case.id, "accept", actor=TOWN_DESK, now=later)
    cases.act(
        world,
        case.id,
        "resolve",
        actor=TOWN_DESK,
        now=later,
        params={"outcome": "resolved"},
        note="复查后更换了漏水管段",
    )
    assert cases.reopen_reason(world, case.id) is None
