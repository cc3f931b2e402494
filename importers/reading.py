"""Reading source files into a table of text: CSV (any Chinese encoding), XLSX, GIS formats.

Every attribute comes out as ``str`` (or ``None`` for an empty cell) so that codes and resident
IDs keep their leading zeros and trailing ``X``; the number types are decided later by the
validation rules. GIS formats (:data:`GIS_SUFFIXES`) add a column
:data:`GEOMETRY_COLUMN` holding shapely geometries and report the file's own CRS.

Office spreadsheets often carry a title and lines such as ``填报单位：…`` above the header: given
a test of known headers (:func:`importers.mapping.header_test`), CSV and XLSX readers find the
header rows with :mod:`importers.headers`; two columns named alike are told apart (the second
``备注`` is ``备注_2``). Fully blank rows are dropped, and so are the totals,
signatures and notes of a clerk's sheet (:mod:`importers.footers`); the remaining rows keep the
numbers a clerk sees in the spreadsheet.

A file named as a workbook that is none (a Word document or a PDF renamed ``.xlsx``, a workbook
with an open password, one cut short) is refused in Chinese with what it seems to be and how to
make a workbook of it (:func:`not_a_workbook`); the command exits 2.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

import charset_normalizer
import pandas as pd

from importers import dbf
from importers.footers import footer_rows
from importers.headers import HeaderTest, distinct_names, find_header, header_block
from importers.html_table import Rows, html_tables
from importers.spreadsheet_xml import SpreadsheetXmlError, xml_sheets

if TYPE_CHECKING:
    from python_calamine import CalamineSheet, CalamineWorkbook

GEOMETRY_COLUMN = "__geometry__"
"""Name of the column of shapely geometries read from a GIS file."""

_UTF8_NAME = 0x800  # general-purpose flag bit 11: the name is UTF-8
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
GIS_SUFFIXES = frozenset(
    {".shp", ".zip", ".geojson", ".json", ".gpkg", ".kml", ".kmz", ".tab", ".mif", ".gdb"}
)
"""GIS files read with pyogrio: Shapefile (also zipped), GeoJSON, GeoPackage, KML/KMZ (Google
Earth, 奥维互动地图), MapInfo TAB/MIF, and an Esri file geodatabase (a ``.gdb`` folder)."""
_ZIPPED_GIS = frozenset({".shp", ".gpkg", ".geojson", ".json", ".kml", ".tab", ".mif"})
"""GIS files found inside a zip (besides ``.gdb`` folders)."""
_CHINESE_ENCODINGS = frozenset({"gb2312", "gbk", "gb18030", "hz", "cp936"})
DELIMITERS = (",", "\t", ";", "|")
"""Field separators a CSV or TXT export may use (``.tsv`` is always tab-separated)."""

_DELIMITER_SAMPLE = 1 << 16

_EXACT_INTEGERS = 2.0**53
_SCANNED_ROWS = 200
"""Rows read of each sheet to tell data sheets by their header row."""
"""Whole numbers from here on are not all exact in a spreadsheet's (double) number cells."""


class ReadError(ValueError):
    """A file that cannot be read as a table (the message, in Chinese, says why)."""


@dataclass(frozen=True)
class SourceTable:
    """A file read as text.

    Attributes
    ----------
    frame : pandas.DataFrame
        One column per header, values ``str`` or ``None``; index = the row number a clerk sees
        (spreadsheet row, or CSV record, counted from 1 at the top of the file, title rows and
        blank rows included; feature number for GIS files). Fully blank rows are left out.
    encoding : str or None
        Detected text encoding (CSV, and HTML saved as ``.xls``).
    crs : str or None
        CRS declared by a GIS file, e.g. ``"EPSG:4326"``.
    sheet : str or None
        The worksheet read, when it is not the workbook's first (``表格N`` for a table of an
        HTML export of several).
    layer : str or None
        The layer read, when the GIS file has several.
    footers : tuple of int
        Rows left out as totals, signatures or notes (:mod:`importers.footers`).
    sheet_name : str or None
        The name of the worksheet read (of a workbook), first or not.
    fids : dict of int to int
        Of a Shapefile or a GeoPackage (:data:`FID_SUFFIXES`), each feature's number → its
        FID, which a GIS user sees in the attribute table (a Shapefile's counted from 0);
        empty for other files.
    """

    frame: pd.DataFrame
    encoding: str | None = None
    crs: str | None = None
    sheet: str | None = None
    layer: str | None = None
    footers: tuple[int, ...] = ()
    sheet_name: str | None = None
    fids: dict[int, int] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        """Column headers in file order (without the geometry column)."""
        return [str(c) for c in self.frame.columns if c != GEOMETRY_COLUMN]


