"""The dispatch desk's lists of a unit's cases beyond its queue, and the search for one case.

:func:`cases.queue <layers.cases.queue>` lists the open cases waiting for a unit's level. A desk
also follows the cases its level must still close (待结案: resolved, evaluated or visited, to
evaluate, visit and archive) and those of its area now handled above it (已上报), and finds any
case of its scope again by its code (一案一码), a 12345 work-order number or words of its title
(:func:`search`). Every list is limited to the unit's code range (``area_code`` in ``[lo, hi)``,
the ``ix_cases_area_code_state`` index) after checking that the unit lies in the actor's scope;
row-level security enforces the scope again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from layers import cases, deadline_extensions, department_scope, urgency, workflow
from layers.case_groups import CaseGroup, StateGroup
from layers.errors import InvalidInput
from layers.model import AssigneeKind, Case, CaseEvent, CaseState, Channel, Dispatch, User
from layers.workflow import Actor


class Stage(StrEnum):
    """Which of a unit's lists of cases (``GET /api/cases?stage=…``)."""

    QUEUE = "queue"
    """Open cases handled at the unit's level (its queue: 待派单 and 处置中)."""
    CLOSING = "closing"
    """Settled cases at the unit's level not yet archived (待结案: 评价, 回访, 销号)."""
    ESCALATED = "escalated"
    """Open cases of the unit's area handled above its level (已上报)."""
    OVERDUE = "overdue"
    """Open cases of the unit's area past their deadline, at any level (辖区超期: the cases the
    超期案件 card counts, for 督办 and 催办)."""
    OVERDUE_CONTACT = "overdue_contact"
    """Open cases of the unit's area nobody has taken up whose 联系时限 passed, at any level
    (辖区联系超时: the cases the 联系超时 card counts, by the rule of the queue's red
    「联系时限 … 已过」, :func:`layers.urgency.contact_passed`), the longest past first."""
    RECENT = "recent"
    """Cases of the unit's area reported in the last :data:`RECENT_HOURS` hours, at any level and
    in any state (辖区新登记: what came in since the last shift)."""
    MINE = "mine"
    """Cases the caller registered in the last :data:`MINE_DAYS` days, in any state, the latest
    first (我上报的: a grid worker follows what he reported, which is not dispatched to him)."""
    FROM_BELOW = "from_below"
    """Cases of the unit's area escalated to its level, whoever handles them now (下级上报:
    a city finds again what its counties sent up, also once it has 分流'd it), the latest 上报
    first (trial AM M3); the open ones, then those settled in the last :data:`SETTLED_DAYS`
    days (trial AU M2)."""
    SUPERVISED = "supervised"
    """Cases the unit 督办'd (我督办的), the open ones by the nearest 督办时限, then those settled
    in the last :data:`SETTLED_DAYS` days, the latest settled first (trial AU M2: the city saw
    its order carried out nowhere); each says whether the level handling it has acted since
    (:func:`acted_since`)."""
    HANDED_DOWN = "handed_down"
    """Cases the unit 交办'd (我交办的), the latest 交办 first; the open ones, then those settled
    in the last :data:`SETTLED_DAYS` days (trial AU M2)."""
    UNDER_SUPERVISION = "under_supervision"
    """Open cases the unit holds under a superior's 督办 it has not answered yet (被督办: no
    督办回复 since the latest 督办), the nearest 督办时限 first (trial AQ M2: the township found
    the county's 督办 only by opening 处置中). The unit holds a case handled at its level, and
    one a higher level dispatched to it (派单至本级单位, :func:`held_by_unit`: trial AU M1, the
    city's 督办 never reached the township on site)."""
    EXTENSION_PENDING = "extension_pending"
    """Open cases of the unit's area with a 申请延期 the unit's level decides first (待审延期,
    :func:`layers.deadline_extensions.awaiting`: trial AX S5, the county never saw the
    township's request), the earliest asked first; none for who cannot decide."""


