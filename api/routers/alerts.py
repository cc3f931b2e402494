"""Handling a risk alert: ``POST /api/alerts/{id}/acknowledge`` (签收) and ``…/close`` (关闭).

Commanders and dispatchers of the alert's unit or above (:mod:`layers.alerts`). Closing takes
what was done (处置情况) in the JSON body. Both answer the alert as the command feed lists it;
an alert signed for or closed already answers 409 saying by whom. Refusals are audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import BusinessUser, SessionDep, utcnow
from api.routers.cases import IdPath, actor_of, audited_refusal
from layers import alerts, command

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


class CloseIn(BaseModel):
    """What was done about the alert (处置情况), kept on it."""

    note: str = Field(min_length=1, max_length=alerts.NOTE_MAX, examples=["已组织排查，加强巡逻"])


@router.post("/{alert_id}/acknowledge", summary="Sign for an open alert (签收)")
def acknowledge(alert_id: IdPath, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Sign for the alert: someone has it in hand."""
    with audited_refusal(session, user, "alert.acknowledge", "alert", str(alert_id)):
        alert = alerts.acknowledge(session, alert_id, actor=actor_of(user), now=utcnow())
        session.commit()
    return command.alert_json(session, alert.id)


@router.post("/{alert_id}/close", summary="Close an alert with what was done (关闭)")
def close(
    alert_id: IdPath, body: CloseIn, user: BusinessUser, session: SessionDep
) -> dict[str, Any]:
    """Close the alert; the note says what was done."""
    with audited_refusal(session, user, "alert.close", "alert", str(alert_id)):
        alert = alerts.close(session, alert_id, actor=actor_of(user), note=body.note, now=utcnow())
        session.commit()
    return command.alert_json(session, alert.id)
