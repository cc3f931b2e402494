"""A dome (球机) turns: it sees all round within its range, whatever direction is recorded.

Real 雪亮 exports give a 监控方向 (a preset bearing) for domes too; a dome 47 m from a case,
its recorded direction pointing away, still sees the case, and the map layer draws it as a
circle (trial BB M4). A fixed camera (枪机) stays limited to its direction's sector.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import features, video
from layers.catalog import get_collection
from layers.model import Case, DirectionType, PtzType
from tests.workflow_data import (
    COUNTY,
    actor,
    ensure_world,
    hazard_at_centre,
    village,
    village_centre,
)

M = 1 / 101_000  # about one metre of longitude at 24.3° N, in degrees
V = village(200, 1)
DESK = actor("dispatcher", V[:9] + "000")
EAST = int(DirectionType.EAST)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _case(db: Session) -> Case:
    return hazard_at_centre(db, DESK, V, "山体落石")


def _camera(db: Session, *, serial: int, east_m: float, ptz: int) -> int:
    """A camera ``east_m`` metres east of the case, recorded as looking east (away from it)."""
    lon, lat = village_centre(V)
    return int(
        db.execute(
            text(
                "INSERT INTO video_points (device_id, name, ptz_type, direction_type, azimuth_deg,"
                " fov_deg, range_m, status, point, area_code) VALUES (:dev, :name, :ptz, :dir,"
                " 113, 60, 100, 'online', ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), :area)"
                " RETURNING id"
            ),
            {
                "dev": f"{V[:8]}0013{serial:08d}",
                "name": f"球机测试{serial}",
                "ptz": ptz,
                "dir": EAST,
                "lon": lon + east_m * M,
                "lat": lat,
                "area": V,
            },
        ).scalar_one()
    )


def test_a_dome_pointing_away_sees_the_case_a_fixed_camera_does_not(world: Session) -> None:
    case = _case(world)
    dome = _camera(world, serial=811, east_m=47, ptz=int(PtzType.DOME))
    fixed = _camera(world, serial=812, east_m=40, ptz=int(PtzType.FIXED))
    found = {c.id: c for c in video.cameras_for_case(world, case.id, actor=DESK, limit=50)}
    turns = found[dome]
    assert turns.sees and abs(turns.distance_m - 47) < 2
    assert (turns.azimuth_deg, turns.fov_deg, turns.azimuth_source) == (0.0, 360.0, "dome")
    assert not found[fixed].sees  # a 枪机 looks only where it is pointed
    assert (found[fixed].azimuth_deg, found[fixed].azimuth_source) == (113.0, "recorded")
    assert list(found).index(dome) < list(found).index(fixed)
    # the map layer draws the dome the same way: a full circle
    layer = get_collection("video_points")
    item = json.loads(features.collection_item(world, layer, str(dome), scope_code=COUNTY))
    props = item["properties"]
    assert (props["view_fov_deg"], props["azimuth_source"]) == (360.0, "dome")
    assert props["azimuth_deg"] == 113.0  # the recorded preset is still published