def detect_encoding(raw: bytes) -> str:
    """Return the text encoding of ``raw``: UTF-8 (with or without BOM) or GB18030 first.

    GBK and GB2312 are read as GB18030, their superset.

    Parameters
    ----------
    raw : bytes
        File content.

    Returns
    -------
    str
        A Python codec name.

    Examples
    --------
    >>> detect_encoding("经度,纬度".encode("gbk"))
    'gb18030'
    >>> detect_encoding(codecs.BOM_UTF8 + "经度".encode())
    'utf-8-sig'
    """
    return decode(raw)[1]


def decode(raw: bytes) -> tuple[str, str]:
    """Decode ``raw`` with the encoding :func:`detect_encoding` finds (decoding it once).

    Parameters
    ----------
    raw : bytes
        File content.

    Returns
    -------
    tuple of str
        The text and the codec name.

    Examples
    --------
    >>> decode("经度".encode("gb18030"))
    ('经度', 'gb18030')
    """
    if raw.startswith(codecs.BOM_UTF8):
        return raw.decode("utf-8-sig"), "utf-8-sig"
    for candidate in ("utf-8", "gb18030"):
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(raw[: 1 << 20]).best()
    if best is None:
        raise ReadError("无法识别文本编码：不是 UTF-8、GBK/GB18030，也不是其他已知编码")
    encoding = str(best.encoding).lower()
    encoding = "gb18030" if encoding in _CHINESE_ENCODINGS else encoding
    return raw.decode(encoding), encoding


