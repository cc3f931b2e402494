"""What a functional department's account (职能部门) may read: the cases sent or 吹哨'd to it.

A department account is named as dispatches name its department (县人社局, 市公安局 …). It reads
only the cases dispatched to a department it acts for, now or before, and those a 吹哨 named it
in (trial AQ S2: the county's department account read every household dispute of the county,
with its map and hot spots). It acts for its own name and, a county's (or a lower level's)
account, also for the departments of its area that have no account of their own
(:func:`served_departments`), as the county's one shared account did before each bureau had
its own (trial AM M1).

Every read path a department reaches (the case, its events and details, the lists, the search,
its desk) filters through :func:`case_condition`; the command feed, the map, hot spots, trends
and the special-population registers refuse a department outright (:mod:`api.deps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, cast, exists, false, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import TEXT as PG_TEXT
from sqlalchemy.orm import Session

from geo.codes import enclosing_code, scope_range
from layers.model import AssigneeKind, Case, CaseEvent, Dispatch, Role
from layers.workflow import OPEN_STATES, Actor

#: What a department account is told where a command-centre view is refused (trial AQ S2).
COMMAND_VIEW_REFUSED = "职能部门账号只能查看派给本部门或向本部门吹哨的案件，请在本部门待办中办理"

_UNSERVED = text(
    """
    SELECT DISTINCT named.name FROM (
        SELECT d.department AS name FROM dispatches d
         WHERE d.department IS NOT NULL AND d.area_code >= :lo AND d.area_code < :hi
        UNION
        SELECT jsonb_array_elements_text(e.payload -> 'departments') FROM case_events e
         WHERE e.action = 'summon' AND e.area_code >= :lo AND e.area_code < :hi
           AND jsonb_typeof(e.payload -> 'departments') = 'array'
    ) named
    WHERE btrim(named.name) <> ''
      AND NOT EXISTS (
        SELECT 1 FROM users u
         WHERE u.role = 'department' AND u.active AND u.display_name = named.name
           AND (u.scope_code = ANY(:units) OR (u.scope_code >= :lo AND u.scope_code < :hi))
      )
    ORDER BY named.name
    """
)


def served_departments(session: Session, actor: Actor) -> list[str] | None:
    """Return the departments a department account acts for, or ``None`` for other roles.

    Its own name (its display name); for an account of a county or below, also the departments
    dispatched to or 吹哨'd in its area that no active department account of its area, or of a
    level above it, is named after (the shared account's bureaus).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Who reads.

    Returns
    -------
    list of str or None
        The names, the account's own first; ``None`` when ``actor`` is not a department.
    """
    if actor.role != Role.DEPARTMENT:
        return None
    names = [actor.name]
    if actor.level >= 3:
        lo, hi = scope_range(actor.scope_code)
        units = [enclosing_code(actor.scope_code, level) for level in range(1, actor.level + 1)]
        rows = session.execute(_UNSERVED, {"lo": lo, "hi": hi, "units": units}).scalars()
        names += [str(n) for n in rows if n != actor.name]
    return names


def sent_to(names: Sequence[str]) -> ColumnElement[bool]:
    """Return the condition on :class:`Case` that it was dispatched or 吹哨'd to one of ``names``.

    Parameters
    ----------
    names : sequence of str
        Department names.

    Returns
    -------
    sqlalchemy.ColumnElement
        ``EXISTS`` a department dispatch to one of them (in any status: before counts too) or
        a 吹哨 naming one of them.
    """
    if not names:
        return false()
    dispatched = exists().where(
        Dispatch.case_id == Case.id,
        Dispatch.assignee_kind == AssigneeKind.DEPARTMENT.value,
        Dispatch.department.in_(list(names)),
    )
    summoned = exists().where(
        CaseEvent.case_id == Case.id,
        CaseEvent.action == "summon",
        CaseEvent.payload["departments"].has_any(
            cast(literal(list(names), ARRAY(PG_TEXT)), ARRAY(PG_TEXT))
        ),
    )
    return dispatched | summoned


def case_condition(session: Session, actor: Actor) -> list[ColumnElement[bool]]:
    """Return the conditions on :class:`Case` of the cases ``actor`` may read.

    Every read of cases applies them: the actor's scope range, and for a department account
    also :func:`sent_to` the departments it acts for (:func:`served_departments`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Who reads.

    Returns
    -------
    list of sqlalchemy.ColumnElement
        The conditions, to be and-ed.
    """
    lo, hi = scope_range(actor.scope_code)
    where: list[ColumnElement[bool]] = [Case.area_code >= lo, Case.area_code < hi]
    names = served_departments(session, actor)
    if names is not None:
        where.append(sent_to(names))
    return where


def reads_case_event(session: Session, actor: Actor, event_id: int) -> bool:
    """Whether ``actor`` may read the case of the event ``event_id`` (the live stream's check).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Who reads.
    event_id : int
        A ``case_events`` id.

    Returns
    -------
    bool
        The event's case is one :func:`case_condition` admits.
    """
    found = select(Case.id).join(CaseEvent, CaseEvent.case_id == Case.id)
    found = found.where(CaseEvent.id == event_id, *case_condition(session, actor))
    return session.execute(found).first() is not None


#: How far back the desk's 已办结 / 已退回 looks.
DONE_DAYS = 30
#: Most cases per group of the desk.
DESK_LIMIT = 100


@dataclass(frozen=True)
class DeskRow:
    """One case of a department's desk (本部门待办).

    Attributes
    ----------
    case : Case
        The case.
    group : str
        ``to_accept`` (待受理: dispatched, not yet 受理'd), ``handling`` (处置中), ``summoned``
        (被吹哨: named by a 吹哨, not its dispatch) or ``done`` (已办结 / 已退回, recent).
    department : str
        The department it came to (the account's name, or a bureau the account acts for).
    at : datetime
        When: dispatched, 受理'd, 吹哨'd or finished.
    status : str
        The dispatch's status (``assigned`` … ``returned``), or ``summoned``.
    note : str or None
        The 吹哨's note, for ``summoned``.
    by : str or None
        Who 吹哨'd, for ``summoned``.
    """

    case: Case
    group: str
    department: str
    at: datetime
    status: str
    note: str | None = None
    by: str | None = None


def desk(session: Session, actor: Actor, *, now: datetime) -> list[DeskRow]:
    """Return a department's desk: 待受理, 处置中, 被吹哨, then 已办结 / 已退回 of late.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        A department account (anyone else has no desk: the empty list).
    now : datetime
        The time 已办结 / 已退回 are reckoned back from (:data:`DONE_DAYS`).

    Returns
    -------
    list of DeskRow
        By group in that order; the oldest first while waiting, the latest first once done.
    """
    names = served_departments(session, actor)
    if not names:
        return []
    lo, hi = scope_range(actor.scope_code)
    in_scope = (Case.area_code >= lo, Case.area_code < hi)
    rows: list[DeskRow] = []
    mine = (
        Dispatch.assignee_kind == AssigneeKind.DEPARTMENT.value,
        Dispatch.department.in_(names),
    )
    groups = (("to_accept", ("assigned",)), ("handling", ("accepted", "arrived")))
    active: set[int] = set()
    for group, statuses in groups:
        found = session.execute(
            select(Case, Dispatch)
            .join(Dispatch, Dispatch.case_id == Case.id)
            .where(*in_scope, *mine, Dispatch.status.in_(statuses))
            .order_by(Case.risk_level, Dispatch.assigned_at, Case.id)
            .limit(DESK_LIMIT)
        ).all()
        for case, sent in found:
            active.add(case.id)
            when = (sent.accepted_at if group == "handling" else None) or sent.assigned_at
            rows.append(DeskRow(case, group, str(sent.department), when, sent.status))
    summons = session.execute(
        select(Case, CaseEvent)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(
            *in_scope,
            CaseEvent.action == "summon",
            CaseEvent.payload["departments"].has_any(
                cast(literal(list(names), ARRAY(PG_TEXT)), ARRAY(PG_TEXT))
            ),
            Case.state.in_(OPEN_STATES),
        )
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(DESK_LIMIT)
    ).all()
    seen: set[int] = set()
    for case, event in summons:
        if case.id in active or case.id in seen:
            continue
        seen.add(case.id)
        named = [str(d) for d in (event.payload or {}).get("departments", [])]
        department = next((d for d in named if d in names), names[0])
        by = event.actor_name
        rows.append(DeskRow(case, "summoned", department, event.at, "summoned", event.note, by))
    done = session.execute(
        select(Case, Dispatch)
        .join(Dispatch, Dispatch.case_id == Case.id)
        .where(
            *in_scope,
            *mine,
            Dispatch.status.in_(("finished", "returned")),
            Dispatch.finished_at >= now - timedelta(days=DONE_DAYS),
        )
        .order_by(Dispatch.finished_at.desc(), Dispatch.id.desc())
        .limit(DESK_LIMIT)
    ).all()
    for case, sent in done:
        if sent.finished_at is not None:
            rows.append(DeskRow(case, "done", str(sent.department), sent.finished_at, sent.status))
    return rows
