"""Case service: registration with repeat detection, and every workflow action.

Every function takes the session first and keyword-only arguments after. Each action locks the
case row (``SELECT … FOR UPDATE``), checks the version the client saw, applies the workflow table
(:mod:`layers.workflow`), updates the row (the ORM's version counter bumps ``version``), appends a
``case_events`` row and an audit entry, all in the caller's transaction. Lock order everywhere:
case, then worker, then the audit log — so concurrent writers cannot deadlock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from geoalchemy2.elements import WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy import ColumnElement, func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from geo.codes import (
    CodeError,
    division_level,
    enclosing_code,
    parse_division_code,
    scope_range,
)
from geo.crs import geodesic_metres
from layers import (
    address_townships,
    audit,
    case_import,
    deadlines,
    department_scope,
    repeat_alerts,
    repeat_match,
    summon_asks,
    summon_replies,
    urgency,
    workflow,
)
from layers.accounts import retired_unit_refusal, unmask_effective
from layers.china_time import CHINA
from layers.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    no_jurisdiction,
)
from layers.free_text import (
    CASE_ADDRESS,
    CASE_NOTE,
    CASE_TEXT,
    DEPARTMENT_NAMES,
    refuse_personal_numbers,
    refuse_personal_numbers_in_names,
    refuse_personal_work_order_number,
)
from layers.model import (
    SRID,
    AssigneeKind,
    Case,
    CaseEvent,
    CaseState,
    Category,
    Channel,
    Dispatch,
    DispatchStatus,
    Grid,
    Jurisdiction,
    Level,
    Role,
    Worker,
    WorkerStatus,
)
from layers.model.cases import SUBTYPES
from layers.point_units import units_at
from layers.workflow import Actor

#: A case that does not exist, or not in the actor's scope (indistinguishable).
NO_CASE = "该案件不存在或不在您的辖区内"
#: Chinese names of the action parameters that :func:`act` requires, as the console labels them.
PARAM_LABELS = {
    "outcome": "办结结果",
    "route": "法治化途径",
    "deadline": "督办期限",
    "departments": "吹哨部门",
}
#: A risk level out of range.
RISK_RANGE = "风险等级应为 1（红色）至 4（蓝色）"
#: The scale of a party's satisfaction at 评价 and 回访 (``params.satisfaction``).
SATISFACTION_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不太满意", 1: "不满意"}


def unknown_category() -> InvalidInput:
    """Return the error of a category that is not in the code table (naming the known ones).

    Returns
    -------
    InvalidInput
        The error to raise.

    Examples
    --------
    >>> str(unknown_category())
    '类别无效，可选：矛盾纠纷、安全隐患、社情民意'
    """
    return InvalidInput(f"类别无效，可选：{'、'.join(Category.labels().values())}")


#: Repeat detection: an open case of the same category and subcategory this close …
DEDUPE_RADIUS_M = 200.0
#: … reported within this many days is the original of a new report.
DEDUPE_DAYS = 30

ACTIVE_DISPATCH = (DispatchStatus.ASSIGNED, DispatchStatus.ACCEPTED, DispatchStatus.ARRIVED)


@dataclass(frozen=True)
class Registration:
    """Result of :func:`register`.

    Attributes
    ----------
    case : Case
        The new case.
    duplicate_of : Case or None
        The open case it repeats, whose risk was raised.
    """

    case: Case
    duplicate_of: Case | None


def in_scope(scope_code: str, area_code: str) -> bool:
    """Return whether ``area_code`` lies inside the jurisdiction ``scope_code``.

    Parameters
    ----------
    scope_code : str
        12-digit jurisdiction code.
    area_code : str
        Code of an object.

    Returns
    -------
    bool
        True inside.

    Examples
    --------
    >>> in_scope("530424000000", "530424100001"), in_scope("530424000000", "530425100001")
    (True, False)
    """
    lo, hi = scope_range(scope_code)
    return lo <= area_code < hi


def unit_range(code: str, actor: Actor) -> tuple[str, str, int]:
    """Return the code range and level of unit ``code`` after checking the actor's scope.

    Parameters
    ----------
    code : str
        12-digit jurisdiction code.
    actor : Actor
        Whose scope applies.

    Returns
    -------
    tuple of (str, str, int)
        ``lo``, ``hi`` (half-open range of area codes) and the unit's level.

    Raises
    ------
    NotFound
        ``code`` is not a division code inside the actor's scope.

    Examples
    --------
    >>> a = Actor(user_id=1, name="x", role="commander", scope_code="530424000000")
    >>> unit_range("530424100000", a)
    ('530424100', '530424101', 4)
    """
    try:
        level = division_level(code)
        lo, hi = scope_range(code)
    except CodeError as exc:
        raise no_jurisdiction(code) from exc
    if not in_scope(actor.scope_code, code):
        raise no_jurisdiction(code)
    return lo, hi, level


def point(lon: float, lat: float) -> WKTElement:
    """Return a CGCS2000 point for a geometry column.

    Parameters
    ----------
    lon, lat : float
        Degrees.

    Returns
    -------
    geoalchemy2.elements.WKTElement
        ``POINT(lon lat)`` with SRID 4490.
    """
    return WKTElement(f"POINT({lon!r} {lat!r})", srid=SRID)


def append_event(
    session: Session,
    case: Case,
    actor: Actor,
    action: str,
    from_state: str | None,
    to_state: str | None,
    *,
    note: str | None = None,
    payload: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Append one entry to the case's event log (same transaction as the change).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case : Case
        The case (flushed, with its id).
    actor : Actor
        Who acted.
    action : str
        Action name.
    from_state, to_state : str or None
        States before and after.
    note : str, optional
        Free text.
    payload : mapping, optional
        Action parameters.
    at : datetime, optional
        Time of the action (default: the transaction time).

    Returns
    -------
    CaseEvent
        The new, pending row.
    """
    event = CaseEvent(
        case_id=case.id,
        area_code=case.area_code,
        actor_id=actor.user_id,
        actor_name=actor.name[:50],
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        payload=dict(payload) if payload else None,
    )
    if at is not None:
        event.at = at
    session.add(event)
    return event


def audit_case(
    session: Session, actor: Actor, action: str, case: Case, detail: Mapping[str, Any]
) -> None:
    """Record a successful case action in the audit log.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    actor : Actor
        Who acted.
    action : str
        Action name (logged as ``case.<action>``).
    case : Case
        The case.
    detail : mapping
        Facts without personal data.
    """
    audit.record(
        session,
        actor_id=actor.user_id,
        actor_name=actor.audit_name,
        action=f"case.{action}",
        object_type="case",
        object_id=str(case.id),
        outcome="ok",
        detail=detail,
    )


def flush_case(session: Session) -> None:
    """Flush, turning a lost optimistic-concurrency race into :class:`Conflict`.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.

    Raises
    ------
    Conflict
        Another transaction changed the case first.
    """
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict("案件刚被他人修改，请刷新后重试") from exc


RAISE_LIMITS = "重复反映提高风险等级"
"""Why a repeat report's raise (:func:`raise_risk`) brought a case's limits forward."""


@dataclass(frozen=True)
class RiskRaised:
    """What :func:`raise_risk` changed: for the event's note and payload."""

    note: str
    payload: dict[str, Any]


def raise_risk(
    case: Case, risk_level: int, cfg: dict[str, Any] | None, *, granted: datetime | None = None
) -> RiskRaised:
    """Raise ``case``'s risk to ``risk_level`` (never lower it) and bring its limits forward.

    The 联系时限 and 办结时限 become those of the new risk, as 分流 sets them, where that is
    sooner (:func:`layers.deadlines.sooner`): a case raised to 红色 by repeat reports kept
    the limits of its old risk and sorted below its own red repeat (trial AZ S2). Every place
    that raises a risk (a repeat report linked to the case) goes through here. An extension
    approved (批准延期, ``granted``) holds: a person decided that date, so the 办结时限 is not
    brought before it, and the timeline says the approved date stands (the 联系时限 still
    tightens), for the level that approved it to reconsider.

    Parameters
    ----------
    case : Case
        The case raised (not flushed here).
    risk_level : int
        The risk it is raised to (clipped to 1, red); one at or below its own leaves it.
    cfg : dict or None
        Deadline configuration (:func:`layers.deadlines.load`); ``None``: the built-in limits.
    granted : datetime, optional
        The 办结时限 an extension approved set (:func:`layers.deadline_extensions.granted`):
        the raise does not bring the 办结时限 before it.

    Returns
    -------
    RiskRaised
        ``note``: what the timeline adds (「，办结时限仍为批准延期的 …」, or empty);
        ``payload``: ``risk_from``, ``risk_to``, each limit brought forward
        (``contact_deadline_to``, ``deadline_to``, ISO 8601, and each with its time before in
        ``deadline_changes``, :func:`layers.deadlines.move`, which the timeline says) and
        ``deadline_kept``, the approved date that held.
    """
    before = case.risk_level
    case.risk_level = max(1, min(before, risk_level))
    payload: dict[str, Any] = {"risk_from": before, "risk_to": case.risk_level}
    if case.risk_level == before:
        return RiskRaised("", payload)
    moved = deadlines.sooner(
        case.category,
        case.risk_level,
        case.reported_at,
        case.contact_deadline,
        case.deadline,
        cfg,
    )
    said = []
    changes = []
    if moved.contact_moved and moved.contact_deadline is not None:
        changes += deadlines.move(case, RAISE_LIMITS, contact=moved.contact_deadline)
        payload["contact_deadline_to"] = moved.contact_deadline.isoformat()
    if moved.deadline_moved and moved.deadline is not None and case.deadline is not None:
        to = moved.deadline if granted is None else max(moved.deadline, granted)
        if to >= case.deadline:  # the approved extension holds (trial AX S5)
            payload["deadline_kept"] = case.deadline.isoformat()
            said.append(f"办结时限仍为批准延期的 {case.deadline.astimezone(CHINA):%Y-%m-%d %H:%M}")
        else:
            changes += deadlines.move(case, RAISE_LIMITS, deadline=to)
            payload["deadline_to"] = to.isoformat()
    # the limits brought forward are said with their times before (trial BA M4)
    return RiskRaised("".join(f"，{s}" for s in said), deadlines.with_changes(payload, changes))


def _retired_grid(session: Session, code: str | None) -> str | None:
    """Return why the grid ``code`` a case names cannot take it (retired), or None."""
    grid = session.get(Grid, code) if code is not None else None
    if grid is None or grid.retired_on is None:
        return None
    said = f"网格 {grid.name}（{grid.code}）已于{grid.retired_on.isoformat()}撤销"
    heir = session.get(Grid, grid.successor_code) if grid.successor_code is not None else None
    return f"{said}，请用继承网格 {heir.name}（{heir.code}）" if heir is not None else said


def default_handling_level(actor: Actor, case_level: int) -> int:
    """Return the level that handles a case ``actor`` registers, when the registrar names none.

    The registrar's own level: a county operator's registration waits in the county's queue
    until the county triages, hands down or escalates it, and a village keeps its small matter
    (小事不出村) until it 上报s it (trial AH M1, M2: every registration went to the township,
    said 已交办 or 已上报 though nobody had). A grid worker's report (上报事件) goes to the
    township's desk, which dispatches. Never below the case's own unit (a case located only to
    its township is handled by the township or above).

    Parameters
    ----------
    actor : Actor
        Who registers.
    case_level : int
        The level of the case's unit (1 province … 5 village).

    Returns
    -------
    int
        1 (province) … 5 (village).

    Examples
    --------
    >>> county = Actor(1, "县值班员", "commander", "530424000000")
    >>> village = Actor(2, "村值班员", "commander", "530424100001")
    >>> worker = Actor(3, "网格员", "grid_worker", "530424100001")
    >>> default_handling_level(county, 5), default_handling_level(village, 5)
    (3, 5)
    >>> default_handling_level(worker, 5), default_handling_level(county, 3)
    (4, 3)
    """
    own = 4 if actor.role == Role.GRID_WORKER else actor.level
    return min(own, case_level)