def _blank_to_none(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column == GEOMETRY_COLUMN:
            continue
        values = frame[column].astype(object)
        stripped = values.where(values.isna(), values.astype(str).str.strip())
        frame[column] = stripped.where(stripped.notna() & (stripped != ""), None)
    return frame


def _numbered(frame: pd.DataFrame, first: int) -> pd.DataFrame:
    frame.index = pd.RangeIndex(first, first + len(frame), name="row")
    return frame


def delimiter(text: str, suffix: str = ".csv") -> str:
    r"""Return the field separator of a delimited text: the one of :data:`DELIMITERS` used most.

    Counted in the first 64 KB; a comma wins a tie, and ``.tsv`` files are tab-separated.

    Parameters
    ----------
    text : str
        The decoded file.
    suffix : str
        The file's extension, lower case.

    Returns
    -------
    str
        The separator.

    Examples
    --------
    >>> delimiter("姓名;经度;纬度\n张三;102.9;24.2\n"), delimiter("a,b\n", ".tsv")
    (';', '\t')
    """
    if suffix == ".tsv":
        return "\t"
    sample = text[:_DELIMITER_SAMPLE]
    return max(DELIMITERS, key=sample.count)


def _csv_header(
    text: str, is_header: HeaderTest | None, separator: str
) -> tuple[int, int, list[str | None] | None] | None:
    """Return the header's (last) record number (from 0), its offset in ``text``, its names.

    Only the first records are parsed (by the ``csv`` module, as pandas would split them);
    ``None`` if the text has no non-empty record. With two header rows (:func:`header_block`)
    the record and offset are the lower row's. The names are the columns' (``None`` for an
    empty cell), as :func:`header_block` gives them; ``None`` when the records could not be
    parsed (pandas then reads the header as it can).
    """
    line_end = [0]

    def lines() -> Iterator[str]:
        start = 0
        while start < len(text):
            end = text.find("\n", start)
            line_end[0] = end = len(text) if end < 0 else end + 1
            yield text[start:end]
            start = end

    starts = [0]
    seen: list[list[str]] = []

    def records() -> Iterator[list[str]]:
        for record in csv.reader(lines(), delimiter=separator, skipinitialspace=True):
            seen.append(record)
            yield record
            starts.append(line_end[0])

    try:
        header = find_header(records(), is_header)
    except csv.Error:  # let pandas read it (and say what is wrong) as before
        return 0, 0, None
    if header is None:
        return None
    last, names = header_block(seen, header, is_header)
    return last, starts[last], names


def _without_blank_rows(frame: pd.DataFrame, blank: pd.Series | None) -> pd.DataFrame:
    if blank is None or not blank.any():
        return frame
    keep = ~blank.to_numpy()
    kept = int(keep.sum())
    if keep[:kept].all():  # blank rows only at the end (the usual case): no copy
        return frame.iloc[:kept]
    return frame[keep]


def read_csv(path: Path, is_header: HeaderTest | None = None) -> SourceTable:
    """Read a CSV or TXT file, every column as text, detecting the encoding and the separator.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    is_header : callable, optional
        Tells known headers apart, to find a header below title rows (see :func:`find_header`);
        without it the header is the first non-empty record.

    Returns
    -------
    SourceTable
        Rows numbered by record from the top of the file (the header is row 1 unless title
        rows come first), fully blank records left out.

    Raises
    ------
    ReadError
        If the file has only blank lines.
    """
    text, encoding = decode(path.read_bytes())
    separator = delimiter(text, path.suffix.lower())
    found = _csv_header(text, is_header, separator)
    if found is None:
        raise ReadError(f"{path.name}：文件中只有空行，没有表头")
    header, start, names = found
    # The C parser reads bytes: handing it UTF-8 bytes at once is much faster than letting it
    # re-encode a text stream chunk by chunk. It starts reading at the header record.
    data = io.BytesIO(text.encode("utf-8"))
    if start:
        data.seek(len(text[:start].encode("utf-8")))
    frame = pd.read_csv(
        data,
        sep=separator,
        encoding="utf-8",
        dtype=object,
        keep_default_na=False,
        na_values=[""],
        skipinitialspace=True,
        skip_blank_lines=False,
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    if names is not None and len(names) == len(frame.columns):  # not pandas's 备注.1
        frame.columns = [n or c for n, c in zip(names, frame.columns, strict=True)]
    frame.columns = distinct_names(list(frame.columns))
    # A cell can end in a space only if the text has a space before a separator, a quote or
    # a line end: without one, no column needs the (per-cell) strip.
    trailing = re.search(f' [{re.escape(separator)}"\r\n]| $', text) is not None
    blank: pd.Series | None = None
    for column in frame.columns:
        values = frame[column]
        stripped = trailing and bool(values.str.endswith(" ").any())
        if stripped:
            values = values.str.strip()
            values = values.where(values != "")
        missing = values.isna()
        blank = missing if blank is None else blank & missing
        if stripped or missing.any() or values.dtype != object:
            frame[column] = values.astype(object).where(~missing, None)
    if '="' in text or "'" in text:
        _unwrap_kept_text(frame)
    frame = _numbered(frame, header + 2)
    return SourceTable(_without_blank_rows(frame, blank), encoding=encoding)


_KEPT_TEXT = re.compile(r'^="(.*)"$|^\'(\d[\dXx]*)$')
"""A value a system wrote so that Excel keeps it as text: ``="0530…"`` or ``'1101…``."""


def _unwrap_kept_text(frame: pd.DataFrame) -> None:
    """Unwrap the text of columns written as ``="…"`` (or ``'`` before digits), in place.

    Exports meant for Excel write long numbers (IDs, codes, phones) so, lest Excel turn them
    into ``1.1E+17``; the file means the text inside.
    """
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object:
            continue
        wrapped = values.str.match(_KEPT_TEXT, na=False)
        if wrapped.any():
            inner = values[wrapped].str.extract(_KEPT_TEXT)
            text = inner[0].fillna(inner[1])
            frame.loc[wrapped, column] = text.where(text != "", None)


def cell_text(value: object) -> str | None:
    """Return a spreadsheet cell as text, never as a float (``1.0`` becomes ``'1'``).

    A whole number too long for a spreadsheet number to hold exactly (more than 15 or 16
    digits: a resident ID or a device code typed into a cell not set to text) comes out in
    scientific notation, as the spreadsheet shows it, so that the checks can tell the clerk its
    last digits are lost instead of reporting a wrong check digit.

    Parameters
    ----------
    value : object
        A cell value from python-calamine.

    Returns
    -------
    str or None
        The text, ``None`` for an empty cell.

    Examples
    --------
    >>> cell_text(110105.0), cell_text(12.5), cell_text(""), cell_text(datetime(2024, 1, 2, 3, 4))
    ('110105', '12.5', None, '2024-01-02 03:04')
    >>> cell_text(datetime(2024, 1, 2)), cell_text(datetime(2024, 1, 2, 3, 4, 5, 600))
    ('2024-01-02', '2024-01-02 03:04:05')
    >>> cell_text(110105194912310020.0), cell_text(float("nan"))
    ('1.1010519491231002e+17', None)
    """
    if value is None or value is pd.NaT:  # a GIS file's empty date field
        return None
    if isinstance(value, float) and math.isnan(value):  # a GIS file's empty text or number
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < _EXACT_INTEGERS:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime) and value.time() == time():  # a date cell, as Excel shows it
        return value.date().isoformat()
    if isinstance(value, datetime):  # as a clerk finds it in the sheet, seconds when it has any
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def read_xlsx(
    path: Path, is_header: HeaderTest | None = None, sheet: str | None = None
) -> SourceTable:
    """Read the data sheet of an XLSX/XLS/ODS workbook as text.

    The data sheet is ``sheet`` when given, else the one sheet whose header row has known
    headers (a first sheet of instructions, 填表说明, is passed over), else the first sheet. A
    workbook of several data sheets (one per township) is read only with ``sheet`` naming
    one: the others would be silently left out.

    Parameters
    ----------
    path : pathlib.Path
        The workbook.
    is_header : callable, optional
        Tells known headers apart, to find a header below title rows (see :func:`find_header`);
        without it the header is the first non-empty row.
    sheet : str, optional
        The worksheet to read.

    Returns
    -------
    SourceTable
        Rows numbered as in the spreadsheet; fully blank rows, and rows repeating the header
        (a sheet laid out for printing repeats it on each page), left out.

    Raises
    ------
    ReadError
        If it is not a workbook python-calamine can read, the sheet has no header row, or
        which sheet to read is not clear.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
        if sheet is not None:
            if sheet not in names:
                raise ReadError(f"{path.name} 没有工作表“{sheet}”；它的工作表：{'、'.join(names)}")
            chosen = names.index(sheet)
        else:
            data = _data_sheets(workbook, is_header)
            if len(data) > 1:
                listed = "、".join(names[i] for i in data)
                raise ReadError(
                    f"{path.name} 有 {len(data)} 个数据工作表：{listed}。"
                    "请用 --sheet 指定要导入的一个，或用 --sheet all 逐个导入"
                )
            chosen = data[0] if data else 0
        rows, header_at, _ = _sheet_header(workbook, chosen, is_header)
    except CalamineError as exc:
        raise ReadError(not_a_workbook(path)) from exc
    if header_at is None:
        raise ReadError(f"{path.name}：工作表“{names[chosen]}”是空的")
    named = chosen or sheet is not None
    frame = _rows_frame(rows, header_at, is_header)
    return SourceTable(frame, sheet=names[chosen] if named else None, sheet_name=names[chosen])


def _rows_frame(
    rows: Sequence[Sequence[object]], header_at: int, is_header: HeaderTest | None
) -> pd.DataFrame:
    """Return the table under the header of a sheet's (or an HTML table's) rows, as text.

    Rows are numbered as the clerk sees them (from 1 at the top); fully blank rows and rows
    repeating the header are left out.
    """
    start = max(header_at - 1, 0)  # the header block: the row above, the row, the row below
    near = [[cell_text(c) for c in r] for r in rows[start : header_at + 2]]
    last, names_found = header_block(near, header_at - start, is_header)
    header_at = start + last
    headers = distinct_names([cell or f"第 {i + 1} 列" for i, cell in enumerate(names_found)])
    width = len(headers)
    body: list[list[str | None]] = []
    numbers: list[int] = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = [cell_text(c) for c in row[:width]]
        if any(cell is not None for cell in cells) and not _repeats_header(cells, names_found):
            body.append(cells + [None] * (width - len(cells)))
            numbers.append(number)
    index = pd.Index(numbers, dtype="int64", name="row")
    return pd.DataFrame(body, columns=headers, index=index, dtype=object)


def _data_sheets(workbook: CalamineWorkbook, is_header: HeaderTest | None) -> list[int]:
    """Return the positions of the sheets whose header row has known headers."""
    if is_header is None:
        return []
    return [
        position
        for position in range(len(workbook.sheet_names))
        if _sheet_header(workbook, position, is_header, rows=_SCANNED_ROWS)[2]
    ]


def _repeats_header(cells: Sequence[str | None], names: Sequence[str | None]) -> bool:
    """Whether a row repeats the header (sheets laid out for printing repeat it on each page)."""
    same = [cell == name for cell, name in zip(cells, names, strict=False) if cell is not None]
    return len(same) >= 2 and all(same)


def _sheet_rows(sheet: CalamineSheet, limit: int | None = None) -> list[list[object]]:
    """Return a sheet's cells from A1, each merged range's value in every cell it covers.

    Clerks merge a cell over the rows it applies to (one 所属社区 for a group of people):
    every row of the group holds the value, as the clerk sees it.
    """
    read = sheet.to_python(skip_empty_area=False, nrows=limit)
    rows: list[list[object]] = [list(r) for r in read]
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            row = rows[r]
            row.extend([""] * (right + 1 - len(row)))
            for c in range(left, right + 1):
                row[c] = value
    return rows


def _sheet_header(
    workbook: CalamineWorkbook,
    position: int,
    is_header: HeaderTest | None,
    rows: int | None = None,
) -> tuple[list[list[object]], int | None, bool]:
    """Return a sheet's rows (its first ``rows``), header row, and whether it has known headers.

    A sheet has known headers when two different cells of its header row are (a sheet of
    instructions naming one column twice is not a data sheet).
    """
    cells = _sheet_rows(workbook.get_sheet_by_index(position), rows)
    return (cells, *_rows_header(cells, is_header))


def _rows_header(
    cells: Sequence[Sequence[object]], is_header: HeaderTest | None
) -> tuple[int | None, bool]:
    """Return the header row of a sheet's rows, and whether two different cells are known."""
    at = find_header(([cell_text(c) for c in r] for r in cells), is_header)
    if at is None or is_header is None:
        return at, False
    header = {cell for cell in map(cell_text, cells[at]) if cell is not None and is_header(cell)}
    return at, len(header) >= 2


