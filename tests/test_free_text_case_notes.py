# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""Text typed into the console holds no resident ID or mobile number (trial AI S6).

A case's title and description, a case action's note (办理说明, 派单说明 …), an alert's 处置情况
and a visit's 走访情况 are read in clear, without an audit entry, by accounts with no unmask
right (province, city, department): a number written there undid the reporter's masking. Each
is refused with a message naming what was found and where it belongs; the refusal's audit entry
says so without the number.

Cases use their own township of the workflow world (520424300), purged at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth import issue_token
from api.deps import Principal
from api.routers.cases import audited_refusal
from api.settings import ApiSettings
from layers import alerts
from layers.errors import InvalidInput
from layers.model import AuditEntry
from layers.workflow import Actor
from tests.api_fixtures import VILLAGES, ApiWorld, written_text
from tests.conftest import SuiteDatabase
from tests.workflow_data import add_user, ensure_world, purge_world, township, village_centre

TOWN = township(300)
VILLAGE = TOWN[:9] + "001"
Headers = Callable[[str], dict[str, str]]
ID_NUMBER = "530424198006186858"
CASE_TEXT_SAYS = (
    "中不要写身份证号、手机号：案件不登记身份证号（案件内容各级都能看到）；"
    "反映人的电话请填在“联系电话”中（脱敏保存）"
)


