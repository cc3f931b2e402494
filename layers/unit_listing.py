"""What ``zongzhi units`` lists: a unit's children or its grids, with counts (never a person).

A planner preparing a merger of villages, or a county checking what its townships hold, reads
each unit by name and full code with its level, whether a boundary is on record, and four
counts over the unit's codes: grids in use, workers on the roster (not 已离职), special-population
persons on the register (not ended), open cases and cameras in use (not retired, so a clerk sees
after a ``--complete`` camera list where cameras are). A grid carries the same counts over the
rows that name it, and its 网格长; a camera names its village, not its grid, so a grid's cameras
are those in use of its village inside its boundary (none counted for a grid without a boundary,
or retired). Retired units (:mod:`layers.unit_retirement`) come with the day
they were retired and their successor; the caller decides whether to show them. Counts only:
nothing here reads a person's name, ID or address.

A unit's codes are the half-open range of its significant prefix (its level's 2, 4, 6, 9 or 12
digits, :func:`geo.codes.scope_range`), computed in the SQL for each unit listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import prefix_length, scope_range
from layers.model import WorkerStatus
from layers.workflow import OPEN_STATES


@dataclass(frozen=True)
class Retired:
    """When a unit was retired and which unit took it over.

    Attributes
    ----------
    on : datetime.date
        The day it was retired (撤销日期).
    successor_code : str or None
        The code of the unit that took it over; None when none did.
    successor_name : str or None
        That unit's name.
    """

    on: date
    successor_code: str | None
    successor_name: str | None


@dataclass(frozen=True)
class UnitRow:
    """One jurisdiction as listed, with the counts over its codes.

    Attributes
    ----------
    code : str
        12-digit division code.
    name : str
        Its name.
    level : int
        1 province … 5 village.
    grids, workers, persons, open_cases, cameras : int
        Grids in use, workers not 已离职, special-population persons on the register, open cases,
        cameras in use (video points not retired).
    bounded : bool
        Whether its boundary is on record.
    retired : Retired or None
        None while in use.
    """

    code: str
    name: str
    level: int
    grids: int
    workers: int
    persons: int
    open_cases: int
    cameras: int
    bounded: bool
    retired: Retired | None


@dataclass(frozen=True)
class GridRow:
    """One grid as listed, with the counts over the rows that name it.

    Attributes
    ----------
    code : str
        15-digit grid code.
    name : str
        Its name.
    village_code, village_name : str
        The village (community) it lies in.
    leader : str or None
        Its 网格长's name; None when it has none.
    leader_left : bool
        Whether that 网格长 has left (已离职).
    workers, persons, open_cases : int
        Workers of the grid not 已离职, persons on the register in it, open cases in it.
    cameras : int or None
        Cameras in use of its village inside its boundary; None for a grid without a boundary,
        or retired (a camera is recorded in its village, not in a grid).
    bounded : bool
        Whether its boundary is on record.
    retired : Retired or None
        None while in use.
    """

    code: str
    name: str
    village_code: str
    village_name: str
    leader: str | None
    leader_left: bool
    workers: int
    persons: int
    open_cases: int
    cameras: int | None
    bounded: bool
    retired: Retired | None


_UNIT_COUNTS = """
WITH picked AS (
  SELECT j.code, j.name, j.level, j.boundary IS NOT NULL AS bounded, j.retired_on,
         j.successor_code, s.name AS successor_name,
         left(j.code, (CAST(:lengths AS integer[]))[j.level]) AS lo
  FROM jurisdictions AS j
  LEFT JOIN jurisdictions AS s ON s.code = j.successor_code
  WHERE {where}
), ranged AS (
  SELECT p.*, left(p.lo, -1) || chr(ascii(right(p.lo, 1)) + 1) AS hi FROM picked AS p
)
SELECT r.code, r.name, r.level, r.bounded, r.retired_on, r.successor_code, r.successor_name,
  (SELECT count(*) FROM grids AS g
    WHERE g.area_code >= r.lo AND g.area_code < r.hi AND g.retired_on IS NULL) AS grids,
  (SELECT count(*) FROM workers AS w
    WHERE w.area_code >= r.lo AND w.area_code < r.hi AND w.status <> :left) AS workers,
  (SELECT count(*) FROM persons AS p
    WHERE p.area_code >= r.lo AND p.area_code < r.hi AND p.ended_on IS NULL) AS persons,
  (SELECT count(*) FROM cases AS c
    WHERE c.area_code >= r.lo AND c.area_code < r.hi AND c.state = ANY(:open)) AS open_cases,
  (SELECT count(*) FROM video_points AS v
    WHERE v.area_code >= r.lo AND v.area_code < r.hi AND v.retired_on IS NULL) AS cameras
