"""One import from file to database: read, map, check, stage, load, record provenance.

:func:`check_file` needs no database (a dry run of the row rules); :func:`run_import` does the
whole thing in one transaction (a savepoint when the caller already has one), so a file loads
whole or not at all, or with ``partial`` its valid rows only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from geo.crs import SourceCrs
from importers import vocabulary
from importers.crs_check import CRS_NAMES, Unconfirmed
from importers.fixed_values import add_fixed_columns, replaced_note
from importers.footers import footer_note
from importers.header_crs import coordinate_crs, named_crs
from importers.kind_guess import likely_kind
from importers.kinds import KINDS, Context, Kind, Part
from importers.kinds.cases import LEDGER_NOTE, Readings
from importers.lengths import refuse_too_long
from importers.loading import DEFAULT_TOLERANCE_M, LoadOptions, load
from importers.mapping import (
    LEVELS_SEPARATOR,
    MappingError,
    MappingFile,
    absent_mapped_notes,
    classification_levels,
    corner_points,
    foreign_synonyms,
    header_test,
    load_mapping_file,
    normalise_header,
    party_columns,
    party_label,
    resolve_columns,
)
from importers.named_values import values_named, year_named
from importers.progress import ImportProgress
from importers.reading import GEOMETRY_COLUMN, ReadError, SourceTable, read_table
from importers.rules import MissingColumns, Problem, RowChecks
from importers.within import CountyRows, Scope, find_scope
from layers import audit, import_runs, person_lookalikes
from layers.bulk import UpsertCounts
from layers.database import apply_scope
from layers.model.cases import Channel
from layers.person_attributes import MODELS, attribute_headers
from layers.secrets import Keys

_FILE_CRS = {"EPSG:4326": "wgs84", "OGC:CRS84": "wgs84", "EPSG:4490": "cgcs2000"}


@dataclass(frozen=True)
class ImportOptions:
    """What the user asked for.

    Attributes
    ----------
    kind : str
        One of :data:`importers.kinds.KINDS`.
    crs : str or None
        Source CRS; ``None``: the GIS file's own CRS, else CGCS2000/WGS84.
    mapping : pathlib.Path or None
        Mapping file (JSON or TOML).
    mapping_name : str or None
        The mapping file's name in messages, when not its own (a console upload's).
    partial : bool
        Load the valid rows even if some are rejected.
    dry_run : bool
        Check everything, write nothing.
    user : str
        Who imports (provenance).
    tolerance_m : float
        How far outside its jurisdiction a point may lie.
    defer : bool or None
        Rebuild indexes and re-validate foreign keys at the end instead of row by row
        (:mod:`layers.deferral`; locks the table meanwhile): ``None`` decides by size.
    layer : str or None
        The layer of a GIS file of several (a GeoPackage layer, a Shapefile in a zip), or the
        worksheet of a workbook of several.
    limits_config : dict or None
        The deployment's case time limits (:func:`layers.deadlines.for_deployment`) that
        imported cases get their deadlines from; ``None``: the built-in limits.
    fixed : dict
        Target field → the value every row takes, for a column the file lacks
        (:mod:`importers.fixed_values`).
    within : str or None
        The jurisdiction the file is imported for (``--within``: 12 digits, or a county's 6
        or a township's 9): rows placed outside it are refused (:mod:`importers.within`).
        ``None``: anywhere.
    again : bool
        Import a file imported before even when other files of its kind were imported since
        (whose newer data it would take back); otherwise it is refused (:func:`superseded`).
    complete : bool
        ``--complete``: the file is the whole layer of ``within``: grids or jurisdictions it
        leaves out are retired (:mod:`layers.unit_retirement`), cameras too
        (:mod:`layers.camera_retirement`), and persons of its categories are struck off
        (:mod:`layers.person_roster`).
    history : bool
        ``--history``: a file of cases is a record of the past. Its rows the source calls
        settled are imported so; those it still calls open (正在调处, 办理中, 调解不成功,
        已移交 …, or no status) are stored as concluded history, never queued nor overdue
        (:mod:`layers.case_import`). Cases only (:data:`HISTORY_KINDS`).
    hold_at_county : bool
        ``--hold-at-county``: a file of cases stays at the county's 待派单, not the
        townships' (:func:`layers.case_import.handling_level`, trial BA M1).
    """

    kind: str
    crs: str | None = None
    mapping: Path | None = None
    mapping_name: str | None = None
    partial: bool = False
    dry_run: bool = False
    user: str = "unknown"
    tolerance_m: float = DEFAULT_TOLERANCE_M
    defer: bool | None = None
    layer: str | None = None
    limits_config: dict[str, Any] | None = None
    fixed: dict[str, str] = field(default_factory=dict)
    within: str | None = None
    again: bool = False
    complete: bool = False
    history: bool = False
    hold_at_county: bool = False


@dataclass(frozen=True)
class CheckedFile:
    """A file read and checked by the row rules.

    Attributes
    ----------
    checks : RowChecks
        Problems and rejected rows.
    parts : list of Part
        Rows to stage.
    crs : SourceCrs
        The source CRS used.
    sha256 : str
        Digest of the file's bytes.
    file_name : str
        The file's name (provenance).
    crs_unconfirmed : Unconfirmed or None
        ``crs`` when the user did not give it: the file's own, or the default.
    fixed : dict
        Target field → the value every row took, from ``--set`` or from the file's name.
    named : tuple of str
        The worksheet's and the file's names (a unit one names tells apart places of one
        name: :class:`importers.names.Directories`).
    unused : tuple of str
        The file's columns that feed no field (:func:`unused_columns`).
    derived : tuple of str
        Columns the import made from the file's (a classification joined from its levels, a
        ledger's parties joined), left out of the rows a report copies for correction.
    fids : dict of int to int
        A Shapefile's or GeoPackage's row number → FID (:attr:`SourceTable.fids`).
    """

    checks: RowChecks
    parts: list[Part]
    crs: SourceCrs
    sha256: str
    file_name: str
    crs_unconfirmed: Unconfirmed | None = None
    fixed: dict[str, str] = field(default_factory=dict)
    named: tuple[str, ...] = ()
    unused: tuple[str, ...] = ()
    derived: tuple[str, ...] = ()
    fids: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did.

    Attributes
    ----------
    kind, file_name, sha256, source_crs : str
        Provenance.
    rows_total : int
        Data rows in the file.
    problems : list of Problem
        Every rejection and repair.
    counts : UpsertCounts or None
        Inserted/updated/unchanged (what a dry run would write), ``None`` if nothing was
        written because rows were rejected.
    committed : bool
        Whether the transaction (or savepoint) was committed.
    import_id : int or None
        ``import_runs.id`` when committed.
    columns : dict
        Target field → the source header it was read from (not the fields every row took
        from ``--set`` or from the file's name).
    rejected : pandas.DataFrame or None
        The rejected rows as the file has them (its headers, text; indexed by row number).
    notes : list of str
        What the user should know of the file as a whole (e.g. a CRS that could not be
        checked), in Chinese.
    within : Scope or None
        The jurisdiction the file was imported for (``--within``).
    counties : list of CountyRows
        Without ``within``: the rows loaded (or that would load) in each county, the most
        first (see :func:`importers.within.county_note`).
    valid_counts : UpsertCounts or None
        A dry run of a file refused for its rejected rows: what its valid rows would do, as
        ``partial`` would load them (``counts`` is ``None``).
    unused : list of str
        The file's columns that feed no field, which the summary names.
    fids : dict of int to int
        A Shapefile's or GeoPackage's row number → FID: its rows are said as features
        (``第 4 条（FID 3）``, :func:`importers.reject_digest.rows_said`).
    """

    kind: str
    file_name: str
    sha256: str
    source_crs: str
    rows_total: int
    problems: list[Problem] = field(default_factory=list)
    counts: UpsertCounts | None = None
    committed: bool = False
    import_id: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    rejected: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    within: Scope | None = None
    counties: list[CountyRows] = field(default_factory=list)
    valid_counts: UpsertCounts | None = None
    unused: list[str] = field(default_factory=list)
    fids: dict[int, int] = field(default_factory=dict)

    @property
    def rejected_rows(self) -> int:
        """Number of distinct rejected rows."""
        return len({p.row for p in self.problems if p.severity == "rejected"})

    @property
    def status(self) -> str:
        """``loaded``, ``partial``, ``rejected`` or ``dry-run``."""
        if not self.committed:
            return "dry-run" if self.counts is not None else "rejected"
        return "partial" if self.rejected_rows else "loaded"


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file, hex; of a folder (a ``.gdb``), of its files in name order.

    Parameters
    ----------
    path : pathlib.Path
        The file, or a file geodatabase's folder (each file's name and bytes are hashed).

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def source_crs(requested: str | None, declared: str | None) -> SourceCrs:
    """Choose the CRS of a file's coordinates: the user's, else the file's, else CGCS2000.

    Parameters
    ----------
    requested : str or None
        ``--crs``.
    declared : str or None
        CRS declared by a GIS file.

    Returns
    -------
    SourceCrs
        The CRS.

    Examples
    --------
    >>> source_crs(None, "EPSG:4326").name, source_crs("gcj02", "EPSG:4326").name
    ('wgs84', 'gcj02')
    """
    if requested:
        return SourceCrs.parse(requested)
    if declared:
        return SourceCrs.parse(_FILE_CRS.get(declared.upper(), declared))
    return SourceCrs.parse("cgcs2000")


