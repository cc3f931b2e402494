"""Risk alerts: ``GET /api/alerts`` lists them, ``POST /api/alerts/{id}/…`` handles one.

``…/acknowledge`` signs for an alert (签收), ``…/close`` closes it (关闭), ``…/reopen``
brings a closed one back (重新打开, with the reason in the JSON body). The list is the
command feed's (not closed yet, the most severe first) or, with ``state=closed``, what was done
about the closed ones, the latest first: who signed for each, who closed it and their note
(处置情况). Commanders and dispatchers of the alert's unit or above handle an alert
(:mod:`layers.alerts`); closing takes the note in the JSON body. Both answer the alert as the
list shows it; an alert signed for or closed already answers 409 saying by whom. Refusals are
audited. A reader of counts only (one who may not list a hot cell's cases: an analyst,
:func:`layers.trends.min_count_for` with ``of="cases"``) reads an alert's title and detail
without the hot cell's z, p and small counts (:func:`layers.alerts.shown`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import BusinessUser, SessionDep, utcnow
from api.routers.cases import IdPath, actor_of, audited_refusal
from geo.codes import scope_range
from layers import alerts, cases, trends
from layers.errors import no_jurisdiction

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


class CloseIn(BaseModel):
    """What was done about the alert (处置情况), kept on it."""

    note: str = Field(min_length=1, max_length=alerts.NOTE_MAX, examples=["已组织排查，加强巡逻"])


@router.get("", summary="A unit's alerts: not closed yet, or closed with what was done")
def listed(
    code: Annotated[str, Query(pattern=r"^\d{12}$", description="The unit (12 digits)")],
    user: BusinessUser,
    session: SessionDep,
    state: Annotated[Literal["unclosed", "closed", "all"], Query()] = "unclosed",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Return ``{"alerts": [...], "matched": n}``: a page of the unit's alerts in that state.

    A reader of counts only reads each alert's title and detail without what they tell of small
    counts (:func:`layers.alerts.shown`), as in the command feed.
    """
    if not cases.in_scope(user.scope_code, code):
        raise no_jurisdiction(code)
    page = alerts.listed(
        session,
        scope_range(code),
        state=state,
        limit=limit,
        offset=offset,
        min_count=_cell_min(user),
    )
    return {"alerts": page.alerts, "matched": page.matched}


def _cell_min(user: BusinessUser) -> int:
    """Return the smallest hot-cell count the user reads: 1 unless he may not list its cases."""
    return trends.min_count_for(actor_of(user), of="cases")


class ReopenIn(BaseModel):
    """Why a closed alert is reopened (kept in the audit log with the close it undoes)."""

    reason: str = Field(min_length=1, max_length=alerts.NOTE_MAX, examples=["误关闭"])


class CloseFadedIn(CloseIn):
    """The unit whose faded alerts are closed, and what was done about them."""

    code: str = Field(pattern=r"^\d{12}$", description="The unit (12 digits)")


@router.post(
    "/close-faded",
    summary="Close a unit's alerts whose hot spot faded, with one note (批量关闭已消退的预警)",
)
def close_faded(body: CloseFadedIn, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Close every unclosed alert of the unit the latest run no longer finds; say how many."""
    with audited_refusal(session, user, "alert.close", "alert", None):
        if not cases.in_scope(user.scope_code, body.code):
            raise no_jurisdiction(body.code)
        done = alerts.close_faded(
            session, scope_range(body.code), actor=actor_of(user), note=body.note, now=utcnow()
        )
        session.commit()
    return {"closed": len(done), "ids": [a.id for a in done]}


@router.post("/{alert_id}/acknowledge", summary="Sign for an open alert (签收)")
def acknowledge(alert_id: IdPath, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Sign for the alert: someone has it in hand."""
    with audited_refusal(session, user, "alert.acknowledge", "alert", str(alert_id)):
        alert = alerts.acknowledge(session, alert_id, actor=actor_of(user), now=utcnow())
        session.commit()
    return alerts.alert_json(session, alert.id, min_count=_cell_min(user))


@router.post("/{alert_id}/close", summary="Close an alert with what was done (关闭)")
def close(
    alert_id: IdPath, body: CloseIn, user: BusinessUser, session: SessionDep
) -> dict[str, Any]:
    """Close the alert; the note says what was done."""
    with audited_refusal(session, user, "alert.close", "alert", str(alert_id)):
        alert = alerts.close(session, alert_id, actor=actor_of(user), note=body.note, now=utcnow())
        session.commit()
    return alerts.alert_json(session, alert.id, min_count=_cell_min(user))


@router.post("/{alert_id}/reopen", summary="Reopen a closed alert (重新打开)")
def reopen(
    alert_id: IdPath, body: ReopenIn, user: BusinessUser, session: SessionDep
) -> dict[str, Any]:
    """Bring the closed alert back to the feed, signed for by the user; the reason is audited."""
    with audited_refusal(session, user, "alert.reopen", "alert", str(alert_id)):
        alert = alerts.reopen(
            session, alert_id, actor=actor_of(user), reason=body.reason, now=utcnow()
        )
        session.commit()
    return alerts.alert_json(session, alert.id, min_count=_cell_min(user))
