import math

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from geo.cameras import (
    DEFAULT_MIN_SHARE,
    cameras_seeing,
    coverage_share,
    uncovered,
    view_cone,
    view_cones,
)

GEOD = pyproj.Geod(ellps="GRS80")
LON0, LAT0 = 121.47, 31.23  # Shanghai


def geodesic_area(poly: Polygon) -> float:
    area, _ = GEOD.geometry_area_perimeter(poly)
    return abs(area)


@pytest.mark.parametrize("fov", [30.0, 90.0, 200.0, 360.0])
@pytest.mark.parametrize("segments", [32, 64])
def test_cone_area_matches_the_sector(fov: float, segments: int) -> None:
    r = 150.0
    cone = view_cone(LON0, LAT0, 40.0, fov, r, segments=segments)
    assert cone.is_valid
    assert geodesic_area(cone) == pytest.approx(fov / 360.0 * math.pi * r**2, rel=0.01)


def test_arc_vertices_lie_at_the_range_and_span_the_field_of_view() -> None:
    cone = view_cone(LON0, LAT0, 30.0, 60.0, 250.0, segments=6)
    coords = np.asarray(cone.exterior.coords)
    assert tuple(coords[0]) == (LON0, LAT0)  # ring starts at the apex
    arc = coords[1:-1]
    assert len(arc) == 7
    az, _, dist = GEOD.inv(np.full(7, LON0), np.full(7, LAT0), arc[:, 0], arc[:, 1])
    assert np.allclose(dist, 250.0, atol=1e-6)
    assert np.allclose(az, np.linspace(0.0, 60.0, 7), atol=1e-6)


@pytest.mark.parametrize(
    ("azimuth", "d_lon_sign", "d_lat_sign"),
    [(0.0, 0, 1), (90.0, 1, 0), (180.0, 0, -1), (270.0, -1, 0), (450.0, 1, 0), (-90.0, -1, 0)],
)
def test_azimuth_is_clockwise_from_north(azimuth: float, d_lon_sign: int, d_lat_sign: int) -> None:
    c = view_cone(LON0, LAT0, azimuth, 20.0, 500.0).centroid
    d_lon, d_lat = c.x - LON0, c.y - LAT0
    tol = 1e-6
    assert (np.sign(d_lon) if abs(d_lon) > tol else 0) == d_lon_sign
    assert (np.sign(d_lat) if abs(d_lat) > tol else 0) == d_lat_sign


def test_full_circle_for_ptz_cameras() -> None:
    circle = view_cone(LON0, LAT0, 123.0, 360.0, 80.0, segments=48)
    coords = np.asarray(circle.exterior.coords)[:-1]
    assert len(coords) == 48
    _, _, dist = GEOD.inv(np.full(48, LON0), np.full(48, LAT0), coords[:, 0], coords[:, 1])
    assert np.allclose(dist, 80.0, atol=1e-6)  # no apex vertex in the ring
    assert circle.contains(Point(LON0, LAT0))


def test_vectorised_cones_equal_single_cones() -> None:
    lons = [LON0, LON0 + 0.01, LON0 + 0.02]
    lats = [LAT0, LAT0 + 0.01, LAT0]
    az = [10.0, 200.0, 0.0]
    fov = [45.0, 90.0, 360.0]
    rng = [100.0, 200.0, 50.0]
    cones = view_cones(lons, lats, az, fov, rng, segments=12)
    assert cones.dtype == object and cones.shape == (3,)
    for k in range(3):
        single = view_cone(lons[k], lats[k], az[k], fov[k], rng[k], segments=12)
        assert shapely.equals_exact(cones[k], single, tolerance=0.0)
    # Scalars broadcast to every camera.
    same = view_cones(lons, lats, 90.0, 60.0, 100.0)
    assert all(
        shapely.equals(c, view_cone(x, y, 90.0, 60.0, 100.0))
        for c, x, y in zip(same, lons, lats, strict=True)
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fovs": 0.0}, "fovs"),
        ({"fovs": 361.0}, "fovs"),
        ({"fovs": -30.0}, "fovs"),
        ({"ranges": -1.0}, "ranges"),
        ({"ranges": 0.0}, "ranges"),
        ({"azimuths": float("nan")}, "non-finite"),
        ({"lats": [LAT0, float("nan")]}, "non-finite"),
        ({"lats": [LAT0]}, "mismatched"),
        ({"azimuths": [1.0, 2.0, 3.0]}, "mismatched"),
        ({"lons": [], "lats": []}, "empty"),
        ({"fovs": 360.0, "segments": 2}, "segments"),
    ],
)
def test_view_cones_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "lons": [LON0, LON0],
        "lats": [LAT0, LAT0],
        "azimuths": 0.0,
        "fovs": 60.0,
        "ranges": 100.0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        view_cones(**args)  # type: ignore[arg-type]


