# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""Picking a worker by hand, and a grid worker's own duty state, over HTTP against PostGIS.

The township trial's dispatcher could not find the one worker with a platform account: the
ranked candidates leave out busy workers and stale positions, and the desk had no other list.
``GET /api/cases/{id}/workers`` lists the scope's workers with an account (or a name search)
with why the ranking skips each; ``POST /api/cases/{id}/dispatch`` assigns one as before. A grid
worker reads his status and last position (``GET /api/workers/{id}``), his own only, as he may
change his own only. Uses its own committed township (520424300) of the workflow test world.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import issue_token
from api.settings import ApiSettings
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    COUNTY,
    add_user,
    add_worker,
    ensure_world,
    purge_world,
    village,
    village_centre,
)

TOWN = "520424300000"
V1, V2 = village(300, 1), village(300, 2)
OTHER_TOWN = "520424200000"
Headers = Callable[[str], dict[str, str]]


class Township:
    """The workers of the township and the headers of its accounts."""

    def __init__(self, headers: Headers, workers: dict[str, int]) -> None:
        self.headers = headers
        self.workers = workers


@pytest.fixture(scope="module")
def town(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Township]:
    now = datetime.now(UTC)
    lon, lat = village_centre(V1)
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
        workers = {
            # on duty, fresh, next to the cases, no account: the ranking's first
            "near": add_worker(
                owner, area_code=V1, lon=lon + 0.001, lat=lat, seen_at=now, name="甲近处网格员"
            ),
            # on duty with an account, his position 8 hours old: left out of the ranking
            "stale": add_worker(
                owner,
                area_code=V1,
                lon=lon + 0.002,
                lat=lat,
                seen_at=now - timedelta(hours=8),
                name="乙有账号",
            ),
            # on duty with an account, fresh: made busy with a case below
            "busy": add_worker(
                owner, area_code=V2, lon=lon + 0.003, lat=lat, seen_at=now, name="丙有账号"
            ),
            # off duty with an account, never reported a position
            "off": add_worker(
                owner, area_code=V2, lon=lon, lat=lat, status="off_duty", name="丁有账号"
            ),
            # with an account in the other township: never listed here
            "foreign": add_worker(
                owner, area_code=village(200, 1), lon=lon, lat=lat, seen_at=now, name="戊外镇"
            ),
        }
        owner.execute(
            text("UPDATE workers SET last_position = NULL, last_seen_at = NULL WHERE id = :w"),
            {"w": workers["off"]},
        )
        ids = {
            "disp": add_user(owner, username="dp_disp", role="dispatcher", scope_code=TOWN),
            "disp_other": add_user(
                owner, username="dp_disp_other", role="dispatcher", scope_code=OTHER_TOWN
            ),
            "analyst": add_user(owner, username="dp_analyst", role="analyst", scope_code=COUNTY),
        }
        for key in ("stale", "busy", "off", "foreign"):
            scope = {"foreign": village(200, 1), "stale": V1}.get(key, V2)
            ids[key] = add_user(
                owner, username=f"dp_worker_{key}", role="grid_worker", scope_code=scope
            )
            owner.execute(
                text("UPDATE users SET worker_id = :w WHERE id = :u"),
                {"w": workers[key], "u": ids[key]},
            )

    def headers(key: str) -> dict[str, str]:
        token = issue_token(api_settings, ids[key], now=datetime.now(UTC))
        return {"Authorization": f"Bearer {token.token}"}

    yield Township(headers, workers)
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


