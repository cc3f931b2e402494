"""The database checks and staging statements of an import, on its TEMP staging tables.

Everything runs on the caller's psycopg connection inside the caller's transaction. The checks
look staged rows up in the real tables (jurisdictions, grids, persons, workers) and return what
they find as plain data: the staging row number (:data:`layers.bulk.ROW_COLUMN`), with the
offending value where there is one. Turning those into report lines is the importer's job.

The checks of one kind's rows live beside it: the workers a file names in
:mod:`layers.worker_matches`, the visits' in :mod:`layers.visit_checks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql

from layers.bulk import ROW_COLUMN, staged_columns, staged_rows
from layers.model.base import SRID
from layers.model.jurisdictions import Level

_ROW = sql.Identifier(ROW_COLUMN)


@dataclass(frozen=True)
class Outside:
    """A staged geometry lying outside its jurisdiction by more than the tolerance.

    Attributes
    ----------
    row : int
        Staging row number.
    area_code : str
        The jurisdiction it should lie in.
    distance_m : float
        Its distance from the jurisdiction's boundary, in metres, rounded.
    lon, lat : float
        The point checked (CGCS2000): the point itself, or a point on a polygon's surface.
    """

    row: int
    area_code: str
    distance_m: float
    lon: float
    lat: float


def drop_staging(conn: psycopg.Connection[Any], staging: str, *, if_exists: bool = False) -> None:
    """Drop a staging table.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    if_exists : bool
        Do nothing when there is no such table (instead of failing).
    """
    statement = "DROP TABLE IF EXISTS {}" if if_exists else "DROP TABLE {}"
    conn.execute(sql.SQL(statement).format(sql.Identifier(staging)))


def delete_staged_rows(conn: psycopg.Connection[Any], staging: str, rows: Sequence[int]) -> None:
    """Delete rows from a staging table by their row number.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    rows : sequence of int
        Row numbers to delete.
    """
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(sql.Identifier(staging), _ROW),
        (list(rows),),
    )


EVENT_DAYS = {
    "reported_at": "({a}.reported_at AT TIME ZONE 'Asia/Shanghai')::date",
    "visited_on": "{a}.visited_on",
}
"""Staged columns that date an event row (a case's, a visit's) → SQL of its local day over
alias ``{a}``. Such a row belongs to the units in use on its day: one dated before a unit's
``retired_on`` is placed in that unit (:func:`fill_area_codes_from_points`)."""


def event_day(conn: psycopg.Connection[Any], staging: str, alias: str) -> sql.Composable | None:
    """Return the SQL of a staged event row's local day (alias ``alias``), if its rows are dated.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    alias : str
        The staging table's alias in the statement.

    Returns
    -------
    psycopg.sql.Composable or None
        The day (:data:`EVENT_DAYS`); ``None`` for rows of current records (persons, cameras).
    """
    columns = staged_columns(conn, staging)
    column = next((c for c in EVENT_DAYS if c in columns), None)
    if column is None:
        return None
    return sql.SQL(EVENT_DAYS[column]).format(a=sql.Identifier(alias))


def any_retired_bounded(conn: psycopg.Connection[Any], table: str) -> bool:
    """Whether ``table`` has a retired unit with a boundary (one a dated point may lie in).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    table : str
        ``jurisdictions`` or ``grids``.

    Returns
    -------
    bool
        True when a dated row's place may be a unit since retired: only then is it looked up.
    """
    found = conn.execute(
        sql.SQL(
            "SELECT EXISTS (SELECT FROM {} WHERE retired_on IS NOT NULL AND boundary IS NOT NULL)"
        ).format(sql.Identifier(table))
    ).fetchone()
    return found == (True,)


def fill_area_codes_from_points(
    conn: psycopg.Connection[Any], staging: str, geometry: str
) -> dict[int, list[int]]:
    """Set each staged row's missing area code to the deepest unit whose boundary covers it.

    The village where villages have boundaries; else the township, the county: a centre that
    loaded only the official boundaries down to its counties still places its cases. A retired
    unit (``retired_on``) places no current record: its boundary may lie under its successor's.
    An event row (a case, :data:`EVENT_DAYS`) is placed in the units in use on its day: a unit
    retired after that day places it, before the unit that took it over (history stays where
    it happened, and a file imported again after a re-division moves nothing).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name (with an ``area_code`` column).
    geometry : str
        Its geometry column.

    Returns
    -------
    dict
        Level (:class:`layers.model.Level`) → the row numbers placed in a unit of that level
        (the summary counts those above the township among the rows loaded: a row refused
        afterwards, outside ``--within`` say, is not said to be loaded, trial AR M5).
    """
    names = {"s": sql.Identifier(staging), "g": sql.Identifier(geometry)}
    unplaced = sql.SQL(
        "SELECT count(*) FROM {s} AS s WHERE s.area_code IS NULL AND s.{g} IS NOT NULL"
    ).format(**names)
    left = _count(conn, unplaced)
    placed: dict[int, list[int]] = {}
    if left == 0:
        return placed
    day = event_day(conn, staging, "t")
    fill = sql.SQL(
        "UPDATE {s} AS s SET area_code = j.code FROM jurisdictions AS j "
        "WHERE s.area_code IS NULL AND s.{g} IS NOT NULL AND j.level = %s "
        "AND j.boundary IS NOT NULL AND j.retired_on IS NULL AND ST_Covers(j.boundary, s.{g})"
    ).format(**names)
    if day is not None and any_retired_bounded(conn, "jurisdictions"):
        fill = sql.SQL(
            "UPDATE {s} AS s SET area_code = f.code FROM ("
            " SELECT DISTINCT ON (t.{row}) t.{row} AS row, j.code FROM {s} AS t"
            " JOIN jurisdictions AS j ON j.level = %s AND j.boundary IS NOT NULL"
            " AND (j.retired_on IS NULL OR j.retired_on > {day}) AND ST_Covers(j.boundary, t.{g})"
            " WHERE t.area_code IS NULL AND t.{g} IS NOT NULL"
            " ORDER BY t.{row}, j.retired_on NULLS LAST, j.code) AS f"
            " WHERE s.{row} = f.row"
        ).format(row=_ROW, day=day, **names)
    fill = fill + sql.SQL(" RETURNING s.{row}").format(row=_ROW)
    for level in sorted(Level, reverse=True):  # villages first: large polygons for what is left
        if left == 0:
            break
        placed[int(level)] = [int(row) for (row,) in conn.execute(fill, (int(level),))]
        left -= len(placed[int(level)])
    return {level: rows for level, rows in placed.items() if rows}


_PREFIX_DIGITS = "(ARRAY[2, 4, 6, 9, 12])[j.level]"
"""SQL: how many leading digits of a jurisdiction ``j``'s code its units share, by its level."""


