"""What in a unit's queue needs action now: 已派单 N 分钟未受理 first, then red, then overdue.

A case dispatched (派单) to a grid worker, to a unit's centre or to a department waits at 已派单
until its assignee 受理s it (``accept``: 到场 and 办结 come only after it,
:data:`layers.workflow.RULES`), its dispatch ``assigned`` until then
(:class:`~layers.model.DispatchStatus`). Past the limit of the case's risk
(:func:`layers.deadlines.accept_limit`; a deployment sets them in ``deadlines.toml``, bound to
the request's session: :func:`layers.deadlines.bind`), counted from the dispatch's time, the
console's queue, the 调度台 and the wall say 已派单 N 分钟未受理 and list it first: on the
trial AZ night a worker reached by phone only sat at 已派单 with nothing to show it. Nothing is
stored: :func:`read` gives each case's waiting dispatch, :func:`late_condition` the cases past
the limit now.

The queue (:func:`layers.cases.queue`) lists, in :func:`queue_order`: the dispatches late for
their 受理; then the red cases, those nobody has taken up yet (待派单, 已派单) first by their
联系时限; then the overdue; then the rest, highest risk first and the nearest deadline first
(trial AZ m3: the wall's first row was a case thirteen days overdue and in hand, not the night's
red incidents).

Examples
--------
>>> from datetime import UTC, datetime
>>> since = datetime(2026, 12, 6, 15, 10, tzinfo=UTC)
>>> waiting = Waiting(since=since, limit_minutes=15, assignee="网格员 黄杰鹏")
>>> waiting.late_at.isoformat()
'2026-12-06T15:25:00+00:00'
>>> waiting.late(since.replace(minute=24)), waiting.late(since.replace(minute=52))
(False, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, select
from sqlalchemy.orm import Session, aliased

from layers import deadlines
from layers.model import (
    AssigneeKind,
    Case,
    CaseState,
    Dispatch,
    DispatchStatus,
    Jurisdiction,
    Worker,
)

#: The states of a case nobody has taken up yet: waiting to be dispatched, or dispatched and not
#: 受理'd (its 联系时限 still running).
NOT_TAKEN_UP: frozenset[str] = frozenset(
    {CaseState.REGISTERED, CaseState.TRIAGED, CaseState.ESCALATED, CaseState.DISPATCHED}
)


def contact_passed(alias: str, params: dict[str, Any], now: datetime) -> str:
    """Return the SQL condition of a case whose 联系时限 passed with nobody taking it up.

    The rule of the queue's red 「联系时限 … 已过」 (``zz.contactDue`` in
    ``web/static/console/common.js``, its states :data:`NOT_TAKEN_UP`): a case still waiting to
    be dispatched or 受理'd whose ``contact_deadline`` is ``now`` or earlier. A case 受理'd is
    not, whenever it was: the mark goes with the 受理, and stays gone after a 退回 or a 上报 put
    the case back among those waiting (a trial: three cases 退回'd weeks after their 受理 were
    counted 联系超时; :attr:`layers.cases.Latest.taken_up` gives the pages the same fact), and a
    case without a 联系时限 (a 12345 order the platform had contacted before it came in) never
    is.

    Parameters
    ----------
    alias : str
        Alias of the ``cases`` table in the statement.
    params : dict
        Bind parameters; ``contact_now`` is added.
    now : datetime
        The moment to judge.

    Returns
    -------
    str
        The condition.

    Examples
    --------
    >>> from datetime import UTC
    >>> params, at = {}, datetime(2026, 12, 7, tzinfo=UTC)
    >>> states, passed, never = contact_passed("c", params, at).split(" AND ", 2)
    >>> states
    "c.state IN ('dispatched', 'escalated', 'registered', 'triaged')"
    >>> passed, params["contact_now"].isoformat()
    ('c.contact_deadline <= :contact_now', '2026-12-07T00:00:00+00:00')
    >>> never.startswith("NOT EXISTS (SELECT 1 FROM case_events AS taken WHERE taken.case_id")
    True
    """
    params["contact_now"] = now
    states = ", ".join(f"'{s}'" for s in sorted(NOT_TAKEN_UP))
    taken = (
        "SELECT 1 FROM case_events AS taken"
        f" WHERE taken.case_id = {alias}.id AND taken.action = 'accept'"
    )
    return (
        f"{alias}.state IN ({states}) AND {alias}.contact_deadline <= :contact_now"
        f" AND NOT EXISTS ({taken})"
    )


@dataclass(frozen=True)
class Waiting:
    """A case's dispatch its assignee has not 受理'd yet.

    Attributes
    ----------
    since : datetime
        When it was dispatched (the dispatch's ``assigned_at``).
    limit_minutes : int
        How long it may wait, by the case's risk (:data:`layers.deadlines.ACCEPT_MINUTES`).
    assignee : str
        Whom it went to: 网格员 黄杰鹏, a unit's name or a department's.
    """

    since: datetime
    limit_minutes: int
    assignee: str

    @property
    def late_at(self) -> datetime:
        """When the wait becomes 未受理 (``since`` plus the limit)."""
        return self.since + timedelta(minutes=self.limit_minutes)

    def late(self, now: datetime) -> bool:
        """Whether the limit has passed at ``now``."""
        return now >= self.late_at

    def as_json(self) -> dict[str, Any]:
        """Return it as the API gives it.

        ``since``, ``late_at`` (ISO), ``limit_minutes`` and ``assignee``: the page counts the
        minutes from ``since``.
        """
        return {
            "since": self.since.isoformat(),
            "late_at": self.late_at.isoformat(),
            "limit_minutes": self.limit_minutes,
            "assignee": self.assignee,
        }


def read(session: Session, found: Sequence[Case]) -> dict[int, Waiting | None]:
    """Return each case's dispatch waiting for its 受理, or ``None``.

    One read of the dispatches of the cases at 已派单 (the ``case_id`` index), with the names
    of their workers and units.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader (a worker or unit it may not read is named by its
        kind alone); its acceptance limits are :func:`layers.deadlines.accept_minutes`.
    found : sequence of Case
        The cases listed.

    Returns
    -------
    dict of int to Waiting or None
        By case id; every case given has an entry.
    """
    out: dict[int, Waiting | None] = {c.id: None for c in found}
    sent = {c.id: c.risk_level for c in found if c.state == CaseState.DISPATCHED}
    if not sent:
        return out
    minutes = deadlines.accept_minutes(session)
    rows = session.execute(
        select(
            Dispatch.case_id,
            Dispatch.assignee_kind,
            Dispatch.assigned_at,
            Dispatch.department,
            Worker.name.label("worker"),
            Jurisdiction.name.label("unit"),
        )
        .outerjoin(Worker, Worker.id == Dispatch.worker_id)
        .outerjoin(Jurisdiction, Jurisdiction.code == Dispatch.unit_code)
        .where(Dispatch.case_id.in_(sent), Dispatch.status == DispatchStatus.ASSIGNED)
    )
    for row in rows:
        if row.assignee_kind == AssigneeKind.WORKER:
            assignee = "网格员" + (f" {row.worker}" if row.worker else "")
        elif row.assignee_kind == AssigneeKind.UNIT:
            assignee = row.unit or "下级单位"
        else:
            assignee = row.department or "职能部门"
        limit = deadlines.accept_limit(sent[row.case_id], minutes)
        out[row.case_id] = Waiting(row.assigned_at, int(limit.total_seconds() // 60), assignee)
    return out


def late_condition(now: datetime, minutes: Mapping[int, int] | None = None) -> ColumnElement[bool]:
    """Return the condition of a case whose dispatch waits for its 受理 past the limit at ``now``.

    Parameters
    ----------
    now : datetime
        The moment to judge.
    minutes : mapping of int to int, optional
        The limits by risk level (:func:`layers.deadlines.accept_minutes` of the session);
        default the built-in :data:`layers.deadlines.ACCEPT_MINUTES`.

    Returns
    -------
    sqlalchemy.ColumnElement
        A condition on :class:`~layers.model.Case` (the ``case_id`` index of the dispatches).
    """
    table = deadlines.ACCEPT_MINUTES if minutes is None else minutes
    cutoff = case(
        *(
            (Case.risk_level == level, now - deadlines.accept_limit(level, table))
            for level in table
        ),
        else_=now - deadlines.accept_limit(0, table),
    )
    sent = aliased(Dispatch)  # apart from a Dispatch the query joins (我的任务)
    return and_(
        Case.state == CaseState.DISPATCHED,
        select(sent.id)
        .where(
            sent.case_id == Case.id,
            sent.status == DispatchStatus.ASSIGNED,
            sent.assigned_at <= cutoff,
        )
        .exists(),
    )


def late_first(now: datetime, minutes: Mapping[int, int] | None = None) -> ColumnElement[int]:
    """Return an ORDER BY term putting first the cases late for their 受理 at ``now``.

    Parameters
    ----------
    now : datetime
        The moment to judge.
    minutes : mapping of int to int, optional
        The acceptance limits by risk level (:func:`late_condition`).

    Returns
    -------
    sqlalchemy.ColumnElement
        0 for a case whose dispatch waits past its limit, else 1 (a grid worker's 我的任务:
        :func:`layers.cases.tasks_of`).
    """
    return case((late_condition(now, minutes), 0), else_=1)


def queue_order(now: datetime, minutes: Mapping[int, int] | None = None) -> tuple[Any, ...]:
    """Return the ORDER BY of a unit's queue at ``now``: what needs action now first.

    Parameters
    ----------
    now : datetime
        The moment to judge (late dispatches, overdue cases).
    minutes : mapping of int to int, optional
        The acceptance limits by risk level (:func:`late_condition`).

    Returns
    -------
    tuple
        The columns to order :class:`~layers.model.Case` by: the dispatches late for their
        受理 (the highest risk first), the red cases not taken up yet by their 联系时限, the
        other red cases, the overdue ones, then the rest; within each, highest risk first and
        the nearest deadline first.
    """
    waiting = Case.state.in_(NOT_TAKEN_UP)
    red = Case.risk_level == 1
    tier = case(
        (late_condition(now, minutes), 0),
        (and_(red, waiting), 1),
        (red, 2),
        (Case.deadline < now, 3),
        else_=4,
    )
    contact_first = case((and_(red, waiting), Case.contact_deadline))
    return (
        tier,
        Case.risk_level,
        contact_first.nulls_last(),
        Case.deadline.nulls_last(),
        Case.id,
    )
