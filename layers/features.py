"""GeoJSON features of the catalog's collections, built inside PostgreSQL.

One SQL statement per request returns the whole FeatureCollection as text (``ST_AsGeoJSON``
and ``json_build_object`` per feature, joined with ``string_agg``): no Python object per
feature. Every query filters by the caller's scope range explicitly, on top of row-level
security.
Coordinates are EPSG:4490 longitude/latitude, which GeoJSON readers take as CRS84.

Page queries rely on the connection settings of :func:`layers.database.make_engine` (no JIT,
no parallel workers, custom plans: :data:`layers.database.SESSION_SETTINGS`): the count over a
city's scope would make the planner JIT-compile the statement, which then spends longer
compiling than running, and the generic plan PostgreSQL switches to for prepared statements is
several times slower (measured with ``bench/api.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers.catalog import Collection
from layers.errors import InvalidInput, NotFound
from layers.model import SRID

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_OFFSET = 2**31 - 1
COORDINATE_DIGITS = 7
"""Decimal digits of output coordinates (1e-7 degree is about 1 cm)."""


class InvalidParameter(InvalidInput):
    """A query parameter that cannot be used (bad bbox, datetime, …): HTTP 400 in OGC terms."""


BBOX_FORM = "地图范围（bbox）应为以逗号分隔的 4 个（或 6 个）数字"
"""The message of a bbox that is not a list of numbers."""


def no_feature(collection: Collection) -> NotFound:
    """Return the error of a feature id that is not in ``collection`` within the caller's scope.

    Parameters
    ----------
    collection : Collection
        The layer, named by its Chinese title.

    Returns
    -------
    NotFound
        The error to raise; the id asked for is not repeated (it may be any text).

    Examples
    --------
    >>> from layers.catalog import get_collection
    >>> str(no_feature(get_collection("grids")))
    '图层“网格”中没有该要素，或它不在您的辖区内'
    """
    return NotFound(f"图层“{collection.title}”中没有该要素，或它不在您的辖区内")


@dataclass(frozen=True)
class BBox:
    """A longitude/latitude box in CRS84 degrees.

    Attributes
    ----------
    minx, miny, maxx, maxy : float
        West, south, east, north.

    Raises
    ------
    InvalidParameter
        Non-finite values, latitudes outside ±90, or min greater than max.

    Examples
    --------
    >>> BBox.parse("110.1,19.9,110.5,20.1")
    BBox(minx=110.1, miny=19.9, maxx=110.5, maxy=20.1)
    """

    minx: float
    miny: float
    maxx: float
    maxy: float

    def __post_init__(self) -> None:
        """Check the box is finite, on Earth and not inverted."""
        values = (self.minx, self.miny, self.maxx, self.maxy)
        if not all(math.isfinite(v) for v in values):
            raise InvalidParameter("地图范围（bbox）的值应为有限的数字")
        if not (-180 <= self.minx <= 180 and -180 <= self.maxx <= 180):
            raise InvalidParameter("地图范围（bbox）的经度应在 -180 至 180 之间")
        if not (-90 <= self.miny <= 90 and -90 <= self.maxy <= 90):
            raise InvalidParameter("地图范围（bbox）的纬度应在 -90 至 90 之间")
        if self.minx > self.maxx or self.miny > self.maxy:
            raise InvalidParameter("地图范围（bbox）的最小值不能大于最大值")

    @classmethod
    def parse(cls, value: str) -> BBox:
        """Parse ``minx,miny,maxx,maxy`` (or the 6-value 3D form, heights ignored).

        Parameters
        ----------
        value : str
            Comma-separated numbers.

        Returns
        -------
        BBox
            The box.

        Raises
        ------
        InvalidParameter
            Wrong count or non-numbers.
        """
        try:
            numbers = [float(part) for part in value.split(",")]
        except ValueError:
            raise InvalidParameter(BBOX_FORM) from None
        if len(numbers) == 6:
            numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
        if len(numbers) != 4:
            raise InvalidParameter(BBOX_FORM)
        return cls(*numbers)


@dataclass(frozen=True)
class TimeRange:
    """A closed time interval; ``None`` ends are open.

    Attributes
    ----------
    start, end : datetime or None
        Bounds (timezone-aware).
    """

    start: datetime | None
    end: datetime | None

    @classmethod
    def parse(cls, value: str) -> TimeRange:
        """Parse an OGC ``datetime``: an instant, ``a/b``, ``../b`` or ``a/..``.

        Parameters
        ----------
        value : str
            RFC 3339 date-times or dates; naive values are taken as UTC.

        Returns
        -------
        TimeRange
            The interval (an instant gives ``start == end``).

        Raises
        ------
        InvalidParameter
            Unparseable parts, both ends open, or start after end.

        Examples
        --------
        >>> r = TimeRange.parse("2026-01-01T00:00:00Z/..")
        >>> r.start.isoformat(), r.end
        ('2026-01-01T00:00:00+00:00', None)
        """
        parts = value.split("/")
        if len(parts) == 1:
            instant = _parse_instant(parts[0])
            return cls(instant, instant)
        if len(parts) != 2:
            raise InvalidParameter("时间（datetime）应为一个时刻，或“开始/结束”形式的时间段")
        start = None if parts[0] in ("", "..") else _parse_instant(parts[0])
        end = None if parts[1] in ("", "..") else _parse_instant(parts[1])
        if start is None and end is None:
            raise InvalidParameter("时间段（datetime）至少要给出开始或结束")
        if start is not None and end is not None and start > end:
            raise InvalidParameter("时间段（datetime）的开始晚于结束")
        return cls(start, end)


def _parse_instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidParameter(
            "时间（datetime）应为 RFC 3339 格式，例如 2026-01-01T08:00:00+08:00"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FeaturePage:
    """One page of a collection as GeoJSON text.

    Attributes
    ----------
    body : str
        ``{"type": "FeatureCollection", "features": [...], "numberMatched": …,
        "numberReturned": …}`` as JSON text (links are added by the caller with
        :func:`add_members`).
    matched : int
        Features matching the filters in the caller's scope.
    returned : int
        Features on this page.
    """

    body: str
    matched: int
    returned: int


def clamp_limit(limit: int | None) -> int:
    """Clamp a requested page size into ``[1, MAX_LIMIT]`` (default :data:`DEFAULT_LIMIT`).

    Parameters
    ----------
    limit : int or None
        Requested page size.

    Returns
    -------
    int
        The page size used.

    Examples
    --------
    >>> clamp_limit(None), clamp_limit(0), clamp_limit(10**9)
    (100, 1, 10000)
    """
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(limit, MAX_LIMIT))


def add_members(json_object: str, members: dict[str, Any]) -> str:
    """Append members to a JSON object given as text, without parsing it.

    Parameters
    ----------
    json_object : str
        Text of a non-empty JSON object.
    members : dict
        Members to add (serialised with orjson).

    Returns
    -------
    str
        The extended object.

    Examples
    --------
    >>> add_members('{"a":1}', {"links": []})
    '{"a":1,"links":[]}'
    """
    extra = orjson.dumps(members).decode()[1:-1]
    body = json_object.rstrip()
    if not extra:
        return body
    return body[:-1] + "," + extra + "}"


_PROPERTIES = "feature_properties"
"""Alias of the row of a feature's published properties (see :func:`_features_from`)."""


