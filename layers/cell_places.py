"""The unit each analysis cell lies in, to name a hot spot by its place.

A cell belongs to the deepest live unit whose boundary covers its centre. A cell whose centre
lies outside every boundary below the analysed unit (a border cell spilling over the county's
outline, or over the one county a city's platform holds) belongs to the deepest unit within
:data:`NEAREST_DEGREES` of the cell itself, the nearest to its centre first: its cases were
registered there, and the analysed unit's own name (玉溪市 for a cell beside 华宁县) would
tell the operator nothing. The cell, not its centre: a city's or province's cell is kilometres
across, and one whose centre lay more than 2 km outside 甘州区 was named 张掖市 or 甘肃省
though its cases lay inside (trial AA).

A cell's unit does not depend on which cases are read, only on the cell and the boundaries:
:func:`cell_units` keeps what it found per analysed unit and version of the jurisdictions below
it (:data:`_VERSION`, each row's ``xmin`` and ``ctid``, which any rename, new boundary,
retirement or import changes), so that the trends page's next filter, period or granularity,
and the next hot-spot run, look up only the cells not placed before (trial BC S2: a county's
cells took 4 s to place again on every filter).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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

_VERSION = (
    "SELECT count(*) AS n, coalesce(sum(hashtextextended(concat_ws('|', code, xmin::text,"
    " ctid::text), 0)), 0) AS h FROM jurisdictions WHERE code >= :lo AND code < :hi"
)
"""The version of the jurisdictions a cell's unit is looked up among (those in the analysed
unit's code range): a row's ``xmin`` (the transaction that wrote it) and ``ctid`` (where it
lies) change with any write to it, without reading the boundaries."""

_PLACED: OrderedDict[tuple[str, int, str], dict[str, tuple[str, str]]] = OrderedDict()
_PLACED_LOCK = threading.Lock()
_PLACED_VERSIONS = 8
"""How many (analysed unit, jurisdictions' version) pairs keep their cells' units."""
_PLACED_CELLS = 200_000
"""At most this many cells kept per pair (a province's whole territory at its resolution is
fewer); beyond, the pair starts over."""


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
    wkbs = [str(w) for w in shapely.to_wkb(cells, hex=True)]
    version = session.execute(text(_VERSION), {"lo": lo, "hi": hi}).one()
    key = (code, int(version.n), str(version.h))
    with _PLACED_LOCK:
        placed = _PLACED.get(key)
        if placed is None:
            placed = _PLACED[key] = {}
            while len(_PLACED) > _PLACED_VERSIONS:
                _PLACED.popitem(last=False)
        _PLACED.move_to_end(key)
        known = {w: placed[w] for w in set(wkbs) if w in placed}
    missing = sorted({w for w in wkbs if w not in known})
    if missing:
        found = _placed(session, code, lo, hi, missing)
        known.update(found)
        with _PLACED_LOCK:
            if len(placed) + len(found) > _PLACED_CELLS:
                placed.clear()
            placed.update(found)
    return told_apart(session, [known[w] for w in wkbs])


def _placed(
    session: Session, code: str, lo: str, hi: str, wkbs: list[str]
) -> dict[str, tuple[str, str]]:
    """Return the unit of each cell (hex WKB) as :func:`cell_units` finds it, names as stored."""
    rows = session.execute(
        text(
            # the units and the cells once each, then one join: a LATERAL per cell scanned
            # every unit of the range with its row-level check again (1.6 s for a county's
            # 1,810 cells, 0.3 s so)
            f"WITH u AS MATERIALIZED (SELECT j.code, j.name, j.level, j.boundary {_IN_USE}),"
            " c AS MATERIALIZED (SELECT t.i, g.cell, ST_Centroid(g.cell) AS pt"
            "  FROM unnest(CAST(:cells AS text[])) WITH ORDINALITY AS t(wkb, i)"
            "  CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_GeomFromWKB(decode(t.wkb, 'hex')), 4490)"
            "  AS cell) g),"
            " a AS (SELECT DISTINCT ON (c.i) c.i, u.code, u.name FROM u JOIN c"
            "  ON ST_Covers(u.boundary, c.pt) ORDER BY c.i, u.level DESC, u.code),"
            " b AS (SELECT DISTINCT ON (c.i) c.i, u.code, u.name FROM u JOIN c"  # where a is mute
            "  ON u.code <> :code AND ST_DWithin(u.boundary, c.cell, :near)"
            "  LEFT JOIN a ON a.i = c.i WHERE a.code IS NULL OR a.code = :code"
            "  ORDER BY c.i, u.level DESC, ST_Distance(u.boundary, c.pt), u.code)"
            " SELECT coalesce(b.code, a.code, s.code) AS code,"
            " coalesce(b.name, a.name, s.name) AS name"
            " FROM c LEFT JOIN a ON a.i = c.i LEFT JOIN b ON b.i = c.i"
            " LEFT JOIN jurisdictions s ON s.code = :code ORDER BY c.i"
        ),
        {
            "lo": lo,
            "hi": hi,
            "code": code,
            "near": NEAREST_DEGREES,
            "cells": wkbs,
        },
    ).all()
    return {w: (r.code or code, r.name or code) for w, r in zip(wkbs, rows, strict=True)}


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
