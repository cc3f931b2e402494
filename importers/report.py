"""The reject report: every rejected (or repaired) row with its reasons, as CSV or XLSX.

It also lists the rows that were imported but that a clerk should check: a case kept as the
platform has it (``未按文件更新``), a point moved far from its record (``点位移动``,
:mod:`importers.moved_points`), a camera renamed or gone offline (``变更``,
:mod:`importers.camera_changes`). Its sheet, columns and words are Chinese (:data:`HEADERS`):
nothing reads the report but clerks and the import of its corrected rows (:data:`ROWS_SHEET`).

A clerk opens it next to the source file, fixes the rows it names and imports the file again
(re-importing is idempotent, so rows loaded the first time are not duplicated). A report may be
what the clerk is still working through: only an import that loaded the file and rejected
nothing removes the importer's own report of an earlier run (:func:`earlier_report`); a dry run
never deletes a report it did not write, and a refused run of any kind deletes none unless it
writes its own in its place. Resident IDs appear masked. Values come from the clerk's file:
none of them becomes a formula when the report is opened in Excel or WPS (a CSV cell starting
with ``=``, ``+``, ``-`` or ``@`` gets a leading ``'``, an XLSX cell is written as text).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd
import shapely

from importers.reading import GEOMETRY_COLUMN
from importers.rules import Problem

HEADERS = ("行号", "列", "值", "原因", "处理")
"""The report's columns, in Chinese only: clerks read it (trial X read ``行号 row`` …). None of
them is a header an import knows, so a report imported back reads :data:`ROWS_SHEET`."""
OUTCOMES = {
    "rejected": "未导入",
    "repaired": "已修复导入",
    "kept": "未按文件更新",
    "moved": "点位移动",
    "changed": "变更",
    "warned": "照常导入，请核对",
}
"""What became of each line's row (:attr:`importers.rules.Problem.severity`), in Chinese."""
REPORT_SHEET = "逐行说明"
"""The first sheet of an XLSX report: a line per rejected row's reason, or per note on a row."""


def report_rows(problems: Sequence[Problem]) -> list[tuple[object, ...]]:
    """Return the report's lines, sorted by row.

    Parameters
    ----------
    problems : sequence of Problem
        From the checks.

    Returns
    -------
    list of tuple
        ``(row, column, value, rule, outcome)``.

    Examples
    --------
    >>> report_rows([Problem(3, "经度", "1, 2", "点位不在中国境内")])
    [(3, '经度', '1, 2', '点位不在中国境内', '未导入')]
    """
    ordered = sorted(problems, key=lambda p: (p.row, p.severity != "rejected", p.column))
    return [(p.row, p.column, p.value or "", p.rule, OUTCOMES[p.severity]) for p in ordered]


ROWS_SHEET = "退回的行（改正后可直接导入本文件）"
"""The second sheet of an XLSX report after a partial import or a trial run: the rows to
correct."""

REASON_HEADER = "退回原因"
ROW_HEADER = "原行号"
WKT_HEADER = "WKT"


def corrected_report(named: Iterable[str], headers: Iterable[object]) -> bool:
    """Tell whether a file is the rows of a reject report, corrected to be imported again.

    Such a file holds only the rows an earlier import rejected: what it leaves out of an area
    is no sign of anything gone (trial AV M6). It is known by its sheet (:data:`ROWS_SHEET`),
    or by the two columns the report adds (:data:`REASON_HEADER`, :data:`ROW_HEADER`) when
    the rows were copied to another sheet or saved as CSV.

    Parameters
    ----------
    named : iterable of str
        The worksheet's and the file's names.
    headers : iterable
        The file's columns.

    Returns
    -------
    bool
        It is such a file.

    Examples
    --------
    >>> corrected_report([ROWS_SHEET, "点位.csv.rejects"], ["国标编码", "退回原因", "原行号"])
    True
    >>> corrected_report(["改正"], ["国标编码", "退回原因", "原行号"])
    True
    >>> corrected_report(["设备通道导出"], ["国标编码", "原行号"])
    False
    """
    return ROWS_SHEET in set(named) or {REASON_HEADER, ROW_HEADER} <= set(headers)


