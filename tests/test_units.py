"""Analysis units (polygons, H3, fishnet) and their neighbour structures."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from scipy.spatial.distance import cdist

from geo.checks import FloatArray
from geo.units import (
    LocalFrame,
    count_in_fishnet,
    count_in_h3,
    count_in_polygons,
    points_to_polygons,
    to_local_metres,
)
from geo.weights import Neighbours, distance_band, h3_ring, lattice, polygon_contiguity

HOUSTON = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "houston_crime_2010.csv"
GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid to well below a millimetre here


@pytest.fixture(scope="module")
def houston_points() -> tuple[FloatArray, FloatArray]:
    if not HOUSTON.exists():
        pytest.skip(f"{HOUSTON} is missing")
    df = pd.read_csv(HOUSTON, usecols=["lon", "lat"]).dropna()
    inside = df["lon"].between(-95.8, -95.0) & df["lat"].between(29.5, 30.1)
    return df.loc[inside, "lon"].to_numpy(), df.loc[inside, "lat"].to_numpy()


# ---------------------------------------------------------------------------
# polygons
# ---------------------------------------------------------------------------


def test_points_to_polygons_matches_brute_force(
    houston_points: tuple[FloatArray, FloatArray],
) -> None:
    lon, lat = houston_points
    lon, lat = lon[:5000], lat[:5000]
    cells = sorted({h3.latlng_to_cell(b, a, 7) for a, b in zip(lon, lat, strict=True)})
    polys = [shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(c)]) for c in cells[:-3]]
    where = points_to_polygons(lon, lat, polys)
    expected = np.full(lon.size, -1)
    for j, poly in enumerate(polys):
        hit = shapely.covers(poly, shapely.points(lon, lat)) & (expected < 0)
        expected[hit] = j
    np.testing.assert_array_equal(where, expected)
    assert (where == -1).any()  # points of the dropped cells
    counts = count_in_polygons(lon, lat, polys)
    np.testing.assert_array_equal(
        counts, np.bincount(expected[expected >= 0], minlength=len(polys))
    )


def test_points_on_shared_edges_are_counted_once() -> None:
    squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 1, 1, 2)]
    lon = [1.0, 0.5, 1.0, 3.0]
    lat = [0.5, 1.0, 1.0, 3.0]
    assert points_to_polygons(lon, lat, squares).tolist() == [0, 0, 0, -1]
    assert count_in_polygons(lon, lat, squares).tolist() == [3, 0, 0]


def test_polygon_counting_rejects_bad_input() -> None:
    square = [shapely.box(0, 0, 1, 1)]
    with pytest.raises(ValueError, match="empty"):
        count_in_polygons([], [], square)
    with pytest.raises(ValueError, match="non-finite"):
        count_in_polygons([np.nan], [0.0], square)
    with pytest.raises(ValueError, match="mismatched"):
        count_in_polygons([0.0, 1.0], [0.0], square)
    with pytest.raises(ValueError, match="lat holds values outside"):
        count_in_polygons([0.0], [95.0], square)
    with pytest.raises(ValueError, match="missing or empty"):
        holed: list[Any] = [shapely.box(0, 0, 1, 1), None]
        count_in_polygons([0.5], [0.5], holed)


# ---------------------------------------------------------------------------
# H3
# ---------------------------------------------------------------------------


def test_count_in_h3_matches_latlng_to_cell(houston_points: tuple[FloatArray, FloatArray]) -> None:
    lon, lat = houston_points
    result = count_in_h3(lon, lat, 8)
    expected = Counter(h3.latlng_to_cell(b, a, 8) for a, b in zip(lon, lat, strict=True))
    assert dict(zip(result.cells, result.counts.tolist(), strict=True)) == expected
    assert result.counts.sum() == lon.size and result.resolution == 8


def test_h3_fill_adds_empty_cells(houston_points: tuple[FloatArray, FloatArray]) -> None:
    lon, lat = houston_points
    lon, lat = lon[:2000], lat[:2000]
    plain = count_in_h3(lon, lat, 8)
    ring = count_in_h3(lon, lat, 8, fill="ring", ring=1)
    expected = set(plain.cells).union(*(h3.grid_disk(c, 1) for c in plain.cells))
    assert set(ring.cells) == expected and len(ring.cells) == len(expected)
    counts = dict(zip(ring.cells, ring.counts.tolist(), strict=True))
    assert all(counts[c] == n for c, n in zip(plain.cells, plain.counts.tolist(), strict=True))
    assert sum(counts.values()) == lon.size
    box = count_in_h3(lon, lat, 8, fill="bbox")
    centres = np.array([h3.cell_to_latlng(c) for c in box.cells])
    extra = ~np.isin(np.array(box.cells), np.array(plain.cells))
    assert extra.sum() > 0
    tol = 1e-9
    assert np.all((centres[extra, 0] >= lat.min() - tol) & (centres[extra, 0] <= lat.max() + tol))
    assert np.all((centres[extra, 1] >= lon.min() - tol) & (centres[extra, 1] <= lon.max() + tol))
    assert set(plain.cells) <= set(box.cells)
    polys = ring.polygons()
    assert len(polys) == len(ring.cells) and all(p.is_valid for p in polys)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"resolution": 16}, "resolution"), ({"fill": "all"}, "fill"), ({"ring": -1}, "ring")],
)
def test_count_in_h3_rejects_bad_options(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"resolution": 8} | kwargs
    with pytest.raises(ValueError, match=message):
        count_in_h3([104.0], [30.0], **args)


# ---------------------------------------------------------------------------
# local frame and fishnet
# ---------------------------------------------------------------------------


def test_local_frame_keeps_distances_from_its_centre() -> None:
    frame = LocalFrame(104.06, 30.66)
    lon = np.array([104.06, 104.5, 103.2, 104.06, 105.0])
    lat = np.array([30.66, 30.9, 30.1, 31.5, 29.9])
    x, y = frame.forward(lon, lat)
    _, _, geodesic = GEOD.inv(np.full(5, 104.06), np.full(5, 30.66), lon, lat)
    np.testing.assert_allclose(np.hypot(x, y), geodesic, atol=1e-3)  # millimetres
    back_lon, back_lat = frame.inverse(x, y)
    np.testing.assert_allclose(back_lon, lon, atol=1e-10)
    np.testing.assert_allclose(back_lat, lat, atol=1e-10)
    with pytest.raises(ValueError, match="lat0"):
        LocalFrame(104.0, 91.0)


def test_to_local_metres_centres_on_the_bbox() -> None:
    x, y, frame = to_local_metres([100.0, 102.0], [20.0, 22.0])
    assert (frame.lon0, frame.lat0) == (101.0, 21.0)
    assert x[0] < 0 < x[1] and y[0] < 0 < y[1]


def test_fishnet_counts_cells_and_polygons(houston_points: tuple[FloatArray, FloatArray]) -> None:
    lon, lat = houston_points
    net = count_in_fishnet(lon, lat, 1000.0)
    assert net.counts.sum() == lon.size
    assert net.counts.size == net.n_rows * net.n_cols
    assert (net.counts == 0).any()  # empty cells of the bounding box are kept
    polys = net.polygons()
    assert len(polys) == net.counts.size
    sample = np.random.default_rng(0).choice(lon.size, 300, replace=False)
    for i in sample:
        assert shapely.intersects(polys[net.cell_of_point[i]], shapely.Point(lon[i], lat[i]))
    # cells are squares of cell_size metres on the ground near the frame's centre
    centre = net.cell_of_point[np.argmin(np.hypot(*net.frame.forward(lon, lat)))]
    ring = np.asarray(polys[centre].exterior.coords)
    _, _, sides = GEOD.inv(ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1])
    np.testing.assert_allclose(sides, 1000.0, rtol=1e-3)
    # the same frame gives the same grid
    again = count_in_fishnet(lon[:100], lat[:100], 1000.0, frame=net.frame)
    assert (again.x0 - net.x0) % 1000.0 == 0 and (again.y0 - net.y0) % 1000.0 == 0


def test_fishnet_cells_follow_lattice_order() -> None:
    net = count_in_fishnet([104.0, 104.05, 104.0], [30.0, 30.0, 30.03], 2000.0)
    polys = net.polygons()
    for rule in ("rook", "queen"):
        geometric = polygon_contiguity(polys, rule=rule).sparse
        arithmetic = lattice(net.n_rows, net.n_cols, rule=rule).sparse
        assert (geometric != arithmetic).nnz == 0


def test_fishnet_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="cell_size"):
        count_in_fishnet([104.0], [30.0], 0.0)
    with pytest.raises(ValueError, match="max_cells"):
        count_in_fishnet([100.0, 110.0], [20.0, 30.0], 10.0)


# ---------------------------------------------------------------------------
# neighbour structures
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("example", ["columbus.shp", "sids2.shp", "stl_hom.shp"])
def test_contiguity_matches_libpysal(example: str) -> None:
    libpysal = pytest.importorskip("libpysal")
    gpd = pytest.importorskip("geopandas")
    df = gpd.read_file(libpysal.examples.get_path(example))
    for rule, builder in (("queen", libpysal.weights.Queen), ("rook", libpysal.weights.Rook)):
        reference = builder.from_dataframe(df, use_index=False, silence_warnings=True).sparse
        ours = polygon_contiguity(df.geometry.values, rule=rule)  # type: ignore[arg-type]
        assert ours.sparse.dtype == np.float64
        assert (ours.sparse != reference).nnz == 0, rule


def test_queen_and_rook_differ_on_corner_contacts() -> None:
    squares = [shapely.box(x, y, x + 1, y + 1) for y in range(3) for x in range(3)]
    queen = polygon_contiguity(squares, ids=list("abcdefghi"))
    rook = polygon_contiguity(squares, rule="rook")
    assert queen.cardinalities.tolist() == [3, 5, 3, 5, 8, 5, 3, 5, 3]
    assert rook.cardinalities.tolist() == [2, 3, 2, 3, 4, 3, 2, 3, 2]
    assert queen.ids[4] == "e"
    with pytest.raises(ValueError, match="rule"):
        polygon_contiguity(squares, rule="bishop")  # type: ignore[arg-type]


def test_h3_ring_matches_grid_distance() -> None:
    centre = h3.latlng_to_cell(30.66, 104.06, 9)
    cells = sorted(h3.grid_disk(centre, 3))
    for k in (1, 2):
        w = h3_ring(cells, k).sparse.toarray()
        expected = np.array(
            [[0 < h3.grid_distance(a, b) <= k for b in cells] for a in cells], dtype=float
        )
        np.testing.assert_array_equal(w, expected)
    w1 = h3_ring(cells, 1)
    assert w1.cardinalities[cells.index(centre)] == 6
    with pytest.raises(ValueError, match="duplicate"):
        h3_ring([centre, centre])
    with pytest.raises(ValueError, match="resolutions"):
        h3_ring([centre, h3.cell_to_parent(centre, 8)])
    with pytest.raises(ValueError, match="invalid"):
        h3_ring(["not-a-cell"])


def test_distance_band_matches_pairwise_distances() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.uniform(0, 1000, 200), rng.uniform(0, 1000, 200)
    d = cdist(np.column_stack([x, y]), np.column_stack([x, y]))
    band = distance_band(x, y, 150.0)
    np.testing.assert_array_equal(band.sparse.toarray(), ((d <= 150.0) & (d > 0)).astype(float))
    inverse = distance_band(x, y, 150.0, binary=False).sparse.toarray()
    inside = (d <= 150.0) & (d > 0)
    np.testing.assert_allclose(inverse[inside], 1.0 / d[inside])
    assert np.all(inverse[~inside] == 0)
    with pytest.raises(ValueError, match="coincident"):
        distance_band([0.0, 0.0], [1.0, 1.0], 5.0, binary=False)
    with pytest.raises(ValueError, match="threshold"):
        distance_band([0.0, 1.0], [1.0, 1.0], 0.0)


def test_neighbours_transformations_and_validation() -> None:
    matrix = lattice(3, 3).sparse.tolil()
    matrix[4, :] = 0
    matrix[:, 4] = 0
    w = Neighbours(matrix.tocsr(), tuple(range(9)))
    assert w.islands.tolist() == [4]
    rows = np.asarray(w.row_standardised().sparse.sum(axis=1)).ravel()
    np.testing.assert_allclose(rows, [1, 1, 1, 1, 0, 1, 1, 1, 1])
    star = w.with_self_weight(1.0)
    np.testing.assert_array_equal(star.sparse.diagonal(), np.ones(9))
    np.testing.assert_array_equal(star.cardinalities, w.cardinalities)
    with pytest.raises(ValueError, match="square"):
        Neighbours(lattice(2, 3).sparse[:5], tuple(range(5)))
    with pytest.raises(ValueError, match="mismatched"):
        Neighbours(lattice(2, 3).sparse, tuple(range(5)))
    negative = lattice(2, 2).sparse.copy()
    negative.data[0] = -1.0
    with pytest.raises(ValueError, match="negative"):
        Neighbours(negative, tuple(range(4)))
