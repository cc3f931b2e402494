# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""Trial AH over HTTP: a case at its registrar's level, where a 上报 goes, what a desk reads.

``escalate_to_level`` on a case and ``to_level`` on ``/allowed`` name where a 上报 (or a 交办)
sends it, for the dialogs' 上报至市级 (S1); ``latest`` carries the 退回, 办结, 督办 and
上报/交办 the desk shows beside the case (M3, M5, M6); 重新办理 without a reason is refused in
Chinese (S2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from tests.api_fixtures import bearer_of
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    COUNTY,
    village,
    village_centre,
    world_accounts,
)

TOWN = "520424200000"
V1 = village(200, 1)
Headers = Callable[[str], dict[str, str]]
USERS = {
    "county": ("commander", COUNTY),
    "town": ("dispatcher", TOWN),
    "village": ("commander", V1),
}


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    with world_accounts(database, USERS, "ah") as ids:
        yield bearer_of(api_settings, ids)


def _register(client: TestClient, headers: dict[str, str], title: str, dx: float) -> Any:
    lon, lat = village_centre(V1)
    body = {
        "channel": "phone",
        "category": "dispute",
        "subcategory": "neighbours",
        "title": title,
        "lon": lon + dx,
        "lat": lat,
    }
    response = client.post("/api/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _act(client: TestClient, headers: dict[str, str], case: Any, action: str, **body: Any) -> Any:
    return client.post(
        f"/api/cases/{case['id']}/actions/{action}",
        json={"version": case["version"], **body},
        headers=headers,
    )


def _moves(client: TestClient, headers: dict[str, str], case_id: int) -> dict[str, Any]:
    allowed = client.get(f"/api/cases/{case_id}/allowed", headers=headers).json()["allowed"]
    return {a["action"]: a["to_level"] for a in allowed}


def _listed(client: TestClient, headers: dict[str, str], stage: str) -> dict[int, Any]:
    found = client.get("/api/cases", params={"stage": stage}, headers=headers).json()
    return {c["id"]: c for c in found}


def test_a_county_registration_is_the_countys_and_its_escalation_names_the_city(
    api_client: TestClient, users: Headers
) -> None:
    county = users("county")
    case = _register(api_client, county, "征地补偿款分配不均，村民拟集体上访", 0.0)
    assert (case["handling_level"], case["escalate_to_level"]) == (3, 2)
    assert case["latest"]["moved"] is None
    assert case["id"] in _listed(api_client, county, "queue")
    assert case["id"] not in _listed(api_client, users("town"), "queue")
    moves = _moves(api_client, county, case["id"])
    assert (moves["escalate"], moves["hand_down"], moves["triage"]) == (2, 4, None)
    escalated = _act(api_client, county, case, "escalate", note="需市级统筹协调")
    assert escalated.status_code == 200, escalated.text
    moved = escalated.json()["latest"]["moved"]
    assert moved["action"] == "escalate" and moved["actor_name"] == "ah_county"
    assert moved["payload"] == {"from_level": 3, "to_level": 2, "by_level": 3}
    # the county follows it among its 已上报, with the move said
    above = _listed(api_client, county, "escalated")[case["id"]]
    assert above["handling_level"] == 2 and above["latest"]["moved"]["payload"]["to_level"] == 2


def test_a_village_registration_waits_at_the_village_which_may_report_it_up(
    api_client: TestClient, users: Headers
) -> None:
    here = users("village")
    case = _register(api_client, here, "楼上漏水影响楼下住户", 0.004)
    assert (case["handling_level"], case["escalate_to_level"]) == (5, 4)
    assert case["id"] in _listed(api_client, here, "queue")
    assert _moves(api_client, here, case["id"])["escalate"] == 4
    up = _act(api_client, here, case, "escalate", note="涉及多户，请镇调解")
    assert up.status_code == 200, up.text
    assert case["id"] in _listed(api_client, users("town"), "queue")


def test_a_reopen_without_its_reason_is_refused_in_chinese(
    api_client: TestClient, users: Headers
) -> None:
    town = users("town")
    case = _register(api_client, town, "噪音扰民", 0.008)
    assert case["handling_level"] == 4
    for action, body in (
        ("triage", {}),
        ("dispatch", {"params": {"department": "司法所"}}),
        ("accept", {}),
        ("resolve", {"params": {"outcome": "mediated"}, "note": "已调解"}),
    ):
        answer = _act(api_client, town, case, action, **body)
        assert answer.status_code == 200, answer.text
        case = answer.json()
    assert case["latest"]["resolved"]["note"] == "已调解"
    refused = _act(api_client, town, case, "reopen", note=" ")
    assert refused.status_code == 422
    assert "请填写重新办理原因" in refused.text
    reopened = _act(api_client, town, case, "reopen", note="当事人称仍有噪音")
    assert reopened.status_code == 200, reopened.text
    facts = reopened.json()["latest"]
    assert facts["resolved"] is None and facts["reopened"]["note"] == "当事人称仍有噪音"
    assert reopened.json()["deadline"] == case["deadline"]


def test_a_report_up_and_a_settlement_without_their_note_are_refused_in_chinese(
    api_client: TestClient, users: Headers
) -> None:
    """上报 says why (上报原因: the level above reads it) and 办结 what was done (办结说明),
    the legal route's 办结 too; each note is in the timeline."""
    town = users("town")
    up = _register(api_client, town, "两村灌溉用水纠纷", 0.012)
    offered = api_client.get(f"/api/cases/{up['id']}/allowed", headers=town).json()["allowed"]
    assert {a["action"]: a["note_required"] for a in offered}["escalate"] == "上报原因"
    for blank in ({}, {"note": None}, {"note": "  "}):
        refused = _act(api_client, town, up, "escalate", **blank)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == "请填写上报原因"
    why = "涉及两个乡镇的水源分配，需县级协调"
    escalated = _act(api_client, town, up, "escalate", note=why)
    assert escalated.status_code == 200, escalated.text
    assert escalated.json()["handling_level"] == 3

    case = _register(api_client, town, "宅基地边界纠纷", 0.016)
    for action, body in (
        ("triage", {}),
        ("dispatch", {"params": {"department": "司法所"}}),
        ("accept", {}),
    ):
        answer = _act(api_client, town, case, action, **body)
        assert answer.status_code == 200, answer.text
        case = answer.json()
    offered = api_client.get(f"/api/cases/{case['id']}/allowed", headers=town).json()["allowed"]
    assert {a["action"]: a["note_required"] for a in offered}["resolve"] == "办结说明"
    steps = (
        ({"outcome": "mediation_failed", "route": "litigation"}, "两次调解未果，已引导起诉"),
        ({"outcome": "legal_concluded"}, "法院判决已履行"),
    )
    for params, done in steps:
        for blank in ({}, {"note": " "}):
            refused = _act(api_client, town, case, "resolve", params=params, **blank)
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"] == "请填写办结说明"
        answer = _act(api_client, town, case, "resolve", params=params, note=done)
        assert answer.status_code == 200, answer.text
        case = answer.json()
    assert case["state"] == "resolved"
    assert case["latest"]["resolved"]["note"] == "法院判决已履行"

    events = {
        c["id"]: api_client.get(f"/api/cases/{c['id']}/events", headers=town).json()
        for c in (up, case)
    }
    assert [(e["action"], e["note"]) for e in events[up["id"]]][-1] == ("escalate", why)
    assert [(e["action"], e["note"]) for e in events[case["id"]] if e["action"] == "resolve"] == [
        ("resolve", "两次调解未果，已引导起诉"),
        ("resolve", "法院判决已履行"),
    ]
