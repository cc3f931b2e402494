"""Reading files as text and mapping their headers (no database)."""

from __future__ import annotations

import codecs
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from importers import pipeline
from importers.dbf import attribute_encoding
from importers.headers import HEADER_SEARCH_ROWS
from importers.mapping import (
    MappingError,
    MappingFile,
    header_keys,
    header_test,
    load_mapping_file,
    resolve_columns,
)
from importers.reading import GEOMETRY_COLUMN, ReadError, parts_of, read_table
from importers.values import EXCEL_NUMBER_RULE

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
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "不是 Excel 工作簿"),
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
    swapped = resolve_columns(headers, fields, load_mapping_file(mapping).columns)
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


# ---------------------------------------------------------------- title rows and blank rows

TITLE = "华宁县网格员花名册"
ROSTER = ["序号", "姓名", "身份证号", "所属网格", "经度", "纬度"]
PEOPLE = [
    ["1", "张三", "11010519491231002X", "530424100001001", "102.9051234", "24.2012"],
    ["2", "李四", "110105194912310037", "530424100001002", "102.9061234", "24.2022"],
    ["3", "王五", "110105194912310045", "530424100001001", "102.9071234", "24.2032"],
]


def _titled_xlsx(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    """Row 1: merged title; 2: 填报单位/日期; 3: blank; 4: header; 5, 6: data; 7: blank; 8: data;
    9: blank (one cell of spaces only)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(["填报单位：宁州街道", None, None, "填报日期：2024年5月"])
    sheet.append([])
    sheet.append(headers)
    sheet.append(rows[0])
    sheet.append(rows[1])
    sheet.append([])
    sheet.append(rows[2])
    sheet.cell(row=9, column=2, value="   ")
    book.save(path)
    return path


def _titled_csv(path: Path, headers: list[str], rows: list[list[str]], encoding: str) -> Path:
    """The same layout as Excel saves it, plus an empty line at the end (row 10)."""
    commas = "," * (len(headers) - 1)
    lines = [
        TITLE + commas,
        "填报单位：宁州街道,,,填报日期：2024年5月" + commas[3:],
        commas,
        ",".join(headers),
        ",".join(rows[0]),
        ",".join(rows[1]),
        commas,
        ",".join(rows[2]),
        " , " + commas[1:],
        "",
    ]
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def _assert_roster(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == ROSTER
    assert list(frame.index) == [5, 6, 8]  # spreadsheet rows: title rows and blanks counted
    assert frame.index.name == "row"
    assert frame.loc[5, "身份证号"] == "11010519491231002X"
    assert frame.loc[6, "所属网格"] == "530424100001002"
    assert frame.loc[8, "姓名"] == "王五" and frame.loc[8, "经度"] == "102.9071234"


@pytest.mark.parametrize("form", ["xlsx", "gbk.csv", "utf-8-sig.csv"])
def test_header_found_below_title_rows_and_blank_rows_dropped(tmp_path: Path, form: str) -> None:
    if form == "xlsx":
        path = _titled_xlsx(tmp_path / "roster.xlsx", ROSTER, PEOPLE)
    else:
        encoding = form.removesuffix(".csv")
        path = _titled_csv(tmp_path / "roster.csv", ROSTER, PEOPLE, encoding)
    table = read_table(path, is_header=header_test())
    _assert_roster(table.frame)
    if form == "gbk.csv":
        assert table.encoding == "gb18030"
    columns = resolve_columns(table.headers, ["name", "resident_id", "grid_code", "lon", "lat"])
    assert columns == {
        "name": "姓名",
        "resident_id": "身份证号",
        "grid_code": "所属网格",
        "lon": "经度",
        "lat": "纬度",
    }


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_without_a_header_test_the_title_stays_the_header(tmp_path: Path, form: str) -> None:
    if form == "xlsx":
        path = _titled_xlsx(tmp_path / "roster.xlsx", ROSTER, PEOPLE)
    else:
        path = _titled_csv(tmp_path / "roster.csv", ROSTER, PEOPLE, "gbk")
    frame = read_table(path).frame  # today's behaviour: the first non-empty row is the header
    assert frame.columns[0] == TITLE
    assert list(frame.index) == [2, 4, 5, 6, 8]  # blank rows still dropped
    assert frame.loc[4].iloc[0] == "序号"


def test_csv_title_cell_spanning_lines_counts_as_one_row(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    text = '"华宁县\n网格员花名册",,\n姓名,经度,纬度\n张三,102.9,24.2\n'
    path.write_text(text, encoding="utf-8")
    frame = read_table(path, is_header=header_test()).frame
    assert list(frame.columns) == ["姓名", "经度", "纬度"]
    assert list(frame.index) == [3] and frame.loc[3, "姓名"] == "张三"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_unknown_headers_found_through_mapping_overrides(tmp_path: Path, suffix: str) -> None:
    headers = ["代号", "称呼", "联络方式", "东经度数", "北纬度数", "备用栏"]
    assert not {h for h in headers if header_test()(h)}  # none of them is a built-in synonym
    rows = [[*p[:2], "1390000000" + p[0], *p[4:], ""] for p in PEOPLE]
    if suffix == ".xlsx":
        path = _titled_xlsx(tmp_path / "roster.xlsx", headers, rows)
    else:
        path = _titled_csv(tmp_path / "roster.csv", headers, rows, "gbk")
    overrides = {"external_id": "代号", "name": "称呼", "lon": "东经度数", "lat": "北纬度数"}
    assert read_table(path, is_header=header_test()).headers == headers  # the fullest row
    table = read_table(path, is_header=header_test(overrides))
    assert table.headers == headers
    assert list(table.frame.index) == [5, 6, 8]
    assert table.frame.loc[6, "称呼"] == "李四"
    assert table.frame.loc[8, "北纬度数"] == "24.2032"


def test_file_without_title_rows_is_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes((HEADER + ROW + "000000000000001, ,\n").encode("gbk"))
    plain = read_table(path)
    found = read_table(path, is_header=header_test())
    pd.testing.assert_frame_equal(found.frame, plain.frame)
    assert found.headers == ["网格编码", "名称", "身份证号"]
    assert list(found.frame.index) == [2, 3]
    assert isinstance(found.frame.index, pd.RangeIndex)  # nothing dropped, nothing copied


def test_csv_ending_in_blank_lines_loses_only_them(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes((HEADER + ROW + ",,\n" + ROW + ",,\n , ,\n\n").encode("gbk"))
    frame = read_table(path, is_header=header_test()).frame
    assert list(frame.index) == [2, 4]
    assert list(frame["名称"]) == ["一网格", "一网格"]
    trailing = tmp_path / "g.csv"
    trailing.write_bytes((HEADER + ROW + ROW + ",,\n\n").encode("gbk"))
    frame = read_table(trailing).frame
    assert list(frame.index) == [2, 3] and frame.loc[3, "网格编码"] == "530424100001001"


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_title_without_recognisable_header_falls_back_to_the_fullest_row(
    tmp_path: Path, form: str
) -> None:
    headers = ["甲", "乙", "丙"]
    rows = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]]
    if form == "xlsx":
        path = _titled_xlsx(tmp_path / "f.xlsx", headers, rows)
    else:
        path = _titled_csv(tmp_path / "f.csv", headers, rows, "gbk")
    found = read_table(path, is_header=header_test())
    assert read_table(path).headers[0] == TITLE  # without a header test: the first row
    assert found.headers[:3] == headers  # the title (one text, merged or not) is passed over
    assert found.frame.index[0] == 5


def test_header_needs_two_known_cells_within_the_first_rows(tmp_path: Path) -> None:
    is_header = header_test()
    one_known = tmp_path / "one.csv"
    one_known.write_text("填表须知,经度\n姓名,经度\n张三,102.9\n", encoding="utf-8")
    assert read_table(one_known, is_header=is_header).frame.index[0] == 3
    for junk, expected in ((HEADER_SEARCH_ROWS - 1, HEADER_SEARCH_ROWS), (HEADER_SEARCH_ROWS, 1)):
        path = tmp_path / f"junk{junk}.csv"
        lines = [f"填表须知第 {i + 1} 条," for i in range(junk)] + ["姓名,经度", "张三,102.9"]
        path.write_text("\n\n".join(lines), encoding="utf-8")  # blank lines between: not counted
        frame = read_table(path, is_header=is_header).frame
        header_row = 2 * expected - 1
        assert frame.index[0] == header_row + 2, junk
        assert (frame.columns[0] == "姓名") == (expected == HEADER_SEARCH_ROWS)


def test_header_is_the_row_with_most_known_cells(tmp_path: Path) -> None:
    # Label and value in separate cells: 单位 and 联系电话 are known headers too.
    path = tmp_path / "f.csv"
    lines = [
        "单位：,宁州街道,联系电话：,0877-5011234",
        "姓名,身份证号,联系电话,经度",
        "张三,,,102.9",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = read_table(path, is_header=header_test()).frame
    assert list(frame.columns) == ["姓名", "身份证号", "联系电话", "经度"]
    assert list(frame.index) == [3]


def test_files_of_blank_rows_only_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(",,\n\n , ,\n", encoding="utf-8")
    with pytest.raises(ReadError, match="只有空行"):
        read_table(path, is_header=header_test())


def test_header_keys_hold_fields_synonyms_and_override_headers() -> None:
    keys = header_keys()
    assert {"gridcode", "经度", "身份证号码", "residentid"} <= keys
    assert "华宁县网格员花名册" not in keys and "" not in keys
    assert header_keys({"lon": "东 经 度 数（度）", "lat": ""}) == keys | {"东经度数"}


def test_headers_with_notes_in_brackets_find_their_fields() -> None:
    headers = [
        "序号",
        "姓名【必填】",
        "身份证号（18位）",
        "经度(WGS84)",
        "纬度（WGS84）",
        "（备注）",
    ]
    assert resolve_columns(headers, ["name", "resident_id", "lon", "lat", "description"]) == {
        "name": "姓名【必填】",
        "resident_id": "身份证号（18位）",
        "lon": "经度(WGS84)",
        "lat": "纬度（WGS84）",
    }


def test_check_file_reads_the_mapping_file_once_and_finds_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = ["代号", "称呼", "联络方式", "东经度数", "北纬度数", "备用栏"]
    rows = [[*p[:2], "1390000000" + p[0], *p[4:], ""] for p in PEOPLE]
    path = _titled_xlsx(tmp_path / "workers.xlsx", headers, rows)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        '{"external_id": "代号", "name": "称呼", "phone": "联络方式", '
        '"lon": "东经度数", "lat": "北纬度数"}',
        encoding="utf-8",
    )
    loads: list[Path] = []

    def counted(path: Path, shown_as: str | None = None) -> MappingFile:
        loads.append(path)
        return load_mapping_file(path, shown_as)

    monkeypatch.setattr(pipeline, "load_mapping_file", counted)
    options = pipeline.ImportOptions(kind="workers", mapping=mapping)
    checked = pipeline.check_file(path, options, None)
    assert loads == [mapping]
    assert checked.checks.problems == []
    assert checked.checks.columns["phone"] == "联络方式"
    staged = pd.concat([part.records for part in checked.parts])
    assert sorted(staged["_row"]) == [5, 6, 8]
    assert sorted(staged["name"]) == ["张三", "李四", "王五"]


@pytest.mark.parametrize(
    ("suffix", "separator"), [(".tsv", "\t"), (".txt", "\t"), (".csv", ";"), (".txt", "|")]
)
def test_tab_semicolon_and_bar_separated_files(tmp_path: Path, suffix: str, separator: str) -> None:
    lines = [TITLE, separator.join(ROSTER), separator.join(PEOPLE[0]) + " "]
    path = tmp_path / f"roster{suffix}"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    frame = read_table(path, is_header=header_test()).frame
    assert list(frame.columns) == ROSTER
    assert list(frame.index) == [3]
    assert list(frame.loc[3]) == PEOPLE[0]  # the trailing space stripped


def test_a_camera_sheet_as_platforms_export_it(tmp_path: Path) -> None:
    """Title row, codes stored as numbers, DMS coordinates: what a 雪亮工程 export looks like."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["华宁县雪亮工程点位表"])
    sheet.append(["序号", "设备名称", "国标编码", "经度", "纬度"])
    sheet.append([1, "宁州街道路口", "53042400001310000001", "102°55′12.5″", "24°11′36″"])
    sheet.append([2, "盘溪镇集市", 53042400001310000002, "E102°48.5'", "N24°5'"])  # number cell
    sheet.append([3, "青龙镇学校", "53042400001310000003", "１０２．９", "２４．２"])
    path = tmp_path / "cameras.xlsx"
    book.save(path)
    checked = pipeline.check_file(path, pipeline.ImportOptions(kind="video", crs="wgs84"), None)
    rules = {(p.row, p.column): p.rule for p in checked.checks.problems}
    assert rules == {(4, "国标编码"): EXCEL_NUMBER_RULE}
    staged = pd.concat([part.records for part in checked.parts])
    good = staged[staged["_row"].isin([3, 5])].sort_values("_row")
    assert list(good["device_id"]) == ["53042400001310000001", "53042400001310000003"]
    assert list(good["_row"]) == [3, 5]
    assert list(good["_lon"]) == pytest.approx([102 + 55 / 60 + 12.5 / 3600, 102.9])
    assert list(good["_lat"]) == pytest.approx([24 + 11 / 60 + 36 / 3600, 24.2])


def _township_shapefile(folder: Path, encoding: str, *, cpg: bool) -> Path:
    """Two townships with Chinese field names longer than a DBF keeps (10 bytes)."""
    frame = gpd.GeoDataFrame(
        {"行政区划代码": ["530424001000", "530424100000"], "乡镇名称": ["宁州街道", "盘溪镇"]},
        geometry=[shapely.box(102.9, 24.1, 103.0, 24.2), shapely.box(103.0, 24.1, 103.1, 24.2)],
        crs=4490,
    )
    path = folder / "townships.shp"
    with warnings.catch_warnings():  # GDAL says it cut the names
        warnings.simplefilter("ignore", RuntimeWarning)
        frame.to_file(path, encoding=encoding)
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


@pytest.mark.parametrize(
    ("encoding", "cpg", "zipped"),
    [("GBK", False, False), ("GBK", False, True), ("UTF-8", True, False), ("UTF-8", False, True)],
)
def test_chinese_shapefiles_read_without_cpg_and_with_cut_field_names(
    tmp_path: Path, encoding: str, cpg: bool, zipped: bool
) -> None:
    path = _township_shapefile(tmp_path, encoding, cpg=cpg)
    if zipped:
        archive_path = tmp_path / "townships.zip"
        with zipfile.ZipFile(archive_path, "w") as archive:
            for part in tmp_path.glob("townships.*"):
                if part.suffix != ".zip":
                    archive.write(part, part.name)
        path = archive_path
    table = read_table(path)
    code, name = (
        h.encode(encoding)[:10].decode(encoding, "ignore") for h in ("行政区划代码", "乡镇名称")
    )
    assert table.headers == [code, name]  # 行政区 and 乡镇名 in UTF-8
    assert list(table.frame[name]) == ["宁州街道", "盘溪镇"]
    columns = resolve_columns(table.headers, ["code", "name", "wkt"], has_geometry=True)
    assert columns == {"code": code, "name": name, "wkt": GEOMETRY_COLUMN}
    checked = pipeline.check_file(path, pipeline.ImportOptions(kind="jurisdictions"), None)
    assert checked.checks.problems == []
    staged = checked.parts[0].records
    assert list(zip(staged["code"], staged["name"], strict=True)) == [
        ("530424001000", "宁州街道"),
        ("530424100000", "盘溪镇"),
    ]


def test_cut_headers_match_only_one_open_field() -> None:
    headers = ["行政区", "所属社"]  # 所属社 begins 所属社区 and 所属社区编码, both area_code
    assert resolve_columns(headers, ["code", "area_code"], has_geometry=True) == {
        "code": "行政区",
        "area_code": "所属社",
    }
    # 区划代 begins a usual header of code and of area_code: neither is guessed.
    assert resolve_columns(["区划代"], ["code", "area_code"], has_geometry=True) == {}
    assert resolve_columns(["区划代"], ["code"], has_geometry=False) == {}


def test_codec_of_a_declared_or_undeclared_shapefile(tmp_path: Path) -> None:
    path = _township_shapefile(tmp_path, "GBK", cpg=True)
    assert attribute_encoding(path) == "gb18030"
    path.with_suffix(".cpg").write_text("UTF-8")  # a wrong .cpg is believed, as GDAL would
    assert attribute_encoding(path) == "utf-8"
    path.with_suffix(".cpg").unlink()
    assert attribute_encoding(path) == "gb18030"
    ascii_only = gpd.GeoDataFrame({"code": ["1"]}, geometry=[shapely.Point(1, 1)], crs=4490)
    ascii_only.to_file(tmp_path / "plain.shp")
    assert attribute_encoding(tmp_path / "plain.shp") is None
    assert attribute_encoding(tmp_path / "plain.geojson") is None


def test_a_first_sheet_of_instructions_is_passed_over(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["1. 身份证号请设为文本格式"])
    notes.append(["2. 经纬度填写 WGS84 十进制度"])
    data = book.create_sheet("人员信息")
    data.append([TITLE])
    data.append(ROSTER)
    data.append(PEOPLE[0])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    table = read_table(path, is_header=header_test())
    assert table.sheet == "人员信息" and table.headers == ROSTER
    assert list(table.frame.index) == [3]
    assert read_table(path).sheet is None  # without a header test: the first sheet, as before
    options = pipeline.ImportOptions(kind="workers")
    assert pipeline.check_file(path, options, None).file_name == "roster.xlsx（工作表“人员信息”）"


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_two_row_headers_take_merged_labels_from_the_row_above(tmp_path: Path, form: str) -> None:
    top = ["序号", "姓名", "身份证号", "所属网格", "位置", None]
    leaf = [None, None, None, None, "经度", "纬度"]
    if form == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append([TITLE])
        sheet.append(top)
        sheet.append(leaf)
        for column in range(1, 5):  # 序号 … 所属网格 merged down over both header rows
            sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
        sheet.merge_cells(start_row=2, start_column=5, end_row=2, end_column=6)  # 位置
        sheet.append(PEOPLE[0])
        path = tmp_path / "roster.xlsx"
        book.save(path)
    else:
        lines = [TITLE, ",".join(c or "" for c in top), ",".join(c or "" for c in leaf)]
        path = tmp_path / "roster.csv"
        path.write_bytes("\n".join([*lines, ",".join(PEOPLE[0])]).encode("gbk"))
    frame = read_table(path, is_header=header_test()).frame
    assert list(frame.columns) == ROSTER
    assert list(frame.index) == [4]
    assert list(frame.loc[4]) == PEOPLE[0]


def test_a_cell_merged_over_a_group_of_rows_holds_for_each(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    # The table starts at B2, as sheets with a margin do.
    rows = [["姓名", "所属社区", "经度"], ["张三", "530424100001", "102.91"]]
    rows += [["李四", None, "102.92"], ["王五", None, "102.93"], ["赵六", "530424100002", "1"]]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=2):
            sheet.cell(row=r, column=c, value=value)
    sheet.merge_cells("C3:C5")  # one community for 张三, 李四 and 王五
    path = tmp_path / "people.xlsx"
    book.save(path)
    frame = read_table(path, is_header=header_test()).frame
    assert list(frame.index) == [3, 4, 5, 6]
    assert list(frame["所属社区"]) == ["530424100001"] * 3 + ["530424100002"]
    assert list(frame["姓名"]) == ["张三", "李四", "王五", "赵六"]


def _unit(code: str, west: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [code], "name": ["单位"]},
        geometry=[shapely.box(west, 24.1, west + 0.1, 24.2)],
        crs=4490,
    )


