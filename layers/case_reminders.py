"""What a listed case says beyond its row: the 催办 it has had, and the dispatcher's 派单说明.

A 催办 (``remind``) keeps the case's state, so the unit or worker holding it saw nothing of it
in their queue or on 我的任务. A reminder stands until the holder answers it (the case changes
state, or a 处置反馈 says how it goes) or the case passes to other hands (派单, 交办, 上报, which
may keep the state): see :data:`ANSWERING`. The note the dispatcher wrote on 派单
was on the case's page alone, not on the worker's task (trial Z).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from layers.model import CaseEvent

ANSWERING = ("dispatch", "hand_down", "escalate", "feedback")
"""Actions that answer the reminders standing on a case even when they keep its state."""


@dataclass(frozen=True)
class Reminder:
    """One 催办: when, by whom, what was said."""

    at: datetime
    by: str
    note: str | None

    def as_json(self) -> dict[str, Any]:
        """Return it as the API gives it."""
        return {"at": self.at.isoformat(), "by": self.by, "note": self.note}


@dataclass
class CaseMarks:
    """The 催办 standing on a case and the note of its last 派单."""

    reminders: list[Reminder] = field(default_factory=list)
    dispatch_note: str | None = None
    dispatched_by: str | None = None


def marks(session: Session, case_ids: Sequence[int]) -> dict[int, CaseMarks]:
    """Return the standing reminders and the last dispatch's note of each case.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader (cases out of scope have no events to read).
    case_ids : sequence of int
        The cases listed.

    Returns
    -------
    dict of int to CaseMarks
        By case id; every id given has one (empty when nothing stands).
    """
    found = {case_id: CaseMarks() for case_id in case_ids}
    if not found:
        return found
    rows = session.scalars(
        select(CaseEvent)
        .where(
            CaseEvent.case_id.in_(found),
            or_(
                CaseEvent.action.in_(("remind", *ANSWERING)),
                CaseEvent.from_state.is_distinct_from(CaseEvent.to_state),
            ),
        )
        .order_by(CaseEvent.case_id, CaseEvent.id)
    )
    for event in rows:
        mark = found[event.case_id]
        if event.action == "remind":
            mark.reminders.append(Reminder(event.at, event.actor_name, event.note))
            continue
        mark.reminders.clear()  # answered, or in other hands
        if event.action == "dispatch":
            mark.dispatch_note, mark.dispatched_by = event.note, event.actor_name
    return found


def as_json(mark: CaseMarks, *, task: bool) -> dict[str, Any]:
    """Return what a listed case carries: its reminders, and on a task the dispatch's note.

    Parameters
    ----------
    mark : CaseMarks
        The case's (:func:`marks`).
    task : bool
        Listed on 我的任务: the dispatcher's note is for the worker.

    Returns
    -------
    dict
        ``reminders`` (oldest first; at, by, note), with ``task`` also ``dispatch_note`` and
        ``dispatched_by``.
    """
    body: dict[str, Any] = {"reminders": [r.as_json() for r in mark.reminders]}
    if task:
        body |= {"dispatch_note": mark.dispatch_note, "dispatched_by": mark.dispatched_by}
    return body