@pytest.fixture(scope="module")
def dispatcher(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[dict[str, str]]:
    """A township dispatcher of the workflow world."""
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
        user_id = add_user(owner, username="ft_disp", role="dispatcher", scope_code=TOWN)
    token = issue_token(api_settings, user_id, now=datetime.now(UTC))
    yield {"Authorization": f"Bearer {token.token}"}
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


def _case(**given: Any) -> dict[str, Any]:
    lon, lat = village_centre(VILLAGE)
    body = {"channel": "walk_in", "category": "dispute", "title": "邻里漏水纠纷"}
    return body | {"lon": lon, "lat": lat, "reporter_name": "王小明"} | given


def _last_refusal(client: TestClient, headers: Headers, action: str) -> dict[str, Any]:
    page = client.get(
        "/api/audit", params={"action": action, "actor": "ft_disp", "limit": 1}, headers=headers
    )
    assert page.status_code == 200, page.text
    return page.json()["entries"][0]  # type: ignore[no-any-return]


def test_a_case_whose_title_or_description_holds_an_id_or_a_phone_is_refused(
    api_client: TestClient, auth_headers: Headers, dispatcher: dict[str, str]
) -> None:
    """The trial's case: 反映人王小明，身份证…，电话… in the description, 201 and read in clear."""
    description = f"反映人王小明，身份证{ID_NUMBER}，电话13912345678，与邻居因漏水纠纷"
    refused = api_client.post("/api/cases", json=_case(description=description), headers=dispatcher)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "情况描述" + CASE_TEXT_SAYS
    entry = _last_refusal(api_client, auth_headers("auditor"), "case.register")
    assert entry["outcome"] == "failed" and entry["reason"].endswith(CASE_TEXT_SAYS)
    assert ID_NUMBER not in str(entry) and "5678" not in written_text(entry)
    spaced = api_client.post(
        "/api/cases", json=_case(title="王小明 139 1234 5678 漏水"), headers=dispatcher
    )
    assert spaced.status_code == 422
    assert spaced.json()["detail"] == (
        "事项标题中不要写手机号：反映人的电话请填在“联系电话”中（脱敏保存）"
    )
    # where it belongs: the reporter's phone in its own field, masked to those who read the case
    made = api_client.post(
        "/api/cases",
        json=_case(description="与邻居因漏水纠纷，编号 20261202", reporter_phone="13912345678"),
        headers=dispatcher,
    )
    assert made.status_code == 201, made.text
    assert made.json()["reporter_phone"] == "139****5678"


def test_a_case_actions_note_with_an_id_or_a_phone_is_refused(
    api_client: TestClient, dispatcher: dict[str, str]
) -> None:
    made = api_client.post("/api/cases", json=_case(), headers=dispatcher)
    assert made.status_code == 201, made.text
    url = f"/api/cases/{made.json()['id']}"
    note = {"version": 1, "note": "已电话联系 138-1234-5678"}
    refused = api_client.post(f"{url}/actions/triage", json=note, headers=dispatcher)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("办理说明中不要写手机号：反映人的电话已在案件的")
    triaged = api_client.post(
        f"{url}/actions/triage", json={"version": 1, "note": "转镇司法所"}, headers=dispatcher
    )
    assert triaged.status_code == 200, triaged.text
    sent = {"department": "住建局", "version": 2, "note": f"当事人身份证 {ID_NUMBER}"}
    refused = api_client.post(f"{url}/dispatch", json=sent, headers=dispatcher)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("派单说明中不要写身份证号：")
    sent["note"] = "请核查漏水原因"
    assert api_client.post(f"{url}/dispatch", json=sent, headers=dispatcher).status_code == 200
    events = api_client.get(f"{url}/events", headers=dispatcher).json()
    assert [e["note"] for e in events if e["action"] in ("triage", "dispatch")] == [
        "转镇司法所",
        "请核查漏水原因",
    ]


def test_a_visit_note_with_an_id_or_a_phone_is_refused(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    """The trial: the placeholder said 勿填写身份证号, yet the note was stored (201)."""
    pid = next(p for p, v in sorted(api_world.objects["persons"].items()) if v == VILLAGES[0])

    def visits() -> int:
        with Session(database.owner) as owner:
            return int(
                owner.execute(
                    text("SELECT count(*) FROM person_visits WHERE person_id = :p"), {"p": int(pid)}
                ).scalar_one()
            )

    before = visits()
    note = f"本人身份证{api_world.resident_ids[int(pid)]}，电话13811112222"
    refused = api_client.post(
        f"/api/persons/{pid}/visits", json={"note": note}, headers=auth_headers("worker_v0")
    )
    assert refused.status_code == 422, refused.text
    told = refused.json()["detail"]
    assert told.startswith("走访情况中不要写身份证号、手机号：该人员的身份证号已在其记录中")
    assert visits() == before
    page = api_client.get(
        "/api/audit",
        params={"action": "visit.record", "object_type": "person", "object_id": pid, "limit": 1},
        headers=auth_headers("auditor"),
    ).json()
    assert page["entries"][0]["reason"].endswith(told)


def test_an_alerts_note_with_a_phone_is_refused_before_anything_is_read(db: Session) -> None:
    actor = Actor(1, "值班员", "commander", "530424000000", login="cmd.530424")
    now = datetime.now(UTC)
    with pytest.raises(InvalidInput, match="^处置情况中不要写手机号："):
        alerts.close(db, 2**40, actor=actor, note="已联系 13812345678 处置", now=now)
    with pytest.raises(InvalidInput, match="^重新打开的原因中不要写身份证号："):
        alerts.reopen(db, 2**40, actor=actor, reason=f"当事人{ID_NUMBER}再次反映", now=now)


def test_the_address_the_work_order_number_and_the_departments_are_checked_too(
    api_client: TestClient, dispatcher: dict[str, str]
) -> None:
    """Trial AJ M2: the address, the 12345 number and the 吹哨 departments took a plain ID."""
    address = api_client.post(
        "/api/cases",
        json=_case(address=f"复安社区8组 王小明 13912345678 身份证{ID_NUMBER}"),
        headers=dispatcher,
    )
    assert address.status_code == 422
    assert address.json()["detail"].startswith("地址中不要写身份证号、手机号：")
    numbered = api_client.post(
        "/api/cases",
        json=_case(channel="hotline_12345", external_no=ID_NUMBER),
        headers=dispatcher,
    )
    assert numbered.status_code == 422 and ID_NUMBER not in numbered.text
    assert numbered.json()["detail"].startswith("12345热线编号")
    made = api_client.post(
        "/api/cases",
        json=_case(channel="hotline_12345", external_no="YX20261206000123"),
        headers=dispatcher,
    )
    assert made.status_code == 201, made.text
    url = f"/api/cases/{made.json()['id']}"
    summoned = api_client.post(
        f"{url}/actions/summon",
        json={"version": 1, "params": {"departments": ["县公安局 联系人13912345678"]}},
        headers=dispatcher,
    )
    assert summoned.status_code == 422
    assert summoned.json()["detail"].startswith("吹哨部门中不要写手机号")
    triaged = api_client.post(f"{url}/actions/triage", json={"version": 1}, headers=dispatcher)
    assert triaged.status_code == 200, triaged.text
    sent = {"department": "住建局 13912345678", "version": 2}
    refused = api_client.post(f"{url}/dispatch", json=sent, headers=dispatcher)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("职能部门中不要写手机号")


def test_a_refusal_quoting_a_typed_value_is_audited_with_its_number_masked(
    database: SuiteDatabase,
) -> None:
    """A refused write's audit entry keeps what the reader was told, with any personal number a
    refusal quotes (a value typed into the wrong field) masked, as everywhere in the log."""
    user = Principal(
        id=0, username="ft_quoting", display_name="测试", role="dispatcher",
        scope_code=TOWN, can_unmask=False, worker_id=None,
    )  # fmt: skip
    with Session(database.owner) as session, pytest.raises(InvalidInput):
        with audited_refusal(session, user, "case.register", "case", None):
            raise InvalidInput(f"网格 {ID_NUMBER} 不在辖区内")
    with Session(database.owner) as session:
        reason = session.scalars(
            select(AuditEntry.reason)
            .where(AuditEntry.actor_name == "ft_quoting")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).one()
    assert reason is not None and reason.startswith("InvalidInput: 网格 ")
    assert ID_NUMBER not in reason and "530424********6858" in reason  # masked as elsewhere