def test_a_geopackage_of_several_layers_needs_layer(tmp_path: Path) -> None:
    path = tmp_path / "boundaries.gpkg"
    _unit("530424001000", 102.9).to_file(path, layer="乡镇")
    _unit("530424001001", 103.0).to_file(path, layer="村")
    with pytest.raises(ReadError, match="有 2 个图层：乡镇、村。请用 --layer"):
        read_table(path)
    with pytest.raises(ReadError, match="没有图层“网格”"):
        read_table(path, layer="网格")
    table = read_table(path, layer="村")
    assert table.layer == "村" and list(table.frame["code"]) == ["530424001001"]
    assert parts_of(path) == ["乡镇", "村"]
    options = pipeline.ImportOptions(kind="jurisdictions", layer="村")
    assert pipeline.check_file(path, options, None).file_name == "boundaries.gpkg（图层“村”）"


def test_a_zipped_folder_and_a_zip_of_several_shapefiles(tmp_path: Path) -> None:
    folder = tmp_path / "乡镇界"
    folder.mkdir()
    _unit("530424001000", 102.9).to_file(folder / "乡镇.shp", encoding="GBK")
    (folder / "乡镇.cpg").unlink()  # and its GBK names still read right
    one = tmp_path / "one.zip"
    with zipfile.ZipFile(one, "w") as archive:  # what 发送到压缩文件 on a folder makes
        for part in folder.iterdir():
            archive.write(part, f"乡镇界/{part.name}")
    table = read_table(one)
    assert list(table.frame["name"]) == ["单位"] and table.layer is None
    _unit("530424001001", 103.0).to_file(folder / "村.shp")
    several = tmp_path / "several.zip"
    with zipfile.ZipFile(several, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, f"乡镇界/{part.name}")
    with pytest.raises(ReadError, match="请用 --layer"):
        read_table(several)
    table = read_table(several, layer="乡镇")
    assert table.layer == "乡镇" and list(table.frame["code"]) == ["530424001000"]
    assert list(table.frame["name"]) == ["单位"]
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("说明.txt", "无")
    with pytest.raises(ReadError, match="压缩包里没有"):
        read_table(empty)


