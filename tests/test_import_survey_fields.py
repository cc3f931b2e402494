"""Boundary files as surveying bureaus and web maps give them: XZQDM, PAC, adcode, ZLDWDM."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from tests.import_fixtures import seed_jurisdictions


def _levels(db: Session, codes: list[str]) -> dict[str, tuple[str, int, str]]:
    rows = db.execute(
        text(
            "SELECT code, name, level, parent_code FROM jurisdictions WHERE code = ANY(:c) "
            "AND boundary IS NOT NULL"
        ),
        {"c": codes},
    ).all()
    return {r.code: (r.name, r.level, r.parent_code) for r in rows}


def test_a_surveys_townships_and_villages_with_short_and_long_codes(
    db: Session, tmp_path: Path
) -> None:
    """A 9-digit XZQDM is a township, a 19-digit ZLDWDM a village (its 12 digits)."""
    seed_jurisdictions(db)
    towns = gpd.GeoDataFrame(
        {"XZQDM": ["530424101", "530424102"], "XZQMC": ["盘溪镇", "华溪镇"]},
        geometry=[shapely.box(103.0, 24.2, 103.1, 24.3), shapely.box(103.1, 24.2, 103.2, 24.3)],
        crs=4490,
    )
    towns.to_file(tmp_path / "XZQ.shp", encoding="GBK")
    outcome = run_import(db.connection(), tmp_path / "XZQ.shp", ImportOptions(kind="jurisdictions"))
    assert outcome.committed, outcome.problems
    villages = gpd.GeoDataFrame(
        {"ZLDWDM": ["5304241010010000000", "530424101002000000X"], "ZLDWMC": ["甲村", "乙村"]},
        geometry=[shapely.box(103.0, 24.2, 103.05, 24.25), shapely.box(103.05, 24.2, 103.1, 24.25)],
        crs=4490,
    )
    villages.to_file(tmp_path / "CJDCQ.shp", encoding="GBK")
    partial = ImportOptions(kind="jurisdictions", partial=True)
    outcome = run_import(db.connection(), tmp_path / "CJDCQ.shp", partial)
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "ZLDWDM")]
    assert "必须是 12 位数字" in outcome.problems[0].rule
    assert _levels(db, ["530424101000", "530424102000", "530424101001"]) == {
        "530424101000": ("盘溪镇", 4, "530424000000"),
        "530424102000": ("华溪镇", 4, "530424000000"),
        "530424101001": ("甲村", 5, "530424101000"),
    }


def test_a_web_maps_geojson_with_six_digit_adcodes(db: Session, tmp_path: Path) -> None:
    """A DataV-style GeoJSON names its county by a 6-digit adcode; a roster's 所属社区 too."""
    seed_jurisdictions(db)
    feature = {
        "type": "Feature",
        "properties": {"adcode": 530424, "name": "华宁县"},
        "geometry": shapely.geometry.mapping(shapely.box(102.8, 24.0, 103.3, 24.5)),
    }
    path = tmp_path / "530424.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    outcome = run_import(db.connection(), path, ImportOptions(kind="jurisdictions", crs="cgcs2000"))
    assert outcome.committed, outcome.problems
    assert outcome.counts is not None and outcome.counts.updated == 1  # the county, with a boundary
    assert _levels(db, ["530424000000"]) == {"530424000000": ("华宁县", 3, "530400000000")}

    cases = tmp_path / "工单.csv"
    cases.write_text(
        "工单编号,来源渠道,事件类型,所属社区,登记时间\nT-1,12345,邻里纠纷,530424100,2025-03-01\n",
        encoding="utf-8",
    )
    outcome = run_import(db.connection(), cases, ImportOptions(kind="cases"))
    assert outcome.committed, outcome.problems
    area = db.execute(text("SELECT area_code FROM cases WHERE external_no = 'T-1'")).scalar_one()
    assert area == "530424100000"
