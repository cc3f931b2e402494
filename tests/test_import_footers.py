"""Totals, signatures and notes of a clerk's sheet are not records (no database)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from importers import pipeline
from importers.footers import footer_rows
from importers.mapping import header_test
from importers.reading import read_table

ROSTER = [
    ["华宁县宁州街道网格员花名册"],
    ["填报单位：宁州街道综治中心", None, None, "填报日期：2025年3月1日"],
    ["序号", "姓名", "手机号", "岗位"],
    ["1", "王芳", "13887701234", "专职网格员"],
    ["小计", "1人", None, None],
    ["2", "李强", "13887701235", "兼职网格员"],
    [None, None, None, None],
    ["合  计", "2人", None, None],
    ["审核人：张三", None, "填表人：李四", None],
    ["注：本表每月5日前报送", None, None, None],
]


def _xlsx(path: Path, rows: list[list[str | None]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_rosters_totals_signatures_and_notes_are_left_out(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "花名册.xlsx", ROSTER)
    table = read_table(path, is_header=header_test())
    assert list(table.frame.index) == [4, 6]  # the rows a clerk sees in Excel
    assert list(table.frame["姓名"]) == ["王芳", "李强"]
    assert table.footers == (5, 8, 9, 10)

    csv_path = tmp_path / "花名册.csv"
    text = "\n".join(",".join(cell or "" for cell in row) for row in ROSTER[2:])
    csv_path.write_text(text, encoding="gbk")
    assert read_table(csv_path, is_header=header_test()).footers == (3, 6, 7, 8)

    checked = pipeline.check_file(path, pipeline.ImportOptions(kind="workers"), None)
    assert checked.checks.notes == ["第 5、8、9、10 行是合计、签名或备注，不是数据，未导入"]
    assert not checked.checks.problems


def test_a_record_that_only_starts_like_a_note_is_kept() -> None:
    rows = pd.DataFrame(
        [
            ["说明：小区停水三天", "物业管理"],  # a case's title, with records after it
            ["合计拖欠工资5万元", "劳资欠薪"],  # a total is the whole cell, not its start
            ["楼道堆物", "安全隐患"],
            ["备注", None],
        ],
        index=range(2, 6),
    )
    assert footer_rows(rows) == [5]
    assert footer_rows(rows.iloc[:0]) == []