def _require_file(path: Path) -> None:
    """Refuse a path that is not a non-empty file (or a file geodatabase's folder)."""
    gdb = path.suffix.lower() == ".gdb"
    if path.is_dir() and not gdb:
        raise ReadError(f"{path} 是文件夹：请指定文件本身")
    if not path.exists() or not (path.is_file() or gdb):
        raise ReadError(f"{path} 不存在")
    if path.is_file() and path.stat().st_size == 0:
        raise ReadError(f"{path.name} 是空文件")


def _zip_member(path: Path, layer: str | None) -> tuple[str, bool]:
    """Return the GIS file to read inside a zip, and whether ``layer`` named it.

    The file may be in a folder of the zip. Layers are told by their readable names
    (:func:`_readable_name`); the name returned is the one GDAL's ``/vsizip/`` knows. A zip
    of one GIS file is that file, whose own layers ``layer`` may name (a file geodatabase's
    feature classes).
    """
    by_layer = _zip_members(path)
    if layer is not None and layer in by_layer:
        return by_layer[layer], True
    if len(by_layer) == 1:
        return next(iter(by_layer.values())), False
    raise ReadError(_layer_problem(path, list(by_layer), layer))


def _zip_members(path: Path) -> dict[str, str]:
    """Return a zip's GIS files: readable layer name → member name."""
    if not zipfile.is_zipfile(path):
        raise ReadError(f"{path.name}：不是压缩的 Shapefile（不是 zip 文件）")
    found: dict[str, str] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename.startswith("__MACOSX/"):
                continue
            name, readable = PurePosixPath(info.filename), PurePosixPath(_readable_name(info))
            folders = [i for i, part in enumerate(name.parts[:-1]) if part.lower().endswith(".gdb")]
            if folders:  # a file geodatabase: its folder, once
                found[PurePosixPath(*readable.parts[: folders[0] + 1]).stem] = "/".join(
                    name.parts[: folders[0] + 1]
                )
            elif name.suffix.lower() in _ZIPPED_GIS:
                found[readable.stem] = info.filename
    if not found:
        raise ReadError(
            f"{path.name}：压缩包里没有 Shapefile、GeoPackage、GeoJSON、KML、MapInfo 文件或"
            "文件地理数据库（.gdb）"
        )
    return found


