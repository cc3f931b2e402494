"""Staged cameras whose point lies in another township than the one their file names.

(A list's 所属乡镇 is checked against the points by :mod:`layers.named_unit_places`.)

A platform's device list gives each camera a 所属组织 (a 派出所, a township's government) and an
安装位置 (an address); :mod:`importers.stations` reads the township each names. Once the staged
rows are placed by their points, one statement compares: a row whose area lies in a township
(its code's first 9 digits) other than the one named is returned with its area
(:func:`placed_elsewhere`).
"""

from __future__ import annotations

from collections.abc import Sequence
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
