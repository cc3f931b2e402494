"""A refused read of a case's reporter keeps in the audit log the reason typed (trial AU m4).

The entry of a refused ``POST /api/cases/{id}/reporter`` stored the error message as its
reason (「Forbidden: 您没有查看反映人完整信息的权限」) and dropped what the reader had typed
(「督办需要」), where a refused person unmask keeps the reason typed and says the refusal
beside it. Now the reporter's refusal is audited as the person's is: the reason typed, cleared
of personal numbers and of the reporter's own name and phone, and the refusal in
``detail.refused`` (the 审计日志 page's 结果: 拒绝（…）).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from layers import audit_wording, cases
from layers.errors import Forbidden, InvalidInput, NotFound
from layers.model import AuditEntry, Case
from tests.api_fixtures import TOWN_A1, ApiWorld
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_worker,
    ensure_world,
    village,
    village_centre,
    worker_actor,
)

NAME, PHONE = "汪丽华", "13700004444"
Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _case(world: Session) -> Case:
    lon, lat = village_centre(village())
    return cases.register(
        world,
        actor=actor(),
        channel="phone",
        category="dispute",
        subcategory="neighbours",
        title="反映人拒绝审计测试",
        reported_at=NOW,
        lon=lon,
        lat=lat,
        reporter_name=NAME,
        reporter_phone=PHONE,
    ).case


def _entries(world: Session, object_id: str) -> list[AuditEntry]:
    return list(
        world.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "case.reporter.unmask", AuditEntry.object_id == object_id)
            .order_by(AuditEntry.id)
        )
    )


def test_a_refused_reporter_read_keeps_the_reason_typed_without_personal_data(
    world: Session,
) -> None:
    case = _case(world)
    lon, lat = village_centre(village())
    other = worker_actor(add_worker(world, area_code=village(), lon=lon, lat=lat, name="他人"))
    county = actor("commander", COUNTY)  # above the village's level, without the right
    with pytest.raises(Forbidden):
        cases.reporter_contact(world, case.id, actor=county, can_unmask=False, reason=" 督办需要 ")
    with pytest.raises(Forbidden):  # a phone number and the reporter's name are not kept
        cases.reporter_contact(
            world,
            case.id,
            actor=other,
            can_unmask=False,
            reason=f"回访{NAME}，电话13912345678",
        )
    with pytest.raises(InvalidInput):  # a reason that is none, with the right: failed
        cases.reporter_contact(world, case.id, actor=county, can_unmask=True, reason="看")
    with pytest.raises(NotFound):  # no such case: its reporter unread, the reason not kept
        cases.reporter_contact(world, 0, actor=county, can_unmask=False, reason=f"查{NAME}")
    got = [
        (e.outcome, e.reason, (e.detail or {}).get("refused"))
        for e in _entries(world, str(case.id))
    ]
    assert got == [
        ("denied", "督办需要", cases.NO_REPORTER_RIGHT),
        ("denied", "回访[姓名已略去]，电话[手机号已略去]", cases.NOT_OWN_REPORTER),
        ("failed", "看", got[2][2]),
    ]
    assert got[2][2] and "事由" in got[2][2]
    (missing,) = _entries(world, "0")
    assert (missing.outcome, missing.reason) == ("denied", cases.REPORTER_REASON_NOT_KEPT)
    # the 审计日志 page says the refusal in 结果, as a refused person unmask
    first = _entries(world, str(case.id))[0]
    assert audit_wording.outcome_text(first) == f"拒绝（{cases.NO_REPORTER_RIGHT}）"
    logged = _entries(world, str(case.id)) + [missing]
    assert all(NAME not in str(e.reason) + str(e.detail) for e in logged)
    assert all(PHONE not in str(e.reason) + str(e.detail) for e in logged)


def test_a_refused_reporter_read_over_http_is_audited_once_with_the_reason(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    case_id = next(k for k, a in api_world.objects["cases"].items() if a.startswith(TOWN_A1[:9]))
    refused = api_client.post(
        f"/api/cases/{case_id}/reporter",
        json={"reason": "督办需要，联系13812345678核实"},
        headers=auth_headers("cmd_a"),  # the county, above the township handling it
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == cases.NO_REPORTER_RIGHT
    with database.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT actor_name, outcome, reason, detail->>'refused' FROM audit_log"
                " WHERE action = 'case.reporter.unmask' AND object_id = :id"
                " ORDER BY id DESC LIMIT 2"
            ),
            {"id": case_id},
        ).all()
    latest = tuple(rows[0])
    assert latest[1:] == ("denied", "督办需要，联系[手机号已略去]核实", cases.NO_REPORTER_RIGHT)
    assert latest[0].endswith("cmd_a")
    # one entry for the one refusal (not the layer's and the router's both)
    assert len(rows) < 2 or tuple(rows[1])[2] != latest[2]
