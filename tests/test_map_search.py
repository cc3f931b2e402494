"""``GET /api/search``: 查找 on the console's maps finds places, cameras and cases in scope only.

Trial BB M7: the operator asked to look at a village or at camera 53042400011321002029 had no
box to type it in. The search lists units (辖区), grids (网格), cameras (摄像头) and cases (案件)
of the reader's scope, at most ten, never a person (the world's persons are named 张测试00 and
the like, which 测试 would match).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.api_fixtures import TOWN_A1, TOWN_B1, VILLAGES, ApiWorld

Headers = Callable[[str], dict[str, str]]

V0, V1, V2, V3 = VILLAGES
CAMERA_V0 = f"{V0[:8]}00132{0}{1:06d}"  # the world's camera 测试摄像机0-1 (甲一街道 测试村1)


def _search(client: TestClient, headers: dict[str, str], q: str, **params: str) -> dict[str, Any]:
    response = client.get("/api/search", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_kind_is_found_grouped_with_its_parent_and_no_person(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    body = _search(api_client, auth_headers("cmd_a"), "测试")
    found = body["results"]
    kinds = [x["kind"] for x in found]
    # ten at most, each kind given its share, grouped in the order 辖区, 网格, 摄像头, 案件
    assert len(found) == 10 and body["more"] is True
    assert kinds == sorted(kinds, key=["unit", "grid", "camera", "case"].index)
    assert set(kinds) == {"unit", "grid", "camera", "case"}
    assert {x["kind_label"] for x in found} == {"辖区", "网格", "摄像头", "案件"}
    for x in found:
        assert x["parent_name"] and x["place"]
        if x["kind"] in ("unit", "grid"):
            assert x["outline"]["type"] in ("Polygon", "MultiPolygon")
            west, south, east, north = x["bbox"]
            assert west < x["lon"] < east and south < x["lat"] < north
        else:
            assert x["lon"] is not None and x["bbox"] is None and x["outline"] is None
    cameras = [x for x in found if x["kind"] == "camera"]
    assert {x["id"] for x in cameras} <= api_world.in_scope("video_points", "460105000000")
    case = next(x for x in found if x["kind"] == "case")
    assert case["details"]["state"] == "registered" and case["code"].startswith("T46-")
    # no person, by kind or by name (persons are named 张测试00 …), and no reporter
    text = str(body)
    assert not any(name in text for name in api_world.names.values())
    assert "报告人" not in text


def test_a_village_and_its_grids_by_name_and_a_township_by_code(
    api_client: TestClient, auth_headers: Headers
) -> None:
    found = _search(api_client, auth_headers("cmd_a"), "测试村1")["results"]
    unit = found[0]
    assert (unit["kind"], unit["code"], unit["name"]) == ("unit", V0, "测试村1")
    assert unit["parent_name"] == "甲一街道"
    grids = [x for x in found if x["kind"] == "grid"]
    assert len(grids) == 8 and {x["code"][:12] for x in grids} == {V0}
    assert grids[0]["parent_name"] == "测试村1" and grids[0]["place"] == "甲一街道 · 测试村1"
    # a division code's digits: the township first, then its villages (and their grids)
    coded = _search(api_client, auth_headers("cmd_a"), TOWN_A1[:9])["results"]
    assert [x["code"] for x in coded if x["kind"] == "unit"][:3] == [TOWN_A1, V0, V1]
    assert coded[0]["parent_name"] == "甲区"
    # a 网格编码
    grid = _search(api_client, auth_headers("cmd_a"), f"{V1}003")["results"]
    assert [(x["kind"], x["name"]) for x in grid] == [("grid", "测试村2第3网格")]


def test_a_camera_by_its_guobiao_code_and_a_case_by_its_number(
    api_client: TestClient, auth_headers: Headers
) -> None:
    found = _search(api_client, auth_headers("disp_a1"), CAMERA_V0)["results"]
    assert [(x["kind"], x["code"], x["name"]) for x in found] == [
        ("camera", CAMERA_V0, "测试摄像机0-1")
    ]
    assert found[0]["place"] == "甲一街道 · 测试村1" and found[0]["details"] == {"status": "online"}
    # its last digits find it too
    tail = _search(api_client, auth_headers("disp_a1"), "0001")["results"]
    assert CAMERA_V0 in [x["code"] for x in tail]
    case = _search(api_client, auth_headers("disp_a1"), f"T46-{V1}-002")["results"]
    assert [(x["kind"], x["name"], x["parent_name"]) for x in case] == [
        ("case", "测试事件1-2", "测试村2")
    ]


def test_a_township_finds_nothing_of_another_and_is_refused_its_unit(
    api_client: TestClient, auth_headers: Headers
) -> None:
    # 乙一街道's dispatcher: not 甲一街道's camera, not its villages or grids
    assert _search(api_client, auth_headers("disp_b1"), CAMERA_V0)["results"] == []
    other = _search(api_client, auth_headers("disp_b1"), "测试")["results"]
    assert {x["kind"] for x in other} == {"unit", "grid", "camera", "case"}
    assert {x["code"][:9] for x in other if x["kind"] in ("unit", "grid")} == {TOWN_B1[:9]}
    assert {x["parent_name"] for x in other if x["kind"] in ("camera", "case")} == {"测试村4"}
    refused = api_client.get(
        "/api/search",
        params={"q": CAMERA_V0, "within": TOWN_A1},
        headers=auth_headers("disp_b1"),
    )
    assert refused.status_code == 404
    # 甲一街道's dispatcher, within its own first village: that village's only
    mine = _search(api_client, auth_headers("disp_a1"), "测试村", within=V0)["results"]
    assert {x["code"][:12] for x in mine if x["kind"] == "grid"} == {V0}
    assert [x["code"] for x in mine if x["kind"] == "unit"] == [V0]


def test_roles_refused_or_limited_and_short_text(
    api_client: TestClient, auth_headers: Headers
) -> None:
    for key, said in (
        ("admin", "系统管理员不能查看业务数据"),
        ("auditor", "不能查看业务数据"),
        ("dept_a", "职能部门"),
    ):
        response = api_client.get("/api/search", params={"q": "测试"}, headers=auth_headers(key))
        assert response.status_code == 403, key
        assert said in response.json()["detail"], (key, response.json())
    # an analyst finds places and cameras, never a case
    kinds = {x["kind"] for x in _search(api_client, auth_headers("analyst_a"), "测试")["results"]}
    assert kinds == {"unit", "grid", "camera"}
    short = api_client.get("/api/search", params={"q": "测"}, headers=auth_headers("cmd_a"))
    assert short.status_code == 422
    # the last code point there is: no code range is made of it (it is no digit)
    assert _search(api_client, auth_headers("cmd_a"), "测\U0010ffff")["results"] == []