def _readable_name(info: zipfile.ZipInfo) -> str:
    """Return a zip member's name as its author wrote it.

    Zips made on Chinese Windows (its 发送到压缩文件, WinRAR, 360压缩) store names in GBK without
    the UTF-8 flag; Python (and GDAL) then read them as CP437 mojibake. Such names are
    decoded again: as UTF-8 when they are (some tools omit the flag), else as GB18030.
    """
    if info.flag_bits & _UTF8_NAME or info.filename.isascii():
        return info.filename
    raw = info.filename.encode("cp437")
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _layer_problem(path: Path, layers: Sequence[str], layer: str | None) -> str:
    names = "、".join(layers)
    if layer is None:
        return (
            f"{path.name} 有 {len(layers)} 个图层：{names}。请用 --layer 指定要导入的一个，"
            "或用 --layer all 逐个导入"
        )
    return f"{path.name} 没有图层“{layer}”；它的图层：{names}"


def read_gis(path: Path, layer: str | None = None) -> SourceTable:
    """Read a GIS file of :data:`GIS_SUFFIXES` with pyogrio (a Shapefile, also zipped …).

    A zip may hold its file in a folder. A file or zip of several layers (a GeoPackage of
    townships and villages, a zip of Shapefiles) is read only with ``layer`` naming one: GDAL
    would silently read the first. A Shapefile's attributes are read in the encoding of
    :func:`importers.dbf.attribute_encoding` (GBK names of a Shapefile sent without its
    ``.cpg`` are not mojibake).

    Parameters
    ----------
    path : pathlib.Path
        The file.
    layer : str, optional
        The layer to read (a GeoPackage layer, or the name of a Shapefile in a zip).

    Returns
    -------
    SourceTable
        Attributes as text plus :data:`GEOMETRY_COLUMN`; features numbered from 1;
        :attr:`SourceTable.layer` when ``layer`` chose one of several.

    Raises
    ------
    ReadError
        If GDAL cannot read it as a vector dataset, or the layer to read is not clear.
    """
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, GeometryError

    member, named = _zip_member(path, layer) if path.suffix.lower() == ".zip" else (None, False)
    source = str(path) if member is None else f"/vsizip/{path}/{member}"
    codec = dbf.attribute_encoding(path, member)
    inner = None if named else layer  # a layer of the file read, not the file of a zip
    try:
        layers = [str(name) for name in pyogrio.list_layers(source)[:, 0]]
        if len(layers) > 1 and inner not in layers:
            raise ReadError(_layer_problem(path, layers, inner))
        if len(layers) == 1 and inner not in (None, layers[0]):
            raise ReadError(_layer_problem(path, layers, inner))
        options = {"layer": inner} if len(layers) > 1 else {}
        if codec is None:
            frame = pyogrio.read_dataframe(source, fid_as_index=True, **options)
        else:
            raw = pyogrio.read_dataframe(source, encoding=dbf.BYTES, fid_as_index=True, **options)
            frame = dbf.recode(raw, codec)
    except (DataSourceError, DataLayerError, FeatureError, GeometryError) as exc:
        what = "压缩的 Shapefile" if path.suffix.lower() == ".zip" else "可读取的 GIS 文件"
        raise ReadError(f"{path.name}：不是{what}（{exc}）") from exc
    crs = frame.crs.to_string() if frame.crs is not None else None
    geometries = frame.geometry.array
    table = pd.DataFrame(
        {str(c): frame[c].map(cell_text) for c in frame.columns if c != frame.geometry.name},
        dtype=object,
    )
    if PurePosixPath(source).suffix.lower() in (".kml", ".kmz"):
        table = _without_kml_housekeeping(table)
    table[GEOMETRY_COLUMN] = list(geometries)
    several = len(layers) > 1 or named
    with_fids = PurePosixPath(source).suffix.lower() in FID_SUFFIXES
    fids = {n: int(f) for n, f in enumerate(frame.index, start=1)} if with_fids else {}
    return SourceTable(
        _numbered(_blank_to_none(table), 1),
        crs=crs,
        layer=layer if several else None,
        fids=fids,
    )


