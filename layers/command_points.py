"""The command map's grid workers and persons in view: their points where they fit, else counts.

A map page draws at most a page of points (the console asks for 2,000). Where a view holds more
grid workers or special-population persons than that, drawing the first 2,000 by id gave an
arbitrary part of them (trial BC S3: 2,000 of a county's 4,395 workers, a whole township
without a dot). :func:`in_view` reads the layer's points in a box where they fit, else their
counts per grid, or per village where the view spans more grids than :data:`GRID_BADGES`:
each group with its name, where its badge stands (the grid's or village's point on surface),
the box of its points (a click zooms there) and, for the workers, how many are 在岗, 处置中,
离岗 and 已离职.

The points and the counts are those of the layer's published geometry (a person's blurred
home, :data:`layers.catalog.BLURRED_RESIDENCE_SQL`), in the reader's scope (an explicit range,
on top of row-level security). Only a reader of the layer's features is answered: a reader of
counts only (an analyst, a city's commander for the persons) keeps the suppressed hexagon
counts of the tiles (:func:`layers.catalog.check_readable`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import division_level
from layers import features
from layers.catalog import Collection, check_readable
from layers.errors import InvalidInput
from layers.features import BBox, FeaturePage
from layers.model import SRID, WorkerStatus

COUNTED = {"workers": "t.home_grid", "persons": "t.grid_code"}
"""The layers :func:`in_view` answers, and the SQL of each record's grid."""
GRID_BADGES = 300
"""Most grids counted one by one in a view; a view spanning more is counted per village."""
STATUSES = tuple(s.value for s in WorkerStatus)
"""The workers' statuses counted in each group (``status``)."""


@dataclass
class Group:
    """The records of one grid, or of one village, in view.

    Attributes
    ----------
    kind : str
        ``grid``, ``village`` (counted per village, or records of the village without a grid)
        or ``unit`` (the staff of a township or county, on record at their unit).
    code : str
        The grid's 15-digit or the village's 12-digit code.
    name : str
        Its name.
    lon, lat : float
        Where its badge stands: the unit's point on surface, else the centre of its points.
    bounds : list of float
        West, south, east and north of its points in view.
    total : int
        Its records in view.
    status : dict of str to int
        The workers' counts by status (:data:`STATUSES`); empty for the persons.
    """

    kind: str
    code: str
    name: str
    lon: float
    lat: float
    bounds: list[float]
    total: int
    status: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Return the group as the map reads it."""
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "lon": self.lon,
            "lat": self.lat,
            "bounds": self.bounds,
            "total": self.total,
            "status": self.status,
        }


@dataclass(frozen=True)
class InView:
    """What a view of the layer shows: its points, or its counts.

    Attributes
    ----------
    matched : int
        The layer's records in the box and the scope.
    page : FeaturePage or None
        Every one of them, where they are no more than the limit.
    shown : str
        ``points``, ``grid`` or ``village``.
    groups : list of Group
        The counts, by grid or by village (empty with points).
    """

    matched: int
    page: FeaturePage | None
    shown: str
    groups: list[Group]


def _where(collection: Collection, scope_code: str, bbox: BBox, params: dict[str, Any]) -> str:
    """Return the scope and box of the layer's features (:mod:`layers.features`), no time."""
    box = f"ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, {SRID})"
    params.update(minx=bbox.minx, miny=bbox.miny, maxx=bbox.maxx, maxy=bbox.maxy)
    geometry = collection.geometry_column
    return (
        features.scope_filter(collection, scope_code, params)
        + " AND "
        + features.stored_near(collection, ("minx", "miny", "maxx", "maxy"), params)
        + f"{geometry} && {box} AND ST_Intersects({geometry}, {box})"
    )


def _counts(session: Session, collection: Collection, scope_code: str, bbox: BBox) -> list[Any]:
    """Return a row per grid and village of the records in view: counts, box of their points."""
    params: dict[str, Any] = {}
    where = _where(collection, scope_code, bbox, params)
    geometry = collection.geometry_column
    by_status = ""
    if collection.id == "workers":
        by_status = "".join(f", count(*) FILTER (WHERE t.status = '{s}') AS {s}" for s in STATUSES)
    return list(
        session.execute(
            text(
                f"SELECT {COUNTED[collection.id]} AS grid, t.area_code AS village,"
                f" count(*) AS total{by_status},"
                f" min(ST_X({geometry})) AS w, min(ST_Y({geometry})) AS s,"
                f" max(ST_X({geometry})) AS e, max(ST_Y({geometry})) AS n"
                f" FROM {collection.from_sql} WHERE {where} GROUP BY 1, 2"
            ),
            params,
        ).all()
    )