def _features_from(collection: Collection) -> str:
    """Return the ``FROM`` clause of features: the collection's, and a row of its properties.

    The properties are a ``LATERAL`` subquery without ``FROM`` (planned as a projection of the
    collection's row), named after the published names, so that ``row_to_json`` turns them into
    the ``properties`` object: about 30 % less time for a 1,000-feature page than
    ``json_build_object`` with its name and value arguments, which looks up the type of each
    value again for every row (``bench/api.py``).
    """
    columns = ", ".join(f'{expr} AS "{name}"' for name, expr in collection.properties.items())
    return f"{collection.from_sql} CROSS JOIN LATERAL (SELECT {columns}) AS {_PROPERTIES}"


def _feature_sql(collection: Collection) -> str:
    """Return the SQL expression of one Feature as JSON text, over :func:`_features_from`.

    Concatenated rather than built as a JSON object around ``ST_AsGeoJSON(...)::json``: the
    geometry's GeoJSON text is used as it is instead of being parsed back into ``json`` and
    printed again (about a fifth of a 1,000-feature page's time).
    """
    # options 0: no "crs" member; GeoJSON is CRS84 (numerically the same as CGCS2000 lon/lat).
    geometry = (
        f"COALESCE(ST_AsGeoJSON({collection.geometry_column}, {COORDINATE_DIGITS}, 0), 'null')"
    )
    return (
        f"""'{{"type":"Feature","id":' || to_json({collection.id_column})::text """
        f"""|| ',"geometry":' || {geometry} """
        f"""|| ',"properties":' || row_to_json({_PROPERTIES})::text || '}}'"""
    )


