"""Staged rows placed by their points inside the unit their file names above the village.

A list's 所属乡镇 (a township's camera list: 设备编码, 名称, 经度, 纬度, 在线状态, 所属乡镇; a
12345 export's 所属街道; a roster's 所属乡镇) names a unit above the village; a row with a point
belongs to the village whose boundary holds it, as any located row without a 所属社区 does, and
the unit named is a check (:func:`place_in_named_units`): a row whose point lies in another
unit keeps the unit named and is returned, for the summary to say so (trial AD: every camera of
a township's list, and every 12345 order naming its 街道, stayed at the township).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import ROW_COLUMN

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
        Row number → ``(named, around, label)``: the code of the unit the row names, which
        it keeps, of the deepest unit in use whose boundary holds its point, outside the one
        named, and what names the row (a camera's 国标编码 and name, a case's number; empty
        where nothing may be named: a person).
    """

    placed: list[int]
    elsewhere: dict[int, tuple[str, str, str]]


def place_in_named_units(
    conn: psycopg.Connection[Any],
    staging: str,
    geometry: str,
    label: Sequence[str] = (),
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
        Staging table, its ``area_code`` filled (names resolved, the rows without one placed
        by their points).
    geometry : str
        Its point column.
    label : sequence of str
        The staged columns that name a row in the summary (a camera's ``device_id`` and
        ``name``, a case's ``external_no``); none: nothing named (a person).

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
            " coalesce(({label})::text, '')" + around + " AND"
            " left(j.code, {n_digits}) <> left(t.area_code, {n_digits})"
            " ORDER BY t.{row}, j.level DESC, j.code"
        ).format(
            deeper=sql.SQL(">="), label=_label_sql(label), **names
        )  # a unit beside the one named, or in another
    ).fetchall()
    return NamedUnitPlaces(
        sorted(int(row) for (row,) in placed),
        {int(row): (str(code), str(unit), str(said)) for row, code, unit, said in elsewhere},
    )


def _label_sql(columns: Sequence[str]) -> sql.Composable:
    """Return SQL over the staged row ``t`` joining ``columns`` with spaces (NULL for none)."""
    if not columns:
        return sql.SQL("NULL")
    parts = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in columns)
    return sql.SQL("concat_ws(' ', {})").format(parts)
