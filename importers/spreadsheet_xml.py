"""The worksheets of an Excel 2003 XML file (SpreadsheetML): what older systems export as ``.xls``.

Read with the standard library's ElementTree (its expat refuses entity expansion attacks and
resolves no external entity). Cells keep their text as written; ``ss:Index`` skips are empty
cells and a cell merged across or down gives its text to every cell it covers, as in a
workbook (:func:`importers.reading.read_xlsx`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from importers.html_table import Rows

SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
"""The SpreadsheetML namespace, as ElementTree spells qualified names."""


_MAX_MERGE = 1000
"""Largest merge taken as written (a larger one is a broken file)."""


class SpreadsheetXmlError(ValueError):
    """Not a SpreadsheetML workbook ElementTree can read."""


def xml_sheets(raw: bytes) -> list[tuple[str, Rows]]:
    """Return the worksheets of a SpreadsheetML file: each name and its rows of cell texts.

    Parameters
    ----------
    raw : bytes
        The file (its XML declaration gives the encoding).

    Returns
    -------
    list of (str, Rows)
        Worksheets in file order; rows from the first, empty cells ``None``.

    Raises
    ------
    SpreadsheetXmlError
        The XML is malformed or is not a SpreadsheetML workbook.

    Examples
    --------
    >>> book = '''<?xml version="1.0"?>
    ... <Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
    ...  xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
    ... <Worksheet ss:Name="工单"><Table>
    ...  <Row><Cell ss:MergeAcross="1"><Data ss:Type="String">标题</Data></Cell></Row>
    ...  <Row ss:Index="3"><Cell><Data ss:Type="String">0877</Data></Cell>
    ...   <Cell ss:Index="3" ss:MergeDown="1"><Data ss:Type="Number">5</Data></Cell></Row>
    ...  <Row><Cell><Data ss:Type="String">0871</Data></Cell></Row>
    ... </Table></Worksheet></Workbook>'''
    >>> xml_sheets(book.encode())
    [('工单', [['标题', '标题'], [], ['0877', None, '5'], ['0871', None, '5']])]
    """
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise SpreadsheetXmlError(f"XML 格式有误（{exc}）") from exc
    if root.tag != f"{SS}Workbook":
        raise SpreadsheetXmlError("不是 Excel 2003 XML 工作簿")
    sheets = []
    for number, sheet in enumerate(root.iter(f"{SS}Worksheet"), start=1):
        table = sheet.find(f"{SS}Table")
        rows = _rows(table) if table is not None else []
        sheets.append((sheet.get(f"{SS}Name") or f"Sheet{number}", rows))
    return sheets


def _rows(table: ET.Element) -> Rows:
    """Return a ``Table``'s rows by their index, merged cells filled."""
    rows: Rows = []
    below: dict[tuple[int, int], str | None] = {}  # (row, column) → text merged down into it
    for row_element in table.iter(f"{SS}Row"):
        at = _index(row_element, len(rows) + 1) - 1
        while len(rows) < at:
            rows.append(_merged_into(len(rows), [], below))
        row: list[str | None] = []
        for cell in row_element.iter(f"{SS}Cell"):
            column = _index(cell, len(row) + 1) - 1
            _merged_into(at, row, below, until=column)
            data = cell.find(f"{SS}Data")
            value = (
                (" ".join("".join(data.itertext()).split()) or None) if data is not None else None
            )
            across = _merge(cell, "MergeAcross")
            down = _merge(cell, "MergeDown")
            for c in range(len(row), len(row) + across + 1):
                for r in range(at + 1, at + down + 1):
                    below[(r, c)] = value
                row.append(value)
        rows.append(_merged_into(at, row, below))
    return rows


def _merged_into(
    at: int,
    row: list[str | None],
    below: dict[tuple[int, int], str | None],
    until: int | None = None,
) -> list[str | None]:
    """Pad ``row`` (row ``at``) up to column ``until`` with the texts merged down into it.

    Without ``until``, up to the last cell merged down into the row.
    """
    if until is None:
        until = max([len(row)] + [c + 1 for r, c in below if r == at])
    while len(row) < until:
        row.append(below.pop((at, len(row)), None))
    return row


def _text(data: ET.Element | None) -> str | None:
    """Return a cell's text (rich text joined), white space runs made one space."""
    if data is None:
        return None
    return " ".join("".join(data.itertext()).split()) or None


def _merge(cell: ET.Element, attribute: str) -> int:
    """Return how many more columns or rows a cell is merged over (0 when unreadable)."""
    try:
        return min(max(int(cell.get(f"{SS}{attribute}") or 0), 0), _MAX_MERGE)
    except ValueError:
        return 0


def _index(element: ET.Element, default: int) -> int:
    """Return an element's 1-based ``ss:Index`` (where a row or cell after a gap is)."""
    try:
        return max(int(element.get(f"{SS}Index") or default), default)
    except ValueError:
        return default