#: The stages listed by an event of the unit's (the action whose event it is).
BY_EVENT: dict[Stage, str] = {
    Stage.FROM_BELOW: "escalate",
    Stage.SUPERVISED: "supervise",
    Stage.HANDED_DOWN: "hand_down",
}


#: States of a case its level must still evaluate, visit or archive (销号).
CLOSING_STATES: frozenset[str] = frozenset(
    {CaseState.RESOLVED, CaseState.EVALUATED, CaseState.VISITED}
)
#: How long a case settled (办结, 已评价, 已回访, 销号) stays in the lists of the unit's own
#: 上报, 督办 and 交办 (:data:`BY_EVENT`), after the open ones: the superior sees its order
#: carried out (trial AU M2).
SETTLED_DAYS = 30
#: How far back 辖区新登记 (:attr:`Stage.RECENT`) looks.
RECENT_HOURS = 24
#: How far back 我上报的 (:attr:`Stage.MINE`) looks.
MINE_DAYS = 30
#: Most cases a search returns.
SEARCH_LIMIT = 50
#: Longest search text.
SEARCH_MAX_LENGTH = 100
#: A code or work-order number is matched by prefix from this many characters on (shorter: exact).
PREFIX_FROM = 10
#: Text that may be a case code or a work-order number: letters, digits, ``-``, ``_``, ``/``.
IDENTIFIER = re.compile(r"[0-9A-Za-z][0-9A-Za-z_/-]*")
#: A case code is matched by its last digits from this many on (``4241`` for ``…-00004241``).
SUFFIX_FROM = 4
#: Shortest tail of a work-order number that finds it (``202612010001`` of
#: ``YN12345-202612010001``: hotline staff read out the tail, trial BA m4).
TAIL_FROM = 6
#: A platform code typed without its hyphens: area (6), date (8), serial (the case id).
BARE_CODE = re.compile(r"(\d{6})(\d{8})(\d{1,12})")
#: The day of a platform code (``20261206`` of ``530424-20261206-00004241``), alone or with the
#: number's last digits after it (``20261206-4241``).
CODE_DAY = re.compile(r"(\d{8})(?:-(\d{1,12}))?")
#: A day written as a date, ``2026-12-06``, ``2026/12/6`` or ``2026.12.06`` (one separator
#: throughout), alone or with the number's last digits after a ``-`` (``2026-12-06-4241``).
WRITTEN_DAY = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:-(\d{1,12}))?")
#: Where a platform code's day starts (counted from 1, as SQL's ``substr``): after the county.
DAY_AT = 8
#: The cases one import brought in, as 数据导入 and ``zongzhi imports`` number it.
IMPORT_NUMBER = re.compile(r"导入编号\s*(\d{1,9})")


