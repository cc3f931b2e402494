"""Reading source files into a table of text: CSV (any Chinese encoding), XLSX, GIS formats.

Every attribute comes out as ``str`` (or ``None`` for an empty cell) so that codes and resident
IDs keep their leading zeros and trailing ``X``; the number types are decided later by the
validation rules. GIS formats (Shapefile, zipped Shapefile, GeoJSON, GeoPackage) add a column
:data:`GEOMETRY_COLUMN` holding shapely geometries and report the file's own CRS.
"""

from __future__ import annotations

import codecs
import io
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import charset_normalizer
import pandas as pd

GEOMETRY_COLUMN = "__geometry__"
"""Name of the column of shapely geometries read from a GIS file."""

GIS_SUFFIXES = frozenset({".shp", ".zip", ".geojson", ".json", ".gpkg"})
_CHINESE_ENCODINGS = frozenset({"gb2312", "gbk", "gb18030", "hz", "cp936"})
_TRAILING_SPACE = re.compile(r' [,"\r\n\t]| $')


class ReadError(ValueError):
    """A file that cannot be read as a table (the message, in Chinese, says why)."""


@dataclass(frozen=True)
class SourceTable:
    """A file read as text.

    Attributes
    ----------
    frame : pandas.DataFrame
        One column per header, values ``str`` or ``None``; index = the row number a clerk sees
        (spreadsheet row: the header is row 1, so data starts at 2; feature number for GIS files).
    encoding : str or None
        Detected text encoding (CSV only).
    crs : str or None
        CRS declared by a GIS file, e.g. ``"EPSG:4326"``.
    """

    frame: pd.DataFrame
    encoding: str | None = None
    crs: str | None = None

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


def read_csv(path: Path) -> SourceTable:
    """Read a CSV file, every column as text, detecting the encoding.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    SourceTable
        Rows numbered from 2 (row 1 is the header).
    """
    text, encoding = decode(path.read_bytes())
    # The C parser reads bytes: handing it UTF-8 bytes at once is much faster than letting it
    # re-encode a text stream chunk by chunk.
    frame = pd.read_csv(
        io.BytesIO(text.encode("utf-8")),
        encoding="utf-8",
        dtype=object,
        keep_default_na=False,
        na_values=[""],
        skipinitialspace=True,
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    # A cell can end in a space only if the text has a space before a separator, a quote or
    # a line end: without one, no column needs the (per-cell) strip.
    trailing = _TRAILING_SPACE.search(text) is not None
    for column in frame.columns:
        values = frame[column]
        if trailing and values.str.endswith(" ").any():
            values = values.str.strip()
            values = values.where(values != "")
        missing = values.isna()
        if missing.any() or values.dtype != object:
            frame[column] = values.astype(object).where(~missing, None)
    return SourceTable(_numbered(frame, 2), encoding=encoding)


def cell_text(value: object) -> str | None:
    """Return a spreadsheet cell as text, never as a float (``1.0`` becomes ``'1'``).

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
    ('110105', '12.5', None, '2024-01-02T03:04:00')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def read_xlsx(path: Path) -> SourceTable:
    """Read the first sheet of an XLSX/XLS/ODS workbook as text.

    Parameters
    ----------
    path : pathlib.Path
        The workbook.

    Returns
    -------
    SourceTable
        Rows numbered as in the spreadsheet (header on its first non-empty row).

    Raises
    ------
    ReadError
        If it is not a workbook python-calamine can read, or the sheet has no header row.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise ReadError(f"{path.name}：不是可读取的工作簿（{exc}）") from exc
    header_at = next((i for i, r in enumerate(rows) if any(cell_text(c) for c in r)), None)
    if header_at is None:
        raise ReadError(f"{path.name}：第一个工作表是空的")
    headers = [cell_text(c) or f"第 {i + 1} 列" for i, c in enumerate(rows[header_at])]
    body = [[cell_text(c) for c in r[: len(headers)]] for r in rows[header_at + 1 :]]
    body = [r + [None] * (len(headers) - len(r)) for r in body]
    frame = pd.DataFrame(body, columns=headers, dtype=object)
    return SourceTable(_numbered(frame, header_at + 2))


def read_gis(path: Path) -> SourceTable:
    """Read a Shapefile (also zipped), GeoJSON or GeoPackage with pyogrio.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    SourceTable
        Attributes as text plus :data:`GEOMETRY_COLUMN`; features numbered from 1.

    Raises
    ------
    ReadError
        If GDAL cannot read it as a vector dataset.
    """
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, GeometryError

    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        frame = pyogrio.read_dataframe(source)
    except (DataSourceError, DataLayerError, FeatureError, GeometryError) as exc:
        what = "压缩的 Shapefile" if path.suffix.lower() == ".zip" else "可读取的 GIS 文件"
        raise ReadError(f"{path.name}：不是{what}（{exc}）") from exc
    crs = frame.crs.to_string() if frame.crs is not None else None
    geometries = frame.geometry.array
    table = pd.DataFrame(
        {str(c): frame[c].map(cell_text) for c in frame.columns if c != frame.geometry.name},
        dtype=object,
    )
    table[GEOMETRY_COLUMN] = list(geometries)
    return SourceTable(_numbered(_blank_to_none(table), 1), crs=crs)


def read_table(path: Path) -> SourceTable:
    """Read any supported file by its extension.

    Parameters
    ----------
    path : pathlib.Path
        ``.csv``/``.txt``, ``.xlsx``/``.xls``/``.ods``, ``.shp``/``.zip``, ``.geojson``/``.json``,
        ``.gpkg``.

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
    if path.is_dir():
        raise ReadError(f"{path} 是文件夹：请指定文件本身")
    if not path.is_file():
        raise ReadError(f"{path} 不存在")
    if path.stat().st_size == 0:
        raise ReadError(f"{path.name} 是空文件")
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            return read_csv(path)
        if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
            return read_xlsx(path)
        if suffix in GIS_SUFFIXES:
            return read_gis(path)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise ReadError(f"{path.name}：{exc}") from exc
    raise ReadError(
        f"{path.name}：不支持的文件类型 {suffix!r}"
        "（支持 CSV、Excel、ODS、Shapefile（可打包为 zip）、GeoJSON、GeoPackage）"
    )
