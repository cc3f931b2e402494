"""Headers and values as offices write them, and what the summary says of a file (clerk B's files).

Two-row headers with one name under two groups, two columns named alike, a GIS file's geometry
named in Chinese, headers and values of village boundary files and 海康 exports, the
missing-column message, a refused dry run's counts, boundaries that did not move, and the
list of imports in a narrow terminal.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from rich.cells import cell_len
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.cli import _imports_table
from importers.kinds import KINDS
from importers.kinds.units import SAME_UNIT_NAME
from importers.mapping import header_test
from importers.pipeline import ImportOptions, check_file, run_import
from importers.reading import read_table
from importers.rules import MissingColumns
from importers.summary import whole_file_problems
from layers.china_time import CHINA
from layers.import_runs import ImportRecord
from layers.secrets import Keys
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    EAST,
    GRID,
    NORTH,
    OTHER_VILLAGE,
    SOUTH,
    VILLAGE,
    WEST,
    csv_text,
    import_app,
    resident_id,
    seed_jurisdictions,
    seeded_database,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)


# ------------------------------------------------------------------------------- headers


def _guardians_roster(path: Path) -> Path:
    """A roster of 严重精神障碍患者 as the county keeps it: 姓名 under 基本信息 and under 监护人."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "严重精神障碍患者"
    sheet.append(["华宁县严重精神障碍患者管理台账"])
    sheet.append(["序号", "基本信息", None, None, "居住信息", "监护人", None])
    sheet.append([None, "姓名", "身份证号", "人员类别", "所属村", "姓名", "电话"])
    for seq in (1, 2):
        sheet.append([seq, f"患者{seq}", resident_id(seq), "严重精神障碍患者", "测试社区"])
        sheet.cell(sheet.max_row, 6, f"监护人{seq}")
        sheet.cell(sheet.max_row, 7, "13800000000")
    for cells in ("A1:G1", "B2:D2", "F2:G2", "A2:A3"):
        sheet.merge_cells(cells)
    book.save(path)
    return path


def test_a_name_under_two_groups_is_told_apart_and_the_first_is_the_persons(
    tmp_path: Path,
) -> None:
    path = _guardians_roster(tmp_path / "花名册.xlsx")
    table = read_table(path, is_header=header_test())
    assert table.headers == ["序号", "姓名", "身份证号", "人员类别", "所属村", "监护人姓名", "电话"]
    checked = check_file(path, ImportOptions(kind="persons"), KEYS)
    assert checked.checks.columns["name"] == "姓名"
    assert list(checked.parts[0].records["name"]) == ["患者1", "患者2"]
    assert not [p for p in checked.checks.problems if p.severity == "rejected"]


