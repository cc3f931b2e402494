"""Whether the departments a 吹哨 named have answered it (吹哨反馈): one rule for every reader.

A department has answered once a 吹哨反馈 of it (``summon_reply``, whose payload names the
department) follows the latest 吹哨 of the case naming it; a later 吹哨 naming it makes it
unanswered again (trial AT M5). A department's desk reads it for its 被吹哨 and 已反馈
(:func:`layers.department_scope.desk`), the summoning level's queue row for its
「吹哨 已反馈 1/2」 (:func:`layers.cases.latest`), and the brief for its 吹哨 lines
(:mod:`layers.brief_holders`).

Examples
--------
>>> from datetime import UTC, datetime
>>> at = [datetime(2026, 12, 7, h, tzinfo=UTC) for h in range(4)]
>>> said = [
...     Said(1, "summon", at[0], "华宁县指挥长", {"departments": ["县人社局", "县住建局"]}),
...     Said(2, "summon_reply", at[1], "县人社局", {"department": "县人社局"}),
... ]
>>> [(a.department, a.answered_at is not None) for a in answers(said)]
[('县人社局', True), ('县住建局', False)]
>>> said.append(Said(3, "summon", at[2], "华宁县指挥长", {"departments": ["县人社局"]}))
>>> [(a.department, a.answered_at is not None) for a in answers(said)]
[('县人社局', False), ('县住建局', False)]
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: The actions of a case's log this rule reads.
ACTIONS = ("summon", "summon_reply")


@dataclass(frozen=True)
class Said:
    """A 吹哨 or a 吹哨反馈 of a case's log.

    Attributes
    ----------
    id : int
        The event's id (orders events of the same moment).
    action : str
        ``summon`` or ``summon_reply``.
    at : datetime
        When.
    actor_name : str
        Who.
    payload : mapping
        The event's payload: ``departments`` of a 吹哨, ``department`` of a 吹哨反馈.
    """

    id: int
    action: str
    at: datetime
    actor_name: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Answer:
    """How one department summoned stands: the latest 吹哨 naming it, and its answer since.

    Attributes
    ----------
    department : str
        The department.
    asked_at : datetime
        When the latest 吹哨 naming it was made.
    answered_at : datetime or None
        Its latest 吹哨反馈 after that 吹哨; ``None`` while unanswered.
    """

    department: str
    asked_at: datetime
    answered_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """Return it as the API gives it."""
        answered = self.answered_at.isoformat() if self.answered_at is not None else None
        asked = self.asked_at.isoformat()
        return {"name": self.department, "asked_at": asked, "answered_at": answered}


def _named(said: Said) -> list[str]:
    named = said.payload.get("departments") if said.action == "summon" else None
    return [str(d) for d in named] if isinstance(named, list) else []


def answer(events: Iterable[Said], departments: Collection[str]) -> tuple[Said | None, Said | None]:
    """Return the latest 吹哨 naming one of ``departments``, and their latest 吹哨反馈 after it.

    Parameters
    ----------
    events : iterable of Said
        A case's 吹哨 and 吹哨反馈, in any order (read by time, then id).
    departments : collection of str
        The departments answering as one (a department account acts for several,
        :func:`layers.department_scope.served_departments`).

    Returns
    -------
    tuple of (Said or None, Said or None)
        The 吹哨 (``None`` when none names them) and the 吹哨反馈 that answered it (``None``
        while unanswered).
    """
    summon: Said | None = None
    reply: Said | None = None
    for said in sorted(events, key=lambda e: (e.at, e.id)):
        if said.action == "summon" and any(d in departments for d in _named(said)):
            summon, reply = said, None
        elif said.action == "summon_reply" and summon is not None:
            if said.payload.get("department") in departments:
                reply = said
    return summon, reply


def answers(events: Sequence[Said]) -> list[Answer]:
    """Return how each department a 吹哨 of the case named stands (:func:`answer`).

    Parameters
    ----------
    events : sequence of Said
        The case's 吹哨 and 吹哨反馈.

    Returns
    -------
    list of Answer
        One per department, in the order they were first named.
    """
    ordered = sorted(events, key=lambda e: (e.at, e.id))
    names = list(dict.fromkeys(d for e in ordered for d in _named(e)))
    out: list[Answer] = []
    for name in names:
        summon, reply = answer(events, (name,))
        if summon is not None:
            out.append(Answer(name, summon.at, reply.at if reply is not None else None))
    return out