def scope_filter(collection: Collection, scope_code: str, params: dict[str, Any]) -> str:
    """Return the SQL condition restricting ``collection`` to a scope; fill its parameters.

    Parameters
    ----------
    collection : Collection
        The layer.
    scope_code : str
        12-digit jurisdiction code of the caller's scope.
    params : dict
        Bind parameters; ``scope_lo`` and ``scope_hi`` are added.

    Returns
    -------
    str
        ``col >= :scope_lo AND col < :scope_hi`` (index-friendly on a ``COLLATE "C"`` column).
    """
    params["scope_lo"], params["scope_hi"] = scope_range(scope_code)
    column = collection.scope_column
    return f"{column} >= :scope_lo AND {column} < :scope_hi"


def stored_near(
    collection: Collection, box: tuple[str, str, str, str], params: dict[str, Any]
) -> str:
    """Return the index-friendly test of a blurred geometry's stored column, and ``AND``.

    A collection publishing a blurred point (:attr:`~layers.catalog.Collection.stored_geometry`,
    the persons' homes) is tested on its published point, so that a small box tells no more
    than the point does (trial AW M8); its stored column, which the GiST index is on, is tested
    first against the box widened by the blur.

    Parameters
    ----------
    collection : Collection
        The layer.
    box : tuple of str
        Names of the parameters holding the box's west, south, east and north (set before
        the statement runs).
    params : dict
        Bind parameters; ``blur`` is added.

    Returns
    -------
    str
        ``stored && widened box AND `` (empty for a collection publishing its stored geometry).

    Examples
    --------
    >>> from layers.catalog import get_collection
    >>> stored_near(get_collection("grids"), ("w", "s", "e", "n"), {})
    ''
    >>> stored_near(get_collection("persons"), ("w", "s", "e", "n"), {}).split(" AND ")
    ['t.residence && ST_MakeEnvelope(:w - :blur, :s - :blur, :e + :blur, :n + :blur, 4490)', '']
    """
    if collection.stored_geometry is None:
        return ""
    params["blur"] = collection.blur
    w, s, e, n = box
    return (
        f"{collection.stored_geometry} && ST_MakeEnvelope("
        f":{w} - :blur, :{s} - :blur, :{e} + :blur, :{n} + :blur, {SRID}) AND "
    )


def _where(
    collection: Collection,
    scope_code: str,
    bbox: BBox | None,
    datetime_range: TimeRange | None,
    params: dict[str, Any],
) -> str:
    conditions = [scope_filter(collection, scope_code, params)]
    if bbox is not None:
        # ``&&`` spelled out: under row-level security PostgreSQL uses an index only for a
        # leakproof condition; ST_Intersects never is, ``&&`` is once marked so.
        box = f"ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, {SRID})"
        conditions.append(
            stored_near(collection, ("minx", "miny", "maxx", "maxy"), params)
            + f"{collection.geometry_column} && {box} "
            f"AND ST_Intersects({collection.geometry_column}, {box})"
        )
        params.update(minx=bbox.minx, miny=bbox.miny, maxx=bbox.maxx, maxy=bbox.maxy)
    if datetime_range is not None and collection.has_time:
        if collection.datetime_column is not None:
            start_col = end_col = collection.datetime_column
        else:
            assert collection.interval_columns is not None
            start_col, end_col = collection.interval_columns
        if datetime_range.start is not None:
            conditions.append(f"{end_col} >= :t_start")
            params["t_start"] = datetime_range.start
        if datetime_range.end is not None:
            conditions.append(f"{start_col} <= :t_end")
            params["t_end"] = datetime_range.end
    return " AND ".join(conditions)