def grid(west: float, south: float, size_deg: float, n: int) -> np.ndarray:
    xs = west + np.arange(n) * size_deg
    ys = south + np.arange(n) * size_deg
    xx, yy = np.meshgrid(xs, ys)
    return np.asarray(
        shapely.box(xx.ravel(), yy.ravel(), xx.ravel() + size_deg, yy.ravel() + size_deg)
    )


def test_grid_inside_a_circle_is_fully_covered_and_far_grid_not() -> None:
    circle = view_cone(LON0, LAT0, 0.0, 360.0, 1000.0, segments=64)
    inside = grid(LON0 - 0.002, LAT0 - 0.002, 0.001, 4)  # within ~300 m of the camera
    far = grid(LON0 + 0.1, LAT0, 0.001, 3)
    share = coverage_share(np.concatenate([inside, far]), [circle])
    assert np.allclose(share[:16], 1.0)
    assert np.all(share[16:] == 0.0)


def test_half_disc_covers_half_of_a_square_centred_on_the_camera() -> None:
    # A 180° cone looking east from the centre of a small square covers its eastern half.
    half = view_cone(LON0, LAT0, 90.0, 180.0, 2000.0, segments=64)
    square = box(LON0 - 0.002, LAT0 - 0.002, LON0 + 0.002, LAT0 + 0.002)
    assert coverage_share([square], [half])[0] == pytest.approx(0.5, abs=0.002)


def test_overlapping_cones_are_not_double_counted() -> None:
    cone = view_cone(LON0, LAT0, 90.0, 180.0, 2000.0, segments=64)
    square = box(LON0 - 0.002, LAT0 - 0.002, LON0 + 0.002, LAT0 + 0.002)
    one = coverage_share([square], [cone])[0]
    three = coverage_share([square], [cone, cone, cone])[0]
    assert three == pytest.approx(one, abs=1e-9)


def test_share_of_a_cell_partly_in_a_narrow_cone() -> None:
    # A 1 km x 1 km-ish cell holding a whole 60° / 100 m cone: share = cone area / cell area.
    cone = view_cone(LON0, LAT0, 45.0, 60.0, 100.0, segments=64)
    cell = box(LON0 - 0.005, LAT0 - 0.005, LON0 + 0.005, LAT0 + 0.005)
    expected = geodesic_area(cone) / geodesic_area(cell)
    assert coverage_share([cell], [cone])[0] == pytest.approx(expected, rel=1e-3)


def test_uncovered_polygons_and_points() -> None:
    cone = view_cone(LON0, LAT0, 90.0, 60.0, 300.0)
    cell_seen = box(LON0, LAT0 - 0.0005, LON0 + 0.002, LAT0 + 0.0005)
    cell_far = box(LON0 - 0.01, LAT0 - 0.01, LON0 - 0.009, LAT0 - 0.009)
    point_seen = Point(LON0 + 0.001, LAT0)
    point_far = Point(LON0 - 0.001, LAT0)
    mask = uncovered([cell_seen, point_seen, cell_far, point_far], [cone])
    assert mask.tolist() == [False, False, True, True]


def test_uncovered_threshold() -> None:
    # Share of the big cell is small but positive: uncovered at the default, covered at 0.001.
    cone = view_cone(LON0, LAT0, 45.0, 60.0, 100.0)
    cell = box(LON0 - 0.01, LAT0 - 0.01, LON0 + 0.01, LAT0 + 0.01)
    share = coverage_share([cell], [cone])[0]
    assert 0.001 < share < DEFAULT_MIN_SHARE
    assert uncovered([cell], [cone]).tolist() == [True]
    assert uncovered([cell], [cone], min_share=0.001).tolist() == [False]
    with pytest.raises(ValueError, match="min_share"):
        uncovered([cell], [cone], min_share=0.0)