def _triaged_case(client: TestClient, h: dict[str, str], n: int, where: str = V1) -> dict[str, Any]:
    lon, lat = village_centre(where)
    made = client.post(
        "/api/cases",
        json={
            "channel": "hotline_12345",
            "category": "safety_hazard",
            # one kind each: the second is no repeat of the first (trial AU m1: of the table)
            "subcategory": ("fire", "road", "building", "gas")[n],
            "title": f"井盖缺失{n}",
            "lon": lon + 0.0003 * n,
            "lat": lat,
        },
        headers=h,
    )
    assert made.status_code == 201, made.text
    case = made.json()
    triaged = client.post(
        f"/api/cases/{case['id']}/actions/triage", json={"version": case["version"]}, headers=h
    )
    assert triaged.status_code == 200, triaged.text
    return triaged.json()  # type: ignore[no-any-return]


def test_the_dispatcher_finds_and_picks_a_worker_the_ranking_leaves_out(
    api_client: TestClient, town: Township
) -> None:
    h = town.headers("disp")
    w = town.workers
    # 丙 is sent three cases, as many as he may hold (trial AZ M3): busy with them, full; of
    # his own village, since a case his account cannot open is not sent to him (trial BA m9)
    held = [_triaged_case(api_client, h, n, V2) for n in (0, 3, 1)]
    for sent_case in held:
        sent = api_client.post(
            f"/api/cases/{sent_case['id']}/dispatch",
            json={"worker_id": w["busy"], "version": sent_case["version"]},
            headers=h,
        )
        assert sent.status_code == 200, sent.text
    first = held[-1]  # his latest
    case = _triaged_case(api_client, h, 2)
    ranked = api_client.get(f"/api/cases/{case['id']}/candidates", headers=h).json()
    assert [c["worker_id"] for c in ranked["candidates"]] == [w["near"]]

    listed = api_client.get(f"/api/cases/{case['id']}/workers", headers=h)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    rows = {r["worker_id"]: r for r in body["workers"]}
    # those with an account in the scope, on duty first; not the one without, not the foreign
    assert [r["worker_id"] for r in body["workers"]] == [w["stale"], w["busy"], w["off"]]
    assert body["total"] == 3 and body["query"] is None and body["stale_minutes"] == 30
    stale = rows[w["stale"]]
    assert stale["left_out"] == ["stale"] and stale["pickable"] is True
    assert 479 <= stale["position_age_minutes"] <= 481
    assert stale["has_account"] is True and stale["account_sees_case"] is True
    assert 100 < stale["distance_m"] < 200 and stale["status"] == "on_duty"
    busy = rows[w["busy"]]
    assert busy["left_out"] == ["busy"] and busy["pickable"] is False
    assert busy["busy_case_id"] == first["id"] and busy["busy_case_code"] == first["code"]
    assert (busy["workload"], busy["open_cases"], busy["open_cases_cap"]) == (3, 3, 3)
    off = rows[w["off"]]
    assert off["left_out"] == ["off_duty", "no_position"] and off["pickable"] is False
    assert off["distance_m"] is None and off["position_age_minutes"] is None
    # the account of a worker of the other village (V2) does not see a V1 case
    assert busy["account_sees_case"] is False
    # the busy worker reads his status and the case he is busy with, which his account sees
    duty = api_client.get(f"/api/workers/{w['busy']}", headers=town.headers("busy")).json()
    assert duty["status"] == "busy" and duty["status_label"] == "处置中"
    assert duty["busy_case_id"] == first["id"]
    assert duty["stale_minutes"] == body["stale_minutes"]  # his page warns by the ranking's rule

    # a name search reaches workers without an account, and only the scope's
    found = api_client.get(f"/api/cases/{case['id']}/workers", params={"q": "甲"}, headers=h)
    assert [r["worker_id"] for r in found.json()["workers"]] == [w["near"]]
    assert found.json()["workers"][0]["has_account"] is False
    assert found.json()["workers"][0]["left_out"] == [] and found.json()["query"] == "甲"
    nobody = api_client.get(f"/api/cases/{case['id']}/workers", params={"q": "戊"}, headers=h)
    assert nobody.json()["workers"] == [] and nobody.json()["total"] == 0
    # the search text is a plain text, not a LIKE pattern
    wildcard = api_client.get(f"/api/cases/{case['id']}/workers", params={"q": "%"}, headers=h)
    assert wildcard.json()["workers"] == []
    too_long = api_client.get(
        f"/api/cases/{case['id']}/workers", params={"q": "长" * 21}, headers=h
    )
    assert too_long.status_code == 422 and "20" in too_long.json()["detail"]

    # only operators; only in scope
    analyst = api_client.get(f"/api/cases/{case['id']}/workers", headers=town.headers("analyst"))
    assert analyst.status_code == 403
    as_worker = api_client.get(f"/api/cases/{case['id']}/workers", headers=town.headers("stale"))
    assert as_worker.status_code == 403
    other = api_client.get(f"/api/cases/{case['id']}/workers", headers=town.headers("disp_other"))
    assert other.status_code == 404 and "辖区" in other.json()["detail"]

    # the full and the off-duty one are refused by the dispatch; the stale one is sent
    for refused in (w["busy"], w["off"]):
        answer = api_client.post(
            f"/api/cases/{case['id']}/dispatch",
            json={"worker_id": refused, "version": case["version"]},
            headers=h,
        )
        assert answer.status_code == 409, answer.text
        assert ("在办 3 件，已达上限" if refused == w["busy"] else "离岗") in answer.json()[
            "detail"
        ]
    picked = api_client.post(
        f"/api/cases/{case['id']}/dispatch",
        json={"worker_id": w["stale"], "version": case["version"]},
        headers=h,
    )
    assert picked.status_code == 200 and picked.json()["state"] == "dispatched"
    after = api_client.get(f"/api/cases/{first['id']}/workers", headers=h).json()
    assert {r["worker_id"]: r["status"] for r in after["workers"]}[w["stale"]] == "busy"


