"""批量交办: a superior hands several cases down at once, each as a single 交办 would.

On a storm night the county's hotline operator registered 15 cases that waited at the county
until handed down one by one (trial AZ M9). :func:`hand_down_many` takes the cases picked on
the desk, one 交办意见 and either the unit they go to or none (按属地交办: each to the unit of the
next level down its place lies in). Each case goes through :func:`layers.cases.act` in a
savepoint of its own: a case the workflow refuses (another desk took it, it is no longer the
level's, the unit chosen does not contain it) is rolled back alone, its refusal audited as the
single 交办's would be and listed in Chinese, and the others still go.

交办并督办 (:func:`hand_down_and_supervise`) is the city's step on a case the county has just
上报'd: it may 督办 the case only once it has 交办'd it back, and now does both at once (trial AZ
m8), offered where :func:`offered` says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.personal_numbers import mask_personal_numbers
from layers import audit, cases, workflow
from layers.errors import DomainError, Forbidden, InvalidInput, NotFound
from layers.model import Case, CaseEvent, Jurisdiction
from layers.workflow import Actor

MAX_CASES = 100
"""Most cases one 批量交办 takes (a surge's worth; a desk lists 300 at most)."""
NO_CASES = "请勾选要交办的案件"
TOO_MANY = f"一次最多批量交办 {MAX_CASES} 件案件，请分批交办"
NO_UNIT = "没有编码为 {code} 的单位，请重新选择交办对象"
OUTSIDE_UNIT = "案件不在{name}辖区内：请改为按属地交办，或另选交办对象"
SHOWN_REFUSALS = 5
"""How many refusals the summary names; the result lists them all."""


@dataclass(frozen=True)
class Pick:
    """One case picked for the 批量交办.

    Attributes
    ----------
    case_id : int
        The case.
    version : int or None
        The version the desk saw (a case changed since is refused, as a single 交办 is).
    """

    case_id: int
    version: int | None = None


@dataclass(frozen=True)
class HandedDown:
    """A case the 批量交办 sent down: to which unit, at which version now."""

    case_id: int
    code: str
    title: str
    unit_code: str
    unit_name: str
    version: int


@dataclass(frozen=True)
class Refused:
    """A case the 批量交办 left where it was, and why (the single 交办's refusal)."""

    case_id: int
    code: str | None
    title: str | None
    reason: str

    @property
    def named(self) -> str:
        """The case as the summary names it: its code and title, or its id if not readable."""
        if self.code is None:
            return f"案件（编号 {self.case_id}）"
        return f"{self.code}「{self.title}」"


@dataclass(frozen=True)
class BulkOutcome:
    """What a 批量交办 did: the cases handed down and those refused, in the order picked."""

    handed_down: list[HandedDown]
    refused: list[Refused]

    @property
    def message(self) -> str:
        """Say the result: 已交办 N 件, and the cases not handed down with their reasons.

        Examples
        --------
        >>> done = HandedDown(1, "530424-20261206-00000001", "塌方", "530424001000", "宁州街道", 2)
        >>> BulkOutcome([done], []).message
        '已交办 1 件'
        >>> no = Refused(2, "530424-20261206-00000002", "积水", "该案件已交办")
        >>> BulkOutcome([done], [no]).message
        '已交办 1 件，1 件未交办：530424-20261206-00000002「积水」：该案件已交办'
        """
        said = f"已交办 {len(self.handed_down)} 件"
        if not self.refused:
            return said
        reasons = "；".join(f"{r.named}：{r.reason}" for r in self.refused[:SHOWN_REFUSALS])
        more = len(self.refused) - SHOWN_REFUSALS
        tail = f"；另有 {more} 件，见下方列表" if more > 0 else ""
        return f"{said}，{len(self.refused)} 件未交办：{reasons}{tail}"

    def as_json(self) -> dict[str, Any]:
        """Return the outcome as the API answers it."""
        return {
            "message": self.message,
            "handed_down": [vars(h) for h in self.handed_down],
            "refused": [
                {"case_id": r.case_id, "code": r.code, "title": r.title, "reason": r.reason}
                for r in self.refused
            ],
        }


def _picked(picks: Sequence[Pick]) -> list[Pick]:
    """Return the picks once each, in the order given; refuse none or too many."""
    seen: dict[int, Pick] = {}
    for pick in picks:
        seen.setdefault(pick.case_id, pick)
    if not seen:
        raise InvalidInput(NO_CASES)
    if len(seen) > MAX_CASES:
        raise InvalidInput(TOO_MANY)
    return list(seen.values())


def hand_down_many(
    session: Session,
    picks: Sequence[Pick],
    *,
    actor: Actor,
    now: datetime,
    note: str | None,
    unit_code: str | None = None,
    limits_config: dict[str, Any] | None = None,
) -> BulkOutcome:
    """交办 each picked case as a single 交办 would, one refusal undoing no other.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor (committed by the caller).
    picks : sequence of Pick
        The cases, each with the version the desk saw; a case picked twice counts once.
    actor : Actor
        Who hands them down.
    now : datetime
        Time of the 交办.
    note : str or None
        The 交办意见, one for all (required, as for a single 交办).
    unit_code : str, optional
        The unit every case goes to; ``None`` (按属地交办): each to the unit of the next level
        down containing it (:func:`layers.cases.act`'s ``hand_down``).
    limits_config : dict, optional
        Deadline configuration.

    Returns
    -------
    BulkOutcome
        The cases handed down and those refused, each with the single 交办's refusal.

    Raises
    ------
    InvalidInput
        No case picked, more than :data:`MAX_CASES`, or no 交办意见 (nothing is done).
    """
    chosen = _picked(picks)
    if not (note or "").strip():
        raise InvalidInput(workflow.note_refusal("hand_down", "registered"))
    params = {"unit_code": unit_code} if unit_code else {}
    chosen_name = _unit_names(session, {unit_code}).get(unit_code) if unit_code else None
    if unit_code and chosen_name is None:
        raise InvalidInput(NO_UNIT.format(code=unit_code))
    done: list[tuple[Case, str]] = []
    refused: list[Refused] = []
    # the rows are locked in id order, whatever the order picked: two desks handing down
    # overlapping picks at once wait for one another instead of deadlocking
    order = {pick.case_id: n for n, pick in enumerate(chosen)}
    for pick in sorted(chosen, key=lambda p: p.case_id):
        try:
            with session.begin_nested():
                case = cases.act(
                    session,
                    pick.case_id,
                    "hand_down",
                    actor=actor,
                    now=now,
                    expected_version=pick.version,
                    note=note,
                    params=params,
                    limits_config=limits_config,
                )
        except DomainError as exc:
            said = _refusal(session, actor, pick.case_id, exc)
            if unit_code and chosen_name and said.reason.startswith(unit_code):
                # the unit chosen does not contain the case: by its name, and what to do
                said = replace(said, reason=OUTSIDE_UNIT.format(name=chosen_name))
            refused.append(said)
            continue
        done.append((case, _unit_of(session, case.id)))
    names = _unit_names(session, {unit for _, unit in done})
    handed = [
        HandedDown(c.id, c.code, c.title, unit, names.get(unit, unit), c.version)
        for c, unit in done
    ]
    handed.sort(key=lambda h: order[h.case_id])
    refused.sort(key=lambda r: order[r.case_id])
    return BulkOutcome(handed, refused)


def _refusal(session: Session, actor: Actor, case_id: int, exc: DomainError) -> Refused:
    """Audit a case's refusal as the single 交办's route does, and say it (savepoint undone)."""
    audit.record(
        session,
        actor_id=actor.user_id,
        actor_name=actor.audit_name,
        action="case.hand_down",
        object_type="case",
        object_id=exc.object_id or str(case_id),
        outcome="denied" if isinstance(exc, Forbidden) else "failed",
        reason=mask_personal_numbers(f"{type(exc).__name__}: {exc}")[:500],
        detail={"bulk": True},
    )
    if isinstance(exc, NotFound):  # nothing of a case outside the scope is told
        return Refused(case_id, None, None, str(exc))
    seen = session.execute(select(Case.code, Case.title).where(Case.id == case_id)).first()
    code, title = (seen.code, seen.title) if seen is not None else (None, None)
    return Refused(case_id, code, title, str(exc))


def _unit_of(session: Session, case_id: int) -> str:
    """Return the unit the case's 交办 just went to (its event's ``unit_code``)."""
    payload = session.scalars(
        select(CaseEvent.payload)
        .where(CaseEvent.case_id == case_id, CaseEvent.action == "hand_down")
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).one()
    return str(payload["unit_code"])


def _unit_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = session.execute(
        select(Jurisdiction.code, Jurisdiction.name).where(Jurisdiction.code.in_(sorted(codes)))
    )
    return {str(code): str(name) for code, name in rows}


# ------------------------------------------------------------------------ 交办并督办

HAND_DOWN_SUPERVISE = "hand_down_supervise"
"""The combined step as :func:`offered` lists it beside the workflow's actions."""
HAND_DOWN_SUPERVISE_LABEL = "交办并督办"


def offered(case: Case, actor: Actor, actions: Sequence[str], *, now: datetime) -> bool:
    """Whether 交办并督办 is offered: a commander's own case it may 交办 but not 督办.

    A case the county has just 上报'd is the city's own: the city may not 督办 it (督办 is a
    superior's) until it has 交办'd it back, which the duty officer did not see (trial AZ m8).
    The step is offered where the 交办 is and a 督办 would be right after it: the actor's level
    handles the case, it is a commander (who 督办s), and no 督办 stands.

    Parameters
    ----------
    case : Case
        The case.
    actor : Actor
        Who reads it.
    actions : sequence of str
        The workflow actions open to the actor now (:func:`layers.cases.actions_open_to`).
    now : datetime
        The time (a 督办 standing until later is not made again).

    Returns
    -------
    bool
        Whether to offer it.
    """
    return (
        "hand_down" in actions
        and "supervise" not in actions
        and actor.role in workflow.RULES["supervise"].roles
        and actor.level == case.handling_level
        and not workflow.supervision_stands(case.supervision_deadline, now)
    )


def hand_down_and_supervise(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    now: datetime,
    expected_version: int | None,
    note: str | None,
    deadline: datetime | str | None,
    unit_code: str | None = None,
    limits_config: dict[str, Any] | None = None,
) -> Case:
    """交办 a case to the level below and 督办 it there, in one step (trial AZ m8).

    Two events, each through the workflow's own check (:func:`layers.cases.act`): the 交办
    (its 交办意见 the note) and then, the case now the lower level's, the 督办 with the same note
    as 督办意见 and its 督办时限. Either refused, nothing is done (the caller rolls back).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor (committed by the caller).
    case_id : int
        The case.
    actor : Actor
        Who hands it down and supervises it.
    now : datetime
        Time of both.
    expected_version : int or None
        The version the client saw.
    note : str or None
        The 督办意见, also the 交办意见 (required).
    deadline : datetime or str or None
        The 督办时限 (timezone-aware, after ``now``).
    unit_code : str, optional
        The unit it goes to; by default the one of the level below containing it.
    limits_config : dict, optional
        Deadline configuration.

    Returns
    -------
    Case
        The case, handed down and under the 督办.

    Raises
    ------
    InvalidInput
        No note, no or a bad 督办时限, or a unit that does not contain the case.
    Conflict, Forbidden, NotFound
        As the 交办 or the 督办 alone would.
    """
    if not (note or "").strip():
        raise InvalidInput(workflow.note_refusal("supervise", "triaged"))
    if deadline is None or deadline == "":
        raise InvalidInput("请填写督办时限")
    case = cases.act(
        session,
        case_id,
        "hand_down",
        actor=actor,
        now=now,
        expected_version=expected_version,
        note=note,
        params={"unit_code": unit_code} if unit_code else {},
        limits_config=limits_config,
    )
    return cases.act(
        session,
        case_id,
        "supervise",
        actor=actor,
        now=now,
        expected_version=case.version,
        note=note,
        params={"deadline": deadline},
        limits_config=limits_config,
    )