def check_file(path: Path, options: ImportOptions, keys: Keys | None) -> CheckedFile:
    """Read, map and check a file by the row rules (no database).

    Parameters
    ----------
    path : pathlib.Path
        The file.
    options : ImportOptions
        Kind, CRS, mapping.
    keys : Keys or None
        Platform keys (persons, visits).

    Returns
    -------
    CheckedFile
        Checks and staged parts.
    """
    overrides = (
        load_mapping_file(options.mapping, options.mapping_name) if options.mapping else None
    )
    headers = overrides.columns if overrides is not None else None
    table = read_table(path, is_header=header_test(headers), layer=options.layer)
    name = path.name
    if table.sheet is not None:
        name += f"（工作表“{table.sheet}”）"
    if table.layer is not None:
        name += f"（图层“{table.layer}”）"
    if table.frame.empty:  # an export whose filter found nothing: nothing to import
        raise ReadError(f"{name}：只有表头，没有数据行，未导入。请检查导出时的筛选条件")
    return check_table(
        table,
        options,
        keys,
        file_name=name,
        sha256=file_sha256(path),
        overrides=overrides,
        stem=path.stem,
    )


def check_table(
    table: SourceTable,
    options: ImportOptions,
    keys: Keys | None,
    *,
    file_name: str,
    sha256: str,
    overrides: MappingFile | None = None,
    stem: str | None = None,
) -> CheckedFile:
    """Map and check a table already read (no database).

    Parameters
    ----------
    table : SourceTable
        The rows, as :func:`importers.reading.read_table` gives them.
    options : ImportOptions
        Kind, CRS, mapping.
    keys : Keys or None
        Platform keys (persons, visits).
    file_name, sha256 : str
        Where the rows come from (provenance).
    overrides : MappingFile, optional
        ``options.mapping`` already loaded; read from that file when not given.
    stem : str, optional
        The file's name without its extension: with the worksheet's, it may give a value
        the file lacks a column for (:mod:`importers.named_values`).

    Returns
    -------
    CheckedFile
        Checks and staged parts.
    """
    kind = KINDS[options.kind]
    if options.history and kind.name not in HISTORY_KINDS:
        raise MappingError(HISTORY_RULE)
    if overrides is None and options.mapping:
        overrides = load_mapping_file(options.mapping, options.mapping_name)
    overrides = MappingFile({}, {}) if overrides is None else keyed_by_field(overrides, kind)
    columns = resolve_columns(
        table.headers,
        kind.fields,
        overrides.columns,
        has_geometry=GEOMETRY_COLUMN in table.frame.columns,
        kind=kind.name,
        labels=kind.headers,
    )
    _refuse_corner_points(table.headers, columns, kind)
    frame, levels = _joined_levels(table.frame, columns, kind)
    frame, parties = _joined_parties(frame, columns, kind)
    derived = [joined for joined, _ in (levels, parties) if joined is not None]
    read = [header for _, headers in (levels, parties) for header in headers]
    # a mapping file that names the channel's column or values means the column as written
    mapped = "channel" in overrides.columns or "channel" in overrides.values
    media = (
        None
        if mapped
        else _intake_media(frame, columns, kind, options.fixed, [table.sheet_name, stem])
    )
    attributes = _attribute_columns(table.headers) if kind.name == "persons" else []
    unused = unused_columns(table.headers, columns, [*derived, *read, *attributes])
    fixed, notes = _values_of_every_row(kind, columns, options.fixed, [table.sheet_name, stem])
    notes += [media] if media else []
    replaced = replaced_note(columns, options.fixed, kind)
    notes += [replaced] if replaced else []
    frame, columns = add_fixed_columns(frame, columns, fixed, kind)
    frame = _without_placeholders(frame, columns, kind)
    header_crs = None if table.crs else coordinate_crs(columns)  # 百度经度, 经度（GCJ02）
    name_crs = None if table.crs or header_crs else named_crs([table.sheet_name, stem])
    told = header_crs or name_crs
    declared = table.crs or (told[0] if told else None)
    crs = source_crs(options.crs, declared)
    if told and not options.crs:
        source = "表头" if header_crs else "文件名"
        notes.append(f"坐标系按{source}“{told[1]}”读作 {CRS_NAMES[crs.kind]}")
    checks = RowChecks(
        frame,
        columns,
        values=overrides.values,
        labels=kind.headers,
        others=other_headers(kind),
        file_headers=[str(c) for c in table.frame.columns],  # not a --set's nor the name's
    )
    absent = absent_mapped_notes(table.headers, overrides.columns, kind.header)
    checks.notes += [*absent, *notes]
    checks.year = year_named([table.sheet_name, stem])
    if table.footers:
        checks.notes.append(footer_note(table.footers))
    geometry = GEOMETRY_COLUMN in table.frame.columns
    try:
        _require_columns(kind, checks)
    except MissingColumns as exc:  # refused: the mapping file's columns it lacks may be why
        other = likely_kind(table.headers, kind, has_geometry=geometry)
        if other is not None:  # or the file is another kind's: said first
            exc = exc.led_by(other.note())
        if not absent:
            raise exc from None
        raise MappingError(f"{'；'.join(absent)}。{exc}") from exc
    context = Context(crs=crs, keys=keys, file_name=file_name, history=options.history)
    try:
        parts = kind.prepare(checks, context)
    except MissingColumns as exc:  # a column its rows need (lon and lat …)
        other = likely_kind(table.headers, kind, has_geometry=geometry)
        raise (exc.led_by(other.note()) if other is not None else exc) from None
    unused = [  # a 罪名 of no category is not imported; a roster's 网格编码 is
        h for h in table.headers if h in {*unused, *checks.unstored} and h not in checks.read_beside
    ]
    refuse_too_long(checks, parts, kind.table)
    unconfirmed = None if options.crs else Unconfirmed(crs, declared=declared is not None)
    named = tuple(n for n in (table.sheet_name, stem) if n)
    return CheckedFile(
        checks,
        parts,
        crs,
        sha256,
        file_name,
        unconfirmed,
        fixed=fixed,
        named=named,
        unused=tuple(unused),
        derived=tuple(derived),
        fids=table.fids,
    )


