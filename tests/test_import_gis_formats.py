"""GIS files besides Shapefiles: KML/KMZ, MapInfo TAB, Esri file geodatabases (also zipped)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, check_file, run_import
from importers.reading import ReadError, parts_of, read_table
from tests.import_fixtures import OTHER_VILLAGE, VILLAGE, seed_jurisdictions

TOWNS = gpd.GeoDataFrame(
    {"XZQDM": ["530424101", "530424102"], "XZQMC": ["盘溪镇", "华溪镇"]},
    geometry=[shapely.box(103.0, 24.2, 103.1, 24.3), shapely.box(103.1, 24.2, 103.2, 24.3)],
    crs=4490,
)
VILLAGES = gpd.GeoDataFrame(
    {"ZLDWDM": ["5304241010010000000"], "ZLDWMC": ["甲村"]},
    geometry=[shapely.box(103.0, 24.2, 103.05, 24.25)],
    crs=4490,
)


def _geodatabase(folder: Path) -> Path:
    """A survey's delivery: a file geodatabase of townships (XZQ) and villages (CJDCQ)."""
    path = folder / "华宁县行政区划.gdb"
    TOWNS.to_file(path, driver="OpenFileGDB", layer="XZQ")
    VILLAGES.to_file(path, driver="OpenFileGDB", layer="CJDCQ")
    return path


def test_a_kml_drawn_in_google_earth_names_its_units(tmp_path: Path) -> None:
    """A KML is WGS84; GDAL's housekeeping fields (an empty Name …) do not hide XZQMC."""
    path = tmp_path / "乡镇.kml"
    TOWNS.to_crs(4326).to_file(path, driver="KML")
    checked = check_file(path, ImportOptions(kind="jurisdictions"), None)
    assert checked.checks.columns == {"wkt": "__geometry__", "code": "XZQDM", "name": "XZQMC"}
    assert checked.crs.name == "wgs84" and not checked.checks.problems
    records = checked.parts[0].records
    assert list(records["code"]) == ["530424101000", "530424102000"]
    assert list(records["name"]) == ["盘溪镇", "华溪镇"]

    kmz = tmp_path / "乡镇.kmz"  # Google Earth's zipped KML
    TOWNS.to_crs(4326).to_file(kmz, driver="LIBKML", layer="XZQ")
    assert list(read_table(kmz).frame["XZQMC"]) == ["盘溪镇", "华溪镇"]


def test_a_mapinfo_table_is_read(tmp_path: Path) -> None:
    path = tmp_path / "乡镇.tab"
    TOWNS.to_file(path, driver="MapInfo File")
    table = read_table(path)
    assert list(table.frame["XZQMC"]) == ["盘溪镇", "华溪镇"]
    assert table.crs is not None


def test_a_file_geodatabase_folder_or_zip_is_read_layer_by_layer(tmp_path: Path) -> None:
    gdb = _geodatabase(tmp_path)
    with pytest.raises(ReadError, match="有 2 个图层：XZQ、CJDCQ。请用 --layer 指定"):
        read_table(gdb)
    assert list(read_table(gdb, layer="XZQ").frame["XZQDM"]) == ["530424101", "530424102"]
    assert parts_of(gdb) == ["XZQ", "CJDCQ"]

    zipped = tmp_path / "交付成果.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for file in gdb.iterdir():
            archive.write(file, f"成果/{gdb.name}/{file.name}")
    assert parts_of(zipped) == ["XZQ", "CJDCQ"]
    assert list(read_table(zipped, layer="CJDCQ").frame["ZLDWMC"]) == ["甲村"]
    with pytest.raises(ReadError, match="没有图层“乡镇”"):
        read_table(zipped, layer="乡镇")
    with pytest.raises(ReadError, match="是文件夹"):
        read_table(tmp_path)