def fill_grid_codes_from_points(
    conn: psycopg.Connection[Any], staging: str, geometry: str, column: str = "grid_code"
) -> list[int]:
    """Set each staged row's missing grid to the grid in use whose boundary covers its point.

    Only a grid of the row's jurisdiction (its village, or a village of its township or
    county) counts; a point on the edge of two grids takes the first by code. A retired grid
    (``retired_on``) counts not: the old grid lies under the new one that took it over; but an
    event row (a case, :data:`EVENT_DAYS`) dated before a grid's retirement is placed in it,
    as its area is (:func:`fill_area_codes_from_points`). Run once the area codes are filled in.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name (with ``area_code`` and the grid ``column``).
    geometry : str
        Its point column.
    column : str
        Its grid code column.

    Returns
    -------
    list of int
        The rows given a grid (none, at once, when no grid has a boundary).
    """
    day = event_day(conn, staging, "t")
    in_use: sql.Composable = sql.SQL("g.retired_on IS NULL")
    if day is not None:  # an event row: the grids in use on its day, those retired since first
        in_use = sql.SQL("(g.retired_on IS NULL OR g.retired_on > {day})").format(day=day)
    bounded = conn.execute(
        "SELECT EXISTS (SELECT FROM grids WHERE boundary IS NOT NULL"
        + (")" if day is not None else " AND retired_on IS NULL)")
    )
    if bounded.fetchone() != (True,):  # a join of every point to no grid costs seconds
        return []
    placed = conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET {c} = f.code FROM ("
            " SELECT DISTINCT ON (t.{row}) t.{row} AS row, g.code FROM {s} AS t"
            " JOIN jurisdictions AS j ON j.code = t.area_code"
            " JOIN grids AS g ON ST_Covers(g.boundary, t.{g}) AND {in_use}"
            " AND left(g.area_code, {digits}) = left(t.area_code, {digits})"
            " WHERE t.{c} IS NULL AND t.{g} IS NOT NULL"
            " ORDER BY t.{row}, g.retired_on NULLS LAST, g.code) AS f"
            " WHERE s.{row} = f.row RETURNING s.{row}"
        ).format(
            s=sql.Identifier(staging),
            c=sql.Identifier(column),
            g=sql.Identifier(geometry),
            row=_ROW,
            in_use=in_use,
            digits=sql.SQL(_PREFIX_DIGITS),
        )
    ).fetchall()
    return [int(row) for (row,) in placed]


def rows_missing(conn: psycopg.Connection[Any], staging: str, column: str) -> list[int]:
    """Return the staged rows whose ``column`` is empty.

    An area code that no point could give, a visit whose person was not found.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    column : str
        The column that must be filled.

    Returns
    -------
    list of int
        Their row numbers.
    """
    rows = conn.execute(
        sql.SQL("SELECT {row} FROM {s} WHERE {c} IS NULL").format(
            row=_ROW, s=sql.Identifier(staging), c=sql.Identifier(column)
        )
    ).fetchall()
    return [int(r[0]) for r in rows]


