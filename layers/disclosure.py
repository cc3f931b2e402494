"""Unmasked reads of a special-population record: permission, stated reason, audit entry.

Masked data is all anyone sees by default (:mod:`layers.catalog` masks names and resident IDs
in the SQL). Reading the clear resident ID and name needs the unmask permission and a reason;
every attempt, allowed or refused, is written to the audit log, without the personal data.

Who may hold the unmask permission is one rule, :func:`layers.accounts.may_hold_unmask`: the
roles that direct or visit the people of their scope (指挥中心值班员, 乡镇调度员, and a 网格员
for the scope of their own account) in a scope of a county or below, the same rule as the
persons layer's features (:func:`layers.catalog.sees_persons_individually`). A department
(部门处置人员), an analyst, an administrator or an auditor, and a province or city account
(which reads persons as counts only), never holds it: an account is not given it
(:func:`layers.accounts.create_user`, ``zongzhi user grant-unmask``), and :func:`unmask_person`
refuses such a reader even if its account carries the flag (set before the rule): a flag its
role or its scope makes void has no effect (:func:`layers.accounts.unmask_effective`); the
refusal of a wide scope names the levels that may.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import audit, visit_photos, visits_due
from layers.accounts import UNMASK_ROLES, Reader, unmask_effective, unmask_refusal
from layers.errors import Forbidden, InvalidInput, NotFound
from layers.model import Person, PersonCategory
from layers.person_attributes import attribute_details
from layers.secrets import Keys, unseal

MIN_REASON_LENGTH = audit.MIN_REASON_LENGTH
"""A shorter reason (after trimming) is refused; see :func:`layers.audit.check_reason`."""
NO_PERMISSION = "您没有查看完整个人信息的权限"
"""The refusal of a reader without the permission, or whose role makes the flag void."""
REASON_NOT_KEPT = "（人员不在辖区内，事由未记录）"
"""What the audit entry keeps of the reason of an attempt on a person not in the reader's scope.

The person's own values are not read there, so a name or an address the reason wrote could not
be told from other words (trial AJ M5: ``核实王五住址新复社区1组82号`` was kept in clear)."""


@dataclass(frozen=True)
class UnmaskedPerson:
    """The clear identity of one person.

    Attributes
    ----------
    id : int
        Record id.
    category : str
        Special-population category code.
    category_label : str
        Its Chinese name.
    name : str
        Full name.
    resident_id : str
        Clear resident ID number.
    area_code : str
        Jurisdiction of the record.
    audit_id : int
        Id of the audit entry recording this read.
    ended_on : datetime.date or None
        The day the person left the register (解除矫正, 死亡 …); ``None`` while followed up.
    ended_reason : str or None
        Why, as the roster wrote it.
    address : str or None
        The residence as written.
    lon, lat : float or None
        The residence's exact point (the masked layers blur it, trial AW M8); None where none
        is on record.
    on_record_since : datetime.date or None
        The day put on record.
    details : list of (str, str)
        The category's fields given (矫正类别, 原罪名 …), labelled in Chinese.
    visits : list of RecentVisit
        The last :data:`RECENT_VISITS` visits, the latest first.
    """

    id: int
    category: str
    category_label: str
    name: str
    resident_id: str
    area_code: str
    audit_id: int
    ended_on: date | None = None
    ended_reason: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    on_record_since: date | None = None
    details: list[tuple[str, str]] = field(default_factory=list)
    visits: list[RecentVisit] = field(default_factory=list)


RECENT_VISITS = 10
"""How many of a person's visits an unmasked read gives (the latest)."""


@dataclass(frozen=True)
class RecentVisit:
    """One visit as an unmasked read shows it: the day, who visited, what they found."""

    visited_on: date
    visitor: str | None
    note: str | None
    id: int = 0
    photos: tuple[dict[str, Any], ...] = ()
    """The visit's photos with their thumbnails (:func:`layers.visit_photos.thumbnails`)."""
    outcome: str = "met"
    """Whom it reached (:class:`layers.model.VisitOutcome` code; trial AW S2)."""


def _recent_visits(session: Session, person_id: int) -> list[RecentVisit]:
    rows = session.execute(
        text(
            "SELECT v.id, v.visited_on, w.visitor, v.note, v.outcome FROM person_visits v"
            # the worker of a visit made before the person moved here, out of the scope's
            # workers, named with the unit he visited in (migration 0043)
            " LEFT JOIN zongzhi_visitors_of(:p) w ON w.visit_id = v.id WHERE v.person_id = :p"
            " ORDER BY v.visited_on DESC, v.id DESC LIMIT :n"
        ),
        {"p": person_id, "n": RECENT_VISITS},
    ).all()
    photos = visit_photos.thumbnails(session, [int(r.id) for r in rows])
    return [
        RecentVisit(
            r.visited_on,
            r.visitor,
            r.note,
            int(r.id),
            tuple(photos.get(int(r.id), ())),
            str(r.outcome),
        )
        for r in rows
    ]


def audit_refusal(
    session: Session,
    reader: Reader,
    person_id: int,
    reason: str,
    why: str,
    own: dict[str, str | None] | None = None,
    *,
    in_scope: bool = True,
) -> None:
    """Write the audit entry of a refused unmasked read of a person (``person.unmask``, denied).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the reader (commit it after the refusal).
    reader : layers.accounts.Reader
        Who asked.
    person_id : int
        The person asked for.
    reason : str
        The reason stated: kept without personal data (:func:`layers.audit.loggable_reason`,
        the person's own values ``own`` too), or not at all outside the reader's scope.
    why : str
        The refusal, in the entry's detail.
    own : dict, optional
        The person's own values (:func:`own_values`) to leave out of the reason.
    in_scope : bool
        Whether the person lies in the reader's scope.
    """
    kept = audit.loggable_reason(reason, own) if in_scope else REASON_NOT_KEPT
    audit.record(
        session,
        actor_id=reader.user_id,
        actor_name=reader.username,
        action="person.unmask",
        object_type="person",
        object_id=str(person_id),
        outcome="denied",
        reason=kept,  # a refused reason may hold personal data
        detail={"refused": why},
    )


