"""A worker's duty state as the worker sees it (我的任务): status and the last position.

The command console's 我的任务 panel shows a grid worker whether he is on duty (在岗), off it
(离岗) or busy with dispatches (处置中, 在办 N 件: up to :data:`layers.dispatch.OPEN_CASES_CAP`
at once), and when he last reported his position: a position older
than the ranking's limit keeps him out of the dispatcher's suggestions
(:func:`layers.dispatch.candidates`). He changes them through
:func:`layers.dispatch.set_status` and :func:`layers.dispatch.report_position`, which already
hold a grid worker to his own record; this read holds him to it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import workflow
from layers.dispatch import NO_WORKER
from layers.errors import Forbidden, NotFound
from layers.model import Role
from layers.model.dispatches import ACTIVE_DISPATCH
from layers.workflow import Actor


@dataclass(frozen=True)
class WorkerDuty:
    """A worker's status and last position.

    Attributes
    ----------
    worker_id : int
        Worker id.
    name : str
        Worker name.
    status : str
        :class:`layers.model.WorkerStatus` code.
    last_seen_at : datetime or None
        Time of the last position (None: never reported).
    lon, lat : float or None
        The last position (CGCS2000 degrees).
    busy_case_id, busy_case_code : int or str or None
        The case of the worker's latest active dispatch (when busy).
    version : int
        Row version (bumped by each status change).
    open_cases : int
        How many open dispatches he holds (在办 N 件; while fewer than
        :data:`layers.dispatch.OPEN_CASES_CAP`, he may be sent more).
    """

    worker_id: int
    name: str
    status: str
    last_seen_at: datetime | None
    lon: float | None
    lat: float | None
    busy_case_id: int | None
    busy_case_code: str | None
    version: int
    open_cases: int = 0


_DUTY = text(
    f"""
    SELECT w.id, w.name, w.status, w.last_seen_at, w.version,
           ST_X(w.last_position) AS lon, ST_Y(w.last_position) AS lat,
           busy.case_id AS busy_case_id, busy.code AS busy_case_code,
           (SELECT count(*) FROM dispatches d
             WHERE d.worker_id = w.id AND d.{ACTIVE_DISPATCH}) AS open_cases
      FROM workers w
      LEFT JOIN LATERAL (
        SELECT d.case_id, k.code FROM dispatches d JOIN cases k ON k.id = d.case_id
         WHERE d.worker_id = w.id AND d.{ACTIVE_DISPATCH}
         ORDER BY d.assigned_at DESC LIMIT 1) busy ON w.status = 'busy'
     WHERE w.id = :id AND w.area_code >= :lo AND w.area_code < :hi
    """
)


def duty(
    session: Session, worker_id: int, *, actor: Actor, actor_worker_id: int | None
) -> WorkerDuty:
    """Return a worker's status and last position (a grid worker: only his own).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    worker_id : int
        The worker.
    actor : Actor
        Who reads.
    actor_worker_id : int or None
        The worker record of the reading account.

    Returns
    -------
    WorkerDuty
        The worker's duty state.

    Raises
    ------
    Forbidden
        A grid worker account reading someone else's, or a role that neither dispatches nor
        works in the field.
    NotFound
        No such worker in scope.
    """
    if actor.role == Role.GRID_WORKER and actor_worker_id != worker_id:
        raise Forbidden("网格员只能查看本人的在岗状态和位置")
    if actor.role not in workflow.FIELD:
        raise Forbidden(f"{Role.label_of(actor.role)}不能查看网格员的在岗状态")
    lo, hi = scope_range(actor.scope_code)
    row = session.execute(_DUTY, {"id": worker_id, "lo": lo, "hi": hi}).first()
    if row is None:
        raise NotFound(NO_WORKER)
    return WorkerDuty(
        worker_id=int(row.id),
        name=str(row.name),
        status=str(row.status),
        last_seen_at=row.last_seen_at,
        lon=None if row.lon is None else round(float(row.lon), 7),
        lat=None if row.lat is None else round(float(row.lat), 7),
        busy_case_id=row.busy_case_id,
        busy_case_code=row.busy_case_code,
        version=int(row.version),
        open_cases=int(row.open_cases),
    )
