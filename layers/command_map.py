"""What the command view's map draws beyond the catalog's tiles and items, as GeoJSON text.

* :func:`outline`: the unit's boundary and its live children's (child jurisdictions, or a
  village's grids; not those a re-division retired), simplified to the unit's size, for the KPI
  choropleth and the drill-down;
* :func:`case_points`: cases in a box by state group (open, overdue, recent, as defined in
  :mod:`layers.case_groups`), highest risk first, capped;
* :func:`hot_cells`: the hot cells of the current hot-spot runs the unit shows (the latest
  over the whole unit; never a planner's historic analysis:
  :func:`layers.hotspot_current.shown_runs`);
* :func:`heat_points`: case counts snapped to a grid of cells, for the heat map; cells are at
  least :data:`MIN_HEAT_CELL_DEG` (≈ 200 m: a finer grid would put a case on a house), and an
  analyst, who may not see case points, gets no cell of fewer than 3 cases (the suppression of
  the trend views, :func:`layers.trends.min_count_for`).

Every function takes the unit's code, checks it lies in the actor's scope and filters rows to
the unit's code range (row-level security applies as well). GeoJSON is built by PostgreSQL
(``json_build_object``) and returned as text: nothing is parsed and re-serialised in Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import cases, hotspot_cases, hotspot_current, trends
from layers.case_groups import CaseGroup, StateGroup
from layers.errors import InvalidInput, no_jurisdiction
from layers.features import BBox
from layers.model import SRID
from layers.workflow import Actor

MAX_POINTS = 5000
"""Most case points one request returns."""
MIN_HEAT_CELL_DEG = 0.002
"""Smallest heat-map cell in degrees (≈ 200 m north–south): never one house's cases."""
MAX_HEAT_CELL_DEG = 0.5
"""Largest heat-map cell in degrees."""
SIMPLIFY_DIVISOR = 1500.0
"""Outlines are simplified to the unit's extent divided by this (≈ one screen pixel)."""
__all__ = [
    "MAX_HEAT_CELL_DEG",
    "MAX_POINTS",
    "MIN_HEAT_CELL_DEG",
    "SIMPLIFY_DIVISOR",
    "StateGroup",
    "case_points",
    "heat_points",
    "hot_cells",
    "outline",
]


def _collection(rows_sql: str) -> str:
    return (
        "SELECT json_build_object('type', 'FeatureCollection', 'features', "
        f"coalesce(json_agg(f.feature), '[]'::json))::text FROM ({rows_sql}) f"
    )


def outline(session: Session, code: str, *, actor: Actor) -> str:
    """Return the unit and its children as a GeoJSON FeatureCollection (text).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        12-digit jurisdiction code in the actor's scope.
    actor : Actor
        Whose scope applies.

    Returns
    -------
    str
        Features with ``code``, ``name``, ``level``, ``kind`` (``jurisdiction`` or ``grid``) and
        ``role`` (``unit`` for the unit itself, ``child`` for its live children: a retired one
        is left out); geometries are simplified to about one pixel of the unit's extent; the
        unit comes first. A unit loaded without a boundary (a township by name only) is drawn
        as the union of its children's; one with neither has no features.

    Raises
    ------
    NotFound
        ``code`` is not a unit inside the actor's scope.
    """
    _, _, level = cases.unit_range(code, actor)
    sql = _collection(
        """
        WITH kids AS (
            SELECT j.code, j.name, j.level, 'jurisdiction' AS kind, j.boundary AS g
              FROM jurisdictions j WHERE j.parent_code = :code AND j.retired_on IS NULL
            UNION ALL
            SELECT g.code, g.name, NULL, 'grid', g.boundary
              FROM grids g WHERE :level = 5 AND g.area_code = :code AND g.retired_on IS NULL
        ),
        own AS (
            SELECT code, name, level, coalesce(
                       boundary,
                       (SELECT ST_Multi(ST_Union(kids.g)) FROM kids WHERE kids.g IS NOT NULL)
                   ) AS boundary
              FROM jurisdictions WHERE code = :code
        ),
        u AS (
            SELECT code, name, level, boundary,
                   greatest(ST_XMax(boundary) - ST_XMin(boundary),
                            ST_YMax(boundary) - ST_YMin(boundary)) / :divisor AS tol
              FROM own WHERE boundary IS NOT NULL
        ),
        shapes AS (
            SELECT 0 AS ord, u.code, u.name, u.level, 'jurisdiction' AS kind, 'unit' AS role,
                   u.boundary AS g
              FROM u
            UNION ALL
            SELECT 1, kids.code, kids.name, kids.level, kids.kind, 'child', kids.g
              FROM kids WHERE kids.g IS NOT NULL
        )
        SELECT json_build_object(
                   'type', 'Feature', 'id', s.code,
                   'properties', json_build_object('code', s.code, 'name', s.name,
                       'level', s.level, 'kind', s.kind, 'role', s.role),
                   'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(s.g, u.tol), 6, 0)::json
               ) AS feature
          FROM shapes s, u
         ORDER BY s.ord, s.code
        """
    )
    params = {"code": code, "level": level, "divisor": SIMPLIFY_DIVISOR}
    exists = session.execute(text("SELECT 1 FROM jurisdictions WHERE code = :code"), params)
    if exists.first() is None:
        raise no_jurisdiction(code)
    return str(session.execute(text(sql), params).scalar_one())