def own_values(person: Person, keys: Keys | None = None) -> dict[str, str | None]:
    """Return the clear values of ``person`` a stated reason must not repeat.

    Parameters
    ----------
    person : layers.model.Person
        The record.
    keys : layers.secrets.Keys, optional
        Platform keys (the seal key opens ``id_sealed``); without them the ID is left out (a
        reader refused the right: his reason's numbers are masked whatever they are).

    Returns
    -------
    dict
        姓名, 住址 and, with ``keys``, 身份证号 (:func:`layers.audit.own_values_in`).
    """
    own = {"姓名": person.name, "住址": person.address}
    return own | {"身份证号": unseal(keys, person.id_sealed)} if keys is not None else own


def _permission_refusal(reader: Reader) -> tuple[str, str] | None:
    """Return why (for the audit log) and the message, if ``reader`` may not unmask; or None."""
    if unmask_effective(reader.role, can_unmask=reader.can_unmask, scope_code=reader.scope_code):
        return None
    if not reader.can_unmask:
        return "no unmask permission", NO_PERMISSION
    if reader.role not in UNMASK_ROLES:
        return "role may not unmask", NO_PERMISSION
    wide = unmask_refusal(reader.role, reader.scope_code) or NO_PERMISSION  # names the levels
    return "scope too wide to unmask", wide


def unmask_person(
    session: Session, reader: Reader, person_id: int, *, reason: str, keys: Keys
) -> UnmaskedPerson:
    """Return the clear identity of person ``person_id`` and audit the read.

    A refusal is audited too (outcome ``denied``) and flushed before the error is raised: the
    caller must commit the session even when this raises.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session in a transaction scoped to the reader.
    reader : Reader
        Who asks.
    person_id : int
        Record id.
    reason : str
        Why the reader needs the clear data (at least :data:`MIN_REASON_LENGTH` characters).
    keys : layers.secrets.Keys
        Platform keys (the seal key opens ``id_sealed``).

    Returns
    -------
    UnmaskedPerson
        The identity and the id of the audit entry.

    Raises
    ------
    Forbidden
        No unmask permission, a role outside :data:`layers.accounts.UNMASK_ROLES`, or a scope
        above a county (:func:`layers.accounts.may_hold_unmask`).
    InvalidInput
        No real reason stated, or one holding personal data: a resident ID or a mobile number,
        or the person's own name, ID or address (:func:`layers.audit.check_reason`); the
        refusal's entry says why as the reader was told and keeps the reason without them
        (:func:`layers.audit.loggable_reason`).
    Forbidden
        Also: a grid worker's account asking for a person its worker does not follow (of his
        home grid, or naming him responsible; :func:`layers.visits_due.follows`).
    NotFound
        No such person in the reader's scope: the entry keeps no reason
        (:data:`REASON_NOT_KEPT`), nor does any refusal of a person not in scope.
    """
    reason = reason.strip()
    lo, hi = scope_range(reader.scope_code)
    person = session.scalar(
        select(Person).where(Person.id == person_id, Person.area_code >= lo, Person.area_code < hi)
    )
    refused = _permission_refusal(reader)
    if refused is not None:
        why, message = refused
        own = own_values(person) if person else None
        audit_refusal(session, reader, person_id, reason, why, own, in_scope=person is not None)
        raise Forbidden(message)
    own = own_values(person, keys) if person is not None else None
    try:
        reason = audit.check_reason(reason, own=own)
    except InvalidInput as exc:
        audit_refusal(
            session, reader, person_id, reason, str(exc), own, in_scope=person is not None
        )
        raise
    if person is None:
        audit_refusal(session, reader, person_id, reason, "not found in scope", in_scope=False)
        raise NotFound("该人员不存在或不在您的辖区内")
    if reader.role in visits_due.FOLLOWED_ONLY_ROLES and not visits_due.follows(
        session, reader.worker_id, person.id
    ):  # a grid worker reads those he follows (trial AW M4)
        audit_refusal(
            session, reader, person_id, reason, "not followed by the reader's worker", own
        )
        raise Forbidden(visits_due.NOT_FOLLOWED_UNMASK)
    visits = _recent_visits(session, person.id)
    shown = sum(len(v.photos) for v in visits)  # the visit photos this read shows (thumbnails)
    entry = audit.record(
        session,
        actor_id=reader.user_id,
        actor_name=reader.username,
        action="person.unmask",
        object_type="person",
        object_id=str(person.id),
        reason=reason,
        detail={"category": person.category, "area_code": person.area_code}
        | ({"visit_photos": shown} if shown else {}),
    )
    labels = PersonCategory.labels()
    lon, lat = session.execute(
        text("SELECT ST_X(residence), ST_Y(residence) FROM persons WHERE id = :p"),
        {"p": person.id},
    ).one()
    return UnmaskedPerson(
        id=person.id,
        category=person.category,
        category_label=labels.get(person.category, person.category),
        name=person.name,
        resident_id=unseal(keys, person.id_sealed),
        area_code=person.area_code,
        audit_id=entry.id,
        ended_on=person.ended_on,
        ended_reason=person.ended_reason,
        address=person.address,
        lon=lon,
        lat=lat,
        on_record_since=person.on_record_since,
        details=attribute_details(person.category, person.attributes or {}),
        visits=visits,
    )
