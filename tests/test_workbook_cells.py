"""The report sheets' columns are wide enough for their Chinese text (trial Z: 32 cells cut)."""

from __future__ import annotations

from openpyxl import Workbook

from layers.workbooks import display_width, table_sheet


def test_a_column_is_as_wide_as_its_longest_chinese_text() -> None:
    book = Workbook()
    rows = [["通红甸彝族苗族乡", "乡镇（街道）级", 12], ["华溪镇", "县级", 3]]
    sheet = table_sheet(book, "简报", ["单位", "级别", "在办"], rows)
    for column, longest in (("A", "通红甸彝族苗族乡"), ("B", "乡镇（街道）级")):
        width = sheet.column_dimensions[column].width
        assert width >= display_width(longest) == 2 * len(longest), (column, width)
    # a column of digits is not made twice as wide
    assert sheet.column_dimensions["C"].width < display_width("在办") + 6