def grid_names(
    conn: psycopg.Connection[Any],
) -> list[tuple[str, str, str, date | None, str | None]]:
    """Return every grid's code, name and village, to find grids by name.

    Retired grids too, with the day they were retired and the live grid their chain of
    successors leads to (:func:`retired_units`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.

    Returns
    -------
    list of (str, str, str, date or None, str or None)
        Code, name, area code, retired on and live successor of each grid.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT g.code, g.name, g.area_code, g.retired_on, s.live"
            " FROM grids AS g LEFT JOIN ({chain}) AS s ON s.code = g.code ORDER BY g.code"
        ).format(chain=live_successors("grids"))
    ).fetchall()
    return [
        (str(code), str(name), str(area), retired, None if live is None else str(live))
        for code, name, area, retired, live in rows
    ]


def unknown_area_codes(conn: psycopg.Connection[Any], staging: str) -> list[tuple[int, str]]:
    """Return the staged rows whose area code is not a jurisdiction in the database.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name (with an ``area_code`` column).

    Returns
    -------
    list of (int, str)
        Row number and area code.
    """
    return _flagged(
        conn,
        sql.SQL(
            "SELECT s.{row}, s.area_code FROM {s} AS s WHERE s.area_code IS NOT NULL AND NOT "
            "EXISTS (SELECT 1 FROM jurisdictions AS j WHERE j.code = s.area_code)"
        ).format(row=_ROW, s=sql.Identifier(staging)),
    )


def orphan_jurisdictions(conn: psycopg.Connection[Any], staging: str) -> list[tuple[int, str]]:
    """Return the staged jurisdictions whose parent is neither in the database nor staged.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of jurisdictions.

    Returns
    -------
    list of (int, str)
        Row number and parent code.
    """
    return _flagged(
        conn,
        sql.SQL(
            "SELECT s.{row}, s.parent_code FROM {s} AS s WHERE s.parent_code IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM jurisdictions AS j WHERE j.code = s.parent_code) "
            "AND NOT EXISTS (SELECT 1 FROM {s} AS p WHERE p.code = s.parent_code)"
        ).format(row=_ROW, s=sql.Identifier(staging)),
    )


def named_like_parent(conn: psycopg.Connection[Any], staging: str) -> list[tuple[int, str]]:
    """Return the staged townships and villages named exactly as their parent unit.

    A village is never called after its township (nor a township after its county): such a
    name comes from the wrong column (a village file's 乡镇名称 taken for its 名称), and would
    rename a whole layer to one name.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of jurisdictions (``code``, ``name``, ``level``, ``parent_code``).

    Returns
    -------
    list of (int, str)
        Row number and the parent's name (the file's, where it lists the parent).
    """
    return _flagged(
        conn,
        sql.SQL(
            "SELECT s.{row}, s.name FROM {s} AS s WHERE s.level::int >= %s AND s.name = coalesce("
            "(SELECT p.name FROM {s} AS p WHERE p.code = s.parent_code LIMIT 1),"
            " (SELECT j.name FROM jurisdictions AS j WHERE j.code = s.parent_code))"
            " ORDER BY s.{row}"
        ).format(row=_ROW, s=sql.Identifier(staging)),
        (int(Level.TOWNSHIP),),
    )


def bounded_longitudes(conn: psycopg.Connection[Any]) -> tuple[float, float] | None:
    """Return the span of longitudes the database's bounded counties and units below cover.

    Parameters
    ----------
    conn : psycopg.Connection
        A connection (its scope set to the whole database).

    Returns
    -------
    tuple of float, or None
        West and east (degrees, CGCS2000); ``None`` without boundaries.
    """
    row = conn.execute(
        "SELECT min(ST_XMin(boundary)), max(ST_XMax(boundary)) FROM jurisdictions"
        " WHERE boundary IS NOT NULL AND level >= 3"
    ).fetchone()
    return None if row is None or row[0] is None else (float(row[0]), float(row[1]))


def outside_parent(
    conn: psycopg.Connection[Any], staging: str, tolerance_m: float
) -> list[tuple[int, str, float]]:
    """Return the staged jurisdictions whose boundary lies outside their nearest bounded ancestor.

    A township's or village's boundary read in the wrong CRS (a Gauss-Krüger file given the
    next zone's ``--crs``) lands in another county, hundreds of kilometres off, and nothing
    else notices: a point on its surface must lie in the boundary of its nearest ancestor that
    has one, or within ``tolerance_m`` of it. An ancestor's boundary is the file's own, else
    the database's; an ancestor without either is passed over for its own parent (after
    ``zongzhi divisions`` the townships have names only, and a village is checked against the
    county). Units with no bounded ancestor say nothing.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of jurisdictions (``code``, ``parent_code``, ``boundary``).
    tolerance_m : float
        How far (metres) outside its ancestor a unit's inner point may lie.

    Returns
    -------
    list of (int, str, float)
        Row number, the code of the ancestor checked against and distance in metres.
    """
    rows = conn.execute(
        sql.SQL(
            "WITH RECURSIVE up (start, code, depth) AS ("
            "  SELECT DISTINCT s.parent_code, s.parent_code, 1 FROM {s} AS s"
            "  WHERE s.boundary IS NOT NULL AND s.parent_code IS NOT NULL"
            " UNION ALL"
            "  SELECT u.start, coalesce(f.parent_code, j.parent_code), u.depth + 1 FROM up AS u"
            "  LEFT JOIN {s} AS f ON f.code = u.code"
            "  LEFT JOIN jurisdictions AS j ON j.code = u.code"
            "  WHERE coalesce(f.parent_code, j.parent_code) IS NOT NULL AND u.depth < %s),"
            " bounded AS (SELECT DISTINCT ON (u.start) u.start, u.code, b.boundary FROM up AS u"
            "  CROSS JOIN LATERAL (SELECT coalesce("
            "   (SELECT f.boundary FROM {s} AS f"
            "    WHERE f.code = u.code AND f.boundary IS NOT NULL LIMIT 1),"
            "   (SELECT j.boundary FROM jurisdictions AS j WHERE j.code = u.code)"
            "  ) AS boundary) AS b"
            "  WHERE b.boundary IS NOT NULL ORDER BY u.start, u.depth)"
            " SELECT s.{row}, a.code,"
            " round(ST_Distance(a.boundary::geography, s.inner_point::geography))"
            " FROM (SELECT *, ST_PointOnSurface(boundary) AS inner_point FROM {s}"
            "  WHERE boundary IS NOT NULL) AS s"
            " JOIN bounded AS a ON a.start = s.parent_code"
            " WHERE NOT ST_Intersects(a.boundary, s.inner_point)"
            " AND NOT ST_DWithin(a.boundary::geography, s.inner_point::geography, %s)"
            " ORDER BY s.{row}"
        ).format(row=_ROW, s=sql.Identifier(staging)),
        (len(Level), tolerance_m),
    ).fetchall()
    return [(int(row), str(ancestor), float(metres)) for row, ancestor, metres in rows]


def unknown_grids(
    conn: psycopg.Connection[Any], staging: str, column: str
) -> list[tuple[int, str]]:
    """Return the staged rows whose grid code in ``column`` is not a grid in the database.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    column : str
        Its column holding a grid code.

    Returns
    -------
    list of (int, str)
        Row number and grid code.
    """
    return _flagged(
        conn,
        sql.SQL(
            "SELECT s.{row}, s.{c} FROM {s} AS s WHERE s.{c} IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM grids AS g WHERE g.code = s.{c})"
        ).format(row=_ROW, s=sql.Identifier(staging), c=sql.Identifier(column)),
    )


def outside_jurisdiction(
    conn: psycopg.Connection[Any], staging: str, geometry: str, tolerance_m: float
) -> list[Outside]:
    """Return the staged geometries lying outside their jurisdiction beyond a tolerance.

    A point is checked as it is; a polygon (the ``boundary`` column) at a point on its surface.
    A jurisdiction without a boundary (a township ``zongzhi divisions`` loaded by name) is
    checked by its nearest unit above that has one (its county): a 12345 order of 梁家墩镇
    placed in Beijing went in unsaid (trial AG).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name (with an ``area_code`` column).
    geometry : str
        Its geometry column.
    tolerance_m : float
        How far (metres) a point may lie outside its jurisdiction's boundary.

    Returns
    -------
    list of Outside
        The rows outside, with their distance.
    """
    g = sql.Identifier(geometry)
    probe = sql.SQL("ST_PointOnSurface(s.{g})" if geometry == "boundary" else "s.{g}").format(g=g)
    outside = (
        "SELECT s.{row}, j.code, round(ST_Distance(j.boundary::geography, {p}::geography)), "
        "ST_X({p}), ST_Y({p}) FROM {s} AS s JOIN jurisdictions AS a ON a.code = s.area_code "
        "{bounded} WHERE s.{g} IS NOT NULL AND j.boundary IS NOT NULL "
        "AND NOT ST_Intersects(j.boundary, {p}) "
        "AND NOT ST_DWithin(j.boundary::geography, {p}::geography, %s)"
    )
    own = sql.SQL("AND a.boundary IS NOT NULL CROSS JOIN LATERAL (SELECT a.code, a.boundary) j")
    above = sql.SQL(  # the nearest unit above with a boundary; few rows: a probe each
        "AND a.boundary IS NULL CROSS JOIN LATERAL (SELECT u.code, u.boundary"
        " FROM jurisdictions AS u WHERE u.boundary IS NOT NULL AND u.code = ANY(ARRAY["
        " left(a.code, 9) || '000', left(a.code, 6) || '000000',"
        " left(a.code, 4) || '00000000', left(a.code, 2) || '0000000000'])"
        " AND u.level < a.level ORDER BY u.level DESC LIMIT 1) j"
    )
    rows = [
        row
        for bounded in (own, above)
        for row in conn.execute(
            sql.SQL(outside).format(
                row=_ROW, s=sql.Identifier(staging), g=g, p=probe, bounded=bounded
            ),
            (tolerance_m,),
        ).fetchall()
    ]
    return [
        Outside(int(r[0]), str(r[1]), float(r[2]), float(r[3]), float(r[4]))
        for r in sorted(rows, key=lambda r: int(r[0]))
    ]


@dataclass(frozen=True)
class OutOfScope:
    """A staged row whose code lies outside a code range (the jurisdiction an import is for).

    Attributes
    ----------
    row : int
        Staging row number.
    code : str
        The row's code (its area code, or a unit's or grid's own code).
    lon, lat : float or None
        The row's point (CGCS2000), when a point column was given and the row has one.
    """

    row: int
    code: str
    lon: float | None
    lat: float | None


def outside_scope(
    conn: psycopg.Connection[Any],
    staging: str,
    column: str,
    scope: tuple[str, str],
    *,
    point: str | None = None,
) -> list[OutOfScope]:
    """Return the staged rows whose code lies outside the half-open range ``[lo, hi)``.

    One statement over the staging table; the codes are compared byte-wise (``COLLATE "C"``),
    as the range of :func:`geo.codes.scope_range` requires. Rows without a code are left out.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    column : str
        Its code column (``area_code``, or ``code`` for jurisdictions and grids).
    scope : tuple of str
        ``(lo, hi)``, from :func:`geo.codes.scope_range`.
    point : str, optional
        Its point column, to return each row's point.

    Returns
    -------
    list of OutOfScope
        The rows outside, by row number.
    """
    lo, hi = scope
    c = sql.SQL('s.{}::text COLLATE "C"').format(sql.Identifier(column))
    where = (
        sql.SQL("ST_X(s.{g}), ST_Y(s.{g})").format(g=sql.Identifier(point))
        if point
        else sql.SQL("NULL, NULL")
    )
    rows = conn.execute(
        sql.SQL(
            "SELECT DISTINCT ON (s.{row}) s.{row}, s.{col}, {where} FROM {s} AS s"
            " WHERE s.{col} IS NOT NULL "
            "AND NOT ({c} >= %s AND {c} < %s) ORDER BY s.{row}"
        ).format(row=_ROW, col=sql.Identifier(column), where=where, s=sql.Identifier(staging), c=c),
        (lo, hi),
    ).fetchall()
    return [
        OutOfScope(
            int(r[0]),
            str(r[1]).strip(),
            None if r[2] is None else float(r[2]),
            None if r[3] is None else float(r[3]),
        )
        for r in rows
    ]


def rows_by_county(
    conn: psycopg.Connection[Any], staging: str, column: str, *, above: bool = False
) -> dict[str, int]:
    """Return how many staged rows lie in each county (the first 6 digits of their codes).

    One ``GROUP BY`` over the staging table. Rows without a code are not counted, nor rows of
    a city without counties (county digits ``00``, 东莞's townships). Rows placed above any
    county (a province's or a city's code: a case from a county the database has no boundary
    of) are counted under their unit's first 6 digits (``530400``) with ``above``; not in a
    file of jurisdictions, where such a row is the city's own.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    column : str
        Its code column (``area_code``, or ``code`` for jurisdictions and grids).
    above : bool
        Count the rows placed above a county too.

    Returns
    -------
    dict
        6-digit county prefix (a province's or a city's, ``530400``, for a row above) → rows.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT left(s.{c}, 6), count(*) FROM {s} AS s WHERE s.{c} IS NOT NULL "
            "AND (substr(s.{c}, 5, 2) <> '00' OR (%s AND substr(s.{c}, 7) = '000000')) "
            "GROUP BY 1"
        ).format(c=sql.Identifier(column), s=sql.Identifier(staging)),
        (above,),
    ).fetchall()
    return {str(county): int(count) for county, count in rows}