FID_SUFFIXES = (".shp", ".gpkg")
"""GIS files whose features a GIS user knows by their FID (trial AR m5: the import said 第 4 行
of the feature the attribute table shows as FID 3)."""


_KML_HOUSEKEEPING = frozenset(
    {"id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility"}
    | {"drawOrder", "icon", "snippet"}
)
"""Fields GDAL gives every KML placemark, which say nothing of the unit drawn."""


def _without_kml_housekeeping(table: pd.DataFrame) -> pd.DataFrame:
    """Drop a KML's housekeeping fields, and its ``Name`` and ``description`` when empty.

    Otherwise an empty ``Name`` would stand for the name a ``XZQMC`` or ``网格名称`` field gives.
    """
    empty = [c for c in ("Name", "description") if c in table and table[c].isna().all()]
    return table.drop(columns=[c for c in table if c in _KML_HOUSEKEEPING] + empty)


WorkbookShape = Literal["workbook", "html", "xml", "text"]

_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
"""How an XLSX/ODS (a zip) and an XLS (an OLE2 compound file) begin."""


_OFFICE_PARTS = (
    ("word/", "Word 文档"),
    ("ppt/", "PowerPoint 演示文稿"),
    ("xl/", ""),  # a workbook's parts, but calamine could not read it: damaged
)
"""The folder of an Office zip that tells what it is (a ``.docx`` renamed ``.xlsx``)."""
_SAVE_AS = "请用 Excel 或 WPS 表格打开要导入的表格，另存为 .xlsx 后再导入"


