"""交办并督办: the city hands a case just 上报'd to it back and 督办s it in one step (trial AZ m8).

The city could not 督办 a case the county had just 上报'd (督办 is a superior's, and the case was
the city's own): it had to 交办 it back first, which a duty officer did not see. The refusal now
says so, ``GET /{id}/allowed`` offers 交办并督办 on such a case, and
``POST /{id}/hand-down-supervise`` does both, each through its own check, or neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.database import apply_scope
from tests.api_fixtures import CITY, COUNTY_A, ApiWorld, act, grid_centre
from tests.conftest import SuiteDatabase
from tests.workflow_data import delete_cases

Headers = Callable[[str], dict[str, str]]
ORDER = "请华宁县于明日8时前报送劳资纠纷处置情况"


@pytest.fixture
def escalated(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, api_world: ApiWorld
) -> Iterator[dict[str, Any]]:
    """A case the county registered and 上报'd to the city; deleted afterwards."""
    lon, lat = grid_centre(0, 3)
    county = auth_headers("cmd_a")
    body = {"channel": "hotline_12345", "category": "dispute", "subcategory": "labour_wages"}
    made = api_client.post(
        "/api/cases",
        json=body | {"title": "交办并督办测试：工业园区欠薪", "lon": lon, "lat": lat},
        headers=county,
    )
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    try:
        up = act(api_client, county, case_id, "escalate", note="涉及多家企业，县里协调不了")
        assert up.status_code == 200 and up.json()["handling_level"] == 2, up.text
        yield up.json()
    finally:
        with database.owner.connect() as conn, conn.begin():
            session = Session(bind=conn)
            apply_scope(session, None)
            delete_cases(session, [case_id])
            session.flush()


def test_the_city_hands_down_and_supervises_in_one_step(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    escalated: dict[str, Any],
) -> None:
    city = auth_headers("cmd_city")
    case_id = escalated["id"]
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    # the 督办 alone is refused, saying what to do
    refused = act(api_client, city, case_id, "supervise", note=ORDER, params={"deadline": until})
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "督办须由上级发起：该案件由市级办理，您在市级；"
        "如需下级限期办理，请用「交办并督办」一步完成（即先交办给下级，再督办）"
    )
    allowed = api_client.get(f"/api/cases/{case_id}/allowed", headers=city).json()["allowed"]
    step = next(a for a in allowed if a["action"] == "hand_down_supervise")
    assert step == {
        "action": "hand_down_supervise",
        "label": "交办并督办",
        "note_required": "督办意见",
        "to_level": 3,
        "to_unit": {"code": COUNTY_A, "name": "甲区"},  # 交办至甲区 (trial BC)
    }
    # the command console's queue offers it on the row too (the city's own queue)
    feed = api_client.get(f"/api/command/{CITY}", headers=city).json()
    row = next(c for c in feed["queue"] if c["id"] == case_id)
    assert "hand_down" in row["allowed_actions"]
    assert "hand_down_supervise" in row["allowed_actions"]
    path = f"/api/cases/{case_id}/hand-down-supervise"
    # no 督办时限: neither step is taken
    version = escalated["version"]
    none = api_client.post(path, json={"version": version, "note": ORDER}, headers=city)
    assert none.status_code == 422 and none.json()["detail"] == "请填写督办时限"
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    late = api_client.post(
        path, json={"version": version, "note": ORDER, "deadline": past}, headers=city
    )
    assert late.status_code == 422 and late.json()["detail"] == "督办期限须晚于现在，请重新选择"
    with database.owner.connect() as conn:
        level = conn.execute(
            text("SELECT handling_level FROM cases WHERE id = :id"), {"id": case_id}
        ).scalar_one()
    assert level == 2  # the 交办 of the refused step was undone with it
    done = api_client.post(
        path, json={"version": version, "note": ORDER, "deadline": until}, headers=city
    )
    assert done.status_code == 200, done.text
    assert done.json()["handling_level"] == 3
    assert done.json()["supervision_deadline"] is not None
    with database.owner.connect() as conn:
        steps = conn.execute(
            text(
                "SELECT action, note, payload->>'unit_code' FROM case_events"
                " WHERE case_id = :id AND action IN ('hand_down', 'supervise') ORDER BY id"
            ),
            {"id": case_id},
        ).all()
    assert [tuple(s) for s in steps] == [("hand_down", ORDER, COUNTY_A), ("supervise", ORDER, None)]
    # the county reads the 督办 to answer; the city is no longer offered the step
    listed = api_client.get(
        f"/api/cases?code={COUNTY_A}&stage=under_supervision", headers=auth_headers("cmd_a")
    ).json()
    assert case_id in {c["id"] for c in listed}
    again = api_client.get(f"/api/cases/{case_id}/allowed", headers=city).json()["allowed"]
    assert "hand_down_supervise" not in {a["action"] for a in again}
    feed = api_client.get(f"/api/command/{COUNTY_A}", headers=auth_headers("cmd_a")).json()
    row = next(c for c in feed["queue"] if c["id"] == case_id)
    assert "hand_down_supervise" not in row["allowed_actions"]  # the county's to answer


def test_the_step_is_not_offered_where_a_supervise_is(
    api_client: TestClient, auth_headers: Headers, escalated: dict[str, Any]
) -> None:
    """The province, above the city, 督办s the case as it is: no combined step for it."""
    case_id = escalated["id"]
    province = api_client.get(
        f"/api/cases/{case_id}/allowed", headers=auth_headers("cmd_province")
    ).json()["allowed"]
    names = {a["action"] for a in province}
    assert "supervise" in names and "hand_down_supervise" not in names
