"""The audit log, for the security auditor only: entries and the hash-chain check."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import AuditorUser, SessionDep
from layers import audit

router = APIRouter(prefix="/api/audit", tags=["audit"])


class AuditEntryOut(BaseModel):
    """One audit entry."""

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
) -> AuditPageOut:
    """List audit entries, newest first, optionally filtered."""
    page = audit.entries(
        session,
        limit=limit,
        offset=min(offset, 2**31 - 1),
        action=action,
        actor_name=actor,
        since=since,
        until=until,
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
            )
            for e in page.entries
        ],
        matched=page.matched,
    )


@router.get("/verify", response_model=ChainCheck)
def verify(user: AuditorUser, session: SessionDep) -> ChainCheck:
    """Check every link of the audit hash chain."""
    result = audit.verify_chain(session)
    if result is True:
        return ChainCheck(intact=True, first_bad_id=None)
    return ChainCheck(intact=False, first_bad_id=int(result))