HISTORY_KINDS = frozenset({"cases"})
"""The kinds ``--history`` applies to: records of events, which a file of the past concludes."""
HISTORY_RULE = (
    "--history 只用于案件（cases）文件：它把历史文件中仍未办结的案件按历史记录归档；"
    "其他类型的数据没有办理状态，请去掉 --history 后导入"
)
"""Why ``--history`` is refused for another kind."""


BOUNDARY = "边界"
"""The header of a unit's boundary (:attr:`Kind.headers`): grids' and jurisdictions' ``wkt``."""


def _refuse_corner_points(headers: list[str], columns: Mapping[str, str], kind: Kind) -> None:
    """Refuse a table of a unit's corner points (one row a point) as a file of boundaries.

    Read as a list of units, each unit's every point is a row of its name: the clerk would get
    a duplicate name for each, and no boundary (:func:`importers.mapping.corner_points`).
    """
    if kind.headers.get("wkt") != BOUNDARY or "wkt" in columns:
        return
    found = corner_points(headers)
    if found:
        raise MappingError(
            f"本文件是拐点坐标表（每行一个拐点：{'、'.join(found)}），不能读成{kind.label}边界："
            f"{kind.label}边界须为 WKT 列（如 POLYGON((经度 纬度, …))）或 GIS 文件（Shapefile、"
            "KML/KMZ、GeoPackage 等）。请在 GIS 软件（如 QGIS、ArcGIS、奥维互动地图）中把拐点"
            f"连成面后导出，再导入；只导入{kind.label}名单的，请删去拐点序号和坐标列、每个{kind.label}"
            "留一行"
        )


def _attribute_columns(headers: list[str]) -> list[str]:
    """Return a roster's columns of a category's own fields (原罪名, 矫正类别 …), read as such.

    :func:`importers.kinds` reads them into ``persons.attributes`` for the rows of their
    category: they are imported, though no field of the kind names them.
    """
    known = {normalise_header(key) for category in MODELS for key in attribute_headers(category)}
    return [h for h in headers if normalise_header(h) in known]


