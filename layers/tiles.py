"""Mapbox vector tiles of the catalog's collections (``ST_AsMVT``), scoped like every query.

Tiles are in Web Mercator (EPSG:3857) on the usual XYZ grid. Rows are selected with the tile's
box in EPSG:4490 with ``&&`` (so the GiST index on the stored geometry can be used: for the app
role, under row-level security, only once ``&&`` is marked leakproof, since PostgreSQL uses no
index for other conditions there) and transformed to 3857 only for encoding. Below a
collection's ``aggregate_below_zoom`` (and always for analysts reading personal layers) points
are replaced by hexagon counts (``ST_HexagonGrid``), each point counted in exactly one hexagon.
The cases layer's tiles, points or counts, can be limited to a state group of the command map
(:class:`layers.case_groups.CaseGroup`: open, overdue or recent), the very condition of the
console's case points.

Tile queries rely on the connection settings of :func:`layers.database.make_engine`
(:data:`layers.database.SESSION_SETTINGS`): many small concurrent queries gain nothing from
parallel workers, PostGIS's high function costs would make the planner JIT-compile tile
queries, which then spend more time compiling (hundreds of milliseconds measured at city scale,
``bench/api.py``) than running, and custom plans keep the tile's box in the plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.case_groups import CaseGroup
from layers.catalog import Collection
from layers.errors import InvalidInput, NotFound
from layers.features import scope_filter, stored_near
from layers.model import SRID

MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64
HEXAGONS_ACROSS = 16
"""Hexagon size: a tile is this many hexagon edge lengths wide."""
MERCATOR_WIDTH = 2 * math.pi * 6378137.0
CASES: Final = "cases"
"""The collection whose tiles take a :class:`layers.case_groups.CaseGroup` (its table's alias
in the catalog is ``t``)."""


@dataclass(frozen=True)
class TileBounds:
    """A tile's longitude/latitude box.

    Attributes
    ----------
    west, south, east, north : float
        Degrees.
    """

    west: float
    south: float
    east: float
    north: float


def tile_bounds(z: int, x: int, y: int) -> TileBounds:
    """Return the longitude/latitude bounds of XYZ tile ``z/x/y``.

    Parameters
    ----------
    z, x, y : int
        Zoom, column, row (row 0 at the north).

    Returns
    -------
    TileBounds
        The box in degrees.

    Raises
    ------
    NotFound
        The tile is outside the tile matrix (zoom 0–22, 0 ≤ x, y < 2**z).

    Examples
    --------
    >>> b = tile_bounds(1, 1, 0)
    >>> b.west, b.east, round(b.north, 4)
    (0.0, 180.0, 85.0511)
    """
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(f"瓦片 {z}/{x}/{y} 超出范围")
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return TileBounds(x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y))


def hexagon_size(z: int) -> float:
    """Return the hexagon edge length in Web Mercator metres used at zoom ``z``.

    Parameters
    ----------
    z : int
        Zoom.

    Returns
    -------
    float
        Edge length.

    Examples
    --------
    >>> round(hexagon_size(0))
    2504689
    """
    return MERCATOR_WIDTH / float(2**z) / HEXAGONS_ACROSS


def aggregates_at(collection: Collection, z: int) -> bool:
    """Whether tiles of ``collection`` at zoom ``z`` carry hexagon counts.

    Parameters
    ----------
    collection : Collection
        The layer.
    z : int
        Zoom.

    Returns
    -------
    bool
        ``True`` below the collection's aggregation zoom.
    """
    return collection.aggregate_below_zoom is not None and z < collection.aggregate_below_zoom


def tile_query(
    collection: Collection,
    z: int,
    x: int,
    y: int,
    *,
    scope_code: str,
    aggregate: bool | None = None,
    min_count: int = 1,
    cases: CaseGroup | None = None,
) -> tuple[str, dict[str, Any]]:
    """Return the SQL and parameters of :func:`tile` (one statement; to run or to EXPLAIN).

    Parameters
    ----------
    collection : Collection
        The layer.
    z, x, y : int
        Tile address.
    scope_code : str
        12-digit code of the caller's scope.
    aggregate : bool, optional
        As for :func:`tile`.
    min_count : int
        As for :func:`tile`.
    cases : CaseGroup, optional
        As for :func:`tile`.

    Returns
    -------
    tuple
        ``(sql, params)``; the statement returns one ``bytea`` (``NULL`` when empty).

    Raises
    ------
    NotFound
        The tile is outside the tile matrix.
    InvalidInput
        ``cases`` is given for another collection than the cases.
    """
    if cases is not None and collection.id != CASES:
        raise InvalidInput(f"案件范围只适用于矛盾纠纷与事件图层，不适用于{collection.title}")
    bounds = tile_bounds(z, x, y)
    if aggregate is None:
        aggregate = aggregates_at(collection, z)
    aggregate = aggregate and collection.geometry_type == "Point"
    width = bounds.east - bounds.west
    margin = width * (2 / HEXAGONS_ACROSS if aggregate else BUFFER / EXTENT)
    params: dict[str, Any] = {
        "z": z,
        "x": x,
        "y": y,
        "layer": collection.id,
        "west": max(-180.0, bounds.west - margin),
        "south": max(-90.0, bounds.south - margin),
        "east": min(180.0, bounds.east + margin),
        "north": min(90.0, bounds.north + margin),
    }
    where = (
        stored_near(collection, ("west", "south", "east", "north"), params)
        + f"{collection.geometry_column} && "
        f"ST_MakeEnvelope(:west, :south, :east, :north, {SRID}) AND "
        + scope_filter(collection, scope_code, params)
    )
    if cases is not None:
        where += " AND " + cases.condition("t", params)
    geom3857 = mercator_sql(collection.geometry_column)
    if aggregate:
        params.update(size=hexagon_size(z), min_count=max(1, min_count))
        sql = f"""
            WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS b),
            pts AS (
                SELECT {collection.id_column} AS fid, {geom3857} AS g
                FROM {collection.from_sql} WHERE {where}
            ),
            cells AS (
                SELECT h.i, h.j, h.geom FROM env, ST_HexagonGrid(:size, env.b) AS h
            ),
            placed AS (
                SELECT DISTINCT ON (pts.fid) cells.i, cells.j
                FROM pts JOIN cells ON ST_Intersects(cells.geom, pts.g)
                ORDER BY pts.fid, cells.i, cells.j
            ),
            counted AS (
                SELECT cells.geom, count(*)::int AS count
                FROM placed JOIN cells USING (i, j)
                GROUP BY cells.geom
                HAVING count(*) >= :min_count
            )
            SELECT ST_AsMVT(m, :layer, {EXTENT}, 'geom')
            FROM (
                SELECT ST_AsMVTGeom(counted.geom, env.b, {EXTENT}, {BUFFER}, true) AS geom,
                       counted.count
                FROM counted, env
            ) m
        """
    else:
        props = "".join(
            f", {collection.properties[name]} AS {name}" for name in collection.tile_properties
        )
        # Rows whose clipped geometry is NULL (outside tile and buffer) are skipped by ST_AsMVT
        # itself; a ``WHERE geom IS NOT NULL`` here would compute every ST_AsMVTGeom twice.
        if collection.id_kind == "int":
            feature_id, id_select = "'fid'", f", {collection.id_column} AS fid"
        else:
            feature_id, id_select = "NULL", ""
        sql = f"""
            WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS b)
            SELECT ST_AsMVT(m, :layer, {EXTENT}, 'geom', {feature_id})
            FROM (
                SELECT ST_AsMVTGeom({geom3857}, env.b, {EXTENT}, {BUFFER}, true) AS geom
                       {id_select}{props}
                FROM {collection.from_sql}, env
                WHERE {where}
            ) m
        """
    return sql, params


def mercator_sql(column: str) -> str:
    """Return the SQL of ``column`` (stored in EPSG:4490) in Web Mercator (EPSG:3857).

    The geometry is relabelled EPSG:4326 before the transform. PROJ converts CGCS2000 to
    WGS 84 by a null (ballpark) operation, so the coordinates are the same to the last digit,
    but finding that operation for EPSG:4490 costs a new PostgreSQL backend about 0.1 s of CPU
    (and 0.2-0.3 s of wall) on its first tile, reading PROJ's database, against about 0.015 s
    for EPSG:4326, whose datum is Web Mercator's own.

    Parameters
    ----------
    column : str
        The geometry column (an SQL expression).

    Returns
    -------
    str
        The SQL expression.

    Examples
    --------
    >>> mercator_sql("t.geom")
    'ST_Transform(ST_SetSRID(t.geom, 4326), 3857)'
    """
    return f"ST_Transform(ST_SetSRID({column}, 4326), 3857)"


def tile(
    session: Session,
    collection: Collection,
    z: int,
    x: int,
    y: int,
    *,
    scope_code: str,
    aggregate: bool | None = None,
    min_count: int = 1,
    cases: CaseGroup | None = None,
) -> bytes:
    """Return the vector tile ``z/x/y`` of ``collection`` inside the caller's scope.

    The tile has one layer named after the collection. Feature tiles carry the collection's
    ``tile_properties`` (and its integer id as the feature id); aggregate tiles carry one
    hexagon per occupied cell with the property ``count``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the caller, on a connection of
        :func:`layers.database.make_engine`.
    collection : Collection
        The layer.
    z, x, y : int
        Tile address.
    scope_code : str
        12-digit code of the caller's scope.
    aggregate : bool, optional
        Force hexagon counts (``True``) or features (``False``); by default decided by
        :func:`aggregates_at`. Only point collections can be aggregated.
    min_count : int
        Drop hexagons with fewer points (small-count suppression for analysts).
    cases : CaseGroup, optional
        Only the cases of this state group (the cases collection only); every case when
        omitted.

    Returns
    -------
    bytes
        The encoded tile (empty when nothing is in it).

    Raises
    ------
    NotFound
        The tile is outside the tile matrix.
    InvalidInput
        ``cases`` is given for another collection than the cases.
    """
    sql, params = tile_query(
        collection,
        z,
        x,
        y,
        scope_code=scope_code,
        aggregate=aggregate,
        min_count=min_count,
        cases=cases,
    )
    data = session.execute(text(sql), params).scalar()
    return bytes(data) if data is not None else b""