FROM ranged AS r
ORDER BY r.code
"""

_CHILDREN = "j.code = :code OR j.parent_code = :code"
"""The unit itself and its children."""
_COUNTIES = (
    "j.level = 3 OR (j.level = 2 AND EXISTS (SELECT 1 FROM jurisdictions AS t"
    " WHERE t.parent_code = j.code AND t.level = 4))"
)
"""Counties, and the cities without counties (东莞 4419) whose townships are their children."""

_GRIDS = """
SELECT g.code, g.name, g.area_code AS village_code, v.name AS village_name,
  g.boundary IS NOT NULL AS bounded, g.retired_on, g.successor_code, s.name AS successor_name,
  l.name AS leader, coalesce(l.status = :left, false) AS leader_left,
  (SELECT count(*) FROM workers AS w
    WHERE w.home_grid = g.code AND w.status <> :left) AS workers,
  (SELECT count(*) FROM persons AS p
    WHERE p.grid_code = g.code AND p.ended_on IS NULL) AS persons,
  (SELECT count(*) FROM cases AS c
    WHERE c.grid_code = g.code AND c.state = ANY(:open)) AS open_cases,
  CASE WHEN g.boundary IS NOT NULL AND g.retired_on IS NULL THEN
    (SELECT count(*) FROM video_points AS v WHERE v.area_code = g.area_code
      AND v.retired_on IS NULL AND ST_Covers(g.boundary, v.point)) END AS cameras
FROM grids AS g
JOIN jurisdictions AS v ON v.code = g.area_code
LEFT JOIN grids AS s ON s.code = g.successor_code
LEFT JOIN workers AS l ON l.id = g.leader_id
WHERE g.area_code >= :lo AND g.area_code < :hi
ORDER BY g.code
"""


def unit_and_children(session: Session, code: str | None) -> tuple[UnitRow | None, list[UnitRow]]:
    """Return the unit ``code`` and its children (retired ones too), or the counties on record.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session whose scope covers the units (the owner's, unscoped, for the CLI).
    code : str or None
        12-digit division code; None lists the counties on record (with the cities that have
        townships but no counties).

    Returns
    -------
    tuple
        ``(unit, children)``: the unit itself (None when ``code`` is None or not on record) and
        the children in code order, each with its counts and, when retired, its successor.
    """
    where, params = (_COUNTIES, {}) if code is None else (_CHILDREN, {"code": code})
    rows = session.execute(
        text(_UNIT_COUNTS.format(where=where)),
        {
            **params,
            "lengths": [prefix_length(level) for level in range(1, 6)],
            "left": WorkerStatus.LEFT.value,
            "open": sorted(OPEN_STATES),
        },
    ).all()
    listed = [_unit_row(row) for row in rows]
    unit = next((row for row in listed if row.code == code), None)
    return unit, [row for row in listed if row.code != code]


def grids_under(session: Session, code: str) -> list[GridRow]:
    """Return the grids (retired ones too) of the unit ``code``, in code order.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session whose scope covers the unit.
    code : str
        12-digit division code: a village's grids, or all grids of a township, county ….

    Returns
    -------
    list of GridRow
        Each with its village, 网格长, counts (cameras: those inside its boundary) and, when
        retired, its successor.
    """
    lo, hi = scope_range(code)
    rows = session.execute(
        text(_GRIDS),
        {"lo": lo, "hi": hi, "left": WorkerStatus.LEFT.value, "open": sorted(OPEN_STATES)},
    ).all()
    return [
        GridRow(
            code=row.code,
            name=row.name,
            village_code=row.village_code,
            village_name=row.village_name,
            leader=row.leader,
            leader_left=bool(row.leader_left),
            workers=row.workers,
            persons=row.persons,
            open_cases=row.open_cases,
            cameras=row.cameras,
            bounded=row.bounded,
            retired=_retired(row),
        )
        for row in rows
    ]


def _unit_row(row: Any) -> UnitRow:
    return UnitRow(
        code=row.code,
        name=row.name,
        level=row.level,
        grids=row.grids,
        workers=row.workers,
        persons=row.persons,
        open_cases=row.open_cases,
        cameras=row.cameras,
        bounded=row.bounded,
        retired=_retired(row),
    )


def _retired(row: Any) -> Retired | None:
    """Return the retirement of a listed row (``retired_on``, ``successor_*``), None in use."""
    if row.retired_on is None:
        return None
    return Retired(row.retired_on, row.successor_code, row.successor_name)
