"""The command map's workers and persons in view: points where they fit, else counts per grid.

Trial BC S3: the map drew the first 2,000 of a county's 4,395 workers by id. Where more lie in
view than the page draws, each grid (or village) is counted, with the workers' statuses, in the
reader's scope; a reader of counts only is refused (the hexagon tiles are theirs).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import command_points
from layers.catalog import BLUR_DEGREES, get_collection
from layers.errors import Forbidden, InvalidInput
from layers.features import BBox
from tests.workflow_data import (
    CITY,
    COUNTY,
    LAT0,
    add_worker,
    ensure_world,
    grid,
    township,
    village,
    village_centre,
)

V1, V2, W1 = village(100, 1), village(100, 2), village(200, 1)
BOX = BBox(102.49, 24.29, 102.63, 24.33)  # townships 100 and 200
WORKERS = [  # village, home grid, status, offset east of the village's centre
    (V1, grid(V1), "on_duty", 0.000),
    (V1, grid(V1), "on_duty", 0.001),
    (V1, grid(V1), "on_duty", 0.002),
    (V1, grid(V1), "busy", 0.003),
    (V1, grid(V1), "off_duty", 0.004),
    (V1, None, "on_duty", 0.005),  # the village's, no grid of their own
    (V2, grid(V2), "on_duty", 0.000),
    (V2, grid(V2), "left", 0.001),
    (W1, grid(W1), "on_duty", 0.000),
    (W1, grid(W1), "off_duty", 0.001),
]


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    for area, home, status, east in WORKERS:
        lon, lat = village_centre(area)
        add_worker(db, area_code=area, lon=lon + east, lat=lat, status=status, home_grid=home)
    lon, lat = village_centre(V1)
    for i in range(4):
        db.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, grid_code, residence) VALUES"
                " ('mental', '某', :h, '5204**********1234', '\\x00', 1, '{}', :a, :g,"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4490))"
            ),
            {"h": bytes([i + 40]) * 32, "a": V1, "g": grid(V1), "x": lon + i * 0.0031, "y": lat},
        )
    return db


def _workers_in(world: Session, scope: str) -> int:
    return int(
        world.execute(
            text(
                "SELECT count(*) FROM workers WHERE area_code >= :lo AND area_code < :hi"
                " AND last_position && ST_MakeEnvelope(102.49, 24.29, 102.63, 24.33, 4490)"
            ),
            dict(zip(("lo", "hi"), scope_range(scope), strict=True)),
        ).scalar_one()
    )


def test_points_where_they_fit_else_each_grid_counted_with_its_statuses(world: Session) -> None:
    workers = get_collection("workers")
    assert _workers_in(world, COUNTY) == len(WORKERS)  # the box holds these alone
    points = command_points.in_view(
        world, workers, role="commander", scope_code=COUNTY, bbox=BOX, limit=len(WORKERS)
    )
    assert points.shown == "points" and points.page is not None
    assert points.matched == points.page.returned == len(WORKERS) and not points.groups

    counted = command_points.in_view(
        world, workers, role="commander", scope_code=COUNTY, bbox=BOX, limit=len(WORKERS) - 1
    )
    assert counted.shown == "grid" and counted.page is None and counted.matched == len(WORKERS)
    groups = {g.code: g for g in counted.groups}
    assert {c: g.total for c, g in groups.items()} == {
        grid(V1): 5,
        V1: 1,
        grid(V2): 2,
        grid(W1): 2,
    }
    assert sum(g.total for g in counted.groups) == counted.matched
    one = groups[grid(V1)]
    assert one.kind == "grid" and one.name == f"网格{V1[-6:]}"
    assert one.status == {"on_duty": 3, "busy": 1, "off_duty": 1, "left": 0}
    assert groups[grid(V2)].status == {"on_duty": 1, "busy": 0, "off_duty": 0, "left": 1}
    assert groups[V1].kind == "village" and groups[V1].name == "村100-1（未划入网格）"
    lon, lat = village_centre(V1)
    # the badge on the grid (its point on surface), the box that of its points
    assert 102.50 < one.lon < 102.52 and LAT0 < one.lat < LAT0 + 0.02
    assert one.bounds == pytest.approx([lon, lat, lon + 0.004, lat])


def test_counted_in_the_readers_scope_and_by_village_over_many_grids(
    world: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    workers = get_collection("workers")
    own = command_points.in_view(
        world, workers, role="dispatcher", scope_code=township(), bbox=BOX, limit=1
    )
    assert own.matched == 8 and {g.code for g in own.groups} == {grid(V1), V1, grid(V2)}
    monkeypatch.setattr(command_points, "GRID_BADGES", 2)  # the box spans 3 grids: too many
    wide = command_points.in_view(
        world, workers, role="commander", scope_code=COUNTY, bbox=BOX, limit=1
    )
    assert wide.shown == "village"
    assert [(g.kind, g.code, g.total) for g in wide.groups] == [
        ("village", V1, 6),
        ("village", V2, 2),
        ("village", W1, 2),
    ]
    assert wide.groups[0].name == "村100-1"
    assert wide.groups[0].status == {"on_duty": 4, "busy": 1, "off_duty": 1, "left": 0}


def test_persons_are_counted_at_their_blurred_homes_and_never_for_readers_of_counts_only(
    world: Session,
) -> None:
    persons = get_collection("persons")
    counted = command_points.in_view(
        world, persons, role="commander", scope_code=COUNTY, bbox=BOX, limit=3
    )
    assert counted.shown == "grid"
    assert [(g.code, g.total, g.status) for g in counted.groups] == [(grid(V1), 4, {})]
    # the box of the homes drawn is that of the blurred points, never the homes themselves
    for edge in counted.groups[0].bounds:
        assert edge / BLUR_DEGREES == pytest.approx(round(edge / BLUR_DEGREES))
    every = command_points.in_view(
        world, persons, role="commander", scope_code=COUNTY, bbox=BOX, limit=4
    )
    assert every.shown == "points" and every.page is not None and every.page.returned == 4
    with pytest.raises(Forbidden):  # a city's commander reads the persons' hexagon counts only
        command_points.in_view(world, persons, role="commander", scope_code=CITY, bbox=BOX, limit=3)
    with pytest.raises(Forbidden):  # an analyst reads no worker one by one
        command_points.in_view(
            world, get_collection("workers"), role="analyst", scope_code=COUNTY, bbox=BOX, limit=3
        )
    with pytest.raises(InvalidInput):
        command_points.in_view(
            world, get_collection("cases"), role="commander", scope_code=COUNTY, bbox=BOX, limit=3
        )
