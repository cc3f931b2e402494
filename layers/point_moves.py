"""Staged points against the records they update: one pass for the CRS evidence and the moves.

An import whose rows update records on file (same device code, case number, person) learns
two things from the same join of its staging table to the records: a sample of positions for
the CRS check (:mod:`importers.crs_check`), and every row whose point lies more than a given
distance from its record's (a camera moved 320 m, or a row typed from another map). One
statement does both: the staging table is read once, each row looks its record up by the
natural key's unique index, and only the sampled rows and the moved ones come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import ROW_COLUMN, staged_rows
from layers.import_checks import OnRecord, matched_on

SAMPLE = 10000
"""Most staged rows whose positions go to the CRS check (every k-th over the file)."""


@dataclass(frozen=True)
class Moved:
    """A staged row whose point lies far from its record's (CGCS2000).

    Attributes
    ----------
    row : int
        The row number in the file.
    metres : float
        How far the row's point lies from its record's (on the sphere).
    lon, lat : float
        The row's point.
    record_lon, record_lat : float
        Its record's point.
    """

    row: int
    metres: float
    lon: float
    lat: float
    record_lon: float
    record_lat: float


@dataclass(frozen=True)
class Matched:
    """What the join of the staged points to their records found.

    Attributes
    ----------
    sample : OnRecord
        Up to :data:`SAMPLE` rows spread over the file, with their records' positions.
    moved : list of Moved
        Every row farther than the distance asked from its record, in file order.
    """

    sample: OnRecord
    moved: list[Moved]


def match_points(
    conn: psycopg.Connection[Any],
    staging: str,
    point: str,
    table: str,
    key: Sequence[str],
    *,
    moved_m: float,
    limit: int = SAMPLE,
) -> Matched:
    """Return a sample of the staged points that update a record, and those that move far.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    point : str
        Its point column, named as in ``table``.
    table : str
        The real table.
    key : sequence of str
        The natural key columns (staged, and in ``table``).
    moved_m : float
        Rows whose point lies farther than this (metres) from their record's are returned
        in :attr:`Matched.moved`.
    limit : int
        Most staged rows in the sample.

    Returns
    -------
    Matched
        The sample (file order) and the rows moved.
    """
    every = max(1, staged_rows(conn, staging) // limit)
    p = sql.Identifier(point)
    rows = conn.execute(
        sql.SQL(
            "SELECT row, ST_X(a), ST_Y(a), ST_X(b), ST_Y(b), metres, row %% %s = 0 FROM ("
            " SELECT s.{row} AS row, s.{p} AS a, t.{p} AS b,"
            " ST_DistanceSphere(s.{p}, t.{p}) AS metres"
            " FROM {s} AS s JOIN {t} AS t ON {on}"
            " WHERE s.{p} IS NOT NULL AND t.{p} IS NOT NULL) AS m"
            " WHERE row %% %s = 0 OR metres > %s ORDER BY row"
        ).format(
            row=sql.Identifier(ROW_COLUMN),
            p=p,
            s=sql.Identifier(staging),
            t=sql.Identifier(table),
            on=matched_on(key),
        ),
        (every, every, moved_m),
    ).fetchall()
    sampled = [r for r in rows if r[6]][:limit]
    sample = OnRecord(*([float(r[i]) for r in sampled] for i in range(1, 5)))
    moved = [Moved(int(r[0]), float(r[5]), *map(float, r[1:5])) for r in rows if r[5] > moved_m]
    return Matched(sample, moved)


def imported_before_in(conn: psycopg.Connection[Any], sha256: str, kind: str, crs: str) -> bool:
    """Tell whether the same file was imported (and committed) as ``kind`` read in ``crs``.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    sha256 : str
        The file's checksum.
    kind : str
        What it is imported as.
    crs : str
        The source CRS's name as recorded (``cgcs2000``, ``gcj02`` …).

    Returns
    -------
    bool
        Such an import loaded some of its rows.
    """
    found = conn.execute(
        "SELECT EXISTS (SELECT FROM import_runs WHERE sha256 = %s AND kind = %s"
        " AND source_crs = %s AND status IN ('loaded', 'partial'))",
        (sha256, kind, crs),
    ).fetchone()
    return bool(found and found[0])


WITH_IMPORT_ID = frozenset({"persons", "cases"})
"""The tables whose records name the import that last wrote them (``import_id``)."""


def assumed_crs(
    conn: psycopg.Connection[Any], staging: str, table: str, key: Sequence[str], point: str
) -> str | None:
    """Return the one CRS the imports that wrote the records the staged rows update assumed.

    A roster read in an assumed CRS (no ``--crs``, none the file confirmed) put its points
    where that reading puts them; a later file of the same records that gives its ``--crs``
    corrects them, whatever its checksum (trial AD: the fixed roster was refused, only the
    old file with its errors could correct them).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        The staging table (with ``point``).
    table : str
        The records' table: one of :data:`WITH_IMPORT_ID` (else ``None``).
    key : sequence of str
        The natural key joining a staged row to its record.
    point : str
        The geometry column of both.

    Returns
    -------
    str or None
        The CRS name (``cgcs2000`` …) when some staged rows update a record with a point and
        every such record was last written by an import that assumed that one CRS; else None
        (a CRS given or confirmed, several, or no record).
    """
    if table not in WITH_IMPORT_ID:
        return None
    p = sql.Identifier(point)
    found = conn.execute(
        sql.SQL(
            "SELECT count(*), count(*) FILTER (WHERE r.crs_assumed),"
            " count(DISTINCT r.source_crs) FILTER (WHERE r.crs_assumed),"
            " min(r.source_crs) FILTER (WHERE r.crs_assumed)"
            " FROM {s} AS s JOIN {t} AS t ON {on} LEFT JOIN import_runs AS r ON r.id = t.import_id"
            " WHERE s.{p} IS NOT NULL AND t.{p} IS NOT NULL"
        ).format(s=sql.Identifier(staging), t=sql.Identifier(table), on=matched_on(key), p=p),
    ).fetchone()
    if found is None or not found[0] or found[1] != found[0] or found[2] != 1:
        return None
    return str(found[3])
