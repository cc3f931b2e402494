"""Dispatch: ranked worker candidates for a case, and the assignment itself.

``GET /api/cases/{id}/candidates`` answers 200 with an empty list and a ``reason`` when nobody
qualifies (``no_workers_in_scope``, ``all_busy``, ``all_stale``, ``outside_radius``) and the
counts behind it. ``GET /api/cases/{id}/workers`` lists the workers a dispatcher may pick by
hand (those with a platform account, or a name search), each with why the ranking leaves him
out. ``POST /api/cases/{id}/dispatch`` assigns a worker, a unit or a department; a worker off
duty, or already holding :data:`layers.dispatch.OPEN_CASES_CAP` open cases (在办 3 件，已达上限,
counted under his row lock), answers 409.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import BusinessUser, DeadlinesDep, SessionDep, utcnow
from api.routers.cases import actor_of, audited_refusal, case_json, latest_of, parse_version
from layers import dispatch, dispatch_picks
from layers.errors import Forbidden
from layers.model import Role

router = APIRouter(prefix="/api/cases", tags=["dispatch"])
OPERATORS = (Role.COMMANDER.value, Role.DISPATCHER.value)


class DispatchIn(BaseModel):
    """Whom to dispatch the case to: exactly one of worker, unit, department."""

    worker_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    unit_code: str | None = Field(default=None, pattern=r"^\d{12}$")
    department: str | None = Field(default=None, min_length=1, max_length=100)
    version: int | None = Field(default=None, description="The case version you saw (or If-Match)")
    note: str | None = Field(default=None, max_length=2000)


@router.get(
    "/{case_id}/candidates",
    summary="Rank available grid workers for a case",
    response_model=dict[str, Any],
)
def candidates(
    case_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    user: BusinessUser,
    session: SessionDep,
    radius_m: Annotated[float, Query(gt=0, le=50_000)] = dispatch.RADIUS_M,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    stale_minutes: Annotated[int, Query(ge=1, le=24 * 60)] = dispatch.STALE_MINUTES,
) -> Response:
    """Nearest available workers first, adjusted for workload and own grid; or why nobody."""
    if user.role not in OPERATORS:
        raise Forbidden(f"只有{Role.COMMANDER.label}和{Role.DISPATCHER.label}可以派单")
    result = dispatch.candidates(
        session,
        case_id,
        actor=actor_of(user),
        now=utcnow(),
        radius_m=radius_m,
        stale_after=timedelta(minutes=stale_minutes),
        limit=limit,
    )
    session.commit()  # end the read here, in the route's thread: one thread hop fewer
    # Serialised here by orjson, which writes dataclasses and datetimes itself, rather than by
    # FastAPI's jsonable_encoder (or dataclasses.asdict, which deep-copies every value): this
    # endpoint is on the dispatcher's critical path.
    return Response(orjson.dumps(result), media_type="application/json")


@router.get(
    "/{case_id}/workers",
    summary="Workers to pick by hand for a case: those with an account, or by name",
    response_model=dict[str, Any],
)
def workers(
    case_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    user: BusinessUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Part of a worker's name")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    radius_m: Annotated[float, Query(gt=0, le=50_000)] = dispatch.RADIUS_M,
    stale_minutes: Annotated[int, Query(ge=1, le=24 * 60)] = dispatch.STALE_MINUTES,
) -> Response:
    """List the scope's workers with an account (or whose name holds ``q``), on duty first."""
    if user.role not in OPERATORS:
        raise Forbidden(f"只有{Role.COMMANDER.label}和{Role.DISPATCHER.label}可以派单")
    result = dispatch_picks.workers_to_pick(
        session,
        case_id,
        actor=actor_of(user),
        now=utcnow(),
        query=q,
        radius_m=radius_m,
        stale_after=timedelta(minutes=stale_minutes),
        limit=limit,
    )
    session.commit()
    return Response(orjson.dumps(result), media_type="application/json")


@router.post(
    "/{case_id}/dispatch",
    summary="Dispatch a case to a worker, unit or department",
    responses={409: {"description": "Worker taken, stale version or illegal transition"}},
)
def assign(
    case_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    body: DispatchIn,
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> dict[str, Any]:
    """Assign; the worker must be on duty, or busy below his cap of open cases (row-locked)."""
    now = utcnow()
    with audited_refusal(session, user, "case.dispatch", "case", str(case_id)):
        version = parse_version(if_match, body.version)
        case = dispatch.assign(
            session,
            case_id,
            actor=actor_of(user),
            now=now,
            expected_version=version,
            worker_id=body.worker_id,
            unit_code=body.unit_code,
            department=body.department,
            note=body.note,
        )
        session.commit()
    response.headers["ETag"] = f'"{case.version}"'
    return case_json(case, user, now=now, limits_config=limits, latest=latest_of(session, case))