def stage_list(
    session: Session,
    *,
    actor: Actor,
    stage: Stage,
    code: str | None = None,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> list[Case]:
    """Return one of a unit's lists of cases.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Whose scope applies.
    stage : Stage
        ``queue`` (:func:`layers.cases.queue`), ``closing``, ``escalated``, ``overdue``,
        ``overdue_contact``, ``recent``, ``mine``, ``from_below``, ``supervised``, ``handed_down``,
        ``under_supervision`` or ``extension_pending`` (:class:`Stage`).
    code : str, optional
        A jurisdiction inside the actor's scope (default: the actor's unit).
    limit, offset : int
        Paging (limit clamped to 1–1000).
    now : datetime, optional
        The time ``queue``, ``overdue``, ``overdue_contact`` and ``recent`` are reckoned from
        (default: now).

    Returns
    -------
    list of Case
        ``queue``: what needs action now first (:func:`layers.urgency.queue_order`: a dispatch
        late for its 受理, the red cases, the overdue); ``escalated``: highest risk first, then
        oldest deadline; ``closing``:
        the longest settled first; ``overdue``: the longest overdue first; ``overdue_contact``:
        the longest past its 联系时限 first; ``recent``: highest
        risk first, then the latest reported; ``mine``: the latest reported first;
        ``supervised`` and ``under_supervision``: the nearest 督办时限 first.

    Raises
    ------
    NotFound
        ``code`` is not a division code inside the actor's scope.
    """
    if stage is Stage.QUEUE:
        return cases.queue(session, actor=actor, code=code, limit=limit, offset=offset, now=now)
    unit = code or actor.scope_code
    lo, hi, level = cases.unit_range(unit, actor)
    if stage is Stage.EXTENSION_PENDING:  # 待审延期 (trial AX S5)
        if actor.role not in workflow.OPERATORS:  # only an operator decides
            return []
        pending = deadline_extensions.awaiting(lo, hi, level)
        return list(session.scalars(pending.limit(max(1, min(limit, 1000))).offset(max(0, offset))))
    query = select(Case).where(
        Case.area_code >= lo, Case.area_code < hi, *department_scope.case_condition(session, actor)
    )
    now = now or datetime.now(UTC)
    if stage in BY_EVENT:
        marked = _unit_events(BY_EVENT[stage], unit, level, lo, hi)
        settled = Case.state.in_(workflow.DONE_STATES)
        query = query.join(marked, marked.c.case_id == Case.id).where(
            or_(
                Case.state.in_(workflow.OPEN_STATES),
                and_(settled, Case.closed_at >= now - timedelta(days=SETTLED_DAYS)),
            )
        )
        # the open ones first; the settled after them, the latest settled first
        first = (settled.asc(), case((settled, Case.closed_at)).desc().nulls_first())
        if stage is Stage.SUPERVISED:
            query = query.order_by(*first, Case.supervision_deadline.nulls_last(), Case.id)
        else:
            query = query.order_by(*first, marked.c.at.desc(), Case.id.desc())
    elif stage is Stage.UNDER_SUPERVISION:
        query = query.where(
            or_(Case.handling_level == level, held_by_unit(unit)),
            Case.state.in_(workflow.OPEN_STATES),
            Case.supervision_deadline.is_not(None),
            unanswered_supervision(),
        ).order_by(Case.supervision_deadline, Case.id)
    elif stage is Stage.CLOSING:
        query = query.where(Case.handling_level == level, Case.state.in_(CLOSING_STATES)).order_by(
            Case.closed_at.nulls_last(), Case.id
        )
    elif stage is Stage.OVERDUE:  # the map's 已超期 (and the 超期案件 card's count)
        params: dict[str, Any] = {}
        overdue = CaseGroup(StateGroup.OVERDUE, now).condition(Case.__tablename__, params)
        query = query.where(text(overdue).bindparams(**params)).order_by(Case.deadline, Case.id)
    elif stage is Stage.OVERDUE_CONTACT:  # the 联系超时 card's cases, as layers.command counts them
        params = {}
        open_cases = CaseGroup(StateGroup.OPEN, now).condition(Case.__tablename__, params)
        passed = urgency.contact_passed(Case.__tablename__, params, now)
        query = query.where(text(f"{open_cases} AND {passed}").bindparams(**params)).order_by(
            Case.contact_deadline, Case.id
        )
    elif stage is Stage.RECENT:
        query = query.where(
            Case.reported_at >= now - timedelta(hours=RECENT_HOURS), Case.reported_at <= now
        ).order_by(Case.risk_level, Case.reported_at.desc(), Case.id.desc())
    elif stage is Stage.MINE:
        registered = select(CaseEvent.case_id).where(
            CaseEvent.action == "register", CaseEvent.actor_id == actor.user_id
        )
        query = query.where(
            Case.id.in_(registered), Case.reported_at >= now - timedelta(days=MINE_DAYS)
        ).order_by(Case.reported_at.desc(), Case.id.desc())
    else:
        query = query.where(
            Case.handling_level < level, Case.state.in_(workflow.OPEN_STATES)
        ).order_by(Case.risk_level, Case.deadline.nulls_last(), Case.id)
    query = query.limit(max(1, min(limit, 1000))).offset(max(0, offset))
    return list(session.scalars(query))


def held_by_unit(unit: str) -> ColumnElement[bool]:
    """Return the condition of a case whose active dispatch is to unit ``unit``'s centre.

    A county may dispatch a case it handles to a township's (or a village's) centre
    (:attr:`~layers.model.AssigneeKind.UNIT`): the township works it on site though the case
    stays the county's, and a superior's 督办 of it is the township's to see (trial AU M1).

    Parameters
    ----------
    unit : str
        The unit's 12-digit code.

    Returns
    -------
    sqlalchemy.ColumnElement
        A condition on :class:`~layers.model.Case` (the ``case_id`` index of the dispatches).
    """
    return (
        select(Dispatch.id)
        .where(
            Dispatch.case_id == Case.id,
            Dispatch.assignee_kind == AssigneeKind.UNIT,
            Dispatch.unit_code == unit,
            Dispatch.status.in_(cases.ACTIVE_DISPATCH),
        )
        .exists()
    )


def unanswered_supervision() -> ColumnElement[bool]:
    """Return the condition of a case whose latest 督办 has no 督办回复 after it.

    A case with a 督办时限 but no 督办 event (an import's) has nothing to answer.

    Returns
    -------
    sqlalchemy.ColumnElement
        A condition on :class:`~layers.model.Case` (the ``case_id`` index of the events).
    """
    supervised = CaseEvent.__table__.alias("supervised")
    replied = CaseEvent.__table__.alias("replied")
    return (
        select(supervised.c.id)
        .where(
            supervised.c.case_id == Case.id,
            supervised.c.action == "supervise",
            ~select(replied.c.id)
            .where(
                replied.c.case_id == supervised.c.case_id,
                replied.c.action == "supervision_reply",
                replied.c.id > supervised.c.id,
            )
            .exists(),
        )
        .exists()
    )


def _unit_events(action: str, unit: str, level: int, lo: str, hi: str) -> Any:
    """Select the cases of ``[lo, hi)`` with an ``action`` event of the unit's, and its latest time.

    A 上报 is the unit's when it came up to its level (``to_level``); a 督办 or a 交办 when
    taken by one of the unit's accounts (``by_unit``, or the account's scope for an event
    written without it).
    """
    events = select(CaseEvent.case_id, func.max(CaseEvent.at).label("at")).where(
        CaseEvent.action == action, CaseEvent.area_code >= lo, CaseEvent.area_code < hi
    )
    if action == "escalate":
        events = events.where(CaseEvent.payload["to_level"].as_integer() == level)
    else:
        own = select(User.id).where(User.scope_code == unit)
        events = events.where(
            or_(CaseEvent.payload["by_unit"].as_string() == unit, CaseEvent.actor_id.in_(own))
        )
    return events.group_by(CaseEvent.case_id).subquery()


def acted_since(session: Session, found: list[Case], unit: str) -> dict[int, dict[str, Any] | None]:
    """Return, per case, the first thing done on it after the unit's latest 督办, or ``None``.

    Something done is an event of another unit's account (or of nobody's: an import) that is
    not itself a 催办, 督办 or 吹哨: the level handling the case 分流'd, 派单'd, 受理'd it, gave
    feedback, 办结'd it (我督办的: whether the subordinate has acted since, trial AM M3).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    found : list of Case
        The cases listed.
    unit : str
        The unit whose 督办 counts.

    Returns
    -------
    dict
        Case id to ``{"action", "label", "at", "actor_name"}`` or ``None``.
    """
    result: dict[int, dict[str, Any] | None] = {c.id: None for c in found}
    if not found:
        return result
    rows = session.execute(
        text(
            """
            WITH sup AS (
                SELECT e.case_id, max(e.at) AS at FROM case_events e
                  LEFT JOIN users u ON u.id = e.actor_id
                 WHERE e.case_id = ANY(:ids) AND e.action = 'supervise'
                   AND (e.payload ->> 'by_unit' = :unit OR u.scope_code = :unit)
                 GROUP BY e.case_id
            )
            SELECT DISTINCT ON (e.case_id) e.case_id, e.action, e.at, e.actor_name
              FROM case_events e JOIN sup ON sup.case_id = e.case_id AND e.at > sup.at
              LEFT JOIN users u ON u.id = e.actor_id
             WHERE e.action NOT IN ('remind', 'supervise', 'summon')
               AND u.scope_code IS DISTINCT FROM :unit
             ORDER BY e.case_id, e.at, e.id
            """
        ),
        {"ids": [c.id for c in found], "unit": unit},
    )
    for row in rows:
        result[int(row.case_id)] = {
            "action": row.action,
            "label": workflow.ACTION_LABELS.get(row.action, row.action),
            "at": row.at.isoformat(),
            "actor_name": row.actor_name,
        }
    return result


#: The actions that settle a case, the latest of which :func:`settled_by` names.
SETTLING = ("resolve", "evaluate", "visit", "archive")


def settled_by(session: Session, found: list[Case]) -> dict[int, dict[str, Any] | None]:
    """Return, per case, the latest step that settled it (办结, 评价, 回访, 销号), or ``None``.

    A superior's 我督办的, 我交办的 and 下级上报 keep a case settled in the last
    :data:`SETTLED_DAYS` days and say who closed it and when (trial AU M2).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    found : list of Case
        The cases listed; only the settled ones (:data:`layers.workflow.DONE_STATES`) are read.

    Returns
    -------
    dict
        Case id to ``{"action", "label", "at", "actor_name", "note"}``, or ``None`` for an open
        case (or a settled one without such a step in its log: an import's).
    """
    result: dict[int, dict[str, Any] | None] = {c.id: None for c in found}
    done = [c.id for c in found if c.state in workflow.DONE_STATES]
    if not done:
        return result
    rows = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id.in_(done), CaseEvent.action.in_(SETTLING))
        .order_by(CaseEvent.case_id, CaseEvent.id)
    )
    for event in rows:  # the latest of each case last
        result[event.case_id] = {
            "action": event.action,
            "label": workflow.ACTION_LABELS.get(event.action, event.action),
            "at": event.at.isoformat(),
            "actor_name": event.actor_name,
            "note": event.note,
        }
    return result


