"""辖区派单超时未受理: the dispatches of a unit's whole area not 受理'd within their limit.

A township's (or village's) dispatch nobody takes up was flagged 已派单 N 分钟未受理 only on that
township's own desk and wall (:mod:`layers.urgency`); the county's night commander, above it,
saw nothing (trial AZ M7). The command feed of any level now carries, for its whole area and
every level in it, the dispatches waiting past their risk's limit
(:func:`layers.deadlines.accept_limit`, the deployment's minutes of the session): how many, and
the first :data:`LISTED` of them, the highest risk and the longest waiting first, each with the
unit holding the case and its township (:attr:`LateDispatch.place`), to whom it went and since
when. The console says 辖区派单超时未受理 N 件 and lists them; the wall puts them at the head of
its queue with the township's name. ``next_at`` says when the next dispatch waiting now becomes
late, so that a page can read the feed again then, with no event to tell it.

One statement (:func:`read`), through the reader's scoped session (row-level security), with the
same conditions as every read of cases (a department account: the cases sent to it).

Examples
--------
>>> row = {"handling_level": 5, "holder": "复安社区", "township": "宁州街道"}
>>> place(**row), place(4, "宁州街道", "宁州街道"), place(3, "华宁县", "宁州街道")
('宁州街道 复安社区', '宁州街道', '华宁县')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from geo.codes import prefix_length
from layers import deadlines, department_scope
from layers.model import (
    AssigneeKind,
    Case,
    CaseState,
    Dispatch,
    DispatchStatus,
    Jurisdiction,
    Worker,
)
from layers.urgency import Waiting
from layers.workflow import Actor

LISTED = 100
"""How many late dispatches the feed lists (``total`` counts them all)."""

_PREFIX = {level: prefix_length(level) for level in range(1, 6)}
"""Significant digits of a unit's code by level."""


def place(handling_level: int, holder: str | None, township: str | None) -> str:
    """Return where a late dispatch stands, as the county reads it: its township (and village).

    Parameters
    ----------
    handling_level : int
        The level holding the case (the one that dispatched it).
    holder : str or None
        That unit's name.
    township : str or None
        The name of the township of the case's area.

    Returns
    -------
    str
        ``宁州街道`` for a township's case, ``宁州街道 复安社区`` for a village's, the unit's own
        name for a case held at the county or above.
    """
    if handling_level == 4 and township:
        return township
    if handling_level == 5 and township:
        return f"{township} {holder}" if holder else township
    return holder or township or ""


