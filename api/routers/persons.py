"""The unmasked read of a special-population record: permission + reason, audited.

``POST /api/persons/{id}/unmasked`` with the reason in a JSON body (``{"reason": "…"}``), as the
case-party unmask does: a reason in the URL would land in the server's access log (a clerk may
write a name into it). ``GET`` answers 405 with a Chinese message saying to use POST, and never
repeats what it was sent. The reason must be a real one (:func:`layers.audit.check_reason`).

A person who left the register (解除矫正, 死亡, 迁出 …) is off the map and out of the counts,
and stays readable here, with the day and the reason they left.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field
from starlette import status

from api.deps import CurrentUser, SessionDep, SettingsDep
from layers import disclosure
from layers.errors import DomainError

router = APIRouter(prefix="/api/persons", tags=["persons"])


class UnmaskedPerson(BaseModel):
    """The clear identity of a person and the audit entry recording its read.

    A person who left the register has the day (``ended_on``) and the reason (``ended_reason``).
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


class UnmaskReason(BaseModel):
    """Why the clear identity of a person is needed (in Chinese, stored in the audit log)."""

    reason: str = Field(min_length=1, max_length=500, examples=["核实走访对象身份"])


USE_POST = "请用 POST 提交查看事由（写在请求正文中），不要把事由写在网址里"
"""Answer to a GET of the unmask address: the reason must not travel in the URL."""

PersonId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get(
    "/{person_id}/unmasked",
    status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
    responses={405: {"description": "Use POST with the reason in the JSON body"}},
    include_in_schema=False,
)
def unmasked_by_get(person_id: PersonId) -> None:
    """Refuse the unmask by GET (405, ``Allow: POST``), echoing nothing of the request."""
    raise HTTPException(
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED, detail=USE_POST, headers={"Allow": "POST"}
    )


@router.post(
    "/{person_id}/unmasked",
    response_model=UnmaskedPerson,
    responses={
        403: {"description": "No unmask permission"},
        404: {"description": "Not found"},
        422: {"description": "No real reason stated"},
    },
)
def unmasked(
    person_id: PersonId,
    body: UnmaskReason,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> UnmaskedPerson:
    """Return the clear name and resident ID of a person (needs the unmask permission).

    Every attempt, allowed or refused, is written to the audit log with the stated reason.
    """
    reader = disclosure.Reader(
        user_id=user.id,
        username=user.username,
        role=user.role,
        scope_code=user.scope_code,
        can_unmask=user.can_unmask,
    )
    try:
        person = disclosure.unmask_person(
            session, reader, person_id, reason=body.reason, keys=settings.platform_keys()
        )
    except DomainError:
        session.commit()
        raise
    session.commit()
    return UnmaskedPerson(
        id=person.id,
        category=person.category,
        category_label=person.category_label,
        name=person.name,
        resident_id=person.resident_id,
        area_code=person.area_code,
        audit_id=person.audit_id,
        ended_on=person.ended_on,
        ended_reason=person.ended_reason,
    )