def _joined_levels(
    frame: pd.DataFrame, columns: dict[str, str], kind: Kind
) -> tuple[pd.DataFrame, tuple[str | None, list[str]]]:
    """Read a case file's classification split by level (一级分类 …) as one, in ``columns``.

    The levels are joined by :data:`importers.mapping.LEVELS_SEPARATOR` (empty ones left out)
    into a column named after them, which feeds the type unless another column of the file
    does (a level column named in a mapping file gives way to the joined levels, whose most
    specific known level types the case: :func:`importers.vocabulary.codes_in`).
    """
    levels = classification_levels(str(c) for c in frame.columns)
    if kind.name != "cases" or not levels or columns.get("category", levels[0]) not in levels:
        return frame, (None, [])
    joined_header = LEVELS_SEPARATOR.join(levels)
    columns["category"] = joined_header
    frame = frame.assign(**{joined_header: _joined(frame, levels, LEVELS_SEPARATOR)})
    return frame, (joined_header, levels)


def _joined_parties(
    frame: pd.DataFrame, columns: dict[str, str], kind: Kind
) -> tuple[pd.DataFrame, tuple[str | None, list[str]]]:
    """Read a ledger's 当事人 split in 甲方, 乙方 … as one reporter column, in ``columns``.

    Only when no column of the file but a party's feeds the reporter (``当事人（甲方）`` reads as
    当事人): the parties, joined by 、, are who reported the dispute, as a ledger's single 当事人
    column is.
    """
    parties = party_columns(str(c) for c in frame.columns)
    if (
        kind.name != "cases"
        or not parties
        or columns.get("reporter_name", parties[0]) not in parties
    ):
        return frame, (None, [])
    joined_header = f"当事人（{'、'.join(party_label(p) for p in parties)}）"
    columns["reporter_name"] = joined_header
    return frame.assign(**{joined_header: _joined(frame, parties, "、")}), (joined_header, parties)


def _joined(frame: pd.DataFrame, headers: list[str], separator: str) -> pd.Series:
    """Return the cells of ``headers`` joined by ``separator``, row by row (empty ones left out)."""
    joined = pd.Series("", index=frame.index, dtype=object)
    for header in headers:
        text = frame[header]
        between = np.where((joined != "") & text.notna(), separator, "")
        joined = joined + between + text.fillna("")
    return joined.where(joined != "", None)


def unused_columns(
    headers: list[str], columns: Mapping[str, str], derived: list[str] | None = None
) -> list[str]:
    """Return the file's columns that feed no field (a 序号 column aside), in file order.

    Parameters
    ----------
    headers : list of str
        The file's headers.
    columns : mapping
        Target field → source header.
    derived : list of str, optional
        Columns read through another (the levels of a joined classification).

    Returns
    -------
    list of str
        The headers not imported.

    Examples
    --------
    >>> unused_columns(["序号", "工单号", "承办单位", "事发地经度"], {"external_no": "工单号"})
    ['承办单位', '事发地经度']
    """
    used = {*columns.values(), *(derived or [])}
    return [h for h in headers if h not in used and normalise_header(h) != "序号"]


PLACEHOLDERS = frozenset({"/", "／", "\\", "-", "--", "—", "——", "－", "无", "暂无"})
"""What a clerk writes in a cell for "none" (``/`` in a 办结时间 of an open case)."""
_DATES_AND_NUMBERS = (
    "reported_at",
    "closed_at",
    "visited_on",
    "ended_on",
    "lon",
    "lat",
    "lonlat",
    "azimuth_deg",
    "fov_deg",
    "range_m",
)
"""Fields a placeholder is read as empty in, when the kind does not require them (in a text
column 无 may be meant, and an empty required cell is refused anyway)."""


def _without_placeholders(frame: pd.DataFrame, columns: dict[str, str], kind: Kind) -> pd.DataFrame:
    """Read :data:`PLACEHOLDERS` as empty cells in a kind's optional date and number columns."""
    optional = [f for f in _DATES_AND_NUMBERS if f in columns and f not in kind.required]
    emptied = {
        columns[f]: frame[columns[f]].where(~frame[columns[f]].isin(PLACEHOLDERS), None)
        for f in optional
        if frame[columns[f]].isin(PLACEHOLDERS).any()
    }
    return frame.assign(**emptied) if emptied else frame


T = TypeVar("T")


def other_headers(kind: Kind) -> dict[str, set[str]]:
    """Return, for each field of ``kind``, the headers other kinds give it and ``kind`` does not.

    Their synonyms that name other kinds' things count too (a village file is not offered a
    camera's 设备名称; :func:`importers.mapping.foreign_synonyms`). A missing-column message
    does not offer them (:class:`importers.rules.MissingColumns`).

    Parameters
    ----------
    kind : Kind
        What is imported.

    Returns
    -------
    dict
        Field → headers (empty for a field no other kind names otherwise).

    Examples
    --------
    >>> sorted(other_headers(KINDS["video"])["name"])[:3]
    ['wgmc', 'xzqhmc', 'xzqmc']
    >>> {"设备名称", "姓名"} <= other_headers(KINDS["jurisdictions"])["name"]
    True
    """
    return {
        field: (
            {k.headers[field] for k in KINDS.values() if field in k.headers}
            | foreign_synonyms(field, kind.name)
        )
        - {kind.header(field)}
        for field in kind.fields
    }


