"""The audit log, for the security auditor only: entries and the hash-chain check.

Entries filter by action, actor, time and object (``object_type=person&object_id=4539``: who
read this person). An entry about a person carries ``object_label``: the person's masked name
and category (never the clear name or ID), so that the auditor understands it without the
persons layer (:func:`layers.audit.person_labels`; persons of the auditor's scope). An entry
about an account (``object_type=user``: the unmask right granted, a password reset) carries
``account_label``: the account's login name, post and scope, looked up when the entry is read
(:func:`layers.audit.account_labels`), so that entries written before name it as well.

``POST /api/audit/person-lookup`` (the ID in the body) finds the records of a resident ID, to
ask who read them: the ID is hashed, never stored nor answered, and the search is audited.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import AuditorUser, SessionDep, SettingsDep
from layers import audit

router = APIRouter(prefix="/api/audit", tags=["audit"])


class ObjectLabel(BaseModel):
    """What the auditor may know of the person an entry is about: masked, never clear.

    ``erased``: the record was erased since (``zongzhi persons erase``); the label is its trace.
    ``import_id``: the import that last wrote the record (None: registered by hand, or erased).
    """

    name_masked: str
    category: str
    category_label: str
    erased: bool = False
    import_id: int | None = None


class AccountLabelOut(BaseModel):
    """The account an entry is about: login name, post and scope (``scope_name`` None: unseen)."""

    username: str
    role: str
    role_label: str
    scope_code: str
    scope_name: str | None


class AuditEntryOut(BaseModel):
    """One audit entry (``object_label``: a person of the auditor's scope; ``account_label``)."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    reason: str | None
    detail: dict[str, Any] | None
    hash: str
    object_label: ObjectLabel | None = None
    account_label: AccountLabelOut | None = None


class AuditPageOut(BaseModel):
    """A page of audit entries, newest first."""

    entries: list[AuditEntryOut]
    matched: int


class ChainCheck(BaseModel):
    """Result of checking the hash chain."""

    intact: bool
    first_bad_id: int | None


@router.get("", response_model=AuditPageOut)
def list_entries(
    user: AuditorUser,
    session: SessionDep,
    limit: Annotated[int, Query(description="Page size, clamped to 1-1000")] = 100,
    offset: Annotated[int, Query(description="Entries to skip")] = 0,
    action: Annotated[str | None, Query(max_length=40)] = None,
    actor: Annotated[str | None, Query(max_length=50)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    object_type: Annotated[
        str | None, Query(max_length=30, description="Kind of object, e.g. person")
    ] = None,
    object_id: Annotated[
        str | None, Query(max_length=64, description="Id of the object, e.g. a person's id")
    ] = None,
) -> AuditPageOut:
    """List audit entries, newest first, optionally filtered (by object: who read a person)."""
    page = audit.entries(
        session,
        limit=limit,
        offset=min(offset, 2**31 - 1),
        action=action,
        actor_name=actor,
        since=since,
        until=until,
        object_type=object_type,
        object_id=object_id,
    )
    persons = audit.person_labels(
        session, (e.object_id for e in page.entries if e.object_type == "person")
    )
    accounts = audit.account_labels(
        session, (e.object_id for e in page.entries if e.object_type == audit.ACCOUNT_OBJECT)
    )
    return AuditPageOut(
        entries=[
            AuditEntryOut(
                id=e.id,
                at=e.at,
                actor_id=e.actor_id,
                actor_name=e.actor_name,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                outcome=e.outcome,
                reason=e.reason,
                detail=e.detail,
                hash=e.hash.hex(),
                object_label=_label(persons, e.object_type, e.object_id),
                account_label=_account(accounts, e.object_type, e.object_id),
            )
            for e in page.entries
        ],
        matched=page.matched,
    )


def _label(
    persons: dict[str, audit.PersonLabel], object_type: str | None, object_id: str | None
) -> ObjectLabel | None:
    found = persons.get(object_id or "") if object_type == "person" else None
    return None if found is None else ObjectLabel(**asdict(found))


def _account(
    accounts: dict[str, audit.AccountLabel], object_type: str | None, object_id: str | None
) -> AccountLabelOut | None:
    found = accounts.get(object_id or "") if object_type == audit.ACCOUNT_OBJECT else None
    return None if found is None else AccountLabelOut(**asdict(found))


class LookupIn(BaseModel):
    """A resident ID to find the person records of (in the body: never in a URL or a log)."""

    resident_id: str = Field(max_length=40)


class FoundPersonOut(BaseModel):
    """A person record the ID names: its id (the entries' ``object_id``), masked."""

    id: str
    object_label: ObjectLabel
    origin: str | None = Field(
        default=None, description="The import that last wrote the record (none: by hand)"
    )


@router.post(
    "/person-lookup",
    response_model=list[FoundPersonOut],
    summary="The person records of a resident ID (masked), to see who read them; audited",
    responses={422: {"description": "Not a valid resident ID"}},
)
def person_lookup(
    body: LookupIn, user: AuditorUser, session: SessionDep, settings: SettingsDep
) -> list[FoundPersonOut]:
    """Hash the ID with the platform key, return the records found; the search is audited."""
    found = audit.persons_of_resident_id(
        session,
        settings.platform_keys(),
        body.resident_id,
        actor_id=user.id,
        actor_name=user.username,
    )
    session.commit()
    return [
        FoundPersonOut(id=p.id, object_label=ObjectLabel(**asdict(p.label)), origin=p.origin)
        for p in found
    ]


@router.get("/verify", response_model=ChainCheck)
def verify(user: AuditorUser, session: SessionDep) -> ChainCheck:
    """Check every link of the audit hash chain."""
    result = audit.verify_chain(session)
    if result is True:
        return ChainCheck(intact=True, first_bad_id=None)
    return ChainCheck(intact=False, first_bad_id=int(result))
