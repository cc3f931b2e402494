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
and the special-population registers refuse a department outright (:mod:`api.deps`). Its try at
a person's clear identity is refused too, but written to the audit log as every refused unmasked
read is (:func:`refuse_unmask`, trial AW m1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, cast, exists, false, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import TEXT as PG_TEXT
from sqlalchemy.orm import Session, aliased

from geo.codes import division_level, enclosing_code, scope_range
from layers import summon_replies
from layers.accounts import Reader
from layers.disclosure import audit_refusal, own_values
from layers.errors import Forbidden, InvalidInput
from layers.model import AssigneeKind, Case, CaseEvent, CaseState, Dispatch, Person, Role
from layers.model.dispatches import ACTIVE_DISPATCH
from layers.summon_asks import ask_for
from layers.workflow import OPEN_STATES, Actor

#: What a department account is told where a command-centre view is refused (trial AQ S2).
COMMAND_VIEW_REFUSED = "职能部门账号只能查看派给本部门或向本部门吹哨的案件，请在本部门待办中办理"

#: What the audit entry of a department's refused unmasked read says of the refusal.
UNMASK_REFUSED = "department account"


def refuse_unmask(session: Session, reader: Reader, person_id: int, *, reason: str) -> None:
    """Refuse a department account the clear identity of a person, audited (trial AW m1).

    Nothing for another account (:func:`layers.disclosure.unmask_person` judges it).

    The entry is the one a refused unmasked read of any other account leaves
    (:func:`layers.disclosure.unmask_person`): ``person.unmask``, outcome ``denied``, the
    reason stated kept without personal data (a resident ID, a mobile number, the person's own
    name or address: :func:`layers.audit.loggable_reason`), or not at all for a person outside
    the account's scope.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the account (commit it after the refusal).
    reader : layers.accounts.Reader
        The department account.
    person_id : int
        The person asked for.
    reason : str
        The reason stated.

    Raises
    ------
    Forbidden
        A department account, with :data:`COMMAND_VIEW_REFUSED`.
    """
    if reader.role != Role.DEPARTMENT:
        return
    lo, hi = scope_range(reader.scope_code)
    person = session.scalar(
        select(Person).where(Person.id == person_id, Person.area_code >= lo, Person.area_code < hi)
    )
    own = own_values(person) if person is not None else None
    audit_refusal(
        session, reader, person_id, reason.strip(), UNMASK_REFUSED, own, in_scope=person is not None
    )
    raise Forbidden(COMMAND_VIEW_REFUSED)


#: The department names dispatched to or 吹哨'd in the area ``:lo`` to ``:hi``, blank ones left out.
_NAMED_IN_AREA = """
    SELECT DISTINCT named.name FROM (
        SELECT d.department AS name FROM dispatches d
         WHERE d.department IS NOT NULL AND d.area_code >= :lo AND d.area_code < :hi
        UNION
        SELECT jsonb_array_elements_text(e.payload -> 'departments') FROM case_events e
         WHERE e.action = 'summon' AND e.area_code >= :lo AND e.area_code < :hi
           AND jsonb_typeof(e.payload -> 'departments') = 'array'
    ) named WHERE btrim(named.name) <> ''
"""

_UNSERVED = text(
    _NAMED_IN_AREA
    + """
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


def _names_any(event: type[CaseEvent], names: Sequence[str]) -> ColumnElement[bool]:
    # a 吹哨's payload names one of ``names`` among its departments
    named: ColumnElement[bool] = event.payload["departments"].has_any(
        cast(literal(list(names), ARRAY(PG_TEXT)), ARRAY(PG_TEXT))
    )
    return named


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
    # aliased: a query of case_events or dispatches itself (the live stream's) does not
    # correlate them away
    sent, summon = aliased(Dispatch), aliased(CaseEvent)
    dispatched = exists().where(
        sent.case_id == Case.id,
        sent.assignee_kind == AssigneeKind.DEPARTMENT.value,
        sent.department.in_(list(names)),
    )
    summoned = exists().where(
        summon.case_id == Case.id,
        summon.action == "summon",
        _names_any(summon, names),
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
        (被吹哨: named by a 吹哨 not yet answered, not its dispatch), ``answered`` (已反馈: its
        吹哨反馈 came after the latest 吹哨 naming it) or ``done`` (已办结 / 已退回, recent).
    department : str
        The department it came to (the account's name, or a bureau the account acts for).
    at : datetime
        When: dispatched, 受理'd, 吹哨'd or finished.
    status : str
        The dispatch's status (``assigned`` … ``returned``), or ``summoned``.
    note : str or None
        The 吹哨's note, for ``summoned`` and ``answered``.
    by : str or None
        Who 吹哨'd, for ``summoned`` and ``answered``.
    handler : str or None
        Who handles the case now (trial AT M5): the department, unit or grid worker of its open
        dispatch, else the unit of its handling level and 尚未派单 (:func:`handlers`).
    answered_at : datetime or None
        The latest 吹哨反馈 after that 吹哨, for ``answered``.
    ask : str or None
        What that 吹哨 asks of this department beside its note, if its own line was given
        (trial AZ m7: one note for three departments; :mod:`layers.summon_asks`).
    closed_by : str or None
        For a finished dispatch the department did not 办结 itself, the unit whose operator
        did (宁州街道: its desk says 宁州街道已办结（本部门未办结）, trial BA S2); else ``None``.
    """

    case: Case
    group: str
    department: str
    at: datetime
    status: str
    note: str | None = None
    by: str | None = None
    handler: str | None = None
    answered_at: datetime | None = None
    ask: str | None = None
    closed_by: str | None = None


#: The open dispatch of each case of ``:ids``, with its worker's or unit's name.
_OPEN_DISPATCHES = text(
    """
    SELECT d.case_id, d.assignee_kind, d.department, w.name AS worker_name, j.name AS unit_name
      FROM dispatches d
      LEFT JOIN workers w ON w.id = d.worker_id
      LEFT JOIN jurisdictions j ON j.code = d.unit_code
     WHERE d.case_id = ANY(:ids) AND d."""
    + ACTIVE_DISPATCH
)
_UNIT_NAMES = text("SELECT code, name FROM jurisdictions WHERE code = ANY(:codes)")
#: The states of a case its level has still to dispatch (登记, 分流, 上报来).
_UNSENT = frozenset({CaseState.REGISTERED, CaseState.TRIAGED, CaseState.ESCALATED})


def handlers(session: Session, found: Sequence[Case]) -> dict[int, str]:
    """Return who handles each case now, as a department's desk names it (承办, trial AT M5).

    The department or unit of its open dispatch, 网格员 and the worker's name, or, when none is
    open, the unit of its handling level, followed by （尚未派单） while that has still to
    dispatch it (not once it is settled, nor on its 法治化途径).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    found : sequence of Case
        The cases.

    Returns
    -------
    dict of int to str
        By case id; every case given has one.
    """
    out: dict[int, str] = {}
    if not found:
        return out
    for row in session.execute(_OPEN_DISPATCHES, {"ids": [c.id for c in found]}):
        if row.assignee_kind == AssigneeKind.WORKER.value:
            out[row.case_id] = f"网格员{row.worker_name or ''}"
        else:
            out[row.case_id] = str(row.department or row.unit_name or "")
    waiting = {c.id: enclosing_code(c.area_code, c.handling_level) for c in found}
    waiting = {k: v for k, v in waiting.items() if not out.get(k)}
    found_names = session.execute(_UNIT_NAMES, {"codes": sorted(set(waiting.values()))})
    names = {str(code): str(name) for code, name in found_names}
    for case in found:
        if case.id in waiting:
            name = names.get(waiting[case.id], waiting[case.id])
            out[case.id] = f"{name}（尚未派单）" if case.state in _UNSENT else name
    return out


#: The unit of the operator whose 办结 finished each dispatch of ``:ids``, when not a department.
_CLOSED_BY_OTHERS = text(
    """
    SELECT d.id, coalesce(j.name, e.actor_name) AS name
      FROM dispatches d
      JOIN case_events e ON e.case_id = d.case_id AND e.action = 'resolve' AND e.at = d.finished_at
      JOIN users u ON u.id = e.actor_id
      LEFT JOIN jurisdictions j ON j.code = u.scope_code
     WHERE d.id = ANY(:ids) AND u.role IN ('commander', 'dispatcher')
    """
)


def _closed_by_others(session: Session, finished: Sequence[int]) -> dict[int, str]:
    """Return, by dispatch, the unit whose operator 办结'd a department's finished dispatch.

    The operators of a level no longer 办结 the open dispatch of a department with an account
    of its own (:func:`layers.cases.department_holder`), but they did before, and still do for
    a department without one: its desk then says who did (trial BA S2: 「县住建局已办结」 of an
    order 宁州街道 closed).
    """
    if not finished:
        return {}
    rows = session.execute(_CLOSED_BY_OTHERS, {"ids": list(finished)})
    return {int(row.id): str(row.name) for row in rows}


def desk(session: Session, actor: Actor, *, now: datetime) -> list[DeskRow]:
    """Return a department's desk: 待受理, 处置中, 被吹哨, 已反馈, then 已办结 / 已退回 of late.

    A 吹哨 counts as answered (``answered``) once a 吹哨反馈 of a department the account acts
    for follows the latest 吹哨 of the case naming one of them; a later 吹哨 makes it
    unanswered again (trial AT M5: an answered 吹哨 stayed under 被吹哨). The rule is
    :func:`layers.summon_replies.answer`, which the summoning level's queue row reads too.

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
        By group in that order; the oldest first while waiting, the latest first once
        吹哨'd or done; each with who handles the case (:func:`handlers`).
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
    rows += _summoned(session, names, in_scope, active)
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
    closers = _closed_by_others(session, [sent.id for _, sent in done if sent.status == "finished"])
    for case, sent in done:
        if sent.finished_at is not None:
            rows.append(
                DeskRow(
                    case,
                    "done",
                    str(sent.department),
                    sent.finished_at,
                    sent.status,
                    closed_by=closers.get(sent.id),
                )
            )
    who = handlers(session, list({r.case.id: r.case for r in rows}.values()))
    return [replace(r, handler=who[r.case.id]) for r in rows]


def _summoned(
    session: Session,
    names: Sequence[str],
    in_scope: tuple[ColumnElement[bool], ...],
    active: set[int],
) -> list[DeskRow]:
    # the open cases a 吹哨 named ``names`` in, not dispatched to them: the latest 吹哨 of each,
    # unanswered (summoned) first, then those a 吹哨反馈 followed (answered)
    summons = session.execute(
        select(Case, CaseEvent)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(
            *in_scope,
            CaseEvent.action == "summon",
            _names_any(CaseEvent, names),
            Case.state.in_(OPEN_STATES),
        )
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(DESK_LIMIT)
    ).all()
    latest: dict[int, tuple[Case, CaseEvent]] = {}
    for case, event in summons:
        if case.id not in active and case.id not in latest:
            latest[case.id] = (case, event)
    answered: dict[int, datetime] = {}
    if latest:
        replies = session.scalars(
            select(CaseEvent).where(
                CaseEvent.case_id.in_(list(latest)),
                CaseEvent.action == "summon_reply",
                CaseEvent.payload["department"].astext.in_(list(names)),
            )
        ).all()
        said: dict[int, list[summon_replies.Said]] = {k: [_said(e)] for k, (_, e) in latest.items()}
        for reply in replies:
            said[reply.case_id].append(_said(reply))
        for case_id, events in said.items():  # the rule the summoning level reads too
            _, answer = summon_replies.answer(events, names)
            if answer is not None:
                answered[case_id] = answer.at
    rows: list[DeskRow] = []
    for case, event in latest.values():
        named = [str(d) for d in (event.payload or {}).get("departments", [])]
        department = next((d for d in named if d in names), names[0])
        rows.append(
            DeskRow(
                case,
                "answered" if case.id in answered else "summoned",
                department,
                event.at,
                "summoned",
                event.note,
                event.actor_name,
                answered_at=answered.get(case.id),
                ask=ask_for(event.payload, department),
            )
        )
    return sorted(rows, key=lambda r: r.group == "answered")


def _said(event: CaseEvent) -> summon_replies.Said:
    return summon_replies.Said(
        event.id, event.action, event.at, event.actor_name, event.payload or {}
    )


_ACCOUNT_NAMES = text(
    "SELECT DISTINCT display_name FROM users WHERE role = 'department' AND active"
    " AND scope_code = ANY(:units)"
)
_NAMED_IN = text(_NAMED_IN_AREA)
#: What a 吹哨 naming a department outside the list is told (trial AQ S3).
UNKNOWN_DEPARTMENT = (
    "“{name}”不在部门列表中：请从列表中选择；确为新的部门，请勾选「新增部门名称」后再吹哨"
)
#: What a name one character off a known department is asked (trial AQ S3: 县人设局).
DID_YOU_MEAN = "吹哨部门“{name}”不在部门列表中，是否为“{known}”？"


def one_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one character: one changed, added or left out.

    Parameters
    ----------
    a, b : str
        Two names.

    Returns
    -------
    bool
        Their edit distance is exactly 1.

    Examples
    --------
    >>> one_apart("县人设局", "县人社局"), one_apart("县人社", "县人社局")
    (True, True)
    >>> one_apart("县人社局", "县人社局")
    False
    >>> one_apart("县公安局", "县人社局")
    False
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def known_departments(
    session: Session, actor: Actor, area_code: str
) -> tuple[list[str], list[str]]:
    """Return the department accounts over ``area_code`` and the names its area used before.

    The 吹哨 form's list: the accounts of the area's county and the levels above it, then the
    departments the actor's area already dispatched to or 吹哨'd (:func:`check_summoned`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Who 吹哨s.
    area_code : str
        The case's area.

    Returns
    -------
    tuple of (list of str, list of str)
        Account names, then the other names used, each sorted.
    """
    top = min(3, division_level(area_code))
    units = [enclosing_code(area_code, level) for level in range(1, top + 1)]
    accounts = sorted(str(n) for n in session.execute(_ACCOUNT_NAMES, {"units": units}).scalars())
    lo, hi = scope_range(actor.scope_code)
    named = session.execute(_NAMED_IN, {"lo": lo, "hi": hi}).scalars()
    return accounts, sorted({str(n) for n in named} - set(accounts))


def check_summoned(
    session: Session, actor: Actor, area_code: str, names: Sequence[str], *, new_ok: bool
) -> None:
    """Refuse a 吹哨 naming a department outside the list, unless confirmed new (trial AQ S3).

    A name one character off a department account's (or a name used before) is refused with
    the name it was likely meant to be, confirmed or not; another name outside the list only
    with ``new_ok`` (the form's 「新增部门名称」).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Who 吹哨s.
    area_code : str
        The case's area.
    names : sequence of str
        The departments named.
    new_ok : bool
        The user confirmed that names outside the list are new departments.

    Raises
    ------
    InvalidInput
        A name likely mistyped, or outside the list without ``new_ok``.
    """
    accounts, used = known_departments(session, actor, area_code)
    for name in names:
        if name in accounts:
            continue
        near = next((k for k in accounts if one_apart(name, k)), None)
        if near is None and name not in used:
            near = next((k for k in used if one_apart(name, k)), None)
        if near is not None:
            raise InvalidInput(DID_YOU_MEAN.format(name=name, known=near))
        if name not in used and not new_ok:
            raise InvalidInput(UNKNOWN_DEPARTMENT.format(name=name))


def summoned_names(session: Session, actor: Actor, case_id: int) -> list[str]:
    """Return the departments ``actor`` acts for that a 吹哨 of the case named.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        A department account (anyone else: the empty list).
    case_id : int
        The case.

    Returns
    -------
    list of str
        The names, in the order the account acts for them.
    """
    names = served_departments(session, actor)
    if not names:
        return []
    named: set[str] = set()
    for payload in session.scalars(
        select(CaseEvent.payload).where(CaseEvent.case_id == case_id, CaseEvent.action == "summon")
    ):
        named |= {str(d) for d in (payload or {}).get("departments", [])}
    return [n for n in names if n in named]