def search(
    session: Session,
    *,
    actor: Actor,
    q: str,
    code: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Case]:
    """Find cases of a unit in any state by code, work-order number or words of the title.

    Text that may be an identifier is looked up first as a case code (exact; by prefix from
    :data:`PREFIX_FROM` characters; a platform code typed without its hyphens, e.g.
    ``530424202612040004241``, too; by its last :data:`SUFFIX_FROM` or more digits; by its day,
    ``20261206`` or ``2026-12-06`` (:data:`WRITTEN_DAY`), alone or with the number's last
    digits, ``20261206-4241``) or a work-order number (``external_no``, the same way), on their
    indexes. When that finds nothing, a work-order number ending in the text (its last
    :data:`TAIL_FROM` characters or more, ``202612010001`` of ``YN12345-202612010001``: trial
    BA m4), then every word of the text in the title (case-insensitive), among the unit's cases.
    ``导入编号 17`` (:data:`IMPORT_NUMBER`) finds the cases import 17 brought in.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Whose scope applies.
    q : str
        What the user typed.
    code : str, optional
        A jurisdiction inside the actor's scope (default: the actor's unit).
    limit, offset : int
        Paging (limit clamped to 1–:data:`SEARCH_LIMIT`).

    Returns
    -------
    list of Case
        Newest reported first.

    Raises
    ------
    InvalidInput
        ``q`` is blank or too long.
    NotFound
        ``code`` is not a division code inside the actor's scope.
    """
    typed = " ".join(q.split())
    if not typed:
        raise InvalidInput("请输入案件编号、标题中的词语或工单编号")
    if len(typed) > SEARCH_MAX_LENGTH:
        raise InvalidInput(f"查找内容不能超过 {SEARCH_MAX_LENGTH} 个字")
    lo, hi, _ = cases.unit_range(code or actor.scope_code, actor)
    readable = department_scope.case_condition(session, actor)

    def found(*where: ColumnElement[bool]) -> list[Case]:
        query = (
            select(Case)
            .where(Case.area_code >= lo, Case.area_code < hi, *readable, *where)
            .order_by(Case.reported_at.desc(), Case.id.desc())
            .limit(max(1, min(limit, SEARCH_LIMIT)))
            .offset(max(0, offset))
        )
        return list(session.scalars(query))

    by_import = IMPORT_NUMBER.fullmatch(typed)
    if by_import is not None:
        return found(Case.import_id == int(by_import.group(1)))
    if IDENTIFIER.fullmatch(typed) or code_day(typed) is not None:
        by_identifier = found(identifier_match(typed))
        if by_identifier:
            return by_identifier
        if len(typed) >= TAIL_FROM:  # the tail of a work-order number (trial BA m4)
            by_tail = found(Case.external_no.endswith(typed, autoescape=True))
            if by_tail:  # no index ends it: read among the unit's cases, after the others
                return by_tail
    return found(*(Case.title.icontains(word, autoescape=True) for word in typed.split()))


