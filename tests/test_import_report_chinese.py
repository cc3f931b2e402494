"""The reject report and the summary a clerk reads are Chinese (trial X).

The downloaded report had a sheet ``rejects``, headers ``行号 row / 列 column …`` and values
``未导入 rejected``; the summary's table showed 源坐标系 ``cgcs2000``. Nothing reads them but
clerks: the report's corrected rows, imported back, are read from its second sheet, whose
headers are the file's own.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from importers.mapping import header_test
from importers.pipeline import ImportOutcome
from importers.reading import read_table
from importers.report import HEADERS, REPORT_SHEET, ROWS_SHEET, write_report
from importers.rules import Problem
from importers.summary import summarise
from importers.terminal import console

PROBLEMS = [
    Problem(2, "国标编码", "123", "必须是 20 位数字，实为 3 个字符"),
    Problem(3, "点位名称", "桥头东", "改名：库中原为“桥头”", "changed"),
]


def test_the_report_says_its_sheet_columns_and_outcomes_in_chinese(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {"国标编码": ["123"], "点位名称": ["路口"], "经度": ["102.9"], "纬度": ["24.2"]}, index=[2]
    )
    book = load_workbook(write_report(tmp_path / "点位.csv.rejects.xlsx", PROBLEMS, rows))
    assert book.sheetnames == [REPORT_SHEET, ROWS_SHEET] and REPORT_SHEET == "逐行说明"
    lines = [list(r) for r in book[REPORT_SHEET].iter_rows(values_only=True)]
    assert lines == [
        ["行号", "列", "值", "原因", "处理"],
        [2, "国标编码", "123", "必须是 20 位数字，实为 3 个字符", "未导入"],
        [3, "点位名称", "桥头东", "改名：库中原为“桥头”", "变更"],
    ]
    # the corrected rows, imported back, are read from the second sheet, not the first
    fixed = read_table(tmp_path / "点位.csv.rejects.xlsx", is_header=header_test(None))
    assert fixed.sheet == ROWS_SHEET and "国标编码" in fixed.headers
    written = write_report(tmp_path / "退回.csv", PROBLEMS)
    with written.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle))[0] == list(HEADERS)
    assert not any(ch.isascii() and ch.isalpha() for ch in written.read_text("utf-8-sig"))


def test_the_summary_names_the_source_crs_as_the_page_does() -> None:
    outcome = ImportOutcome(
        kind="video",
        file_name="点位.csv",
        sha256="0" * 64,
        source_crs="cgcs2000",
        rows_total=1,
        columns={"lon": "经度", "lat": "纬度", "device_id": "国标编码"},
    )
    with console.capture() as captured:
        summarise(outcome, {}, dry_run=True)
    said = captured.get()
    assert "CGCS2000（国家2000坐标系）" in said and "cgcs2000" not in said