def register(
    session: Session,
    *,
    actor: Actor,
    channel: str,
    category: str,
    title: str,
    reported_at: datetime,
    lon: float | None = None,
    lat: float | None = None,
    area_code: str | None = None,
    grid_code: str | None = None,
    subcategory: str | None = None,
    description: str | None = None,
    address: str | None = None,
    risk_level: int = 4,
    handling_level: int | None = None,
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    external_no: str | None = None,
    dedupe_radius_m: float = DEDUPE_RADIUS_M,
    dedupe_days: int = DEDUPE_DAYS,
    limits_config: dict[str, Any] | None = None,
) -> Registration:
    """Register a case from any channel (统一登记), linking it to an open original if repeated.

    A report is a repeat when an open case of the same category and subcategory lies within
    ``dedupe_radius_m`` (geodesic), was reported within ``dedupe_days`` before it, and has its
    address or its caller's number (:func:`layers.repeat_match.same_matter`). The new case
    gets ``duplicate_of``; the original's ``repeat_count`` rises by one and its risk by one
    level (4 blue → 1 red), with an event on both (:func:`link_repeat`). Of the type and place
    alone, it is only a 疑似重复 (trial BA S4): a ``repeat_suspected`` event on the new case
    names the original, linked to nothing. An address naming another township of the county
    than the one the point lies in is marked 地址与位置不符 as an imported order's is: the
    ``register`` event's note and payload (:func:`layers.address_townships.at_place`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Who registers.
    channel : str
        A :class:`~layers.model.Channel` code.
    category : str
        A :class:`~layers.model.Category` code.
    title : str
        Short description.
    reported_at : datetime
        When the matter was reported (timezone-aware).
    lon, lat : float, optional
        Location (CGCS2000); locates the village and grid when codes are not given.
    area_code : str, optional
        12-digit jurisdiction code; required without a location.
    grid_code : str, optional
        15-digit grid code.
    subcategory : str, optional
        E.g. a :class:`~layers.model.DisputeType` code.
    description, address, reporter_name, reporter_phone, external_no : str, optional
        Details; ``external_no`` is the channel's own number (12345 work-order number …).
    risk_level : int
        1 red … 4 blue.
    handling_level : int, optional
        Level that handles the case; default :func:`default_handling_level` (the registrar's
        own level, a grid worker's report the township's).
    dedupe_radius_m, dedupe_days : float, int
        Repeat detection window.
    limits_config : dict, optional
        Deadline configuration (:func:`layers.deadlines.load`).

    Returns
    -------
    Registration
        The new case and the original it repeats, if any.

    Raises
    ------
    InvalidInput
        Unknown channel or category, a grid worker's channel not his
        (:data:`layers.workflow.WORKER_CHANNELS`), a subcategory not of the category (naming those
        that are, :func:`_triaged_subcategory`), bad risk/level, no location, a location outside
        every jurisdiction, or a resident ID or mobile number in the title, description or address
        (read in clear by every level: the reporter's phone has its own masked field,
        :func:`layers.free_text.refuse_personal_numbers`), or given as the channel's number
        (:func:`layers.free_text.refuse_personal_work_order_number`).
    Forbidden
        The role may not register, or the case lies outside the actor's scope.
    Conflict
        The channel's external number is already registered.
    """
    if actor.role not in workflow.FIELD:
        raise Forbidden(f"{Role.label_of(actor.role)}不能登记案件")
    if channel not in Channel.labels():
        raise InvalidInput(f"来源渠道无效，可选：{'、'.join(Channel.labels().values())}")
    if actor.role == Role.GRID_WORKER and channel not in workflow.WORKER_CHANNELS:
        ways = "、".join(Channel.label_of(c) for c in workflow.WORKER_CHANNELS)
        raise InvalidInput(f"网格员上报的来源渠道只能是{ways}，收到“{Channel.label_of(channel)}”")
    if category not in Category.labels():
        raise unknown_category()
    # a subcategory of the category's code table only, as a triage's (trial AU m1: 矛盾纠纷 /
    # wage_arrears was registered, and shown so)
    subcategory = _triaged_subcategory(category, subcategory, None)
    if not 1 <= risk_level <= 4:
        raise InvalidInput(RISK_RANGE)
    if not title.strip():
        raise InvalidInput("请填写事项标题")
    refuse_personal_numbers(title, field="事项标题", advice=CASE_TEXT)
    refuse_personal_numbers(description, field="情况描述", advice=CASE_TEXT)
    refuse_personal_numbers(address, field="地址", advice=CASE_ADDRESS)
    # before the duplicate check, whose refusal repeats the number (trial AJ M2)
    refuse_personal_work_order_number(external_no, field=f"{Channel.label_of(channel)}编号")
    # the caller's name said in the call: masked in the text every level reads (trial BA S3)
    title = mask_name_in_text(title, reporter_name) or title
    description = mask_name_in_text(description, reporter_name)
    if reported_at.tzinfo is None:
        raise InvalidInput("反映时间须注明时区")
    if (lon is None) != (lat is None):
        raise InvalidInput("经度和纬度须同时填写，或都不填")
    if lon is not None and lat is not None:
        located_area, located_grid = units_at(session, lon, lat)
        area_code = area_code or located_area
        grid_code = grid_code or located_grid
    if area_code is None:
        raise InvalidInput("请给出案件位置（经纬度，须在某个辖区内）或所在辖区")
    retired = retired_unit_refusal(session, area_code) or _retired_grid(session, grid_code)
    if retired is not None:
        raise InvalidInput(retired)
    try:
        case_level = division_level(area_code)
    except CodeError as exc:
        raise InvalidInput(str(exc)) from exc
    if not in_scope(actor.scope_code, area_code):
        raise Forbidden("该案件的位置不在您的辖区内")
    if grid_code is not None and not grid_code.startswith(area_code[:12]):
        if case_level < 5 or not in_scope(actor.scope_code, grid_code[:12]):
            raise InvalidInput(f"网格 {grid_code} 不在辖区 {area_code} 内")
    level = (
        handling_level if handling_level is not None else default_handling_level(actor, case_level)
    )
    if not 1 <= level <= 5:
        raise InvalidInput("处理层级应为 1（省）至 5（村社区）")
    _require_unit(area_code, level)
    if external_no is not None:
        taken = session.scalar(
            select(Case.code).where(Case.channel == channel, Case.external_no == external_no)
        )
        if taken is not None:
            raise Conflict(
                f"{Channel.label_of(channel)}编号 {external_no} 已登记为案件 {taken}，请勿重复登记"
            )
    case_id = int(session.scalar(text("SELECT nextval(pg_get_serial_sequence('cases', 'id'))")))
    limits = deadlines.limits_for(category, risk_level, limits_config)
    case = Case(
        id=case_id,
        code=f"{area_code[:6]}-{reported_at.astimezone(CHINA):%Y%m%d}-{case_id:08d}",
        external_no=external_no,
        channel=channel,
        category=category,
        subcategory=subcategory,
        title=title.strip()[:200],
        description=description,
        risk_level=risk_level,
        point=point(lon, lat) if lon is not None and lat is not None else None,
        address=address,
        area_code=area_code,
        grid_code=grid_code,
        state=CaseState.REGISTERED,
        handling_level=level,
        reported_at=reported_at,
        contact_deadline=reported_at + limits.contact,
        deadline=reported_at + limits.close,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
    )
    original = suspect = None
    if lon is not None and lat is not None:
        original, suspect = _find_original(
            session, case, lon, lat, radius_m=dedupe_radius_m, days=dedupe_days
        )
    if original is not None:
        case.duplicate_of = original.id
    session.add(case)
    session.flush()
    # an address naming another township than the point's, marked as an import's (trial BC)
    elsewhere = (
        address_townships.at_place(session, address, area_code)
        if case.point is not None and address is not None
        else None
    )
    append_event(
        session,
        case,
        actor,
        "register",
        None,
        CaseState.REGISTERED,
        note=address_townships.note(elsewhere) if elsewhere is not None else None,
        payload={"channel": channel, "duplicate_of": original.id if original else None}
        | (
            address_townships.registered(elsewhere, address, area_code)
            if elsewhere is not None and address is not None
            else {}
        ),
    )
    if original is not None:
        link_repeat(session, case, original, actor, limits_config, now=reported_at)
    if suspect is not None:  # the type and place only: listed, not linked (trial BA S4)
        near, metres = suspect
        append_event(
            session,
            case,
            actor,
            repeat_match.SUSPECTED,
            case.state,
            case.state,
            note=repeat_match.SUSPECTED_NOTE.format(
                code=near.code, metres=metres, days=dedupe_days
            ),
            payload={"suspected_of": near.id},
        )
    audit_case(
        session,
        actor,
        "register",
        case,
        {"channel": channel, "duplicate_of": original.id if original else None},
    )
    return Registration(case, original)


def same_matter_near(case: Case, point: Any, radius_m: float) -> list[ColumnElement[bool]]:
    """Return the conditions on another case reporting the same matter as ``case`` near ``point``.

    The repeat rule's kind and place (重复反映, :func:`register`): the same category and
    subcategory, itself no repeat, within ``radius_m`` metres (geodesic) of ``point``. Its
    time and state are the caller's: an open case reported before (a repeat), or one settled
    shortly before (:func:`layers.case_history.settled_nearby`).

    Parameters
    ----------
    case : Case
        The new report (its category and subcategory).
    point : Any
        A SQL geometry expression (SRID 4490) of where it was reported.
    radius_m : float
        How near.

    Returns
    -------
    list of sqlalchemy.ColumnElement
        Conditions to ``AND`` in a ``WHERE`` over :class:`Case`.
    """
    return [
        Case.category == case.category,
        Case.subcategory.is_not_distinct_from(case.subcategory),
        Case.duplicate_of.is_(None),
        func.ST_DWithin(func.geography(Case.point), func.geography(point), radius_m),
    ]


def link_repeat(
    session: Session,
    case: Case,
    original: Case,
    actor: Actor,
    limits_config: dict[str, Any] | None,
    *,
    now: datetime,
) -> None:
    """Record on ``original`` that ``case`` repeats it (``case.duplicate_of`` set by the caller).

    Its ``repeat_count`` rises by one and its risk by one level, its limits coming forward to
    the new risk's (:func:`raise_risk`, not before an approved extension), with a
    ``repeat_linked`` event; and a matter reported again and again raises its alert.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case : Case
        The repeat (flushed: it has its id and code).
    original : Case
        The case it repeats (locked).
    actor : Actor
        Who links.
    limits_config : dict or None
        Deadline configuration (:func:`layers.deadlines.load`).
    now : datetime
        When (the repeat's report, or the merge).
    """
    original.repeat_count += 1
    from layers import deadline_extensions  # it reads this module's helpers

    raised = raise_risk(
        original,
        original.risk_level - 1,
        limits_config,
        granted=deadline_extensions.granted(session, original.id),
    )
    append_event(
        session,
        original,
        actor,
        "repeat_linked",
        original.state,
        original.state,
        note=f"重复反映：案件 {case.code}{raised.note}",
        payload={"repeat_case_id": case.id, **raised.payload},
    )
    flush_case(session)
    repeat_alerts.raise_on_repeat(session, original, now=now)  # 集中反映


def _find_original(
    session: Session, case: Case, lon: float, lat: float, *, radius_m: float, days: int
) -> tuple[Case | None, tuple[Case, int] | None]:
    """Return the open original ``case`` repeats, else the one it only looks like, and how far.

    Of the open cases of its type within ``radius_m`` and ``days`` before it, the nearest of
    its address or caller's number (:func:`layers.repeat_match.same_matter`) is its
    original; with none, the nearest is a suspected one (疑似重复, trial BA S4).
    """
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)
    distance = func.ST_Distance(func.geography(Case.point), func.geography(point))
    query = (
        select(Case, distance)
        .where(
            Case.state.in_(workflow.OPEN_STATES),
            Case.reported_at >= case.reported_at - timedelta(days=days),
            Case.reported_at <= case.reported_at,
            *same_matter_near(case, point, radius_m),
        )
        .order_by(distance)
        .limit(50)
        .with_for_update(of=Case)
    )
    found = session.execute(query).all()
    for near, _ in found:
        if repeat_match.same_matter(
            case.address, near.address, case.reporter_phone, near.reporter_phone
        ):
            return near, None
    if not found:
        return None, None
    return None, (found[0][0], round(float(found[0][1])))


