"""Unmasked reads of a special-population record: permission, stated reason, audit entry.

Masked data is all anyone sees by default (:mod:`layers.catalog` masks names and resident IDs
in the SQL). Reading the clear resident ID and name needs the unmask permission and a reason;
every attempt, allowed or refused, is written to the audit log, without the personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import audit
from layers.catalog import NO_BUSINESS_DATA
from layers.errors import Forbidden, InvalidInput, NotFound
from layers.model import Person, PersonCategory, Role
from layers.secrets import Keys, unseal

MIN_REASON_LENGTH = 4
"""A stated reason shorter than this (after trimming) is refused."""


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


@dataclass(frozen=True)
class Reader:
    """Who asks to unmask.

    Attributes
    ----------
    user_id : int
        Account id.
    username : str
        Login name (written to the audit log).
    role : str
        Role code.
    scope_code : str
        12-digit code of the user's scope.
    can_unmask : bool
        The unmask permission.
    """

    user_id: int
    username: str
    role: str
    scope_code: str
    can_unmask: bool


def _refuse(session: Session, reader: Reader, person_id: int, reason: str, why: str) -> None:
    audit.record(
        session,
        actor_id=reader.user_id,
        actor_name=reader.username,
        action="person.unmask",
        object_type="person",
        object_id=str(person_id),
        outcome="denied",
        reason=reason or None,
        detail={"refused": why},
    )


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
        No unmask permission, or a role that sees no personal records.
    InvalidInput
        Missing or too short reason.
    NotFound
        No such person in the reader's scope.
    """
    reason = reason.strip()
    if not reader.can_unmask or reader.role in NO_BUSINESS_DATA or reader.role == Role.ANALYST:
        _refuse(session, reader, person_id, reason, "no unmask permission")
        raise Forbidden("您没有查看完整个人信息的权限")
    if len(reason) < MIN_REASON_LENGTH:
        _refuse(session, reader, person_id, reason, "no reason stated")
        raise InvalidInput(f"请填写不少于 {MIN_REASON_LENGTH} 个字的查看事由")
    lo, hi = scope_range(reader.scope_code)
    person = session.scalar(
        select(Person).where(Person.id == person_id, Person.area_code >= lo, Person.area_code < hi)
    )
    if person is None:
        _refuse(session, reader, person_id, reason, "not found in scope")
        raise NotFound("该人员不存在或不在您的辖区内")
    entry = audit.record(
        session,
        actor_id=reader.user_id,
        actor_name=reader.username,
        action="person.unmask",
        object_type="person",
        object_id=str(person.id),
        reason=reason,
        detail={"category": person.category, "area_code": person.area_code},
    )
    labels = PersonCategory.labels()
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
    )
