"""申请延期: the unit holding a case asks for a later 办结时限, the level that dispatched it rules.

A department a case was dispatched to (a 12345 order at 县人社局), the unit it was given to, or
the level handling it could not ask for more time (trial AX S5). Now:

* **申请延期** (``extension_request``): the unit holding the case — the department or the unit
  (下级单位) its dispatch was given to, once it 受理'd it, or an operator of the level handling
  it — asks with a reason (延期理由) and a proposed 办结时限, later than the current one and at
  most :data:`MAX_DAYS` days later. One request stands at a time.
* **批准延期** (``extension_approve``): an operator of the level handling the case (the level
  that dispatched it), or a level above, moves the case's ``deadline`` to the date asked, or
  to one he sets (not earlier than the current deadline, nor more than :data:`MAX_DAYS` days
  later). A request by the level handling the case itself is decided above it.
* **驳回延期** (``extension_refuse``): the same, with a reason (驳回理由); the deadline stays.

Nothing new is stored: the request and the decision are the case's events (their payload holds
the dates), which are the audit trail too; the approved date is the case's ``deadline``, which
every overdue figure reads. A request lapses, undecided, once the case leaves its holder's hands
or is settled (:data:`LAPSING`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from layers import cases, deadlines, workflow
from layers.china_time import CHINA
from layers.errors import Conflict, Forbidden, InvalidInput
from layers.free_text import CASE_NOTE, refuse_personal_numbers
from layers.model import Case, CaseEvent, CaseState, Level, Role
from layers.workflow import EXTENSION_ACTIONS, Actor

MAX_DAYS = 30
"""A 延期 moves the 办结时限 by at most this many days."""

LAPSING = ("return", "recall", "escalate", "hand_down", "resolve", "merge", "reopen")
"""Actions after which a request not decided lapses (the case left its holder, or was settled)."""

NO_DEADLINE = "该案件没有办结时限（法治化途径中不计办理时限），无需申请延期"
"""Why a case without a deadline is not extended."""
NONE_STANDING = "该案件没有待审批的延期申请"
"""Why a decision is refused on a case no request stands on."""
NOT_ACCEPTED = "请先受理该案件，再申请延期"
"""Why the department or unit a case was dispatched to does not ask before its 受理."""
NO_DATE = "请填写延期后的办结时限"
"""The refusal of a request (or an approval's date) without a date."""


def _local(moment: datetime) -> str:
    """Return ``moment`` as the console writes it, in Beijing time (``2026-12-09 18:00``)."""
    return f"{moment.astimezone(CHINA):%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class Extension:
    """The last 延期 fact of a case's current round: a request, and its decision if any.

    Attributes
    ----------
    requested_at : datetime
        When it was asked.
    requested_by : str
        Who asked (the event's actor name).
    requested : datetime
        The 办结时限 asked for.
    previous : datetime
        The 办结时限 when it was asked.
    reason : str
        The 延期理由.
    by_level : int or None
        The asking operator's level (a request by the level handling the case is decided
        above it); ``None`` for a department's.
    status : str
        ``pending``, ``approved`` or ``refused``.
    decided_at, decided_by : datetime or str or None
        When and by whom it was decided.
    deadline : datetime or None
        The 办结时限 approved.
    note : str or None
        The decision's note (驳回理由, or what the approval says).
    """

    requested_at: datetime
    requested_by: str
    requested: datetime
    previous: datetime
    reason: str
    by_level: int | None
    status: str = "pending"
    decided_at: datetime | None = None
    decided_by: str | None = None
    deadline: datetime | None = None
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Return it as the API gives it (``extension`` of a case)."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "status": self.status,
            "requested_at": self.requested_at.isoformat(),
            "requested_by": self.requested_by,
            "requested": self.requested.isoformat(),
            "previous": self.previous.isoformat(),
            "reason": self.reason,
            "decided_at": iso(self.decided_at),
            "decided_by": self.decided_by,
            "deadline": iso(self.deadline),
            "note": self.note,
        }


