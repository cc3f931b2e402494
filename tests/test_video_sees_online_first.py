"""An offline camera is never listed first as 可见 (trial BB M3).

The online cameras whose view contains the case come first, then the offline ones that would
see it (the desk's 「离线（可见范围内）」, with their last heartbeat), then the others; the API
counts the online ones that see it (``seeing_online``), so the desk says no camera covers the
spot when only offline cameras would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import video
from layers.database import apply_scope
from layers.model import Case, PtzType
from tests.api_fixtures import TOWN_A1, ApiWorld
from tests.conftest import SuiteDatabase
from tests.workflow_data import actor, ensure_world, hazard_at_centre, village, village_centre

M = 1 / 101_000  # about one metre of longitude at 24.3° N, in degrees
V = village(200, 1)
DESK = actor("dispatcher", V[:9] + "000")
FIXED = int(PtzType.FIXED)
WENT_DARK = datetime.fromisoformat("2026-12-06T22:15:00+08:00")


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _case(db: Session) -> Case:
    return hazard_at_centre(db, DESK, V, "护栏损坏")


_INSERT = text(
    "INSERT INTO video_points (device_id, name, ptz_type, azimuth_deg, fov_deg, range_m,"
    " status, last_heartbeat, point, area_code) VALUES (:dev, :name, :ptz, :az, 60, 100,"
    " :status, :beat, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), :area) RETURNING id"
)


def _camera(
    db: Session,
    *,
    serial: int,
    east_m: float,
    azimuth: float,
    status: str,
    area: str = V,
    lon_lat: tuple[float, float] | None = None,
) -> int:
    """A fixed camera ``east_m`` metres east of the case, looking toward ``azimuth``."""
    lon, lat = lon_lat or village_centre(V)
    return int(
        db.execute(
            _INSERT,
            {
                "dev": f"{area[:8]}0013{serial:08d}",
                "name": f"离线排序{serial}",
                "ptz": FIXED,
                "az": azimuth,
                "status": status,
                "beat": WENT_DARK,
                "lon": lon + east_m * M,
                "lat": lat,
                "area": area,
            },
        ).scalar_one()
    )


def test_online_cameras_that_see_come_before_offline_ones(world: Session) -> None:
    case = _case(world)
    dark_near = _camera(world, serial=801, east_m=30, azimuth=270.0, status="offline")
    live_far = _camera(world, serial=802, east_m=80, azimuth=270.0, status="online")
    looks_away = _camera(world, serial=803, east_m=20, azimuth=90.0, status="online")
    found = video.cameras_for_case(world, case.id, actor=DESK, limit=50)
    ids = [c.id for c in found]
    assert ids.index(live_far) < ids.index(dark_near) < ids.index(looks_away)
    by_id = {c.id: c for c in found}
    assert by_id[dark_near].sees and by_id[dark_near].status == "offline"
    assert by_id[dark_near].last_heartbeat == WENT_DARK  # when it was last online
    assert by_id[live_far].sees and not by_id[looks_away].sees
    # every online camera that sees the case precedes every offline one
    seeing = [c.status for c in found if c.sees]
    assert seeing == sorted(seeing, key=lambda s: s != "online")


def test_the_api_counts_the_online_cameras_that_see_the_case(
    api_client: TestClient,
    auth_headers: Callable[[str], dict[str, str]],
    api_world: ApiWorld,
    database: SuiteDatabase,
) -> None:
    case_id = next(k for k, a in api_world.objects["cases"].items() if a.startswith(TOWN_A1[:9]))
    headers = auth_headers("disp_a1")
    case = api_client.get(f"/api/cases/{case_id}", headers=headers).json()
    area = api_world.objects["cases"][case_id]
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        dark = _camera(
            session,
            serial=804,
            east_m=25,
            azimuth=270.0,
            status="offline",
            area=area,
            lon_lat=(case["lon"], case["lat"]),
        )
    try:
        body = api_client.get(f"/api/cases/{case_id}/cameras", headers=headers).json()
    finally:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            session.execute(text("DELETE FROM video_points WHERE id = :id"), {"id": dark})
    cams = body["cameras"]
    mine = next(c for c in cams if c["id"] == dark)
    assert mine["sees"] and mine["status"] == "offline"
    assert mine["last_heartbeat"].startswith("2026-12-06T14:15:00")
    online = [c for c in cams if c["sees"] and c["status"] == "online"]
    assert body["seeing_online"] == len(online) and body["seeing"] == len(online) + 1
    assert all(cams.index(c) < cams.index(mine) for c in online)