def get_case(session: Session, case_id: int, *, actor: Actor, lock: bool = False) -> Case:
    """Return the case ``case_id`` if it lies in the actor's scope.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case_id : int
        Case id.
    actor : Actor
        Whose scope applies.
    lock : bool
        Lock the row (``FOR UPDATE``) for a change.

    Returns
    -------
    Case
        The case.

    Raises
    ------
    NotFound
        No such case in scope.
    """
    # a department reads only the cases sent or 吹哨'd to it (trial AQ S2)
    query = select(Case).where(Case.id == case_id, *department_scope.case_condition(session, actor))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    case = session.scalars(query).first()
    if case is None:
        raise NotFound(NO_CASE)
    return case


def events(session: Session, case_id: int, *, actor: Actor) -> list[CaseEvent]:
    """Return the event log of a case in order.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case_id : int
        Case id.
    actor : Actor
        Whose scope applies.

    Returns
    -------
    list of CaseEvent
        Oldest first.

    Raises
    ------
    NotFound
        No such case in scope.
    """
    get_case(session, case_id, actor=actor)
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    )


def queue(
    session: Session,
    *,
    actor: Actor,
    code: str | None = None,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> list[Case]:
    """Return the open cases waiting for the level of ``code`` (default: the actor's unit).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    actor : Actor
        Whose scope applies.
    code : str, optional
        A jurisdiction inside the actor's scope.
    limit, offset : int
        Paging (limit clamped to 1–1000).
    now : datetime, optional
        The moment the order is judged at (default: now).

    Returns
    -------
    list of Case
        What needs action now first (:func:`layers.urgency.queue_order`): a dispatch late for
        its 受理, the red cases, the overdue, then the rest by risk and deadline.

    Raises
    ------
    NotFound
        ``code`` is outside the actor's scope.
    """
    unit = code or actor.scope_code
    if not in_scope(actor.scope_code, unit):
        raise no_jurisdiction(unit)
    lo, hi = scope_range(unit)
    query = (
        select(Case)
        .where(
            Case.area_code >= lo,
            Case.area_code < hi,
            Case.handling_level == division_level(unit),
            Case.state.in_(workflow.OPEN_STATES),
            *department_scope.case_condition(session, actor),
        )
        .order_by(*urgency.queue_order(now or datetime.now(UTC), deadlines.accept_minutes(session)))
        .limit(max(1, min(limit, 1000)))
        .offset(max(0, offset))
    )
    return list(session.scalars(query))


def tasks_of(
    session: Session, *, actor: Actor, limit: int = 50, now: datetime | None = None
) -> list[Case]:
    """Return the cases dispatched to the actor's worker record and not finished (我的任务).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        A grid worker (anyone else has no worker record: no tasks).
    limit : int
        At most so many (clamped to 1–500).
    now : datetime, optional
        The moment the order is judged at (default: now).

    Returns
    -------
    list of Case
        Those he has not 受理'd past their limit first (已派单 N 分钟未受理,
        :func:`layers.urgency.late_condition`), then highest risk first, then oldest deadline,
        as the queue.
    """
    if actor.worker_id is None:
        return []
    late = urgency.late_first(now or datetime.now(UTC), deadlines.accept_minutes(session))
    query = (
        select(Case)
        .join(Dispatch, Dispatch.case_id == Case.id)
        .where(Dispatch.worker_id == actor.worker_id, Dispatch.status.in_(ACTIVE_DISPATCH))
        .order_by(late, Case.risk_level, Case.deadline.nulls_last(), Case.id)
        .limit(max(1, min(limit, 500)))
    )
    return list(session.scalars(query))


def active_dispatch(session: Session, case_id: int) -> Dispatch | None:
    """Return the active dispatch of a case, if any.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case_id : int
        Case id.

    Returns
    -------
    Dispatch or None
        The assigned/accepted/arrived dispatch.
    """
    return session.scalars(
        select(Dispatch).where(Dispatch.case_id == case_id, Dispatch.status.in_(ACTIVE_DISPATCH))
    ).first()


def reopen_reason(session: Session, case_id: int) -> str | None:
    """Return why the case was sent back (重新办理), while that round is not settled again.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case_id : int
        Case id.

    Returns
    -------
    str or None
        The note of the last ``reopen`` when no ``resolve`` followed it, else ``None``.
    """
    last = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.action.in_(("reopen", "resolve")))
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).first()
    said = (last.note or "").strip() if last is not None and last.action == "reopen" else ""
    return said or None


def _close_dispatch(session: Session, case: Case, status: str, now: datetime) -> None:
    current = active_dispatch(session, case.id)
    if current is None:
        return
    current.status = status
    current.finished_at = now
    if current.worker_id is not None:  # back on duty unless he holds others, or 已离职
        free_worker(session, current.worker_id, ended=current.id)


def open_cases(session: Session, worker_id: int, *, ended: int | None = None) -> int:
    """Return how many open dispatches (已派单, 已受理, 已到场) a worker holds.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session. Nothing is flushed (a flush in the middle of an action would write the
        case twice): the count is of the rows as the database has them.
    worker_id : int
        The worker.
    ended : int, optional
        A dispatch of his just closed in the session, not flushed yet: not counted.

    Returns
    -------
    int
        The count, through the partial index ``ix_dispatches_active_worker``.
    """
    query = (
        select(func.count())
        .select_from(Dispatch)
        .where(Dispatch.worker_id == worker_id, Dispatch.status.in_(ACTIVE_DISPATCH))
    )
    if ended is not None:
        query = query.where(Dispatch.id != ended)
    with session.no_autoflush:
        return int(session.execute(query).scalar_one())


def free_worker(session: Session, worker_id: int, *, ended: int | None = None) -> None:
    """Put a busy worker back on duty once his last open dispatch has ended.

    Called after one of his dispatches was closed (办结, 退回, 撤回派单, 上报 …). His row is
    locked first, then his open dispatches counted, as :func:`layers.dispatch.assign` does: of
    two of his dispatches ending at once, the second to take the lock sees the first one ended
    and frees him (a count in one statement would not, each missing the other's). One who holds
    other open cases stays 处置中; one marked 已离职 meanwhile stays so.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    worker_id : int
        The worker of the dispatch just closed.
    ended : int, optional
        That dispatch, when the session has not flushed its new status yet.
    """
    with session.no_autoflush:
        status = session.execute(
            select(Worker.status).where(Worker.id == worker_id).with_for_update()
        ).scalar_one_or_none()
    if status != WorkerStatus.BUSY or open_cases(session, worker_id, ended=ended) > 0:
        return
    session.execute(
        update(Worker)
        .where(Worker.id == worker_id, Worker.status == WorkerStatus.BUSY)
        .values(status=WorkerStatus.ON_DUTY, version=Worker.version + 1)
    )


def check_version(case: Case, expected_version: int | None) -> None:
    """Raise :class:`Conflict` when the client's version is not the case's current one.

    Parameters
    ----------
    case : Case
        The locked case.
    expected_version : int or None
        The version the client saw (``None``: no check).

    Raises
    ------
    Conflict
        The case changed since the client read it; ``allowed`` lists what is possible now.
    """
    if expected_version is not None and expected_version != case.version:
        raise Conflict(
            "案件已被他人处理，请刷新后重试",
            allowed=workflow.allowed_actions(case.state, handling_level=case.handling_level),
        )


WHOLE_NUMBER_RULES = {
    "risk_level": RISK_RANGE,
    "handling_level": "处理层级应为 1（省）至 5（村）的数字",
    "satisfaction": "满意度应为 1（不满意）至 5（非常满意）",
}
"""What a whole-number parameter of an action must be, said when it is not one (trial AV m7)."""


def whole_number(params: Mapping[str, Any], name: str, default: int) -> int:
    """Return an action's whole-number parameter, or refuse it naming the parameter.

    Parameters
    ----------
    params : mapping
        The action's parameters.
    name : str
        A key of :data:`WHOLE_NUMBER_RULES`.
    default : int
        Its value when not given.

    Returns
    -------
    int
        The number.

    Raises
    ------
    InvalidInput
        Not a whole number: the rule, and what was given.

    Examples
    --------
    >>> whole_number({"risk_level": "3"}, "risk_level", 4), whole_number({}, "risk_level", 4)
    (3, 4)
    >>> whole_number({"handling_level": "township"}, "handling_level", 4)
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: 处理层级应为 1（省）至 5（村）的数字，收到“township”
    """
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        value_text = str(value)[:20]
    else:
        try:
            return int(value)
        except ValueError:
            value_text = str(value)[:20]
    raise InvalidInput(f"{WHOLE_NUMBER_RULES[name]}，收到“{value_text}”")