def _date(value: Any) -> datetime:
    """Return a date given as ISO text (with its time zone) or a datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput("办结时限格式有误，如 2026-12-20T18:00+08:00") from exc
    if not isinstance(value, datetime):
        raise InvalidInput("办结时限格式有误，如 2026-12-20T18:00+08:00")
    if value.tzinfo is None:
        raise InvalidInput("办结时限须注明时区，如 2026-12-20T18:00+08:00")
    return value


def latest(session: Session, case_ids: Sequence[int]) -> dict[int, Extension | None]:
    """Return the 延期 fact of each case's current round, or ``None``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    case_ids : sequence of int
        The cases.

    Returns
    -------
    dict of int to Extension or None
        By case id; ``None`` where no request was made since the case last left its holder's
        hands or was settled (:data:`LAPSING`).
    """
    found: dict[int, Extension | None] = dict.fromkeys(case_ids)
    if not found:
        return found
    rows = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id.in_(found), CaseEvent.action.in_((*EXTENSION_ACTIONS, *LAPSING)))
        .order_by(CaseEvent.case_id, CaseEvent.id)
    )
    for event in rows:
        payload = event.payload or {}
        current = found[event.case_id]
        if event.action == "extension_request":
            found[event.case_id] = Extension(
                requested_at=event.at,
                requested_by=event.actor_name,
                requested=datetime.fromisoformat(payload["deadline"]),
                previous=datetime.fromisoformat(payload["previous"]),
                reason=event.note or "",
                by_level=payload.get("by_level"),
            )
        elif event.action in ("extension_approve", "extension_refuse"):
            if current is None:
                continue
            approved = event.action == "extension_approve"
            found[event.case_id] = replace(
                current,
                status="approved" if approved else "refused",
                decided_at=event.at,
                decided_by=event.actor_name,
                deadline=datetime.fromisoformat(payload["deadline"]) if approved else None,
                note=event.note,
            )
        else:
            found[event.case_id] = None
    return found


def standing(session: Session, case: Case) -> Extension | None:
    """Return the request waiting for a decision on ``case``, if any.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case : Case
        The case.

    Returns
    -------
    Extension or None
        The pending request; ``None`` when none stands, or the case is settled.
    """
    if case.state not in workflow.OPEN_STATES:
        return None
    fact = latest(session, [case.id])[case.id]
    return fact if fact is not None and fact.status == "pending" else None


def as_json(fact: Extension | None, case: Case) -> dict[str, Any]:
    """Return what a case carries of its 延期: ``{"extension": …}`` (``None`` when nothing).

    Parameters
    ----------
    fact : Extension or None
        The case's (:func:`latest`).
    case : Case
        The case: a settled one carries no pending request.

    Returns
    -------
    dict
        ``extension``: :meth:`Extension.as_json`, or ``None``.
    """
    if fact is not None and fact.status == "pending" and case.state not in workflow.OPEN_STATES:
        fact = None
    return {"extension": fact.as_json() if fact is not None else None}


def _decider_refusal(request: Extension, actor: Actor) -> str | None:
    """Say why ``actor`` may not decide ``request`` (its own level asked it), or ``None``."""
    if request.by_level is not None and actor.level >= request.by_level:
        asked = Level(request.by_level).label
        return f"延期申请须由上级审批：该申请由{asked}级提出，您在{Level(actor.level).label}级"
    return None


def _requester_refusal(session: Session, case: Case, actor: Actor) -> str | None:
    """Say why ``actor`` may not ask for more time on ``case`` beyond the workflow's rule."""
    holder = actor.role == Role.DEPARTMENT or actor.level != case.handling_level
    if holder and case.state == CaseState.DISPATCHED:  # the dispatch's unit has not taken it
        return NOT_ACCEPTED
    if actor.role == Role.DEPARTMENT:
        try:
            cases._require_own_dispatch(session, case, actor, "extension_request")
        except Forbidden as refused:
            return str(refused)
    elif actor.level <= Level.PROVINCE:
        return "省级办理的案件没有上级审批延期，请直接调整处理安排"
    return None