def keyed_by_field(mapping: MappingFile, kind: Kind) -> MappingFile:
    """Return a mapping file's tables keyed by field, however the clerk named the fields.

    A clerk writes ``{"经度": "东经"}`` or ``[values."人员类别"]`` as readily as ``{"lon": "东经"}``
    (:meth:`importers.kinds.Kind.field_named`).

    Parameters
    ----------
    mapping : MappingFile
        As read (:func:`importers.mapping.load_mapping_file`).
    kind : Kind
        What is imported.

    Returns
    -------
    MappingFile
        The same tables, keyed by field name.

    Raises
    ------
    MappingError
        If a key names no field of the kind, or two keys name one field.

    Examples
    --------
    >>> keyed_by_field(MappingFile({"经度": "东经"}, {"人员类别": {"刑释": "刑满释放人员"}}),
    ...                KINDS["persons"])
    MappingFile(columns={'lon': '东经'}, values={'category': {'刑释': '刑满释放人员'}})
    """

    def keyed(table: Mapping[str, T], where: str) -> dict[str, T]:
        out: dict[str, T] = {}
        named: dict[str, str] = {}
        for key, value in table.items():
            field = kind.field_named(key)
            if field is None:
                raise MappingError(
                    f"映射文件{where}中的“{key}”不是{kind.label}的字段；可用：{kind.known_fields()}"
                )
            if field in out:
                raise MappingError(f"映射文件{where}中的“{named[field]}”和“{key}”是同一字段")
            out[field], named[field] = value, key
        return out

    return MappingFile(keyed(mapping.columns, ""), keyed(mapping.values, " values 表"))


def _intake_media(
    frame: pd.DataFrame,
    columns: dict[str, str],
    kind: Kind,
    given: dict[str, str],
    names: list[str | None],
) -> str | None:
    """Leave out a 12345 export's 受理渠道 when it says how citizens called, not the channel.

    A hotline's export names its intake media there (电话, 微信, 网站): its 微信 rows would be
    refused and its 电话 rows read as the centre's own 来电. When every value is such a medium,
    some not a channel at all, or the media beside the very channel the worksheet's or file's
    name names (``12345工单….xlsx``: 12345热线, 网上留言, 微信公众号), the column is not read as
    the channel (the name gives it, as to a file without the column), and the note returned
    says so; ``None`` otherwise.
    """
    header = columns.get("channel") if kind.name == "cases" and "channel" not in given else None
    if header is None:
        return None
    written = [str(v) for v in frame[header].dropna().unique()]
    keys = {vocabulary.value_key(v) for v in written}
    media = keys & vocabulary.INTAKE_MEDIA
    if not media:
        return None
    named, _ = values_named([n for n in names if n], {"channel": Channel}, kind.header)
    if "channel" not in named:
        return None
    # beside the media, only the channel the name gives (12345热线 among 网上留言, 微信公众号:
    # trial AG's rows refused); all of them channels and none the name's: the column is read
    others = [v for v in written if vocabulary.value_key(v) not in media]
    channel = vocabulary.codes_of(pd.Series([named["channel"]], dtype=object), Channel).iloc[0]
    if others and set(vocabulary.codes_of(pd.Series(others, dtype=object), Channel)) != {channel}:
        return None
    if not others and vocabulary.codes_of(pd.Series(written, dtype=object), Channel).notna().all():
        return None
    del columns["channel"]
    shown = "、".join(written[:5]) + ("等" if len(written) > 5 else "")
    return f"“{header}”列是群众反映的方式（{shown}），不作{kind.header('channel')}"


def _values_of_every_row(
    kind: Kind, columns: dict[str, str], given: dict[str, str], names: list[str | None]
) -> tuple[dict[str, str], list[str]]:
    """Return the values every row takes for fields the file lacks, and the notes saying so.

    ``--set`` gives them; else, for :attr:`Kind.named_by_file` fields, the worksheet's or the
    file's name (:func:`importers.named_values.values_named`).
    """
    lacking = {f: t for f, t in kind.named_by_file.items() if f not in columns and f not in given}
    named, notes = values_named([n for n in names if n], lacking, kind.header)
    return {**named, **given}, notes


def _require_columns(kind: Kind, checks: RowChecks) -> None:
    """Refuse a file without a required column.

    A boundary file may name its units instead of coding them; a ledger of cases may have no
    source numbers (its rows are numbered by what they say:
    :func:`importers.kinds.cases.ledger_numbers`).
    """
    by_name = kind.coded_by_name and not checks.has("code") and checks.has("name")
    ledger = kind.numbered_by_content and not checks.has("external_no")
    spared = {"code"} if by_name else {"external_no"} if ledger else set()
    choices = {f: [m.label for m in table] for f, table in kind.named_by_file.items()}
    checks.require(*(f for f in kind.required if f not in spared), choices=choices)
    if by_name:
        checks.notes.append(
            f"文件没有{kind.header('code')}列：按{kind.header('name')}对应数据库中已有的{kind.label}"
        )
    if ledger:
        checks.notes.append(LEDGER_NOTE)


def run_import(
    conn: Connection,
    path: Path,
    options: ImportOptions,
    *,
    keys: Keys | None = None,
    progress: ImportProgress | None = None,
) -> ImportOutcome:
    """Import a file in one transaction (a savepoint if ``conn`` is already in one).

    Parameters
    ----------
    conn : sqlalchemy.Connection
        Owner-role connection; the import runs with scope = all.
    path : pathlib.Path
        The file.
    options : ImportOptions
        What to do.
    keys : Keys, optional
        Platform keys (required for persons and visits).
    progress : ImportProgress, optional
        Told of each step (see :mod:`importers.progress`) and of the rows copied.

    Returns
    -------
    ImportOutcome
        What happened; nothing is written unless ``outcome.committed``.
    """
    if progress is not None:
        progress.step("read", None)
    return import_checked(conn, check_file(path, options, keys), options, progress=progress)


def load_options(
    options: ImportOptions,
    checked: CheckedFile,
    import_id: int,
    *,
    within: Scope | None = None,
    resent: bool = False,
) -> LoadOptions:
    """Return how the checked rows of an import load.

    A dry run goes on with the valid rows, to count what they would do; so does a file sent
    again, until its load tells whether it would take rows back.

    Parameters
    ----------
    options : ImportOptions
        What to do.
    checked : CheckedFile
        The checked rows (of a file, or of one part of an import, as a province of
        :func:`importers.official.import_divisions`).
    import_id : int
        ``import_runs.id`` of the import.
    within : Scope, optional
        The jurisdiction ``--within`` names.
    resent : bool
        The same file was imported before, and other files of its kind since.

    Returns
    -------
    LoadOptions
        For :func:`importers.loading.load`.
    """
    return LoadOptions(
        partial=options.partial or options.dry_run or resent,
        import_id=import_id,
        user=options.user,
        tolerance_m=options.tolerance_m,
        defer=False if options.dry_run else options.defer,
        unconfirmed_crs=checked.crs_unconfirmed,
        limits_config=options.limits_config,
        within=within,
        named=checked.named,
        complete=options.complete,
        history=options.history,
        hold_at_county=options.hold_at_county,
        given_crs=None if checked.crs_unconfirmed else checked.crs.name,
        sha256=checked.sha256,
        again=options.again,
        trial=options.dry_run,
    )


