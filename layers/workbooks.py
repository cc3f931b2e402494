"""Sheets of the platform's XLSX reports: a table under a dark header row, columns fitted.

Every sheet prints on A4 landscape, fitted to the width, its header repeated (:func:`print_setup`).
"""

from __future__ import annotations

from typing import Any
from unicodedata import east_asian_width

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

MAX_WIDTH = 40
"""Widest column, in characters."""


class Percent(float):
    """A share the sheet holds as a number and shows as a percentage (0.757 → 75.7%).

    Written as text (``'75.7%'``), a share could not be sorted, summed or charted, and Excel
    flagged every cell as a number stored as text. ``str`` gives what the cell shows.

    Examples
    --------
    >>> str(Percent(0.7571)), Percent(0.7571) == 0.7571
    ('75.7%', True)
    """

    number_format = "0.0%"

    def __str__(self) -> str:
        return f"{self * 100:.1f}%"


class PercentChange(Percent):
    """A rate of change, signed (``+50.0%``, ``-75.0%``, ``0.0%``).

    Examples
    --------
    >>> str(PercentChange(0.5)), str(PercentChange(-0.75)), str(PercentChange(0))
    ('+50.0%', '-75.0%', '0.0%')
    """

    number_format = "+0.0%;-0.0%;0.0%"

    def __str__(self) -> str:
        return f"{self * 100:+.1f}%" if self else "0.0%"


class PercentagePoints(float):
    """A change of a share in percentage points, signed (``-5.0个百分点``).

    Examples
    --------
    >>> str(PercentagePoints(-5)), str(PercentagePoints(0))
    ('-5.0个百分点', '0.0个百分点')
    """

    number_format = '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"'

    def __str__(self) -> str:
        return f"{self:+.1f}个百分点" if self else "0.0个百分点"


def display_width(value: Any) -> int:
    """Return how many columns a value takes in a sheet: a Chinese character two, others one.

    Column widths counted characters, so that 通红甸彝族苗族乡 (16 columns wide) was cut in a
    column of 12 (trial Z: 32 cells cut in 新登记案件 of a day's brief).

    Parameters
    ----------
    value : object
        The cell's value (``None``: empty).

    Returns
    -------
    int
        Its width in columns.

    Examples
    --------
    >>> display_width("通红甸彝族苗族乡"), display_width("530424-20261205-00004241")
    (16, 24)
    >>> display_width(None)
    0
    """
    if value is None:
        return 0
    return sum(2 if east_asian_width(ch) in ("W", "F") else 1 for ch in str(value))


def table_sheet(
    book: Workbook,
    title: str,
    header: list[str],
    rows: list[list[Any]],
    *,
    empty: str | None = None,
) -> Worksheet:
    """Add a sheet holding a table: a bold header on dark blue, frozen, columns fitted.

    A :class:`Percent`, :class:`PercentChange` or :class:`PercentagePoints` is written as the
    number it is, formatted to show as its ``str``.

    Parameters
    ----------
    book : openpyxl.Workbook
        The workbook.
    title : str
        The sheet's name (Chinese).
    header : list of str
        Column names.
    rows : list of list
        The rows, each as long as ``header``.
    empty : str, optional
        Said in grey under the header when there is no row (``无超期案件``): a sheet of
        headers alone reads as if something failed.

    Returns
    -------
    openpyxl.worksheet.worksheet.Worksheet
        The sheet added.
    """
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(horizontal="center")
    # Each row's cells are looked up by their own row and column: ``sheet[sheet.max_row]`` scans
    # every cell written so far, which made an export quadratic in its rows (2,400 rows: 15 s,
    # trial BC S1).
    for number, row in enumerate(rows, start=2):
        sheet.append(row)
        for column, value in enumerate(row, start=1):
            if isinstance(value, (Percent, PercentagePoints)):
                sheet.cell(number, column).number_format = value.number_format
    if not rows and empty:
        sheet.append([empty])
        sheet.cell(2, 1).font = Font(italic=True, color="808080")
    for i, name in enumerate(header):
        width = max([display_width(name) + 2] + [display_width(r[i]) + 2 for r in rows[:200]])
        letter = sheet.cell(1, i + 1).column_letter
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, width + 2)
    sheet.freeze_panes = "A2"
    print_setup(sheet, header_rows=1)
    return sheet


def print_setup(sheet: Worksheet, *, header_rows: int = 0) -> None:
    """Set a sheet to print on A4 landscape, fitted to the page's width, its header repeated.

    A sheet printed for a meeting came out on portrait pages cut at the columns' edge, the
    header on the first page only (trial AY m3).

    Parameters
    ----------
    sheet : openpyxl.worksheet.worksheet.Worksheet
        The sheet.
    header_rows : int
        How many rows at the top to print on every page (0: none).

    Examples
    --------
    >>> book = Workbook()
    >>> print_setup(book.active, header_rows=1)
    >>> setup = book.active.page_setup
    >>> setup.orientation, setup.paperSize, setup.fitToWidth, book.active.print_title_rows
    ('landscape', 9, 1, '$1:$1')
    """
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    if header_rows:
        sheet.print_title_rows = f"1:{header_rows}"
