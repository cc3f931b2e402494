"""The departments a unit's area already named: ``GET /api/departments``.

The console's 派往职能部门 and 吹哨部门 fields offer them, the most named first
(:func:`layers.dispatch.departments_named`), so a department is written the same way each time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import BusinessUser, SessionDep
from api.routers.cases import actor_of
from layers import dispatch

router = APIRouter(prefix="/api/departments", tags=["dispatch"])


@router.get("", summary="Departments dispatched to or summoned (吹哨) in the unit's area")
def named(
    user: BusinessUser,
    session: SessionDep,
    code: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
) -> dict[str, list[str]]:
    """Return ``{"departments": [...]}``, the most named first."""
    return {"departments": dispatch.departments_named(session, actor=actor_of(user), code=code)}
