"""An action's coded choice may be sent as its Chinese label (trial BA m3).

``resolve`` with ``params.outcome`` 「已解决」 was refused with
「办结结果无效，可选：调解成功、已解决…」: the value sent was one of the choices listed.
Every action's parameters now take a coded choice's label for its code
(``api.routers.cases.coded_params``): the outcome, the legal route and the category.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from api.routers.cases import coded_params
from tests.api_fixtures import ApiWorld, act, grid_centre

Headers = Callable[[str], dict[str, str]]


def test_the_labels_the_refusals_list_are_taken_for_their_codes() -> None:
    sent = {"outcome": "调解不成，转法治化途径", "route": "仲裁", "category": "安全隐患"}
    assert coded_params(sent) == {
        "outcome": "mediation_failed",
        "route": "arbitration",
        "category": "safety_hazard",
    }
    # a code stays, and a value that is neither is left for the action to refuse
    assert coded_params({"outcome": "resolved", "route": "调解"}) == {
        "outcome": "resolved",
        "route": "调解",
    }


def test_triage_takes_the_category_by_its_label(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    town = auth_headers("disp_a1")
    lon, lat = grid_centre(0, 3)
    body = {"channel": "phone", "category": "dispute", "title": "分流标签测试：楼道堆放杂物"}
    answer = api_client.post("/api/cases", json=body | {"lon": lon, "lat": lat}, headers=town)
    assert answer.status_code == 201, answer.text
    made.append(answer.json()["id"])
    done = act(api_client, town, made[0], "triage", params={"category": "安全隐患"})
    assert done.status_code == 200, done.text
    assert done.json()["category"] == "safety_hazard"