def _append_text(sheet: Any, lines: Iterable[Sequence[object]]) -> None:
    """Write rows into a new, empty sheet; text from the file stays text (never a formula).

    Each line's cells are looked up by their own row and column: asking openpyxl for "the last
    row" (``sheet[sheet.max_row]``) scans every cell written so far, which made a report of
    20,000 rejected rows take minutes (quadratic).
    """
    for number, line in enumerate(lines, start=1):
        sheet.append(list(line))
        for column in range(1, len(line) + 1):
            cell = sheet.cell(row=number, column=column)
            if cell.data_type == "f":
                cell.data_type = "s"


def _rows_to_fix(rows: pd.DataFrame, problems: Sequence[Problem]) -> list[list[object]]:
    """Return the rejected rows under the file's headers (a GIS geometry as WKT), with reasons."""
    reasons: dict[int, list[str]] = {}
    for p in problems:
        if p.severity == "rejected":
            reasons.setdefault(p.row, []).append(f"{p.column}：{p.rule}")
    headers = [str(c) for c in rows.columns if c != GEOMETRY_COLUMN]
    has_geometry = GEOMETRY_COLUMN in rows.columns
    out: list[list[object]] = [
        [*headers, *([WKT_HEADER] if has_geometry else []), REASON_HEADER, ROW_HEADER]
    ]
    for number, row in rows.iterrows():
        cells: list[object] = [row[h] for h in headers]
        if has_geometry:
            geometry = row[GEOMETRY_COLUMN]
            cells.append(None if geometry is None else shapely.to_wkt(geometry))
        out.append([*cells, "；".join(reasons.get(int(cast(int, number)), [])), number])
    return out


MASKED_UNREAD = "{columns}未导入，其中的身份证号、手机号在退回的行中已遮盖（原文件中不变）"
"""What a masked column's header says of it, and the summary (``{columns}``: the columns):
:func:`importers.private_report.masked_unread_note`."""
BAD_CELL_FILL = "FFC7CE"
"""Background of a cell whose value broke a rule (the spreadsheets' usual light red)."""


def _mark_cells(sheet: Any, problems: Sequence[Problem]) -> None:
    """Shade each cell of :data:`ROWS_SHEET` whose value broke a rule; its comment says which.

    The sheet is as :func:`_rows_to_fix` writes it: headers on top, the original row number
    in the last column. A rule about no single column (or a column the file lacks) is only in
    the reasons column.
    """
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    headers = [cell.value for cell in sheet[1]]
    number_column = len(headers)
    line_of = {row[number_column - 1].value: row[0].row for row in sheet.iter_rows(min_row=2)}
    rules: dict[tuple[int, int], list[str]] = {}
    for p in problems:
        if p.severity == "rejected" and p.column in headers[:-2] and p.row in line_of:
            rules.setdefault((line_of[p.row], headers.index(p.column) + 1), []).append(p.rule)
    fill = PatternFill("solid", fgColor=BAD_CELL_FILL)
    for (line, column), texts in rules.items():
        cell = sheet.cell(row=line, column=column)
        cell.fill = fill
        cell.comment = Comment("\n".join(texts), "zongzhi", width=300, height=120)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    reasons = sheet.cell(row=1, column=number_column - 1).column_letter
    sheet.column_dimensions[reasons].width = 60


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Return a CSV cell that a spreadsheet will not run as a formula.

    Parameters
    ----------
    value : object
        A cell.

    Returns
    -------
    object
        Text starting like a formula with ``'`` in front (numbers such as ``-24.2`` are left
        alone); anything else as it is.

    Examples
    --------
    >>> csv_safe("=1+2"), csv_safe("-24.2"), csv_safe("@SUM(A1)"), csv_safe(3)
    ("'=1+2", '-24.2', "'@SUM(A1)", 3)
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def _mark_masked(sheet: Any, masked: Sequence[str]) -> None:
    """Say on each ``masked`` header of :data:`ROWS_SHEET`, in its comment, what was masked."""
    from openpyxl.comments import Comment

    for cell in sheet[1]:
        if cell.value in masked:
            said = MASKED_UNREAD.format(columns="本列")
            cell.comment = Comment(said, "zongzhi", width=300, height=80)