def _places(session: Session, grids: list[str], villages: list[str]) -> dict[str, Any]:
    """Return the name and point on surface of each grid and village, by code (in scope)."""
    rows = session.execute(
        text(
            "SELECT g.code, g.name, ST_X(p.pt) AS lon, ST_Y(p.pt) AS lat FROM grids g"
            " CROSS JOIN LATERAL (SELECT ST_PointOnSurface(g.boundary) AS pt) p"
            " WHERE g.code = ANY(:grids)"
            " UNION ALL"
            " SELECT j.code, j.name, ST_X(p.pt), ST_Y(p.pt) FROM jurisdictions j"
            " CROSS JOIN LATERAL (SELECT ST_PointOnSurface(j.boundary) AS pt) p"
            " WHERE j.code = ANY(:villages)"
        ),
        {"grids": grids, "villages": villages},
    ).all()
    return {r.code: r for r in rows}


def _grouped(rows: list[Any], by_village: bool, workers: bool) -> dict[tuple[str, str], Group]:
    """Fold the rows into groups, keyed by kind and code (places filled in later)."""
    groups: dict[tuple[str, str], Group] = {}
    for r in rows:
        if by_village or r.grid is None:  # a county's or township's own staff: their unit
            key = ("village" if division_level(r.village) == 5 else "unit", r.village)
        else:
            key = ("grid", r.grid)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(
                key[0],
                key[1],
                "",
                0.0,
                0.0,
                [r.w, r.s, r.e, r.n],
                0,
                dict.fromkeys(STATUSES, 0) if workers else {},
            )
        group.total += r.total
        group.bounds = [
            min(group.bounds[0], r.w),
            min(group.bounds[1], r.s),
            max(group.bounds[2], r.e),
            max(group.bounds[3], r.n),
        ]
        for s in group.status:
            group.status[s] += getattr(r, s)
    return groups


def in_view(
    session: Session,
    collection: Collection,
    *,
    role: str,
    scope_code: str,
    bbox: BBox,
    limit: int,
) -> InView:
    """Return the layer's points in ``bbox`` where they fit in ``limit``, else their counts.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the reader.
    collection : Collection
        ``workers`` or ``persons`` (:data:`COUNTED`), as the reader reads it.
    role : str
        The reader's role.
    scope_code : str
        12-digit code of the reader's scope.
    bbox : BBox
        The view (west, south, east, north).
    limit : int
        Most points drawn (clamped by :func:`layers.features.clamp_limit`).

    Returns
    -------
    InView
        Every point in view (the layer's features, ordered by id), or the counts per grid,
        or per village where more than :data:`GRID_BADGES` grids hold records in view; the
        groups ordered by code.

    Raises
    ------
    InvalidInput
        Another layer.
    Forbidden
        The reader may not read the layer's features (counts only, or nothing).
    """
    if collection.id not in COUNTED:
        raise InvalidInput("只有网格员和特殊人群图层按网格计数")
    check_readable(role, collection, scope_code=scope_code)
    size = features.clamp_limit(limit)
    rows = _counts(session, collection, scope_code, bbox)
    matched = sum(int(r.total) for r in rows)
    if matched <= size:
        page = features.collection_items(
            session, collection, scope_code=scope_code, bbox=bbox, limit=size, matched=matched
        )
        return InView(matched, page, "points", [])
    grids = {r.grid for r in rows if r.grid is not None}
    by_village = len(grids) > GRID_BADGES
    groups = _grouped(rows, by_village, collection.id == "workers")
    places = _places(
        session,
        [code for kind, code in groups if kind == "grid"],
        [code for kind, code in groups if kind == "village"],  # a unit: where its points are
    )
    for (_, code), group in groups.items():
        place = places.get(code)
        w, s, e, n = group.bounds
        group.name = place.name if place is not None else code
        if group.kind == "village" and not by_village:
            group.name += "（未划入网格）"
        if place is not None and place.lon is not None:
            group.lon, group.lat = place.lon, place.lat
        else:  # a unit without a boundary (or out of scope): the middle of its points
            group.lon, group.lat = (w + e) / 2, (s + n) / 2
    listed = [groups[key] for key in sorted(groups, key=lambda k: k[1])]
    return InView(matched, None, "village" if by_village else "grid", listed)
