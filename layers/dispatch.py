"""Dispatch (派单): recommend grid workers for a case and assign one, a unit or a department.

A dispatch nobody has 受理'd yet is taken back by :func:`recall` (撤回派单, with a reason): the
case is triaged again and may be dispatched anew; the worker's 我的任务 no longer lists it.

A worker holds up to :data:`OPEN_CASES_CAP` open cases (dispatches 已派单, 已受理 or 已到场) at
once: the worker on site at a landslide takes the second report from the same spot (trial AZ
M3: one case at a time, before). Busy with one, he stays 处置中 until the last of them ends.

Ranking follows the lessons of CAD systems: only workers on duty, or busy below the cap, with a
position fresher than ``stale_after`` count; the radius is capped; the nearest come first (KNN
``<->`` over the partial GiST index ``ix_workers_dispatchable_position``, then exact geodesic
distance), adjusted for workload, for the cases he holds (an idle worker comes before a busy one
as near) and for the case lying in the worker's own grid. When nobody qualifies the result says
why (:data:`REASONS`) with the counts that show it.

Assignment locks the case, then the worker row (``FOR UPDATE``), checks that the worker is on
duty or busy, and counts his open dispatches under that lock: two operators sending him a case
at once are served one after the other, and the one who would give him a fourth is refused with
a :class:`~layers.errors.Conflict` (:data:`CAP_REFUSAL`). Ending a dispatch
(:func:`layers.cases.free_worker`) takes the same lock, so the last one to end puts him back on
duty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.codes import enclosing_code, parent_code, scope_range
from layers import accounts, audit, case_import, cases, workflow
from layers.china_time import CHINA
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound, no_jurisdiction
from layers.free_text import CASE_NOTE, DEPARTMENT_NAMES, refuse_personal_numbers
from layers.model import (
    AssigneeKind,
    Case,
    CaseEvent,
    Dispatch,
    DispatchStatus,
    Jurisdiction,
    Role,
    User,
    Worker,
    WorkerPosition,
    WorkerStatus,
)
from layers.workflow import Actor

#: A worker that does not exist, or not in the actor's scope (indistinguishable).
NO_WORKER = "该网格员不存在或不在您的辖区内"
#: Why a worker who left the job cannot go on or off duty (shown to the worker and the operator).
LEFT_REFUSAL = "该网格员已离职，不能更改在岗状态；如已重新上岗，请在网格员花名册中登记后重新导入"
#: Why no candidate was suggested.
REASONS = ("no_workers_in_scope", "all_busy", "all_stale", "outside_radius")
#: Most open cases (dispatches 已派单, 已受理 or 已到场) a worker holds at once (trial AZ M3).
OPEN_CASES_CAP = 3
#: The refusal of a dispatch that would give a worker more than :data:`OPEN_CASES_CAP`.
CAP_REFUSAL = (
    "网格员{name}在办 {n} 件，已达上限（每名网格员最多同时办理 {cap} 件），"
    "请另选网格员，或待其办结、退回后再派"
)
#: Ranking: one dispatch in the last 24 h weighs like this many metres of extra distance …
WORKLOAD_PENALTY_M = 500.0
#: … each open case he holds like this many (an idle worker up to a kilometre farther comes
#: first; the one on site, holding the spot's first report, is still offered the second) …
OPEN_CASE_PENALTY_M = 1000.0
#: … and the case lying in the worker's own grid like this many metres less.
OWN_GRID_BONUS_M = 300.0
#: The KNN pre-selection takes this many times ``limit`` nearest workers before exact ranking.
POOL_FACTOR = 4
#: How far the ranking looks for workers by default (metres, geodesic) …
RADIUS_M = 3000.0
#: … and the age past which it skips a worker's last position (minutes).
STALE_MINUTES = 30
STALE_AFTER = timedelta(minutes=STALE_MINUTES)


@dataclass(frozen=True)
class Candidate:
    """One suggested worker.

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
    distance_m : float
        Geodesic distance from the worker's last position to the case.
    workload : int
        Dispatches of the worker in the 24 hours before ``now``, less those recalled before
        he accepted them.
    own_grid : bool
        Whether the case lies in the worker's own grid.
    last_seen_at : datetime
        Time of the last position.
    score_m : float
        Ranking key: ``distance + workload penalty + open-cases penalty − own-grid bonus``
        (lower is better).
    lon, lat : float
        The worker's last position (for the map).
    account_sees_case : bool or None
        Whether an active login account of the worker sees the case (its scope holds the
        case's unit); None: the worker has none. A worker whose account does not see it
        (a neighbouring village's) cannot follow it in the platform: 我的任务 and the case's
        page show it to those who see its unit only, and the operators act on their behalf.
    phone : str or None
        The worker's work phone as the roster gives it, in clear: the operator who dispatches to
        a worker who cannot follow the case in the platform phones him (trial AO M9). A grid
        worker's work number is staff contact data, not a special population's; the candidates
        go to operators only.
    withdrawn : dict or None
        His earlier dispatch of this case, withdrawn by a 上报, a 撤回派单 or his 退回
        (:func:`withdrawn_from`), or ``None``: the desk marks him 原承办人 (trial AQ M4).
    open_cases : int
        The cases he holds now (his dispatches 已派单, 已受理 or 已到场), fewer than
        :data:`OPEN_CASES_CAP`, which the desk shows as 在办 N 件 beside ``workload`` (trial
        AZ M3: a busy worker read 「0 件」 there).
    """

    worker_id: int
    name: str
    role: str
    home_grid: str | None
    distance_m: float
    workload: int
    own_grid: bool
    last_seen_at: datetime
    score_m: float
    lon: float = 0.0
    lat: float = 0.0
    account_sees_case: bool | None = None
    phone: str | None = None
    withdrawn: dict[str, Any] | None = None
    open_cases: int = 0


@dataclass(frozen=True)
class Candidates:
    """Ranked candidates for a case, or why there are none.

    Attributes
    ----------
    case_id : int
        The case.
    candidates : list of Candidate
        Best first.
    reason : str or None
        ``None`` when there are candidates, else one of :data:`REASONS`.
    counts : dict
        ``in_scope``, ``on_duty`` (on duty, or busy below :data:`OPEN_CASES_CAP`), ``fresh``,
        ``within_radius`` (filled when nobody qualifies).
    radius_m : float
        The radius cap used.
    """

    case_id: int
    candidates: list[Candidate]
    reason: str | None
    counts: dict[str, int] = field(default_factory=dict)
    radius_m: float = RADIUS_M


_RANK = text(
    """
    WITH c AS MATERIALIZED (
        SELECT (SELECT g.code FROM grids g
                 WHERE g.code = cases.grid_code AND g.retired_on IS NULL) AS grid_code,
               area_code, point, geography(point) AS g
          FROM cases
         WHERE id = :case_id AND area_code >= :lo AND area_code < :hi),
    w AS (
        SELECT w.id, w.name, w.role, w.home_grid, w.phone, w.last_seen_at, w.last_position
          FROM workers w
         WHERE w.status IN ('on_duty', 'busy') AND w.last_position IS NOT NULL
           AND w.area_code >= :lo AND w.area_code < :hi
           AND w.last_seen_at >= :fresh_after AND w.last_seen_at <= :now
           AND (w.status = 'on_duty' OR (SELECT count(*) FROM dispatches d
                 WHERE d.worker_id = w.id
                   AND d.status IN ('assigned', 'accepted', 'arrived')) < :cap)
         ORDER BY w.last_position <-> (SELECT point FROM c)
         LIMIT :pool)
    SELECT c.grid_code AS case_grid, c.area_code AS case_area, c.point IS NOT NULL AS located,
           r.id, r.name, r.role, r.home_grid, r.phone, r.last_seen_at, r.lon, r.lat,
           r.distance_m, r.workload, r.open_cases, r.account_scopes
      FROM c LEFT JOIN LATERAL (
        SELECT w.id, w.name, w.role, w.home_grid, w.phone, w.last_seen_at,
               ST_X(w.last_position) AS lon, ST_Y(w.last_position) AS lat,
               ST_Distance(geography(w.last_position), c.g) AS distance_m,
               -- a dispatch taken back before its worker accepted it (撤回派单) is no workload
               (SELECT count(*) FROM dispatches d
                 WHERE d.worker_id = w.id AND d.assigned_at > :day_ago
                   AND NOT (d.status = 'cancelled' AND d.accepted_at IS NULL)) AS workload,
               -- the cases he holds now, however old (the desk's 在办 N 件)
               (SELECT count(*) FROM dispatches d
                 WHERE d.worker_id = w.id
                   AND d.status IN ('assigned', 'accepted', 'arrived')) AS open_cases,
               (SELECT array_agg(u.scope_code) FROM users u
                 WHERE u.worker_id = w.id AND u.active) AS account_scopes
          FROM w
         WHERE c.g IS NOT NULL AND ST_DWithin(geography(w.last_position), c.g, :radius)
      ) r ON true
    """
)
"""The case (in scope: none, else one row even without candidates) and the nearest fresh
workers on duty or busy below the cap by KNN over the partial GiST index (the case point is an
InitPlan parameter, so the index orders the scan), then exact geodesic distance and radius: one
round trip. The case's grid counts for the own-grid bonus only while it is live (a re-division
retired it: no bonus)."""

_COUNTS = text(
    """
    WITH c AS (SELECT geography(point) AS g FROM cases WHERE id = :case_id),
    w AS (
        SELECT w.*, w.status = 'on_duty' OR (w.status = 'busy' AND (
                   SELECT count(*) FROM dispatches d
                    WHERE d.worker_id = w.id
                      AND d.status IN ('assigned', 'accepted', 'arrived')) < :cap) AS free
          FROM workers w
         WHERE w.area_code >= :lo AND w.area_code < :hi AND w.status <> 'left')
    SELECT count(*),
           count(*) FILTER (WHERE w.free),
           count(*) FILTER (WHERE w.free AND w.last_position IS NOT NULL
                              AND w.last_seen_at >= :fresh_after AND w.last_seen_at <= :now),
           count(*) FILTER (WHERE w.free AND w.last_position IS NOT NULL
                              AND w.last_seen_at >= :fresh_after AND w.last_seen_at <= :now
                              AND ST_DWithin(geography(w.last_position), c.g, :radius))
      FROM w, c
    """
)
"""Why nobody qualifies: the workers of the scope (those who left the job not among them),
who may be sent a case (on duty, or busy below the cap), with a fresh position, within the
radius."""


#: The actions that take a dispatch from its worker before it is done: his 退回, the desk's
#: 撤回派单, a 上报 (the level above triages the case anew).
WITHDRAWING = ("return", "recall", "escalate")

_WITHDRAWN = text(
    """
    SELECT DISTINCT ON (d.worker_id) d.worker_id, e.action, e.note, e.at, e.actor_name,
           (e.payload ->> 'by_level')::int AS by_level,
           (e.payload ->> 'from_level')::int AS from_level
      FROM dispatches d
      JOIN case_events e ON e.case_id = d.case_id AND e.at = d.finished_at
                        AND e.action = ANY(:actions)
     WHERE d.case_id = :case_id AND d.worker_id IS NOT NULL
       AND d.status IN ('returned', 'cancelled')
     ORDER BY d.worker_id, d.finished_at DESC, e.id DESC
    """
)
"""Each worker's latest dispatch of a case closed by a :data:`WITHDRAWING` event (the event
written at the dispatch's ``finished_at``: the action closed it then)."""


#: How the desk says a worker's dispatch ended, by the action that ended it: 原承办人（已退回：
#: <原因>）for his own 退回, 已撤回 for the desk's 撤回派单 only, 已上报 when the case went up
#: (trial AS M6: a 退回 read 已撤回, as if the dispatcher had recalled it).
ENDED = {"return": "已退回", "recall": "已撤回", "escalate": "已上报"}
#: … and a 上报 by a level above the one holding the case (提级办理,
#: :data:`layers.workflow.TAKE_UP_LABEL`).
TAKEN_UP = f"已{workflow.TAKE_UP_LABEL}"


def _ended(action: str, by_level: int | None, from_level: int | None) -> str:
    """Return :data:`ENDED` of ``action``; a superior's 上报 of a lower level's case is 提级办理.

    Examples
    --------
    >>> _ended("return", None, None), _ended("recall", 4, None)
    ('已退回', '已撤回')
    >>> _ended("escalate", 5, 5), _ended("escalate", 3, 4)
    ('已上报', '已提级办理')
    """
    if action == "escalate" and by_level is not None and from_level is not None:
        if by_level < from_level:
            return TAKEN_UP
    return ENDED[action]


def withdrawn_from(session: Session, case_id: int) -> dict[int, dict[str, Any]]:
    """Return the workers whose dispatch of a case was withdrawn, and how and why.

    A case the village escalated because its worker's mediation failed came back ranked with
    the same worker first, and nothing said he had had it (trial AQ M4): the desk marks him
    原承办人（<ended>：<原因>）, ``ended`` telling his own 退回 from the desk's 撤回派单 and a
    上报 (trial AS M6).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    case_id : int
        The case.

    Returns
    -------
    dict
        Worker id to ``action`` (``return``, ``recall`` or ``escalate``), ``label`` (退回,
        撤回派单, 上报), ``ended`` (:data:`ENDED`: 已退回, 已撤回, 已上报 or 已提级办理),
        ``reason`` (the event's note, or ``None``), ``at`` and ``by`` (who).
    """
    rows = session.execute(_WITHDRAWN, {"case_id": case_id, "actions": list(WITHDRAWING)})
    return {
        int(r.worker_id): {
            "action": r.action,
            "label": workflow.ACTION_LABELS[r.action],
            "ended": _ended(r.action, r.by_level, r.from_level),
            "reason": r.note,
            "at": r.at.isoformat(),
            "by": r.actor_name,
        }
        for r in rows
    }


def returned_it(withdrawn: dict[str, Any] | None) -> bool:
    """Whether a worker's last dispatch of the case ended with his own 退回.

    Parameters
    ----------
    withdrawn : dict or None
        The worker's entry of :func:`withdrawn_from`.

    Returns
    -------
    bool
        True for a 退回 (he is ranked after the others, and the desk asks again before sending
        him the case); False for a 撤回派单, a 上报, or no earlier dispatch.

    Examples
    --------
    >>> returned_it({"action": "return"}), returned_it({"action": "recall"}), returned_it(None)
    (True, False, False)
    """
    return withdrawn is not None and withdrawn.get("action") == "return"


def candidates(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    now: datetime,
    radius_m: float = RADIUS_M,
    stale_after: timedelta = STALE_AFTER,
    limit: int = 10,
) -> Candidates:
    """Rank the available workers in the actor's scope for a case.

    Available: on duty, or busy with fewer than :data:`OPEN_CASES_CAP` open cases (each of
    which weighs :data:`OPEN_CASE_PENALTY_M` in the ranking), with a fresh position.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id (must be in scope and located).
    actor : Actor
        Whose scope limits the workers.
    now : datetime
        Reference time for staleness and workload.
    radius_m : float
        Radius cap in metres (geodesic), clamped to 1 m … 50 km.
    stale_after : timedelta
        Positions older than this are skipped.
    limit : int
        Number of candidates (clamped to 1–100).

    Returns
    -------
    Candidates
        Ranked candidates, or the reason there are none with the counts; a worker whose
        dispatch of the case was withdrawn says so (``withdrawn``, :func:`withdrawn_from`),
        and one who returned it (:func:`returned_it`), if among the ``limit`` best, comes
        after all the others.

    Raises
    ------
    NotFound
        No such case in scope.
    InvalidInput
        The case has no location.
    """
    radius = min(max(float(radius_m), 1.0), 50_000.0)
    limit = min(max(int(limit), 1), 100)
    lo, hi = scope_range(actor.scope_code)
    params = {
        "case_id": case_id,
        "lo": lo,
        "hi": hi,
        "now": now,
        "fresh_after": now - stale_after,
        "radius": radius,
        "cap": OPEN_CASES_CAP,
    }
    # psycopg prepares a statement after 5 runs and PostgreSQL then may switch to a generic plan
    # that sorts every worker instead of walking the KNN index (measured: 40 ms generic vs
    # 0.4 ms custom at 50k workers): connections of layers.database.make_engine force custom
    # plans (SESSION_SETTINGS), so no statement is spent on it here.
    rows = session.execute(
        _RANK, {**params, "day_ago": now - timedelta(days=1), "pool": limit * POOL_FACTOR}
    ).all()
    if not rows:
        raise NotFound(cases.NO_CASE)
    if not rows[0].located:
        raise InvalidInput("该案件没有位置，无法按距离推荐网格员，请派往下级单位或职能部门")
    case_grid, case_area = rows[0].case_grid, rows[0].case_area
    # Rank the whole pool on plain tuples, then build objects for the ``limit`` kept only.
    ranked = []
    for row in rows:
        if row.id is None:  # the case's row, without a candidate
            continue
        own = row.home_grid is not None and row.home_grid == case_grid
        score = (
            row.distance_m
            + WORKLOAD_PENALTY_M * row.workload
            + OPEN_CASE_PENALTY_M * row.open_cases
            - OWN_GRID_BONUS_M * own
        )
        ranked.append((round(float(score), 1), round(float(row.distance_m), 1), row.id, own, row))
    ranked.sort(key=lambda entry: entry[:3])
    withdrawn = withdrawn_from(session, case_id) if ranked else {}
    # a worker who sent this very case back (退回) said it is not his to handle: among those
    # kept he is offered after the others, not as a normal candidate, nor dropped unseen (trial
    # AS M6: the returner was ranked #3)
    kept = sorted(ranked[:limit], key=lambda entry: returned_it(withdrawn.get(entry[2])))
    found = [
        Candidate(
            worker_id=worker_id,
            name=row.name,
            role=row.role,
            home_grid=row.home_grid,
            distance_m=distance,
            workload=int(row.workload),
            own_grid=own,
            last_seen_at=row.last_seen_at,
            score_m=score_m,
            lon=round(float(row.lon), 7),
            lat=round(float(row.lat), 7),
            account_sees_case=(
                any(cases.in_scope(scope, case_area) for scope in row.account_scopes)
                if row.account_scopes
                else None
            ),
            phone=row.phone,
            withdrawn=withdrawn.get(worker_id),
            open_cases=int(row.open_cases),
        )
        for score_m, distance, worker_id, own, row in kept
    ]
    if found:
        return Candidates(case_id, found, None, {}, radius)
    total, on_duty, fresh, within = session.execute(_COUNTS, params).one()
    counts = {"in_scope": total, "on_duty": on_duty, "fresh": fresh, "within_radius": within}
    if total == 0:
        reason = "no_workers_in_scope"
    elif on_duty == 0:
        reason = "all_busy"
    elif fresh == 0:
        reason = "all_stale"
    else:
        reason = "outside_radius"
    return Candidates(case_id, [], reason, counts, radius)


def assign(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
    worker_id: int | None = None,
    unit_code: str | None = None,
    department: str | None = None,
    note: str | None = None,
) -> Case:
    """Dispatch a case to a worker, a unit or a department (exactly one of them).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id.
    actor : Actor
        Who dispatches.
    now : datetime
        Time of the dispatch.
    expected_version : int, optional
        The case version the client saw.
    worker_id : int, optional
        A worker in scope, on duty or busy with fewer than :data:`OPEN_CASES_CAP` open cases
        (counted under a lock of his row: two concurrent dispatches cannot both pass it).
    unit_code : str, optional
        A live jurisdiction in scope (not one a re-division retired).
    department : str, optional
        Name of a functional department.
    note : str, optional
        Free text for the log.

    Returns
    -------
    Case
        The dispatched case (flushed).

    Raises
    ------
    InvalidInput
        Not exactly one assignee, a retired unit (naming its successor), or a note holding a
        resident ID or a mobile number (:func:`layers.free_text.refuse_personal_numbers`).
    NotFound
        Case, worker or unit not in scope.
    Conflict
        Illegal transition, stale version, the worker is off duty or has left, or he holds
        :data:`OPEN_CASES_CAP` open cases already (:data:`CAP_REFUSAL`), or his account
        cannot open the case (:data:`ACCOUNT_BLIND`).
    Forbidden
        Role or level not permitted.
    """
    given = [x for x in (worker_id, unit_code, department) if x is not None]
    if len(given) != 1:
        raise InvalidInput("请在网格员、下级单位、职能部门中选择一个派单对象（只能选一个）")
    refuse_personal_numbers(note, field="派单说明", advice=CASE_NOTE)
    refuse_personal_numbers(department, field="职能部门", advice=DEPARTMENT_NAMES)
    case = cases.get_case(session, case_id, actor=actor, lock=True)
    cases.check_version(case, expected_version)
    before = case.state
    after = workflow.check(actor, "dispatch", state=before, handling_level=case.handling_level)
    note = _with_reopen_reason(session, case.id, note)
    lo, hi = scope_range(actor.scope_code)
    dispatch = Dispatch(
        case_id=case.id,
        area_code=case.area_code,
        assigned_by=actor.user_id,
        assigned_at=now,
        status=DispatchStatus.ASSIGNED,
    )
    payload: dict[str, object]
    if worker_id is not None:
        worker = session.scalars(
            select(Worker)
            .where(Worker.id == worker_id, Worker.area_code >= lo, Worker.area_code < hi)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if worker is None:
            raise NotFound(NO_WORKER)
        if worker.status not in (WorkerStatus.ON_DUTY, WorkerStatus.BUSY):
            raise Conflict(
                f"该网格员当前状态为“{WorkerStatus.label_of(worker.status)}”，不能接收派单，请另选网格员",
                allowed=["dispatch"],
            )
        # counted under the lock of his row: a concurrent dispatch to him waits for this one
        held = cases.open_cases(session, worker.id)
        if held >= OPEN_CASES_CAP:
            raise Conflict(
                CAP_REFUSAL.format(name=worker.name, n=held, cap=OPEN_CASES_CAP),
                allowed=["dispatch"],
            )
        # his account must open the case he is sent, as the desk's list warns (trial BA m9)
        blind = _account_blind(session, worker, case)
        if blind is not None:
            raise Conflict(blind, allowed=["dispatch"])
        dispatch.assignee_kind = AssigneeKind.WORKER
        dispatch.worker_id = worker.id
        worker.status = WorkerStatus.BUSY
        worker.version += 1
        payload = {"assignee_kind": "worker", "worker_id": worker.id}
    elif unit_code is not None:
        if not (lo <= unit_code < hi) or session.get(Jurisdiction, unit_code) is None:
            raise no_jurisdiction(unit_code)
        retired = accounts.retired_unit_refusal(session, unit_code)
        if retired is not None:
            raise InvalidInput(retired)
        dispatch.assignee_kind = AssigneeKind.UNIT
        dispatch.unit_code = unit_code
        payload = {"assignee_kind": "unit", "unit_code": unit_code}
    else:
        if not str(department).strip():
            raise InvalidInput("请填写职能部门名称")
        dispatch.assignee_kind = AssigneeKind.DEPARTMENT
        dispatch.department = str(department).strip()[:100]
        payload = {"assignee_kind": "department", "department": dispatch.department}
        # An operator above the case's level who gives it to a bureau handles it from then on
        # (evaluates, visits and closes it with the citizen): the county's 12345 desk sending
        # an order filed in a township to 县人社局 was left offered nothing but 重新办理 once
        # the bureau closed it (trial AX S1).
        if actor.role in workflow.OPERATORS and actor.level < case.handling_level:
            payload |= {"from_level": case.handling_level, "to_level": actor.level}
            case.handling_level = actor.level
    session.add(dispatch)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("该案件刚被他人派单，请刷新后重试") from exc
    case.state = after
    cases.flush_case(session)
    cases.append_event(
        session, case, actor, "dispatch", before, after, note=note, payload=payload, at=now
    )
    session.flush()
    cases.audit_case(session, actor, "dispatch", case, {"from": before, "to": after, **payload})
    return case


ACCOUNT_BLIND = (
    "网格员{name}的平台账号看不到本案件（案件不在其账号的辖区内），派单后他无法在我的任务中打开，"
    "请另选本案件所在村（社区）的网格员，或交办下级单位"
)
"""Why a dispatch to a worker whose account cannot open the case is refused (trial BA m9)."""


def _account_blind(session: Session, worker: Worker, case: Case) -> str | None:
    """Return why ``worker``'s account cannot open ``case``, or None (no account, or it can).

    The rule of the candidates' ``account_sees_case``: an active account of his whose scope
    holds the case's area. A worker without an account is phoned, and the desk registers his
    受理 (trial AO M9).
    """
    scopes = session.scalars(
        select(User.scope_code).where(User.worker_id == worker.id, User.active)
    ).all()
    if not scopes or any(cases.in_scope(scope, case.area_code) for scope in scopes):
        return None
    return ACCOUNT_BLIND.format(name=worker.name)


def recall(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
    note: str | None = None,
) -> Case:
    """Take back a dispatch its worker, unit or department has not 受理'd yet (撤回派单).

    The case returns to 已分流 and may be dispatched again; the dispatch is closed as
    ``cancelled`` (its worker is on duty again unless he holds other open cases,
    :func:`layers.cases.free_worker`), and the case's event log and the
    audit log name whom it was taken from and why.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id.
    actor : Actor
        An operator at or above the case's handling level.
    now : datetime
        Time of the recall.
    expected_version : int, optional
        The case version the client saw.
    note : str, optional
        Why (the 撤回原因, required).

    Returns
    -------
    Case
        The case, triaged again (flushed).

    Raises
    ------
    NotFound
        No such case in scope.
    Conflict
        The case is not dispatched (an assignee that 受理'd it: who and when), or a stale
        version.
    Forbidden
        Role or level not permitted.
    InvalidInput
        No reason, or one holding a resident ID or a mobile number.
    """
    case = cases.get_case(session, case_id, actor=actor, lock=True)
    cases.check_version(case, expected_version)
    before = case.state
    current = cases.active_dispatch(session, case.id)
    try:
        after = workflow.check(actor, "recall", state=before, handling_level=case.handling_level)
    except Conflict as exc:
        if current is not None and current.status != DispatchStatus.ASSIGNED:
            raise Conflict(_accepted_refusal(session, current), allowed=exc.allowed) from exc
        raise
    reason = workflow.NOTE_REQUIRED["recall"]
    if not (note or "").strip():
        raise InvalidInput(f"请填写{reason}")
    refuse_personal_numbers(note, field=reason, advice=CASE_NOTE)
    payload: dict[str, object] = {}
    if current is not None:
        payload = {"dispatch_id": current.id, "assignee_kind": current.assignee_kind}
        payload |= {
            key: value
            for key, value in (
                ("worker_id", current.worker_id),
                ("unit_code", current.unit_code),
                ("department", current.department),
            )
            if value is not None
        }
        current.status = DispatchStatus.CANCELLED
        current.finished_at = now
        if current.worker_id is not None:
            cases.free_worker(session, current.worker_id, ended=current.id)
    case.state = after
    cases.flush_case(session)
    cases.append_event(
        session, case, actor, "recall", before, after, note=note, payload=payload, at=now
    )
    session.flush()
    cases.audit_case(
        session,
        actor,
        "recall",
        case,
        {"from": before, "to": after, "version": case.version} | payload,
    )
    return case


#: The actions a dispatcher may register for the worker the case was dispatched to.
_WORKER_ACTIONS = frozenset({"accept", "arrive", "feedback", "resolve", "return"})


def for_whom(session: Session, events: list[CaseEvent]) -> list[dict[str, str]]:
    """Name the worker of each 派单 and of each action registered for him by another.

    Trial AP m4: the timeline's 派单 row did not say to whom, and a 受理 the dispatcher
    registered for a worker without an account read as the dispatcher's own.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader of the case.
    events : list of CaseEvent
        The case's events, oldest first.

    Returns
    -------
    list of dict
        One per event: ``assignee_name`` on a 派单 to a worker; ``on_behalf_of`` on a 受理,
        到场, 处置反馈, 办结 or 退回 that an account other than that worker's own registered (not
        on an imported one, which no account registered); else empty.
    """
    ids = {
        int(sent)
        for e in events
        if e.action == "dispatch" and (sent := (e.payload or {}).get("worker_id"))
    }
    names: dict[int, str] = {}
    if ids:
        rows = session.execute(select(Worker.id, Worker.name).where(Worker.id.in_(ids)))
        names = {row.id: row.name for row in rows}
    actors = {e.actor_id for e in events if e.actor_id is not None}
    accounts_of: dict[int, int | None] = {}
    if actors:
        linked = session.execute(select(User.id, User.worker_id).where(User.id.in_(actors)))
        accounts_of = {row.id: row.worker_id for row in linked}
    current: int | None = None
    said: list[dict[str, str]] = []
    for e in events:
        extra: dict[str, str] = {}
        if e.action == "dispatch":
            sent = (e.payload or {}).get("worker_id")
            current = int(sent) if sent else None
            if current in names:
                extra["assignee_name"] = names[current]
        elif (
            e.action in _WORKER_ACTIONS
            and current in names
            and e.actor_id is not None  # an import's: its source system registered it
            and accounts_of.get(e.actor_id) != current
        ):
            extra["on_behalf_of"] = names[current]
        if e.action in {"recall", "return", "resolve"}:
            current = None
        said.append(extra)
    return said


#: How many days a grid worker's 我的任务 lists a dispatch of his that was recalled (最近撤回) …
RECALLS_SHOWN_DAYS = 3
#: … and at most so many of them, the latest first.
RECALLS_SHOWN = 20


def recent_recalls(
    session: Session, *, actor: Actor, now: datetime, days: int = RECALLS_SHOWN_DAYS
) -> list[dict[str, Any]]:
    """Return the dispatches to the actor's worker record recalled in the last days (最近撤回).

    His phone shows them in 我的任务 until he taps 知道了 (trial AN M1: a worker whose page was
    closed when the dispatcher recalled never learnt of it; the 撤回原因 stood only in the
    case's timeline). A case is listed once, by its latest recall, and not at all once it was
    dispatched to him again after it (his task then, or his own to send back: trial AP m1).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        A grid worker (anyone else has no worker record: none).
    now : datetime
        Reference time.
    days : int
        How far back: recalls after ``now - days``.

    Returns
    -------
    list of dict
        The latest first, at most :data:`RECALLS_SHOWN`: ``dispatch_id``, ``case_id``,
        ``case_code``, ``title``, ``by`` (who recalled, as the timeline names them), ``note``
        (the 撤回原因) and ``at`` (ISO 8601).
    """
    if actor.worker_id is None:
        return []
    # a later dispatch of the case to him (one case has one active dispatch at a time, so a
    # greater id was made after this one ended), whatever became of it, overtook the recall
    rows = session.execute(
        text(
            "SELECT * FROM ("
            " SELECT DISTINCT ON (c.id) d.id AS dispatch_id, c.id AS case_id, c.code, c.title,"
            "  e.actor_name, e.note, e.at"
            " FROM dispatches d"
            " JOIN cases c ON c.id = d.case_id"
            " JOIN case_events e ON e.case_id = d.case_id AND e.action = 'recall'"
            "  AND e.payload ->> 'dispatch_id' = d.id::text"
            " WHERE d.worker_id = :worker AND d.status = :cancelled AND d.finished_at >= :since"
            "  AND NOT EXISTS (SELECT 1 FROM dispatches a WHERE a.case_id = d.case_id"
            "   AND a.worker_id = :worker AND a.id > d.id)"
            " ORDER BY c.id, e.at DESC, d.id DESC"
            ") latest ORDER BY at DESC, dispatch_id DESC LIMIT :n"
        ),
        {
            "worker": actor.worker_id,
            "cancelled": DispatchStatus.CANCELLED,
            "since": now - timedelta(days=days),
            "n": RECALLS_SHOWN,
        },
    ).all()
    return [
        {
            "dispatch_id": row.dispatch_id,
            "case_id": row.case_id,
            "case_code": row.code,
            "title": row.title,
            "by": row.actor_name,
            "note": row.note,
            "at": row.at.isoformat(),
        }
        for row in rows
    ]


def _accepted_refusal(session: Session, current: Dispatch) -> str:
    """Say who 受理'd the dispatch and when: it is theirs now, and only they send it back."""
    if current.worker_id is not None:
        worker = session.get(Worker, current.worker_id)
        who = f"网格员{worker.name}" if worker is not None else "网格员"
    elif current.unit_code is not None:
        unit = session.get(Jurisdiction, current.unit_code)
        who = unit.name if unit is not None else current.unit_code
    else:
        who = str(current.department or "职能部门")
    when = current.accepted_at or current.arrived_at
    at = f"已于 {when.astimezone(CHINA):%m-%d %H:%M} " if when is not None else "已"
    return (
        f"{who}{at}受理该派单，不能再撤回派单；如需改派，请由{who}退回（写明退回原因），"
        "或联系其说明情况"
    )


def _with_reopen_reason(session: Session, case_id: int, note: str | None) -> str | None:
    """Return the 派单说明 of a case sent back (重新办理): why, then the dispatcher's note.

    The worker's 我的任务 shows the 派单说明 (:mod:`layers.case_reminders`), so the worker the
    reopened case goes to reads what is to be redone (trial AH M4: his card said nothing).
    """
    reason = cases.reopen_reason(session, case_id)
    said = (note or "").strip()
    if reason is None or reason in said:
        return note
    return f"重新办理：{reason}" + (f"；{said}" if said else "")


def assign_worker(
    session: Session,
    case_id: int,
    worker_id: int,
    *,
    by: Actor,
    expected_version: int | None,
    now: datetime,
) -> Case:
    """Dispatch a case to a grid worker (see :func:`assign`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to ``by``.
    case_id : int
        Case id.
    worker_id : int
        Worker id.
    by : Actor
        Who dispatches.
    expected_version : int or None
        The case version the client saw.
    now : datetime
        Time of the dispatch.

    Returns
    -------
    Case
        The dispatched case.
    """
    return assign(
        session, case_id, actor=by, now=now, expected_version=expected_version, worker_id=worker_id
    )


def report_position(
    session: Session,
    worker_id: int,
    *,
    actor: Actor,
    actor_worker_id: int | None,
    lon: float,
    lat: float,
    at: datetime,
) -> Worker:
    """Record a grid worker's position (the worker's app): last position and history.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    worker_id : int
        The worker.
    actor : Actor
        Who reports.
    actor_worker_id : int or None
        The worker record of the reporting account; a grid worker reports only their own.
    lon, lat : float
        Position (CGCS2000 degrees).
    at : datetime
        Time of the fix.

    Returns
    -------
    Worker
        The updated worker.

    Raises
    ------
    NotFound
        No such worker in scope.
    Forbidden
        A worker account reporting for someone else, or a role that may not report.
    InvalidInput
        Coordinates off the Earth.
    """
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("经纬度超出范围：经度应在 -180 至 180 之间，纬度应在 -90 至 90 之间")
    if actor.role == "grid_worker" and actor_worker_id != worker_id:
        raise Forbidden("网格员只能上报本人的位置")
    if actor.role not in workflow.FIELD:
        raise Forbidden(f"{Role.label_of(actor.role)}不能上报网格员位置")
    lo, hi = scope_range(actor.scope_code)
    worker = session.scalars(
        select(Worker).where(Worker.id == worker_id, Worker.area_code >= lo, Worker.area_code < hi)
    ).first()
    if worker is None:
        raise NotFound(NO_WORKER)
    point = cases.point(lon, lat)
    worker.last_position = point
    worker.last_seen_at = at
    session.add(WorkerPosition(worker_id=worker.id, at=at, point=point, area_code=worker.area_code))
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        actor_name=actor.audit_name,
        action="worker.position",
        object_type="worker",
        object_id=str(worker.id),
    )
    return worker


def set_status(
    session: Session, worker_id: int, *, actor: Actor, actor_worker_id: int | None, status: str
) -> Worker:
    """Put a worker on or off duty (not while busy with a dispatch, nor once they have left).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    worker_id : int
        The worker.
    actor : Actor
        Who changes it (the worker themself or an operator).
    actor_worker_id : int or None
        The worker record of the acting account.
    status : str
        ``on_duty`` or ``off_duty``.

    Returns
    -------
    Worker
        The updated worker.

    Raises
    ------
    InvalidInput
        Another status.
    Forbidden
        Someone else's grid worker account, or a role that may not.
    NotFound
        No such worker in scope.
    Conflict
        The worker is busy with a dispatch, or has left the job (已离职: only the roster that
        lists them again brings them back, :mod:`layers.worker_identity`).
    """
    if status not in (WorkerStatus.ON_DUTY, WorkerStatus.OFF_DUTY):
        raise InvalidInput(
            f"在岗状态只能设为“{WorkerStatus.ON_DUTY.label}”或“{WorkerStatus.OFF_DUTY.label}”"
        )
    if actor.role == "grid_worker" and actor_worker_id != worker_id:
        raise Forbidden("网格员只能更改本人的在岗状态")
    if actor.role not in workflow.FIELD:
        raise Forbidden(f"{Role.label_of(actor.role)}不能更改网格员的在岗状态")
    lo, hi = scope_range(actor.scope_code)
    worker = session.scalars(
        select(Worker)
        .where(Worker.id == worker_id, Worker.area_code >= lo, Worker.area_code < hi)
        .with_for_update()
    ).first()
    if worker is None:
        raise NotFound(NO_WORKER)
    if worker.status == WorkerStatus.BUSY:
        held = cases.open_cases(session, worker.id)
        raise Conflict(f"该网格员处置中（在办 {held} 件），请先办结或退回派给他的案件")
    if worker.status == WorkerStatus.LEFT:
        raise Conflict(LEFT_REFUSAL)
    worker.status = status
    worker.version += 1
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        actor_name=actor.audit_name,
        action="worker.status",
        object_type="worker",
        object_id=str(worker.id),
        detail={"status": status},
    )
    return worker


#: Most department names :func:`departments_named` suggests.
DEPARTMENTS_SUGGESTED = 30

_DEPARTMENTS_NAMED = text(
    """
    SELECT name FROM (
        SELECT d.department AS name FROM dispatches d
         WHERE d.department IS NOT NULL AND d.area_code >= :lo AND d.area_code < :hi
        UNION ALL
        SELECT jsonb_array_elements_text(e.payload -> 'departments') FROM case_events e
         WHERE e.action = 'summon' AND e.area_code >= :lo AND e.area_code < :hi
           AND jsonb_typeof(e.payload -> 'departments') = 'array'
    ) named
    WHERE btrim(name) <> ''
    GROUP BY name ORDER BY count(*) DESC, name LIMIT :limit
    """
)


def departments_named(session: Session, *, actor: Actor, code: str | None = None) -> list[str]:
    """Return the departments the unit's area has dispatched to or 吹哨'd, the most named first.

    The dispatch and 吹哨 forms offer them, so that a department is written the same way each
    time (县住建局, not 住建局 one day and 县住房和城乡建设局 the next) and can be followed.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Whose scope applies.
    code : str, optional
        A jurisdiction inside the actor's scope (default: the actor's unit).

    Returns
    -------
    list of str
        At most :data:`DEPARTMENTS_SUGGESTED` names (through the partial indexes
        ``ix_dispatches_departments`` and ``ix_case_events_summons``).

    Raises
    ------
    NotFound
        ``code`` is not a division code inside the actor's scope.
    """
    lo, hi, _ = cases.unit_range(code or actor.scope_code, actor)
    rows = session.execute(_DEPARTMENTS_NAMED, {"lo": lo, "hi": hi, "limit": DEPARTMENTS_SUGGESTED})
    return [str(name) for name in rows.scalars()]


_DEPARTMENT_ACCOUNTS = text(
    """
    SELECT DISTINCT display_name, scope_code FROM users
     WHERE role = 'department' AND active AND scope_code = ANY(:codes)
     ORDER BY display_name
    """
)

#: What 派往职能部门 says when the level handling a case has no department account (trial AM M1).
NO_DEPARTMENTS = (
    "{unit}未设职能部门账号，可由管理员在账号管理中添加部门处置人员账号（显示名即部门名称）"
)


def departments_for_case(session: Session, *, actor: Actor, case_id: int) -> dict[str, Any]:
    """Return the departments a case may be dispatched to: those of the level handling it.

    A case the city (or the province) handles goes to the city's own departments, the
    department accounts scoped to the city (市公安局 …), not to the county's bureaus whose
    dispatch its 上报 withdrew (trial AM M1); a case of the county or below is offered the
    departments its county already named (:func:`departments_named`), less those of the levels
    above.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Who dispatches.
    case_id : int
        The case.

    Returns
    -------
    dict
        ``departments`` (names, the order offered), ``unit`` (the handling unit's code),
        ``unit_name``, ``level`` (the handling level), ``note`` (why the list is empty, or
        ``None``), ``suggested`` (the department its source sent it to, a 12345 export's
        承办单位, or ``None``) and ``suggested_known`` (it names a department offered or with an
        account: the form preselects it; an unknown one is shown as text).

    Raises
    ------
    NotFound
        No such case in the actor's scope.
    """
    case = cases.get_case(session, case_id, actor=actor)
    level = case.handling_level
    unit = enclosing_code(case.area_code, level)
    above: list[str] = []
    up = parent_code(unit)
    while up is not None:
        above.append(up)
        up = parent_code(up)
    rows = session.execute(_DEPARTMENT_ACCOUNTS, {"codes": [unit, *above]}).all()
    own = list(dict.fromkeys(str(r.display_name) for r in rows if r.scope_code == unit))
    higher = {str(r.display_name) for r in rows if r.scope_code != unit}
    if level <= 2:
        names = own
    else:
        county = enclosing_code(case.area_code, 3)
        code = county if actor.level < 3 else None
        named = departments_named(session, actor=actor, code=code)
        # the county's own bureaus with an account are its departments, not a level above's
        # (trial AQ S1: each has one now); those of the city and the province are left out
        bureaus = [str(r.display_name) for r in rows if r.scope_code == county]
        higher -= set(bureaus)
        names = [n for n in named if n not in higher]
        names += [b for b in dict.fromkeys(bureaus) if b not in names]
    unit_name = session.execute(
        text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": unit}
    ).scalar_one_or_none()
    shown = str(unit_name or "本级")
    note = NO_DEPARTMENTS.format(unit=shown) if level <= 2 and not names else None
    suggested = case_import.suggested_department(
        session.execute(_IMPORTED_PAYLOAD, {"case": case.id}).scalar_one_or_none()
    )
    accounts_named = {str(r.display_name) for r in rows}
    return {
        "departments": names,
        "unit": unit,
        "unit_name": shown,
        "level": level,
        "note": note,
        "suggested": suggested,
        "suggested_known": suggested is not None
        and (suggested in names or suggested in accounts_named),
    }


_IMPORTED_PAYLOAD = text(
    "SELECT payload FROM case_events WHERE case_id = :case AND action = 'import'"
    " ORDER BY id LIMIT 1"
)
"""The payload of a case's first import event (its source's 承办单位: trial AX S4)."""
