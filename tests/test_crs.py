import numpy as np
import numpy.typing as npt
import pytest
from pyproj import Geod, Transformer

from geo.crs import (
    CHINA_BBOX,
    SourceCrs,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gauss_kruger_epsg,
    gauss_kruger_to_cgcs2000,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    to_cgcs2000,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")
FloatArray = npt.NDArray[np.float64]
Points = tuple[FloatArray, FloatArray]

# Published WGS84 -> GCJ-02 pairs (lat/lon order as in the source): googollee/eviltransform
# python/test.py (commit 3416646abc64972e899118271bd98030224d9d6c), TESTS: Shanghai, Shenzhen,
# Beijing; asserted there to 6 decimal places.
EVILTRANSFORM_PAIRS = [
    # wgs_lat, wgs_lon, gcj_lat, gcj_lon
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


def metres(
    lon_a: FloatArray, lat_a: FloatArray, lon_b: FloatArray, lat_b: FloatArray
) -> FloatArray:
    """Geodesic distance in metres between two sets of points."""
    _, _, dist = GEOD.inv(lon_a, lat_a, lon_b, lat_b)
    return np.asarray(dist)


@pytest.fixture(scope="module")
def china_points() -> Points:
    rng = np.random.default_rng(20240501)
    lon = rng.uniform(73.6, 134.7, 10_000)
    lat = rng.uniform(18.2, 53.5, 10_000)
    return lon, lat


# --------------------------------------------------------------------------- GCJ-02 / BD-09


def test_gcj02_round_trip_10k_points_within_1cm(china_points: Points) -> None:
    lon, lat = china_points
    wgs_lon, wgs_lat = gcj02_to_wgs84(lon, lat)
    back_lon, back_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert metres(lon, lat, back_lon, back_lat).max() < 0.01
    # and the other way round: WGS84 -> GCJ-02 -> WGS84
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    again_lon, again_lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert metres(lon, lat, again_lon, again_lat).max() < 0.01


def test_bd09_round_trips_10k_points_within_1cm(china_points: Points) -> None:
    lon, lat = china_points
    gcj_lon, gcj_lat = bd09_to_gcj02(lon, lat)
    back_lon, back_lat = gcj02_to_bd09(gcj_lon, gcj_lat)
    assert metres(lon, lat, back_lon, back_lat).max() < 0.01
    wgs_lon, wgs_lat = bd09_to_wgs84(lon, lat)
    back_lon, back_lat = wgs84_to_bd09(wgs_lon, wgs_lat)
    assert metres(lon, lat, back_lon, back_lat).max() < 0.01


def test_iterative_inverse_beats_the_one_step_approximation(china_points: Points) -> None:
    lon, lat = china_points
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    # one-step approximation: wgs ~ gcj - offset(gcj)
    off_lon, off_lat = wgs84_to_gcj02(gcj_lon, gcj_lat)
    naive_lon, naive_lat = 2 * gcj_lon - off_lon, 2 * gcj_lat - off_lat
    exact_lon, exact_lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert metres(lon, lat, naive_lon, naive_lat).max() > 0.5
    assert metres(lon, lat, exact_lon, exact_lat).max() < 0.001


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_PAIRS)
def test_published_wgs84_gcj02_pairs(
    wgs_lat: float, wgs_lon: float, gcj_lat: float, gcj_lon: float
) -> None:
    lon, lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert lon == pytest.approx(gcj_lon, abs=1e-6)
    assert lat == pytest.approx(gcj_lat, abs=1e-6)
    lon, lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert lon == pytest.approx(wgs_lon, abs=1e-6)
    assert lat == pytest.approx(wgs_lat, abs=1e-6)


def test_published_bd09_forward_values() -> None:
    # hujiulong/gcoord test/unit/crs/WGS84.spec.ts and GCJ02.spec.js: [123, 45].
    assert wgs84_to_gcj02(123.0, 45.0) == pytest.approx((123.00607541, 45.00197815), abs=1e-6)
    assert gcj02_to_bd09(123.0, 45.0) == pytest.approx((123.00636499, 45.00636899), abs=1e-6)
    assert wgs84_to_bd09(123.0, 45.0) == pytest.approx((123.0124491, 45.0083293), abs=1e-6)


def test_outside_china_passes_through_unchanged() -> None:
    lon = np.array([2.3522, -74.006, 139.69, 116.39, 151.21])
    lat = np.array([48.8566, 40.7128, 35.68, 39.91, -33.87])
    outside = ~in_china(lon, lat)
    assert outside.tolist() == [True, True, True, False, True]
    for convert in (
        wgs84_to_gcj02,
        gcj02_to_wgs84,
        gcj02_to_bd09,
        bd09_to_gcj02,
        wgs84_to_bd09,
        bd09_to_wgs84,
    ):
        out_lon, out_lat = convert(lon, lat)
        np.testing.assert_array_equal(out_lon[outside], lon[outside])
        np.testing.assert_array_equal(out_lat[outside], lat[outside])
        assert out_lon[3] != lon[3]  # Beijing moves


def test_in_china_box_edges_and_nan() -> None:
    west, south, east, north = CHINA_BBOX
    lon = np.array([west, east, west - 1e-6, 100.0, np.nan])
    lat = np.array([south, north, 30.0, north + 1e-6, 30.0])
    assert in_china(lon, lat).tolist() == [True, True, False, False, False]
    with pytest.raises(ValueError, match="mismatched shapes"):
        in_china([100.0, 101.0], [30.0])


def test_scalars_give_floats_and_arrays_keep_their_shape() -> None:
    lon, lat = wgs84_to_gcj02(116.39, 39.91)
    assert type(lon) is float and type(lat) is float
    grid_lon, grid_lat = np.meshgrid(np.linspace(100, 120, 4), np.linspace(25, 40, 3))
    out_lon, out_lat = gcj02_to_wgs84(grid_lon, grid_lat)
    assert out_lon.shape == (3, 4) and out_lat.shape == (3, 4)
    assert out_lon[1, 2] == pytest.approx(gcj02_to_wgs84(grid_lon[1, 2], grid_lat[1, 2])[0])


def test_bad_coordinates_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        wgs84_to_gcj02([116.0, np.nan], [39.0, 39.5])
    with pytest.raises(ValueError, match="mismatched lengths"):
        gcj02_to_wgs84([116.0, 117.0], [39.0])
    with pytest.raises(ValueError, match="empty"):
        bd09_to_wgs84([], [])


# --------------------------------------------------------------------------- source CRS


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("wgs84", "wgs84"),
        ("WGS-84", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("CGCS2000", "cgcs2000"),
        ("epsg:4490", "cgcs2000"),
        ("GCJ-02", "gcj02"),
        ("gcj_02", "gcj02"),
        ("BD09", "bd09"),
        ("EPSG:4522", "EPSG:4522"),
        ("epsg:3857", "EPSG:3857"),
    ],
)
def test_source_crs_names(name: str, canonical: str) -> None:
    assert SourceCrs.parse(name).name == canonical


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("gcj03", "unknown source CRS 'gcj03'"),
        ("", "unknown source CRS ''"),
        ("utm", "expected wgs84, cgcs2000, gcj02, bd09 or EPSG:NNNN"),
        ("EPSG:999999", "EPSG:999999 does not exist"),
        ("EPSG:4978", "not a 2-D geographic or projected CRS"),
    ],
)
def test_bad_source_crs_names(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        SourceCrs.parse(name)
    with pytest.raises(ValueError, match=reason):
        to_cgcs2000(116.0, 39.0, name)


def test_to_cgcs2000_dispatches_on_the_source() -> None:
    lon, lat = np.array([116.39, 121.47]), np.array([39.91, 31.23])
    for name in ("wgs84", "cgcs2000", "EPSG:4326", "EPSG:4490"):
        out = to_cgcs2000(lon, lat, name)
        np.testing.assert_array_equal(out[0], lon)
        np.testing.assert_array_equal(out[1], lat)
    np.testing.assert_array_equal(to_cgcs2000(lon, lat, "gcj02")[0], gcj02_to_wgs84(lon, lat)[0])
    np.testing.assert_array_equal(to_cgcs2000(lon, lat, "bd09")[1], bd09_to_wgs84(lon, lat)[1])
    # Web Mercator value from hujiulong/gcoord test/unit/crs/WGS84.spec.ts ([123, 45]).
    merc = to_cgcs2000(13692297.367572648, 5621521.486192066, SourceCrs.parse("EPSG:3857"))
    assert merc == pytest.approx((123.0, 45.0), abs=1e-9)


# --------------------------------------------------------------------------- Gauss-Krüger


def projected(lon: float, lat: float, epsg: int) -> tuple[float, float]:
    return Transformer.from_crs(4490, epsg, always_xy=True).transform(lon, lat)


def test_gauss_kruger_known_point_round_trip() -> None:
    # CGCS2000 102.9E 24.2N (Yunnan) lies in 3-degree zone 34 (central meridian 102E),
    # which is EPSG:4522 ("CGCS2000 / 3-degree Gauss-Kruger zone 34").
    x, y = projected(102.9, 24.2, 4522)
    assert str(int(x)).startswith("34") and len(str(int(x))) == 8
    assert gauss_kruger_epsg(x) == 4522
    lon, lat = gauss_kruger_to_cgcs2000(x, y)
    assert (lon, lat) == pytest.approx((102.9, 24.2), abs=1e-9)
    assert gauss_kruger_to_cgcs2000(x, y, 4522) == pytest.approx((102.9, 24.2), abs=1e-9)
    assert to_cgcs2000(x, y, "EPSG:4522") == pytest.approx((102.9, 24.2), abs=1e-9)
    # same point without the zone prefix, central-meridian code EPSG:4543 (102E)
    x_cm, y_cm = projected(102.9, 24.2, 4543)
    assert x_cm == pytest.approx(x - 34_000_000, abs=1e-6)
    assert gauss_kruger_to_cgcs2000(x_cm, y_cm, 4543) == pytest.approx((102.9, 24.2), abs=1e-9)


def test_gauss_kruger_detects_mixed_zones() -> None:
    lon = np.array([102.9, 105.2, 117.1, 75.3, 134.9])
    lat = np.array([24.2, 30.1, 39.0, 38.5, 47.0])
    zones = [34, 35, 39, 25, 45]
    xs, ys = [], []
    for lo, la, zone in zip(lon, lat, zones, strict=True):
        x, y = projected(lo, la, 4513 + zone - 25)
        assert gauss_kruger_epsg(x) == 4513 + zone - 25
        xs.append(x)
        ys.append(y)
    out_lon, out_lat = gauss_kruger_to_cgcs2000(np.array(xs), np.array(ys))
    np.testing.assert_allclose(out_lon, lon, atol=1e-9)
    np.testing.assert_allclose(out_lat, lat, atol=1e-9)


@pytest.mark.parametrize(
    ("easting", "reason"),
    [
        (591437.03, "has 6 integer digits; an easting that carries its 3-degree zone has 8"),
        (12_500_000.0, "carries zone 12, but the CGCS2000 3-degree zones are 25-45"),
        (46_500_000.0, "carries zone 46"),
        (-34_500_000.0, "must be a positive number"),
    ],
)
def test_gauss_kruger_zone_detection_errors(easting: float, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        gauss_kruger_epsg(easting)
    with pytest.raises(ValueError, match=reason):
        gauss_kruger_to_cgcs2000([34_591_437.0, easting], [2_677_735.0, 2_677_735.0])


def test_gauss_kruger_hints_at_swapped_axes() -> None:
    with pytest.raises(ValueError, match="are x and y swapped"):
        gauss_kruger_to_cgcs2000(2_677_735.0, 34_591_437.0)


def test_gauss_kruger_explicit_epsg_must_match_the_eastings() -> None:
    with pytest.raises(ValueError, match="do not carry zone 34 that EPSG:4522 expects"):
        gauss_kruger_to_cgcs2000(35_400_000.0, 3_300_000.0, 4522)
    with pytest.raises(ValueError, match="EPSG:4543 .no zone prefix. expects"):
        gauss_kruger_to_cgcs2000(34_591_437.0, 2_677_735.0, 4543)
    with pytest.raises(ValueError, match="EPSG:3857 is not a CGCS2000 3-degree Gauss-Kr"):
        gauss_kruger_to_cgcs2000(591_437.0, 2_677_735.0, 3857)
    with pytest.raises(ValueError, match="do not carry zone 34"):
        to_cgcs2000(35_400_000.0, 3_300_000.0, "EPSG:4522")
