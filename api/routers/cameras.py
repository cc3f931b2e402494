"""Cameras around a case: ``GET /api/cases/{id}/cameras`` (which video points see it)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import BusinessUser, SessionDep
from api.routers.cases import IdPath, actor_of
from layers import video
from layers.errors import Forbidden
from layers.model import Role

router = APIRouter(prefix="/api/cases", tags=["video"])


@router.get(
    "/{case_id}/cameras", summary="Cameras whose view cone contains the case, nearest first"
)
def cameras(
    case_id: IdPath,
    user: BusinessUser,
    session: SessionDep,
    radius_m: Annotated[float, Query(gt=0, le=2000)] = video.SEARCH_RADIUS_M,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Return the cameras seeing the case (``sees``), then the nearest others, with cones.

    ``seeing`` counts the cameras whose view contains the case, ``seeing_online`` those of them
    online, listed first: the desk says no camera covers the spot when it is 0 (trial BB M3).
    """
    if user.role == Role.ANALYST:
        raise Forbidden("研判分析员只能查看统计汇总，不能查看单个案件")
    found = video.cameras_for_case(
        session, case_id, actor=actor_of(user), radius_m=radius_m, limit=limit
    )
    return {
        "case_id": case_id,
        "radius_m": radius_m,
        "seeing": sum(1 for c in found if c.sees),
        "seeing_online": sum(1 for c in found if c.sees and c.status == "online"),
        "cameras": [asdict(c) for c in found],
    }
