"""The departments a unit's area already named: ``GET /api/departments``.

The console's 派往职能部门 and 吹哨部门 fields offer them, the most named first
(:func:`layers.dispatch.departments_named`), so a department is written the same way each time.
With ``case``, the departments of the level handling that case
(:func:`layers.dispatch.departments_for_case`): a city-level case the city's own (trial AM M1).
"""

from __future__ import annotations

from typing import Annotated, Any

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
    case: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Return ``{"departments": [...]}``, the most named first (for ``case``: its level's)."""
    if case is not None:
        return dispatch.departments_for_case(session, actor=actor_of(user), case_id=case)
    return {"departments": dispatch.departments_named(session, actor=actor_of(user), code=code)}
