"""A camera with a 监视方位 (direction_type) but no azimuth looks toward its sector's centre."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import features, video
from layers.catalog import get_collection
from layers.model import Case, DirectionType, PtzType, VideoPoint
from layers.model.video import DEFAULT_FOV_DEG
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
FIXED = int(PtzType.FIXED)
DOME = int(PtzType.DOME)
WEST = int(DirectionType.WEST)
EAST = int(DirectionType.EAST)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _case(db: Session) -> Case:
    return hazard_at_centre(db, DESK, V, "井盖缺失")


def _camera(
    db: Session,
    *,
    serial: int,
    east_m: float = 40.0,
    direction: int | None,
    azimuth: float | None = None,
    ptz: int = FIXED,
) -> int:
    """A camera ``east_m`` metres east of the village centre (where the case is)."""
    lon, lat = village_centre(V)
    return int(
        db.execute(
            text(
                "INSERT INTO video_points (device_id, name, ptz_type, direction_type, azimuth_deg,"
                " fov_deg, range_m, status, point, area_code) VALUES (:dev, :name, :ptz, :dir,"
                " :az, 60, 100, 'online', ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), :area)"
                " RETURNING id"
            ),
            {
                "dev": f"{V[:8]}0013{serial:08d}",
                "name": f"方位测试{serial}",
                "ptz": ptz,
                "dir": direction,
                "az": azimuth,
                "lon": lon + east_m * M,
                "lat": lat,
                "area": V,
            },
        ).scalar_one()
    )


def _views(db: Session, case: Case) -> dict[int, video.CameraView]:
    return {c.id: c for c in video.cameras_for_case(db, case.id, actor=DESK, limit=50)}


def test_every_direction_is_its_sector_centre() -> None:
    bearings = {d.label: d.bearing_deg for d in DirectionType}
    assert bearings == {
        "北": 0.0,
        "东北": 45.0,
        "东": 90.0,
        "东南": 135.0,
        "南": 180.0,
        "西南": 225.0,
        "西": 270.0,
        "西北": 315.0,
    }
    # the demo generator's azimuth → direction sectors map each centre back to its own code
    from importers.demo.cameras import direction_type

    assert all(direction_type(d.bearing_deg) == int(d) for d in DirectionType)


def test_fov_has_a_default_and_a_missing_one_falls_back_to_it() -> None:
    column = VideoPoint.__table__.c.fov_deg
    assert column.default is not None and column.default.arg == DEFAULT_FOV_DEG == 60.0
    view = video.camera_view(None, None, direction_type=WEST, ptz_type=FIXED)
    assert view == video.View(270.0, DEFAULT_FOV_DEG, "direction")


def test_a_camera_looking_west_sees_a_case_40_m_west(world: Session) -> None:
    case = _case(world)
    west = _camera(world, serial=701, direction=WEST)
    found = _views(world, case)
    cam = found[west]
    assert cam.sees
    assert (cam.azimuth_deg, cam.fov_deg, cam.azimuth_source) == (270.0, 60.0, "direction")
    assert abs(cam.distance_m - 40) < 2
    assert len(cam.cone) == 19  # apex + 17 arc points + closing point
    # the cone opens westward: every arc point lies west of the camera
    assert all(lon < cam.lon for lon, _ in cam.cone[1:-1])


def test_a_camera_looking_east_does_not_see_it(world: Session) -> None:
    case = _case(world)
    east = _camera(world, serial=702, direction=EAST)
    cam = _views(world, case)[east]
    assert not cam.sees
    assert (cam.azimuth_deg, cam.azimuth_source) == (90.0, "direction")
    assert cam.cone and all(lon > cam.lon for lon, _ in cam.cone[1:-1])


def test_a_recorded_azimuth_overrides_the_direction(world: Session) -> None:
    case = _case(world)
    says_west_looks_east = _camera(world, serial=703, direction=WEST, azimuth=90.0)
    says_east_looks_west = _camera(world, serial=704, direction=EAST, azimuth=270.0, east_m=45)
    found = _views(world, case)
    wrong_way = found[says_west_looks_east]
    assert not wrong_way.sees
    assert (wrong_way.azimuth_deg, wrong_way.azimuth_source) == (90.0, "recorded")
    right_way = found[says_east_looks_west]
    assert right_way.sees
    assert (right_way.azimuth_deg, right_way.azimuth_source) == (270.0, "recorded")


def test_a_dome_keeps_its_circle_and_no_view_stays_unknown(world: Session) -> None:
    case = _case(world)
    dome = _camera(world, serial=705, direction=EAST, ptz=DOME)
    blind = _camera(world, serial=706, direction=None, east_m=30)
    found = _views(world, case)
    circle = found[dome]
    assert circle.sees  # looking "east" would miss the case: the dome sees all round
    assert (circle.azimuth_deg, circle.fov_deg, circle.azimuth_source) == (0.0, 360.0, "dome")
    unknown = found[blind]
    assert not unknown.sees and unknown.cone == []
    assert (unknown.azimuth_deg, unknown.fov_deg, unknown.azimuth_source) == (None, None, None)
    # seeing cameras come first, even though the blind one is nearer
    assert list(found).index(dome) < list(found).index(blind)


def test_the_map_layer_draws_the_same_view(world: Session) -> None:
    """The video_points features (and tiles) carry the view cameras_for_case uses."""
    case = _case(world)
    ids = [
        _camera(world, serial=707, direction=WEST),
        _camera(world, serial=708, direction=EAST, azimuth=200.0, east_m=50),
        _camera(world, serial=709, direction=EAST, ptz=DOME, east_m=60),
        _camera(world, serial=710, direction=None, east_m=70),
    ]
    found = _views(world, case)
    layer = get_collection("video_points")
    assert {"view_azimuth_deg", "view_fov_deg", "azimuth_source"} <= set(layer.tile_properties)
    for camera_id in ids:
        feature = json.loads(
            features.collection_item(world, layer, str(camera_id), scope_code=COUNTY)
        )
        props, cam = feature["properties"], found[camera_id]
        assert props["view_azimuth_deg"] == cam.azimuth_deg
        assert props["view_fov_deg"] == cam.fov_deg
        assert props["azimuth_source"] == cam.azimuth_source
    # the stored columns are still published as they are
    first = json.loads(features.collection_item(world, layer, str(ids[0]), scope_code=COUNTY))
    assert first["properties"]["azimuth_deg"] is None and first["properties"]["direction_type"] == 2
