# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""The city's work on a case the county escalated, over HTTP (usability trial AM).

交办 asks for a 交办意见 as 督办 asks for its 督办意见 (N11): the level below reads what the
superior asks of it. A case the city handles is offered the city's own departments (the
department accounts scoped to the city), not the county's bureaus, and when the city has none
the answer says so (M1); the city's department account then sees and handles the case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from tests.api_fixtures import act, bearer_of
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    CITY,
    COUNTY,
    add_user,
    ensure_world,
    purge_world,
    village,
    village_centre,
)

TOWN = "520424300000"
V1 = village(300, 1)
Headers = Callable[[str], dict[str, str]]
USERS = {
    "city": ("commander", CITY, None),
    "county": ("commander", COUNTY, None),
    "city_police": ("department", CITY, "市公安局"),
    "city_housing": ("department", CITY, "市住建局"),
    "county_department": ("department", COUNTY, "通海县部门处置人员"),
}


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    """A city and a county commander, two city departments and the county's department account."""
    ids = {}
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
        for key, (role, scope, name) in USERS.items():
            ids[key] = add_user(owner, username=f"cityflow_{key}", role=role, scope_code=scope)
            if name:
                owner.execute(
                    text("UPDATE users SET display_name = :n WHERE id = :u"),
                    {"n": name, "u": ids[key]},
                )

    headers = bearer_of(api_settings, ids)
    yield headers
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