def _require(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or value == "" or value == []:
        # a choice names its choices (trial AX M2: 「请填写办结结果」 beside a filled 办结说明)
        choices = _PARAM_CHOICES.get(name)
        if choices is not None:
            said = "、".join(choices.values())
            raise InvalidInput(f"请填写{PARAM_LABELS[name]}：从{said}中选择一项")
        raise InvalidInput(f"请填写{PARAM_LABELS.get(name, '必填项')}")
    return value


_PARAM_CHOICES = {"outcome": workflow.OUTCOME_LABELS, "route": workflow.LEGAL_ROUTE_LABELS}
"""The action parameters that are a choice, and their choices' Chinese names."""


def note_label(action: str) -> str:
    """Return what the console calls the note of ``action`` (``退回原因``, else ``办理说明``).

    A note required (:data:`layers.workflow.NOTE_REQUIRED`) is called as the dialog asks for
    it (``上报原因``, ``办结说明`` …); another is the ``办理说明``.

    Parameters
    ----------
    action : str
        A key of :data:`layers.workflow.RULES`.

    Returns
    -------
    str
        The note's name, for a message.

    Examples
    --------
    >>> note_label("return"), note_label("resolve"), note_label("triage")
    ('退回原因', '办结说明', '办理说明')
    """
    return workflow.NOTE_REQUIRED.get(action, "办理说明")


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
    limits_config: dict[str, Any] | None = None,
) -> Case:
    """Perform a workflow action on a case.

    Parameters by action (in ``params``):

    * ``triage``: ``category``, ``subcategory``, ``risk_level``, ``handling_level`` (all
      optional); deadlines are recomputed.
    * ``dispatch``: ``worker_id`` or ``unit_code`` or ``department`` (see
      :func:`layers.dispatch.assign`).
    * ``recall`` (撤回派单): none; the note says why (required), see
      :func:`layers.dispatch.recall`.
    * ``resolve``: ``outcome`` (one of :data:`layers.workflow.OUTCOMES`); with
      ``mediation_failed`` also ``route`` (:data:`layers.workflow.LEGAL_ROUTES`), and the
      case's ``deadline`` is cleared: the legal route is not held to the centre's time limit.
    * ``evaluate`` / ``visit``: ``satisfaction`` 1–5 (optional). A ``visit`` (回访) says what
      it learned (the note, 回访情况, required) and is not made by the grid worker or department
      whose dispatch 办结'd the case (:func:`handled_by`).
    * ``archive`` (销号): none; from 已评价, never visited, the note states why no 回访 was made
      (不回访的原因, :func:`layers.workflow.note_required`).
    * ``reopen``: none; the note (why, required) goes with the next 派单 to the worker
      (:func:`reopen_reason`), and the time limits of the registration stay.
    * ``hand_down``: ``unit_code`` of the child unit (optional: the one containing the case).
    * ``supervise``: ``deadline`` (datetime after ``now``).
    * ``supervision_reply`` (督办回复): none; the note (required) is the answer, by the level
      handling a case under a 督办 (:attr:`Latest.replied`), or by the department holding its
      open dispatch (trial BA S5).
    * ``summon``: ``departments`` (list of names), optionally ``asks``: what it asks of each
      of them beside the shared note (:func:`layers.summon_asks.asks_of`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id.
    action : str
        A key of :data:`layers.workflow.RULES`.
    actor : Actor
        Who acts.
    now : datetime
        Time of the action.
    expected_version : int, optional
        The version the client saw; a different current version is a :class:`Conflict`.
    note : str, optional
        Free text for the log.
    params : mapping, optional
        Action parameters (above).
    limits_config : dict, optional
        Deadline configuration.

    Returns
    -------
    Case
        The updated case (flushed, not committed).

    Raises
    ------
    NotFound
        No such case in scope.
    Conflict
        Illegal transition (``allowed`` lists the legal ones) or concurrent change.
    Forbidden
        Role or level not permitted, a grid worker acting on a case dispatched to someone
        else (:data:`layers.workflow.OWN_DISPATCH_ACTIONS`), or the handler's own 回访.
    InvalidInput
        Missing or bad parameters, no note for an action that needs one (退回原因, 上报原因,
        办结说明, 回访情况, a 销号's 不回访的原因 …: :func:`layers.workflow.note_required`), or a
        note holding a resident ID or a mobile number
        (:func:`layers.free_text.refuse_personal_numbers`).
    """
    from layers import unsatisfied_visits

    # 回访 不满意: 重新办理 or 销号 with a reason, chosen with it (trial BA M3)
    then = unsatisfied_visits.choice(
        session, case_id, action, actor=actor, note=note, params=params
    )
    if action in workflow.EXTENSION_ACTIONS:  # 申请延期 and its decision (trial AX S5)
        from layers import deadline_extensions

        return deadline_extensions.act(
            session,
            case_id,
            action,
            actor=actor,
            now=now,
            expected_version=expected_version,
            note=note,
            params=params,
        )
    if action == "recall":  # 撤回派单: the dispatch's own (layers.dispatch.recall)
        from layers import dispatch

        return dispatch.recall(
            session, case_id, actor=actor, now=now, expected_version=expected_version, note=note
        )
    if action == "dispatch":
        from layers import dispatch

        p = dict(params or {})
        return dispatch.assign(
            session,
            case_id,
            actor=actor,
            now=now,
            expected_version=expected_version,
            worker_id=p.get("worker_id"),
            unit_code=p.get("unit_code"),
            department=p.get("department"),
            note=note,
        )
    p = dict(params or {})
    case = get_case(session, case_id, actor=actor, lock=True)
    check_version(case, expected_version)
    before = case.state
    outcome = p.get("outcome") if action == "resolve" else None
    unit, held_by = _dispatch_holder(session, case, actor, action)
    after = workflow.check(
        actor,
        action,
        state=before,
        handling_level=case.handling_level,
        outcome=outcome,
        supervised_until=case.supervision_deadline,
        now=now,
        dispatched_unit=unit,
        held_by=held_by,
    )
    bureau = None
    if action in workflow.OWN_DISPATCH_ACTIONS or _department_reply(action, actor):
        _require_own_dispatch(session, case, actor, action)
        bureau = _bureau_served(session, case, actor)
    if action == "visit" and handled_by(session, case, actor):
        raise Forbidden(f"{workflow.VISIT_BY_HANDLER_REFUSAL}：本案由您承办并办结")
    if workflow.note_required(action, before) and not (note or "").strip():
        raise InvalidInput(workflow.note_refusal(action, before))
    refuse_personal_numbers(note, field=note_label(action), advice=CASE_NOTE)
    with session.no_autoflush:  # one UPDATE of the case per action: one version step
        try:
            payload = _apply(
                session, case, action, actor=actor, now=now, params=p, cfg=limits_config
            )
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                f"{workflow.ACTION_LABELS.get(action, '办理')}的参数有误，请检查后重试"
            ) from exc
        case.state = after
    # Every action bumps the version, also those that keep the state (remind, supervise …).
    flag_modified(case, "state")
    flush_case(session)
    if action == "arrive":  # where the phone stood at 到场, and how far from the case (trial AZ M4)
        payload = {**(payload or {}), **_arrival(session, case, actor, p, now)}
    writer = actor
    if bureau is not None:  # a shared account says for which bureau it acted (trial AQ S1)
        payload = {**(payload or {}), "department": bureau}
        writer = replace(actor, name=f"{actor.name}（{bureau}）")
    append_event(session, case, writer, action, before, after, note=note, payload=payload, at=now)
    session.flush()
    audit_case(session, actor, action, case, {"from": before, "to": after, "version": case.version})
    if action == "resolve" and case.closed_at is not None:
        _tell_waiting_repeats(session, case, actor, now)
    if then is not None:
        return unsatisfied_visits.follow(
            session,
            case.id,
            then,
            actor=actor,
            now=now,
            note=note,
            params=p,
            limits_config=limits_config,
        )
    return case


NOT_A_REPEAT = "只有重复反映的案件才能并案：本案件不是重复反映"
"""Why 并案 is refused on a case that repeats nothing."""
ORIGINAL_RESOLVED = (
    "原案件 {code} 已办结：如为同一事项，请并案；如为另一事项，请解除关联后按本案件办理"
)
"""What a repeat still waiting is told once its original is 办结'd."""


def _tell_waiting_repeats(session: Session, original: Case, actor: Actor, now: datetime) -> None:
    """Tell the repeats nobody has in hand that ``original`` was just 办结'd (trial AX S3).

    A repeat registered or triaged, not dispatched, waited in 待分流 after its original was
    closed, and nobody was told. Each gets a timeline entry (原案件已办结) saying what to do:
    并案 if it is the same matter, else 解除关联. It is not closed by itself: a report linked
    by place and kind may be another matter (trial AZ M2: a retaining wall 200 m from a
    landslide).
    """
    waiting = session.scalars(
        select(Case)
        .where(
            Case.duplicate_of == original.id,
            Case.state.in_(workflow.RULES["merge"].sources),
        )
        .order_by(Case.id)
    ).all()
    note = ORIGINAL_RESOLVED.format(code=original.code)
    for repeat in waiting:
        state = repeat.state
        payload = {"original": original.id}
        append_event(
            session,
            repeat,
            actor,
            "original_resolved",
            state,
            state,
            note=note,
            payload=payload,
            at=now,
        )


def actions_open_to(
    session: Session, case: Case, actor: Actor, *, now: datetime | None = None
) -> list[str]:
    """Return the actions ``actor`` may take on ``case`` now, as :func:`act` would allow them.

    The workflow's rules (:func:`layers.workflow.allowed_actions`) less the dispatch's actions
    (受理, 到场, 办结 …) a grid worker or a department account may not take on a case in other
    hands (:func:`_require_own_dispatch`), and 督办 while one stands at ``now``. An operator
    does the dispatch's work at the case's handling level, or at the unit the dispatch was
    given to (:func:`acting_unit`, trial AU S1).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case : Case
        The case.
    actor : Actor
        Who would act.
    now : datetime, optional
        The time (a standing 督办 is not offered again, :func:`layers.workflow.supervision_stands`).

    Returns
    -------
    list of str
        Action names.
    """
    from layers import deadline_extensions  # it reads this module's helpers

    names = workflow.allowed_actions(
        case.state,
        handling_level=case.handling_level,
        actor=actor,
        supervised_until=case.supervision_deadline,
        now=now,
        dispatched_unit=acting_unit(session, case) if actor.role in workflow.OPERATORS else None,
        repeat=case.duplicate_of is not None,
        extension=deadline_extensions.standing(session, case) is not None,  # 延期 (trial AX S5)
    )
    names = deadline_extensions.offered(session, case, actor, names)
    if "summon_reply" in names and not department_scope.summoned_names(session, actor, case.id):
        names = [n for n in names if n != "summon_reply"]
    if "visit" in names and handled_by(session, case, actor):  # 回访 by another (trial AS M5)
        names = [n for n in names if n != "visit"]
    own = [n for n in names if n in workflow.OWN_DISPATCH_ACTIONS or _department_reply(n, actor)]
    if own:
        try:
            _require_own_dispatch(session, case, actor, own[0])
        except Forbidden:
            return [n for n in names if n not in own]
    return names


def _department_reply(action: str, actor: Actor) -> bool:
    """Whether ``action`` is a department's 督办回复: its own dispatch's only (trial BA S5)."""
    return action == "supervision_reply" and actor.role == Role.DEPARTMENT


def acting_unit(session: Session, case: Case) -> str | None:
    """Return the unit (下级单位) whose operators do the dispatch's work on ``case``, if any.

    Beside the operators of the level handling the case, those of the unit its dispatch was
    given to (:attr:`AssigneeKind.UNIT`: the village centre the township sent it to) 受理, feed
    back, 办结 or 退回 it (:attr:`layers.workflow.LevelRule.DISPATCH`, trial AU S1). A case on
    the legal route (调解不成) stays with the unit whose 办结 sent it there.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case : Case
        The case.

    Returns
    -------
    str or None
        The unit's code; ``None`` when the case is not in a unit's hands.
    """
    current = active_dispatch(session, case.id)
    if current is None and case.state == CaseState.LEGAL_ROUTE:
        current = settled_dispatch(session, case.id)
    if current is None or current.assignee_kind != AssigneeKind.UNIT:
        return None
    return current.unit_code


def _dispatch_holder(
    session: Session, case: Case, actor: Actor, action: str
) -> tuple[str | None, str | None]:
    """Return the unit acting on ``case`` and who holds its dispatch, for an operator's 办结 ….

    Read only for an operator's action of :attr:`layers.workflow.LevelRule.DISPATCH`: the unit
    (:func:`acting_unit`) that may act beside the handling level, and the holder's name that a
    refusal gives (「已派给县司法局」); ``(None, None)`` otherwise.
    """
    rule = workflow.RULES.get(action)
    if (
        rule is None
        or rule.level is not workflow.LevelRule.DISPATCH
        or actor.role not in workflow.OPERATORS
    ):
        return None, None
    current = active_dispatch(session, case.id)
    held_by: str | None = None
    if current is not None:
        if current.worker_id is not None:
            worker = session.get(Worker, current.worker_id)
            held_by = f"网格员{worker.name}" if worker is not None else "网格员"
        elif current.unit_code is not None:
            unit = session.get(Jurisdiction, current.unit_code)
            held_by = unit.name if unit is not None else current.unit_code
        else:
            held_by = current.department or AssigneeKind.label_of(AssigneeKind.DEPARTMENT)
    return acting_unit(session, case), held_by


def settled_dispatch(session: Session, case_id: int) -> Dispatch | None:
    """Return the dispatch whose handler 办结'd the case: its latest finished one, if any.

    A 办结 finishes the dispatch open at the time (also a 调解不成 that sends the case on the
    legal route); a dispatch 退回'd, 撤回'd or cancelled by a 上报 is not finished.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case_id : int
        Case id.

    Returns
    -------
    Dispatch or None
        The latest ``finished`` dispatch, ``None`` for a case settled without one.
    """
    return session.scalars(
        select(Dispatch)
        .where(Dispatch.case_id == case_id, Dispatch.status == DispatchStatus.FINISHED)
        .order_by(Dispatch.finished_at.desc().nulls_last(), Dispatch.id.desc())
        .limit(1)
    ).first()