def test_two_columns_named_alike_are_told_apart_in_every_reader(tmp_path: Path) -> None:
    """The first 备注 feeds the field; the later ones are 备注_2 … whatever the file type."""
    headers = ["身份证号", "走访日期", "备注", "备注", " 备注 "]
    row = [resident_id(1), "2025-05-01", "按时走访", "家属在场", "无"]
    csv_path = tmp_path / "走访.csv"
    csv_path.write_text(csv_text(headers, [row]), encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    sheet.append(row)
    xlsx_path = tmp_path / "走访.xlsx"
    book.save(xlsx_path)
    html_path = tmp_path / "走访.xls"  # a web system's "export to Excel"
    cells = ["".join(f"<td>{c}</td>" for c in r) for r in (headers, row)]
    html_path.write_text(f"<table><tr>{'</tr><tr>'.join(cells)}</tr></table>", encoding="utf-8")
    for path in (csv_path, xlsx_path, html_path):
        table = read_table(path, is_header=header_test())
        assert table.headers == ["身份证号", "走访日期", "备注", "备注_2", "备注_3"], path.name
        checked = check_file(path, ImportOptions(kind="visits"), KEYS)
        assert checked.checks.columns["note"] == "备注", path.name
        assert list(checked.parts[0].records["note"]) == ["按时走访"], path.name


# ------------------------------------------------------------------------------- GIS geometry


def _projected_grids(folder: Path) -> Path:
    """Grid boundaries in Gauss-Krüger metres (EPSG:4543) sent without their .prj."""
    folder.mkdir()
    grids = gpd.GeoDataFrame(
        {"WGBM": [GRID, VILLAGE + "002"], "WGMC": ["一网格", "二网格"]},
        geometry=[shapely.box(WEST, SOUTH, EAST, NORTH), shapely.box(WEST, SOUTH, 102.91, 24.21)],
        crs=4490,
    ).to_crs(4543)
    path = folder / "网格.shp"
    grids.to_file(path, encoding="utf-8")
    path.with_suffix(".prj").unlink()
    return path


def test_a_gis_files_geometry_is_named_in_chinese(tmp_path: Path) -> None:
    path = _projected_grids(tmp_path / "无prj")
    checked = check_file(path, ImportOptions(kind="grids"), None)
    problems = checked.checks.problems
    assert {p.column for p in problems} == {"边界"}  # the grids' 边界, not __geometry__
    assert whole_file_problems(problems, 2) == [f"全部 2 行的“边界”：{problems[0].rule}"]
    assert "--crs" in problems[0].rule

    points = tmp_path / "点位.geojson"
    gpd.GeoDataFrame({"备注": ["甲"]}, geometry=[shapely.Point(102.91, 24.21)], crs=4490).to_file(
        points
    )
    with pytest.raises(MissingColumns) as refused:
        check_file(points, ImportOptions(kind="video"), None)
    message = str(refused.value)
    assert "文件中的列：备注、文件的几何" in message and "__geometry__" not in message


# ------------------------------------------------------------------------------- headers known


def test_a_village_boundary_files_村代码_and_村名_are_the_units_own(tmp_path: Path) -> None:
    villages = gpd.GeoDataFrame(
        {"村代码": [VILLAGE], "村名": ["测试社区"], "乡镇名称": ["宁州街道"]},
        geometry=[shapely.box(WEST, SOUTH, EAST, NORTH)],
        crs=4490,
    )
    path = tmp_path / "村界.geojson"
    villages.to_file(path)
    checked = check_file(path, ImportOptions(kind="jurisdictions"), None)
    assert checked.checks.columns == {
        "wkt": "__geometry__",
        "code": "村代码",
        "name": "村名",
        "township": "乡镇名称",  # its villages' township (used when a file has no codes)
    }
    assert list(checked.parts[0].records["name"]) == ["测试社区"]

    roster = tmp_path / "花名册.csv"  # anywhere else a 村名 is the row's place, not its name
    roster.write_text(
        csv_text(
            ["姓名", "身份证号", "人员类别", "村名"], [["张三", resident_id(1), "吸毒", "测试社区"]]
        ),
        encoding="utf-8",
    )
    columns = check_file(roster, ImportOptions(kind="persons"), KEYS).checks.columns
    assert columns["name"] == "姓名" and columns["area_code"] == "村名"


def test_a_hikvision_export_and_a_register_of_cameras_are_read_as_written(tmp_path: Path) -> None:
    headers = ["监控点名称", "监控点编号", "经度", "纬度", "摄像机类型", "在线状态", "方位角"]
    written = [
        ("高清球机", "1", "朝南", "1", "online", 180.0),
        ("高清枪机", "0", "正东", "3", "offline", 90.0),
        ("网络半球", "1", "西北向", "2", "online", 315.0),
        ("卡口", "0", "45", "3", "offline", 45.0),
    ]
    rows = [
        [f"点位{i}", f"5304241000132000{i + 1:04d}", "102.91", "24.21", ptz, status, azimuth]
        for i, (ptz, status, azimuth, *_) in enumerate(written)
    ]
    path = tmp_path / "监控点导出.csv"
    path.write_text(csv_text(headers, rows), encoding="gbk")
    checked = check_file(path, ImportOptions(kind="video"), None)
    assert not checked.checks.problems
    assert checked.checks.columns["name"] == "监控点名称"
    assert checked.checks.columns["device_id"] == "监控点编号"
    records = checked.parts[0].records
    assert list(records["ptz_type"]) == [w[3] for w in written]
    assert list(records["status"]) == [w[4] for w in written]
    assert list(records["azimuth_deg"]) == [w[5] for w in written]

    register = tmp_path / "点位登记表.csv"  # 监视方位 written 朝向南
    register.write_text(
        csv_text(
            ["点位名称", "国标编码", "经度", "纬度", "监视方位"],
            [["点位", "53042410001320000001", "102.91", "24.21", "朝向南"]],
        ),
        encoding="utf-8",
    )
    records = check_file(register, ImportOptions(kind="video"), None).parts[0].records
    assert list(records["direction_type"]) == ["3"]  # 南


# ------------------------------------------------------------------------------- missing columns


def test_a_missing_column_is_offered_this_kinds_headers_and_set_only_when_shared(
    tmp_path: Path,
) -> None:
    cameras = tmp_path / "点位.csv"
    cameras.write_text(csv_text(["序号", "经度", "纬度"], [["1", "102.91", "24.21"]]), "utf-8")
    with pytest.raises(MissingColumns) as refused:
        check_file(cameras, ImportOptions(kind="video"), None)
    message = str(refused.value)
    assert "国标编码（或设备国标编码）；点位名称（或名称）" in message
    assert "姓名" not in message and "网格名称" not in message
    assert "--set" not in message  # a camera's own code is not a whole file's

    villages = tmp_path / "村.csv"
    villages.write_text(csv_text(["区划代码", "序号"], [[VILLAGE, "1"]]), encoding="utf-8")
    with pytest.raises(MissingColumns) as refused:
        check_file(villages, ImportOptions(kind="jurisdictions"), None)
    assert "名称（或区划名称、" in str(refused.value) and "姓名" not in str(refused.value)

    roster = tmp_path / "名单.csv"
    roster.write_text(csv_text(["姓名", "身份证号"], [["张三", resident_id(1)]]), "utf-8")
    with pytest.raises(MissingColumns) as refused:
        check_file(roster, ImportOptions(kind="persons"), KEYS)
    assert "人员类别（或类别）" in str(refused.value)
    assert "--set 人员类别=…（可取：" in str(refused.value)


# ------------------------------------------------------------------------------- loading


def test_a_refused_dry_run_counts_what_its_valid_rows_would_do(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    headers = ["网格编码", "网格名称", "所属社区", "边界"]
    wkt = shapely.box(WEST, SOUTH, 102.91, 24.21).wkt
    rows = [
        [GRID, "一网格", VILLAGE, ""],  # on record, as it is
        [VILLAGE + "002", "二网格", VILLAGE, wkt],
        [VILLAGE + "003", "", VILLAGE, wkt],  # no name: refused
    ]
    path = tmp_path / "网格.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    before = db.execute(text("SELECT count(*) FROM grids")).scalar_one()
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids", dry_run=True))
    assert outcome.status == "rejected" and outcome.counts is None and not outcome.committed
    assert outcome.valid_counts is not None
    assert (outcome.valid_counts.inserted, outcome.valid_counts.unchanged) == (1, 1)
    assert db.execute(text("SELECT count(*) FROM grids")).scalar_one() == before


def _grid_file(path: Path, geometry: shapely.Geometry, crs: int = 4490) -> Path:
    frame = gpd.GeoDataFrame(
        {"网格编码": [GRID], "网格名称": ["一网格"]}, geometry=[geometry], crs=4490
    )
    with warnings.catch_warnings():
        # A DBF keeps 10 bytes of a field name: GDAL says it cut 网格编码 (inside a character,
        # so that its message is no UTF-8). The import finds the cut names (importers/dbf.py).
        warnings.filterwarnings("ignore", "Could not decode error message", RuntimeWarning)
        frame.to_crs(crs).to_file(path)
    return path


def test_a_boundary_that_did_not_move_is_unchanged(db: Session, tmp_path: Path) -> None:
    """Re-projected (EPSG:4543) or written with other last digits, the same boundary is 未变."""
    seed_jurisdictions(db)
    shape = shapely.box(WEST, SOUTH, EAST, NORTH)
    first = run_import(
        db.connection(), _grid_file(tmp_path / "a.geojson", shape), ImportOptions(kind="grids")
    )
    assert first.committed
    shifted = shapely.transform(shape, lambda xy: xy + [1e-9, -1e-9])
    for path, crs in (
        (_grid_file(tmp_path / "b.geojson", shifted), None),
        (_grid_file(tmp_path / "c.shp", shape, 4543), "EPSG:4543"),
    ):
        outcome = run_import(db.connection(), path, ImportOptions(kind="grids", crs=crs))
        assert outcome.counts is not None, path.name
        assert (outcome.counts.updated, outcome.counts.unchanged) == (0, 1), path.name
    moved = shapely.transform(shape, lambda xy: xy + [1e-5, 0])  # about a metre
    outcome = run_import(
        db.connection(), _grid_file(tmp_path / "d.geojson", moved), ImportOptions(kind="grids")
    )
    assert outcome.counts is not None and outcome.counts.updated == 1
    stored = db.execute(
        text("SELECT ST_XMin(boundary) FROM grids WHERE code = :c"), {"c": GRID}
    ).scalar_one()
    assert stored == pytest.approx(WEST + 1e-5, abs=1e-9)


def test_a_camera_that_did_not_move_is_unchanged(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    path = tmp_path / "点位.csv"
    for lon, updated in (("102.91", None), ("102.9100000001", 0), ("102.9101", 1)):
        path.write_text(
            csv_text(
                ["点位名称", "国标编码", "经度", "纬度"],
                [["点位", "53042410001320000001", lon, "24.21"]],
            ),
            encoding="utf-8",
        )
        outcome = run_import(db.connection(), path, ImportOptions(kind="video"))
        assert outcome.counts is not None
        if updated is not None:
            assert outcome.counts.updated == updated, lon


# ------------------------------------------------------------------------------- command line


def test_the_imports_list_keeps_a_long_file_name_whole_in_80_columns() -> None:
    name = "华宁县特殊人群花名册_改（6月）.xlsx（工作表“严重精神障碍患者”）"
    run = ImportRecord(
        id=11,
        kind="persons",
        file_name=name,
        sha256="09cefde92a8c" + "0" * 52,
        source_crs="cgcs2000",
        username="clerk",
        status="partial",
        started_at=datetime(2025, 6, 2, 10, 53, tzinfo=CHINA),
        rows_total=30,
        rows_loaded=28,
        rows_rejected=2,
    )
    console = Console(width=80, record=True)
    console.print(_imports_table([run], 80))
    shown = console.export_text()
    lines = shown.splitlines()
    assert max(cell_len(line) for line in lines) <= 80 and "…" not in shown
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("11 "))
    # 编号 时间 and, stacked beside them (trial AL N7): 类型 用户 状态, the file, the rows
    assert lines[start].split()[:3] == ["11", "2025-06-02", "10:53"]
    assert "特殊人群　clerk　部分导入" in lines[start]
    folded = "".join(line.split()[-1] for line in lines[start + 1 : start + 3])
    assert name == folded
    assert "共 30 行：写入 28，退回 2" in lines[start + 3]
    wide = Console(width=200, record=True)
    wide.print(_imports_table([run], 200))
    assert "SHA-256 09cefde92a8c" in wide.export_text()


def test_the_summary_of_a_dry_run_and_of_a_file_imported_again(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    runner = CliRunner()
    with seeded_database(database, "zz_headers_cli") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        grids = _projected_grids(tmp_path / "无prj")
        shown = runner.invoke(import_app(), ["import", "grids", str(grids), "--dry-run"], env=env)
        assert shown.exit_code == 1, shown.output
        assert "全部 2 行的“边界”：坐标不是经纬度" in shown.output
        assert "__geometry__" not in shown.output

        rows = [[GRID, "一网格", VILLAGE], [VILLAGE + "002", "二网格", VILLAGE]]
        path = tmp_path / "网格.csv"
        headers = ["网格编码", "网格名称", "所属社区"]
        path.write_text(csv_text(headers, [*rows, ["x", "", ""]]), encoding="utf-8")
        shown = runner.invoke(import_app(), ["import", "grids", str(path), "--dry-run"], env=env)
        assert shown.exit_code == 1, shown.output
        assert "│ 3    │ 1    │ 1    │ 0    │ 1    │" in shown.output
        assert "新增、更新、未变只计其余 2 个有效行" in shown.output

        path.write_text(csv_text(headers, rows), encoding="utf-8")
        args = ["import", "grids", str(path)]
        assert runner.invoke(import_app(), args, env=env).exit_code == 0
        again = runner.invoke(import_app(), args, env=env)
        assert "重新导入不会重复新增记录，本次没有改变任何记录" in again.output, again.output


def test_a_file_imported_again_with_changes_says_what_changed(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    runner = CliRunner()
    with seeded_database(database, "zz_headers_again") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        path = tmp_path / "点位.csv"
        lon, lat = (WEST + EAST) / 2, (SOUTH + NORTH) / 2
        rows = [["点位", "53042410001320000001", f"{lon}", f"{lat}", VILLAGE]]
        headers = ["点位名称", "国标编码", "经度", "纬度", "所属社区"]
        path.write_text(csv_text(headers, rows), encoding="utf-8")
        args = ["import", "video", str(path)]
        assert runner.invoke(import_app(), args, env=env).exit_code == 0
        again = runner.invoke(import_app(), [*args, "--crs", "gcj02"], env=env)
        assert again.exit_code == 0, again.output
        assert "重新导入不会重复新增记录，本次更新 1 行" in again.output
        assert "没有改变" not in again.output
        assert KINDS["video"].label in again.output


def _villages(path: Path, columns: dict[str, list[str]]) -> Path:
    """Write the two test villages' boundaries with ``columns`` as a GeoJSON file."""
    gpd.GeoDataFrame(
        columns,
        geometry=[shapely.box(WEST, SOUTH, EAST, NORTH), shapely.box(102.95, SOUTH, 102.97, NORTH)],
        crs=4490,
    ).to_file(path)
    return path


def _names(db: Session) -> dict[str, str]:
    rows = db.execute(
        text("SELECT code, name FROM jurisdictions WHERE code IN (:a, :b)"),
        {"a": VILLAGE, "b": OTHER_VILLAGE},
    )
    return {str(code): str(name) for code, name in rows}


def test_a_village_files_xzqmc_names_its_villages_beside_their_乡镇名称(
    db: Session, tmp_path: Path
) -> None:
    """Trial AD: XZQDM/XZQMC/乡镇名称 named every village after its township, unsaid."""
    seed_jurisdictions(db)
    path = _villages(
        tmp_path / "村级调查区.geojson",
        {
            "XZQDM": [VILLAGE, OTHER_VILLAGE],
            "XZQMC": ["城儿闸村", "五号村"],
            "乡镇名称": ["宁州街道"] * 2,
        },
    )
    outcome = run_import(db.connection(), path, ImportOptions(kind="jurisdictions"), keys=KEYS)
    assert outcome.committed, outcome.problems
    assert outcome.columns["name"] == "XZQMC"
    assert _names(db) == {VILLAGE: "城儿闸村", OTHER_VILLAGE: "五号村"}


def test_villages_named_after_their_township_or_alike_are_refused(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    township = _villages(
        tmp_path / "村界.geojson", {"村代码": [VILLAGE, OTHER_VILLAGE], "名称": ["宁州街道"] * 2}
    )
    refused = run_import(db.connection(), township, ImportOptions(kind="jurisdictions"), keys=KEYS)
    assert not refused.committed
    said = {(p.row, p.column, p.rule) for p in refused.problems if p.severity == "rejected"}
    rule = (
        "与上级辖区“宁州街道”同名：村（社区）不会与所属乡镇同名，乡镇也不会与所属县同名，"
        "多为把乡镇名称列当作了名称列；请核对列对照，或用 --mapping 指定名称列（如 XZQMC）"
    )
    # a GIS file's rows count from 1; the second, refused as the first's repeat, is not staged
    assert (1, "名称", rule) in said
    assert (2, "名称", f"{SAME_UNIT_NAME}与本文件第 1 行重复") in said
    alike = _villages(
        tmp_path / "村界2.geojson", {"村代码": [VILLAGE, OTHER_VILLAGE], "名称": ["新村"] * 2}
    )
    refused = run_import(db.connection(), alike, ImportOptions(kind="jurisdictions"), keys=KEYS)
    assert not refused.committed
    assert [(p.row, p.column) for p in refused.problems if p.severity == "rejected"] == [
        (2, "名称")
    ]
    assert refused.problems[0].rule == f"{SAME_UNIT_NAME}与本文件第 1 行重复"
    assert _names(db) == {VILLAGE: "测试社区", OTHER_VILLAGE: "邻村"}


def test_a_village_files_行政代码_is_its_code(db: Session, tmp_path: Path) -> None:
    """Trial AG: 行政代码 left unread, the villages matched to townships by name."""
    seed_jurisdictions(db)
    path = _villages(
        tmp_path / "村界.geojson",
        {
            "行政代码": [VILLAGE, OTHER_VILLAGE],
            "名称": ["甲村", "乙村"],
            "乡镇名称": ["宁州街道"] * 2,
        },
    )
    outcome = run_import(db.connection(), path, ImportOptions(kind="jurisdictions"), keys=KEYS)
    assert outcome.committed, outcome.problems
    assert outcome.columns["code"] == "行政代码"
    assert _names(db) == {VILLAGE: "甲村", OTHER_VILLAGE: "乙村"}