def offered(session: Session, case: Case, actor: Actor, names: list[str]) -> list[str]:
    """Return ``names`` less the 延期 actions ``actor`` may not take on ``case`` now.

    ``names`` are the workflow's (:func:`layers.workflow.allowed_actions` with ``extension``
    read); 申请延期 needs a deadline and the case in the actor's hands, a decision an actor
    above the level that asked.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case : Case
        The case.
    actor : Actor
        Who would act.
    names : list of str
        The actions offered so far.

    Returns
    -------
    list of str
        Those still offered.
    """
    if not EXTENSION_ACTIONS & set(names):
        return names
    refused: set[str] = set()
    if "extension_request" in names and (
        case.deadline is None or _requester_refusal(session, case, actor) is not None
    ):
        refused.add("extension_request")
    request = standing(session, case)
    if request is not None and _decider_refusal(request, actor) is not None:
        refused |= {"extension_approve", "extension_refuse"}
    return [n for n in names if n not in refused]


def act(
    session: Session,
    case_id: int,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
    note: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Case:
    """Ask for more time on a case, or approve or refuse the request standing on it.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id.
    action : str
        ``extension_request`` (``params.deadline``: the 办结时限 asked for; the note, 延期理由,
        required), ``extension_approve`` (``params.deadline`` optional: another date than the
        one asked) or ``extension_refuse`` (the note, 驳回理由, required).
    actor : Actor
        Who acts.
    now : datetime
        Time of the action.
    expected_version : int, optional
        The version the client saw.
    note : str, optional
        The reason.
    params : mapping, optional
        ``deadline`` (ISO text with its time zone).

    Returns
    -------
    Case
        The case (flushed, not committed); approved, with its new ``deadline``.

    Raises
    ------
    NotFound
        No such case in scope.
    Conflict
        The case changed, a request stands already (申请延期), or none stands (a decision).
    Forbidden
        The actor may not ask (not the case's holder) or decide (the level that asked).
    InvalidInput
        No reason, no date, or a date not later than the current 办结时限 (a request) or
        earlier than it (an approval), or more than :data:`MAX_DAYS` days after it.
    """
    p = dict(params or {})
    case = cases.get_case(session, case_id, actor=actor, lock=True)
    cases.check_version(case, expected_version)
    unit = cases.acting_unit(session, case) if actor.role in workflow.OPERATORS else None
    request = standing(session, case)
    allowed = workflow.allowed_actions(
        case.state,
        handling_level=case.handling_level,
        actor=actor,
        dispatched_unit=unit,
        extension=request is not None,
    )
    workflow.check(
        actor,
        action,
        state=case.state,
        handling_level=case.handling_level,
        dispatched_unit=unit,
    )
    if action == "extension_request":
        if request is not None:
            raise Conflict(
                f"该案件已有待审批的延期申请（申请延期至 {_local(request.requested)}），"
                "请等待审批结果",
                allowed=allowed,
            )
        said = _requester_refusal(session, case, actor)
        if said is not None:
            raise Forbidden(said)
    elif request is None:
        raise Conflict(NONE_STANDING, allowed=allowed)
    else:
        said = _decider_refusal(request, actor)
        if said is not None:
            raise Forbidden(said)
    if workflow.note_required(action, case.state) and not (note or "").strip():
        raise InvalidInput(workflow.note_refusal(action, case.state))
    refuse_personal_numbers(note, field=cases.note_label(action), advice=CASE_NOTE)
    current = case.deadline
    if current is None:
        raise InvalidInput(NO_DEADLINE)
    latest_allowed = current + timedelta(days=MAX_DAYS)
    if action == "extension_request":
        asked = p.get("deadline")
        if asked is None or asked == "":
            raise InvalidInput(NO_DATE)
        wanted = _date(asked)
        if wanted <= current:
            raise InvalidInput(f"延期后的办结时限须晚于现在的办结时限 {_local(current)}")
        if wanted <= now:
            raise InvalidInput("延期后的办结时限须晚于现在，请重新选择")
        if wanted > latest_allowed:
            raise InvalidInput(
                f"延期不能超过{MAX_DAYS}天：延期后的办结时限最晚为 {_local(latest_allowed)}"
            )
        payload = {
            "deadline": wanted.isoformat(),
            "previous": current.isoformat(),
            # who decides: above the level that asked, when it is the level handling the case
            "by_level": actor.level if actor.role in workflow.OPERATORS else None,
        }
    elif request is None:  # refused above: a decision needs a request
        raise Conflict(NONE_STANDING, allowed=allowed)
    elif action == "extension_approve":
        given = p.get("deadline")
        granted = request.requested if given is None or given == "" else _date(given)
        if granted < current:
            raise InvalidInput(f"批准的办结时限不能早于现在的办结时限 {_local(current)}")
        if granted > latest_allowed:
            raise InvalidInput(
                f"延期不能超过{MAX_DAYS}天：批准的办结时限最晚为 {_local(latest_allowed)}"
            )
        payload = deadlines.with_changes(
            {
                "deadline": granted.isoformat(),
                "previous": current.isoformat(),
                "requested": request.requested.isoformat(),
            },
            deadlines.move(case, "批准延期", deadline=granted),
        )
    else:
        payload = {"requested": request.requested.isoformat()}
    before = case.state
    flag_modified(case, "state")  # every action bumps the version (layers.cases.act)
    cases.flush_case(session)
    cases.append_event(
        session, case, actor, action, before, before, note=note, payload=payload, at=now
    )
    session.flush()
    cases.audit_case(
        session, actor, action, case, {"from": before, "to": before, "version": case.version}
    )
    return case


def granted(session: Session, case_id: int) -> datetime | None:
    """Return the latest 办结时限 approved on ``case_id`` (批准延期), if any.

    A 分流 works the deadlines out again from the case's type and risk: an extension approved
    stands over them (it is the case's deadline until then, which no figure keeps the old one
    of).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case_id : int
        The case.

    Returns
    -------
    datetime or None
        The ``deadline`` of its last ``extension_approve`` event.
    """
    payload = session.scalars(
        select(CaseEvent.payload)
        .where(CaseEvent.case_id == case_id, CaseEvent.action == "extension_approve")
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).first()
    return datetime.fromisoformat(payload["deadline"]) if payload else None


_LATEST = (
    select(
        CaseEvent.id,
        CaseEvent.action,
        CaseEvent.payload["by_level"].as_integer().label("by_level"),
    )
    .where(
        CaseEvent.case_id == Case.id,
        CaseEvent.action.in_((*EXTENSION_ACTIONS, *LAPSING)),
    )
    .order_by(CaseEvent.id.desc())
    .limit(1)
    .correlate(Case)
    .lateral("latest_extension")
)
"""The latest 延期 or lapsing event of ``Case`` (a request stands when it is the request)."""


def _decider_level() -> ColumnElement[int]:
    """Return the level that decides the request standing on ``Case`` (SQL, over the request).

    A department's request (no ``by_level``) is the level handling the case's; an operator's
    the next level above his, at most the level handling the case (a unit a case was
    dispatched to asks it, :func:`_decider_refusal`); across the county level of a city without
    counties (东莞: ``substr(area_code, 5, 2) = '00'``) the city.
    """
    asked = func.least(Case.handling_level, _LATEST.c.by_level - 1)
    return sql_case(
        (and_(asked == Level.COUNTY, func.substr(Case.area_code, 5, 2) == "00"), Level.CITY),
        else_=asked,
    )


def awaiting(lo: str, hi: str, level: int) -> Select[Case]:
    """Select the open cases of ``[lo, hi)`` whose standing 延期 request level ``level`` decides.

    待审延期 (trial AX S5): a township asking more time on its own case is decided by the
    county, whose queue lists its own level's cases only, so the request was never seen. The
    list is of the requests whose first decider is the level (:func:`_decider_level`): those of
    the departments and units its cases were dispatched to, and those of the level below on its
    own cases; a level higher up may decide them too, but does not list them. The oldest
    request first.

    Parameters
    ----------
    lo, hi : str
        The unit's code range (:func:`layers.cases.unit_range`).
    level : int
        The unit's level.

    Returns
    -------
    sqlalchemy.Select
        Cases, the earliest asked first; the caller adds the actor's scope conditions.
    """
    asked = (
        select(CaseEvent.case_id)
        .where(
            CaseEvent.action == "extension_request",
            CaseEvent.area_code >= lo,
            CaseEvent.area_code < hi,
        )
        .scalar_subquery()
    )
    return (
        select(Case)
        .join(_LATEST, true())
        .where(
            Case.area_code >= lo,
            Case.area_code < hi,
            Case.id.in_(asked),
            Case.state.in_(workflow.OPEN_STATES),
            _LATEST.c.action == "extension_request",
            _decider_level() == level,
        )
        .order_by(_LATEST.c.id, Case.id)
    )