def not_a_workbook(path: Path) -> str:
    """Return, in Chinese, why a file named as a workbook is none: what it seems to be.

    A clerk renames a Word file ``.xlsx``, or sends a workbook with an open password (an
    encrypted workbook is an OLE2 file, as an old ``.doc`` is), or one cut short by a download.

    Parameters
    ----------
    path : pathlib.Path
        The file that python-calamine could not open.

    Returns
    -------
    str
        The error line, starting with the file's name.
    """
    with path.open("rb") as handle:
        head = handle.read(8)
    what: str | None = None
    if head.startswith(b"PK") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        folders = [w for folder, w in _OFFICE_PARTS if any(n.startswith(folder) for n in names)]
        what = folders[0] if folders else "压缩包（zip）"
    elif head.startswith(b"%PDF"):
        what = "PDF 文件"
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        return (
            f"{path.name}：无法作为 Excel 工作簿打开：可能设置了打开密码（请取消密码后另存），"
            f"或是 Word 等其他文件改了扩展名；{_SAVE_AS}"
        )
    if what == "":
        return f"{path.name}：Excel 工作簿已损坏或不完整（可能没有下载完整）；{_SAVE_AS}"
    if what is not None:
        return f"{path.name}：不是 Excel 工作簿，而是{what}改成了 {path.suffix} 扩展名；{_SAVE_AS}"
    return (
        f"{path.name}：不是 Excel 工作簿（可能是其他类型的文件改成了 {path.suffix} 扩展名，"
        f"或文件已损坏）；{_SAVE_AS}"
    )


def workbook_shape(path: Path) -> WorkbookShape:
    """Return what a file named as a workbook really holds.

    Web systems "export to Excel" by writing an HTML table (or tab-separated text, or Excel
    2003's XML) under an ``.xls`` name; Excel opens them all, so clerks send them as they are.
    :func:`read_table` reads each as what it is.

    Parameters
    ----------
    path : pathlib.Path
        A file with a workbook's extension.

    Returns
    -------
    {'workbook', 'html', 'xml', 'text'}
        A real workbook, an HTML page, Excel 2003 XML (SpreadsheetML), or delimited text.
    """
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith((*_WORKBOOK_MAGIC, b"%PDF")):  # a PDF is refused as no workbook
        return "workbook"
    text = head.lstrip(codecs.BOM_UTF8).decode("latin-1").lstrip().lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in text and re.search(r"<workbook\b", text):
        return "xml"
    if text.startswith("<") and re.search(r"<(html|table|body|meta|tr)\b", text):
        return "html"
    return "text" if "\x00" not in text else "workbook"


def _named_tables(path: Path, shape: WorkbookShape) -> tuple[list[tuple[str, Rows]], str | None]:
    """Return the tables of an HTML page (named 表格1 …) or the sheets of an XML workbook."""
    raw = path.read_bytes()
    if shape == "xml":
        try:
            return xml_sheets(raw), None
        except SpreadsheetXmlError as exc:
            raise ReadError(f"{path.name}：{exc}") from exc
    text, encoding = decode(raw)
    return [(f"表格{i + 1}", rows) for i, rows in enumerate(html_tables(text))], encoding


def _data_tables(
    tables: list[tuple[str, Rows]], is_header: HeaderTest | None
) -> tuple[list[str], list[int | None]]:
    """Return the names of the tables whose header has known headers, and each header row."""
    headers = [_rows_header(rows, is_header) for _, rows in tables]
    data = [name for (name, _), (_, known) in zip(tables, headers, strict=True) if known]
    return data, [at for at, _ in headers]


def read_exported_tables(
    path: Path, shape: WorkbookShape, is_header: HeaderTest | None = None, part: str | None = None
) -> SourceTable:
    """Read the data table of an HTML page or Excel 2003 XML saved as ``.xls``.

    See :func:`workbook_shape`. An HTML page's tables are named ``表格1``, ``表格2`` … in page
    order; an XML workbook's sheets by their names.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    shape : {'html', 'xml'}
        What it holds.
    is_header : callable, optional
        Tells known headers apart, to find a header below title rows.
    part : str, optional
        Which table or sheet of several, as ``--sheet``.

    Returns
    -------
    SourceTable
        Rows numbered from the table's first row; cells exactly as written.

    Raises
    ------
    ReadError
        No table, no such table, or several data tables and none chosen.
    """
    tables, encoding = _named_tables(path, shape)
    names = [name for name, _ in tables]
    data, headers = _data_tables(tables, is_header)
    noun = "表格" if shape == "html" else "工作表"
    if part is not None:
        if part not in names:
            raise ReadError(f"{path.name} 没有“{part}”；它的{noun}：{'、'.join(names) or '无'}")
        chosen = names.index(part)
    elif len(data) > 1:
        raise ReadError(
            f"{path.name} 有 {len(data)} 个数据{noun}：{'、'.join(data)}。"
            "请用 --sheet 指定要导入的一个，或用 --sheet all 逐个导入"
        )
    elif data:
        chosen = names.index(data[0])
    else:
        filled = [i for i, at in enumerate(headers) if at is not None]
        if not filled:
            raise ReadError(f"{path.name}：没有表格数据")
        chosen = filled[0]
    header_at = headers[chosen]
    if header_at is None:
        raise ReadError(f"{path.name}：{names[chosen]}是空的")
    frame = _rows_frame(tables[chosen][1], header_at, is_header)
    return SourceTable(frame, encoding=encoding, sheet=names[chosen] if len(tables) > 1 else None)


