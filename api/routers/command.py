"""The five-level command feed: ``GET /api/command/{code}``.

The same JSON shape at every level (see :mod:`layers.command`). Analysts get the KPIs and the
alerts but an empty ``queue``: they see aggregates, never individual cases.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import BusinessUser, DeadlinesDep, SessionDep, utcnow
from api.routers.cases import CodePath, actor_of
from layers import command
from layers.model import Role

router = APIRouter(prefix="/api/command", tags=["command"])


@router.get("/{code}", summary="Command feed of a unit: children KPIs, queue, alerts")
def feed(
    code: CodePath,
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    window_days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> dict[str, Any]:
    """Return the unit, its children with KPIs, its queue and its open alerts."""
    body = command.feed(
        session,
        code,
        actor=actor_of(user),
        now=utcnow(),
        window_days=window_days,
        limits_config=limits,
    )
    if user.role == Role.ANALYST:
        body["queue"] = []
    return body
