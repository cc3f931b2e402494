"""A case near a township boundary is offered the neighbouring township's cameras (trial BB M5).

``video_points`` is read by area (row-level security), so a township's desk listed only its own
cameras: the neighbour's camera 113 m from its case was missing. Camera positions are not
personal data and the 雪亮 network is shared: ``zongzhi_cameras_near_case`` (migration 0042)
reads the cameras near a case the reader's scope holds, whatever their unit, and the list names
a camera of another unit with it (``other_unit``, the desk's 「甲二镇的点位」). It answers
nothing for a case outside the reader's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import cases, video
from layers.database import apply_scope
from layers.model import Case, PtzType
from tests.api_fixtures import TOWN_A1, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase
from tests.migration_steps import function_executors, migration_steps
from tests.workflow_data import NOW, actor, delete_cases, ensure_world, township, village

FIXED = int(PtzType.FIXED)
FUNCTION = "zongzhi_cameras_near_case"

_INSERT = text(
    "INSERT INTO video_points (device_id, name, ptz_type, azimuth_deg, fov_deg, range_m,"
    " status, point, area_code) VALUES (:dev, :name, :ptz, :az, 60, :range, 'online',"
    " ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), :area) RETURNING id"
)


def _camera(
    db: Session,
    *,
    serial: int,
    area: str,
    lon: float,
    lat: float,
    azimuth: float,
    range_m: float = 150.0,
) -> int:
    """A fixed camera of ``area`` at ``lon``, ``lat`` looking toward ``azimuth``."""
    return int(
        db.execute(
            _INSERT,
            {
                "dev": f"{area[:8]}0013{serial:08d}",
                "name": f"交界点位{serial}",
                "ptz": FIXED,
                "az": azimuth,
                "range": range_m,
                "lon": lon,
                "lat": lat,
                "area": area,
            },
        ).scalar_one()
    )


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def test_the_function_reads_across_units_only_near_a_case_in_scope(world: Session) -> None:
    m = 1 / 101_000  # about one metre of longitude at 24.3° N, in degrees
    home = village(100, 2)  # box 102.52–102.54; 镇200's first village lies east of it
    desk = actor("dispatcher", township(100))
    lon, lat = 102.5395, 24.31  # 50 m inside the village's east edge
    case = cases.register(
        world,
        actor=desk,
        channel="phone",
        category="safety_hazard",
        title="交界路段山体落石",
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case
    neighbour = village(200, 1)
    across = _camera(world, serial=901, area=neighbour, lon=lon + 113 * m, lat=lat, azimuth=270.0)
    own = _camera(world, serial=902, area=home, lon=lon - 288 * m, lat=lat, azimuth=90.0)
    far = _camera(world, serial=903, area=neighbour, lon=lon + 2500 * m, lat=lat, azimuth=270.0)
    ours = {across, own, far}  # (the nearest five may hold another test world's cameras)
    found = [c for c in video.cameras_for_case(world, case.id, actor=desk) if c.id in ours]
    assert [c.id for c in found] == [across, own, far]
    assert [c.sees for c in found] == [True, False, False]
    assert [c.other_unit for c in found] == ["镇200", None, "镇200"]
    assert abs(found[0].distance_m - 113) < 2
    # the county reads the same list, every camera in its scope
    county = [
        c
        for c in video.cameras_for_case(world, case.id, actor=actor("commander", "520424000000"))
        if c.id in ours
    ]
    assert [c.id for c in county] == [across, own, far]
    assert [c.other_unit for c in county] == [None, None, None]

    def near(radius: float) -> dict[int, bool]:
        rows = world.execute(
            text(f"SELECT id, within_radius FROM {FUNCTION}(:case, :radius)"),
            {"case": case.id, "radius": radius},
        ).all()
        return {int(r.id): bool(r.within_radius) for r in rows if r.id in ours}

    # as the app role in the township's scope: the neighbour's cameras stay out of a direct
    # read, the function gives them near the township's case, its radius clamped to 2 km
    apply_scope(world, township(100), set_role=True)
    direct = world.execute(
        text("SELECT count(*) FROM video_points WHERE id = ANY(:ids)"), {"ids": [across, far]}
    ).scalar_one()
    assert direct == 0
    assert near(10_000_000.0) == {across: True, own: True, far: False}
    # another township cannot use it near this case, which its scope does not hold
    apply_scope(world, township(300))
    assert near(500.0) == {}


def test_migration_0042_drops_and_restores_the_function(db: Session) -> None:
    # the app role may run it, no other role
    assert function_executors(db, FUNCTION) == [True, False]
    with migration_steps(db, "0042_cameras_near_case.py") as (module, _conn):
        module.downgrade()
        assert function_executors(db, FUNCTION) == []
        module.upgrade()
        assert function_executors(db, FUNCTION) == [True, False]


def test_a_township_desk_is_offered_the_neighbouring_townships_camera(
    api_client: TestClient,
    auth_headers: Callable[[str], dict[str, str]],
    api_world: ApiWorld,
    database: SuiteDatabase,
) -> None:
    m = 1 / 104_600  # about one metre of longitude at 20° N, in degrees
    lon, lat = 110.1795, 20.02  # 甲一街道's second village, 50 m inside its east edge
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        case = Case(
            code="M5-BOUNDARY-001",
            channel="phone",
            category="dispute",
            subcategory="neighbours",
            title="交界路段纠纷",
            risk_level=1,
            point=f"SRID=4490;POINT({lon} {lat})",
            area_code=VILLAGES[1],
            grid_code=f"{VILLAGES[1]}004",
            state="registered",
            handling_level=4,
            reported_at=datetime(2026, 12, 7, tzinfo=UTC),
        )
        session.add(case)
        session.flush()
        case_id = case.id
        # a camera of 甲二镇 113 m east, looking at the spot
        across = _camera(
            session, serial=904, area=VILLAGES[2], lon=lon + 113 * m, lat=lat, azimuth=270.0
        )
    try:
        url = f"/api/cases/{case_id}/cameras"
        township = api_client.get(url, headers=auth_headers("disp_a1"))
        assert township.status_code == 200
        body = township.json()
        first = body["cameras"][0]
        assert first["id"] == across and first["sees"] and body["seeing_online"] == 1
        assert first["other_unit"] == "甲二镇" and abs(first["distance_m"] - 113) < 2
        mine = [c for c in body["cameras"] if c["area_code"].startswith(TOWN_A1[:9])]
        assert mine and all(c["other_unit"] is None for c in mine)
        # the county: the same list, nothing marked (every camera is in its scope)
        county = api_client.get(url, headers=auth_headers("cmd_a")).json()
        assert [c["id"] for c in county["cameras"]] == [c["id"] for c in body["cameras"]]
        assert all(c["other_unit"] is None for c in county["cameras"])
        # another township's reader is refused the case, as before
        assert api_client.get(url, headers=auth_headers("disp_b1")).status_code == 404
    finally:
        with Session(database.owner) as session, session.begin():
            session.execute(text("DELETE FROM video_points WHERE id = :id"), {"id": across})
            delete_cases(session, [case_id])
