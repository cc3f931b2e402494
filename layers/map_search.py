"""查找 on a console map (trial BB M7): the places, cameras and cases of the reader's scope.

The operator asked to "look at 老堡村工业园区" or "camera 53042400011321002029" had no box to
type it in: a village was three page loads away (下级单位 → township → village) and a camera
could be found only by panning. :func:`search` finds, inside a unit of the reader's scope,

* units (辖区: the unit itself, its townships and villages) by name or division code,
* grids (网格) by name or 网格编码,
* cameras in use (摄像头) by name or 国标编码,
* cases (案件) as the 调度台's 查找案件 finds them (:func:`layers.case_lists.search`: code,
  work-order number, words of the title), reused rather than written twice,

each with its parent unit's name and what the map needs to show it: a unit's or grid's outline
and box, a camera's or case's point. No person is ever listed, so nothing is audited.

Every kind is read within the unit's code range (``area_code`` or ``code`` in ``[lo, hi)``,
the indexes every scoped read uses), under row-level security as well; the text is then
matched with a plain ``ILIKE`` over those rows. A township holds a few hundred cameras and a
county about 700 grids, which PostgreSQL filters in well under a millisecond once the range
has chosen them; a trigram index (``pg_trgm``, a migration and an extension) would pay only
for a province's 50,000 grids, whose commander rarely searches by a village's name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import case_lists, cases
from layers.catalog import COLLECTIONS, readable
from layers.department_scope import COMMAND_VIEW_REFUSED
from layers.errors import Forbidden, InvalidInput
from layers.model import Role
from layers.workflow import Actor

MIN_LENGTH = 2
"""Fewest characters searched: one character names half the county."""
MAX_LENGTH = case_lists.SEARCH_MAX_LENGTH
"""Most characters searched (the desk's case search takes as many)."""
LIMIT = 10
"""Most results listed, all kinds together."""
KIND_LABELS: dict[str, str] = {"unit": "辖区", "grid": "网格", "camera": "摄像头", "case": "案件"}
"""The kinds of result in the order they are listed, with their Chinese names."""
OUTLINE_POINTS = 300
"""An outline is simplified to about 1/300 of its extent: sharp enough to outline on screen."""


@dataclass(frozen=True)
class Found:
    """One result.

    Attributes
    ----------
    kind : str
        ``unit``, ``grid``, ``camera`` or ``case`` (:data:`KIND_LABELS`).
    kind_label : str
        Its Chinese name: 辖区, 网格, 摄像头, 案件.
    id : str
        A unit's or grid's code, a camera's or case's id (as text).
    name : str
        Its name (a case's title).
    code : str
        Its division code, 网格编码, 国标编码 or case code (一案一码).
    parent_name : str or None
        The name of the unit it lies in (a unit's parent, a grid's, camera's or case's village).
    place : str
        Where it lies as an operator names it, township and village: ``盘溪镇 · 老堡村``.
    lon, lat : float or None
        A camera's or case's point; a unit's or grid's box centre (``None``: not located).
    bbox : list of float or None
        A unit's or grid's box ``[west, south, east, north]`` (``None`` for a point).
    outline : dict or None
        A unit's or grid's outline, simplified (GeoJSON geometry).
    details : dict
        A camera's ``status``; a case's ``state``, ``risk_level``, ``category``,
        ``handling_level``, ``reported_at`` and ``deadline`` (its popup's lines).
    """

    kind: str
    kind_label: str
    id: str
    name: str
    code: str
    parent_name: str | None
    place: str
    lon: float | None
    lat: float | None
    bbox: list[float] | None = None
    outline: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Results:
    """What :func:`search` found.

    Attributes
    ----------
    found : list of Found
        At most :data:`LIMIT`, grouped by kind in the order of :data:`KIND_LABELS`, the best
        match of each kind first.
    more : bool
        Some matches were left out: the text should be longer.
    """

    found: list[Found]
    more: bool


def words(q: str) -> list[str]:
    r"""Return the ``ILIKE`` patterns of what was typed: each word anywhere, matched as typed.

    Parameters
    ----------
    q : str
        The text, spaces collapsed.

    Returns
    -------
    list of str
        One ``%word%`` per word, its ``\``, ``%`` and ``_`` escaped with a backslash (the
        escape character of ``LIKE`` by default).

    Examples
    --------
    >>> words("老堡 学校")
    ['%老堡%', '%学校%']
    >>> words("50%_a")
    ['%50\\%\\_a%']
    """
    escaped = (w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in q.split())
    return [f"%{w}%" for w in escaped]


def share(groups: list[list[Found]], limit: int) -> tuple[list[Found], bool]:
    """Take at most ``limit`` results from ``groups`` in turn, so each kind found is listed.

    Parameters
    ----------
    groups : list of list of Found
        Each kind's results, best first, in the order they are listed.
    limit : int
        Most results in all.

    Returns
    -------
    tuple of (list of Found, bool)
        The results, still grouped by kind, and whether any was left out.

    Examples
    --------
    >>> def f(kind, n):
    ...     return [Found(kind, "", str(i), "", "", None, "", None, None) for i in range(n)]
    >>> found, more = share([f("unit", 1), f("grid", 9), f("camera", 4)], 6)
    >>> [x.kind for x in found], more
    (['unit', 'grid', 'grid', 'grid', 'camera', 'camera'], True)
    """
    taken = [0] * len(groups)
    total = 0
    while total < limit and any(t < len(g) for t, g in zip(taken, groups, strict=True)):
        for i, group in enumerate(groups):
            if total < limit and taken[i] < len(group):
                taken[i] += 1
                total += 1
    found = [x for group, n in zip(groups, taken, strict=True) for x in group[:n]]
    return found, sum(len(g) for g in groups) > total


def search(
    session: Session, *, actor: Actor, q: str, code: str | None = None, limit: int = LIMIT
) -> Results:
    """Find the units, grids, cameras and cases of unit ``code`` that ``q`` names.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Whose scope applies; an analyst is listed no case (he reads aggregates only).
    q : str
        What the user typed: a name or words of one, a code, a 国标编码, a case number.
    code : str, optional
        A unit inside the actor's scope (default: the actor's unit).
    limit : int
        Most results (at most :data:`LIMIT`).

    Returns
    -------
    Results
        The results, grouped by kind: no person, ever.

    Raises
    ------
    InvalidInput
        ``q`` is shorter than :data:`MIN_LENGTH` or longer than :data:`MAX_LENGTH`.
    NotFound
        ``code`` is not a unit inside the actor's scope.
    Forbidden
        A department's account: it reads only the cases sent to it, not the area's map.
    """
    typed = " ".join(q.split())
    if len(typed) < MIN_LENGTH:
        raise InvalidInput(f"请至少输入 {MIN_LENGTH} 个字")
    if len(typed) > MAX_LENGTH:
        raise InvalidInput(f"查找内容不能超过 {MAX_LENGTH} 个字")
    if actor.role == Role.DEPARTMENT:
        raise Forbidden(COMMAND_VIEW_REFUSED)
    lo, hi, _ = cases.unit_range(code or actor.scope_code, actor)
    limit = max(1, min(limit, LIMIT))
    digits = typed.isdigit()
    params: dict[str, Any] = {
        "lo": lo,
        "hi": hi,
        "q": typed,
        "patterns": words(typed),
        "starts": words(typed)[0].removeprefix("%") if " " not in typed else "",
        "digits": digits,
        "clo": typed,
        "chi": typed[:-1] + chr(ord(typed[-1]) + 1) if digits else typed,  # digits: a range
        "limit": limit,
        "tol_parts": OUTLINE_POINTS,
    }

    def may(collection: str) -> bool:
        return readable(actor.role, COLLECTIONS[collection], scope_code=actor.scope_code)

    groups = [
        _units(session, params) if may("jurisdictions") else [],
        _grids(session, params) if may("grids") else [],
        _cameras(session, params) if may("video_points") else [],
        _cases(session, actor, typed, code, limit) if may("cases") else [],
    ]
    found, more = share(groups, limit)
    return Results(found, more)


# the rank of a name or code match: the same text first, then one starting with it, then any
_RANK = """
    CASE WHEN {name} = :q OR {code} = :q THEN 0
         WHEN {name} ILIKE :starts OR {code} LIKE :starts THEN 1
         ELSE 2 END
"""
# a box and a simplified outline of geometry g (NULL: no boundary on record)
_SHAPE = """
    ST_XMin(s.g) AS west, ST_YMin(s.g) AS south, ST_XMax(s.g) AS east, ST_YMax(s.g) AS north,
    ST_AsGeoJSON(ST_SimplifyPreserveTopology(
        s.g, greatest(ST_XMax(s.g) - ST_XMin(s.g), ST_YMax(s.g) - ST_YMin(s.g)) / :tol_parts
    ), 6) AS outline
"""
# the township and village of an area code (a township's own code: the township alone)
_PLACE = """
    LEFT JOIN jurisdictions a ON a.code = h.area_code
    LEFT JOIN jurisdictions t
      ON t.code = left(h.area_code, 9) || '000' AND t.code <> h.area_code AND a.level = 5
"""

_UNITS = text(
    f"""
    WITH h AS (
        SELECT j.code, j.name, j.level, j.parent_code AS area_code,
               {_RANK.format(name="j.name", code="j.code")} AS rank
          FROM jurisdictions j
         WHERE j.code >= :lo AND j.code < :hi AND j.retired_on IS NULL
           AND (j.name ILIKE ALL(CAST(:patterns AS text[]))
                OR (:digits AND j.code >= :clo AND j.code < :chi))
         ORDER BY rank, j.level, length(j.name), j.code
         LIMIT :limit
    )
    SELECT h.code, h.name, a.name AS parent_name, t.name AS township_name, {_SHAPE}
      FROM h
      JOIN jurisdictions j ON j.code = h.code
      {_PLACE}
      CROSS JOIN LATERAL (
          SELECT coalesce(j.boundary, (
              SELECT ST_Collect(k.boundary) FROM jurisdictions k
               WHERE k.parent_code = j.code AND k.retired_on IS NULL
          )) AS g
      ) s
     ORDER BY h.rank, h.level, length(h.name), h.code
    """
)


def _units(session: Session, params: dict[str, Any]) -> list[Found]:
    """Return the units of the range named or coded by the text, the unit itself among them."""
    return [
        _shape_found("unit", row, row.code, parent=row.parent_name)
        for row in session.execute(_UNITS, params)
    ]


_GRIDS = text(
    f"""
    WITH h AS (
        SELECT g.code, g.name, g.area_code, {_RANK.format(name="g.name", code="g.code")} AS rank
          FROM grids g
         WHERE g.area_code >= :lo AND g.area_code < :hi AND g.retired_on IS NULL
           AND (g.name ILIKE ALL(CAST(:patterns AS text[]))
                OR (:digits AND g.code >= :clo AND g.code < :chi))
         ORDER BY rank, length(g.name), g.code
         LIMIT :limit
    )
    SELECT h.code, h.name, a.name AS parent_name, t.name AS township_name, {_SHAPE}
      FROM h
      JOIN grids g ON g.code = h.code
      {_PLACE}
      CROSS JOIN LATERAL (SELECT g.boundary AS g) s
     ORDER BY h.rank, length(h.name), h.code
    """
)


def _grids(session: Session, params: dict[str, Any]) -> list[Found]:
    """Return the grids in use of the range named or coded (网格编码) by the text."""
    return [
        _shape_found("grid", row, row.code, parent=row.parent_name)
        for row in session.execute(_GRIDS, params)
    ]


_CAMERAS = text(
    f"""
    WITH h AS (
        SELECT v.id, v.device_id, v.name, v.status, v.area_code,
               ST_X(v.point) AS lon, ST_Y(v.point) AS lat,
               {_RANK.format(name="v.name", code="v.device_id")} AS rank
          FROM video_points v
         WHERE v.area_code >= :lo AND v.area_code < :hi AND v.retired_on IS NULL
           AND (v.name ILIKE ALL(CAST(:patterns AS text[]))
                OR (:digits AND v.device_id LIKE ANY(CAST(:patterns AS text[]))))
         ORDER BY rank, length(v.name), v.name, v.id
         LIMIT :limit
    )
    SELECT h.*, a.name AS parent_name, t.name AS township_name
      FROM h
      {_PLACE}
     ORDER BY h.rank, length(h.name), h.name, h.id
    """
)


def _cameras(session: Session, params: dict[str, Any]) -> list[Found]:
    """Return the cameras in use of the range named by the text, or whose 国标编码 holds it."""
    return [
        Found(
            kind="camera",
            kind_label=KIND_LABELS["camera"],
            id=str(row.id),
            name=row.name,
            code=row.device_id,
            parent_name=row.parent_name,
            place=_place(row.township_name, row.parent_name),
            lon=row.lon,
            lat=row.lat,
            details={"status": row.status},
        )
        for row in session.execute(_CAMERAS, params)
    ]


_AREA_NAMES = text(
    f"""
    SELECT h.area_code, a.name AS parent_name, t.name AS township_name
      FROM unnest(CAST(:codes AS text[])) AS h(area_code)
      {_PLACE}
    """
)


def _cases(session: Session, actor: Actor, typed: str, code: str | None, limit: int) -> list[Found]:
    """Return the cases the 调度台's 查找案件 finds (:func:`layers.case_lists.search`)."""
    listed = case_lists.search(session, actor=actor, q=typed, code=code, limit=limit)
    if not listed:
        return []
    places = {
        row.area_code: row
        for row in session.execute(_AREA_NAMES, {"codes": sorted({c.area_code for c in listed})})
    }
    found = []
    for c in listed:
        where = places.get(c.area_code)
        point = cases.lonlat(c)
        found.append(
            Found(
                kind="case",
                kind_label=KIND_LABELS["case"],
                id=str(c.id),
                name=c.title,
                code=c.code,
                parent_name=where.parent_name if where is not None else None,
                place=_place(where.township_name, where.parent_name) if where is not None else "",
                lon=point[0] if point is not None else None,
                lat=point[1] if point is not None else None,
                details={
                    "state": c.state,
                    "risk_level": c.risk_level,
                    "category": c.category,
                    "handling_level": c.handling_level,
                    "reported_at": c.reported_at.isoformat(),
                    "deadline": c.deadline.isoformat() if c.deadline is not None else None,
                },
            )
        )
    return found


def _place(township: str | None, unit: str | None) -> str:
    """``盘溪镇 · 老堡村``: the names known, township first."""
    return " · ".join(n for n in (township, unit) if n)


def _shape_found(kind: str, row: Any, code: str, *, parent: str | None) -> Found:
    """Return a unit or grid with its box, centre and outline (none without a boundary)."""
    located = row.west is not None
    return Found(
        kind=kind,
        kind_label=KIND_LABELS[kind],
        id=code,
        name=row.name,
        code=code,
        parent_name=parent,
        place=_place(row.township_name, parent),
        lon=(row.west + row.east) / 2 if located else None,
        lat=(row.south + row.north) / 2 if located else None,
        bbox=[row.west, row.south, row.east, row.north] if located else None,
        outline=json.loads(row.outline) if row.outline is not None else None,
    )