class _GbkName(zipfile.ZipInfo):
    """A member named in GBK without the UTF-8 flag, as zips made on Chinese Windows are."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 (zipfile's name)
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def test_a_zip_made_on_chinese_windows_names_its_layers_readably(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    _unit("530424001000", 102.9).to_file(folder / "乡镇.shp", encoding="GBK")
    _unit("530424001001", 103.0).to_file(folder / "村.shp", encoding="GBK")
    path = tmp_path / "华宁县.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.writestr(_GbkName(f"华宁县边界/{part.name}"), part.read_bytes())
    assert all(info.flag_bits & 0x800 == 0 for info in zipfile.ZipFile(path).infolist())
    with pytest.raises(ReadError, match="有 2 个图层：(乡镇、村|村、乡镇)。请用 --layer"):
        read_table(path)
    table = read_table(path, layer="村")
    assert table.layer == "村" and list(table.frame["code"]) == ["530424001001"]
    assert list(table.frame["name"]) == ["单位"]
    assert sorted(parts_of(path)) == ["乡镇", "村"]


def test_excel_unicode_text_export_is_read(tmp_path: Path) -> None:
    """Excel's "Unicode 文本" export: UTF-16 with a BOM, tab-separated, saved as .txt."""
    path = tmp_path / "roster.txt"
    lines = [TITLE, "\t".join(ROSTER), "\t".join(PEOPLE[0])]
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    table = read_table(path, is_header=header_test())
    assert table.headers == ROSTER and list(table.frame.loc[3]) == PEOPLE[0]


