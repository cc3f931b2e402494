"""Cases: register, read, the queue, and workflow actions with optimistic concurrency.

Actions are ``POST /api/cases/{id}/actions/{action}``; the client sends the version it saw in
``If-Match`` (``"3"`` or ``W/"3"``) or as ``version`` in the body. A stale version or an illegal
transition answers 409 with ``allowed`` listing the actions possible now. Every response carrying
a case has an ``ETag`` with its version. Every write is audited: successes inside the layer's
transaction, refusals (403/404/409/422) after the rollback.

The reporter's name and phone are masked on the server (``reporter_masked``); the clear values
come only from ``POST /{id}/reporter`` with a stated reason, audited, to a user with the unmask
permission or one who must phone the reporter (the grid worker the case is dispatched to, the
operators of the level handling it: ``can_reveal_reporter`` in ``GET /{id}/detail``).
``GET /{id}/allowed`` lists the actions possible now with their Chinese names;
``GET /{id}/detail`` gives the linked repeats, the dispatches and the legal-route steps;
``POST /{id}/unlink-repeat`` undoes a repeat link an operator finds wrong (解除关联), with a reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response, status
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from api.deps import BusinessUser, DeadlinesDep, Principal, SessionDep, utcnow
from geo.personal_numbers import mask_personal_numbers
from layers import (
    address_townships,
    audit,
    case_history,
    case_import,
    case_lists,
    case_place,
    case_reminders,
    case_repeats,
    cases,
    command,
    deadline_extensions,
    deadlines,
    dispatch,
    workflow,
)
from layers.bulk_handover import HAND_DOWN_SUPERVISE, HAND_DOWN_SUPERVISE_LABEL, offered
from layers.errors import DomainError, Forbidden, InvalidInput
from layers.model import Case, CaseEvent, Category, Role
from layers.workflow import Actor

router = APIRouter(prefix="/api/cases", tags=["cases"])

IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
"""A row id in a path (a positive bigint)."""
CodePath = Annotated[str, Path(pattern=r"^\d{12}$")]
"""A 12-digit jurisdiction code in a path."""


def actor_of(user: Principal) -> Actor:
    """Return the workflow actor of an authenticated user.

    Parameters
    ----------
    user : Principal
        The current user.

    Returns
    -------
    layers.workflow.Actor
        Id, display name (for the case's history), role, scope, (grid workers) worker record
        and login (for the audit log, :attr:`layers.workflow.Actor.audit_name`).
    """
    return Actor(
        user_id=user.id,
        name=user.display_name,
        role=user.role,
        scope_code=user.scope_code,
        worker_id=user.worker_id,
        login=user.username,
    )


@contextmanager
def audited_refusal(
    session: Session, user: Principal, action: str, object_type: str, object_id: str | None
) -> Iterator[None]:
    """Record a refused write in the audit log (after rolling its transaction back), re-raise.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The request's session.
    user : Principal
        Who tried.
    action : str
        Audit action name.
    object_type : str
        Kind of object.
    object_id : str or None
        Its id (the refusal's own, :attr:`layers.errors.DomainError.object_id`, where it has
        one: the record a duplicate repeats).

    Yields
    ------
    None
        Run the write inside the block.
    """
    try:
        yield
    except DomainError as exc:
        session.rollback()
        audit.record(
            session,
            actor_id=user.id,
            actor_name=user.username,
            action=action,
            object_type=object_type,
            object_id=exc.object_id or object_id,
            outcome="denied" if isinstance(exc, Forbidden) else "failed",
            # what the reader was told, a number typed into a field it quotes masked
            reason=mask_personal_numbers(f"{type(exc).__name__}: {exc}")[:500],
        )
        session.commit()
        raise


def parse_version(if_match: str | None, body_version: int | None) -> int:
    """Return the client's version from ``If-Match`` or the body.

    Parameters
    ----------
    if_match : str or None
        ``If-Match`` header: ``3``, ``"3"`` or ``W/"3"``.
    body_version : int or None
        ``version`` field of the body.

    Returns
    -------
    int
        The version.

    Raises
    ------
    InvalidInput
        Neither given, or the header is not a version.

    Examples
    --------
    >>> parse_version('W/"3"', None), parse_version(None, 5)
    (3, 5)
    """
    if if_match is not None:
        raw = if_match.strip().removeprefix("W/").strip('"')
        if not raw.isdigit():
            raise InvalidInput('If-Match 头应为案件版本号，例如 "3"')
        return int(raw)
    if body_version is None:
        raise InvalidInput(
            "请提供您看到的案件版本（If-Match 头或 version 字段），以免覆盖他人的处理"
        )
    return body_version


class CaseIn(BaseModel):
    """A case to register."""

    channel: str = Field(examples=["hotline_12345"])
    category: str = Field(examples=["dispute"])
    title: str = Field(min_length=1, max_length=200)
    subcategory: str | None = Field(default=None, max_length=30)
    description: str | None = Field(default=None, max_length=5000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    area_code: str | None = Field(default=None, pattern=r"^\d{12}$")
    grid_code: str | None = Field(default=None, pattern=r"^\d{15}$")
    address: str | None = Field(default=None, max_length=200)
    risk_level: int = Field(default=4, ge=1, le=4)
    handling_level: int | None = Field(default=None, ge=1, le=5)
    reported_at: datetime | None = None
    reporter_name: str | None = Field(default=None, max_length=50)
    reporter_phone: str | None = Field(default=None, max_length=30)
    external_no: str | None = Field(default=None, max_length=64)


CODED_PARAMS: dict[str, dict[str, str]] = {
    "outcome": workflow.OUTCOME_LABELS,
    "route": workflow.LEGAL_ROUTE_LABELS,
    "category": Category.labels(),
}
"""Action parameters whose value is a code with a Chinese label: the code's table."""


def coded_params(params: dict[str, Any]) -> dict[str, Any]:
    """Return an action's parameters with each coded choice given by its label as its code.

    A caller who reads the choices the refusal lists (「办结结果无效，可选：调解成功、已解决…」)
    may send the label: ``outcome`` 「已解决」 is ``resolved`` (trial BA m3). Every action's
    parameters pass here (:class:`ActionIn`, and the form of an action with photos); a value
    that is neither a code nor a label is left for the action to refuse.

    Parameters
    ----------
    params : dict
        The action's parameters as sent.

    Returns
    -------
    dict
        The same, with the labels of :data:`CODED_PARAMS` replaced by their codes.

    Examples
    --------
    >>> coded_params({"outcome": " 已解决", "route": "arbitration", "note": "x"})
    {'outcome': 'resolved', 'route': 'arbitration', 'note': 'x'}
    """
    coded = dict(params)
    for name, table in CODED_PARAMS.items():
        value = coded.get(name)
        if isinstance(value, str) and value.strip() not in table:
            codes = {label: code for code, label in table.items()}
            coded[name] = codes.get(value.strip(), value)
    return coded


class ActionIn(BaseModel):
    """Parameters of a workflow action."""

    version: int | None = Field(default=None, description="The case version you saw (or If-Match)")
    note: str | None = Field(default=None, max_length=2000)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("params")
    @classmethod
    def _coded(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Take a coded choice's label for its code (:func:`coded_params`)."""
        return coded_params(params)


def case_json(
    case: Case,
    user: Principal,
    *,
    now: datetime,
    limits_config: dict[str, Any] | None = None,
    latest: cases.Latest | None = None,
) -> dict[str, Any]:
    """Return the JSON of a case for ``user`` (reporter details only for operators).

    Parameters
    ----------
    case : layers.model.Case
        The case.
    user : Principal
        The reader.
    now : datetime
        Reference time of the deadline status.
    limits_config : dict, optional
        The deployment's deadline configuration (:data:`api.deps.DeadlinesDep`): its
        ``warn_fraction`` sets ``deadline_status``. Default the built-in limits.
    latest : layers.cases.Latest, optional
        What the desk reads beside the case (:func:`layers.cases.latest`), given as ``latest``
        (``None`` when not read).

    Returns
    -------
    dict
        Fields, ``external_no_made`` (the import made the source number: no 工单 number to
        show, :func:`layers.case_import.made_number`), ``lon``/``lat``, ``allowed_actions`` for
        this user, ``escalate_to_level`` (where a 上报 would send it, ``None`` at the top),
        ``deadline_status`` and
        ``deadline_warn_at`` (when the countdown turns to 临期; ``None`` once settled),
        ``latest``; for operators the reporter's name and phone, masked.
    """
    body: dict[str, Any] = {
        "id": case.id,
        "code": case.code,
        "external_no": case.external_no,
        "external_no_made": case_import.made_number(case.external_no),
        "channel": case.channel,
        "category": case.category,
        "subcategory": case.subcategory,
        "title": case.title,
        "description": case.description,
        "risk_level": case.risk_level,
        "address": case.address,
        "area_code": case.area_code,
        "grid_code": case.grid_code,
        "state": case.state,
        "handling_level": case.handling_level,
        "reported_at": case.reported_at.isoformat(),
        "contact_deadline": _iso(case.contact_deadline),
        "deadline": _iso(case.deadline),
        "deadline_status": deadlines.status(
            case.reported_at, case.deadline, now=now, config=limits_config
        )
        if case.state in workflow.OPEN_STATES
        else "ok",
        "deadline_warn_at": _iso(
            deadlines.warning_from(case.reported_at, case.deadline, config=limits_config)
        )
        if case.state in workflow.OPEN_STATES
        else None,
        "supervision_deadline": _iso(case.supervision_deadline),
        "closed_at": _iso(case.closed_at),
        "duplicate_of": case.duplicate_of,
        "repeat_count": case.repeat_count,
        "version": case.version,
        "allowed_actions": workflow.allowed_actions(
            case.state,
            handling_level=case.handling_level,
            actor=actor_of(user),
            supervised_until=case.supervision_deadline,  # no 督办 again while one stands
            now=now,
            # the unit a dispatch was given to does its work (trial AU S1)
            dispatched_unit=latest.dispatched_unit if latest is not None else None,
            repeat=case.duplicate_of is not None,  # 并案
        ),
        "escalate_to_level": cases.escalation_target(case),
        "latest": latest.as_json() if latest is not None else None,
    }
    location = cases.lonlat(case)
    body["lon"], body["lat"] = location if location is not None else (None, None)
    if user.role in workflow.FIELD:
        # masked on the server: the clear values only through POST /{id}/reporter (audited)
        body["reporter_name"] = cases.mask_name(case.reporter_name)
        body["reporter_phone"] = cases.mask_phone(case.reporter_phone)
        body["reporter_masked"] = True
    return body


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _no_analyst(user: Principal) -> None:
    if user.role == Role.ANALYST:
        raise Forbidden("研判分析员只能查看统计汇总，不能查看单个案件")


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a case (统一登记)")
def register(
    body: CaseIn,
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    response: Response,
) -> dict[str, Any]:
    """Register a case from any channel; repeats of an open case nearby are linked.

    Its deadlines follow the deployment's ``deadlines.toml`` over the built-in limits. An
    address naming another township than the point's is marked (``address_mismatch``, as
    ``GET /{id}`` gives it).
    """
    now = utcnow()
    with audited_refusal(session, user, "case.register", "case", None):
        result = cases.register(
            session,
            actor=actor_of(user),
            reported_at=body.reported_at or now,
            limits_config=limits,
            **body.model_dump(exclude={"reported_at"}),
        )
        session.commit()
    response.headers["ETag"] = f'"{result.case.version}"'
    out = case_json(
        result.case, user, now=now, limits_config=limits, latest=latest_of(session, result.case)
    )
    out["linked_to"] = result.duplicate_of.id if result.duplicate_of is not None else None
    # 地址与位置不符 as GET /{id} says it (trial BC: a registration is checked as an import)
    out |= address_townships.as_json(
        address_townships.for_cases(session, [result.case.id]), result.case.id
    )
    return out


class AddressCheckIn(BaseModel):
    """An address and the point a case is about to be registered at."""

    address: str | None = Field(default=None, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


@router.post("/address-check", summary="Whether an address names another township (登记前核对)")
def address_check(body: AddressCheckIn, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Return what the registration dialog warns of: an address naming another township.

    The rule of the mark a registered case gets (:func:`layers.address_townships.at_place`),
    asked before the case is registered, for a point of the caller's scope (out of it: no
    ``area_code``, no mismatch). A POST, so that the address typed stays out of the request
    logs: it may yet hold a number the registration refuses.
    """
    if user.role not in workflow.FIELD:
        raise Forbidden(f"{Role.label_of(user.role)}不能登记案件")
    return address_townships.at_point(session, body.address, body.lon, body.lat)


@router.get("", summary="A unit's cases: its queue, another stage of its work, or a search")
def queue(
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    code: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    stage: Annotated[
        case_lists.Stage | None,
        Query(
            description="queue (default), closing (待结案), escalated (已上报), overdue (辖区超期),"
            " overdue_contact (辖区联系超时: not taken up, the 联系时限 passed),"
            " recent (辖区近24小时新登记), mine (我上报的, the last 30 days), from_below"
            " (下级上报), supervised (我督办的), handed_down (我交办的), under_supervision"
            " (被督办: a superior's 督办 not answered yet) or extension_pending (待审延期:"
            " the 申请延期 the unit's level decides)"
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=case_lists.SEARCH_MAX_LENGTH,
            description="Find cases in any state: code, work-order number or title words",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Return a list of the unit's cases (default the caller's unit), with ``address_mismatch``.

    ``stage=queue`` (the default): the open cases whose handling level is the unit's level;
    ``closing``: those resolved, evaluated or visited at its level, to archive (待结案);
    ``escalated``: the open cases of its area handled above its level (已上报); ``overdue``: the
    open cases of its area past their deadline, at any level; ``overdue_contact``: those of its
    area nobody has taken up whose 联系时限 passed, at any level (the 联系超时 card's, by the
    rule of the queue's red 「联系时限 … 已过」); ``recent``: those of its area
    reported in the last 24 hours, at any level and state; ``mine``: those the caller registered
    in the last 30 days, in any state; ``from_below``: the open cases escalated to its level
    (下级上报), whoever handles them now; ``supervised``: the open cases it 督办'd (我督办的),
    each with ``acted_since``, the first thing done on it since (or ``null``); ``handed_down``:
    the open cases it 交办'd (我交办的) — these three also list, after the open ones, those
    settled in the last 30 days, each row with ``settled``, who closed it and when (else
    ``null``); ``under_supervision``: the open cases at its level, or dispatched to its centre,
    under a superior's 督办 it has not answered with a 督办回复 yet (被督办);
    ``extension_pending``: the open cases of its area whose 申请延期 its level decides, the
    level below's on its own cases among them (待审延期, none for a non-operator). ``q`` searches
    every case of the unit in any state instead, newest first, at most 50. Each case carries
    the ``reminders`` (催办) standing on it (:mod:`layers.case_reminders`) and its ``extension``
    (申请延期: the request of its current round and its decision, ``status`` ``pending`` while
    it waits; :mod:`layers.deadline_extensions`).
    """
    _no_analyst(user)
    now = utcnow()
    actor = actor_of(user)
    if q is not None:
        if stage is not None:
            raise InvalidInput("查找案件（q）时不能同时指定 stage")
        found = case_lists.search(session, actor=actor, q=q, code=code, limit=limit, offset=offset)
    else:
        found = case_lists.stage_list(
            session,
            actor=actor,
            stage=stage or case_lists.Stage.QUEUE,
            code=code,
            limit=limit,
            offset=offset,
            now=now,
        )
    rows = _case_rows(session, user, found, now=now, limits=limits)
    if q is None:
        _add_stage_facts(session, stage, found, rows, unit=code or actor.scope_code)
    return [rows[c.id] for c in found]


@router.get("/stages", summary="Several lists of a unit's cases in one read (the 调度台's)")
def stages(
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    stage: Annotated[
        list[case_lists.Stage],
        Query(min_length=1, max_length=len(case_lists.Stage), description="The lists wanted"),
    ],
    code: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, list[dict[str, Any]]]:
    """Return each ``stage`` asked for, by name, as ``GET /api/cases?stage=…`` lists it.

    The 调度台 reads its queue, 待结案, 已上报 and the tabs a level has (下级上报, 我督办的,
    我交办的, 被督办, 待审延期) on opening and after each action: one request and one read of
    the facts beside each case listed (its 催办, 申请延期, latest actions and township) instead
    of eight, since a case is often in several of them.
    """
    _no_analyst(user)
    now = utcnow()
    actor = actor_of(user)
    found = {
        wanted: case_lists.stage_list(
            session, actor=actor, stage=wanted, code=code, limit=limit, now=now
        )
        for wanted in dict.fromkeys(stage)
    }
    every = list({c.id: c for listed in found.values() for c in listed}.values())
    rows = _case_rows(session, user, every, now=now, limits=limits)
    lists: dict[str, list[dict[str, Any]]] = {}
    for wanted, listed in found.items():
        own = {c.id: dict(rows[c.id]) for c in listed}
        _add_stage_facts(session, wanted, listed, own, unit=code or actor.scope_code)
        lists[wanted.value] = [own[c.id] for c in listed]
    return lists


def _case_rows(
    session: Session,
    user: Principal,
    found: list[Case],
    *,
    now: datetime,
    limits: dict[str, Any],
) -> dict[int, dict[str, Any]]:
    """Each case's row of a list, with its 催办, 申请延期 and township (by case id)."""
    ids = [c.id for c in found]
    marks = case_reminders.marks(session, ids)
    facts = cases.latest(session, found)
    extended = deadline_extensions.latest(session, ids)
    elsewhere = address_townships.for_cases(session, ids)  # trial AX M4
    return {
        c.id: case_json(c, user, now=now, limits_config=limits, latest=facts[c.id])
        | case_reminders.as_json(marks[c.id], task=False)
        | deadline_extensions.as_json(extended[c.id], c)
        | address_townships.as_json(elsewhere, c.id)
        for c in found
    }


def _add_stage_facts(
    session: Session,
    stage: case_lists.Stage | None,
    found: list[Case],
    rows: dict[int, dict[str, Any]],
    *,
    unit: str,
) -> None:
    """Add what a stage's list says beside each case: ``acted_since``, ``settled``."""
    if stage is case_lists.Stage.SUPERVISED:
        since = case_lists.acted_since(session, list(found), unit)
        for case_id, row in rows.items():
            row["acted_since"] = since[case_id]
    if stage in case_lists.BY_EVENT:  # who closed it, and when (trial AU M2)
        settled = case_lists.settled_by(session, list(found))
        for case_id, row in rows.items():
            row["settled"] = settled[case_id]


def latest_of(session: Session, case: Case) -> cases.Latest:
    """Return what the desk reads beside one case (:func:`layers.cases.latest`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The request's session.
    case : layers.model.Case
        The case.

    Returns
    -------
    layers.cases.Latest
        Its 退回, 办结, 督办, 上报/交办 and 重新办理 that still apply.
    """
    return cases.latest(session, [case])[case.id]


def _read_case(case_id: int, user: Principal, session: Session, response: Response) -> Case:
    _no_analyst(user)
    case = cases.get_case(session, case_id, actor=actor_of(user))
    response.headers["ETag"] = f'"{case.version}"'
    return case


@router.get("/{case_id}", summary="One case")
def get_case(
    case_id: IdPath,
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    response: Response,
) -> dict[str, Any]:
    """Return a case in scope, with the actions the user may take now.

    A grid worker's or a department's are those on a case in their hands only
    (:func:`layers.cases.actions_open_to`); lists give the workflow's rules alone. The case
    carries the ``reminders`` (催办) standing on it as a listed one does: the desk reads a case
    again on each live notice, and a 催办 shown in its queue was lost so (trial AZ S1). Its
    ``extension`` is the 申请延期 of its current round, pending or decided, as listed.
    """
    case = _read_case(case_id, user, session, response)
    now = utcnow()
    body = case_json(case, user, now=now, limits_config=limits, latest=latest_of(session, case))
    body |= case_reminders.as_json(case_reminders.marks(session, [case.id])[case.id], task=False)
    extension = deadline_extensions.latest(session, [case.id])[case.id]
    body |= deadline_extensions.as_json(extension, case)
    body["allowed_actions"] = cases.actions_open_to(session, case, actor_of(user), now=now)
    # an address naming another township than the point's: 地址与位置不符 (trial AX M4)
    body |= address_townships.as_json(address_townships.for_cases(session, [case.id]), case.id)
    return body


@router.get("/{case_id}/events", summary="The event log of a case")
def case_events(case_id: IdPath, user: BusinessUser, session: SessionDep) -> list[dict[str, Any]]:
    """Return who did what and when, from which state to which."""
    _no_analyst(user)
    events = cases.events(session, case_id, actor=actor_of(user))
    return [
        event_json(e) | extra
        for e, extra in zip(events, dispatch.for_whom(session, events), strict=True)
    ]


def event_json(event: CaseEvent) -> dict[str, Any]:
    """Return the JSON of one case event.

    Parameters
    ----------
    event : layers.model.CaseEvent
        The event.

    Returns
    -------
    dict
        Its fields.
    """
    return {
        "id": event.id,
        "case_id": event.case_id,
        "area_code": event.area_code,
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": case_import.shown_actor(event.action, event.actor_id, event.actor_name),
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "note": event.note,
        "payload": event.payload,
    }


@router.post(
    "/{case_id}/actions/{action}",
    summary="Perform a workflow action",
    responses={409: {"description": "Illegal transition or stale version; lists `allowed`"}},
)
def act(
    case_id: IdPath,
    action: Annotated[str, Path(max_length=30)],
    body: ActionIn,
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> dict[str, Any]:
    """Apply ``action`` (triage, dispatch, accept, arrive, resolve, … see the workflow table).

    Triage recomputes the deadlines with the deployment's ``deadlines.toml``; reopen keeps
    those of the registration.
    """
    now = utcnow()
    with audited_refusal(session, user, f"case.{action}"[:40], "case", str(case_id)):
        version = parse_version(if_match, body.version)
        case = cases.act(
            session,
            case_id,
            action,
            actor=actor_of(user),
            now=now,
            expected_version=version,
            note=body.note,
            params=body.params,
            limits_config=limits,
        )
        session.commit()
    response.headers["ETag"] = f'"{case.version}"'
    return case_json(case, user, now=now, limits_config=limits, latest=latest_of(session, case))


class ReasonIn(BaseModel):
    """Why the clear contact of a reporter is needed."""

    reason: str = Field(min_length=1, max_length=500)


def _iso_or_none(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@router.get("/{case_id}/detail", summary="Linked repeats, dispatches and legal route of a case")
def case_detail(case_id: IdPath, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Return the original and repeats (重复反映), the dispatches and the legal-route steps.

    ``can_unlink``: the user may unlink this case from its original (解除关联).

    ``settled_nearby`` names the settled cases of the same kind this one may report again
    (:mod:`layers.case_history`): 200 m, settled within 30 days before it, the latest first.

    ``area`` and ``grid`` are the case's own unit and grid by name, kept when a re-division
    retired them (history): ``retired_on`` is then set and ``label`` ends in （已撤销）.

    ``place`` is where the case is for the page's map (:mod:`layers.case_place`): the point,
    the point in GCJ-02 for 高德地图's navigation link (``nav_lon``, ``nav_lat``), in BD-09 for
    百度地图's (``bd_lon``, ``bd_lat``) and the outline of its grid (GeoJSON); None for a case
    without a location.

    ``can_reveal_reporter``: the user may read the reporter's clear contact with a reason
    (``POST /{id}/reporter``, audited): with the unmask right, or without it as the grid worker
    the case is dispatched to or an operator of the level handling it
    (:func:`layers.cases.reporter_refusal`); ``reporter_refusal`` says why not, else None.
    """
    _no_analyst(user)
    actor = actor_of(user)
    found = cases.detail(session, case_id, actor=actor)
    case = cases.get_case(session, case_id, actor=actor)
    units = command.record_units(session, area_code=case.area_code, grid_code=case.grid_code)
    place = case_place.case_place(session, case)
    refusal = cases.reporter_refusal(session, case, actor, can_unmask=user.can_unmask)

    def related(item: cases.RelatedCase) -> dict[str, Any]:
        return {**asdict(item), "reported_at": item.reported_at.isoformat()}

    suspected = [  # what the case page shows of each, and what differs: the address
        {
            "id": s.case.id,
            "code": s.case.code,
            "title": s.case.title,
            "state": s.case.state,
            "channel": s.case.channel,
            "reported_at": s.case.reported_at.isoformat(),
            "distance_m": s.distance_m,
            "address": s.case.address,
            "openable": user.role != Role.DEPARTMENT,
        }
        for s in case_repeats.suspected_listing(session, case)
    ]
    return {
        "case_id": case_id,
        "area": units["area"],
        "grid": units["grid"],
        "place": place.as_json() if place is not None else None,
        "original": related(found.original) if found.original is not None else None,
        # 解除关联 beside the original: an operator who sees both (POST /{id}/unlink-repeat)
        "can_unlink": found.original is not None and user.role in workflow.OPERATORS,
        # who must phone the reporter reads the contact without the unmask right (trial AS M2)
        "can_reveal_reporter": refusal is None,
        "reporter_refusal": refusal,
        "repeats": [related(r) for r in found.repeats],
        # 疑似重复: the type and place of an open case, not its address (trial BA S4)
        "suspected": suspected,
        # 合并为重复反映 (POST /{id}/merge-repeat) and 不是同一事项 (POST /{id}/dismiss-suspected):
        # an operator, when there is one to decide
        "can_merge": bool(suspected) and user.role in workflow.OPERATORS,
        "dispatches": [
            {
                **asdict(d),
                "assigned_at": d.assigned_at.isoformat(),
                "accepted_at": _iso_or_none(d.accepted_at),
                "arrived_at": _iso_or_none(d.arrived_at),
                "finished_at": _iso_or_none(d.finished_at),
            }
            for d in found.dispatches
        ],
        "legal_route": [{**asdict(step), "at": step.at.isoformat()} for step in found.legal_route],
        "settled_nearby": [
            {**asdict(s), "closed_at": s.closed_at.isoformat(), "distance_m": round(s.distance_m)}
            for s in case_history.settled_nearby(session, case, scope_code=user.scope_code)
        ],
    }


@router.get("/{case_id}/allowed", summary="The actions you may take on a case now")
def allowed(
    case_id: IdPath,
    user: BusinessUser,
    session: SessionDep,
    response: Response,
) -> dict[str, Any]:
    """Return the state, version and the allowed actions with their Chinese names.

    Each action says what its note is called when it must have one (``note_required``, e.g.
    退回原因, a 销号 without 回访's 不回访的原因), else None; 上报 and 交办 the level they send
    the case to (``to_level``), 交办 also the unit (``to_unit``: ``code``, ``name``). A 上报
    offered to a level above the case's handling level is labelled 提级办理 (it takes the case
    up, trial AM N10). 交办并督办 (``hand_down_supervise``, ``POST /{id}/hand-down-supervise``)
    follows where the reader's level may 交办 its own case but not 督办 it (trial AZ m8).
    """
    case = _read_case(case_id, user, session, response)
    actor = actor_of(user)
    now = utcnow()
    names = cases.actions_open_to(session, case, actor, now=now)
    moves = {"escalate": cases.escalation_target(case), "hand_down": cases.hand_down_target(case)}
    # the unit a 交办 sends it to: the dialog's 交办至华溪镇 (trial BC)
    below = cases.hand_down_unit(session, case) if moves["hand_down"] is not None else None
    listed = [
        {
            "action": n,
            "label": workflow.action_label(
                n, actor_level=actor.level, handling_level=case.handling_level
            ),
            "note_required": workflow.note_required(n, case.state),
            "to_level": moves.get(n),
        }
        | ({"to_unit": below} if n == "hand_down" else {})
        for n in names
    ]
    if offered(case, actor, names, now=now):  # the city's own case (trial AZ m8)
        listed.append(
            {
                "action": HAND_DOWN_SUPERVISE,
                "label": HAND_DOWN_SUPERVISE_LABEL,
                "note_required": workflow.NOTE_REQUIRED["supervise"],
                "to_level": moves["hand_down"],
                "to_unit": below,
            }
        )
    return {"case_id": case.id, "state": case.state, "version": case.version, "allowed": listed}


@router.post("/{case_id}/reporter", summary="Read the reporter's clear contact (audited)")
def reporter(
    case_id: IdPath,
    body: ReasonIn,
    user: BusinessUser,
    session: SessionDep,
) -> dict[str, Any]:
    """Return the clear name and phone to one who may read them (``can_reveal_reporter``)."""
    try:  # a refusal's entry, with the reason typed, is the layer's (trial AU m4)
        name, phone = cases.reporter_contact(
            session,
            case_id,
            actor=actor_of(user),
            can_unmask=user.can_unmask,
            reason=body.reason,
        )
    except DomainError:
        session.commit()
        raise
    session.commit()
    return {"case_id": case_id, "reporter_name": name, "reporter_phone": phone}


class UnlinkIn(BaseModel):
    """Why a case linked as a repeat is not the same matter as its original."""

    reason: str = Field(min_length=1, max_length=500)
    version: int | None = None


@router.post(
    "/{case_id}/unlink-repeat",
    summary="Unlink a repeat from its original (解除关联：不是同一事项)",
    responses={409: {"description": "The case is no repeat, or its version is stale"}},
)
def unlink_repeat(
    case_id: IdPath,
    body: UnlinkIn,
    user: BusinessUser,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> dict[str, Any]:
    """Undo a repeat link an operator finds wrong, with a reason; audited.

    The original's repeat count drops and the risk the link raised is undone (not one set by
    hand since): :func:`layers.case_repeats.unlink_repeat`. The version (``If-Match`` or
    ``version``) is optional.
    """
    with audited_refusal(session, user, "case.repeat_unlink", "case", str(case_id)):
        version = (
            parse_version(if_match, body.version)
            if if_match is not None or body.version is not None
            else None
        )
        done = case_repeats.unlink_repeat(
            session, case_id, actor=actor_of(user), reason=body.reason, expected_version=version
        )
        session.commit()
    response.headers["ETag"] = f'"{done.case.version}"'
    original = done.original
    return {
        "case_id": done.case.id,
        "version": done.case.version,
        "original": {"id": original.id, "code": original.code},
        "original_repeat_count": original.repeat_count,
        "risk_from": done.risk_from,
        "risk_to": done.risk_to,
        "message": _unlinked_message(done),
    }


class MergeIn(BaseModel):
    """The original a suspected repeat is the same matter as (合并为重复反映)."""

    original_id: int = Field(gt=0)
    version: int | None = None


@router.post(
    "/{case_id}/merge-repeat",
    summary="Link a suspected repeat to its original (合并为重复反映)",
    responses={409: {"description": "Not suspected of it, a repeat already, or stale"}},
)
def merge_repeat(
    case_id: IdPath,
    body: MergeIn,
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    response: Response,
) -> dict[str, Any]:
    """Link a 疑似重复 the detail lists (``suspected``) to that original; audited.

    The original's repeat count and risk rise, its limits come forward, as a repeat linked
    by the rule: :func:`layers.case_repeats.confirm_repeat` (trial BA S4).
    """
    with audited_refusal(session, user, "case.repeat_merge", "case", str(case_id)):
        done = case_repeats.confirm_repeat(
            session,
            case_id,
            actor=actor_of(user),
            original_id=body.original_id,
            now=utcnow(),
            expected_version=body.version,
            limits_config=limits,
        )
        session.commit()
    response.headers["ETag"] = f'"{done.case.version}"'
    return {
        "case_id": done.case.id,
        "version": done.case.version,
        "original": {"id": done.original.id, "code": done.original.code},
        "original_repeat_count": done.original.repeat_count,
        "risk_from": done.risk_from,
        "risk_to": done.original.risk_level,
        "message": f"已合并：本案作为案件 {done.original.code} 的重复反映",
    }


class DismissIn(MergeIn):
    """The suspected original a case is not the same matter as (不是同一事项)."""


@router.post(
    "/{case_id}/dismiss-suspected",
    summary="Find a suspected original another matter (不是同一事项)",
    responses={409: {"description": "Not listed on the case, or stale"}},
)
def dismiss_suspected(
    case_id: IdPath,
    body: DismissIn,
    user: BusinessUser,
    session: SessionDep,
    response: Response,
) -> dict[str, Any]:
    """Take an original off the case's ``suspected`` list for good; audited.

    The timeline says who found it another matter; no import lists it again:
    :func:`layers.case_repeats.dismiss_suspected`.
    """
    with audited_refusal(session, user, "case.repeat_dismiss", "case", str(case_id)):
        done = case_repeats.dismiss_suspected(
            session,
            case_id,
            actor=actor_of(user),
            original_id=body.original_id,
            expected_version=body.version,
        )
        session.commit()
    response.headers["ETag"] = f'"{done.case.version}"'
    return {
        "case_id": done.case.id,
        "version": done.case.version,
        "original": {"id": done.original.id, "code": done.original.code},
        "message": f"已排除疑似重复：本案与案件 {done.original.code} 不是同一事项",
    }


def _unlinked_message(done: case_repeats.Unlinked) -> str:
    """Return what the console says once a repeat is unlinked."""
    said = f"已解除关联：本案不再是案件 {done.original.code} 的重复反映，将单独计入热点与趋势分析"
    if done.risk_to != done.risk_from:
        levels = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}
        said += f"；原案件风险等级由{levels[done.risk_from]}恢复为{levels[done.risk_to]}"
    return said + "。"