def unit_names(conn: psycopg.Connection[Any], codes: Sequence[str]) -> dict[str, str]:
    """Return the names of those of ``codes`` that are jurisdictions in the database.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction (scope = all).
    codes : sequence of str
        12-digit jurisdiction codes.

    Returns
    -------
    dict
        Code → name, for the codes found.
    """
    rows = conn.execute(
        "SELECT code, name FROM jurisdictions WHERE code = ANY(%s)", (list(set(codes)),)
    ).fetchall()
    return {str(code): str(name) for code, name in rows}


def new_units(conn: psycopg.Connection[Any], table: str, staging: str) -> list[str]:
    """Return the names of the staged units (grids, jurisdictions) ``table`` does not hold yet.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction (scope = all), before the upsert.
    table : str
        ``grids`` or ``jurisdictions``.
    staging : str
        The staging table of its rows (rejected rows deleted).

    Returns
    -------
    list of str
        Their names (their codes where unnamed), in the file's order.
    """
    query = sql.SQL(
        "SELECT coalesce(s.name, s.code) FROM {s} AS s"
        " WHERE NOT EXISTS (SELECT FROM {t} AS t WHERE t.code = s.code) ORDER BY s.{row}"
    ).format(s=sql.Identifier(staging), t=sql.Identifier(table), row=_ROW)
    return [str(name) for (name,) in conn.execute(query).fetchall()]