def handled_by(session: Session, case: Case, actor: Actor) -> bool:
    """Whether ``actor`` is the grid worker or department whose dispatch 办结'd ``case``.

    Such a handler does not record the case's 回访 (trial AS M5,
    :data:`layers.workflow.VISIT_BY_HANDLER_REFUSAL`): the 回访 checks the handling with the
    parties, so it is someone else's. A department's account is named as dispatches name
    departments (its display name).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case : Case
        The case.
    actor : Actor
        Who would act.

    Returns
    -------
    bool
        ``True`` for the worker (by worker record) or the department (by name) of
        :func:`settled_dispatch`; ``False`` for operators and anyone else.
    """
    if actor.role not in (Role.GRID_WORKER, Role.DEPARTMENT):
        return False
    done = settled_dispatch(session, case.id)
    if done is None:
        return False
    if actor.role == Role.GRID_WORKER:
        return actor.worker_id is not None and done.worker_id == actor.worker_id
    return done.assignee_kind == AssigneeKind.DEPARTMENT and done.department == actor.name


def _require_own_dispatch(session: Session, case: Case, actor: Actor, action: str) -> None:
    """Refuse a grid worker or a department acting on a case not dispatched to them.

    A grid worker acts on the cases dispatched to his worker record; a department account on
    those dispatched to a department (trial Z: the county's one department account was offered
    办结 on a township's case in a grid worker's hands): to its own name (its display name, as
    dispatches name departments), or, for a county's account, to a department of its area with
    no account of its own (:func:`_has_own_account`). Operators are held by the workflow's
    level rule instead (:attr:`layers.workflow.LevelRule.DISPATCH`: the handling level, or the
    unit the dispatch was given to, :func:`acting_unit`), and do not do the work of a
    department's open dispatch when that department has an account of its own
    (:func:`department_holder`, trial BA S2, M5: the township 办结'd 县住建局's accepted order and
    the department's desk credited it with the 办结).
    """
    if actor.role in workflow.OPERATORS:
        holder = department_holder(session, case)
        if holder is not None:
            raise Forbidden(department_holds(holder, action))
        return
    if actor.role not in (Role.GRID_WORKER, Role.DEPARTMENT):
        return
    current = active_dispatch(session, case.id)
    label = workflow.ACTION_LABELS[action]
    if actor.role == Role.DEPARTMENT:
        if current is None or current.assignee_kind != AssigneeKind.DEPARTMENT:
            raise Forbidden(f"部门账号只能{label}派给职能部门的案件")
        named = current.department
        # a city's or a province's department acts on what is sent to it by name; a county's
        # shared account also on its bureaus that have no account of their own (trial AM M1)
        if (
            named
            and named != actor.name
            and (
                division_level(actor.scope_code) < 3
                or _has_own_account(session, named, case.area_code)
            )
        ):
            raise Forbidden(f"该案件派给了{named}，由{named}的账号{label}")
    elif actor.worker_id is None or current is None or current.worker_id != actor.worker_id:
        raise Forbidden(f"网格员只能{label}派给本人的案件")


@dataclass(frozen=True)
class DepartmentHolder:
    """A department holding a case's open dispatch through an account of its own.

    Attributes
    ----------
    name : str
        The department (县住建局 …), as the dispatch names it.
    accepted : bool
        It 受理'd the dispatch (已受理 or 已到场), else the dispatch waits for its 受理.
    """

    name: str
    accepted: bool


def department_holder(session: Session, case: Case) -> DepartmentHolder | None:
    """Return the department whose own account holds ``case``'s open dispatch, if one does.

    The dispatch's work (受理, 到场, 处置反馈, 办结, 退回) is then that department's: the
    operators of the level that dispatched it do not register it on its behalf (trial BA S2,
    M5), as they do for a grid worker or a department without an account of its own
    (:func:`_has_own_account`: the area's shared department account or the operators act for
    it, as before).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    case : Case
        The case.

    Returns
    -------
    DepartmentHolder or None
        The department and whether it 受理'd; ``None`` when no department with an account of
        its own holds the case's open dispatch.
    """
    current = active_dispatch(session, case.id)
    if (
        current is None
        or current.assignee_kind != AssigneeKind.DEPARTMENT
        or not current.department
        or not _has_own_account(session, current.department, case.area_code)
    ):
        return None
    return DepartmentHolder(current.department, current.status != DispatchStatus.ASSIGNED)


def department_holds(holder: DepartmentHolder, action: str) -> str:
    """Say why an operator may not take ``action`` on a case a department holds (trial BA S2).

    Parameters
    ----------
    holder : DepartmentHolder
        The department holding the case's open dispatch (:func:`department_holder`).
    action : str
        The dispatch's action refused (受理, 到场, 处置反馈, 办结 or 退回).

    Returns
    -------
    str
        The refusal, naming the department and what the operator may do instead.

    Examples
    --------
    >>> print(department_holds(DepartmentHolder("县住建局", True), "resolve"))
    该案件已派给县住建局，县住建局已受理：办结须由县住建局办理，本级不能代为办结；如需收回，请县住建局退回后再办理
    >>> print(department_holds(DepartmentHolder("县住建局", False), "return"))
    该案件已派给县住建局，尚未受理：退回须由县住建局办理，本级不能代为退回；如需改派或自行办理，请先撤回派单

    Its 退回 once 受理'd is the department's to ask for, with its reason (a user trial):

    >>> print(department_holds(DepartmentHolder("县住建局", True), "return"))
    该案件已派给县住建局，县住建局已受理：退回须由县住建局提出，本级不能代为退回；如需改派，请县住建局写明原因退回
    """
    label = workflow.ACTION_LABELS[action]
    name = holder.name
    if holder.accepted and action == "return":
        return (
            f"该案件已派给{name}，{name}已受理：退回须由{name}提出，本级不能代为退回；"
            f"如需改派，请{name}写明原因退回"
        )
    if holder.accepted:
        return (
            f"该案件已派给{name}，{name}已受理：{label}须由{name}办理，本级不能代为{label}；"
            f"如需收回，请{name}退回后再办理"
        )
    return (
        f"该案件已派给{name}，尚未受理：{label}须由{name}办理，本级不能代为{label}；"
        "如需改派或自行办理，请先撤回派单"
    )


def _bureau_served(session: Session, case: Case, actor: Actor) -> str | None:
    """Return the department a department account acts for on ``case``, if not its own name.

    A county's account acting for a bureau with no account of its own
    (:func:`_require_own_dispatch`) writes that bureau into the event, and its name beside the
    account's: 华宁县部门处置人员（县住建局）.
    """
    if actor.role != Role.DEPARTMENT:
        return None
    current = active_dispatch(session, case.id)
    named = current.department if current is not None else None
    return named if named and named != actor.name else None


_DEPARTMENT_ACCOUNT = text(
    "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'department' AND active"
    " AND display_name = :name AND scope_code = ANY(:units))"
)


def _has_own_account(session: Session, department: str, area_code: str) -> bool:
    """Whether ``department`` has a department account of its own over ``area_code``.

    A department account is named as dispatches name its department (市公安局 …): such a
    department's cases are its account's alone, so that the city's 市公安局 does not 受理 a case
    the county sent to 县住建局. A department without an account of its own is served by its
    area's shared department account (the county's one account for its bureaus), as before.
    """
    units = [enclosing_code(area_code, level) for level in range(1, division_level(area_code) + 1)]
    return bool(session.execute(_DEPARTMENT_ACCOUNT, {"name": department, "units": units}).scalar())


_KEPT = object()
"""A triage that names no subcategory (the case's is kept, if it fits the category)."""


def _triaged_subcategory(category: str, given: object, current: str | None) -> str | None:
    """Return the subcategory a triage leaves: the one given, or the current one if it fits.

    A category changed without a subcategory drops the old one when it belongs to another
    category (trial Z: 社情民意's ``infrastructure`` stayed on a case made 矛盾纠纷, shown as
    "矛盾纠纷 / infrastructure"); a subcategory given must belong to the category.

    Parameters
    ----------
    category : str
        The case's category after the triage.
    given : object
        The ``subcategory`` of the triage's parameters (``None`` clears it), or :data:`_KEPT`.
    current : str or None
        The case's subcategory before it.

    Returns
    -------
    str or None
        The subcategory code.

    Raises
    ------
    InvalidInput
        ``given`` is not a subcategory of ``category``.

    Examples
    --------
    >>> _triaged_subcategory("dispute", _KEPT, "infrastructure") is None
    True
    >>> _triaged_subcategory("dispute", _KEPT, "land")
    'land'
    >>> _triaged_subcategory("dispute", None, "land") is None
    True
    """
    table = next((t for c, t in SUBTYPES.items() if c.value == category), None)
    codes = table.labels() if table is not None else {}
    if given is _KEPT:
        return current if current in codes else None
    if given is None or given == "":
        return None
    if given not in codes:
        names = "、".join(codes.values()) or "无"
        raise InvalidInput(f"子类与类别“{Category.label_of(category)}”不符，可选：{names}")
    return str(given)


