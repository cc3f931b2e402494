# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""Where a case is, for the worker going there, and whom the dispatcher must phone (trial AO).

M7: the case page gave a worker only 「地址 —」 and raw coordinates. ``GET /api/cases/{id}/detail``
gives ``place``: the stored point, the same point in GCJ-02 for 高德地图's navigation link
(converted on the server by :func:`geo.crs.wgs84_to_gcj02`) and the outline of the case's grid.
M9: the ranked workers were mostly 「无平台账号」 with no phone number to call them on: the
candidates and the by-hand list give each worker's work phone beside ``account_sees_case``.
Uses its own committed township (520424400) of the workflow test world.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import issue_token
from api.settings import ApiSettings
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from layers import dispatch
from layers.model import CaseEvent
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    add_user,
    add_worker,
    ensure_world,
    grid,
    purge_world,
    village,
    village_centre,
)

TOWN = "520424400000"
V1 = village(400, 1)
NO_ACCOUNT_PHONE = "13987654321"
Headers = Callable[[str], dict[str, str]]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two lon/lat points a few metres apart (equirectangular)."""
    dx = (a[0] - b[0]) * math.cos(math.radians((a[1] + b[1]) / 2)) * 111_320.0
    dy = (a[1] - b[1]) * 110_574.0
    return math.hypot(dx, dy)


@pytest.fixture(scope="module")
def town(
    database: SuiteDatabase, api_settings: ApiSettings
) -> Iterator[tuple[Headers, dict[str, int]]]:
    now = datetime.now(UTC)
    lon, lat = village_centre(V1)
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
        workers = {
            "phoned": add_worker(
                owner, area_code=V1, lon=lon + 0.001, lat=lat, seen_at=now, name="甲无账号"
            ),
            "app": add_worker(
                owner, area_code=V1, lon=lon + 0.002, lat=lat, seen_at=now, name="乙有账号"
            ),
        }
        owner.execute(
            text("UPDATE workers SET phone = :p WHERE id = :w"),
            {"p": NO_ACCOUNT_PHONE, "w": workers["phoned"]},
        )
        ids = {
            "disp": add_user(owner, username="cp_disp", role="dispatcher", scope_code=TOWN),
            "app": add_user(owner, username="cp_worker", role="grid_worker", scope_code=V1),
        }
        owner.execute(
            text("UPDATE users SET worker_id = :w WHERE id = :u"),
            {"w": workers["app"], "u": ids["app"]},
        )

    def headers(key: str) -> dict[str, str]:
        token = issue_token(api_settings, ids[key], now=datetime.now(UTC))
        return {"Authorization": f"Bearer {token.token}"}

    yield headers, workers
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


def _case(client: TestClient, h: dict[str, str], **where: Any) -> dict[str, Any]:
    made = client.post(
        "/api/cases",
        json={
            "channel": "walk_in",
            "category": "dispute",
            "subcategory": "other",
            "title": "摊位占道纠纷",
            **where,
        },
        headers=h,
    )
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def test_the_case_detail_gives_the_point_in_gcj02_and_the_grid_outline(
    api_client: TestClient, town: tuple[Headers, dict[str, int]]
) -> None:
    headers, _ = town
    lon, lat = village_centre(V1)
    point = (round(lon + 0.0013, 6), round(lat - 0.0021, 6))
    case = _case(api_client, headers("disp"), lon=point[0], lat=point[1])
    assert case["address"] is None and case["grid_code"] == grid(V1)

    for reader in ("disp", "app"):  # the dispatcher, and the grid worker of the village
        detail = api_client.get(f"/api/cases/{case['id']}/detail", headers=headers(reader))
        assert detail.status_code == 200, detail.text
        place = detail.json()["place"]
        assert (place["lon"], place["lat"]) == pytest.approx(point, abs=1e-9)
        assert place["nav_crs"] == "GCJ-02"
        nav = (place["nav_lon"], place["nav_lat"])
        assert _metres(nav, wgs84_to_gcj02(*point)) < 1.0
        # GCJ-02 lies some hundreds of metres off here: the link would miss the spot without it
        assert _metres(nav, point) > 100
        # BD-09 for 百度地图, converted here by geo.crs (never in the page)
        baidu = (place["bd_lon"], place["bd_lat"])
        assert _metres(baidu, wgs84_to_bd09(*point)) < 1.0
        assert _metres(baidu, nav) > 100  # BD-09, not the GCJ-02 point
        outline = place["grid_outline"]
        assert outline["type"] == "Polygon"
        ring = outline["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        assert min(xs) <= point[0] <= max(xs) and min(ys) <= point[1] <= max(ys)
        assert (max(xs) - min(xs), max(ys) - min(ys)) == pytest.approx((0.02, 0.02), abs=1e-6)
        # the nearest place names for an address not registered: the village and the grid
        assert detail.json()["grid"]["name"] == f"网格{V1[-6:]}"

    unlocated = _case(api_client, headers("disp"), area_code=V1)
    detail = api_client.get(f"/api/cases/{unlocated['id']}/detail", headers=headers("disp"))
    assert detail.status_code == 200, detail.text
    assert detail.json()["place"] is None


def test_the_candidates_give_the_phone_of_a_worker_without_an_account(
    api_client: TestClient, town: tuple[Headers, dict[str, int]]
) -> None:
    headers, workers = town
    h = headers("disp")
    lon, lat = village_centre(V1)
    case = _case(api_client, h, lon=lon, lat=lat)
    triaged = api_client.post(
        f"/api/cases/{case['id']}/actions/triage", json={"version": case["version"]}, headers=h
    )
    assert triaged.status_code == 200, triaged.text

    ranked = api_client.get(f"/api/cases/{case['id']}/candidates", headers=h).json()
    rows = {c["worker_id"]: c for c in ranked["candidates"]}
    assert list(rows) == [workers["phoned"], workers["app"]]
    phoned, app = rows[workers["phoned"]], rows[workers["app"]]
    # no account: the desk must phone him, and has the number to
    assert phoned["account_sees_case"] is None and phoned["phone"] == NO_ACCOUNT_PHONE
    assert app["account_sees_case"] is True and app["phone"] is None

    found = api_client.get(f"/api/cases/{case['id']}/workers", params={"q": "甲"}, headers=h).json()
    assert [(w["worker_id"], w["has_account"], w["phone"]) for w in found["workers"]] == [
        (workers["phoned"], False, NO_ACCOUNT_PHONE)
    ]


def test_the_timeline_says_to_whom_a_case_went_and_for_whom_the_desk_registered(
    api_client: TestClient, town: tuple[Headers, dict[str, int]]
) -> None:
    """Trial AP m4: the 派单 row said nothing, and a 受理 the desk registered for a worker
    without an account read as the dispatcher's own."""
    headers, workers = town
    h = headers("disp")
    lon, lat = village_centre(V1)

    def dispatched(worker: str) -> int:
        case = _case(api_client, h, lon=lon, lat=lat)
        url = f"/api/cases/{case['id']}"
        done = api_client.post(
            f"{url}/actions/triage", json={"version": case["version"]}, headers=h
        )
        assert done.status_code == 200, done.text
        sent = api_client.post(
            f"{url}/dispatch",
            json={"worker_id": workers[worker], "version": done.json()["version"]},
            headers=h,
        )
        assert sent.status_code == 200, sent.text
        return int(case["id"])

    def act_as(who: str, case_id: int, action: str) -> None:
        version = api_client.get(f"/api/cases/{case_id}", headers=headers(who)).json()["version"]
        done = api_client.post(
            f"/api/cases/{case_id}/actions/{action}",
            json={"version": version},
            headers=headers(who),
        )
        assert done.status_code == 200, done.text

    def timeline(case_id: int) -> list[tuple[str, str | None, str | None]]:
        events = api_client.get(f"/api/cases/{case_id}/events", headers=h).json()
        return [(e["action"], e.get("assignee_name"), e.get("on_behalf_of")) for e in events]

    phoned = dispatched("phoned")
    act_as("disp", phoned, "accept")
    act_as("disp", phoned, "arrive")
    assert timeline(phoned)[-3:] == [
        ("dispatch", "甲无账号", None),
        ("accept", None, "甲无账号"),
        ("arrive", None, "甲无账号"),
    ]
    # the worker with an account takes his own case: nobody registered it for him
    app = dispatched("app")
    act_as("app", app, "accept")
    assert timeline(app)[-2:] == [("dispatch", "乙有账号", None), ("accept", None, None)]


def test_an_imported_action_is_registered_for_nobody(
    database: SuiteDatabase, town: tuple[Headers, dict[str, int]]
) -> None:
    """An imported 受理 has no account: the timeline did say 代 甲无账号 登记 of it."""
    _, workers = town
    events = [
        CaseEvent(action="dispatch", actor_id=None, payload={"worker_id": workers["phoned"]}),
        CaseEvent(action="accept", actor_id=None, payload={}),
    ]
    with Session(database.owner) as session:
        assert dispatch.for_whom(session, events) == [{"assignee_name": "甲无账号"}, {}]