def import_checked(
    conn: Connection,
    checked: CheckedFile,
    options: ImportOptions,
    *,
    progress: ImportProgress | None = None,
) -> ImportOutcome:
    """Load checked rows in one transaction (a savepoint if ``conn`` is already in one).

    With ``options.within`` a file of persons or visits finds persons by resident ID inside it
    only: a row whose ID is on record outside it is refused (:mod:`importers.loading`), and
    audited under the record it met once the transaction has ended, in a dry run too
    (:func:`_audit_met_elsewhere`).

    Parameters
    ----------
    conn : sqlalchemy.Connection
        Owner-role connection; the import runs with scope = all.
    checked : CheckedFile
        From :func:`check_file` or :func:`check_table`.
    options : ImportOptions
        What to do.
    progress : ImportProgress, optional
        Told of each step (see :mod:`importers.progress`) and of the rows copied.

    Returns
    -------
    ImportOutcome
        What happened; nothing is written unless ``outcome.committed``.

    Raises
    ------
    importers.within.WithinError
        If ``options.within`` names no jurisdiction of the database (nothing is written).
    Superseded
        If the same file was imported before, other files of its kind since, and importing
        it again would change rows on record, unless ``options.again`` (nothing is written).
    NothingListed
        If ``options.complete`` and no row passed the row checks or the database's (nothing
        is written, in a dry run too).
    """
    checks = checked.checks
    if options.complete and nothing_listed(checks):  # refused before the database is read
        raise NothingListed(checked, options.kind)
    base = ImportOutcome(
        kind=options.kind,
        file_name=checked.file_name,
        sha256=checked.sha256,
        source_crs=checked.crs.name,
        rows_total=len(checks.frame),
        columns={f: h for f, h in checks.columns.items() if f not in checked.fixed},
        unused=list(checked.unused),
        fids=checked.fids,
    )
    met: list[person_lookalikes.MetElsewhere] = []  # rows refused: their IDs are elsewhere
    ended: ImportOutcome | None = None
    try:
        ended = _import_in_transaction(conn, checked, options, base, met, progress)
    finally:  # audited whether the import committed, rolled back or failed (trial AJ S1–S3)
        _audit_met_elsewhere(conn, met, checked, options, ended)
    return ended


def _import_in_transaction(
    conn: Connection,
    checked: CheckedFile,
    options: ImportOptions,
    base: ImportOutcome,
    met: list[person_lookalikes.MetElsewhere],
    progress: ImportProgress | None,
) -> ImportOutcome:
    """Run :func:`import_checked`'s transaction; ``met`` is given the rows refused as elsewhere."""
    checks = checked.checks
    with import_transaction(conn) as finish:
        raw: Any = conn.connection.driver_connection
        within = find_scope(raw, options.within) if options.within is not None else None
        resent = None if options.again else superseded(conn, checked, options.kind)
        import_id = import_runs.start_run(
            conn,
            kind=base.kind,
            file_name=base.file_name,
            sha256=base.sha256,
            source_crs=base.source_crs,
            user=options.user,
            rows_total=base.rows_total,
            crs_assumed=checked.crs_unconfirmed is not None,
            area_code=within.code if within is not None else None,
        )
        loaded = load(
            raw,
            KINDS[options.kind],
            checked.parts,
            checks,
            load_options(options, checked, import_id, within=within, resent=resent is not None),
            progress,
            met,
        )
        if options.complete and nothing_listed(checks):  # its rows failed the database's checks
            raise NothingListed(checked, options.kind)  # everything rolled back
        counts = loaded.counts if loaded is not None else None
        if resent is not None and counts is not None and counts.updated:  # takes rows back
            raise resent.refusal(counts.updated)
        if options.kind == "workers" and counts is not None and counts.inserted:
            checks.notes += unsaid_status_notes(checks, counts.inserted)
        problems = _final(checks.problems)
        rejected = sorted({p.row for p in problems if p.severity == "rejected"})
        refused = bool(rejected) and not options.partial
        outcome = replace(
            base,
            problems=problems,
            notes=written_rows_notes(checks.notes, set(rejected)),
            counts=None if refused else counts,
            valid_counts=counts if refused else None,
            rejected=checks.frame.loc[rejected].drop(columns=list(checked.derived)),
            within=within,
            counties=loaded.counties if loaded is not None else [],
        )
        return finish(outcome, import_id, dry_run=options.dry_run)


def written_rows_notes(notes: list[str], rejected: set[int]) -> list[str]:
    """Return the notes, those that count rows (分类对照) counted again without ``rejected``.

    Written by the row checks, they counted rows the database's checks rejected later, or that
    a refused import never wrote (trial AL N4); a note none of whose rows is left goes.

    Parameters
    ----------
    notes : list of str
        The import's notes.
    rejected : set of int
        The rejected rows' numbers.

    Returns
    -------
    list of str
        The notes, in order.
    """
    counted: list[str] = []
    for note in notes:
        if isinstance(note, Readings) and rejected:
            recounted = note.without(rejected)
            if recounted is not None:
                counted.append(recounted)
            continue
        counted.append(note)
    return counted


