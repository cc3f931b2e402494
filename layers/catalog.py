"""The catalog of map layers: each layer described once, for features, tiles and the console.

A :class:`Collection` names its table, id, geometry, datetime and scope columns, the properties
it publishes (as SQL expressions: personal fields are masked *here*, so no caller can forget),
its Chinese title, its default style and its zoom range, and whether it holds records about
individual people (then analysts get aggregates only). :data:`COLLECTIONS` is the registry;
:func:`readable` says which roles may read which collection.

The special-population layer (``persons``) is for those who visit the persons or direct their
visits (:data:`VISITING_ROLES`: commanders, township dispatchers, grid workers) in a scope of
a county or below (:data:`VISITING_FROM_LEVEL`): their features (masked) from those users
only; a province or city commander sees their hexagon counts, as an analyst does, small counts
suppressed; a department (部门处置人员, summoned to handle cases) sees neither. Every read of
its features through the OGC API is audited, one entry per request (``audit_reads``).
:func:`sees_persons_individually` is this rule, the one place that says who may see persons
one by one: the unmask right follows it (:func:`layers.accounts.may_hold_unmask`: no province
or city account reads a person in clear), and every reader it refuses gets special-population
counts with small counts suppressed (:func:`layers.trends.min_count_for`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol

from geo.codes import division_level
from layers.errors import Forbidden, NotFound
from layers.model import (
    DirectionType,
    Level,
    ManagementLevel,
    PersonCategory,
    PtzType,
    Role,
    VideoStatus,
    WorkerRole,
    WorkerStatus,
)
from layers.video import view_sql
from layers.visits_due import REACHED, correction_end_sql, first_due_sql


@dataclass(frozen=True)
class Style:
    """Default look of a layer on the map.

    Attributes
    ----------
    color : str
        Stroke or marker colour (CSS hex).
    fill : str or None
        Fill colour of polygons.
    opacity : float
        Fill opacity (0–1).
    radius : int
        Marker radius in pixels (points).
    """

    color: str
    fill: str | None = None
    opacity: float = 0.3
    radius: int = 5


@dataclass(frozen=True)
class Collection:
    """One published layer.

    Attributes
    ----------
    id : str
        Collection id in URLs (``/ogc/collections/{id}``, ``/tiles/{id}/…``).
    title : str
        Chinese title shown to users.
    description : str
        One English sentence for API clients.
    from_sql : str
        ``FROM`` clause; the main table has the alias ``t``.
    tables : tuple of str
        Every table ``from_sql`` reads: a write to any of them may change the layer (cached
        tiles and counts watch them, :mod:`layers.changes`).
    id_column : str
        SQL expression of the feature id.
    id_kind : str
        ``int`` or ``str``: how ``/items/{fid}`` is parsed.
    geometry_column : str
        SQL expression of the geometry (EPSG:4490).
    geometry_type : str
        ``Point``, ``Polygon`` or ``MultiPolygon``.
    scope_column : str
        The 12-digit code column the user's scope range applies to.
    properties : mapping of str to str
        Published property name → SQL expression.
    tile_properties : tuple of str
        Which properties go into vector tiles (kept small).
    datetime_column : str or None
        Instant column filtered by ``datetime``.
    interval_columns : tuple of str or None
        ``(start, end)`` columns whose interval must overlap ``datetime`` (hot-spot runs).
    personal : bool
        Records about individual people: analysts get no features, only aggregates.
    aggregate_below_zoom : int or None
        Below this zoom, tiles carry hexagon counts instead of features.
    stored_geometry : str or None
        The stored (GiST-indexed) column ``geometry_column`` is derived from, where it is a
        blurred point (the persons' homes, :data:`BLURRED_RESIDENCE_SQL`); a box is tested
        first on it, widened by ``blur``, so the index still serves, then on the published
        geometry: a box never tells more of a point than the point itself.
    blur : float
        How far (degrees) the published point may lie from the stored one.
    feature_roles : frozenset of str or None
        Only these roles read the layer at all (features, or hexagon counts above
        ``feature_from_level``); ``None``: every role with business data.
    feature_from_level : int
        Users whose scope is wider than this level (1 province … 5 village) get hexagon counts
        only, small counts suppressed.
    audit_reads : bool
        Every request for its features (OGC items) is written to the audit log.
    exact_properties : mapping of str to str
        Published property name → SQL expression for readers who may see small counts (those
        who see persons one by one, :func:`sees_persons_individually`), where it differs from
        ``properties``; ``properties`` is what every other reader gets (:meth:`read_by`).
    min_zoom, max_zoom : int
        Zoom range in which the console shows the layer.
    style : Style
        Default style.
    """

    id: str
    title: str
    description: str
    from_sql: str
    tables: tuple[str, ...]
    id_column: str
    id_kind: str
    geometry_column: str
    geometry_type: str
    scope_column: str
    properties: Mapping[str, str]
    tile_properties: tuple[str, ...]
    datetime_column: str | None = None
    interval_columns: tuple[str, str] | None = None
    personal: bool = False
    aggregate_below_zoom: int | None = None
    stored_geometry: str | None = None
    blur: float = 0.0
    feature_roles: frozenset[str] | None = None
    feature_from_level: int = 1
    audit_reads: bool = False
    exact_properties: Mapping[str, str] = field(default_factory=lambda: _props())
    min_zoom: int = 0
    max_zoom: int = 22
    style: Style = field(default_factory=lambda: Style("#3388ff"))

    @property
    def has_time(self) -> bool:
        """Whether the collection can be filtered by ``datetime``."""
        return self.datetime_column is not None or self.interval_columns is not None

    def read_by(self, role: str, scope_code: str) -> Collection:
        """Return the collection as ``role`` at ``scope_code`` reads it (features and tiles).

        The ``exact_properties`` (a hot cell's case count, z and p) are read by whoever may
        list those cases, the readers of the ``cases`` layer (:func:`readable`; minimum count
        1, :func:`layers.trends.min_count_for` with ``of="cases"``): a city's commander, whose
        查看案件 lists a cell's cases, reads its figures too (trial AM M4). Every other reader
        (an analyst) reads ``properties``, in which small counts are withheld. The collections
        without ``exact_properties`` are themselves for everyone.

        Parameters
        ----------
        role : str
            A role code.
        scope_code : str
            12-digit code of the reader's scope.

        Returns
        -------
        Collection
            This collection, or its exact twin (made once, :data:`_EXACT`).

        Examples
        --------
        >>> hotspots = get_collection("hotspots")
        >>> hotspots.read_by("analyst", "530424000000").properties["z"]
        'CAST(NULL AS double precision)'
        >>> hotspots.read_by("commander", "530424000000").properties["z"]
        't.z'
        >>> hotspots.read_by("commander", "530400000000").properties["count"]
        't.count'
        >>> grids = get_collection("grids")
        >>> grids.read_by("analyst", "530424000000") is grids
        True
        """
        if not self.exact_properties or not readable(
            role, COLLECTIONS["cases"], scope_code=scope_code
        ):
            return self
        return _EXACT[self.id]


def _props(**columns: str) -> Mapping[str, str]:
    return MappingProxyType(dict(columns))


class _Coded(Protocol):
    """A code-table member: its stored code and its Chinese label."""

    @property
    def value(self) -> object: ...  # noqa: D102

    @property
    def label(self) -> str: ...  # noqa: D102


def label_sql(column: str, *tables: Iterable[_Coded]) -> str:
    """Return SQL reading a coded column as its Chinese label (NULL for a code not listed).

    A client of the OGC API (QGIS, a planner's script) gets ``在线`` beside ``online``: the
    ``*_label`` properties, from the same code tables the console and the importers use. The
    table is one constant ``jsonb`` object, parsed once per statement and looked up by key.

    Parameters
    ----------
    column : str
        SQL expression of the code (text or a small integer).
    *tables : iterable
        The code tables (:class:`layers.model.LabelledEnum` subclasses, or :class:`Level`).

    Returns
    -------
    str
        A ``jsonb ->> text`` expression.

    Examples
    --------
    >>> from layers.model import VideoStatus
    >>> print(label_sql("t.status", VideoStatus))
    ('{"online": "在线", "offline": "离线"}'::jsonb ->> t.status::text)
    """
    labels = {str(m.value): m.label for table in tables for m in table}
    literal = json.dumps(labels, ensure_ascii=False).replace("'", "''")
    return f"('{literal}'::jsonb ->> {column}::text)"


def name_sql(code_column: str) -> str:
    """Return SQL of the name of the unit whose 12-digit code ``code_column`` holds.

    Examples
    --------
    >>> name_sql("t.area_code")
    '(SELECT j.name FROM jurisdictions AS j WHERE j.code = t.area_code)'
    """
    return f"(SELECT j.name FROM jurisdictions AS j WHERE j.code = {code_column})"


def grid_name_sql(code_column: str) -> str:
    """Return SQL of the name of the grid whose code ``code_column`` holds.

    Examples
    --------
    >>> grid_name_sql("t.grid_code")
    '(SELECT g.name FROM grids AS g WHERE g.code = t.grid_code)'
    """
    return f"(SELECT g.name FROM grids AS g WHERE g.code = {code_column})"


MASKED_NAME_SQL = (
    "CASE WHEN char_length(t.name) <= 1 THEN '*' "
    "ELSE left(t.name, 1) || repeat('*', char_length(t.name) - 1) END"
)
"""SQL of a person's masked name from ``t.name``: the first character, then one ``*`` each."""
RESPONSIBLES_SQL = (
    "(SELECT string_agg(w.name || coalesce('（' || r.duty || '）', ''), '、' ORDER BY w.name) "
    "FROM person_responsibles r JOIN workers w ON w.id = r.worker_id WHERE r.person_id = t.id)"
)
"""Who follows a person up (帮扶责任人, 社区民警 …, as rosters name them), workers in scope."""

LAST_VISIT_SQL = (
    "(SELECT pv.visited_on FROM person_visits pv WHERE pv.person_id = t.id"
    f" AND pv.outcome IN ({', '.join(repr(code) for code in REACHED)})"
    " ORDER BY pv.visited_on DESC LIMIT 1)"
)
"""The day of person ``t``'s last visit that reached them (NULL: never reached): a visit that
found nobody (人户分离, 失联) does not restart the interval (:data:`layers.visits_due.REACHED`,
trial AW S2)."""
CORRECTION_END_SQL = correction_end_sql("t")
"""The day person ``t``'s 社区矫正 ends (NULL: another category, or not given)."""
_CENTRE_TODAY = "CAST(now() AT TIME ZONE 'Asia/Shanghai' AS date)"
VISIT_DUE_SQL = (
    f"(SELECT coalesce({LAST_VISIT_SQL} + r.interval_days, {first_due_sql('t', 'r')})"
    " FROM visit_rules r WHERE r.category = t.category"
    f" AND r.management_level = t.management_level"
    f" AND coalesce({CORRECTION_END_SQL} >= {_CENTRE_TODAY}, true))"
)
"""The day person ``t``'s next visit is due (:data:`layers.visits_due.DUE_ON`; NULL: no rule,
never visited and on record since an unknown day, or a 社区矫正 past its end, no longer visited
but awaiting 解除矫正)."""

BLUR_DEGREES = 0.005
"""Side of the cells a masked person's home is snapped to (degrees: about 500 m by 550 m)."""
BLUR_SAID = "位置已模糊（约 500 米内），查看身份信息可见精确位置"
"""What a masked person's popup and card say of the point shown (trial AW M8)."""


def blurred_point_sql(column: str) -> str:
    """Return SQL of the point ``column`` snapped to the centre of its :data:`BLUR_DEGREES` cell.

    A masked person's home must not be pinpointed (trial AW M8: the layer gave it to 7
    decimals): every reader of the masked layers gets the centre of the 0.005° cell the home
    lies in, shared by every home of that cell; the audited unmasked read
    (:func:`layers.disclosure.unmask_person`) gives the exact point.

    Examples
    --------
    >>> blurred_point_sql("t.residence")
    'ST_SnapToGrid(t.residence, 0.005)'
    """
    return f"ST_SnapToGrid({column}, {BLUR_DEGREES})"


BLURRED_RESIDENCE_SQL = blurred_point_sql("t.residence")
"""A person's home as the masked layers publish it: the centre of its cell."""

VISITING_ROLES = frozenset({Role.COMMANDER.value, Role.DISPATCHER.value, Role.GRID_WORKER.value})
"""Roles that visit special-population persons or direct their visits (the persons layer)."""
VISITING_FROM_LEVEL = 3
"""The widest scope level that visits or directs visits: a county (县综治中心) and below."""

SMALL_COUNT = 3
"""Smallest non-zero count a reader who does not see persons one by one is given in a layer's
properties: :data:`layers.trends.ANALYST_MIN_COUNT` (:mod:`layers.trends` imports this module)."""

_ALL = (
    Collection(
        id="jurisdictions",
        title="行政区划",
        description=(
            "Administrative units of the five levels, keyed by division code (live units:"
            " not those a re-division retired)."
        ),
        # a unit a re-division abolished (retired_on) stays on record, off the map
        from_sql="(SELECT * FROM jurisdictions WHERE retired_on IS NULL) t",
        tables=("jurisdictions",),
        id_column="t.code",
        id_kind="str",
        geometry_column="t.boundary",
        geometry_type="MultiPolygon",
        scope_column="t.code",
        properties=_props(
            code="t.code",
            name="t.name",
            level="t.level",
            level_label=label_sql("t.level", Level),
            parent_code="t.parent_code",
            parent_name=name_sql("t.parent_code"),
        ),
        tile_properties=("code", "name", "level"),
        style=Style("#555555", fill=None, opacity=0.0),
    ),
    Collection(
        id="grids",
        title="网格",
        description=(
            "Grids: the smallest management unit, inside one village (live grids: not those"
            " a re-division retired)."
        ),
        from_sql="(SELECT * FROM grids WHERE retired_on IS NULL) t",
        tables=("grids",),
        id_column="t.code",
        id_kind="str",
        geometry_column="t.boundary",
        geometry_type="Polygon",
        scope_column="t.area_code",
        properties=_props(
            code="t.code",
            name="t.name",
            area_code="t.area_code",
            area_name=name_sql("t.area_code"),
            leader_id="t.leader_id",
        ),
        tile_properties=("code", "name"),
        min_zoom=11,
        style=Style("#2b8cbe", fill="#a6bddb", opacity=0.15),
    ),
    Collection(
        id="cases",
        title="矛盾纠纷与事件",
        description="Cases (incidents and disputes) with their current state.",
        from_sql="cases t",
        tables=("cases",),
        id_column="t.id",
        id_kind="int",
        geometry_column="t.point",
        geometry_type="Point",
        scope_column="t.area_code",
        # codes only: their labels and the unit's name cost about a fifth of a 1,000-feature
        # page's throughput (bench/api.py, the busiest layer's read); the console labels them
        properties=_props(
            code="t.code",
            channel="t.channel",
            category="t.category",
            subcategory="t.subcategory",
            title="t.title",
            risk_level="t.risk_level",
            state="t.state",
            handling_level="t.handling_level",
            reported_at="t.reported_at",
            deadline="t.deadline",
            grid_code="t.grid_code",
            area_code="t.area_code",
            repeat_count="t.repeat_count",
        ),
        tile_properties=("code", "category", "risk_level", "state"),
        datetime_column="t.reported_at",
        personal=True,
        aggregate_below_zoom=12,
        style=Style("#e31a1c", radius=5),
    ),
    Collection(
        id="video_points",
        title="视频点位",
        description=(
            "Public-security cameras (GB/T 28181 device IDs) and their view: view_azimuth_deg"
            " and view_fov_deg are the cone to draw (azimuth_source: recorded, dome, or"
            " direction, the centre of the camera's 监视方位 sector). Cameras in use only: not"
            " those the platform's export no longer lists (retired)."
        ),
        # a camera an export no longer lists (retired_on) stays on record, off the map
        from_sql="(SELECT * FROM video_points WHERE retired_on IS NULL) t",
        tables=("video_points",),
        id_column="t.id",
        id_kind="int",
        geometry_column="t.point",
        geometry_type="Point",
        scope_column="t.area_code",
        properties=_props(
            device_id="t.device_id",
            name="t.name",
            ptz_type="t.ptz_type",
            ptz_type_label=label_sql("t.ptz_type", PtzType),
            direction_type="t.direction_type",
            direction_type_label=label_sql("t.direction_type", DirectionType),
            azimuth_deg="t.azimuth_deg",
            fov_deg="t.fov_deg",
            **view_sql("t"),
            range_m="t.range_m",
            status="t.status",
            status_label=label_sql("t.status", VideoStatus),
            last_heartbeat="t.last_heartbeat",
            area_code="t.area_code",
            area_name=name_sql("t.area_code"),
            install_address="t.install_address",
            police_station="t.police_station",
        ),
        tile_properties=(
            "device_id",
            "status",
            "azimuth_deg",
            "fov_deg",
            "view_azimuth_deg",
            "view_fov_deg",
            "azimuth_source",
        ),
        aggregate_below_zoom=12,
        min_zoom=10,
        style=Style("#6a3d9a", radius=4),
    ),
    Collection(
        id="workers",
        title="网格员",
        description="Grid workers and other dispatchable staff at their last position.",
        from_sql="workers t",
        tables=("workers",),
        id_column="t.id",
        id_kind="int",
        geometry_column="t.last_position",
        geometry_type="Point",
        scope_column="t.area_code",
        properties=_props(
            name="t.name",
            role="t.role",
            role_label=label_sql("t.role", WorkerRole),
            unit="t.unit",
            status="t.status",
            status_label=label_sql("t.status", WorkerStatus),
            home_grid="t.home_grid",
            home_grid_name=grid_name_sql("t.home_grid"),
            last_seen_at="t.last_seen_at",
            area_code="t.area_code",
            area_name=name_sql("t.area_code"),
        ),
        tile_properties=("name", "role", "status"),
        personal=True,
        aggregate_below_zoom=12,
        min_zoom=12,
        style=Style("#33a02c", radius=5),
    ),
    Collection(
        id="persons",
        title="特殊人群",
        description=(
            "Special-population records on the register (not those who left it: ended_on),"
            " masked: masked name, masked resident ID, and the home blurred to the centre of"
            " its 0.005-degree cell."
        ),
        # a person who left the register (解除矫正, 死亡, 迁出 …) stays on record, off the map;
        # a plain subquery, pulled up by the planner: the indexes serve as for the table
        from_sql="(SELECT * FROM persons WHERE ended_on IS NULL) t",
        tables=("persons",),
        id_column="t.id",
        id_kind="int",
        geometry_column=BLURRED_RESIDENCE_SQL,
        stored_geometry="t.residence",
        blur=BLUR_DEGREES,
        geometry_type="Point",
        scope_column="t.area_code",
        properties=_props(
            category="t.category",
            category_label=label_sql("t.category", PersonCategory),
            name_masked=MASKED_NAME_SQL,
            id_masked="t.id_masked",
            management_level="t.management_level",
            management_level_label=label_sql("t.management_level", ManagementLevel),
            grid_code="t.grid_code",
            grid_name=grid_name_sql("t.grid_code"),
            area_code="t.area_code",
            area_name=name_sql("t.area_code"),
            responsibles=RESPONSIBLES_SQL,
            last_visit=LAST_VISIT_SQL,
            visit_due=VISIT_DUE_SQL,
            correction_end=f"CAST({CORRECTION_END_SQL} AS text)",
        ),
        tile_properties=("category", "management_level"),
        personal=True,
        aggregate_below_zoom=14,
        feature_roles=VISITING_ROLES,
        feature_from_level=VISITING_FROM_LEVEL,
        audit_reads=True,
        min_zoom=12,
        style=Style("#ff7f00", radius=4),
    ),
    # A hot cell's count of 1 or 2 is withheld from readers of counts only, and its z and p
    # too: a z is a linear function of the ring's counts and gave them back (trial AJ M4), as
    # in the runs by number (layers.hotspot_runs.run_cells) and the command map's hot cells.
    Collection(
        id="hotspots",
        title="热点分析",
        description="Cells of stored hot-spot runs with Gi* z-score, p-value and pattern.",
        from_sql="hotspot_cells t LEFT JOIN hotspot_runs r ON r.id = t.run_id",
        tables=("hotspot_cells", "hotspot_runs"),
        id_column="t.id",
        id_kind="int",
        geometry_column="t.geom",
        geometry_type="Polygon",
        scope_column="t.area_code",
        properties=_props(
            run_id="t.run_id",
            unit_id="t.unit_id",
            count=f"CASE WHEN t.count > 0 AND t.count < {SMALL_COUNT} THEN NULL ELSE t.count END",
            z="CAST(NULL AS double precision)",
            p="CAST(NULL AS double precision)",
            bin="t.bin",
            pattern="t.pattern",
            method="r.method",
            window_start="r.window_start",
            window_end="r.window_end",
            area_code="t.area_code",
        ),
        tile_properties=("bin", "pattern", "count"),
        exact_properties=_props(count="t.count", z="t.z", p="t.p"),
        interval_columns=("r.window_start", "r.window_end"),
        style=Style("#d7301f", fill="#fc8d59", opacity=0.5),
    ),
)

COLLECTIONS: Mapping[str, Collection] = MappingProxyType({c.id: c for c in _ALL})
"""Every published collection by id, in display order."""

_EXACT: Mapping[str, Collection] = MappingProxyType(
    {
        c.id: replace(c, properties=_props(**{**c.properties, **c.exact_properties}))
        for c in _ALL
        if c.exact_properties
    }
)
"""The collections with ``exact_properties`` as readers of small counts read them
(:meth:`Collection.read_by`): the same names in the same order."""

NO_BUSINESS_DATA = frozenset({Role.ADMIN.value, Role.AUDITOR.value})
"""Roles that see no business data at all."""


def get_collection(collection_id: str) -> Collection:
    """Return the collection ``collection_id``.

    Parameters
    ----------
    collection_id : str
        Collection id.

    Returns
    -------
    Collection
        The registry entry.

    Raises
    ------
    NotFound
        No such collection.

    Examples
    --------
    >>> get_collection("grids").title
    '网格'
    """
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise NotFound("没有这个图层") from None


def readable(
    role: str, collection: Collection, *, scope_code: str | None, aggregated: bool = False
) -> bool:
    """Whether ``role`` may read ``collection`` (as features, or as aggregates).

    Parameters
    ----------
    role : str
        A :class:`layers.model.Role` code.
    collection : Collection
        The layer.
    scope_code : str or None
        12-digit code of the user's scope; ``None`` asks whether the role may at some scope
        (the console's list of layers per role).
    aggregated : bool
        Whether only aggregate counts are asked for (hexagon tiles).

    Returns
    -------
    bool
        Administrators and auditors read no business data; analysts read no features of
        collections about individual people, only their aggregates; a collection with
        ``feature_roles`` is read by those roles only, and by those of a scope wider than its
        ``feature_from_level`` as aggregates only.

    Examples
    --------
    >>> persons = get_collection("persons")
    >>> county, city = "530424000000", "530400000000"
    >>> [readable(r, persons, scope_code=county) for r in ("analyst", "commander", "department")]
    [False, True, False]
    >>> readable("commander", persons, scope_code=city)
    False
    >>> readable("commander", persons, scope_code=city, aggregated=True)
    True
    >>> readable("analyst", persons, scope_code=county, aggregated=True)
    True
    >>> readable("department", persons, scope_code=county, aggregated=True)
    False
    """
    if role in NO_BUSINESS_DATA:
        return False
    if role == Role.ANALYST and collection.personal:
        return aggregated
    if collection.feature_roles is not None and role not in collection.feature_roles:
        return False
    if scope_code is not None and division_level(scope_code) < collection.feature_from_level:
        return aggregated
    return True


def sees_persons_individually(role: str, scope_code: str) -> bool:
    """Whether ``role`` at ``scope_code`` may see special-population persons one by one.

    The rule of the ``persons`` layer's features (:func:`readable`): a visiting role
    (:data:`VISITING_ROLES`) in a scope of :data:`VISITING_FROM_LEVEL` (county) or below.

    Parameters
    ----------
    role : str
        A role code.
    scope_code : str
        12-digit code of the user's scope.

    Returns
    -------
    bool
        False for the roles and the wide scopes that read persons as counts only, or not at all.

    Examples
    --------
    >>> sees_persons_individually("grid_worker", "530424101001")
    True
    >>> sees_persons_individually("commander", "530400000000")
    False
    >>> sees_persons_individually("analyst", "530424000000")
    False
    """
    return readable(role, COLLECTIONS["persons"], scope_code=scope_code)


def counts_only(role: str, collection: Collection, *, scope_code: str) -> bool:
    """Whether ``role`` at ``scope_code`` reads ``collection`` as suppressed hexagon counts only.

    Parameters
    ----------
    role : str
        A role code.
    collection : Collection
        The layer.
    scope_code : str
        12-digit code of the user's scope.

    Returns
    -------
    bool
        True when the features are refused but the aggregates are not.

    Examples
    --------
    >>> persons = get_collection("persons")
    >>> counts_only("commander", persons, scope_code="530400000000")
    True
    >>> counts_only("commander", persons, scope_code="530424000000")
    False
    """
    return not readable(role, collection, scope_code=scope_code) and readable(
        role, collection, scope_code=scope_code, aggregated=True
    )


def check_readable(
    role: str, collection: Collection, *, scope_code: str, aggregated: bool = False
) -> None:
    """Raise unless ``role`` may read ``collection`` (see :func:`readable`).

    Parameters
    ----------
    role : str
        A role code.
    collection : Collection
        The layer.
    scope_code : str
        12-digit code of the user's scope.
    aggregated : bool
        Whether only aggregates are asked for.

    Raises
    ------
    Forbidden
        The role may not read it.
    """
    if readable(role, collection, scope_code=scope_code, aggregated=aggregated):
        return
    if readable(role, collection, scope_code=None, aggregated=aggregated):  # the scope is wide
        level = Level(division_level(scope_code)).label
        raise Forbidden(f"{level}级账号只能查看图层“{collection.title}”的汇总数，不能查看具体记录")
    raise Forbidden(f"{Role.label_of(role)}不能查看图层“{collection.title}”")
