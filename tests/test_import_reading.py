"""Reading files as text and mapping their headers (no database)."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from importers.mapping import MappingError, load_mapping_file, resolve_columns
from importers.reading import GEOMETRY_COLUMN, ReadError, read_table

HEADER = "网格编码,名称,身份证号\n"
ROW = "530424100001001,一网格,11010519491231002x\n"


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("gbk", b"", "gb18030"),
        ("gb18030", b"", "gb18030"),
    ],
)
def test_csv_encodings_keep_codes_as_text(
    tmp_path: Path, encoding: str, prefix: bytes, detected: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(prefix + (HEADER + ROW + "000000000000001, ,\n").encode(encoding))
    table = read_table(path)
    assert table.encoding == detected
    assert table.headers == ["网格编码", "名称", "身份证号"]
    assert table.frame.loc[2, "网格编码"] == "530424100001001"
    assert table.frame.loc[2, "身份证号"] == "11010519491231002x"
    assert table.frame.loc[3, "网格编码"] == "000000000000001"  # leading zeros kept
    assert table.frame.loc[3, "名称"] is None and table.frame.loc[3, "身份证号"] is None


def test_xlsx_numbers_become_text_not_floats(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["区划代码", "经度", "名称"])
    sheet.append([530424100001, 102.9051234, "村"])
    sheet.append(["530424100002", None, "邻村"])
    path = tmp_path / "f.xlsx"
    book.save(path)
    frame = read_table(path).frame
    assert list(frame["区划代码"]) == ["530424100001", "530424100002"]
    assert frame.loc[2, "经度"] == "102.9051234" and frame.loc[3, "经度"] is None


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip"])
def test_gis_formats_give_geometries_and_crs(tmp_path: Path, suffix: str) -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["530424100001001"], "name": ["一网格"]},
        geometry=[shapely.box(102.90, 24.20, 102.91, 24.21)],
        crs=4490,
    )
    if suffix == ".zip":
        shp = tmp_path / "grids.shp"
        frame.to_file(shp)
        path = tmp_path / "grids.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for part in tmp_path.glob("grids.*"):
                if part.suffix != ".zip":
                    archive.write(part, part.name)
    else:
        path = tmp_path / f"grids{suffix}"
        frame.to_file(path)
    table = read_table(path)
    assert table.crs == "EPSG:4490"
    assert table.frame.loc[1, "code"] == "530424100001001"
    geometry = table.frame.loc[1, GEOMETRY_COLUMN]
    assert isinstance(geometry, shapely.Polygon) and geometry.area == pytest.approx(1e-4)
    columns = resolve_columns(table.headers, ["code", "name", "wkt"], has_geometry=True)
    assert columns == {"code": "code", "name": "name", "wkt": GEOMETRY_COLUMN}


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="不存在"):
        read_table(tmp_path / "nope.csv")
    odd = tmp_path / "f.doc"
    odd.write_text("x")
    with pytest.raises(ReadError, match="不支持的文件类型"):
        read_table(odd)
    with pytest.raises(ReadError, match="是文件夹"):
        read_table(tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "是空文件"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "不是可读取的工作簿"),
        ("broken.geojson", b'{"type": "FeatureCollection", "features": [', "不是可读取的 GIS 文件"),
        ("broken.zip", b"not a zip", "不是压缩的 Shapefile"),
    ],
)
def test_unreadable_files_give_a_read_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReadError, match=message):
        read_table(path)


def test_header_synonyms_and_overrides(tmp_path: Path) -> None:
    headers = ["X坐标", "Y坐标", "公民身份号码", "国标编码", "所属社区", "事件类型", "登记时间"]
    fields = ["lon", "lat", "resident_id", "device_id", "area_code", "category", "reported_at"]
    assert resolve_columns(headers, fields) == dict(zip(fields, headers, strict=True))
    mapping = tmp_path / "m.json"
    mapping.write_text('{"lon": "Y坐标", "lat": "X坐标"}', encoding="utf-8")
    swapped = resolve_columns(headers, fields, load_mapping_file(mapping))
    assert (swapped["lon"], swapped["lat"]) == ("Y坐标", "X坐标")
    with pytest.raises(MappingError, match="字段 'colour' 不存在"):
        resolve_columns(headers, fields, {"colour": "X坐标"})
    bad = tmp_path / "m.toml"
    bad.write_text("lon = 3\n", encoding="utf-8")
    with pytest.raises(MappingError, match="字段名 = 表头"):
        load_mapping_file(bad)


def test_timestamps_read_iso_with_fractions_and_chinese_dates() -> None:
    import pandas as pd

    from importers.rules import RowChecks

    frame = pd.DataFrame(
        {"t": ["2024-05-01 08:30:00.5", "2025年3月3日", "2025/3/1 8:30", "昨天", None]},
        index=pd.RangeIndex(2, 7, name="row"),
    )
    checks = RowChecks(frame, {"reported_at": "t"})
    parsed = checks.timestamps("reported_at")
    assert str(parsed[2]) == "2024-05-01 08:30:00.500000+08:00"
    assert str(parsed[3]) == "2025-03-03 00:00:00+08:00"
    assert str(parsed[4]) == "2025-03-01 08:30:00+08:00"
    assert pd.isna(parsed[5]) and pd.isna(parsed[6])
    assert [(p.row, p.column) for p in checks.problems] == [(5, "t")]