def _audit_met_elsewhere(
    conn: Connection,
    met: list[person_lookalikes.MetElsewhere],
    checked: CheckedFile,
    options: ImportOptions,
    ended: ImportOutcome | None,
) -> None:
    """Audit each row refused because its resident ID is on record outside ``--within``.

    One ``person.import.refused`` entry per row under the record it met
    (:func:`layers.person_lookalikes.audit_refusals`), by the import's user, in a transaction of
    its own once the import's has ended: a dry run, a refused file and a committed import alike
    (a person's look-up in the audit log finds who imported their ID). The entries say the
    kind, the file's masked name and checksum, the row, whether it was a dry run, and the
    import when it committed; never the row's data.
    """
    if not met:
        return
    detail = {
        "kind": options.kind,
        "file": audit.masked_ids(checked.file_name),
        "sha256": checked.sha256,
        "dry_run": options.dry_run,
        "import_id": ended.import_id if ended is not None and ended.committed else None,
    }
    transaction = conn.begin_nested() if conn.in_transaction() else conn.begin()
    try:
        person_lookalikes.audit_refusals(conn, met, user=options.user, detail=detail)
    except BaseException:
        transaction.rollback()
        raise
    transaction.commit()


class FinishImport(Protocol):
    """The end of an import's transaction: see :func:`import_transaction`."""

    def __call__(self, outcome: ImportOutcome, import_id: int, *, dry_run: bool) -> ImportOutcome:
        """Commit ``outcome``'s rows unless refused or a dry run; return it as it ended."""
        ...  # pragma: no cover


@contextmanager
def import_transaction(conn: Connection) -> Iterator[FinishImport]:
    """Run an import in one transaction (a savepoint if ``conn`` is already in one), scope = all.

    The block starts the import's run, loads, and ends with the function this yields,
    ``finish(outcome, import_id, *, dry_run)``: it rolls everything back if the outcome was
    refused (``outcome.counts`` is ``None``) or for a dry run, else records the run as finished
    (rows loaded and rejected), writes it to the audit log (``import.loaded``,
    :func:`audit_import`) and commits; it returns the outcome, marked committed with its
    ``import_id`` if it was. An exception, or a block that ends without ``finish``, rolls back:
    the audit entry with the rows, so a refused or tried import leaves none.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        Owner-role connection.

    Yields
    ------
    FinishImport
        The function that ends the import.
    """
    transaction = conn.begin_nested() if conn.in_transaction() else conn.begin()

    def finish(outcome: ImportOutcome, import_id: int, *, dry_run: bool) -> ImportOutcome:
        counts = outcome.counts
        if counts is None or dry_run:
            transaction.rollback()
            return outcome
        # without --within, the one county its rows lie in (a commander of it follows it)
        one = outcome.counties[0].code if len(outcome.counties) == 1 else None
        run = import_runs.finish_run(
            conn,
            import_id,
            loaded=counts.inserted + counts.updated,
            rejected=outcome.rejected_rows,
            area_code=one,
            written=import_runs.WrittenRows(
                counts.inserted, counts.updated, counts.unchanged, counts.ended
            ),
        )
        audit_import(conn, run)
        transaction.commit()
        return replace(outcome, committed=True, import_id=import_id)

    try:
        apply_scope(conn, None)
        yield finish
    finally:
        if transaction.is_active:
            transaction.rollback()


def audit_import(conn: Connection, run: import_runs.ImportRecord) -> None:
    """Append ``import.loaded`` for a finished import to the audit log, in its transaction.

    The actor is the import's user (``--user`` or the OS user); the entry is about the import
    (``object_type`` ``import``, ``object_id`` its id) and says its kind, file name (a resident
    ID in it masked), SHA-256 and row counts, never a row's content.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        The import's connection, inside its transaction.
    run : layers.import_runs.ImportRecord
        The import as :func:`layers.import_runs.finish_run` recorded it.
    """
    file_name = audit.masked_ids(run.file_name)
    raw: Any = conn.connection.driver_connection
    audit.record_each(
        raw,
        [str(run.id)],
        actor_name=run.username,
        action="import.loaded",
        object_type="import",
        detail={
            "kind": run.kind,
            "file": file_name,
            "sha256": run.sha256,
            "import_id": run.id,
            "rows_total": run.rows_total,
            "rows_loaded": run.rows_loaded,
            "rows_rejected": run.rows_rejected,
        },
    )


def unsaid_status_notes(checks: RowChecks, new_workers: int) -> list[str]:
    """Say that the new workers a roster gives no 在岗状态 are recorded 离岗.

    A new worker the roster says nothing of is off duty until the worker app says otherwise
    (:data:`layers.worker_identity.NEW_STATUS`): never dispatched, which a township that
    sent a roster without a 状态 column does not expect. A worker on record keeps their status.

    Parameters
    ----------
    checks : RowChecks
        The roster's checks (rejected rows are not counted).
    new_workers : int
        The workers the import adds.

    Returns
    -------
    list of str
        The note, or none when every row gives a status.
    """
    blank = int((checks.text("status").isna() & ~checks.bad).sum())
    if checks.has("status") and not blank:
        return []
    if not checks.has("status") or blank == int((~checks.bad).sum()):
        return [UNSAID_STATUS.format(n=new_workers)]
    return [f"{blank} 行未填在岗状态：其中的新网格员记为离岗（不派单），库中已有的网格员状态不变"]


UNSAID_STATUS = (
    "{n} 名新网格员未填在岗状态，记为离岗（不派单）；在岗的请在状态列填写在岗，"
    "或整个文件加 --set 状态=在岗"
)
"""Said of the new workers of a roster without a 状态 (:func:`unsaid_status_notes`)."""


class NothingListed(ValueError):
    """A ``--complete`` list none of whose rows passed the checks (nothing is written).

    Taken as the whole list of its area, it would end everything on record there.

    Parameters
    ----------
    checked : CheckedFile
        The file: its name, and the problems of its rows, for the reject report.
    kind : str
        What it was imported as.
    """

    def __init__(self, checked: CheckedFile, kind: str) -> None:
        super().__init__(nothing_listed_rule(checked.file_name))
        checks = checked.checks
        self.outcome = ImportOutcome(
            kind=kind,
            file_name=checked.file_name,
            sha256=checked.sha256,
            source_crs=checked.crs.name,
            rows_total=len(checks.frame),
            problems=_final(checks.problems),
            columns={f: h for f, h in checks.columns.items() if f not in checked.fixed},
            fids=checked.fids,
        )
        """What the checks found (nothing written): the report's rows."""


