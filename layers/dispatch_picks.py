"""The workers a dispatcher may pick by hand for a case, beside the ranked candidates.

:func:`layers.dispatch.candidates` ranks only on-duty workers with a fresh position within the
radius; a worker left out of it stays out of sight. The township trial's dispatcher looked for
the one worker with a platform account (who can follow the case under 我的任务) and could not
find him: he was busy and his position was 8 hours old. :func:`workers_to_pick` lists, in the
actor's scope, either the workers who have an active login account or those whose name holds a
search text, each with what the ranking needs and lacks (:data:`LEFT_OUT`): status, the age of
the last position, the distance to the case, the day's workload, the cases he holds, and whether
he can be sent the case now (a worker on duty, or busy with fewer than
:data:`layers.dispatch.OPEN_CASES_CAP` open cases: :func:`layers.dispatch.assign` refuses the
others; a full one's latest case is named). Assigning goes through
:func:`layers.dispatch.assign` as for a ranked worker; the ranking rules are not touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import cases, dispatch
from layers.errors import InvalidInput, NotFound
from layers.model.dispatches import ACTIVE_DISPATCH
from layers.workflow import Actor

#: Why the ranked list leaves a worker out: busy with :data:`layers.dispatch.OPEN_CASES_CAP` open
#: cases (在办 3 件，已达上限), off duty, no position reported,
#: a position older than ``stale_after``, a position timed after now (the phone's clock), a
#: position beyond the radius (only for a located case).
LEFT_OUT = ("busy", "off_duty", "no_position", "stale", "position_ahead", "outside_radius")
#: The longest name search text.
QUERY_MAX = 20


@dataclass(frozen=True)
class WorkerPick:
    """One worker the dispatcher may pick, with what the ranking would say of him.

    Attributes
    ----------
    worker_id : int
        Worker id.
    name : str
        Worker name.
    role : str
        Worker role code.
    home_grid : str or None
        The worker's own grid.
    status : str
        :class:`layers.model.WorkerStatus` code (``on_duty``, ``off_duty``, ``busy``).
    last_seen_at : datetime or None
        Time of the last position (None: never reported).
    position_age_minutes : int or None
        Whole minutes between the last position and ``now`` (None: never reported).
    distance_m : float or None
        Geodesic distance from the last position to the case (None: no position, or the case
        is not located).
    lon, lat : float or None
        The last position (for the map).
    workload : int
        Dispatches of the worker in the 24 hours before ``now``, less those recalled before
        he accepted them.
    has_account : bool
        Whether the worker has an active login account.
    account_sees_case : bool or None
        Whether such an account sees the case (None: no account).
    left_out : list of str
        Why :func:`layers.dispatch.candidates` leaves him out (:data:`LEFT_OUT`); empty: he
        qualifies for the ranking (in it, or below its ``limit``).
    pickable : bool
        Whether he can be sent the case now (on duty, or busy below the cap).
    busy_case_id, busy_case_code : int or str or None
        The case of his latest active dispatch, when busy and in the actor's scope.
    phone : str or None
        The worker's work phone, in clear, to phone one who cannot follow the case in the
        platform (as :attr:`layers.dispatch.Candidate.phone`).
    withdrawn : dict or None
        His earlier dispatch of this case, withdrawn (:func:`layers.dispatch.withdrawn_from`).
    open_cases : int
        The cases he holds now (as :attr:`layers.dispatch.Candidate.open_cases`): the desk's
        在办 N 件, which a busy worker's ``workload`` of the last 24 hours may not show.
    open_cases_cap : int
        :data:`layers.dispatch.OPEN_CASES_CAP`, for the desk to say 已达上限.
    """

    worker_id: int
    name: str
    role: str
    home_grid: str | None
    status: str
    last_seen_at: datetime | None
    position_age_minutes: int | None
    distance_m: float | None
    lon: float | None
    lat: float | None
    workload: int
    has_account: bool
    account_sees_case: bool | None
    left_out: list[str]
    pickable: bool
    busy_case_id: int | None = None
    busy_case_code: str | None = None
    phone: str | None = None
    withdrawn: dict[str, Any] | None = None
    open_cases: int = 0
    open_cases_cap: int = dispatch.OPEN_CASES_CAP


@dataclass(frozen=True)
class WorkerPicks:
    """The workers listed for a case.

    Attributes
    ----------
    case_id : int
        The case.
    query : str or None
        The name search text (None: the workers with a platform account).
    workers : list of WorkerPick
        On-duty workers first, then by distance (unknown last), then by name.
    total : int
        How many workers match (``workers`` holds at most ``limit`` of them).
    radius_m : float
        The radius the ranking uses.
    stale_minutes : int
        The age past which the ranking skips a position.
    """

    case_id: int
    query: str | None
    workers: list[WorkerPick]
    total: int
    radius_m: float
    stale_minutes: int


_CASE = text(
    """
    SELECT area_code, point IS NOT NULL AS located FROM cases
     WHERE id = :case_id AND area_code >= :lo AND area_code < :hi
    """
)

_PICKS = text(
    f"""
    WITH c AS MATERIALIZED (
        SELECT geography(point) AS g FROM cases WHERE id = :case_id),
    w AS (
        SELECT w.*, (SELECT array_agg(u.scope_code) FROM users u
                      WHERE u.worker_id = w.id AND u.active) AS account_scopes
          FROM workers w
         WHERE w.area_code >= :lo AND w.area_code < :hi AND w.status <> 'left')
    SELECT w.id, w.name, w.role, w.home_grid, w.phone, w.status, w.last_seen_at,
           w.account_scopes,
           ST_X(w.last_position) AS lon, ST_Y(w.last_position) AS lat,
           CASE WHEN w.last_position IS NOT NULL AND c.g IS NOT NULL
                THEN ST_Distance(geography(w.last_position), c.g) END AS distance_m,
           -- a dispatch taken back before its worker accepted it (撤回派单) is no workload
           (SELECT count(*) FROM dispatches d
             WHERE d.worker_id = w.id AND d.assigned_at > :day_ago
               AND NOT (d.status = 'cancelled' AND d.accepted_at IS NULL)) AS workload,
           (SELECT count(*) FROM dispatches d
             WHERE d.worker_id = w.id AND d.{ACTIVE_DISPATCH}) AS open_cases,
           busy.case_id AS busy_case_id, busy.code AS busy_case_code,
           count(*) OVER () AS total
      FROM w CROSS JOIN c
      LEFT JOIN LATERAL (
        SELECT d.case_id, k.code FROM dispatches d JOIN cases k ON k.id = d.case_id
         WHERE d.worker_id = w.id AND d.{ACTIVE_DISPATCH}
         ORDER BY d.assigned_at DESC LIMIT 1) busy ON w.status = 'busy'
     WHERE CASE WHEN CAST(:pattern AS text) IS NULL THEN w.account_scopes IS NOT NULL
                ELSE w.name ILIKE CAST(:pattern AS text) ESCAPE '\\' END
     ORDER BY w.status = 'on_duty' DESC, distance_m NULLS LAST, w.name, w.id
     LIMIT :limit
    """
)
"""The workers of the scope (not those who left the job) with an active account, or whose name
holds the search text, and the distance of each last position to the case."""


def _pattern(query: str | None) -> str | None:
    if query is None or not query.strip():
        return None
    words = query.strip()
    if len(words) > QUERY_MAX:
        raise InvalidInput(f"网格员姓名最多输入 {QUERY_MAX} 个字")
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def workers_to_pick(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    now: datetime,
    query: str | None = None,
    radius_m: float = dispatch.RADIUS_M,
    stale_after: timedelta = dispatch.STALE_AFTER,
    limit: int = 50,
) -> WorkerPicks:
    """List the workers a dispatcher may pick by hand for a case, and why the ranking skips them.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id (in the actor's scope; it need not be located).
    actor : Actor
        Whose scope limits the workers.
    now : datetime
        Reference time for the position's age and the workload.
    query : str, optional
        Part of a worker's name (at most :data:`QUERY_MAX` characters); without it, the workers
        who have an active platform account.
    radius_m : float
        The ranking's radius (to say who lies beyond it), clamped to 1 m … 50 km.
    stale_after : timedelta
        The ranking's staleness limit.
    limit : int
        Most workers listed (clamped to 1–100).

    Returns
    -------
    WorkerPicks
        The workers, on-duty ones first, then the nearest.

    Raises
    ------
    NotFound
        No such case in scope.
    InvalidInput
        A search text longer than :data:`QUERY_MAX`.
    """
    radius = min(max(float(radius_m), 1.0), 50_000.0)
    limit = min(max(int(limit), 1), 100)
    pattern = _pattern(query)
    lo, hi = scope_range(actor.scope_code)
    case = session.execute(_CASE, {"case_id": case_id, "lo": lo, "hi": hi}).first()
    if case is None:
        raise NotFound(cases.NO_CASE)
    rows = session.execute(
        _PICKS,
        {
            "case_id": case_id,
            "lo": lo,
            "hi": hi,
            "day_ago": now - timedelta(days=1),
            "pattern": pattern,
            "limit": limit,
        },
    ).all()
    stale_minutes = max(1, int(stale_after.total_seconds() // 60))
    withdrawn = dispatch.withdrawn_from(session, case_id) if rows else {}
    workers = [
        _pick(row, case.area_code, now, radius, stale_after, withdrawn.get(int(row.id)))
        for row in rows
    ]
    total = int(rows[0].total) if rows else 0
    shown = query.strip() if pattern is not None and query is not None else None
    return WorkerPicks(case_id, shown, workers, total, radius, stale_minutes)


def _pick(
    r: Row[Any],
    case_area: str,
    now: datetime,
    radius: float,
    stale: timedelta,
    withdrawn: dict[str, Any] | None = None,
) -> WorkerPick:
    status = str(r.status)
    seen: datetime | None = r.last_seen_at
    distance = r.distance_m
    left_out: list[str] = []
    held = int(r.open_cases)
    free = status == "on_duty" or (status == "busy" and held < dispatch.OPEN_CASES_CAP)
    if status == "busy" and not free:
        left_out.append("busy")
    elif status == "off_duty":
        left_out.append("off_duty")
    if seen is None or r.lon is None:
        left_out.append("no_position")
    elif seen < now - stale:
        left_out.append("stale")
    elif seen > now:
        left_out.append("position_ahead")
    if distance is not None and float(distance) > radius:
        left_out.append("outside_radius")
    scopes = r.account_scopes
    return WorkerPick(
        worker_id=int(r.id),
        name=str(r.name),
        role=str(r.role),
        home_grid=r.home_grid,
        status=status,
        last_seen_at=seen,
        position_age_minutes=None
        if seen is None
        else max(0, int((now - seen).total_seconds() // 60)),
        distance_m=None if distance is None else round(float(distance), 1),
        lon=None if r.lon is None else round(float(r.lon), 7),
        lat=None if r.lat is None else round(float(r.lat), 7),
        workload=int(r.workload),
        has_account=bool(scopes),
        account_sees_case=(
            any(cases.in_scope(scope, case_area) for scope in scopes) if scopes else None
        ),
        left_out=left_out,
        pickable=free,
        busy_case_id=r.busy_case_id,
        busy_case_code=r.busy_case_code,
        phone=r.phone,
        withdrawn=withdrawn,
        open_cases=held,
    )