def _flagged(
    conn: psycopg.Connection[Any], query: sql.Composed, params: Sequence[object] = ()
) -> list[tuple[int, str]]:
    """Run a check selecting a row number and the offending value; return the pairs."""
    return [(int(r[0]), str(r[1])) for r in conn.execute(query, params).fetchall()]


@dataclass(frozen=True)
class PlacedPoints:
    """Staged points and the place each row names (its grid, else its jurisdiction).

    Attributes
    ----------
    lon, lat : list of float
        The points as staged (CGCS2000).
    codes : list of str
        The 15-digit grid or 12-digit jurisdiction code whose boundary each should lie in.
    """

    lon: list[float]
    lat: list[float]
    codes: list[str]


def bounded(conn: psycopg.Connection[Any], codes: Sequence[str]) -> set[str]:
    """Return those of ``codes`` whose jurisdiction has a boundary.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    codes : sequence of str
        12-digit jurisdiction codes.

    Returns
    -------
    set of str
        The codes of units with a boundary.
    """
    rows = conn.execute(
        "SELECT code FROM jurisdictions WHERE code = ANY(%s) AND boundary IS NOT NULL",
        (list(set(codes)),),
    ).fetchall()
    return {str(r[0]) for r in rows}


def placed_points(
    conn: psycopg.Connection[Any],
    staging: str,
    geometry: str,
    *,
    grid_column: str | None,
    area_column: str | None,
    limit: int = 2000,
) -> PlacedPoints:
    """Return up to ``limit`` staged points, spread over the file, with the place each names.

    Only rows that name a grid or jurisdiction with a boundary count: the place is evidence of
    where the point should be independent of the point itself (call this before area codes are
    filled in from the points).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    geometry : str
        Its point column.
    grid_column, area_column : str or None
        Its grid and jurisdiction code columns, if staged.
    limit : int
        Most points returned (every k-th row of the file).

    Returns
    -------
    PlacedPoints
        The points and their places, in file order.
    """
    if grid_column is None and area_column is None:
        return PlacedPoints([], [], [])
    grid = sql.SQL("s.{}").format(sql.Identifier(grid_column)) if grid_column else sql.NULL
    area = sql.SQL("s.{}").format(sql.Identifier(area_column)) if area_column else sql.NULL
    every = max(1, staged_rows(conn, staging) // limit)
    rows = conn.execute(
        sql.SQL(
            "SELECT ST_X(s.{g}), ST_Y(s.{g}), coalesce(gr.code, j.code::text) FROM {s} AS s"
            " LEFT JOIN grids AS gr ON gr.code = {grid} AND gr.boundary IS NOT NULL"
            " LEFT JOIN jurisdictions AS j ON j.code = {area} AND j.boundary IS NOT NULL"
            " WHERE s.{g} IS NOT NULL AND (gr.code IS NOT NULL OR j.code IS NOT NULL)"
            " AND s.{row} %% %s = 0 ORDER BY s.{row} LIMIT %s"
        ).format(
            g=sql.Identifier(geometry),
            s=sql.Identifier(staging),
            grid=grid,
            area=area,
            row=_ROW,
        ),
        (every, limit),
    ).fetchall()
    return PlacedPoints(
        [float(r[0]) for r in rows], [float(r[1]) for r in rows], [str(r[2]) for r in rows]
    )


def points_inside(
    conn: psycopg.Connection[Any],
    codes: Sequence[str],
    lon: Sequence[float] | npt.ArrayLike,
    lat: Sequence[float] | npt.ArrayLike,
) -> int:
    """Return how many points lie inside the boundary of their grid or jurisdiction.

    Parameters
    ----------
    conn : psycopg.Connection
        Any connection.
    codes : sequence of str
        15-digit grid or 12-digit jurisdiction code of each point.
    lon, lat : sequence of float
        The points, CGCS2000.

    Returns
    -------
    int
        Points covered by their place's boundary.
    """
    lons, lats = (np.asarray(v, dtype=float).tolist() for v in (lon, lat))
    return _count(
        conn,
        "SELECT count(*) FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS p(code, lon, lat)"
        " LEFT JOIN grids AS g ON g.code = p.code"
        " LEFT JOIN jurisdictions AS j ON j.code::text = p.code"
        " WHERE ST_Covers(coalesce(g.boundary, j.boundary),"
        " ST_SetSRID(ST_MakePoint(p.lon, p.lat), %s))",
        (list(codes), lons, lats, SRID),
    )


_NUMBERED_POINTS = (
    "WITH p AS (SELECT * FROM unnest(%s::int[], %s::float8[], %s::float8[]) AS p(i, lon, lat)),"
)
"""The CTE ``p`` of points numbered ``i`` (parameters: :func:`_numbered`)."""


def _numbered(points: Sequence[tuple[float, float]]) -> tuple[list[int], list[float], list[float]]:
    """Return the parameters of :data:`_NUMBERED_POINTS`: numbers, longitudes, latitudes."""
    return (
        list(range(len(points))),
        [float(lon) for lon, _ in points],
        [float(lat) for _, lat in points],
    )


def grids_around_points(
    conn: psycopg.Connection[Any],
    points: Sequence[tuple[float, float]],
    grids: Sequence[Sequence[str]],
) -> list[str | None]:
    """Return, of each point's grids, the one whose boundary (or village's, town's) covers it.

    The grids a shared name could mean (two 新复第6网格) told apart by the row's point: the
    grid whose boundary covers it; else the one whose village's boundary covers it; else its
    township's. One statement for all the points.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    points : sequence of (float, float)
        Lon, lat (CGCS2000).
    grids : sequence of sequence of str
        Each point's grid codes.

    Returns
    -------
    list of str or None
        Per point, the one grid found closest around it, ``None`` when none is (or several).
    """
    pairs = [(i, code) for i, codes in enumerate(grids) for code in codes]
    rows = conn.execute(
        _NUMBERED_POINTS + " c AS (SELECT * FROM unnest(%s::int[], %s::text[]) AS c(i, code))"
        " SELECT c.i, c.code, CASE"
        "  WHEN ST_Covers(g.boundary, x.point) THEN 3 WHEN ST_Covers(v.boundary, x.point) THEN 2"
        "  WHEN ST_Covers(t.boundary, x.point) THEN 1 ELSE 0 END"
        " FROM c JOIN p ON p.i = c.i"
        " CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(p.lon, p.lat), %s) AS point) AS x"
        " JOIN grids AS g ON g.code = c.code"
        " LEFT JOIN jurisdictions AS v ON v.code = g.area_code"
        " LEFT JOIN jurisdictions AS t ON t.code = left(g.area_code, 9) || '000'",
        (
            *_numbered(points),
            [i for i, _ in pairs],
            [code for _, code in pairs],
            SRID,
        ),
    ).fetchall()
    return _closest(rows, len(points))


def units_around_points(
    conn: psycopg.Connection[Any],
    points: Sequence[tuple[float, float]],
    units: Sequence[Sequence[str]],
) -> list[str | None]:
    """Return, of each point's units, the one whose boundary (or nearest parent's) covers it.

    The jurisdictions a shared name could mean (新复社区 of two townships) told apart by the
    row's point, or a boundary's point: the unit whose own boundary covers it; else the one
    whose township's (then county's …) boundary does. The units above that all of a point's
    units share tell nothing and are not looked at. One statement for all the points.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    points : sequence of (float, float)
        Lon, lat (CGCS2000).
    units : sequence of sequence of str
        Each point's 12-digit jurisdiction codes.

    Returns
    -------
    list of str or None
        Per point, the one unit found closest around it, ``None`` when none is (or several).
    """
    triples = [
        (i, code, above)
        for i, codes in enumerate(units)
        for code, aboves in _telling_units(codes).items()
        for above in aboves
    ]
    rows = conn.execute(
        _NUMBERED_POINTS
        + " c AS (SELECT * FROM unnest(%s::int[], %s::text[], %s::text[]) AS c(i, code, unit))"
        " SELECT c.i, c.code, coalesce(max(a.level) FILTER ("
        "  WHERE ST_Covers(a.boundary, ST_SetSRID(ST_MakePoint(p.lon, p.lat), %s))), 0)"
        " FROM c JOIN p ON p.i = c.i JOIN jurisdictions AS a ON a.code = c.unit"
        " GROUP BY c.i, c.code",
        (
            *_numbered(points),
            [i for i, _, _ in triples],
            [code for _, code, _ in triples],
            [above for _, _, above in triples],
            SRID,
        ),
    ).fetchall()
    return _closest(rows, len(points))


def _telling_units(codes: Sequence[str]) -> dict[str, list[str]]:
    """Return each unit's code and those above it, less those every unit of ``codes`` has.

    Examples
    --------
    >>> _telling_units(["530424001016", "530424102001"])["530424102001"]  # not 530424000000 …
    ['530424102000', '530424102001']
    """
    lines = {
        code: list(dict.fromkeys(code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12)))
        for code in codes
    }
    shared = set.intersection(*(set(line) for line in lines.values())) if lines else set()
    return {code: [unit for unit in line if unit not in shared] for code, line in lines.items()}