def write_report(
    path: Path,
    problems: Sequence[Problem],
    rows: pd.DataFrame | None = None,
    *,
    masked: Sequence[str] = (),
    warning: str | None = None,
) -> Path:
    """Write the report, as XLSX if ``path`` ends in ``.xlsx``, else as CSV (UTF-8 with BOM).

    With ``rows`` (after a ``--partial`` import or a ``--dry-run``), an XLSX report has a
    second sheet, :data:`ROWS_SHEET`: the rejected rows as the file had them, each with its
    reasons. The clerk corrects them there and imports the report itself: its first sheet has
    none of the headers an import knows, so the import reads this one. The caller leaves
    ``rows`` out for a file with resident IDs (:data:`importers.rules.SENSITIVE_FIELDS`), which
    the report never copies.

    Parameters
    ----------
    path : pathlib.Path
        Where to write.
    problems : sequence of Problem
        From the checks.
    rows : pandas.DataFrame, optional
        The rejected rows (:attr:`importers.pipeline.ImportOutcome.rejected`).
    masked : sequence of str, optional
        Columns of ``rows`` whose personal numbers were masked
        (:func:`importers.private_report.masked_unread`): their headers' comments say so.
    warning : str, optional
        A line the XLSX report's first sheet opens with, above its headers, in bold red: that
        the rows copied hold personal data in clear, to be deleted once fixed
        (:func:`importers.private_report.caller_note`, trial AX m2).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    lines = report_rows(problems)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = REPORT_SHEET
        opening = [[warning]] if warning else []
        _append_text(sheet, [*opening, list(HEADERS), *(list(line) for line in lines)])
        for column, width in zip("ABCDE", (8, 16, 30, 70, 18), strict=True):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "A3" if warning else "A2"
        if warning:
            _warn_above(sheet)
        if rows is not None and len(rows):
            to_fix = book.create_sheet(ROWS_SHEET)
            _append_text(to_fix, _rows_to_fix(rows, problems))
            _mark_cells(to_fix, problems)
            _mark_masked(to_fix, masked)
        book.save(path)
        return path
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows([csv_safe(cell) for cell in line] for line in lines)
    return path


def _warn_above(sheet: Any) -> None:
    """Show the first sheet's opening line across its columns, bold red, wrapped."""
    from openpyxl.styles import Alignment, Font

    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    cell = sheet.cell(row=1, column=1)
    cell.font = Font(bold=True, color="C00000")
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.row_dimensions[1].height = 36


def earlier_report(report: Path, *, own: bool, imported: bool, why: str) -> str | None:
    """Remove or keep the reject report an earlier run left where this run writes none.

    Called when this run writes no report. The importer's own report (``own``: the default
    ``FILE.rejects.xlsx``) goes only when this run ``imported`` the file and rejected nothing:
    its rows are in now, so a clerk finding it beside the file would take it for this run's.
    A dry run, or a run refused whatever the reason (a file it cannot read, a resent file, a
    CRS to confirm), leaves it: the clerk may be correcting its rows. A ``--report`` the user
    named is never deleted.

    Parameters
    ----------
    report : pathlib.Path
        Where this run would have written its report.
    own : bool
        It is the importer's default path, not one the user named.
    imported : bool
        This run loaded the file (not a dry run, not refused) and rejected no row.
    why : str
        What this run did, in Chinese (``本次没有退回的行``), to start the line.

    Returns
    -------
    str or None
        The line to show (Chinese); ``None`` when there is no such report.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> stale = folder / "工单.csv.rejects.xlsx"
    >>> _ = stale.write_bytes(b"")
    >>> earlier_report(stale, own=True, imported=False, why="本次未能导入").split("：")[0]
    '本次未能导入；上次导入留下的退回报告仍保留，未删除'
    >>> stale.exists()
    True
    >>> earlier_report(stale, own=True, imported=True, why="本次没有退回的行").split("：")[0]
    '本次没有退回的行，已删除上次导入留下的退回报告'
    >>> stale.exists(), earlier_report(stale, own=True, imported=True, why="")
    (False, None)
    """
    if not report.exists():
        return None
    if not own:
        return f"{why}；{report} 是之前的报告，与本次无关"
    if not imported:
        return f"{why}；上次导入留下的退回报告仍保留，未删除：{report}"
    report.unlink()
    return f"{why}，已删除上次导入留下的退回报告：{report}"
