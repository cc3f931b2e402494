"""The 疑似重复 of the case detail and 不是同一事项 over HTTP (closing note s44, p3).

The detail lists each suspected original with what the case page shows (number, title, time,
distance, its address); an operator dismisses one with ``POST /{id}/dismiss-suspected``: it is
listed no more, audited, and the role, scope and version are checked as for 合并为重复反映.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api_fixtures import village_box
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
DAY = datetime(2017, 3, 5, 9, 0, tzinfo=UTC)
"""No other test reports a neighbours' case in 2017 (the repeat window is 30 days)."""
M_PER_DEG = 111_000.0


def _register(
    client: TestClient, headers: dict[str, str], made: list[int], east_m: float, address: str
) -> dict[str, Any]:
    west, south, east, north = village_box(0)
    response = client.post(
        "/api/cases",
        json={
            "channel": "phone",
            "category": "dispute",
            "subcategory": "neighbours",
            "title": "疑似重复测试：" + address,
            "lon": (west + east) / 2 + east_m / (M_PER_DEG * 0.94),
            "lat": (south + north) / 2,
            "address": address,
            "reported_at": (DAY + timedelta(hours=len(made))).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    made.append(response.json()["id"])
    return dict(response.json())


def _dismiss(client: TestClient, headers: dict[str, str], case_id: int, original: int) -> Any:
    return client.post(
        f"/api/cases/{case_id}/dismiss-suspected", json={"original_id": original}, headers=headers
    )


def test_an_operator_dismisses_a_suspected_original_the_detail_lists(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, made: list[int]
) -> None:
    disp = auth_headers("disp_a1")
    first = _register(api_client, disp, made, 0.0, "测试村南门街86号")
    other = _register(api_client, disp, made, 30.0, "测试村建设路92号")
    assert other["linked_to"] is None
    detail = api_client.get(f"/api/cases/{other['id']}/detail", headers=disp).json()
    assert detail["can_merge"] is True
    [listed] = detail["suspected"]
    assert listed["id"] == first["id"] and listed["code"] == first["code"]
    assert listed["address"] == "测试村南门街86号" and listed["openable"] is True
    assert 28 <= listed["distance_m"] <= 32 and listed["reported_at"].startswith("2017-03-05")

    # refused, and audited: a grid worker, another township, an original not listed
    refused = _dismiss(api_client, auth_headers("worker_v0"), other["id"], first["id"])
    assert refused.status_code == 403 and "不是同一事项" in refused.json()["detail"]
    refused = _dismiss(api_client, auth_headers("disp_b1"), other["id"], first["id"])
    assert refused.status_code == 404
    refused = _dismiss(api_client, disp, first["id"], other["id"])
    assert refused.status_code == 409 and "没有列出该疑似原案件" in refused.json()["detail"]

    done = _dismiss(api_client, disp, other["id"], first["id"])
    assert done.status_code == 200, done.text
    assert done.json()["original"] == {"id": first["id"], "code": first["code"]}
    assert "不是同一事项" in done.json()["message"]
    detail = api_client.get(f"/api/cases/{other['id']}/detail", headers=disp).json()
    assert detail["suspected"] == [] and detail["can_merge"] is False
    events = api_client.get(f"/api/cases/{other['id']}/events", headers=disp).json()
    assert events[-1]["action"] == "repeat_suspected" and first["code"] in events[-1]["note"]
    # nothing to dismiss or merge any more
    assert _dismiss(api_client, disp, other["id"], first["id"]).status_code == 409
    merged = api_client.post(
        f"/api/cases/{other['id']}/merge-repeat", json={"original_id": first["id"]}, headers=disp
    )
    assert merged.status_code == 409
    with database.owner.connect() as conn:
        audited = conn.execute(
            text(
                "SELECT action, outcome FROM audit_log WHERE object_type = 'case'"
                " AND object_id = :id AND action = 'case.repeat_dismiss' ORDER BY id"
            ),
            {"id": str(other["id"])},
        ).all()
    assert [o for _, o in audited] == ["denied", "failed", "ok", "failed"]