def read_table(
    path: Path, *, is_header: HeaderTest | None = None, layer: str | None = None
) -> SourceTable:
    """Read any supported file by its extension.

    Parameters
    ----------
    path : pathlib.Path
        ``.csv``/``.txt``, ``.xlsx``/``.xls``/``.ods``, ``.shp``/``.zip``, ``.geojson``/``.json``,
        ``.gpkg``.
    is_header : callable, optional
        Tells known headers apart (e.g. :func:`importers.mapping.header_test`), to find the
        header of a CSV or spreadsheet below its title rows; without it the header is the first
        non-empty row. GIS files have no header rows.
    layer : str, optional
        The layer of a GIS file of several (see :func:`read_gis`), or the worksheet of a
        workbook of several (see :func:`read_xlsx`).

    Returns
    -------
    SourceTable
        The table.

    Raises
    ------
    ReadError
        If the extension is not supported or the file is unreadable.
    """
    suffix = path.suffix.lower()
    _require_file(path)
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            if layer is not None:
                raise ReadError(f"{path.name}：文本文件没有工作表或图层，不需要 --sheet/--layer")
            return _without_footers(read_csv(path, is_header))
        if suffix in WORKBOOK_SUFFIXES:
            shape = workbook_shape(path)
            if shape in ("html", "xml"):
                return _without_footers(read_exported_tables(path, shape, is_header, layer))
            if shape == "text":
                if layer is not None:
                    raise ReadError(f"{path.name}：实为文本文件，没有工作表，不需要 --sheet")
                return _without_footers(read_csv(path, is_header))
            return _without_footers(read_xlsx(path, is_header, layer))
        if suffix in GIS_SUFFIXES:
            return read_gis(path, layer)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise ReadError(f"{path.name}：{exc}") from exc
    raise ReadError(
        f"{path.name}：不支持的文件类型 {suffix!r}"
        "（支持 CSV、Excel、ODS、Shapefile（可打包为 zip）、GeoJSON、GeoPackage、KML/KMZ、"
        "MapInfo、文件地理数据库 .gdb）"
    )


def _without_footers(table: SourceTable) -> SourceTable:
    """Return ``table`` without its totals, signatures and notes, which it remembers."""
    footers = footer_rows(table.frame)
    if not footers:
        return table
    return replace(table, frame=table.frame.drop(index=footers), footers=tuple(footers))


def parts_of(path: Path, is_header: HeaderTest | None = None) -> list[str]:
    """Return the parts of a file to import one by one: its data sheets, or its layers.

    Parameters
    ----------
    path : pathlib.Path
        A workbook, or a GIS file (a GeoPackage, a zip of Shapefiles).
    is_header : callable, optional
        Tells known headers apart: a workbook's data sheets are those with a header row.

    Returns
    -------
    list of str
        Sheet or layer names, in file order (one, for a file of one).

    Raises
    ------
    ReadError
        If the file is not a workbook or GIS file, or cannot be read.
    """
    import pyogrio
    from pyogrio.errors import DataSourceError
    from python_calamine import CalamineError, CalamineWorkbook

    suffix = path.suffix.lower()
    _require_file(path)
    try:
        shape = workbook_shape(path) if suffix in WORKBOOK_SUFFIXES else None
        if shape in ("html", "xml"):
            tables, _ = _named_tables(path, shape)
            return _data_tables(tables, is_header)[0] or [name for name, _ in tables][:1]
        if suffix in WORKBOOK_SUFFIXES:
            workbook = CalamineWorkbook.from_path(str(path))
            names = list(workbook.sheet_names)
            return [names[i] for i in _data_sheets(workbook, is_header)] or names[:1]
        if suffix == ".zip":
            members = _zip_members(path)
            if len(members) > 1:
                return list(members)
            inside = f"/vsizip/{path}/{next(iter(members.values()))}"
            layers = [str(name) for name in pyogrio.list_layers(inside)[:, 0]]
            return layers if len(layers) > 1 else list(members)
        if suffix in GIS_SUFFIXES:
            return [str(name) for name in pyogrio.list_layers(str(path))[:, 0]]
    except (CalamineError, DataSourceError) as exc:
        raise ReadError(f"{path.name}：无法读取（{exc}）") from exc
    raise ReadError(f"{path.name}：只有工作簿和 GIS 文件才分工作表或图层")
