"""The report sheets' columns are wide enough for their Chinese text (trial Z: 32 cells cut)."""

from __future__ import annotations

from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from layers.workbooks import (
    Percent,
    PercentagePoints,
    PercentChange,
    display_width,
    table_sheet,
)


def test_a_column_is_as_wide_as_its_longest_chinese_text() -> None:
    book = Workbook()
    rows = [["通红甸彝族苗族乡", "乡镇（街道）级", 12], ["华溪镇", "县级", 3]]
    sheet = table_sheet(book, "简报", ["单位", "级别", "在办"], rows)
    for column, longest in (("A", "通红甸彝族苗族乡"), ("B", "乡镇（街道）级")):
        width = sheet.column_dimensions[column].width
        assert width >= display_width(longest) == 2 * len(longest), (column, width)
    # a column of digits is not made twice as wide
    assert sheet.column_dimensions["C"].width < display_width("在办") + 6


def _sheet_as_read(sheet: Worksheet) -> dict[str, Any]:
    """What a reader of the sheet sees: values, number formats, fonts, fills, widths, panes."""
    cells = {
        c.coordinate: (
            c.value,
            c.number_format,
            bool(c.font.b),
            bool(c.font.i),
            c.font.color.rgb if c.font.color is not None and c.font.color.type == "rgb" else None,
            c.fill.fgColor.rgb,
            c.alignment.horizontal,
        )
        for row in sheet.iter_rows()
        for c in row
        if c.value is not None
    }
    widths = {k: v.width for k, v in sheet.column_dimensions.items()}
    return {
        "cells": cells,
        "widths": widths,
        "freeze": sheet.freeze_panes,
        "dimensions": sheet.dimensions,
        "titles": sheet.print_title_rows,
    }


def test_a_table_sheet_is_written_as_before_the_linear_formatting() -> None:
    """The cells, formats, widths and panes as the per-row rescan wrote them (trial BC S1)."""
    book = Workbook()
    rows = [
        ["通红甸彝族苗族乡", Percent(0.757), PercentChange(-0.75), PercentagePoints(-5), 12, None],
        [
            "华溪镇",
            Percent(0),
            PercentChange(0.5),
            PercentagePoints(0),
            3.5,
            "530424-20261205-00004241",
        ],
        ["合计", "", "", "", 15, ""],
    ]
    header = ["单位", "比例", "环比", "变化", "在办", "编号"]
    sheet = _sheet_as_read(table_sheet(book, "简报", header, rows))
    head = ("General", True, False, "00FFFFFF", "001F4E79", "center")
    plain = ("General", False, False, None, "00000000", None)
    share, change, points = (
        "0.0%",
        "+0.0%;-0.0%;0.0%",
        '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"',
    )
    expected = {f"{'ABCDEF'[i]}1": (name, *head) for i, name in enumerate(header)}
    for number, row in enumerate(rows, start=2):
        for i, value in enumerate(row):
            if value is not None:
                expected[f"{'ABCDEF'[i]}{number}"] = (value, *plain)
    for cell, value, fmt in (
        ("B2", 0.757, share),
        ("B3", 0.0, share),
        ("C2", -0.75, change),
        ("C3", 0.5, change),
        ("D2", -5.0, points),
        ("D3", 0.0, points),
    ):
        expected[cell] = (value, fmt, *plain[1:])
    assert sheet == {
        "cells": expected,
        "widths": {"A": 20.0, "B": 9.0, "C": 10.0, "D": 16.0, "E": 8.0, "F": 28.0},
        "freeze": "A2",
        "dimensions": "A1:F4",
        "titles": "$1:$1",
    }
    empty = _sheet_as_read(table_sheet(book, "空", ["单位", "比例"], [], empty="无超期案件"))
    assert empty == {
        "cells": {
            "A1": ("单位", *head),
            "B1": ("比例", *head),
            "A2": ("无超期案件", "General", False, True, "00808080", "00000000", None),
        },
        "widths": {"A": 8.0, "B": 8.0},
        "freeze": "A2",
        "dimensions": "A1:B2",
        "titles": "$1:$1",
    }


def test_a_table_sheet_does_not_rescan_its_cells_for_each_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Writing a table scans the cells written so far a fixed number of times, whatever its rows.

    openpyxl's ``max_row`` and ``max_column`` go over every cell of the sheet; asked once per
    row, they made every export quadratic in its rows: 2,400 rows 15 s (trial BC S1).
    """
    scans = {"count": 0}
    for name in ("max_row", "max_column"):
        original = getattr(Worksheet, name)

        def counted(sheet: Worksheet, _get: Any = original.fget) -> int:
            scans["count"] += 1
            return int(_get(sheet))

        monkeypatch.setattr(Worksheet, name, property(counted))

    def scans_for(n: int) -> int:
        scans["count"] = 0
        rows = [[f"乡镇{i}", Percent(i / n), i] for i in range(n)]
        table_sheet(Workbook(), "表", ["单位", "比例", "数"], rows)
        return scans["count"]

    assert scans_for(10) == scans_for(300)