def _arrival(
    session: Session, case: Case, actor: Actor, params: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Return the facts of a 到场: the phone's position and its distance to the case.

    The phone sends a fresh fix with its 到场 (``lon``, ``lat``, optionally ``accuracy`` in
    metres); the event keeps it with the geodesic distance to the case's point, and the worker
    whose own account reports it gets it as his last position
    (:func:`layers.dispatch.report_position`). Without a fix (refused, unavailable, or
    registered by a dispatcher for him) the 到场 still counts, marked ``located: False``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case : Case
        The case arrived at.
    actor : Actor
        Who registers the 到场.
    params : mapping
        ``lon``, ``lat`` (degrees, CGCS2000) and ``accuracy`` (metres), each optional.
    now : datetime
        Time of the 到场 (and of the fix).

    Returns
    -------
    dict
        ``located``; with a fix also ``lon``, ``lat``, ``distance_m`` (whole metres, ``None``
        for a case without a point) and ``accuracy_m`` when given.

    Raises
    ------
    InvalidInput
        Only one of ``lon`` and ``lat``, or coordinates off the Earth.
    """
    lon, lat = params.get("lon"), params.get("lat")
    if lon is None and lat is None:
        return {"located": False}
    if lon is None or lat is None:
        raise InvalidInput("到场位置须同时有经度和纬度")
    try:
        lon, lat = float(lon), float(lat)
        accuracy = params.get("accuracy")
        accuracy = None if accuracy is None else float(accuracy)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("到场位置的经纬度应为数字") from exc
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("经纬度超出范围：经度应在 -180 至 180 之间，纬度应在 -90 至 90 之间")
    facts: dict[str, Any] = {"located": True, "lon": round(lon, 7), "lat": round(lat, 7)}
    spot = lonlat(case)
    facts["distance_m"] = (
        None
        if spot is None
        else round(float(geodesic_metres([lon], [lat], [spot[0]], [spot[1]])[0]))
    )
    if accuracy is not None and 0 <= accuracy < 1e6:  # a phone's own estimate, in metres
        facts["accuracy_m"] = round(accuracy)
    current = active_dispatch(session, case.id)
    if (
        current is not None
        and current.worker_id is not None
        and actor.worker_id == current.worker_id
    ):
        from layers import dispatch

        dispatch.report_position(
            session,
            current.worker_id,
            actor=actor,
            actor_worker_id=actor.worker_id,
            lon=lon,
            lat=lat,
            at=now,
        )
    return facts


def _apply(
    session: Session,
    case: Case,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    params: dict[str, Any],
    cfg: dict[str, Any] | None,
) -> dict[str, Any]:
    """Apply the side effects of ``action``; return the event payload."""
    payload: dict[str, Any] = {}
    if action == "triage":
        category = params.get("category", case.category)
        if category not in Category.labels():
            raise unknown_category()
        risk = whole_number(params, "risk_level", case.risk_level)
        level = whole_number(params, "handling_level", case.handling_level)
        if not 1 <= risk <= 4:
            raise InvalidInput(RISK_RANGE)
        if not actor.level <= level <= 5 or level < 1:
            raise InvalidInput(
                f"处理层级只能选您所在的{Level(actor.level).label}级至{Level.VILLAGE.label}级"
            )
        _require_unit(case.area_code, level)
        case.subcategory = _triaged_subcategory(
            category, params.get("subcategory", _KEPT), case.subcategory
        )
        rated = case.risk_level
        case.category = category
        case.risk_level = risk
        case.handling_level = level
        payload = deadlines.with_changes(
            {"category": category, "risk_level": risk, "handling_level": level},
            _triaged_limits(session, case, cfg, rated),
        )
    elif action in ("accept", "arrive"):
        current = active_dispatch(session, case.id)
        if current is not None:
            if action == "accept":
                current.status, current.accepted_at = DispatchStatus.ACCEPTED, now
            else:
                current.status, current.arrived_at = DispatchStatus.ARRIVED, now
    elif action == "resolve":
        outcome = _require(params, "outcome")
        if outcome not in workflow.OUTCOMES:
            raise InvalidInput(f"办结结果无效，可选：{'、'.join(workflow.OUTCOME_LABELS.values())}")
        payload = {"outcome": outcome}
        if outcome == "mediation_failed":
            if case.state == CaseState.LEGAL_ROUTE:
                raise InvalidInput("该案件已在法治化途径中，请选择其他办结结果")
            route = _require(params, "route")
            if route not in workflow.LEGAL_ROUTES:
                raise InvalidInput(
                    f"法治化途径无效，可选：{'、'.join(workflow.LEGAL_ROUTE_LABELS.values())}"
                )
            payload["route"] = route
            # the route (arbitration, review, a court) keeps its own time, not the centre's
            payload = deadlines.with_changes(
                payload, deadlines.move(case, LEGAL_ROUTE_LIMITS, deadline=None)
            )
        else:
            case.closed_at = now
        _close_dispatch(session, case, DispatchStatus.FINISHED, now)
    elif action in ("evaluate", "visit"):
        if params.get("satisfaction") is not None:
            satisfaction = whole_number(params, "satisfaction", 0)
            if satisfaction not in SATISFACTION_LABELS:
                raise InvalidInput(WHOLE_NUMBER_RULES["satisfaction"])
            payload = {"satisfaction": satisfaction}
    elif action == "archive":
        case.closed_at = case.closed_at or now
    elif action == "merge":
        if case.duplicate_of is None:
            raise InvalidInput(NOT_A_REPEAT)
        case.closed_at = now
        payload = {"merged_into": case.duplicate_of}
    elif action == "reopen":
        case.closed_at = None
        case.supervision_deadline = None  # a new round: its 督办 (in the log) was of the last
        # the time limits stay those of the registration: a case reopened past them is overdue
        # at once, not given a fresh 30 days out of the overdue figures (trial AH S2); one the
        # legal route freed of its deadline gets the registration's back
        if case.deadline is None:
            limits = deadlines.limits_for(case.category, case.risk_level, cfg)
            given = case_import.source_deadline(session, case.id)
            restored = _extended(session, case, given or case.reported_at + limits.close)
            payload = deadlines.with_changes(
                payload, deadlines.move(case, REOPEN_LIMITS, deadline=restored)
            )
    elif action == "return":
        _close_dispatch(session, case, DispatchStatus.RETURNED, now)
    elif action == "escalate":
        _close_dispatch(session, case, DispatchStatus.CANCELLED, now)
        level = _next_level(case.area_code, case.handling_level, -1)
        # by_level: who escalated, which the 上报次数 KPI counts by (layers.command): a county's
        # 上报 of a case at the township's level is the county's (trial AH S3)
        payload = {"from_level": case.handling_level, "to_level": level, "by_level": actor.level}
        case.handling_level = level
    elif action == "hand_down":
        level = _next_level(case.area_code, case.handling_level, +1)
        unit = params.get("unit_code") or enclosing_code(case.area_code, level)
        try:
            unit_level = division_level(unit)
            unit_prefix = parse_division_code(unit).prefix
        except CodeError as exc:
            raise InvalidInput(str(exc)) from exc
        if unit_level != level or not case.area_code.startswith(unit_prefix):
            raise InvalidInput(
                f"{unit} 不是该案件所在的{Level(level).label}级单位，请重新选择交办对象"
            )
        # by_unit: whose 交办 it was, which the superior's 我交办的 lists (trial AM M3);
        # unit_name: the timeline's 交办至华溪镇, not only the level (trial BC)
        payload = {
            "from_level": case.handling_level,
            "to_level": level,
            "unit_code": unit,
            "unit_name": unit_name(session, unit),
            "by_unit": actor.scope_code,
        }
        case.handling_level = level
    elif action == "supervise":
        deadline = _require(params, "deadline")
        if isinstance(deadline, str):
            deadline = datetime.fromisoformat(deadline)
        if deadline.tzinfo is None:
            raise InvalidInput("督办期限须注明时区，如 2026-12-07T18:00+08:00")
        if deadline <= now:
            raise InvalidInput("督办期限须晚于现在，请重新选择")
        case.supervision_deadline = deadline
        # by_unit: whose 督办 it was, which the superior's 我督办的 lists (trial AM M3)
        payload = {"deadline": deadline.isoformat(), "by_unit": actor.scope_code}
    elif action == "summon":
        departments = _require(params, "departments")
        if isinstance(departments, str) or not isinstance(departments, Sequence):
            raise InvalidInput("吹哨部门须逐个写出部门名称")
        payload = {"departments": [str(d) for d in departments]}
        refuse_personal_numbers_in_names(
            payload["departments"], field="吹哨部门", advice=DEPARTMENT_NAMES
        )
        # from the list, or confirmed new; a name one character off is asked about (AQ S3)
        department_scope.check_summoned(
            session,
            actor,
            case.area_code,
            payload["departments"],
            new_ok=params.get("new_departments") is True,
        )
        # each department's own ask beside the shared note (trial AZ m7)
        asks = summon_asks.asks_of(params.get("asks"), payload["departments"])
        if asks:
            payload["asks"] = asks
    elif action == "summon_reply":  # a department answers a 吹哨 naming it (trial AQ S3)
        answering = department_scope.summoned_names(session, actor, case.id)
        if not answering:
            raise Forbidden("只有被吹哨的部门可以提交吹哨反馈")
        payload = {"department": answering[0]}
    return payload


LEGAL_ROUTE_LIMITS = "转法治化途径，不计办结时限"
"""Why a 办结 by the legal route (调解不成，转法治化途径) cleared the 办结时限."""
REOPEN_LIMITS = "重新办理：恢复登记时的办结时限"
"""Why a 重新办理 of a case off the legal route gave it its registration's 办结时限 again."""
TRIAGE_LIMITS = "分流：按类别和风险等级重新计算"
"""Why a 分流 moved the limits of a case the platform set them for (:func:`_triaged_limits`)."""
TRIAGE_GIVEN = "分流：按来源系统的办理时限"
"""Why a 分流 gave a case without a 办结时限 the one its source gave."""
TRIAGE_SOONER = "分流：提高风险等级，按新风险等级的时限提前"
"""Why a 分流 raising its risk brought forward the limits of a case whose source gave its
办理时限 (:func:`_triaged_limits`)."""


def _triaged_limits(
    session: Session, case: Case, cfg: dict[str, Any] | None, rated: int
) -> list[dict[str, Any]]:
    """Set the limits of ``case`` as 分流 just typed and rated it; return the changes said.

    One rule decides whose deadline wins (trial BA M4). A case whose source gave its 办理时限
    (a 12345 order, :func:`layers.case_import.source_deadline`) keeps the limits it has: the
    hotline's time, or one a later file, a repeat report's raise or an extension moved it to.
    分流 never puts them later, and brings one forward only as a raise of the risk does
    (:func:`raise_risk`): when it rates the case above ``rated`` (its risk before) and the new
    risk's limit ends sooner (:func:`layers.deadlines.sooner`). A case the platform set its
    limits for gets those of its category and risk again. An extension approved stands either
    way (trial AX S5). The timeline says each limit moved (:func:`layers.deadlines.move`).
    """
    given = case_import.source_deadline(session, case.id)
    if given is None:
        limits = deadlines.limits_for(case.category, case.risk_level, cfg)
        contact: datetime | None = case.reported_at + limits.contact
        close: datetime | None = case.reported_at + limits.close
        why = TRIAGE_LIMITS
    else:
        close = case.deadline if case.deadline is not None else given
        contact, why = case.contact_deadline, TRIAGE_GIVEN
        if case.risk_level < rated:
            kept = deadlines.sooner(
                case.category, case.risk_level, case.reported_at, contact, close, cfg
            )
            contact, close, why = kept.contact_deadline, kept.deadline, TRIAGE_SOONER
    close = _extended(session, case, close)
    return deadlines.move(case, why, contact=contact, deadline=close)


def _extended(session: Session, case: Case, deadline: datetime | None) -> datetime | None:
    """Return ``deadline``, or the later 办结时限 an extension approved (批准延期, AX S5)."""
    from layers import deadline_extensions

    extended = deadline_extensions.granted(session, case.id)
    if extended is not None and (deadline is None or extended > deadline):
        return extended
    return deadline


def _next_level(area_code: str, level: int, step: int) -> int:
    """Return the next level up (``step`` -1) or down (+1) that has a unit over ``area_code``.

    It is ``level + step`` except across the county level of a city without counties (东莞,
    中山, 儋州, 嘉峪关): a township there escalates to the city, and the city hands down to the
    township.

    Examples
    --------
    >>> _next_level("530424100001", 4, -1), _next_level("441900003001", 4, -1)
    (3, 2)
    >>> _next_level("441900003001", 2, +1), _next_level("530424100001", 2, +1)
    (4, 3)
    """
    target = level + step
    while 1 < target < 5 and not _has_unit(area_code, target):
        target += step
    return target


def _has_unit(area_code: str, level: int) -> bool:
    """Whether a level-``level`` unit contains ``area_code``.

    Not so at level 5 for a case located only to its township, nor at level 3 in a city
    without counties.
    """
    return division_level(enclosing_code(area_code, level)) == level


def _require_unit(area_code: str, level: int) -> None:
    """Refuse a handling level at which no unit contains the case (its queue would be nobody's)."""
    if not _has_unit(area_code, level):
        raise InvalidInput(f"案件所在地没有{Level(level).label}级单位，请选择其他处理层级")


def lonlat(case: Case) -> tuple[float, float] | None:
    """Return the location of a case as ``(lon, lat)``, or ``None`` without one.

    Parameters
    ----------
    case : Case
        A case read from the database (or just registered).

    Returns
    -------
    tuple of float or None
        Longitude and latitude in degrees (CGCS2000).
    """
    if case.point is None:
        return None
    if isinstance(case.point, WKTElement):
        x, y = str(case.point.data).removeprefix("POINT(").removesuffix(")").split()
        return float(x), float(y)
    shape = to_shape(case.point)
    return float(shape.bounds[0]), float(shape.bounds[1])


def mask_name(name: str | None) -> str | None:
    """Return a person's name with all but the first character masked.

    Parameters
    ----------
    name : str or None
        Full name.

    Returns
    -------
    str or None
        ``张**`` for ``张三丰``; ``*`` for a single character; ``None`` stays ``None``.

    Examples
    --------
    >>> mask_name("张三丰"), mask_name("李"), mask_name(None)
    ('张**', '*', None)
    """
    if name is None:
        return None
    name = name.strip()
    if len(name) <= 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


_NOT_A_NAME = re.compile(r"^(?:匿名|无|未知|不详|市民|群众|.(?:先生|女士|小姐|师傅|老师))$")
"""A 来电人 that names nobody (匿名, 王先生): left in the text as written."""


def mask_name_in_text(text: str | None, name: str | None) -> str | None:
    """Return ``text`` with every occurrence of the caller's ``name`` masked as :func:`mask_name`.

    A 12345 caller often says their name in the call, and the platform writes it into the
    description (``我叫马丽萍，…``), read in clear by every level, in lists and in brief.xlsx
    (trial BA S3): the name is masked there as in the reporter field, keeping the surname. A
    name of one character, or one that names nobody (匿名, 王先生), is left alone.

    Parameters
    ----------
    text : str or None
        A title or description.
    name : str or None
        The caller's name (来电人).

    Returns
    -------
    str or None
        The text with the name masked; ``text`` itself when there is nothing to mask.

    Examples
    --------
    >>> mask_name_in_text("我叫马丽萍，房东扣押押金，马丽萍要求退还", "马丽萍")
    '我叫马**，房东扣押押金，马**要求退还'
    >>> mask_name_in_text("王先生反映噪音", "王先生"), mask_name_in_text("马路积水", "马")
    ('王先生反映噪音', '马路积水')
    """
    if not text or not name:
        return text
    name = name.strip()
    if len(name) < 2 or _NOT_A_NAME.match(name) or name not in text:
        return text
    return text.replace(name, mask_name(name) or "")


def mask_phone(phone: str | None) -> str | None:
    """Return a phone number with its middle digits masked.

    Numbers of 8 characters or more keep their first 3 and last 4 characters; shorter ones are
    masked entirely.

    Parameters
    ----------
    phone : str or None
        Phone number.

    Returns
    -------
    str or None
        ``138****5678`` for ``13812345678``.

    Examples
    --------
    >>> mask_phone("13812345678"), mask_phone("0871-1234"), mask_phone("12345")
    ('138****5678', '087**1234', '*****')
    """
    if phone is None:
        return None
    phone = phone.strip()
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


#: A stated reason for reading a reporter's clear contact must be at least this long
#: (:func:`layers.audit.check_reason`).
MIN_REASON_LENGTH = audit.MIN_REASON_LENGTH


@dataclass(frozen=True)
class DispatchView:
    """One dispatch of a case, with the assignee's name.

    Attributes
    ----------
    id : int
        Dispatch id.
    assignee_kind : str
        ``worker``, ``unit`` or ``department``.
    assignee_name : str
        Worker name, unit name or department.
    worker_id : int or None
        The worker, if any.
    unit_code : str or None
        The unit, if any.
    status : str
        A :class:`~layers.model.DispatchStatus` code.
    assigned_at, accepted_at, arrived_at, finished_at : datetime or None
        Progress times.
    """

    id: int
    assignee_kind: str
    assignee_name: str
    worker_id: int | None
    unit_code: str | None
    status: str
    assigned_at: datetime
    accepted_at: datetime | None
    arrived_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class LegalStep:
    """One step of a case on the legal route (法治化"路线图"), read from its event log.

    Attributes
    ----------
    at : datetime
        When.
    actor_name : str
        Who recorded it.
    outcome : str
        ``mediation_failed`` (the route begins) or ``legal_concluded`` (it ends).
    route : str or None
        ``arbitration``, ``administrative_review`` or ``litigation`` when the route begins.
    note : str or None
        The note of the step (the document's summary).
    """

    at: datetime
    actor_name: str
    outcome: str
    route: str | None
    note: str | None


@dataclass(frozen=True)
class RelatedCase:
    """A case linked to another as original or repeat (重复反映).

    Attributes
    ----------
    id : int
        Case id.
    code : str
        Case code.
    title : str
        Title.
    state : str
        Current state.
    channel : str
        Channel of the report.
    reported_at : datetime
        When reported.
    openable : bool
        The reader may open it (a department reads the repeats of the case it handles, not
        the repeats themselves, which are not dispatched to it).
    """

    id: int
    code: str
    title: str
    state: str
    channel: str
    reported_at: datetime
    openable: bool = True


@dataclass(frozen=True)
class CaseDetail:
    """Everything the case page shows besides the case row and its events.

    Attributes
    ----------
    original : RelatedCase or None
        The case this one repeats, if visible in scope.
    repeats : list of RelatedCase
        Cases repeating this one, oldest first.
    dispatches : list of DispatchView
        Every dispatch, oldest first.
    legal_route : list of LegalStep
        Steps of the legal route, oldest first.
    """

    original: RelatedCase | None
    repeats: list[RelatedCase]
    dispatches: list[DispatchView]
    legal_route: list[LegalStep]


def _related(case: Case) -> RelatedCase:
    return RelatedCase(
        id=case.id,
        code=case.code,
        title=case.title,
        state=case.state,
        channel=case.channel,
        reported_at=case.reported_at,
    )


_DISPATCHES = text(
    """
    SELECT d.id, d.assignee_kind, d.worker_id, d.unit_code, d.department, d.status,
           d.assigned_at, d.accepted_at, d.arrived_at, d.finished_at,
           w.name AS worker_name, j.name AS unit_name
      FROM dispatches d
      LEFT JOIN workers w ON w.id = d.worker_id
      LEFT JOIN jurisdictions j ON j.code = d.unit_code
     WHERE d.case_id = :case_id
     ORDER BY d.assigned_at, d.id
    """
)


def legal_steps(log: Sequence[CaseEvent]) -> list[LegalStep]:
    """Return the legal-route steps recorded in a case's event log.

    Parameters
    ----------
    log : sequence of CaseEvent
        The case's events, oldest first.

    Returns
    -------
    list of LegalStep
        ``resolve`` events whose outcome begins (``mediation_failed``) or ends
        (``legal_concluded``) the legal route.
    """
    steps = []
    for event in log:
        payload = event.payload or {}
        outcome = payload.get("outcome")
        if event.action == "resolve" and outcome in ("mediation_failed", "legal_concluded"):
            route = payload.get("route")
            steps.append(
                LegalStep(
                    at=event.at,
                    actor_name=event.actor_name,
                    outcome=str(outcome),
                    route=str(route) if route is not None else None,
                    note=event.note,
                )
            )
    return steps


def detail(session: Session, case_id: int, *, actor: Actor) -> CaseDetail:
    """Return the linked repeats, dispatches and legal-route steps of a case.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id.
    actor : Actor
        Whose scope applies (linked cases outside it are left out).

    Returns
    -------
    CaseDetail
        The related facts.

    Raises
    ------
    NotFound
        No such case in scope.
    """
    case = get_case(session, case_id, actor=actor)
    in_range = department_scope.case_condition(session, actor)
    original = None
    if case.duplicate_of is not None:
        found = session.scalars(select(Case).where(Case.id == case.duplicate_of, *in_range)).first()
        original = _related(found) if found is not None else None
    # a department handling the case reads that it was reported again, and when (trial AX
    # S2: 「无重复反映记录」 on an order called about three times), not the repeats themselves
    bureau = actor.role == Role.DEPARTMENT
    repeats = [
        replace(_related(c), openable=not bureau)
        for c in session.scalars(
            select(Case)
            .where(Case.duplicate_of == case.id, *([] if bureau else in_range))
            .order_by(Case.reported_at, Case.id)
        )
    ]
    dispatches = []
    for row in session.execute(_DISPATCHES, {"case_id": case.id}):
        name = row.worker_name or row.unit_name or row.department or ""
        dispatches.append(
            DispatchView(
                id=row.id,
                assignee_kind=row.assignee_kind,
                assignee_name=name,
                worker_id=row.worker_id,
                unit_code=row.unit_code,
                status=row.status,
                assigned_at=row.assigned_at,
                accepted_at=row.accepted_at,
                arrived_at=row.arrived_at,
                finished_at=row.finished_at,
            )
        )
    return CaseDetail(
        original, repeats, dispatches, legal_steps(events(session, case_id, actor=actor))
    )


def escalation_target(case: Case) -> int | None:
    """Return the level a 上报 of ``case`` would send it to, or ``None`` at the top.

    The dialogs name it (上报至市级, trial AH S1: a county's 上报 of a case at the township's
    level went to the county, and nothing said so).

    Parameters
    ----------
    case : Case
        The case.

    Returns
    -------
    int or None
        The next level up that has a unit over the case (:func:`_next_level`).
    """
    if case.handling_level <= 1:
        return None
    return _next_level(case.area_code, case.handling_level, -1)


def unit_name(session: Session, code: str) -> str | None:
    """Return the name of the unit ``code`` as the session reads it (``None``: not read).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    code : str
        12-digit jurisdiction code.

    Returns
    -------
    str or None
        Its name.
    """
    return session.scalar(select(Jurisdiction.name).where(Jurisdiction.code == code))


def hand_down_unit(session: Session, case: Case) -> dict[str, str | None] | None:
    """Return the unit a 交办 of ``case`` would send it to (``code``, ``name``), or ``None``.

    The unit of the next level down that encloses the case (:func:`hand_down_target`), which
    the dialog names (交办至华溪镇) where it named only the level.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    case : Case
        The case.

    Returns
    -------
    dict or None
        ``code`` and ``name`` (``None`` when the reader cannot read it); ``None`` at the bottom.
    """
    level = hand_down_target(case)
    if level is None:
        return None
    code = enclosing_code(case.area_code, level)
    return {"code": code, "name": unit_name(session, code)}


def hand_down_target(case: Case) -> int | None:
    """Return the level a 交办 of ``case`` would send it to, or ``None`` at the bottom.

    Parameters
    ----------
    case : Case
        The case.

    Returns
    -------
    int or None
        The next level down that has a unit over the case (:func:`_next_level`).
    """
    if case.handling_level >= 5:
        return None
    return _next_level(case.area_code, case.handling_level, +1)


#: The actions :func:`latest` reads from a case's log.
LATEST_ACTIONS = (
    "accept",
    "dispatch",
    "return",
    "resolve",
    "reopen",
    "supervise",
    "supervision_reply",
    "escalate",
    "hand_down",
    *summon_replies.ACTIONS,
)


@dataclass(frozen=True)
class EventFact:
    """One event of a case as a desk reads it beside the case's row.

    Attributes
    ----------
    action : str
        The action.
    at : datetime
        When.
    actor_name : str
        Who.
    note : str or None
        What was said (退回原因, 办理说明, 督办意见 …).
    payload : dict
        Its parameters (``outcome``, ``deadline``, ``from_level`` …); a standing 督办's also
        ``by_unit_name``, the name of its ``by_unit`` (:func:`latest`).
    """

    action: str
    at: datetime
    actor_name: str
    note: str | None
    payload: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """Return it as the API gives it."""
        return {
            "action": self.action,
            "at": self.at.isoformat(),
            "actor_name": self.actor_name,
            "note": self.note,
            "payload": self.payload,
        }


@dataclass
class Latest:
    """What a desk must read beside a case's row before it acts (trial AH M3, M5, M6).

    Attributes
    ----------
    returned : EventFact or None
        The 退回 not followed by another 派单 (nor a 上报 or 交办): who sent it back and why.
    resolved : EventFact or None
        The 办结 of a case settled now (its outcome and 办结说明), before 评价, 回访, 销号.
    supervised : EventFact or None
        The 督办 standing (its 督办意见 and deadline), while the case is under it.
    replied : EventFact or None
        The latest 督办回复 to that 督办 (what the level handling the case answered), or ``None``
        while it is unanswered (trial AQ M2).
    moved : EventFact or None
        The last 上报 or 交办 (from and to which level): the desk says 已上报 or 已交办 only
        after one.
    reopened : EventFact or None
        The 重新办理 of the round not settled again: why.
    dispatched_unit : str or None
        The unit whose operators do the dispatch's work beside the handling level
        (:func:`acting_unit`): the case's allowed actions read it (trial AU S1). Not in
        :meth:`as_json`.
    awaiting : layers.urgency.Waiting or None
        The dispatch not 受理'd yet: since when, its limit and to whom (已派单 N 分钟未受理,
        trial AZ M7).
    summoned : list of layers.summon_replies.Answer
        While the case is open, each department a 吹哨 of it named and whether it has answered
        since (:func:`layers.summon_replies.answers`, the rule the department's desk reads):
        the summoning level's queue row says 「吹哨 已反馈 1/2」 (a user trial: it said
        nothing while the department's desk said 已反馈).
    taken_up : bool
        Whether the case was ever 受理'd: its 联系时限 was met then, whatever came after (a
        退回, a 上报), so it is marked 联系时限已过 no more (:func:`layers.urgency.contact_passed`).
    """

    returned: EventFact | None = None
    resolved: EventFact | None = None
    supervised: EventFact | None = None
    replied: EventFact | None = None
    moved: EventFact | None = None
    reopened: EventFact | None = None
    dispatched_unit: str | None = None
    awaiting: urgency.Waiting | None = None
    summoned: list[summon_replies.Answer] = field(default_factory=list)
    taken_up: bool = False

    def as_json(self) -> dict[str, Any]:
        """Return it as the API gives it (``None`` for what does not apply)."""
        return {
            name: fact.as_json() if fact is not None else None
            for name, fact in (
                ("returned", self.returned),
                ("resolved", self.resolved),
                ("supervised", self.supervised),
                ("replied", self.replied),
                ("moved", self.moved),
                ("reopened", self.reopened),
            )
        } | {
            "awaiting": self.awaiting.as_json() if self.awaiting is not None else None,
            "summon": self.summon_json(),
            "taken_up": self.taken_up,
        }

    def summon_json(self) -> dict[str, Any] | None:
        """Return the 吹哨 standing as the API gives it, or ``None`` without one.

        Returns
        -------
        dict or None
            ``departments`` (each ``name``, ``asked_at``, ``answered_at``, in the order
            named), ``answered`` and ``total`` (how many of them have answered, of how many).
        """
        if not self.summoned:
            return None
        return {
            "departments": [a.as_json() for a in self.summoned],
            "answered": sum(a.answered_at is not None for a in self.summoned),
            "total": len(self.summoned),
        }


def latest(session: Session, found: Sequence[Case]) -> dict[int, Latest]:
    """Return what a desk reads beside each case: 退回, 办结, 督办 and 回复, 上报/交办, 吹哨 ….

    One read of the cases' events of :data:`LATEST_ACTIONS` (the ``case_id`` index), one
    of their dispatches to a unit (:attr:`Latest.dispatched_unit`), one of those not
    受理'd yet (:attr:`Latest.awaiting`), and, when a 督办 stands with its unit's code
    (``by_unit``), one of those units' names: its payload's ``by_unit_name`` (玉溪市, the
    county's 被督办 said no one, a user trial).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    found : sequence of Case
        The cases listed (their current state and 督办时限 decide what still applies).

    Returns
    -------
    dict of int to Latest
        By case id; every case given has one.
    """
    out = {case.id: Latest() for case in found}
    if not out:
        return out
    rows = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id.in_(out), CaseEvent.action.in_(LATEST_ACTIONS))
        .order_by(CaseEvent.case_id, CaseEvent.id)
    )
    said: dict[int, list[summon_replies.Said]] = {}
    for event in rows:
        facts = out[event.case_id]
        if event.action in summon_replies.ACTIONS:
            said.setdefault(event.case_id, []).append(
                summon_replies.Said(
                    event.id, event.action, event.at, event.actor_name, event.payload or {}
                )
            )
            continue
        fact = EventFact(
            event.action, event.at, event.actor_name, event.note, dict(event.payload or {})
        )
        if event.action == "return":
            facts.returned = fact
        elif event.action == "dispatch":
            facts.returned = None
        elif event.action in ("escalate", "hand_down"):
            facts.returned, facts.moved = None, fact
        elif event.action == "resolve":
            facts.resolved, facts.reopened = fact, None
        elif event.action == "reopen":
            facts.resolved, facts.supervised, facts.reopened = None, None, fact
            facts.replied = None
        elif event.action == "supervision_reply":
            facts.replied = fact
        elif event.action == "accept":
            facts.taken_up = True
        else:  # supervise: a new 督办 is unanswered
            facts.supervised, facts.replied = fact, None
    for case in found:
        facts = out[case.id]
        if case.state not in workflow.DONE_STATES:
            facts.resolved = None
        if case.supervision_deadline is None:
            facts.supervised, facts.replied = None, None
        if case.state in workflow.OPEN_STATES and case.id in said:
            facts.summoned = summon_replies.answers(said[case.id])
    _name_supervising_units(session, out.values())
    _read_dispatched_units(session, found, out)
    for case_id, waiting in urgency.read(session, found).items():
        out[case_id].awaiting = waiting
    return out