def _located_cases(bbox: BBox | None, params: dict[str, Any]) -> str:
    """Return the condition on ``cases c``: located, in ``:lo``–``:hi`` and in ``bbox`` if any."""
    where = "c.area_code >= :lo AND c.area_code < :hi AND c.point IS NOT NULL"
    if bbox is None:
        return where
    params.update(west=bbox.minx, south=bbox.miny, east=bbox.maxx, north=bbox.maxy)
    return f"{where} AND c.point && ST_MakeEnvelope(:west, :south, :east, :north, {SRID})"


def case_points(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    bbox: BBox | None = None,
    group: StateGroup = StateGroup.OPEN,
    days: int = 30,
    limit: int = MAX_POINTS,
) -> str:
    """Return cases of the unit in ``bbox`` as a GeoJSON FeatureCollection (text).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        12-digit jurisdiction code in the actor's scope.
    actor : Actor
        Whose scope applies.
    now : datetime
        Reference time of ``overdue`` and ``recent``.
    bbox : BBox, optional
        Box in degrees; the whole unit when omitted.
    group : StateGroup
        Which cases (:class:`layers.case_groups.CaseGroup`: the tiles' definition too).
    days : int
        Window of ``recent``.
    limit : int
        Cap (1–:data:`MAX_POINTS`); the highest risk and the latest are kept.

    Returns
    -------
    str
        Point features with the case id as ``id`` and ``code``, ``title``, ``category``,
        ``risk_level``, ``state``, ``handling_level``, ``reported_at``, ``deadline``; the
        collection's ``truncated`` says whether the cap cut it.

    Raises
    ------
    NotFound
        ``code`` is outside the actor's scope.
    """
    lo, hi, _ = cases.unit_range(code, actor)
    params: dict[str, Any] = {"lo": lo, "hi": hi, "limit": max(1, min(limit, MAX_POINTS)) + 1}
    state = CaseGroup(group, now, days).condition("c", params)
    rows = f"""
        SELECT json_build_object(
                   'type', 'Feature', 'id', c.id,
                   'properties', json_build_object('code', c.code, 'title', c.title,
                       'category', c.category, 'risk_level', c.risk_level, 'state', c.state,
                       'handling_level', c.handling_level, 'reported_at', c.reported_at,
                       'deadline', c.deadline),
                   'geometry', ST_AsGeoJSON(c.point, 6, 0)::json
               ) AS feature
          FROM cases c
         WHERE {_located_cases(bbox, params)} AND {state}
         ORDER BY c.risk_level, c.reported_at DESC, c.id
         LIMIT :limit
    """
    sql = f"""
        WITH rows AS ({rows})
        SELECT json_build_object(
                   'type', 'FeatureCollection',
                   'features', coalesce((SELECT json_agg(x.feature) FROM (
                        SELECT feature FROM rows LIMIT :limit - 1) x), '[]'::json),
                   'truncated', (SELECT count(*) FROM rows) >= :limit
               )::text
    """
    return str(session.execute(text(sql), params).scalar_one())


