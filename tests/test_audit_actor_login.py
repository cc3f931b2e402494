# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""The audit log names an account by its login, never by its display name (trial AI S2).

A display name is free text an administrator sets (``华宁县指挥中心值班员``) and need not be
unique: the auditor's search by 账号 missed every case action and every reporter unmask, and an
administrator could give one account another's login as its display name to make its reads look
like the other's. The case's own history (read by operators) keeps the display name.

Uses its own township of the workflow world (520424300), purged at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import issue_token
from api.settings import ApiSettings
from layers.workflow import Actor
from tests.conftest import SuiteDatabase
from tests.workflow_data import add_user, ensure_world, purge_world, township, village_centre

TOWN = township(300)
VILLAGE = TOWN[:9] + "001"
LOGIN = "al_disp"
OTHER_LOGIN = "al_other"
Headers = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def spoofing(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[dict[str, str]]:
    """A dispatcher with the unmask right whose display name is another account's login."""
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
        user_id = add_user(owner, username=LOGIN, role="dispatcher", scope_code=TOWN)
        add_user(owner, username=OTHER_LOGIN, role="dispatcher", scope_code=TOWN)
        owner.execute(
            text("UPDATE users SET display_name = :shown, can_unmask = true WHERE id = :id"),
            {"shown": OTHER_LOGIN, "id": user_id},
        )
    token = issue_token(api_settings, user_id, now=datetime.now(UTC))
    yield {"Authorization": f"Bearer {token.token}"}
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


def _entries(client: TestClient, auditor: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    page = client.get("/api/audit", params={"limit": 100, **params}, headers=auditor)
    assert page.status_code == 200, page.text
    return page.json()["entries"]  # type: ignore[no-any-return]


def test_case_actions_and_a_reporter_unmask_are_found_by_the_login(
    api_client: TestClient, auth_headers: Headers, spoofing: dict[str, str]
) -> None:
    """Register, triage, dispatch, reporter unmask: each entry names the login, not the name."""
    lon, lat = village_centre(VILLAGE)
    body = {
        "channel": "hotline_12345",
        "category": "dispute",
        "title": "邻里漏水纠纷",
        "lon": lon,
        "lat": lat,
        "reporter_name": "谢文文",
        "reporter_phone": "15194915423",
    }
    made = api_client.post("/api/cases", json=body, headers=spoofing)
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    url = f"/api/cases/{case_id}"
    triaged = api_client.post(f"{url}/actions/triage", json={"version": 1}, headers=spoofing)
    assert triaged.status_code == 200, triaged.text
    sent = api_client.post(
        f"{url}/dispatch", json={"department": "住建局", "version": 2}, headers=spoofing
    )
    assert sent.status_code == 200, sent.text
    read = api_client.post(
        f"{url}/reporter", json={"reason": "回访当事人核实情况"}, headers=spoofing
    )
    assert read.status_code == 200 and read.json()["reporter_name"] == "谢文文", read.text
    auditor = auth_headers("auditor")
    about_case = {"object_type": "case", "object_id": str(case_id)}
    found = _entries(api_client, auditor, actor=LOGIN, **about_case)
    assert sorted(e["action"] for e in found) == [
        "case.dispatch",
        "case.register",
        "case.reporter.unmask",
        "case.triage",
    ]
    # the other account's login, set as this one's display name, finds none of its acts
    assert _entries(api_client, auditor, actor=OTHER_LOGIN, **about_case) == []
    # the operators' case history keeps the display name
    events = api_client.get(f"{url}/events", headers=spoofing).json()
    assert {e["actor_name"] for e in events} == {OTHER_LOGIN}


def test_a_worker_position_reported_is_entered_under_the_login(
    api_client: TestClient, auth_headers: Headers, spoofing: dict[str, str], database: SuiteDatabase
) -> None:
    """A layer writing its own entry (``worker.position``, layers/dispatch.py) names the login."""
    lon, lat = village_centre(VILLAGE)
    with Session(database.owner) as owner, owner.begin():
        worker = owner.execute(
            text(
                "INSERT INTO workers (name, role, area_code, status)"
                " VALUES ('测试员', 'grid_worker', :v, 'on_duty') RETURNING id"
            ),
            {"v": VILLAGE},
        ).scalar_one()
    moved = api_client.post(
        f"/api/workers/{worker}/position", json={"lon": lon, "lat": lat}, headers=spoofing
    )
    assert moved.status_code == 200, moved.text
    found = _entries(
        api_client,
        auth_headers("auditor"),
        action="worker.position",
        object_type="worker",
        object_id=str(worker),
    )
    assert [e["actor_name"] for e in found] == [LOGIN]


def test_an_actor_is_audited_by_login_and_the_system_by_its_name() -> None:
    """The alerts' and hot-spot runs' entries name ``Actor.audit_name`` as the cases' do."""
    person = Actor(7, "华宁县指挥中心值班员", "commander", "530424000000", login="cmd.530424")
    system = Actor(None, "scheduler", "commander", "530424000000")
    assert (person.audit_name, system.audit_name) == ("cmd.530424", "scheduler")