def items_query(
    collection: Collection,
    *,
    scope_code: str,
    bbox: BBox | None = None,
    datetime_range: TimeRange | None = None,
    limit: int | None = DEFAULT_LIMIT,
    offset: int = 0,
    matched: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """Return the SQL and parameters of :func:`collection_items` (to run or to EXPLAIN).

    Parameters
    ----------
    collection : Collection
        The layer.
    scope_code : str
        12-digit code of the caller's scope.
    bbox, datetime_range, limit, offset, matched
        As for :func:`collection_items`.

    Returns
    -------
    tuple
        ``(sql, params)``; the statement returns one row: the FeatureCollection text,
        ``numberMatched`` and ``numberReturned``.
    """
    params: dict[str, Any] = {
        "limit": clamp_limit(limit),
        "offset": max(0, min(offset, MAX_OFFSET)),
    }
    where = _where(collection, scope_code, bbox, datetime_range, params)
    if matched is None:
        count = f"(SELECT count(*) FROM {collection.from_sql} WHERE {where})"
    else:
        count, params["matched"] = ":matched", matched
    sql = f"""
        WITH page AS (
            SELECT {collection.id_column} AS fid, {_feature_sql(collection)} AS feature
            FROM {_features_from(collection)}
            WHERE {where}
            ORDER BY {collection.id_column}
            LIMIT :limit OFFSET :offset
        ),
        returned AS (SELECT count(*) AS n FROM page),
        counts AS MATERIALIZED (
            -- A short page ends the matches: count them again only when it does not.
            -- MATERIALIZED: inlined, the count would run once per use of ``matched`` below.
            SELECT CASE WHEN returned.n < :limit AND (returned.n > 0 OR :offset = 0)
                        THEN :offset + returned.n
                        ELSE {count}
                   END AS matched,
                   returned.n AS returned
            FROM returned
        )
        SELECT '{{"type":"FeatureCollection","numberMatched":' || counts.matched
               || ',"numberReturned":' || counts.returned || ',"features":['
               || COALESCE((SELECT string_agg(feature, ',' ORDER BY fid) FROM page), '')
               || ']}}',
               counts.matched, counts.returned
        FROM counts
    """
    return sql, params


def collection_items(
    session: Session,
    collection: Collection,
    *,
    scope_code: str,
    bbox: BBox | None = None,
    datetime_range: TimeRange | None = None,
    limit: int | None = DEFAULT_LIMIT,
    offset: int = 0,
    matched: int | None = None,
) -> FeaturePage:
    """Return one page of ``collection`` inside the caller's scope, ordered by id.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the caller.
    collection : Collection
        The layer.
    scope_code : str
        12-digit code of the caller's scope (filtered explicitly as well as by RLS).
    bbox : BBox, optional
        Only features intersecting the box.
    datetime_range : TimeRange, optional
        Only features whose time (or time interval) meets the range; ignored for collections
        without time.
    limit : int, optional
        Page size, clamped by :func:`clamp_limit`.
    offset : int
        Features to skip (clamped to ``[0, MAX_OFFSET]``).
    matched : int, optional
        ``numberMatched`` when already known for these filters and scope (from a cache that
        tracks the collection's tables, :mod:`layers.changes`): the count over the whole
        scope, most of a large scope's page time, is then skipped. A short page still ends
        the matches.

    Returns
    -------
    FeaturePage
        The FeatureCollection text and its counts.
    """
    sql, params = items_query(
        collection,
        scope_code=scope_code,
        bbox=bbox,
        datetime_range=datetime_range,
        limit=limit,
        offset=offset,
        matched=matched,
    )
    body, number_matched, returned = session.execute(text(sql), params).one()
    return FeaturePage(body=body, matched=number_matched, returned=returned)


def parse_fid(collection: Collection, fid: str) -> int | str:
    """Parse a feature id of ``collection`` from a URL.

    Parameters
    ----------
    collection : Collection
        The layer.
    fid : str
        The id as given.

    Returns
    -------
    int or str
        The id in its column's type.

    Raises
    ------
    NotFound
        The id cannot belong to this collection.

    Examples
    --------
    >>> from layers.catalog import get_collection
    >>> parse_fid(get_collection("cases"), "42")
    42
    """
    if collection.id_kind == "int":
        if not fid.isascii() or not fid.isdigit() or len(fid) > 18:
            raise no_feature(collection)
        return int(fid)
    if not fid.isascii() or not fid.isdigit() or len(fid) > 15:
        raise no_feature(collection)
    return fid


def collection_item(session: Session, collection: Collection, fid: str, *, scope_code: str) -> str:
    """Return one feature of ``collection`` as GeoJSON text.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the caller.
    collection : Collection
        The layer.
    fid : str
        Feature id as given in the URL.
    scope_code : str
        12-digit code of the caller's scope.

    Returns
    -------
    str
        The Feature as JSON text.

    Raises
    ------
    RetiredFeature
        A camera an import retired, or a grid or jurisdiction of the caller's scope that a
        re-division retired (a
        :class:`~layers.errors.NotFound` that says when, and which unit succeeded it).
    NotFound
        No such feature in the caller's scope (out-of-scope features do not exist for them).
    """
    params: dict[str, Any] = {"fid": parse_fid(collection, fid)}
    where = scope_filter(collection, scope_code, params)
    sql = f"""
        SELECT {_feature_sql(collection)}
        FROM {_features_from(collection)}
        WHERE {collection.id_column} = :fid AND {where}
    """
    body = session.execute(text(sql), params).scalar()
    if body is None:
        retired = retired_feature(session, collection, fid, scope_code=scope_code)
        raise no_feature(collection) if retired is None else retired
    return str(body)


RETIRING_UNITS = {"grids": "网格", "jurisdictions": "区划"}
"""Collections whose units a re-division retires (off the map, on record) → the unit's name."""
SUCCESSION_LIMIT = 100
"""How many successors :func:`retired_feature` follows (a chain that loops ends there)."""


@dataclass(frozen=True)
class Successor:
    """The live unit a retired unit's chain of successors leads to.

    Attributes
    ----------
    code : str
        Its code (a feature id of the same collection).
    name : str
        Its name.
    """

    code: str
    name: str


class RetiredFeature(NotFound):
    """A unit a re-division retired: not a current feature, but on record.

    Parameters
    ----------
    message : str
        What the caller reads (Chinese): the unit, the day, and its successor.
    unit_code : str
        The retired unit's code (its feature id).
    retired_on : datetime.date
        The day it was retired.
    successor : Successor or None
        The live unit in the caller's scope that took it over; ``None`` when none did, or
        when it lies outside the caller's scope.
    """

    def __init__(
        self, message: str, *, unit_code: str, retired_on: date, successor: Successor | None
    ) -> None:
        super().__init__(message)
        self.unit_code = unit_code
        self.retired_on = retired_on
        self.successor = successor


def _retirement_sql(collection: Collection, where: str) -> str:
    """Return the SQL of :func:`retired_feature`: the unit, and where its successors lead.

    ``chain`` follows ``successor_code`` from the unit through retired units of the scope;
    ``heir`` is the unit the last step names, looked up in the scope: live, retired (a chain
    that loops), or no row (outside the scope, or no unit at all).
    """
    table = collection.tables[0]
    return f"""
        WITH RECURSIVE chain (next, depth) AS (
            SELECT t.successor_code, 0 FROM {table} AS t
            WHERE t.code = :fid AND t.retired_on IS NOT NULL AND {where}
            UNION ALL
            SELECT t.successor_code, c.depth + 1 FROM chain AS c
            JOIN {table} AS t ON t.code = c.next
            WHERE t.retired_on IS NOT NULL AND {where} AND c.depth < :limit
        ),
        tail AS (SELECT next FROM chain ORDER BY depth DESC LIMIT 1)
        SELECT t.name, t.retired_on, t.successor_code IS NOT NULL, tail.next IS NOT NULL,
               heir.code, heir.name, heir.live
        FROM {table} AS t CROSS JOIN tail
        LEFT JOIN LATERAL (
            SELECT t.code::text AS code, t.name, t.retired_on IS NULL AS live
            FROM {table} AS t WHERE t.code = tail.next AND {where}
        ) AS heir ON true
        WHERE t.code = :fid AND {where}
    """


def retired_feature(
    session: Session, collection: Collection, fid: str, *, scope_code: str
) -> RetiredFeature | None:
    """Return the error of a retired grid, jurisdiction or camera of the caller's scope, if any.

    The successor named is the live unit the chain of successors leads to (a grid merged into
    one that a later re-division merged again leads to the last), when it lies in the caller's
    scope; one outside it is not named. A unit outside the scope is not looked at: it does not
    exist for the caller.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the caller.
    collection : Collection
        The layer; only those of :data:`RETIRING_UNITS` retire units, and
        :data:`RETIRING_CAMERAS` cameras (no successor: the summary of the import that
        retired a camera names its replacement).
    fid : str
        Feature id as given in the URL.
    scope_code : str
        12-digit code of the caller's scope.

    Returns
    -------
    RetiredFeature or None
        The error to raise (a :class:`~layers.errors.NotFound`); ``None`` when ``fid`` is no
        retired unit (or camera) of ``collection`` in the scope.
    """
    if collection.id == RETIRING_CAMERAS:
        return _retired_camera(session, collection, fid, scope_code=scope_code)
    if collection.id not in RETIRING_UNITS:
        return None
    params: dict[str, Any] = {"fid": parse_fid(collection, fid), "limit": SUCCESSION_LIMIT}
    where = scope_filter(collection, scope_code, params)
    row = session.execute(text(_retirement_sql(collection, where)), params).one_or_none()
    if row is None:
        return None
    name, retired_on, had_successor, leads_on, heir_code, heir_name, heir_live = row
    successor = Successor(heir_code, heir_name) if heir_live else None
    label = RETIRING_UNITS[collection.id]
    after = _succession(label, successor, outside=leads_on and heir_code is None, had=had_successor)
    message = f"{label} {name}（{fid}）已于 {retired_on.isoformat()} 撤销，{after}"
    return RetiredFeature(message, unit_code=fid, retired_on=retired_on, successor=successor)


RETIRING_CAMERAS = "video_points"
"""The collection whose cameras an import retires (:mod:`layers.camera_retirement`)."""


def _retired_camera(
    session: Session, collection: Collection, fid: str, *, scope_code: str
) -> RetiredFeature | None:
    """Return the error of a retired camera of the caller's scope: when, no successor."""
    params: dict[str, Any] = {"fid": parse_fid(collection, fid)}
    where = scope_filter(collection, scope_code, params)
    row = session.execute(
        text(
            "SELECT t.device_id, t.name, t.retired_on FROM video_points AS t"
            f" WHERE t.id = :fid AND t.retired_on IS NOT NULL AND {where}"
        ),
        params,
    ).one_or_none()
    if row is None:
        return None
    device_id, name, retired_on = row
    message = (
        f"视频点位 {name}（{device_id}）已于 {retired_on.isoformat()} 撤销"
        "（平台导出不再列出，已不在用），记录保留"
    )
    return RetiredFeature(message, unit_code=fid, retired_on=retired_on, successor=None)


def _succession(label: str, successor: Successor | None, *, outside: bool, had: bool) -> str:
    """Say who succeeded a retired unit: the live one, or why none is named.

    Examples
    --------
    >>> _succession("网格", Successor("530424101001008", "兴复第8网格"), outside=False, had=True)
    '继承网格 兴复第8网格（530424101001008）'
    >>> _succession("区划", None, outside=False, had=False)
    '没有继承区划'
    """
    if successor is not None:
        return f"继承{label} {successor.name}（{successor.code}）"
    if outside:
        return f"继承{label}不在您的辖区内"
    if had:
        return f"继承{label}也已撤销，没有在用的继承{label}"
    return f"没有继承{label}"


def collection_extent(
    session: Session, collection: Collection, *, scope_code: str
) -> tuple[float, float, float, float] | None:
    """Return the bounding box of ``collection`` in the caller's scope.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the caller.
    collection : Collection
        The layer.
    scope_code : str
        12-digit code of the caller's scope.

    Returns
    -------
    tuple of float or None
        ``(minx, miny, maxx, maxy)``, or ``None`` when nothing has a geometry.
    """
    params: dict[str, Any] = {}
    where = scope_filter(collection, scope_code, params)
    sql = f"""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
        FROM (SELECT ST_Extent({collection.geometry_column}) AS e
              FROM {collection.from_sql} WHERE {where}) s
    """
    row = session.execute(text(sql), params).one()
    if row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