def code_forms(text: str) -> list[str]:
    """Return the case codes ``text`` may name: as typed, upper-cased, or with its hyphens.

    Parameters
    ----------
    text : str
        An identifier the user typed.

    Returns
    -------
    list of str
        Distinct candidate codes, ``text`` first.

    Examples
    --------
    >>> code_forms("530424202612040004241")
    ['530424202612040004241', '530424-20261204-00004241']
    >>> code_forms("im5304240010011a2b")
    ['im5304240010011a2b', 'IM5304240010011A2B']
    """
    forms = [text, text.upper()]
    bare = BARE_CODE.fullmatch(text)
    if bare is not None:
        area, day, serial = bare.groups()
        forms.append(f"{area}-{day}-{int(serial):08d}")
    return list(dict.fromkeys(forms))


def hyphenated(text: str) -> str | None:
    """Return a platform code's beginning typed without its hyphens, hyphenated; else ``None``.

    Parameters
    ----------
    text : str
        An identifier the user typed.

    Returns
    -------
    str or None
        ``text`` with the hyphens of a code (county, day, number) put back, when it is all
        digits and reaches into the day.

    Examples
    --------
    >>> hyphenated("62070220261204"), hyphenated("6207022026120400"), hyphenated("620702")
    ('620702-20261204', '620702-20261204-00', None)
    """
    if not text.isdigit() or len(text) <= 6:
        return None
    return "-".join(part for part in (text[:6], text[6:14], text[14:]) if part)


