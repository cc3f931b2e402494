"""The tables of an HTML page: what many web systems export and name ``.xls``.

12345 platforms and other web systems "export to Excel" by sending an HTML table with an Excel
file name; Excel opens it, so clerks keep it as it is. Parsed by lxml; a cell spanning rows
or columns gives its text to every cell it covers, as a merged cell of a workbook does
(:func:`importers.reading.read_xlsx`). Cell text is kept exactly (an 18-digit ID or a phone
with its leading 0 is never a number).
"""

from __future__ import annotations

from typing import Any

Rows = list[list[str | None]]

_MAX_SPAN = 1000
"""Largest row or column span taken as written (a larger one is a broken page)."""


def html_tables(text: str) -> list[Rows]:
    """Return every table of an HTML page as rows of cell texts.

    Parameters
    ----------
    text : str
        The page, decoded.

    Returns
    -------
    list of Rows
        Each ``<table>``'s rows (a nested table's rows are its own table's), cells as text
        with runs of white space made one space, ``None`` where empty; a spanned cell's text
        is in every cell it covers.

    Examples
    --------
    >>> page = '''<table><tr><th>姓名</th><th colspan="2">位置</th></tr>
    ... <tr><td rowspan="2">张三</td><td>102.9</td><td>24.2</td></tr>
    ... <tr><td>103.0</td><td></td></tr></table>'''
    >>> html_tables(page)
    [[['姓名', '位置', '位置'], ['张三', '102.9', '24.2'], ['张三', '103.0', None]]]
    >>> html_tables("<table><tr><td>复安路<br>12号</td></tr></table>")
    [[['复安路 12号']]]
    """
    import lxml.html

    if not text.strip():
        return []
    root = lxml.html.document_fromstring(text)
    for br in root.iter("br"):  # a line break inside a cell separates words
        br.tail = " " + (br.tail or "")
    return [_rows(table) for table in root.iter("table")]


def _rows(table: Any) -> Rows:
    """Return one table's rows, spans expanded."""
    rows: Rows = []
    below: dict[int, tuple[int, str | None]] = {}  # column → (rows still covered, text)
    for tr in table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr"):
        row: list[str | None] = []
        for cell in tr.xpath("./td | ./th"):
            _fill_spanned(row, below)
            value = " ".join(cell.text_content().split()) or None
            down = _span(cell.get("rowspan"))
            for _ in range(_span(cell.get("colspan"))):
                if down > 1:
                    below[len(row)] = (down - 1, value)
                row.append(value)
        _fill_spanned(row, below)
        rows.append(row)
    return rows


def _fill_spanned(row: list[str | None], below: dict[int, tuple[int, str | None]]) -> None:
    """Append to ``row`` the texts of cells above that span down into its next columns."""
    while len(row) in below:
        left, value = below.pop(len(row))
        if left > 1:
            below[len(row)] = (left - 1, value)
        row.append(value)


def _span(written: str | None) -> int:
    """Return a ``colspan``/``rowspan`` as a count (1 when missing or unreadable)."""
    try:
        return min(max(int(written or 1), 1), _MAX_SPAN)
    except ValueError:
        return 1
