"""批量交办 and 交办并督办: a superior's 交办 of several cases, or of one with its 督办.

``POST /api/cases/hand-down`` hands several cases down in one call (trial AZ M9).

Each case goes through the single 交办's workflow check in a savepoint of its own
(:func:`layers.bulk_handover.hand_down_many`): the answer lists the cases handed down and those
refused with the reason, and ``message`` says it (已交办 N 件，M 件未交办：…). Only a request
that can do nothing (no case, too many, no 交办意见) is refused as a whole (422).

``POST /api/cases/{id}/hand-down-supervise`` (交办并督办) hands a case of the reader's own level
down and 督办s it there in one step (trial AZ m8): the city could not 督办 a case the county had
just 上报'd until it had 交办'd it back. ``GET /{id}/allowed`` offers it where it applies
(``hand_down_supervise``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, Field

from api.deps import BusinessUser, DeadlinesDep, SessionDep, utcnow
from api.routers.cases import (
    IdPath,
    actor_of,
    audited_refusal,
    case_json,
    latest_of,
    parse_version,
)
from layers import bulk_handover

router = APIRouter(prefix="/api/cases", tags=["cases"])


class PickIn(BaseModel):
    """A case picked on the desk, at the version the desk saw."""

    id: int = Field(ge=1, le=2**63 - 1)
    version: int | None = Field(default=None, description="The case version you saw")


class BulkHandDownIn(BaseModel):
    """The cases of a 批量交办, their one 交办意见, and whom they go to."""

    cases: Annotated[list[PickIn], Field(max_length=bulk_handover.MAX_CASES * 2)]
    note: str | None = Field(default=None, max_length=2000, description="交办意见 (required)")
    unit_code: str | None = Field(
        default=None,
        pattern=r"^\d{12}$",
        description="The unit every case goes to; none (按属地交办): each to the unit its place "
        "lies in",
    )


@router.post(
    "/hand-down",
    summary="Hand several cases down at once (批量交办)",
    responses={422: {"description": "No case picked, too many, or no 交办意见"}},
)
def hand_down_many(
    body: BulkHandDownIn, user: BusinessUser, session: SessionDep, limits: DeadlinesDep
) -> dict[str, Any]:
    """交办 each case as ``POST /{id}/actions/hand_down`` would; a refusal undoes no other.

    Returns ``handed_down`` (id, code, title, the unit and its name, the new version),
    ``refused`` (id, code and title where readable, the reason in Chinese) and ``message``.
    """
    with audited_refusal(session, user, "case.hand_down", "case", None):
        outcome = bulk_handover.hand_down_many(
            session,
            [bulk_handover.Pick(p.id, p.version) for p in body.cases],
            actor=actor_of(user),
            now=utcnow(),
            note=body.note,
            unit_code=body.unit_code,
            limits_config=limits,
        )
        session.commit()
    return outcome.as_json()


class HandDownSuperviseIn(BaseModel):
    """A 交办并督办: the 督办意见 (the 交办意见 too), the 督办时限, optionally the unit."""

    version: int | None = Field(default=None, description="The case version you saw (or If-Match)")
    note: str | None = Field(default=None, max_length=2000, description="督办意见 (required)")
    deadline: datetime | None = Field(default=None, description="督办时限, with its time zone")
    unit_code: str | None = Field(default=None, pattern=r"^\d{12}$")


@router.post(
    "/{case_id}/hand-down-supervise",
    summary="Hand a case down and supervise it there (交办并督办)",
    responses={409: {"description": "Illegal transition or stale version; lists `allowed`"}},
)
def hand_down_supervise(
    case_id: IdPath,
    body: HandDownSuperviseIn,
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> dict[str, Any]:
    """交办 the case to the level below, then 督办 it, both checked as alone; one transaction."""
    now = utcnow()
    with audited_refusal(session, user, "case.hand_down_supervise", "case", str(case_id)):
        case = bulk_handover.hand_down_and_supervise(
            session,
            case_id,
            actor=actor_of(user),
            now=now,
            expected_version=parse_version(if_match, body.version),
            note=body.note,
            deadline=body.deadline,
            unit_code=body.unit_code,
            limits_config=limits,
        )
        session.commit()
    response.headers["ETag"] = f'"{case.version}"'
    return case_json(case, user, now=now, limits_config=limits, latest=latest_of(session, case))