def nothing_listed(checks: RowChecks) -> bool:
    """Tell whether every row of a file was rejected (so far: the database checks add some).

    Parameters
    ----------
    checks : RowChecks
        The file's checks.

    Returns
    -------
    bool
        Whether no row is left to list anything.
    """
    turned_down = {p.row for p in checks.problems if p.severity == "rejected"}
    return not set(checks.frame.index) - turned_down


def nothing_listed_rule(file_name: str) -> str:
    """Say why a ``--complete`` file none of whose rows passed is refused, and what to do.

    Examples
    --------
    >>> nothing_listed_rule("点位.csv").split("：")[:2]
    ['点位.csv', '没有一行通过检查，不能当作本辖区的全部名单导入（--complete）']
    """
    return (
        f"{file_name}：没有一行通过检查，不能当作本辖区的全部名单导入（--complete）："
        "那样会撤销（注销）本辖区库中在用的全部记录。请按退回报告改正后再导入"
    )


class Superseded(ValueError):
    """The file was imported before, and newer files changed its rows (see :func:`superseded`)."""


_SHEET_PART = re.compile(r"（(?:工作表|图层)“[^”]*”）$")


def sheet_part(file_name: str) -> str:
    """Return the end of a recorded file name that names its worksheet or layer, if any.

    Parameters
    ----------
    file_name : str
        As an import records it (:func:`check_file`).

    Returns
    -------
    str
        ``（工作表“盘溪镇”）``, ``（图层“grids”）``, or ``""``.

    Examples
    --------
    >>> sheet_part("花名册.xlsx（工作表“盘溪镇”）"), sheet_part("花名册.csv")
    ('（工作表“盘溪镇”）', '')
    """
    found = _SHEET_PART.search(file_name)
    return found.group(0) if found else ""


@dataclass(frozen=True)
class Resent:
    """A file imported before, with other files of its kind imported since (:func:`superseded`).

    Attributes
    ----------
    kind : str
        What it is imported as.
    earlier : layers.import_runs.ImportRecord
        Its latest import.
    later : layers.import_runs.ImportRecord
        The latest import of another file of its kind since.
    """

    kind: str
    earlier: import_runs.ImportRecord
    later: import_runs.ImportRecord

    def refusal(self, changed: int) -> Superseded:
        """Return the refusal of the file, whose import would change ``changed`` rows on record.

        Examples
        --------
        >>> from dataclasses import replace
        >>> from datetime import UTC, datetime
        >>> run = import_runs.ImportRecord(
        ...     3, "workers", "9月花名册.csv", "", "-", "网格办", "loaded",
        ...     datetime(2026, 9, 30, 2, tzinfo=UTC), 2, 2, 0)
        >>> later = replace(run, id=4, file_name="10月花名册.csv")
        >>> said = str(Resent("workers", run, later).refusal(1)).split("。")
        >>> said[0].split("，")[-1], said[1].split("：")[1]
        ('导入编号 4）', '库中有 1 行已与此文件不同')
        """
        earlier, later = self.earlier, self.later
        return Superseded(
            f"此文件（内容相同）已于 {earlier.started} 导入过（导入编号 {earlier.id}），"
            f"之后又导入过其他{KINDS[self.kind].label}文件（最近一次：{later.file_name}，"
            f"{later.started}，导入编号 {later.id}）。再导入它会用其中较旧的数据覆盖之后的更新"
            f"（{LATER_UPDATES[self.kind]}）：库中有 {changed} 行已与此文件不同。"
            "如确要按此文件重新导入，请加 --again"
        )


def superseded(conn: Connection, checked: CheckedFile, kind: str) -> Resent | None:
    """Return the file's earlier import when files of its kind were imported since.

    Importing the same file again changes nothing, as long as it is still the newest word on
    what it lists. A township that sends last month's roster again would take back what the
    rosters since then said (who left, who moved, who was struck off the register), row by
    row and without a word: such a file is refused, naming both imports, and ``--again``
    imports it all the same. The refusal is row-aware: :func:`run_import` loads the file
    (in its transaction) and refuses it only when that would change rows on record (its
    upsert's ``updated``): rows that a later file, or someone here, changed since. A file
    resent after files that share no rows with it (last year's 12345 export after a ledger)
    changes nothing and is imported (as nothing). The test costs no query of its own: the
    upsert counts what differs, set-based, as every import does.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A connection that sees every import.
    checked : CheckedFile
        The file.
    kind : str
        What it is imported as.

    Returns
    -------
    Resent or None
        The earlier import and the latest other one since, ``None`` when the file was never
        imported or nothing of its kind was imported since.
    """
    part = sheet_part(checked.file_name)
    earlier = import_runs.earlier_run(conn, checked.sha256, kind, part=part)
    later = import_runs.superseding_run(conn, earlier) if earlier is not None else None
    if earlier is None or later is None:
        return None
    return Resent(kind, earlier, later)


LATER_UPDATES = {
    "jurisdictions": "如名称、边界的修改，撤销",
    "grids": "如网格名称、边界、网格长的修改，撤销",
    "workers": "如离职、调动、手机号变更",
    "video": "如点位、朝向、在线状态的修改",
    "cases": "如办理状态、地址的更正",
    "persons": "如注销、迁出、帮扶责任人变更",
    "visits": "如走访情况的更正",
}
"""What a file sent again would take back, by kind, as :func:`superseded` says it."""


def _final(problems: list[Problem]) -> list[Problem]:
    """Drop repair notes of rows that are rejected anyway."""
    rejected = {p.row for p in problems if p.severity == "rejected"}
    return [p for p in problems if p.severity == "rejected" or p.row not in rejected]
