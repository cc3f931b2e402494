"""A Shapefile's or GeoPackage's rows are named as its features, by their FID (trial AR m5).

A GIS user finds a feature by the FID the attribute table shows: the import said 第 4 行 of a
Shapefile's FID 3. Its reasons say 第 4 条（FID 3）, and a boundary outside its village names
the village by its name and code (新复社区（530424102001）), not the code alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from importers.summary import rejected_reasons
from tests.import_fixtures import EAST, NORTH, SOUTH, VILLAGE, WEST, seed_jurisdictions


@pytest.mark.parametrize(("suffix", "fid"), [(".shp", 2), (".gpkg", 3)])
def test_a_gis_files_rejected_feature_is_named_by_its_fid_and_its_village_by_name(
    db: Session, tmp_path: Path, suffix: str, fid: int
) -> None:
    seed_jurisdictions(db)
    width = (EAST - WEST) / 4
    shapes = [
        shapely.box(WEST, SOUTH, WEST + width, NORTH),
        shapely.box(WEST + width, SOUTH, WEST + 2 * width, NORTH),
        shapely.box(WEST + 0.5, SOUTH, WEST + 0.5 + width, NORTH),  # moved about 50 km east
    ]
    codes = [f"{VILLAGE}{n:03d}" for n in (201, 202, 203)]
    frame = {"网格编码": codes, "网格名称": ["甲网格", "乙网格", "丙网格"]}
    path = tmp_path / f"网格划分{suffix}"
    written = gpd.GeoDataFrame(frame, geometry=shapes, crs=4490)
    written.to_file(path, engine="pyogrio", **({"encoding": "GBK"} if suffix == ".shp" else {}))
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids", dry_run=True))
    assert [p.row for p in outcome.problems if p.severity == "rejected"] == [3]
    (line,) = rejected_reasons(outcome)
    place = rf"边界在辖区测试社区（{VILLAGE}）外 \d+ 米（容差 500 米）$"
    said = rf"^“边界” 第 3 条（FID {fid}）（“103\.40\d+, 24\.2\d+（CGCS2000…”）：{place}"
    assert re.match(said, line), line
