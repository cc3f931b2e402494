"""The unmasked read of a special-population record: permission + reason, audited.

A person who left the register (解除矫正, 死亡, 迁出 …) is off the map and out of the counts,
and stays readable here, with the day and the reason they left.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

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


@router.get(
    "/{person_id}/unmasked",
    response_model=UnmaskedPerson,
    responses={403: {"description": "No unmask permission"}, 404: {"description": "Not found"}},
)
def unmasked(
    person_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    reason: Annotated[str, Query(description="Why the clear data is needed", max_length=500)],
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
            session, reader, person_id, reason=reason, keys=settings.platform_keys()
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