def _register(client: TestClient, headers: dict[str, str], title: str) -> Any:
    lon, lat = village_centre(V1)
    body = {"channel": "phone", "category": "dispute", "title": title, "lon": lon, "lat": lat}
    made = client.post("/api/cases", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _escalated(client: TestClient, users: Headers, title: str) -> int:
    """A case the county registered and escalated to the city, triaged there."""
    case = _register(client, users("county"), title)
    up = act(client, users("county"), case["id"], "escalate", note="涉及多部门，县级协调不了")
    assert up.status_code == 200, up.text
    assert up.json()["handling_level"] == 2
    triaged = act(client, users("city"), case["id"], "triage")
    assert triaged.status_code == 200, triaged.text
    return int(case["id"])


def test_hand_down_asks_for_a_hand_down_note(api_client: TestClient, users: Headers) -> None:
    """交办 without a 交办意见 is refused in Chinese; with one it goes down (trial AM N11)."""
    case_id = _escalated(api_client, users, "交办测试：跨村林地权属争议")
    offered = api_client.get(f"/api/cases/{case_id}/allowed", headers=users("city")).json()
    down = {a["action"]: a for a in offered["allowed"]}["hand_down"]
    assert (down["note_required"], down["to_level"]) == ("交办意见", 3)
    for empty in (None, "", "   "):
        refused = act(api_client, users("city"), case_id, "hand_down", note=empty)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == "请填写交办意见"
    seen = api_client.get(f"/api/cases/{case_id}", headers=users("city")).json()
    assert (seen["state"], seen["handling_level"]) == ("triaged", 2)
    handed = act(
        api_client, users("city"), case_id, "hand_down", note="请县级牵头，12月10日前报送结果"
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["handling_level"] == 3
    log = api_client.get(f"/api/cases/{case_id}/events", headers=users("county")).json()
    notes = [e.get("note") for e in log]
    assert "请县级牵头，12月10日前报送结果" in notes


def test_a_city_level_case_is_offered_the_citys_departments(
    api_client: TestClient, users: Headers, database: SuiteDatabase
) -> None:
    """The city dispatches its case to its own departments, whose account then handles it (M1)."""
    case_id = _escalated(api_client, users, "部门测试：跨县河道采砂纠纷")
    offered = api_client.get(f"/api/departments?case={case_id}", headers=users("city"))
    assert offered.status_code == 200, offered.text
    body = offered.json()
    assert body["departments"] == ["市住建局", "市公安局"]
    assert (body["level"], body["unit"], body["note"]) == (2, CITY, None)

    seen = api_client.get(f"/api/cases/{case_id}", headers=users("city")).json()
    sent = api_client.post(
        f"/api/cases/{case_id}/dispatch",
        json={"department": "市公安局", "version": seen["version"]},
        headers=users("city"),
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["state"] == "dispatched"
    # another department's account, the city's or the county's, does not even read it (AQ S2)
    for other in ("city_housing", "county_department"):
        refused = api_client.get(f"/api/cases/{case_id}", headers=users(other))
        assert refused.status_code == 404, (other, refused.text)
    # the city's department account sees the case (its scope is the city) and takes it on
    police = users("city_police")
    shown = api_client.get(f"/api/cases/{case_id}", headers=police)
    assert shown.status_code == 200, shown.text
    assert "accept" in shown.json()["allowed_actions"]
    accepted = act(api_client, police, case_id, "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"

    # a county-level case keeps the county's departments: the city's are not among them
    county = users("county")
    own = _register(api_client, county, "部门测试：县内违建纠纷")
    assert act(api_client, county, own["id"], "triage").status_code == 200
    listed = api_client.get(f"/api/departments?case={own['id']}", headers=county).json()
    assert listed["level"] == 3 and listed["note"] is None
    assert not {"市公安局", "市住建局"} & set(listed["departments"])
    # sent to a county bureau with no account of its own: the county's shared account takes
    # it on, the city's departments do not
    seen = api_client.get(f"/api/cases/{own['id']}", headers=county).json()
    sent = api_client.post(
        f"/api/cases/{own['id']}/dispatch",
        json={"department": "县住建局", "version": seen["version"]},
        headers=county,
    )
    assert sent.status_code == 200, sent.text
    refused = api_client.get(f"/api/cases/{own['id']}", headers=users("city_housing"))
    assert refused.status_code == 404, refused.text
    taken = act(api_client, users("county_department"), own["id"], "accept")
    assert taken.status_code == 200, taken.text


def test_a_city_without_departments_is_told_so(
    api_client: TestClient, users: Headers, database: SuiteDatabase
) -> None:
    """No department account at the city: the list is empty and says how to add one (M1)."""
    case_id = _escalated(api_client, users, "部门测试：跨县草场边界纠纷")
    with Session(database.owner) as owner, owner.begin():
        owner.execute(text("UPDATE users SET active = false WHERE username LIKE 'cityflow_city_%'"))
    try:
        body = api_client.get(f"/api/departments?case={case_id}", headers=users("city")).json()
    finally:
        with Session(database.owner) as owner, owner.begin():
            owner.execute(
                text("UPDATE users SET active = true WHERE username LIKE 'cityflow_city_%'")
            )
    assert body["departments"] == []
    assert body["note"].startswith("安顺市未设职能部门账号")
    assert "账号管理" in body["note"]


def _listed(client: TestClient, headers: dict[str, str], stage: str) -> dict[int, Any]:
    got = client.get(f"/api/cases?stage={stage}", headers=headers)
    assert got.status_code == 200, got.text
    return {row["id"]: row for row in got.json()}


def test_the_city_lists_what_came_up_what_it_supervised_and_handed_down(
    api_client: TestClient, users: Headers
) -> None:
    """下级上报, 我督办的 (acted on since?) and 我交办的 at the city (trial AM M3)."""
    city, county = users("city"), users("county")
    up = _escalated(api_client, users, "列表测试：跨县水源地纠纷")
    # 分流'd by the city, it is still listed as come from below, and not in the county's own
    assert up in _listed(api_client, city, "from_below")
    assert up not in _listed(api_client, county, "from_below")
    assert up in _listed(api_client, county, "escalated")

    down = _escalated(api_client, users, "列表测试：跨村土地流转纠纷")
    assert down not in _listed(api_client, city, "handed_down")
    handed = act(api_client, city, down, "hand_down", note="请县级组织调解，三日内报结果")
    assert handed.status_code == 200, handed.text
    assert down in _listed(api_client, city, "handed_down")
    assert down in _listed(api_client, city, "from_below")  # it came from below all the same
    assert down not in _listed(api_client, county, "handed_down")

    own = _register(api_client, county, "列表测试：县内劳资纠纷")
    assert act(api_client, county, own["id"], "triage").status_code == 200
    assert own["id"] not in _listed(api_client, city, "supervised")
    until = datetime.now(UTC) + timedelta(days=3)
    done = act(
        api_client,
        city,
        own["id"],
        "supervise",
        note="请于三日内办结并报送结果",
        params={"deadline": until.isoformat()},
    )
    assert done.status_code == 200, done.text
    row = _listed(api_client, city, "supervised")[own["id"]]
    assert row["acted_since"] is None and row["supervision_deadline"] is not None
    # the city's own 催办 is not an answer; the county's 分流 is
    assert act(api_client, city, own["id"], "remind", note="请抓紧").status_code == 200
    assert _listed(api_client, city, "supervised")[own["id"]]["acted_since"] is None
    assert act(api_client, county, own["id"], "triage").status_code == 200
    since = _listed(api_client, city, "supervised")[own["id"]]["acted_since"]
    assert (since["action"], since["label"]) == ("triage", "分流")
    assert own["id"] not in _listed(api_client, county, "supervised")


def test_the_citys_escalate_on_a_county_case_is_called_taking_it_up(
    api_client: TestClient, users: Headers
) -> None:
    """The city's 上报 on a county-level case is 提级办理; the county's stays 上报 (N10)."""
    county = users("county")
    case = _register(api_client, county, "提级测试：县内征地补偿纠纷")
    assert act(api_client, county, case["id"], "triage").status_code == 200

    def labels(key: str) -> dict[str, str]:
        body = api_client.get(f"/api/cases/{case['id']}/allowed", headers=users(key)).json()
        return {a["action"]: a["label"] for a in body["allowed"]}

    assert labels("city")["escalate"] == "提级办理"
    assert labels("county")["escalate"] == "上报"
    taken = act(api_client, users("city"), case["id"], "escalate", note="涉及两县，市级直接办理")
    assert taken.status_code == 200, taken.text
    assert taken.json()["handling_level"] == 2
