"""Staged cameras placed by their points, and those whose point lies outside the unit named.

A camera list's 所属乡镇 (a township's list: 设备编码, 名称, 经度, 纬度, 在线状态, 所属乡镇) names
a unit above the village; the camera belongs to the village whose boundary holds its point,
as any located row without a 所属社区 does, and the township named is a check
(:func:`place_in_named_units`): one whose point lies in another unit keeps the unit named and
is returned, for the summary to say so.

A platform's device list gives each camera a 所属组织 (a 派出所, a township's government) and an
安装位置 (an address); :mod:`importers.stations` reads the township each names. Once the staged
rows are placed by their points, one statement compares: a row whose area lies in a township
(its code's first 9 digits) other than the one named is returned with its area
(:func:`placed_elsewhere`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import ROW_COLUMN


def placed_elsewhere(
    conn: psycopg.Connection[Any], staging: str, named: Sequence[tuple[int, str]]
) -> dict[int, str]:
    """Return the staged rows placed outside the township each names, with their area code.

    Only rows placed in a township or deeper are compared (a point placed in its county
    only tells no township).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table, its ``area_code`` filled from the points.
    named : sequence of (int, str)
        Row number and the 12-digit code of the township (or a unit in it) the row names; a
        row may be named more than once.

    Returns
    -------
    dict
        Row number → its staged area code, for the rows placed elsewhere.
    """
    if not named:
        return {}
    rows, codes = zip(*named, strict=True)
    query = sql.SQL(
        "SELECT DISTINCT s.{row}, s.area_code FROM {staging} AS s"
        " JOIN unnest(%s::bigint[], %s::text[]) AS n(row, code) ON n.row = s.{row}"
        " WHERE s.area_code IS NOT NULL AND substr(s.area_code, 7, 3) <> '000'"
        " AND left(s.area_code, 9) <> left(n.code, 9)"
    ).format(row=sql.Identifier(ROW_COLUMN), staging=sql.Identifier(staging))
    found = conn.execute(query, (list(rows), list(codes))).fetchall()
    return {int(row): str(area) for row, area in found}


_SHARED_DIGITS = "(ARRAY[2, 4, 6, 9, 12])[{}.level]"
"""SQL: how many leading digits the units in a jurisdiction share with it, by its level."""


@dataclass(frozen=True)
class NamedUnitPlaces:
    """What :func:`place_in_named_units` did with the staged rows that name a unit above a village.

    Attributes
    ----------
    placed : list of int
        Rows moved into the deeper unit (the village) whose boundary holds their point, inside
        the unit they name.
    elsewhere : dict
        Row number → ``(named, around, camera)``: the code of the unit the row names, which
        it keeps, of the deepest unit in use whose boundary holds its point, outside the one
        named, and the camera's 国标编码 and name (``53042400061328000002 路口``).
    """

    placed: list[int]
    elsewhere: dict[int, tuple[str, str, str]]


def place_in_named_units(
    conn: psycopg.Connection[Any], staging: str, geometry: str
) -> NamedUnitPlaces:
    """Place the located rows that name a township (or a unit above) in the unit their point is in.

    A staged row whose area code is a unit above the villages (its file's 所属乡镇) and that
    has a point takes the deepest unit in use inside it whose boundary covers the point (the
    village; no boundary, no move). A row whose point lies in a unit in use outside the one
    it names keeps the unit named and is returned: the point or the name is wrong (a unit
    above the one named, a county's boundary, says nothing of its townships). Two statements
    over the staging table; the boundaries' spatial index finds the units.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of cameras (``device_id``, ``name``), its ``area_code`` filled (names
        resolved, the rows without one placed by their points).
    geometry : str
        Its point column.

    Returns
    -------
    NamedUnitPlaces
        The rows placed deeper, and those lying elsewhere.
    """
    names = {
        "s": sql.Identifier(staging),
        "g": sql.Identifier(geometry),
        "row": sql.Identifier(ROW_COLUMN),
        "n_digits": sql.SQL(_SHARED_DIGITS.format("n")),
    }
    around = (
        " FROM {s} AS t JOIN jurisdictions AS n ON n.code = t.area_code AND n.level < 5"
        " JOIN jurisdictions AS j ON j.level {deeper} n.level AND j.boundary IS NOT NULL"
        " AND j.retired_on IS NULL AND ST_Covers(j.boundary, t.{g})"
        " WHERE t.{g} IS NOT NULL"
    )
    placed = conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET area_code = f.code FROM ("
            " SELECT DISTINCT ON (t.{row}) t.{row} AS row, j.code" + around + " AND left(j.code,"
            " {n_digits}) = left(t.area_code, {n_digits})"
            " ORDER BY t.{row}, j.level DESC, j.code) AS f WHERE s.{row} = f.row"
            " RETURNING s.{row}"
        ).format(deeper=sql.SQL(">"), **names)
    ).fetchall()
    elsewhere = conn.execute(
        sql.SQL(
            "SELECT DISTINCT ON (t.{row}) t.{row}, t.area_code, j.code,"
            " concat_ws(' ', t.device_id, t.name)" + around + " AND"
            " left(j.code, {n_digits}) <> left(t.area_code, {n_digits})"
            " ORDER BY t.{row}, j.level DESC, j.code"
        ).format(deeper=sql.SQL(">="), **names)  # a unit beside the one named, or in another
    ).fetchall()
    return NamedUnitPlaces(
        sorted(int(row) for (row,) in placed),
        {int(row): (str(code), str(unit), str(camera)) for row, code, unit, camera in elsewhere},
    )