def _closest(rows: Sequence[tuple[Any, Any, Any]], count: int) -> list[str | None]:
    """Return per point the one code of the greatest depth above 0 (``None``: none, or a tie)."""
    best: dict[int, tuple[int, list[str]]] = {}
    for i, code, depth in rows:
        top, codes = best.get(int(i), (0, []))
        if depth > top:
            best[int(i)] = (int(depth), [str(code)])
        elif depth == top and depth > 0:
            codes.append(str(code))
    chosen: list[str | None] = [None] * count
    for i, (_, codes) in best.items():
        chosen[i] = codes[0] if len(codes) == 1 else None
    return chosen


@dataclass(frozen=True)
class OnRecord:
    """Positions of staged rows that update a record, and of the record (CGCS2000).

    A position is the point itself, or a polygon's centroid.

    Attributes
    ----------
    lon, lat : list of float
        The staged rows'.
    record_lon, record_lat : list of float
        Their records'.
    """

    lon: list[float]
    lat: list[float]
    record_lon: list[float]
    record_lat: list[float]


def matched_on(key: Sequence[str]) -> sql.Composed:
    """Return the join of a staged row ``s`` to its record ``t`` by their natural ``key``.

    Examples
    --------
    >>> matched_on(["channel", "external_no"]).as_string(None)
    't."channel" = s."channel" AND t."external_no" = s."external_no"'
    """
    return sql.SQL(" AND ").join(sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in key)