def hot_cells(session: Session, code: str, *, actor: Actor) -> str:
    """Return the hot cells of the current hot-spot runs the unit shows (GeoJSON text).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        12-digit jurisdiction code in the actor's scope.
    actor : Actor
        Whose scope applies.

    Returns
    -------
    str
        Polygon features of the hot cells (``bin`` > 0: 90/95/99 % confidence; cold spots are
        no risk and are left out) whose centre lies in the unit, whole, with ``count``
        (本格案件数), ``around`` (本格及相邻格案件数, :func:`layers.hotspot_cases.figures`:
        the figure of the cell's alert), ``z``, ``p``,
        ``bin``, ``pattern`` and the run's ``window_start``/``window_end``; empty when no run
        covers the unit. Coordinates have five decimals (about a metre), without a ``crs``
        member (RFC 7946). A reader who may not list a cell's cases (an analyst:
        :func:`layers.trends.min_count_for` with ``of="cases"``; a province's or a city's
        commander lists them with 查看案件 and reads every figure, trial AM M4) reads a
        ``count`` of 1 or 2 as null, ``around`` as null wherever a cell of its
        ring holds 1 or 2 cases (the sum less the counts shown gave a lone one back:
        :meth:`layers.hotspot_cases.CellFigures.shown_around`), and ``z`` and ``p`` as null:
        the confidence ``bin`` and the ``pattern`` say how hot a cell is, and a z, a linear
        function of the ring's cases, gave the blanked counts back (trial AJ M4).

    Raises
    ------
    NotFound
        ``code`` is outside the actor's scope.
    """
    lo, hi, _ = cases.unit_range(code, actor)
    params: dict[str, Any] = {
        "lo": lo,
        "hi": hi,
        "unit": code,
        "min_count": trends.min_count_for(actor, of="cases"),
        "runs": hotspot_current.shown_runs(session, code),
    }
    # the cells whose centre lies in the unit, drawn whole: a cell's figures are the whole
    # cell's, and clipped at the outline they would seem the unit's alone (trial AQ m8; a cell
    # whose centre lies in no unit below the analysed one is given to the nearest, whose map
    # leaves it out: its alert marks where it is)
    hot = (
        "h.area_code >= :lo AND h.area_code < :hi AND h.bin > 0 AND h.run_id = ANY(:runs)"
        " AND coalesce(ST_Covers((SELECT u.boundary FROM jurisdictions u WHERE u.code = :unit),"
        "  ST_Centroid(h.geom)), true)"
    )
    ids = session.execute(text(f"SELECT h.id FROM hotspot_cells h WHERE {hot}"), params).scalars()
    # 本格及相邻格: the figure the cell's alert gives, read the same way (layers.hotspot_cases)
    around = hotspot_cases.figures(session, list(ids))
    params["ids"] = list(around)
    params["around"] = [f.shown_around(params["min_count"]) for f in around.values()]
    sql = _collection(
        f"""
        SELECT json_build_object(
                   'type', 'Feature', 'id', h.id,
                   'properties', json_build_object(
                       'count', CASE WHEN h.count > 0 AND h.count < :min_count THEN NULL
                                     ELSE h.count END,
                       'around', a.around,
                       'z', CASE WHEN :min_count <= 1 THEN round(h.z::numeric, 2) END,
                       'p', CASE WHEN :min_count <= 1 THEN h.p END,
                       'bin', h.bin, 'pattern', h.pattern,
                       'window_start', r.window_start, 'window_end', r.window_end),
                   'geometry', ST_AsGeoJSON(h.geom, 5, 0)::json
               ) AS feature
          FROM hotspot_cells h JOIN hotspot_runs r ON r.id = h.run_id
          LEFT JOIN unnest(CAST(:ids AS bigint[]), CAST(:around AS int[])) AS a(id, around)
            ON a.id = h.id
         WHERE {hot}"""
    )
    return str(session.execute(text(sql), params).scalar_one())


def heat_points(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    bbox: BBox | None = None,
    cell_deg: float = 0.002,
    days: int = 365,
) -> list[list[float]]:
    """Return ``[lat, lon, count]`` of cases reported in the last ``days``, per grid cell.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        12-digit jurisdiction code in the actor's scope.
    actor : Actor
        Whose scope applies.
    now : datetime
        End of the window.
    bbox : BBox, optional
        Box in degrees; the whole unit when omitted.
    cell_deg : float
        Cell size in degrees, :data:`MIN_HEAT_CELL_DEG` to :data:`MAX_HEAT_CELL_DEG`: one point
        per occupied cell.
    days : int
        Window length.

    Returns
    -------
    list of list of float
        Cell centres with their counts, the largest counts first, at most 20,000; for an
        analyst, only cells of at least :data:`layers.trends.ANALYST_MIN_COUNT` cases.

    Raises
    ------
    InvalidInput
        The cell is smaller than :data:`MIN_HEAT_CELL_DEG` (or larger than the maximum).
    NotFound
        ``code`` is outside the actor's scope.
    """
    if not MIN_HEAT_CELL_DEG <= cell_deg <= MAX_HEAT_CELL_DEG:
        raise InvalidInput(
            f"热力图单元边长应在 {MIN_HEAT_CELL_DEG}° 至 {MAX_HEAT_CELL_DEG}° 之间"
            "（约 200 米以上，以免定位到单户）"
        )
    lo, hi, _ = cases.unit_range(code, actor)
    params: dict[str, Any] = {
        "lo": lo,
        "hi": hi,
        "since": now - timedelta(days=days),
        "cell": cell_deg,
        "min_count": trends.min_count_for(actor, of="cases"),
    }
    sql = f"""
        SELECT (floor(ST_Y(c.point) / :cell) + 0.5) * :cell AS lat,
               (floor(ST_X(c.point) / :cell) + 0.5) * :cell AS lon,
               count(*) AS n
          FROM cases c
         WHERE {_located_cases(bbox, params)} AND c.reported_at >= :since
         GROUP BY 1, 2 HAVING count(*) >= :min_count ORDER BY 3 DESC LIMIT 20000
    """
    return [
        [round(float(r.lat), 6), round(float(r.lon), 6), int(r.n)]
        for r in session.execute(text(sql), params)
    ]