def test_header_repeated_on_each_printed_page_is_not_a_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (ROSTER, PEOPLE[0], PEOPLE[1], ROSTER, PEOPLE[2]):
        sheet.append(row)
    path = tmp_path / "printed.xlsx"
    book.save(path)
    frame = read_table(path, is_header=header_test()).frame
    assert list(frame.index) == [2, 3, 5]
    assert list(frame["姓名"]) == ["张三", "李四", "王五"]


def test_values_exported_so_that_excel_keeps_them_as_text_are_unwrapped(tmp_path: Path) -> None:
    """Systems write IDs as ="…" (or '… before digits) in CSV meant for Excel."""
    path = tmp_path / "export.csv"
    lines = [
        "身份证号,姓名,手机",
        '="11010519491231002X",张三,\'13800000000',
        '11010519491231002X,李四,="13900000000"',
        '\'abc,王五,=""',
    ]
    path.write_bytes("\n".join(lines).encode("gbk"))
    frame = read_table(path).frame
    assert list(frame["身份证号"]) == ["11010519491231002X", "11010519491231002X", "'abc"]
    assert list(frame["手机"]) == ["13800000000", "13900000000", None]


def test_a_workbook_of_one_sheet_per_township_is_read_one_sheet_at_a_time(tmp_path: Path) -> None:
    """No data sheet is silently left out: several need --sheet, and all lists each."""
    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["请按乡镇分表填写"])
    for name, village in (("宁州街道", "530424001001"), ("盘溪镇", "530424101001")):
        sheet = book.create_sheet(name)
        sheet.append(["区划代码", "名称"])
        sheet.append([village, f"{name}的村"])
    path = tmp_path / "各乡镇.xlsx"
    book.save(path)
    test = header_test()
    with pytest.raises(ReadError, match="有 2 个数据工作表：宁州街道、盘溪镇。请用 --sheet"):
        read_table(path, is_header=test)
    table = read_table(path, is_header=test, layer="盘溪镇")
    assert table.sheet == "盘溪镇" and list(table.frame["区划代码"]) == ["530424101001"]
    with pytest.raises(
        ReadError, match="没有工作表“华溪镇”；它的工作表：填表说明、宁州街道、盘溪镇"
    ):
        read_table(path, is_header=test, layer="华溪镇")
    assert parts_of(path, test) == ["宁州街道", "盘溪镇"]
    csv_path = tmp_path / "one.csv"
    csv_path.write_text("区划代码,名称\n530424001001,村\n", encoding="utf-8")
    with pytest.raises(ReadError, match="不需要 --sheet"):
        read_table(csv_path, layer="盘溪镇")
    with pytest.raises(ReadError, match="只有工作簿和 GIS 文件"):
        parts_of(csv_path)


def test_a_first_record_with_a_header_word_is_a_record(tmp_path: Path) -> None:
    """A 12345 export whose first order came by 电话 (a known header): still its first record."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["甘州区12345工单导出"])
    sheet.append(["工单编号", "受理渠道", "受理时间", "问题分类"])
    sheet.append(["ZY1", "电话", "2026-02-04 09:00", "邻里纠纷"])
    sheet.append(["ZY2", "网站", "2026-02-04 10:00", "邻里纠纷"])
    path = tmp_path / "12345.xlsx"
    book.save(path)
    table = read_table(path, is_header=header_test())
    assert table.headers == ["工单编号", "受理渠道", "受理时间", "问题分类"]
    assert table.frame["工单编号"].tolist() == ["ZY1", "ZY2"]