#: The states in which a case's dispatch has work to do (受理 … 办结): a unit may hold it (not
#: every state of the 督办回复, which shares the dispatch's level rule).
_DISPATCH_WORK = frozenset(
    state for name in workflow.OWN_DISPATCH_ACTIONS for state in workflow.RULES[name].sources
)


def _name_supervising_units(session: Session, facts: Iterable[Latest]) -> None:
    """Give each standing 督办 with a ``by_unit`` its unit's name, ``by_unit_name``: one read."""
    standing = {
        id(f): (f, f.supervised, str(f.supervised.payload["by_unit"]))
        for f in facts
        if f.supervised is not None and f.supervised.payload.get("by_unit")
    }
    if not standing:
        return
    codes = sorted({code for _, _, code in standing.values()})
    rows = session.execute(
        select(Jurisdiction.code, Jurisdiction.name).where(Jurisdiction.code.in_(codes))
    )
    names = {str(code): str(name) for code, name in rows}
    for f, fact, code in standing.values():
        f.supervised = replace(fact, payload=fact.payload | {"by_unit_name": names.get(code)})


def _read_dispatched_units(session: Session, found: Sequence[Case], out: dict[int, Latest]) -> None:
    """Set each case's :attr:`Latest.dispatched_unit`, as :func:`acting_unit` gives it."""
    held = [case.id for case in found if case.state in _DISPATCH_WORK]
    if not held:
        return  # nothing in anyone's hands: no read
    legal = [case.id for case in found if case.state == CaseState.LEGAL_ROUTE]
    rows = session.execute(
        select(Dispatch.case_id, Dispatch.assignee_kind, Dispatch.unit_code)
        .where(
            Dispatch.case_id.in_(held),
            Dispatch.status.in_(ACTIVE_DISPATCH)
            | (Dispatch.case_id.in_(legal) & (Dispatch.status == DispatchStatus.FINISHED)),
        )
        # the latest finished one last: it is the one that sent the case on the legal route
        .order_by(Dispatch.case_id, Dispatch.finished_at.asc().nulls_first(), Dispatch.id)
    )
    for case_id, kind, unit_code in rows:
        out[case_id].dispatched_unit = unit_code if kind == AssigneeKind.UNIT else None