def identifier_match(text: str) -> ColumnElement[bool]:
    """Return the condition of a case whose code or work-order number ``text`` names.

    Each branch is answered by an index: the code's unique index (equality, or a prefix as a
    range), the reversed code's (its last :data:`SUFFIX_FROM` or more digits, as a range of
    ``reverse(code)``: ``4241`` finds ``530424-20261204-00004241``), the index of the code
    after its county (its day, :func:`code_day`: ``20261204`` or ``20261204-4241`` finds it,
    as a range of ``substr(code, 8)``), and the ``(channel, external_no)`` index with the
    channel listed (a work-order number is looked up in every channel's part of the index).

    Parameters
    ----------
    text : str
        An identifier (no spaces).

    Returns
    -------
    sqlalchemy.ColumnElement
        ``code`` equal to one of :func:`code_forms`, starting with ``text`` (or with it
        :func:`hyphenated`), ending in its digits or of its day, or ``external_no`` equal to
        (or starting with) ``text``.
    """
    channels = [c.value for c in Channel]
    branches: list[ColumnElement[bool]] = [
        Case.code.in_(code_forms(text)),
        and_(Case.channel.in_(channels), Case.external_no == text),
    ]
    if len(text) >= PREFIX_FROM:
        branches.append(_prefix(Case.code, text))
        branches.append(and_(Case.channel.in_(channels), _prefix(Case.external_no, text)))
        bare = hyphenated(text)
        if bare is not None:  # a day's codes typed without their hyphens: 62070220261204
            branches.append(_prefix(Case.code, bare))
    if text.isascii() and text.isdigit() and len(text) >= SUFFIX_FROM:
        branches.append(_suffix(Case.code, text))
    day = code_day(text)
    if day is not None:
        branches.append(_of_day(*day))
    return or_(*branches)


