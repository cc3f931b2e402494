import io
import math

import numpy as np
import pyproj
import pytest
from PIL import Image

from geo.kde import (
    DensityRaster,
    colormap_lut,
    kernel_density,
    metres_per_degree,
    silverman_bandwidth,
    to_png,
)

GEOD = pyproj.Geod(ellps="GRS80")


def clustered_points(n: int = 5000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[113.26, 23.13], [113.30, 23.10], [113.22, 23.16]])
    which = rng.integers(0, 3, n)
    lon = centres[which, 0] + rng.normal(0, 0.01, n)
    lat = centres[which, 1] + rng.normal(0, 0.008, n)
    return lon, lat


@pytest.mark.parametrize("kernel", ["gaussian", "quartic"])
@pytest.mark.parametrize("grid", [{"cell_size_m": 100.0}, {"shape": (150, 200)}])
def test_density_integrates_to_the_point_count(kernel: str, grid: dict[str, object]) -> None:
    lon, lat = clustered_points()
    r = kernel_density(lon, lat, kernel=kernel, bandwidth_m=400.0, **grid)  # type: ignore[arg-type]
    total = float(np.sum(r.values * r.cell_areas_km2()))
    assert total == pytest.approx(lon.size, rel=0.01)
    assert total == pytest.approx(lon.size, rel=1e-9)  # in fact exact up to round-off
    assert r.total() == pytest.approx(total)


def test_mass_kept_for_points_on_the_extent_corners_with_minimal_padding() -> None:
    lon = np.array([116.0, 116.2, 116.0, 116.2, 116.1])
    lat = np.array([39.0, 39.0, 39.2, 39.2, 39.1])
    for kernel in ("gaussian", "quartic"):
        r = kernel_density(
            lon, lat, bandwidth_m=500.0, cell_size_m=70.0, kernel=kernel, pad_bandwidths=1.0
        )
        assert r.total() == pytest.approx(5.0, rel=1e-9)


def test_weights_scale_the_mass() -> None:
    lon, lat = clustered_points(1000)
    w = np.linspace(0.0, 2.0, lon.size)
    r = kernel_density(lon, lat, weights=w, bandwidth_m=300.0, cell_size_m=100.0)
    assert r.total() == pytest.approx(w.sum(), rel=1e-9)


def test_result_is_bit_stable() -> None:
    lon, lat = clustered_points()
    a = kernel_density(lon, lat, shape=(300, 300))
    b = kernel_density(lon.copy(), lat.copy(), shape=(300, 300))
    assert a.values.tobytes() == b.values.tobytes()
    assert (a.west, a.south, a.east, a.north) == (b.west, b.south, b.east, b.north)


def test_exact_target_shape_and_square_metre_cells() -> None:
    lon, lat = clustered_points()
    r = kernel_density(lon, lat, shape=(120, 340))
    assert r.values.shape == (120, 340)
    mx, my = metres_per_degree((r.south + r.north) / 2)
    assert r.cell_size_x * mx == pytest.approx(r.cell_size_y * my, rel=1e-9)
    assert r.east - r.west == pytest.approx(340 * r.cell_size_x)
    assert r.north - r.south == pytest.approx(120 * r.cell_size_y)


def test_padding_of_three_bandwidths_around_the_points() -> None:
    lon, lat = clustered_points()
    r = kernel_density(lon, lat, bandwidth_m=500.0, cell_size_m=100.0)
    mx, my = metres_per_degree((lat.min() + lat.max()) / 2)
    assert (lon.min() - r.west) * mx >= 1500.0
    assert (r.east - lon.max()) * mx >= 1500.0
    assert (lat.min() - r.south) * my >= 1500.0
    assert (r.north - lat.max()) * my >= 1500.0


def test_single_point_peak_matches_the_gaussian_formula() -> None:
    # A 2-D Gaussian of sd h peaks at 1 / (2 pi h^2) per m^2, i.e. 1e6 / (2 pi h^2) per km^2.
    h = 200.0
    r = kernel_density([120.0], [30.0], bandwidth_m=h, cell_size_m=10.0)
    expected = 1e6 / (2 * math.pi * h**2)
    assert r.values.max() == pytest.approx(expected, rel=0.01)
    row, col = np.unravel_index(np.argmax(r.values), r.values.shape)
    lons, lats = r.cell_centres()
    assert abs(lons[col] - 120.0) <= r.cell_size_x
    assert abs(lats[row] - 30.0) <= r.cell_size_y


