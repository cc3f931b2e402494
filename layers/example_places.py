"""The units of a jurisdiction an import template's examples name (``zongzhi template --within``).

A template whose examples are another county's (宁州街道, a point in Yunnan) teaches a clerk of
甘州区 rows her import refuses as outside her county. :func:`example_place` picks real units
under her jurisdiction instead: a village that has a grid (else the deepest unit there), its
township, its county, that grid, and a point on the surface of the deepest of them that has a
boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from geo.codes import enclosing_code, scope_range
from layers.model.jurisdictions import Level


@dataclass(frozen=True)
class NamedUnit:
    """A jurisdiction or grid on record.

    Attributes
    ----------
    code : str
        Its code (12 digits, a grid's 15).
    name : str
        Its name.
    """

    code: str
    name: str


@dataclass(frozen=True)
class ExamplePlace:
    """Units of one jurisdiction to write a template's examples with.

    Attributes
    ----------
    scope : NamedUnit
        The jurisdiction the examples are for (``--within``, or the database's only county).
    unit : NamedUnit
        The deepest unit picked under it: a village when it has one.
    county : str
        The 6-digit county prefix of ``unit`` (a resident's or a camera's area code).
    township, village, grid : NamedUnit or None
        ``unit``'s township and village (``unit`` itself at its level), and a grid of the village.
    lon, lat : float or None
        A point inside the grid's boundary, else the deepest bounded unit's (CGCS2000); ``None``
        when no unit of the chain has a boundary.
    """

    scope: NamedUnit
    unit: NamedUnit
    county: str
    township: NamedUnit | None
    village: NamedUnit | None
    grid: NamedUnit | None
    lon: float | None
    lat: float | None


_ONLY_COUNTY = "SELECT code FROM jurisdictions WHERE level = %s AND retired_on IS NULL LIMIT 2"
_PLACE = """
WITH RECURSIVE unit AS (
  SELECT j.code FROM jurisdictions AS j
  WHERE j.code >= %(lo)s AND j.code < %(hi)s AND j.retired_on IS NULL
  ORDER BY EXISTS (
      SELECT 1 FROM grids AS g WHERE g.area_code = j.code AND g.retired_on IS NULL
    ) DESC, j.level DESC, j.boundary IS NULL, j.code
  LIMIT 1
), chain AS (
  SELECT j.code, j.name, j.level, j.parent_code, j.boundary, 0 AS depth
  FROM jurisdictions AS j JOIN unit USING (code)
  UNION ALL
  SELECT j.code, j.name, j.level, j.parent_code, j.boundary, c.depth + 1
  FROM jurisdictions AS j JOIN chain AS c ON j.code = c.parent_code
), grid AS (
  SELECT g.code, g.name, g.boundary FROM grids AS g JOIN unit ON g.area_code = unit.code
  WHERE g.retired_on IS NULL ORDER BY g.boundary IS NULL, g.code LIMIT 1
), spot AS (
  SELECT ST_PointOnSurface(s.boundary) AS point FROM (
    SELECT boundary, -1 AS depth FROM grid UNION ALL SELECT boundary, depth FROM chain
  ) AS s WHERE s.boundary IS NOT NULL ORDER BY s.depth LIMIT 1
)
SELECT
  (SELECT json_agg(json_build_array(level, code, name) ORDER BY depth) FROM chain),
  (SELECT json_build_array(code, name) FROM grid),
  (SELECT ST_X(point) FROM spot), (SELECT ST_Y(point) FROM spot),
  (SELECT name FROM jurisdictions WHERE code = %(scope)s)
"""


def example_place(conn: psycopg.Connection[Any], code: str | None) -> ExamplePlace | None:
    """Return the units of ``code`` a template's examples name, or ``None`` if there are none.

    Units retired by a re-division are passed over. Without ``code`` the examples are the
    database's only county's; a database with no county, or several, gives ``None``.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection with scope = all.
    code : str or None
        The jurisdiction's 12-digit code (any level).

    Returns
    -------
    ExamplePlace or None
        ``None`` when no unit in use lies under ``code`` (or, without it, there is no single
        county).
    """
    if code is None:
        counties = conn.execute(_ONLY_COUNTY, (int(Level.COUNTY),)).fetchall()
        if len(counties) != 1:
            return None
        code = str(counties[0][0])
    lo, hi = scope_range(code)
    chain, grid, lon, lat, scope_name = (
        conn.execute(_PLACE, {"lo": lo, "hi": hi, "scope": code}).fetchone() or (None,) * 5
    )
    if not chain or scope_name is None:
        return None
    by_level = {int(level): NamedUnit(str(c), str(name)) for level, c, name in chain}
    unit = NamedUnit(str(chain[0][1]), str(chain[0][2]))
    return ExamplePlace(
        scope=NamedUnit(code, str(scope_name)),
        unit=unit,
        county=enclosing_code(unit.code, Level.COUNTY)[:6],
        township=by_level.get(Level.TOWNSHIP),
        village=by_level.get(Level.VILLAGE),
        grid=None if grid is None else NamedUnit(str(grid[0]), str(grid[1])),
        lon=None if lon is None else float(lon),
        lat=None if lat is None else float(lat),
    )
