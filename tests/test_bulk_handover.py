"""批量交办: the county hands several cases down in one call (trial AZ M9).

On a storm night the county's hotline cases waited at the county until handed down one by one.
``POST /api/cases/hand-down`` takes the cases picked, one 交办意见 and a unit or none (按属地交办):
each goes through the single 交办's check in a savepoint of its own, so a refusal (a case changed
by another desk, a unit that does not contain it) is listed in Chinese and undoes no other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api_fixtures import TOWN_A1, TOWN_A2, ApiWorld, act, grid_centre
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
NOTE = "暴雨夜集中来电，请属地立即核查处置"


def _register(
    client: TestClient, headers: dict[str, str], village: int, title: str, made: list[int]
) -> dict[str, Any]:
    lon, lat = grid_centre(village, 2)
    body = {"channel": "hotline_12345", "category": "safety_hazard", "subcategory": "waterlogging"}
    answer = client.post(
        "/api/cases", json=body | {"title": title, "lon": lon, "lat": lat}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    case: dict[str, Any] = answer.json()
    made.append(case["id"])
    assert case["handling_level"] == 3  # the county's registration waits at the county
    return case


def _levels(database: SuiteDatabase, ids: list[int]) -> dict[int, tuple[int, int]]:
    with database.owner.connect() as conn:
        rows = conn.execute(
            text("SELECT id, handling_level, version FROM cases WHERE id = ANY(:ids)"),
            {"ids": ids},
        )
        return {int(r.id): (int(r.handling_level), int(r.version)) for r in rows}


def test_each_case_goes_to_its_township_and_a_refusal_undoes_no_other(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    api_world: ApiWorld,
    made: list[int],
) -> None:
    county = auth_headers("cmd_a")
    first = _register(api_client, county, 0, "批量交办测试：下穿通道积水", made)
    second = _register(api_client, county, 2, "批量交办测试：道路积水", made)
    stale = _register(api_client, county, 1, "批量交办测试：小区积水", made)
    # another desk 分流s the third meanwhile: the version the desk saw is stale
    assert act(api_client, county, stale["id"], "triage").status_code == 200
    picks = [{"id": c["id"], "version": c["version"]} for c in (first, second, stale)]
    answer = api_client.post(
        "/api/cases/hand-down", json={"cases": picks, "note": NOTE}, headers=county
    )
    assert answer.status_code == 200, answer.text
    outcome = answer.json()
    went = {h["case_id"]: (h["unit_code"], h["unit_name"]) for h in outcome["handed_down"]}
    assert went == {first["id"]: (TOWN_A1, "甲一街道"), second["id"]: (TOWN_A2, "甲二镇")}
    [refused] = outcome["refused"]
    assert refused["case_id"] == stale["id"] and refused["code"] == stale["code"]
    assert refused["reason"] == "案件已被他人处理，请刷新后重试"
    assert outcome["message"] == (
        f"已交办 2 件，1 件未交办：{stale['code']}「{stale['title']}」：{refused['reason']}"
    )
    levels = _levels(database, [first["id"], second["id"], stale["id"]])
    assert levels[first["id"]][0] == 4 and levels[second["id"]][0] == 4
    assert levels[stale["id"]] == (3, stale["version"] + 1)  # the 分流 only
    with database.owner.connect() as conn:
        notes = conn.execute(
            text(
                "SELECT case_id, note, payload->>'unit_code' FROM case_events"
                " WHERE action = 'hand_down' AND case_id = ANY(:ids) ORDER BY case_id"
            ),
            {"ids": made},
        ).all()
        audited = conn.execute(
            text(
                "SELECT outcome, reason FROM audit_log WHERE action = 'case.hand_down'"
                " AND object_id = :id ORDER BY id DESC LIMIT 1"
            ),
            {"id": str(stale["id"])},
        ).one()
    assert [tuple(n) for n in notes] == [
        (first["id"], NOTE, TOWN_A1),
        (second["id"], NOTE, TOWN_A2),
    ]
    assert audited.outcome == "failed" and "已被他人处理" in audited.reason
    # the township's desk has its case now
    queue = api_client.get(
        f"/api/cases?code={TOWN_A1}&stage=queue&limit=300", headers=auth_headers("disp_a1")
    )
    assert first["id"] in {c["id"] for c in queue.json()}


def test_a_township_chosen_takes_the_cases_it_contains_only(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    api_world: ApiWorld,
    made: list[int],
) -> None:
    county = auth_headers("cmd_a")
    inside = [_register(api_client, county, v, f"批量交办测试：停电{v}", made) for v in (0, 1)]
    outside = _register(api_client, county, 2, "批量交办测试：停电甲二", made)
    picks = [{"id": c["id"]} for c in (*inside, outside)]
    answer = api_client.post(
        "/api/cases/hand-down",
        json={"cases": picks, "note": NOTE, "unit_code": TOWN_A1},
        headers=county,
    )
    assert answer.status_code == 200, answer.text
    outcome = answer.json()
    assert [h["case_id"] for h in outcome["handed_down"]] == [c["id"] for c in inside]
    assert {h["unit_name"] for h in outcome["handed_down"]} == {"甲一街道"}
    assert [r["case_id"] for r in outcome["refused"]] == [outside["id"]]
    assert outcome["refused"][0]["reason"] == (
        "案件不在甲一街道辖区内：请改为按属地交办，或另选交办对象"
    )
    assert _levels(database, [outside["id"]])[outside["id"]][0] == 3


def test_no_note_or_no_case_refuses_the_whole_request_in_chinese(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    api_world: ApiWorld,
    made: list[int],
) -> None:
    county = auth_headers("cmd_a")
    case = _register(api_client, county, 0, "批量交办测试：无交办意见", made)
    no_note = api_client.post(
        "/api/cases/hand-down", json={"cases": [{"id": case["id"]}], "note": " "}, headers=county
    )
    assert no_note.status_code == 422
    assert no_note.json()["detail"] == "请填写交办意见"
    none = api_client.post("/api/cases/hand-down", json={"cases": [], "note": NOTE}, headers=county)
    assert none.status_code == 422
    assert none.json()["detail"] == "请勾选要交办的案件"
    assert _levels(database, [case["id"]])[case["id"]] == (3, case["version"])
    # a grid worker may not 交办: refused per case, in Chinese, nothing handed down
    worker = api_client.post(
        "/api/cases/hand-down",
        json={"cases": [{"id": case["id"]}], "note": NOTE},
        headers=auth_headers("worker_v0"),
    )
    assert worker.status_code == 200, worker.text
    assert worker.json()["handed_down"] == []
    assert worker.json()["message"].startswith("已交办 0 件，1 件未交办：")