def test_coverage_bad_input() -> None:
    cone = view_cone(LON0, LAT0, 0.0, 90.0, 100.0)
    with pytest.raises(ValueError, match="empty"):
        coverage_share([], [cone])
    with pytest.raises(ValueError, match="non-geometry"):
        coverage_share([box(0, 0, 1, 1), "x"], [cone])
    with pytest.raises(ValueError, match="empty geometry"):
        coverage_share([Polygon()], [cone])
    with pytest.raises(ValueError, match="cones"):
        uncovered([box(0, 0, 1, 1)], [])


def test_cameras_seeing_a_case() -> None:
    lons = np.array([LON0, LON0 + 0.003, LON0, LON0 + 0.0015])
    lats = np.array([LAT0, LAT0, LAT0 - 0.003, LAT0 + 0.001])
    # 0 looks east, 1 looks west, 2 looks north (too short), 3 is a dome camera 120 m away.
    cones = view_cones(
        lons, lats, [90.0, 270.0, 0.0, 0.0], [60.0, 60.0, 40.0, 360.0], [400.0, 400.0, 100.0, 150.0]
    )
    case = (LON0 + 0.001, LAT0)  # ~95 m east of camera 0, ~190 m west of camera 1
    assert cameras_seeing(*case, cones).tolist() == [0, 1, 3]
    nearest_first = cameras_seeing(*case, cones, camera_lons=lons, camera_lats=lats)
    assert nearest_first.tolist() == [0, 3, 1]
    assert cameras_seeing(LON0 - 0.01, LAT0, cones).tolist() == []
    # The camera's own position is on its cone's boundary and counts as seen.
    assert 0 in cameras_seeing(LON0, LAT0, cones).tolist()


def test_cameras_seeing_bad_input() -> None:
    cones = view_cones([LON0], [LAT0], 0.0, 90.0, 100.0)
    with pytest.raises(ValueError, match="non-finite"):
        cameras_seeing(float("nan"), LAT0, cones)
    with pytest.raises(ValueError, match="mismatched"):
        cameras_seeing(LON0, LAT0, cones, camera_lons=[LON0, LON0], camera_lats=[LAT0, LAT0])
    with pytest.raises(ValueError, match="both"):
        cameras_seeing(LON0, LAT0, cones, camera_lons=[LON0])


def test_coverage_unions_only_the_cones_touching_a_polygon(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A few hot cells among a county's cameras: only the cameras near them are unioned.

    The union of every camera in scope was a quarter of 导出离线地图's CPU (trial BC m1); the
    shares are those of the union of all the cones.
    """
    rng = np.random.default_rng(7)
    n = 400
    cones = view_cones(
        LON0 + rng.uniform(-0.05, 0.05, n),
        LAT0 + rng.uniform(-0.05, 0.05, n),
        rng.uniform(0.0, 360.0, n),
        rng.choice([60.0, 90.0, 360.0], n),
        rng.uniform(50.0, 400.0, n),
    )
    cells = grid(LON0 - 0.01, LAT0 - 0.01, 0.004, 5)
    unioned: list[int] = []
    union_all = shapely.union_all

    def counted(geometries: object, *args: object, **kwargs: object) -> object:
        unioned.append(len(np.asarray(geometries)))
        return union_all(geometries, *args, **kwargs)

    monkeypatch.setattr(shapely, "union_all", counted)
    share = coverage_share(cells, cones)
    monkeypatch.undo()
    whole = union_all(cones)
    expected = [
        shapely.area(shapely.intersection(c, whole)) / shapely.area(c) for c in cells
    ]  # in degrees², close enough over 2 km to compare shares
    assert np.allclose(share, expected, atol=1e-3)
    assert 0.0 <= share.min() < 0.5 < share.max() <= 1.0  # cells seen, partly and not
    touching = len(set(shapely.STRtree(cones).query(cells, predicate="intersects")[1]))
    assert unioned == [touching] and touching < n // 4
