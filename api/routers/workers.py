"""Grid workers' app: read one's duty state, report a position, go on or off duty."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import BusinessUser, SessionDep, utcnow
from api.routers.cases import IdPath, actor_of, audited_refusal
from layers import dispatch, worker_duty
from layers.errors import InvalidInput
from layers.model import Worker, WorkerStatus

router = APIRouter(prefix="/api/workers", tags=["workers"])


class PositionIn(BaseModel):
    """A position fix (CGCS2000 / WGS84 degrees: the difference is below GPS accuracy)."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    at: datetime | None = Field(default=None, description="Time of the fix (default: now)")


class StatusIn(BaseModel):
    """Availability of a worker."""

    status: str = Field(pattern=r"^(on_duty|off_duty)$")


def _worker_json(worker: Worker) -> dict[str, Any]:
    return {
        "id": worker.id,
        "status": worker.status,
        "status_label": WorkerStatus.label_of(worker.status),
        "last_seen_at": worker.last_seen_at.isoformat() if worker.last_seen_at else None,
        "version": worker.version,
    }


@router.get("/{worker_id}", summary="A worker's status and last position")
def read(worker_id: IdPath, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Status (with its Chinese label), last position and its time; a grid worker: his own only.

    ``stale_minutes`` is how old a position may be before the dispatcher's ranking skips the
    worker (:data:`layers.dispatch.STALE_MINUTES`), for the worker's own page to warn him;
    ``open_cases`` how many cases he holds, of ``open_cases_cap`` at most.
    """
    duty = worker_duty.duty(
        session, worker_id, actor=actor_of(user), actor_worker_id=user.worker_id
    )
    session.commit()
    return {
        "id": duty.worker_id,
        "name": duty.name,
        "status": duty.status,
        "status_label": WorkerStatus.label_of(duty.status),
        "last_seen_at": duty.last_seen_at.isoformat() if duty.last_seen_at else None,
        "lon": duty.lon,
        "lat": duty.lat,
        "busy_case_id": duty.busy_case_id,
        "busy_case_code": duty.busy_case_code,
        "open_cases": duty.open_cases,
        "open_cases_cap": dispatch.OPEN_CASES_CAP,
        "stale_minutes": dispatch.STALE_MINUTES,
        "version": duty.version,
    }


@router.post("/{worker_id}/position", summary="Report a worker's position")
def position(
    worker_id: IdPath,
    body: PositionIn,
    user: BusinessUser,
    session: SessionDep,
) -> dict[str, Any]:
    """Update the last position and append to the history (own position for grid workers)."""
    now = utcnow()
    with audited_refusal(session, user, "worker.position", "worker", str(worker_id)):
        at = body.at or now
        if at.tzinfo is None:
            raise InvalidInput("定位时间须注明时区")
        if (at - now).total_seconds() > 300:
            raise InvalidInput("定位时间不能晚于现在")
        worker = dispatch.report_position(
            session,
            worker_id,
            actor=actor_of(user),
            actor_worker_id=user.worker_id,
            lon=body.lon,
            lat=body.lat,
            at=at,
        )
        session.commit()
    return _worker_json(worker)


@router.post("/{worker_id}/status", summary="Put a worker on or off duty")
def status(
    worker_id: IdPath,
    body: StatusIn,
    user: BusinessUser,
    session: SessionDep,
) -> dict[str, Any]:
    """Change availability; a worker busy with a dispatch, or who has left (已离职), answers 409."""
    with audited_refusal(session, user, "worker.status", "worker", str(worker_id)):
        worker = dispatch.set_status(
            session,
            worker_id,
            actor=actor_of(user),
            actor_worker_id=user.worker_id,
            status=body.status,
        )
        session.commit()
    return _worker_json(worker)