@dataclass(frozen=True)
class LateDispatch:
    """A case whose dispatch waits for its 受理 past its limit.

    Attributes
    ----------
    case : Case
        The case (at 已派单).
    waiting : layers.urgency.Waiting
        Since when, for how long it may wait, to whom.
    holder : str or None
        The name of the unit holding the case (that dispatched it).
    township : str or None
        The name of the township of the case's area.
    """

    case: Case
    waiting: Waiting
    holder: str | None
    township: str | None

    def as_json(self, now: datetime) -> dict[str, Any]:
        """Return its own fields, ``waited_minutes`` counted at ``now``.

        ``awaiting`` (:meth:`layers.urgency.Waiting.as_json`), ``place`` (:func:`place`),
        ``unit_name``, ``township_name`` and ``waited_minutes``.
        """
        return {
            "awaiting": self.waiting.as_json(),
            "place": place(self.case.handling_level, self.holder, self.township),
            "unit_name": self.holder,
            "township_name": self.township,
            "waited_minutes": max(0, int((now - self.waiting.since) // timedelta(minutes=1))),
        }


@dataclass(frozen=True)
class LateDispatches:
    """The area's dispatches late for their 受理 (:func:`read`).

    Attributes
    ----------
    total : int
        How many there are.
    rows : list of LateDispatch
        The first of them (at most the limit read).
    next_at : datetime or None
        When the next dispatch waiting now (not late yet) becomes late.
    now : datetime
        The moment judged.
    """

    total: int
    rows: list[LateDispatch]
    next_at: datetime | None
    now: datetime


def read(
    session: Session, lo: str, hi: str, *, actor: Actor, now: datetime, limit: int = LISTED
) -> LateDispatches:
    """Return the dispatches of the area ``[lo, hi)`` waiting for their 受理 past the limit.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader; its acceptance limits are
        :func:`layers.deadlines.accept_minutes`.
    lo, hi : str
        The area's range of codes (:func:`layers.cases.unit_range`).
    actor : Actor
        Who reads (a department account reads the cases sent to it only).
    now : datetime
        The moment to judge.
    limit : int
        At most so many listed.

    Returns
    -------
    LateDispatches
        Every level's cases in the area, the highest risk first, then the longest waiting.
    """
    minutes = deadlines.accept_minutes(session)
    allowed = case(
        *((Case.risk_level == level, timedelta(minutes=m)) for level, m in minutes.items()),
        else_=timedelta(minutes=max(minutes.values())),
    )
    late_at = Dispatch.assigned_at + allowed
    late = late_at <= now
    holder, township = aliased(Jurisdiction), aliased(Jurisdiction)
    digits = case(*((Case.handling_level == lv, n) for lv, n in _PREFIX.items()), else_=12)
    query = (
        select(
            Case,
            Dispatch.assigned_at,
            Dispatch.assignee_kind,
            Dispatch.department,
            Worker.name.label("worker"),
            Jurisdiction.name.label("unit"),
            holder.name.label("holder"),
            township.name.label("township"),
            func.count().filter(late).over().label("total"),
            func.min(late_at).filter(~late).over().label("next_at"),
        )
        .join(
            Dispatch,
            and_(Dispatch.case_id == Case.id, Dispatch.status == DispatchStatus.ASSIGNED),
        )
        .outerjoin(Worker, Worker.id == Dispatch.worker_id)
        .outerjoin(Jurisdiction, Jurisdiction.code == Dispatch.unit_code)
        .outerjoin(holder, holder.code == func.rpad(func.left(Case.area_code, digits), 12, "0"))
        .outerjoin(township, township.code == func.rpad(func.left(Case.area_code, 9), 12, "0"))
        .where(
            Case.area_code >= lo,
            Case.area_code < hi,
            Case.state == CaseState.DISPATCHED,
            *department_scope.case_condition(session, actor),
        )
        .order_by(case((late, 0), else_=1), Case.risk_level, Dispatch.assigned_at, Case.id)
        .limit(max(1, limit))
    )
    rows: list[LateDispatch] = []
    total, next_at = 0, None
    for row in session.execute(query):
        total, next_at = row.total, row.next_at
        limit_minutes = minutes.get(row.Case.risk_level, max(minutes.values()))
        waiting = Waiting(row.assigned_at, limit_minutes, _assignee(row))
        if waiting.late(now):
            rows.append(LateDispatch(row.Case, waiting, row.holder, row.township))
    return LateDispatches(total, rows, next_at, now)


def _assignee(row: Any) -> str:
    """Whom a dispatch went to, as :func:`layers.urgency.read` names it."""
    if row.assignee_kind == AssigneeKind.WORKER:
        return "网格员" + (f" {row.worker}" if row.worker else "")
    if row.assignee_kind == AssigneeKind.UNIT:
        return str(row.unit or "下级单位")
    return str(row.department or "职能部门")


def as_json(
    found: LateDispatches | None, case_json: Callable[[Case], dict[str, Any]]
) -> dict[str, Any]:
    """Return the feed's ``late_dispatches``.

    Parameters
    ----------
    found : LateDispatches or None
        From :func:`read`; ``None`` (a brief of a past window) gives none.
    case_json : callable
        A case's fields as the feed's queue gives them.

    Returns
    -------
    dict
        ``{"total", "cases", "next_at"}``: each case with its queue fields and
        :meth:`LateDispatch.as_json`; ``next_at`` ISO or ``None``.
    """
    if found is None:
        return {"total": 0, "cases": [], "next_at": None}
    return {
        "total": found.total,
        "cases": [case_json(r.case) | r.as_json(found.now) for r in found.rows],
        "next_at": found.next_at.isoformat() if found.next_at else None,
    }