def test_a_grid_worker_reads_and_changes_only_his_own_duty(
    api_client: TestClient, town: Township
) -> None:
    w = town.workers
    mine = town.headers("off")
    own = f"/api/workers/{w['off']}"
    read = api_client.get(own, headers=mine)
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "off_duty" and read.json()["status_label"] == "离岗"
    assert read.json()["last_seen_at"] is None and read.json()["lon"] is None
    # on duty, then a position (a phone's WGS84 degrees are taken as CGCS2000 unchanged)
    on = api_client.post(f"{own}/status", json={"status": "on_duty"}, headers=mine)
    assert on.status_code == 200 and on.json()["status_label"] == "在岗"
    lon, lat = village_centre(V2)
    moved = api_client.post(f"{own}/position", json={"lon": lon, "lat": lat}, headers=mine)
    assert moved.status_code == 200, moved.text
    now = api_client.get(own, headers=mine).json()
    assert now["status"] == "on_duty"
    assert (now["lon"], now["lat"]) == (round(lon, 7), round(lat, 7))
    seen = datetime.fromisoformat(now["last_seen_at"])
    assert abs((datetime.now(UTC) - seen).total_seconds()) < 60

    # someone else's record: refused, whatever the route, and nothing changed
    other = f"/api/workers/{w['near']}"
    for answer in (
        api_client.get(other, headers=mine),
        api_client.post(f"{other}/status", json={"status": "off_duty"}, headers=mine),
        api_client.post(f"{other}/position", json={"lon": lon, "lat": lat}, headers=mine),
    ):
        assert answer.status_code == 403 and "本人" in answer.json()["detail"], answer.text
    unchanged = api_client.get(other, headers=town.headers("disp")).json()
    assert unchanged["status"] == "on_duty" and unchanged["lon"] != lon
    # the dispatcher reads the workers of his scope, not others'; an analyst none
    assert api_client.get(own, headers=town.headers("disp")).status_code == 200
    foreign = api_client.get(f"/api/workers/{w['foreign']}", headers=town.headers("disp"))
    assert foreign.status_code == 404
    assert api_client.get(own, headers=town.headers("analyst")).status_code == 403
