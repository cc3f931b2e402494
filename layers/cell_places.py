"""The unit each analysis cell lies in, to name a hot spot by its place.

A cell belongs to the deepest live unit whose boundary covers its centre. A cell whose centre
lies outside every boundary below the analysed unit (a border cell spilling over the county's
outline, or over the one county a city's platform holds) belongs to the deepest unit within
:data:`NEAREST_DEGREES` of the cell itself, the nearest to its centre first: its cases were
registered there, and the analysed unit's own name (玉溪市 for a cell beside 华宁县) would
tell the operator nothing. The cell, not its centre: a city's or province's cell is kilometres
across, and one whose centre lay more than 2 km outside 甘州区 was named 张掖市 or 甘肃省
though its cases lay inside (trial AA).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range

NEAREST_DEGREES = 0.02
"""How far (about 2 km) a cell whose centre is outside every boundary looks for the unit it
borders."""

_IN_USE = (
    "FROM jurisdictions j WHERE j.code >= :lo AND j.code < :hi"
    " AND j.boundary IS NOT NULL AND j.retired_on IS NULL"
)


def cell_units(
    session: Session, code: str, cells: Sequence[Any] | NDArray[np.object_]
) -> list[tuple[str, str]]:
    """Return the code and the name of the unit each cell lies in.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The analysed unit; only it and the units below it are considered.
    cells : sequence or array of shapely geometry
        The cells' polygons, lon/lat in CGCS2000 (a point stands for a cell of no extent).

    Returns
    -------
    list of (str, str)
        Per cell, in order: the deepest unit below ``code`` covering its centre, else the
        deepest unit below it within :data:`NEAREST_DEGREES` of the cell, else ``code``
        itself with its name.
    """
    lo, hi = scope_range(code)
    rows = session.execute(
        text(
            "SELECT coalesce(b.code, a.code, s.code) AS code,"  # b: only where a says nothing
            " coalesce(b.name, a.name, s.name) AS name"
            " FROM unnest(CAST(:cells AS text[])) WITH ORDINALITY AS t(wkb, i)"
            " CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_GeomFromWKB(decode(t.wkb, 'hex')), 4490)"
            "  AS cell) g"
            " CROSS JOIN LATERAL (SELECT ST_Centroid(g.cell) AS pt) c"
            " LEFT JOIN jurisdictions s ON s.code = :code"
            f" LEFT JOIN LATERAL (SELECT j.code, j.name {_IN_USE}"
            " AND ST_Covers(j.boundary, c.pt) ORDER BY j.level DESC LIMIT 1) a ON true"
            f" LEFT JOIN LATERAL (SELECT j.code, j.name {_IN_USE}"
            " AND (a.code IS NULL OR a.code = :code) AND j.code <> :code"
            " AND ST_DWithin(j.boundary, g.cell, :near)"
            " ORDER BY j.level DESC, ST_Distance(j.boundary, c.pt) LIMIT 1) b ON true"
            " ORDER BY t.i"
        ),
        {
            "lo": lo,
            "hi": hi,
            "code": code,
            "near": NEAREST_DEGREES,
            "cells": list(shapely.to_wkb(cells, hex=True)),
        },
    ).all()
    return told_apart(session, [(r.code or code, r.name or code) for r in rows])


def told_apart(session: Session, units: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the units with the villages that share a name told apart by their township.

    Two 新复社区 of one county (宁州街道's and 华溪镇's) read alike in a hot spot's name, the
    trends' tables and their exports (trial AF): where names collide among ``units``, a
    village's becomes ``新复社区（宁州街道）``. A name no other unit of the list bears is kept.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session that sees the townships.
    units : sequence of (str, str)
        Codes and names, as :func:`cell_units` gives them.

    Returns
    -------
    list of (str, str)
        The same, in order, the colliding villages' names told apart.
    """
    codes_of: dict[str, set[str]] = {}
    for code, name in units:
        codes_of.setdefault(name, set()).add(code)
    shared = {c for codes in codes_of.values() if len(codes) > 1 for c in codes if c[9:] != "000"}
    if not shared:
        return list(units)
    rows = session.execute(
        text("SELECT code, name FROM jurisdictions WHERE code = ANY(:codes)"),
        {"codes": sorted({c[:9] + "000" for c in shared})},
    ).all()
    townships = {str(code): str(name) for code, name in rows}
    return [
        (code, f"{name}（{townships[code[:9] + '000']}）")
        if code in shared and code[:9] + "000" in townships
        else (code, name)
        for code, name in units
    ]