def positions_on_record(
    conn: psycopg.Connection[Any],
    staging: str,
    geometry: str,
    table: str,
    key: Sequence[str],
    *,
    limit: int = 10000,
) -> OnRecord:
    """Return the staged geometries of rows matching a record that has one, with the record's.

    Up to ``limit`` staged rows, spread over the file (every k-th), are looked up by their
    natural key (one index probe each): the cost does not grow with the rows matched, nor
    with the table.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    geometry : str
        Its geometry column, named as in ``table``.
    table : str
        The real table.
    key : sequence of str
        The natural key columns (staged, and in ``table``).
    limit : int
        Most staged rows looked up.

    Returns
    -------
    OnRecord
        The positions of the rows found and of their records, in file order.
    """
    every = max(1, staged_rows(conn, staging) // limit)
    g = sql.Identifier(geometry)
    rows = conn.execute(
        sql.SQL(
            "SELECT ST_X(a), ST_Y(a), ST_X(b), ST_Y(b) FROM ("
            "SELECT s.{row}, ST_Centroid(s.{g}) AS a, ST_Centroid(t.{g}) AS b"
            " FROM (SELECT {row}, {g}, {keys} FROM {s} WHERE {g} IS NOT NULL"
            " AND {row} %% %s = 0 ORDER BY {row} LIMIT %s) AS s"
            " JOIN {t} AS t ON {on} WHERE t.{g} IS NOT NULL) AS m ORDER BY {row}"
        ).format(
            row=_ROW,
            g=g,
            keys=sql.SQL(", ").join(map(sql.Identifier, key)),
            s=sql.Identifier(staging),
            t=sql.Identifier(table),
            on=matched_on(key),
        ),
        (every, limit),
    ).fetchall()
    lon, lat, record_lon, record_lat = ([float(r[i]) for r in rows] for i in range(4))
    return OnRecord(lon, lat, record_lon, record_lat)


@dataclass(frozen=True)
class ShapesInPlaces:
    """Staged boundaries, and the boundary of the place each should lie in (CGCS2000, WKB).

    Attributes
    ----------
    staged : int
        The staged rows that have a boundary.
    shapes : list of bytes
        Those of them returned.
    places : list of str
        The code of each one's place.
    boundaries : dict of str to bytes
        Each place's boundary.
    """

    staged: int
    shapes: list[bytes]
    places: list[str]
    boundaries: dict[str, bytes]


def shapes_in_places(
    conn: psycopg.Connection[Any],
    staging: str,
    geometry: str,
    place_column: str,
    *,
    limit: int = 200,
) -> ShapesInPlaces:
    """Return up to ``limit`` staged boundaries, spread over the file, with their places'.

    A row's place is the unit ``place_column`` names (a grid's village, a jurisdiction's
    parent) or, when that unit has no boundary, the nearest unit above it that has one, the
    county at most. Rows with no such place are left out.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    geometry : str
        Its boundary column.
    place_column : str
        Its column naming each row's place (a 12-digit jurisdiction code).
    limit : int
        Most boundaries returned (every k-th row of the file).

    Returns
    -------
    ShapesInPlaces
        The boundaries, in file order, and their places.
    """
    g = sql.Identifier(geometry)
    staged = _count(
        conn,
        sql.SQL("SELECT count(*) FROM {} WHERE {} IS NOT NULL").format(sql.Identifier(staging), g),
    )
    every = max(1, staged_rows(conn, staging) // limit)
    rows = conn.execute(
        sql.SQL(
            "WITH RECURSIVE sample AS (SELECT {row}, {g} AS shape, {p} AS code FROM {s}"
            " WHERE {g} IS NOT NULL AND {p} IS NOT NULL AND {row} %% %s = 0"
            " ORDER BY {row} LIMIT %s),"
            " up AS (SELECT m.{row}, j.code, j.parent_code, j.boundary IS NOT NULL AS bounded,"
            "  0 AS depth FROM sample AS m JOIN jurisdictions AS j ON j.code = m.code"
            "  WHERE j.level >= %s"
            " UNION ALL SELECT u.{row}, j.code, j.parent_code, j.boundary IS NOT NULL,"
            "  u.depth + 1 FROM up AS u JOIN jurisdictions AS j ON j.code = u.parent_code"
            "  WHERE NOT u.bounded AND j.level >= %s)"
            " SELECT DISTINCT ON (m.{row}) ST_AsBinary(m.shape), u.code"
            " FROM up AS u JOIN sample AS m ON m.{row} = u.{row}"
            " WHERE u.bounded ORDER BY m.{row}, u.depth"
        ).format(row=_ROW, g=g, p=sql.Identifier(place_column), s=sql.Identifier(staging)),
        (every, limit, Level.COUNTY, Level.COUNTY),
    ).fetchall()
    places = [str(r[1]) for r in rows]
    found = conn.execute(
        "SELECT code, ST_AsBinary(boundary) FROM jurisdictions WHERE code = ANY(%s)",
        (sorted(set(places)),),
    ).fetchall()
    return ShapesInPlaces(
        staged, [bytes(r[0]) for r in rows], places, {str(c): bytes(b) for c, b in found}
    )


def inside_bounded_units(
    conn: psycopg.Connection[Any],
    lon: Sequence[float] | npt.ArrayLike,
    lat: Sequence[float] | npt.ArrayLike,
) -> int:
    """Return how many points lie inside the boundary of a county (or a unit below) on record.

    Parameters
    ----------
    conn : psycopg.Connection
        Any connection (its scope set to the whole database).
    lon, lat : sequence of float
        The points, CGCS2000.

    Returns
    -------
    int
        Points covered by the boundary of some county, township or village.
    """
    lons, lats = (np.asarray(v, dtype=float).tolist() for v in (lon, lat))
    return _count(
        conn,
        "SELECT count(*) FROM unnest(%s::float8[], %s::float8[]) AS p(lon, lat)"
        " WHERE EXISTS (SELECT FROM jurisdictions AS j WHERE j.level >= %s"
        " AND ST_Covers(j.boundary, ST_SetSRID(ST_MakePoint(p.lon, p.lat), %s)))",
        (lons, lats, Level.COUNTY, SRID),
    )


def _count(
    conn: psycopg.Connection[Any], query: sql.Composed | str, params: Sequence[object] = ()
) -> int:
    row = conn.execute(query, params).fetchone()
    return int(row[0]) if row else 0


_CHAIN_LIMIT = 100
"""Most successors a retired unit's chain is followed through (a loop in the data ends it)."""


def live_successors(table: str) -> sql.Composed:
    """Return the SQL of ``(code, live)``: each retired unit of ``table`` that leads to a live one.

    Parameters
    ----------
    table : str
        ``grids`` or ``jurisdictions``.

    Returns
    -------
    psycopg.sql.Composed
        A query to use as a subquery.

    A grid merged into one that a later re-division merged again leads to the last; a chain
    that ends at a retired unit without successor (or loops) gives the unit no row.
    """
    return sql.SQL(
        "WITH RECURSIVE chain (code, next, depth) AS ("
        " SELECT code, successor_code, 1 FROM {t}"
        " WHERE retired_on IS NOT NULL AND successor_code IS NOT NULL"
        " UNION ALL SELECT c.code, u.successor_code, c.depth + 1 FROM chain AS c"
        " JOIN {t} AS u ON u.code = c.next"
        " WHERE u.retired_on IS NOT NULL AND u.successor_code IS NOT NULL AND c.depth < {limit})"
        " SELECT c.code, c.next AS live FROM chain AS c JOIN {t} AS u ON u.code = c.next"
        " WHERE u.retired_on IS NULL"
    ).format(t=sql.Identifier(table), limit=sql.Literal(_CHAIN_LIMIT))


@dataclass(frozen=True)
class RetiredUnit:
    """A retired grid or jurisdiction, and the live unit that took it over.

    Attributes
    ----------
    code : str
        Its 15-digit grid or 12-digit division code.
    name : str
        Its name.
    retired_on : date
        The day it was retired.
    successor_code, successor_name : str or None
        The live unit its chain of successors leads to (``None``: none does).
    """

    code: str
    name: str
    retired_on: date
    successor_code: str | None
    successor_name: str | None


def retired_units(
    conn: psycopg.Connection[Any], codes: Sequence[str] | None = None
) -> dict[str, RetiredUnit]:
    """Return the retired grids and jurisdictions, with the live unit each one leads to.

    A row of a file that names one is recorded in that unit (:mod:`importers.names`); one
    statement, over the retired units only.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction (scope = all).
    codes : sequence of str, optional
        Only these codes (grids' and jurisdictions'); ``None``: every retired unit.

    Returns
    -------
    dict
        Code → :class:`RetiredUnit`.
    """
    parts = [
        sql.SQL(
            "SELECT u.code::text, u.name, u.retired_on, n.code::text, n.name FROM {t} AS u"
            " LEFT JOIN ({chain}) AS s ON s.code = u.code LEFT JOIN {t} AS n ON n.code = s.live"
            " WHERE u.retired_on IS NOT NULL AND (%(all)s OR u.code = ANY(%(codes)s))"
        ).format(t=sql.Identifier(table), chain=live_successors(table))
        for table in ("grids", "jurisdictions")
    ]
    rows = conn.execute(
        sql.SQL(" UNION ALL ").join(parts),
        {"all": codes is None, "codes": list(codes or ())},
    ).fetchall()
    return {
        str(code): RetiredUnit(
            str(code), str(name), on, None if live is None else str(live), live_name
        )
        for code, name, on, live, live_name in rows
    }


_LIVE_AROUND = {
    "grids": (
        "SELECT g.code::text, g.name FROM grids AS g WHERE g.retired_on IS NULL"
        " AND ST_Covers(g.boundary, ST_SetSRID(ST_MakePoint(p.lon, p.lat), {srid}))"
        " AND left(g.area_code, 6) = left(p.code, 6) ORDER BY g.code LIMIT 1"
    ),
    "jurisdictions": (
        "SELECT j.code::text, j.name FROM jurisdictions AS j WHERE j.retired_on IS NULL"
        " AND j.level = (SELECT o.level FROM jurisdictions AS o WHERE o.code = p.code)"
        " AND ST_Covers(j.boundary, ST_SetSRID(ST_MakePoint(p.lon, p.lat), {srid}))"
        " AND left(j.code, 6) = left(p.code, 6) ORDER BY j.code LIMIT 1"
    ),
}
"""SQL: the live unit of retired unit ``p.code``'s kind (and level) and county around point ``p``,
as a re-division moves a record (:mod:`layers.unit_retirement`)."""


def live_units_around(
    conn: psycopg.Connection[Any],
    table: str,
    points: Sequence[tuple[float, float]],
    retired: Sequence[str],
) -> list[tuple[str, str] | None]:
    """Return the live unit in use around each point, in place of the retired unit it names.

    A row naming a retired grid or village that has a point is placed by its point: the live
    unit of that kind (a jurisdiction of the retired one's level) in the retired unit's county
    whose boundary covers it, the first by code on a shared edge; as a re-division moves the
    records of a unit it retires. One statement for all the points.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction (scope = all).
    table : str
        ``grids`` or ``jurisdictions``.
    points : sequence of (float, float)
        Lon, lat (CGCS2000).
    retired : sequence of str
        Each point's retired unit (its code).

    Returns
    -------
    list of tuple or None
        Per point, ``(code, name)`` of the live unit around it; ``None`` where none is.
    """
    query = sql.SQL(
        "WITH p AS (SELECT * FROM unnest(%s::int[], %s::float8[], %s::float8[], %s::text[])"
        " AS p(i, lon, lat, code))"
        " SELECT p.i, a.code, a.name FROM p CROSS JOIN LATERAL (" + _LIVE_AROUND[table] + ") AS a"
    ).format(srid=sql.Literal(SRID))
    rows = conn.execute(query, (*_numbered(points), list(retired))).fetchall()
    found: list[tuple[str, str] | None] = [None] * len(points)
    for i, code, name in rows:
        found[int(i)] = (str(code), str(name))
    return found