def code_day(text: str) -> tuple[str, str | None] | None:
    """Return the day of case codes ``text`` names, and the number's last digits given with it.

    Parameters
    ----------
    text : str
        An identifier the user typed.

    Returns
    -------
    tuple of (str, str or None) or None
        The day as codes write it (``YYYYMMDD``) and the digits after it, when ``text`` is a
        date of eight digits or written with ``-``, ``/`` or ``.`` (:data:`WRITTEN_DAY`),
        alone or followed by ``-`` and digits; else ``None``.

    Examples
    --------
    >>> code_day("20261206"), code_day("20261206-4241"), code_day("20261306"), code_day("4241")
    (('20261206', None), ('20261206', '4241'), None, None)
    >>> code_day("2026-12-06"), code_day("2026/12/6-4241"), code_day("2026.12.06")
    (('20261206', None), ('20261206', '4241'), ('20261206', None))
    >>> code_day("2026-12/06"), code_day("2026-02-30")
    (None, None)
    """
    found = CODE_DAY.fullmatch(text)
    if found is not None:
        day, digits = found.groups()
    else:
        written = WRITTEN_DAY.fullmatch(text)
        if written is None:
            return None
        year, _, month, of_month, digits = written.groups()
        day = f"{year}{int(month):02d}{int(of_month):02d}"
    try:
        datetime.strptime(day, "%Y%m%d")
    except ValueError:
        return None
    return day, digits


def _of_day(day: str, digits: str | None) -> ColumnElement[bool]:
    """Match the codes of a day (ending in ``digits``): a range of ``ix_cases_code_day``.

    ``substr(code, 8) COLLATE "C"`` (the code after its county: ``20261206-00004241``) from the
    day up to the next; ``LIKE`` keeps the codes of the platform's shape only, and the digits
    given are the code's last.
    """
    after_county = func.substr(Case.code, DAY_AT).collate("C")
    upper = day[:-1] + chr(ord(day[-1]) + 1)
    shaped = Case.code.like("_" * (DAY_AT - 2) + f"-{day}-%")
    if digits is None:
        return and_(after_county >= day, after_county < upper, shaped)
    return and_(after_county >= day, after_county < upper, shaped, Case.code.endswith(digits))


def _suffix(column: InstrumentedAttribute[Any], digits: str) -> ColumnElement[bool]:
    """``column`` ends with ``digits``: a range of the ``ix_cases_code_reversed`` index.

    ``reverse(code) COLLATE "C"`` from the reversed digits up to the next string of their
    length (byte order: exactly the codes ending in them).
    """
    backwards = digits[::-1]
    upper = backwards[:-1] + chr(ord(backwards[-1]) + 1)
    reversed_code = func.reverse(column).collate("C")
    return and_(reversed_code >= backwards, reversed_code < upper)


def _prefix(column: InstrumentedAttribute[Any], text: str) -> ColumnElement[bool]:
    """``column`` starts with ``text``: a range its index answers, checked by ``LIKE``."""
    upper = text[:-1] + chr(ord(text[-1]) + 1)
    return and_(column >= text, column < upper, column.startswith(text, autoescape=True))