def test_quartic_kernel_has_compact_support_of_one_bandwidth() -> None:
    r = kernel_density([120.0], [30.0], bandwidth_m=300.0, cell_size_m=20.0, kernel="quartic")
    lons, lats = r.cell_centres()
    mx, my = metres_per_degree(30.0)
    dist = np.hypot((lons[None, :] - 120.0) * mx, (lats[:, None] - 30.0) * my)
    assert np.all(r.values[dist > 300.0 + 2 * 20.0] == 0.0)
    assert np.all(r.values[dist < 300.0 - 2 * 20.0] > 0.0)


def test_rows_run_north_to_south() -> None:
    # Points only in the northern part: the upper rows carry the mass.
    rng = np.random.default_rng(0)
    lon = np.concatenate([rng.uniform(110.0, 110.1, 500), [110.0, 110.1]])
    lat = np.concatenate([rng.uniform(35.08, 35.1, 500), [35.0, 35.0]])
    r = kernel_density(lon, lat, bandwidth_m=200.0, cell_size_m=100.0)
    rows = r.values.shape[0]
    upper = r.values[: rows // 2].sum()
    lower = r.values[rows // 2 :].sum()
    assert upper > 10 * lower
    _, lats = r.cell_centres()
    assert lats[0] > lats[-1]
    weighted_lat = float(np.sum(r.values.sum(axis=1) * r.cell_areas_km2()[:, 0] * lats)) / r.total()
    assert weighted_lat == pytest.approx(float(lat.mean()), abs=1e-3)


def test_transform_and_cell_areas() -> None:
    r = kernel_density([100.0, 100.5], [25.0, 25.5], bandwidth_m=1000.0, cell_size_m=500.0)
    a, b, c, d, e, f = r.transform
    assert (b, d) == (0.0, 0.0)
    assert (c, f) == (r.west, r.north)
    assert a == r.cell_size_x and e == -r.cell_size_y
    # Lower-right corner of the raster from the transform.
    rows, cols = r.shape
    assert a * cols + c == pytest.approx(r.east)
    assert e * rows + f == pytest.approx(r.south)
    # Area of the first cell against pyproj's geodesic polygon area.
    w, n = r.west, r.north
    s, east = n - r.cell_size_y, w + r.cell_size_x
    geod_area, _ = GEOD.polygon_area_perimeter([w, east, east, w], [n, n, s, s])
    assert r.cell_areas_km2()[0, 0] == pytest.approx(abs(geod_area) / 1e6, rel=1e-6)


def test_cell_areas_shrink_towards_the_pole() -> None:
    r = DensityRaster(np.zeros((3, 2)), 0.0, 0.0, 2.0, 60.0, 1.0, 20.0, 1.0, "gaussian")
    areas = r.cell_areas_km2()
    assert areas.shape == (3, 2)
    assert areas[0, 0] < areas[1, 0] < areas[2, 0]
    assert np.all(areas[:, 0] == areas[:, 1])


def test_silverman_rule_on_normal_data() -> None:
    rng = np.random.default_rng(5)
    n = 20000
    x = rng.normal(0.0, 800.0, n)
    y = rng.normal(0.0, 600.0, n)
    sigma = math.sqrt((800.0**2 + 600.0**2) / 2)
    assert silverman_bandwidth(x, y) == pytest.approx(sigma * n ** (-1 / 6), rel=0.03)
    # Equal weights give the same answer; doubled weights too (scale-free).
    assert silverman_bandwidth(x, y, np.full(n, 2.0)) == pytest.approx(
        silverman_bandwidth(x, y), rel=0.01
    )


def test_default_bandwidth_is_silverman_on_projected_coordinates() -> None:
    lon, lat = clustered_points()
    r = kernel_density(lon, lat)
    lat0 = (lat.min() + lat.max()) / 2
    lon0 = (lon.min() + lon.max()) / 2
    mx, my = metres_per_degree(lat0)
    assert r.bandwidth_m == pytest.approx(silverman_bandwidth((lon - lon0) * mx, (lat - lat0) * my))
    assert max(r.shape) == 512


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lon": [], "lat": []}, "empty"),
        ({"lon": [1.0, np.nan], "lat": [1.0, 2.0]}, "non-finite"),
        ({"lon": [1.0, 2.0], "lat": [1.0]}, "mismatched"),
        ({"weights": [1.0, -1.0]}, "non-negative"),
        ({"weights": [1.0]}, "mismatched"),
        ({"bandwidth_m": 0.0}, "bandwidth_m"),
        ({"cell_size_m": -5.0, "bandwidth_m": 100.0}, "cell_size_m"),
        ({"cell_size_m": 10.0, "shape": (10, 10)}, "not both"),
        ({"shape": (2, 10), "bandwidth_m": 100.0}, "at least 3"),
        ({"cell_size_m": 0.01, "bandwidth_m": 100.0}, "max_cells"),
        ({"kernel": "epanechnikov", "bandwidth_m": 100.0}, "kernel"),
    ],
)
def test_bad_input_raises(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"lon": [116.0, 116.1], "lat": [39.0, 39.1]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        kernel_density(**args)  # type: ignore[arg-type]


def test_coincident_points_need_a_bandwidth() -> None:
    with pytest.raises(ValueError, match="pass bandwidth_m"):
        kernel_density([116.0, 116.0], [39.0, 39.0])
    r = kernel_density([116.0, 116.0], [39.0, 39.0], bandwidth_m=100.0, cell_size_m=20.0)
    assert r.total() == pytest.approx(2.0)


def test_colormap_luts() -> None:
    hot = colormap_lut("hot")
    assert hot.dtype == np.uint8 and hot.shape == (256, 4)
    assert hot[0, :3].tolist() == [11, 0, 0]
    assert hot[-1].tolist() == [255, 255, 255, 255]
    viridis = colormap_lut("viridis", alpha=0.5)
    assert viridis[0, :3].tolist() == [0x44, 0x01, 0x54]
    assert viridis[-1, :3].tolist() == [0xFD, 0xE7, 0x25]
    assert set(viridis[:, 3].tolist()) == {128}
    # Monotone red channel for "hot" (linear ramps between anchors).
    assert np.all(np.diff(hot[:, 0].astype(int)) >= 0)
    with pytest.raises(ValueError, match="unknown colour map"):
        colormap_lut("jet")
    with pytest.raises(ValueError, match="alpha"):
        colormap_lut("hot", alpha=1.5)


def test_png_is_north_up_with_transparent_background() -> None:
    # One point near the north-west corner of a wide extent.
    lon = [110.0, 110.3]
    lat = [35.3, 35.0]
    r = kernel_density(lon, lat, weights=[1.0, 0.0], bandwidth_m=300.0, cell_size_m=200.0)
    png, bounds = to_png(r, cmap="hot")
    assert bounds == [[r.south, r.west], [r.north, r.east]]
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGBA"
    assert img.size == (r.shape[1], r.shape[0])
    rgba = np.asarray(img)
    alpha = rgba[..., 3]
    rows, cols = r.shape
    # Opaque pixels only near the top-left (north-west) corner.
    ys, xs = np.nonzero(alpha)
    assert ys.max() < rows // 4 and xs.max() < cols // 4
    assert alpha[-1, -1] == 0
    # The brightest pixel is the top colour of the LUT and sits on the density maximum.
    peak = np.unravel_index(np.argmax(r.values), r.values.shape)
    assert rgba[peak].tolist() == colormap_lut("hot")[255].tolist()


def test_png_vmax_saturates_and_validates() -> None:
    r = kernel_density([116.0, 116.01], [39.0, 39.0], bandwidth_m=200.0, cell_size_m=50.0)
    png, _ = to_png(r, cmap="viridis", vmax=float(r.values.max()) / 4)
    rgba = np.asarray(Image.open(io.BytesIO(png)))
    top = colormap_lut("viridis")[255]
    saturated = np.all(rgba == top, axis=-1)
    assert saturated.sum() == int(np.sum(r.values >= r.values.max() / 4 * (254.5 / 255)))
    with pytest.raises(ValueError, match="vmax"):
        to_png(r, vmax=0.0)
    with pytest.raises(ValueError, match="vmax"):
        to_png(r, vmax=float("nan"))