def test_a_geodatabases_layers_import_into_the_hierarchy(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    gdb = _geodatabase(tmp_path)
    for layer in ("XZQ", "CJDCQ"):  # townships first: the villages' parents
        outcome = run_import(db.connection(), gdb, ImportOptions(kind="jurisdictions", layer=layer))
        assert outcome.committed, outcome.problems
    rows = db.execute(
        text(
            "SELECT code, name, level FROM jurisdictions WHERE code IN "
            "('530424101000', '530424102000', '530424101001') AND boundary IS NOT NULL "
            "ORDER BY code"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("530424101000", "盘溪镇", 4),
        ("530424101001", "甲村", 5),
        ("530424102000", "华溪镇", 4),
    ]


def test_grids_drawn_in_a_kml_find_their_codes_by_name(db: Session, tmp_path: Path) -> None:
    """The grid list came from Excel (codes, no boundaries), the boundaries from 奥维, by name."""
    seed_jurisdictions(db)
    for code, name, area in (
        (VILLAGE + "002", "测试第2网格", VILLAGE),
        (OTHER_VILLAGE + "001", "邻村第1网格", OTHER_VILLAGE),
    ):
        db.execute(
            text("INSERT INTO grids (code, name, area_code) VALUES (:c, :n, :a)"),
            {"c": code, "n": name, "a": area},
        )
    drawn = gpd.GeoDataFrame(
        {"Name": ["测试第2网格", "邻村第1网格", "不存在网格", "测试社区第2网格"]},
        geometry=[
            shapely.box(102.90, 24.20, 102.91, 24.21),
            shapely.box(102.95, 24.20, 102.96, 24.21),
            shapely.box(102.91, 24.21, 102.92, 24.22),
            shapely.box(102.90, 24.21, 102.91, 24.22),
        ],
        crs=4326,
    )
    path = tmp_path / "网格.kml"
    drawn.to_file(path, driver="KML")
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids", partial=True))
    assert outcome.committed
    assert "文件没有网格编码列：按网格名称对应数据库中已有的网格" in outcome.notes
    rules = {p.row: (p.column, p.rule) for p in outcome.problems}
    assert rules == {
        3: ("Name", "数据库中没有名为“不存在网格”的网格：请写 15 位网格编码，或先导入网格"),
        4: ("Name", f"与第 1 行是同一个网格（{VILLAGE}002）"),
    }
    assert outcome.counts is not None and outcome.counts.updated == 2
    bounds = db.execute(
        text(
            "SELECT code, name, round(ST_XMin(boundary)::numeric, 2)::float FROM grids "
            "WHERE code IN (:a, :b) ORDER BY code"
        ),
        {"a": VILLAGE + "002", "b": OTHER_VILLAGE + "001"},
    ).all()
    assert [tuple(b) for b in bounds] == [
        (VILLAGE + "002", "测试第2网格", 102.90),
        (OTHER_VILLAGE + "001", "邻村第1网格", 102.95),
    ]


def test_township_boundaries_drawn_by_name_join_the_official_codes(
    db: Session, tmp_path: Path
) -> None:
    """`zongzhi divisions` gave the townships' codes; a KML without codes gives their shapes."""
    seed_jurisdictions(db)
    db.execute(
        text(
            "INSERT INTO jurisdictions (code, name, level, parent_code) "
            "VALUES ('530424101000', '盘溪镇', 4, '530424000000')"
        )
    )
    drawn = gpd.GeoDataFrame(
        {"Name": ["盘溪镇", "宁州街道", "不存在镇", "宁州街道办事处"]},
        geometry=[shapely.box(103.0, 24.2, 103.1, 24.3)] * 2
        + [shapely.box(103.2, 24.2, 103.3, 24.3)] * 2,
        crs=4326,
    )
    path = tmp_path / "乡镇界.kml"
    drawn.to_file(path, driver="KML")
    outcome = run_import(db.connection(), path, ImportOptions(kind="jurisdictions", partial=True))
    assert outcome.committed
    assert "文件没有区划代码列：按名称对应数据库中已有的辖区" in outcome.notes
    rules = {p.row: p.rule for p in outcome.problems}
    assert sorted(rules) == [3, 4]
    assert rules[3].startswith("数据库中没有名为“不存在镇”的")
    assert rules[4] == "与第 2 行是同一个辖区（530424100000）"
    rows = db.execute(
        text(
            "SELECT code, name, level, parent_code FROM jurisdictions "
            "WHERE code IN ('530424100000', '530424101000') AND boundary IS NOT NULL ORDER BY code"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("530424100000", "宁州街道", 4, "530424000000"),
        ("530424101000", "盘溪镇", 4, "530424000000"),
    ]