#: The refusal of a reporter's clear contact to a reader without the right nor the case's work.
NO_REPORTER_RIGHT = "您没有查看反映人完整信息的权限"
#: The refusal to a grid worker the case is not dispatched to.
NOT_OWN_REPORTER = "网格员只能查看派给本人的案件的反映人信息"
#: The refusal to a department whose open dispatch the case is not (trial BA M2).
NOT_HELD_REPORTER = "部门只能查看派给本部门、尚未办结的案件的反映人信息"
#: What the audit entry of a refused reporter read keeps of a reason given for a case not in
#: the reader's scope (its reporter's values are not read, so the reason cannot be cleared of them).
REPORTER_REASON_NOT_KEPT = "（案件不存在或不在辖区内，事由未记录）"


def reporter_refusal(session: Session, case: Case, actor: Actor, *, can_unmask: bool) -> str | None:
    """Say why ``actor`` may not read the reporter's clear contact of ``case``, or ``None``.

    Those who must phone the reporter (联系时限, 回访, trial AS M2) may, without the unmask
    right an administrator grants: the grid worker the case is dispatched to now, the
    department holding its open dispatch (trial BA M2: 人社局 phoned the centre for the number
    of each 欠薪 caller), and the operators (commander, dispatcher) of the level handling the
    case until its 销号. Others
    who take part in handling cases need the right; a grid worker, right or not, reads only the
    reporter of a case dispatched to him. Every read gives a reason and is audited
    (:func:`reporter_contact`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case : Case
        The case (in the actor's scope).
    actor : Actor
        Who would read.
    can_unmask : bool
        The reader's unmask flag; only in effect does it count
        (:func:`layers.accounts.unmask_effective`: a city account flagged before the rule that
        it may not hold reads no reporter, as it reads no person).

    Returns
    -------
    str or None
        The refusal (Chinese), ``None`` when the reader may.
    """
    can_unmask = unmask_effective(actor.role, can_unmask=can_unmask, scope_code=actor.scope_code)
    if actor.role not in workflow.FIELD:
        return NO_REPORTER_RIGHT
    if actor.role == Role.GRID_WORKER:
        current = active_dispatch(session, case.id)
        if actor.worker_id is None or current is None or current.worker_id != actor.worker_id:
            return NOT_OWN_REPORTER
        return None
    if actor.role == Role.DEPARTMENT:  # the caller it must phone back (trial BA M2)
        try:
            _require_own_dispatch(session, case, actor, "accept")
        except Forbidden:
            return NOT_HELD_REPORTER
        return None
    if can_unmask:
        return None
    if (
        actor.role in workflow.OPERATORS
        and actor.level == case.handling_level
        and case.state != CaseState.ARCHIVED
    ):
        return None
    return NO_REPORTER_RIGHT


def reporter_contact(
    session: Session, case_id: int, *, actor: Actor, can_unmask: bool, reason: str
) -> tuple[str | None, str | None]:
    """Return a case reporter's clear name and phone to those who may read it, audited.

    Who may: :func:`reporter_refusal` (the unmask right, or the case's own work: the grid
    worker it is dispatched to, the department holding its open dispatch, the operators of
    the level handling it).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    case_id : int
        Case id.
    actor : Actor
        Who reads.
    can_unmask : bool
        The reader's unmask permission.
    reason : str
        Why the clear contact is needed (written to the audit log, so a real reason without
        personal data: no resident ID or mobile number, nor the reporter's own name or phone,
        :func:`layers.audit.check_reason`).

    Returns
    -------
    tuple of (str or None, str or None)
        Name and phone.

    Raises
    ------
    Forbidden
        The reader takes no part in handling cases (an analyst), is a grid worker the case is
        not dispatched to, or has neither the unmask right nor the case's work
        (:func:`reporter_refusal`).
    InvalidInput
        No real reason, or one holding a resident ID, a mobile number or the reporter's own
        name or phone (the message says which, never the values).
    NotFound
        No such case in scope.

    Notes
    -----
    Each refusal is audited in ``session`` before it is raised (the caller commits it), as a
    refused person unmask is: ``denied`` (``failed`` for a reason refused), the reason the
    reader typed without personal numbers nor the reporter's own name or phone
    (:func:`layers.audit.loggable_reason`; none kept for a case not in scope, whose values are
    not read), and what the reader was told in ``detail.refused`` (trial AU m4: the entry kept
    the error message as the reason, and dropped what was typed).
    """
    stated = reason.strip()
    own: dict[str, str | None] | None = None
    try:
        if actor.role not in workflow.FIELD:
            raise Forbidden(NO_REPORTER_RIGHT)
        if can_unmask:  # a reason that is none is said before the case is looked at, as it was
            reason = audit.check_reason(reason)
        case = get_case(session, case_id, actor=actor)
        own = {"姓名": case.reporter_name, "电话": case.reporter_phone}
        refusal = reporter_refusal(session, case, actor, can_unmask=can_unmask)
        if refusal is not None:
            raise Forbidden(refusal)
        reason = audit.check_reason(reason, own=own, whose="反映人")
    except DomainError as refused:
        kept = (
            REPORTER_REASON_NOT_KEPT
            if isinstance(refused, NotFound)
            else audit.loggable_reason(stated, own)
        )
        audit.record(
            session,
            actor_id=actor.user_id,
            actor_name=actor.audit_name,
            action="case.reporter.unmask",
            object_type="case",
            object_id=str(case_id),
            outcome="denied" if isinstance(refused, Forbidden | NotFound) else "failed",
            reason=None if kept is None else kept[:500],
            detail={"refused": str(refused)},
        )
        raise
    audit.record(
        session,
        actor_id=actor.user_id,
        actor_name=actor.audit_name,
        action="case.reporter.unmask",
        object_type="case",
        object_id=str(case.id),
        outcome="ok",
        reason=reason[:500],
    )
    return case.reporter_name, case.reporter_phone
