"""The unit each analysis cell lies in, to name a hot spot by its place.

A cell belongs to the deepest live unit whose boundary covers its centre. A cell whose centre
lies outside every boundary below the analysed unit (a border cell spilling over the county's
outline, or over the one county a city's platform holds) belongs to the deepest unit within
:data:`NEAREST_DEGREES` of it, the nearest first: its cases were registered there, and the
analysed unit's own name (玉溪市 for a cell beside 华宁县) would tell the operator nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range

NEAREST_DEGREES = 0.02
"""How far (about 2 km) a centre outside every boundary looks for the unit it borders."""

_IN_USE = (
    "FROM jurisdictions j WHERE j.code >= :lo AND j.code < :hi"
    " AND j.boundary IS NOT NULL AND j.retired_on IS NULL"
)


def cell_units(session: Session, code: str, centres: Sequence[Any]) -> list[tuple[str, str]]:
    """Return the code and the name of the unit each cell centre lies in.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The analysed unit; only it and the units below it are considered.
    centres : sequence of shapely.Point
        The cells' centres, lon/lat in CGCS2000.

    Returns
    -------
    list of (str, str)
        Per centre, in order: the deepest covering unit below ``code``, else the deepest unit
        below it within :data:`NEAREST_DEGREES`, else ``code`` itself with its name.
    """
    lo, hi = scope_range(code)
    rows = session.execute(
        text(
            "SELECT coalesce(b.code, a.code, s.code) AS code,"  # b: only where a says nothing
            " coalesce(b.name, a.name, s.name) AS name"
            " FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[]))"
            " WITH ORDINALITY AS t(x, y, i)"
            " CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(t.x, t.y), 4490) AS pt) c"
            " LEFT JOIN jurisdictions s ON s.code = :code"
            f" LEFT JOIN LATERAL (SELECT j.code, j.name {_IN_USE}"
            " AND ST_Covers(j.boundary, c.pt) ORDER BY j.level DESC LIMIT 1) a ON true"
            f" LEFT JOIN LATERAL (SELECT j.code, j.name {_IN_USE}"
            " AND (a.code IS NULL OR a.code = :code) AND j.code <> :code"
            " AND ST_DWithin(j.boundary, c.pt, :near)"
            " ORDER BY j.level DESC, ST_Distance(j.boundary, c.pt) LIMIT 1) b ON true"
            " ORDER BY t.i"
        ),
        {
            "lo": lo,
            "hi": hi,
            "code": code,
            "near": NEAREST_DEGREES,
            "xs": [c.x for c in centres],
            "ys": [c.y for c in centres],
        },
    ).all()
    return [(r.code or code, r.name or code) for r in rows]
