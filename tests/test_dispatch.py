"""Dispatch recommendations and assignment on PostGIS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import cases, dispatch, video
from layers.errors import Conflict, InvalidInput, NotFound
from layers.model import Case
from tests.api_fixtures import TOWN_A1, ApiWorld
from tests.workflow_data import (
    NOW,
    actor,
    add_worker,
    ensure_world,
    grid,
    township,
    village,
    village_centre,
)

M = 1 / 101_000  # about one metre of longitude at 24.3° N, in degrees


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    # the tests below count workers of township 200: start it empty inside this transaction
    db.execute(text("DELETE FROM workers WHERE area_code LIKE '520424200%'"))
    return db


def _case(db: Session, v: str, dx_m: float = 0.0) -> Case:
    lon, lat = village_centre(v)
    return cases.register(
        db,
        actor=actor("dispatcher", v[:9] + "000"),
        channel="phone",
        category="safety_hazard",
        title="井盖缺失",
        reported_at=NOW,
        lon=lon + dx_m * M,
        lat=lat,
    ).case


def test_ranking_by_distance_workload_and_own_grid(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    case = _case(world, v)
    near = add_worker(world, area_code=v, lon=lon + 100 * M, lat=lat, name="近")
    far = add_worker(world, area_code=v, lon=lon + 900 * M, lat=lat, name="远")
    own = add_worker(
        world, area_code=v, lon=lon + 300 * M, lat=lat, home_grid=grid(v), name="本网格"
    )
    result = dispatch.candidates(world, case.id, actor=actor("dispatcher", v[:9] + "000"), now=NOW)
    assert result.reason is None
    ids = [c.worker_id for c in result.candidates]
    # own grid: 300 m − 300 m bonus ranks before the nearest (100 m)
    assert ids == [own, near, far]
    first = result.candidates[0]
    assert first.own_grid and abs(first.distance_m - 300) < 10
    # a busy day pushes the nearest worker behind the far one (500 m per dispatch)
    for _ in range(2):
        other = _case(world, v, dx_m=1000)
        world.execute(
            text(
                "INSERT INTO dispatches (case_id, area_code, assignee_kind, worker_id, status,"
                " assigned_at) VALUES (:c, :a, 'worker', :w, 'finished', :at)"
            ),
            {"c": other.id, "a": v, "w": near, "at": NOW - timedelta(hours=2)},
        )
    result = dispatch.candidates(world, case.id, actor=actor("dispatcher", v[:9] + "000"), now=NOW)
    assert [c.worker_id for c in result.candidates] == [own, far, near]
    assert result.candidates[-1].workload == 2


def test_stale_positions_are_skipped_and_radius_is_capped(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    case = _case(world, v)
    scope = actor("dispatcher", v[:9] + "000")
    stale = add_worker(world, area_code=v, lon=lon, lat=lat, seen_at=NOW - timedelta(minutes=31))
    fresh = add_worker(
        world, area_code=v, lon=lon + 2000 * M, lat=lat, seen_at=NOW - timedelta(minutes=29)
    )
    ids = [
        c.worker_id for c in dispatch.candidates(world, case.id, actor=scope, now=NOW).candidates
    ]
    assert ids == [fresh] and stale not in ids
    capped = dispatch.candidates(world, case.id, actor=scope, now=NOW, radius_m=1500)
    assert capped.candidates == [] and capped.reason == "outside_radius"
    assert capped.counts == {"in_scope": 2, "on_duty": 2, "fresh": 1, "within_radius": 0}


def test_each_reason_for_nobody(world: Session) -> None:
    v = village(200, 2)
    lon, lat = village_centre(v)
    case = _case(world, v)
    scope = actor("dispatcher", v[:9] + "000")
    assert dispatch.candidates(world, case.id, actor=scope, now=NOW).reason == "no_workers_in_scope"
    # workers of another county do not count for this township
    add_worker(world, area_code=village(100, 1, "520425"), lon=lon, lat=lat)
    assert dispatch.candidates(world, case.id, actor=scope, now=NOW).reason == "no_workers_in_scope"
    busy = add_worker(world, area_code=v, lon=lon, lat=lat, status="busy")
    off = add_worker(world, area_code=v, lon=lon, lat=lat, status="off_duty")
    # busy with as many open cases as he may hold (three): not offered
    for i in range(dispatch.OPEN_CASES_CAP):
        held = _case(world, v, dx_m=600 + 100 * i)
        world.execute(
            text(
                "INSERT INTO dispatches (case_id, area_code, assignee_kind, worker_id, status,"
                " assigned_at) VALUES (:c, :a, 'worker', :w, 'accepted', :at)"
            ),
            {"c": held.id, "a": v, "w": busy, "at": NOW - timedelta(hours=1)},
        )
    assert dispatch.candidates(world, case.id, actor=scope, now=NOW).reason == "all_busy"
    world.execute(
        text("UPDATE dispatches SET status = 'finished' WHERE worker_id = :w"), {"w": busy}
    )
    world.execute(
        text("UPDATE workers SET status = 'on_duty', last_seen_at = :t WHERE id IN (:a, :b)"),
        {"t": NOW - timedelta(hours=3), "a": busy, "b": off},
    )
    stale = dispatch.candidates(world, case.id, actor=scope, now=NOW)
    assert stale.reason == "all_stale" and stale.counts["on_duty"] == 2
    world.execute(
        text(
            "UPDATE workers SET last_seen_at = :t, "
            "last_position = ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) WHERE id = :a"
        ),
        {"t": NOW, "a": busy, "lon": lon + 5000 * M, "lat": lat},
    )
    assert dispatch.candidates(world, case.id, actor=scope, now=NOW).reason == "outside_radius"


def test_candidates_never_leave_the_scope(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    case = _case(world, v)
    inside = add_worker(world, area_code=v, lon=lon + 50 * M, lat=lat)
    outside = add_worker(world, area_code=village(100, 2), lon=lon + 10 * M, lat=lat)
    township_200 = actor("dispatcher", v[:9] + "000")
    ids = [
        c.worker_id
        for c in dispatch.candidates(world, case.id, actor=township_200, now=NOW).candidates
    ]
    assert ids == [inside] and outside not in ids
    with pytest.raises(NotFound):
        dispatch.candidates(
            world, case.id, actor=actor("dispatcher", village(100, 1)[:9] + "000"), now=NOW
        )


def test_assign_worker_conflicts_when_taken(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    scope = actor("dispatcher", v[:9] + "000")
    first, second = _case(world, v), _case(world, v, dx_m=500)
    for c in (first, second):
        cases.act(world, c.id, "triage", actor=scope, now=NOW)
    worker = add_worker(world, area_code=v, lon=lon, lat=lat)
    dispatch.assign_worker(world, first.id, worker, by=scope, expected_version=None, now=NOW)
    # a case already dispatched cannot be dispatched again
    with pytest.raises(Conflict):
        dispatch.assign_worker(world, first.id, worker, by=scope, expected_version=None, now=NOW)
    # he holds up to three: two more, and the fourth is refused
    for dx in (700, 800):
        more = _case(world, v, dx_m=dx)
        cases.act(world, more.id, "triage", actor=scope, now=NOW)
        dispatch.assign_worker(world, more.id, worker, by=scope, expected_version=None, now=NOW)
    with pytest.raises(Conflict, match="在办 3 件，已达上限"):
        dispatch.assign_worker(world, second.id, worker, by=scope, expected_version=None, now=NOW)
    with pytest.raises(NotFound):
        dispatch.assign_worker(world, second.id, 10**12, by=scope, expected_version=None, now=NOW)
    with pytest.raises(InvalidInput):
        dispatch.assign(world, second.id, actor=scope, now=NOW)
    assert dispatch.candidates(world, second.id, actor=scope, now=NOW).reason == "all_busy"


# ------------------------------------------------------------------ cameras around a case


def _camera(
    db: Session,
    *,
    area_code: str,
    lon: float,
    lat: float,
    azimuth: float | None,
    fov: float = 60.0,
    range_m: float = 100.0,
    ptz: int = 3,
    serial: int,
) -> int:
    return int(
        db.execute(
            text(
                "INSERT INTO video_points (device_id, name, ptz_type, azimuth_deg, fov_deg,"
                " range_m, status, point, area_code) VALUES (:dev, :name, :ptz, :az, :fov, :rng,"
                " 'online', ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), :area) RETURNING id"
            ),
            {
                "dev": f"{area_code[:8]}0013{serial:08d}",
                "name": f"测试点位{serial}",
                "ptz": ptz,
                "az": azimuth,
                "fov": fov,
                "rng": range_m,
                "lon": lon,
                "lat": lat,
                "area": area_code,
            },
        ).scalar_one()
    )


def test_cameras_that_see_a_case_come_first_nearest_first(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    case = _case(world, v)
    looks_east = _camera(world, area_code=v, lon=lon - 50 * M, lat=lat, azimuth=90.0, serial=1)
    looks_away = _camera(world, area_code=v, lon=lon + 40 * M, lat=lat, azimuth=90.0, serial=2)
    dome = _camera(world, area_code=v, lon=lon, lat=lat + 0.0006, azimuth=None, ptz=1, serial=3)
    unknown = _camera(world, area_code=v, lon=lon + 60 * M, lat=lat, azimuth=None, serial=4)
    # another unit's camera near the case is offered too, named with its unit (trial BB M5)
    other_county = village(100, 1, "520425")
    across = _camera(
        world, area_code=other_county, lon=lon + 5 * M, lat=lat, azimuth=270.0, serial=5
    )
    far = _camera(world, area_code=v, lon=lon + 900 * M, lat=lat, azimuth=270.0, serial=6)
    found = video.cameras_for_case(world, case.id, actor=actor("dispatcher", v[:9] + "000"))
    assert [c.id for c in found] == [across, looks_east, dome, looks_away, unknown]
    assert [c.sees for c in found] == [True, True, True, False, False]
    assert [c.other_unit for c in found] == ["华宁县", None, None, None, None]
    # once it is retired, the far one is one of the five nearest: given, with its distance
    world.execute(
        text("UPDATE video_points SET retired_on = current_date WHERE id = :id"), {"id": across}
    )
    found = video.cameras_for_case(world, case.id, actor=actor("dispatcher", v[:9] + "000"))
    assert [c.id for c in found] == [looks_east, dome, looks_away, unknown, far]
    assert [c.sees for c in found] == [True, True, False, False, False]
    # beyond the 500 m search radius, but one of the five nearest: given, with its distance
    assert [c.within_radius for c in found] == [True, True, True, True, False]
    assert abs(found[4].distance_m - 900) < 10
    east, circle = found[0], found[1]
    assert abs(east.distance_m - 50) < 2 and len(east.cone) == 19  # apex + 17 arc + closing
    assert circle.fov_deg == 360.0 and abs(circle.distance_m - 66.5) < 2
    assert found[3].cone == [] and found[3].fov_deg is None
    only = video.cameras_for_case(world, case.id, actor=actor("dispatcher", v[:9] + "000"), limit=1)
    assert [c.id for c in only] == [looks_east]


def test_cameras_of_an_unlocated_case_are_invalid(world: Session) -> None:
    v = village(200, 1)
    scope = actor("dispatcher", v[:9] + "000")
    case = cases.register(
        world,
        actor=scope,
        channel="letter",
        category="public_opinion",
        title="来信反映",
        reported_at=NOW,
        area_code=v,
    ).case
    with pytest.raises(InvalidInput):
        video.cameras_for_case(world, case.id, actor=scope)
    assert cases.lonlat(case) is None
    with pytest.raises(NotFound):
        video.cameras_for_case(world, case.id, actor=actor("dispatcher", township(100)))


def test_candidates_carry_the_worker_position(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    case = _case(world, v)
    add_worker(world, area_code=v, lon=lon + 100 * M, lat=lat)
    found = dispatch.candidates(world, case.id, actor=actor("dispatcher", v[:9] + "000"), now=NOW)
    first = found.candidates[0]
    assert (first.lon, first.lat) == (round(lon + 100 * M, 7), round(lat, 7))


# ------------------------------------------------------------------ the HTTP side


def test_case_json_masks_the_reporter_and_gives_the_location(
    api_client: TestClient, auth_headers: Callable[[str], dict[str, str]], api_world: ApiWorld
) -> None:
    case_id = next(k for k, a in api_world.objects["cases"].items() if a.startswith(TOWN_A1[:9]))
    body = api_client.get(f"/api/cases/{case_id}", headers=auth_headers("disp_a1")).json()
    assert body["reporter_name"] == "报**" and body["reporter_masked"] is True
    assert isinstance(body["lon"], float) and isinstance(body["lat"], float)
    queue = api_client.get("/api/cases", headers=auth_headers("cmd_a_unmask")).json()
    assert all(c.get("reporter_name") in (None, "报**") for c in queue)
    # the grid worker who must phone the parties sees them masked too, never "not left"
    worker = api_client.get(f"/api/cases/{case_id}", headers=auth_headers("worker_v0")).json()
    assert worker["reporter_name"] == "报**" and worker["reporter_masked"] is True


def test_allowed_detail_and_cameras_endpoints(
    api_client: TestClient, auth_headers: Callable[[str], dict[str, str]], api_world: ApiWorld
) -> None:
    case_id = next(k for k, a in api_world.objects["cases"].items() if a.startswith(TOWN_A1[:9]))
    headers = auth_headers("disp_a1")
    allowed = api_client.get(f"/api/cases/{case_id}/allowed", headers=headers)
    assert allowed.status_code == 200 and allowed.headers["ETag"].strip('"').isdigit()
    names = {a["action"]: a["label"] for a in allowed.json()["allowed"]}
    assert names["triage"] == "分流" and "archive" not in names
    detail = api_client.get(f"/api/cases/{case_id}/detail", headers=headers).json()
    area, grid = detail.pop("area"), detail.pop("grid")  # the case's own units, by name
    assert area["label"] == area["name"] and grid["code"].startswith(area["code"])
    place = detail.pop("place")  # where it is, for the page's map (tests/test_case_place.py)
    assert place["nav_crs"] == "GCJ-02" and place["grid_outline"]["type"] == "Polygon"
    assert detail == {
        "case_id": int(case_id),
        "original": None,
        "repeats": [],
        "dispatches": [],
        "legal_route": [],
        "settled_nearby": [],
        "can_unlink": False,  # no original to unlink from
        "suspected": [],  # no open case of its type nearby (trial BA S4)
        "can_merge": False,
        # the township handling the case phones its reporter (trial AS M2)
        "can_reveal_reporter": True,
        "reporter_refusal": None,
    }
    cams = api_client.get(f"/api/cases/{case_id}/cameras", headers=headers)
    assert cams.status_code == 200
    body = cams.json()
    assert body["seeing"] == sum(c["sees"] for c in body["cameras"])
    assert all(c["area_code"].startswith(TOWN_A1[:9]) for c in body["cameras"])
    other = auth_headers("disp_b1")
    assert api_client.get(f"/api/cases/{case_id}/cameras", headers=other).status_code == 404
    assert api_client.get(f"/api/cases/{case_id}/detail", headers=other).status_code == 404
    analyst = auth_headers("analyst_a")
    assert api_client.get(f"/api/cases/{case_id}/cameras", headers=analyst).status_code == 403


def test_reporter_unmask_needs_permission_and_reason(
    api_client: TestClient, auth_headers: Callable[[str], dict[str, str]], api_world: ApiWorld
) -> None:
    case_id = next(k for k, a in api_world.objects["cases"].items() if a.startswith(TOWN_A1[:9]))
    url = f"/api/cases/{case_id}/reporter"
    # the county above the township handling the case, without the right (trial AS M2: the
    # township's own dispatcher may, tests/test_case_reporter_contact.py)
    denied = api_client.post(url, json={"reason": "核实来电内容"}, headers=auth_headers("cmd_a"))
    assert denied.status_code == 403 and "报告人" not in denied.text
    short = api_client.post(url, json={"reason": "看"}, headers=auth_headers("cmd_a_unmask"))
    assert short.status_code == 422
    ok = api_client.post(url, json={"reason": "回访核实诉求"}, headers=auth_headers("cmd_a_unmask"))
    assert ok.status_code == 200 and ok.json()["reporter_name"] == "报告人"


def test_candidates_say_whether_the_workers_account_sees_the_case(world: Session) -> None:
    v, neighbour = village(200, 1), village(200, 2)
    lon, lat = village_centre(v)
    case = _case(world, v)
    ids = {
        name: add_worker(world, area_code=area, lon=lon + dx * M, lat=lat, name=name)
        for name, area, dx in (
            ("本村", v, 50),
            ("邻村", neighbour, 100),
            ("无账号", v, 150),
            ("乡镇", v, 200),
        )
    }
    for name, scope in (("本村", v), ("邻村", neighbour), ("乡镇", township(200))):
        world.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, role, scope_code,"
                " worker_id) VALUES (:u, :u, 'x', 'grid_worker', :s, :w)"
            ),
            {"u": f"sees_{ids[name]}", "s": scope, "w": ids[name]},
        )
    result = dispatch.candidates(world, case.id, actor=actor("dispatcher", township(200)), now=NOW)
    sees = {c.name: c.account_sees_case for c in result.candidates if c.worker_id in ids.values()}
    assert sees == {"本村": True, "邻村": False, "无账号": None, "乡镇": True}
    world.execute(text("UPDATE users SET active = false WHERE worker_id = :w"), {"w": ids["本村"]})
    again = dispatch.candidates(world, case.id, actor=actor("dispatcher", township(200)), now=NOW)
    assert {c.name: c.account_sees_case for c in again.candidates}["本村"] is None
