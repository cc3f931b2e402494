"""回访 不满意: 重新办理 or 说明原因后销号, never a silent 已回访 (trial BA M3).

A 回访 whose 满意度 is 不满意 or 不太满意 (:data:`UNSATISFIED`, of
:data:`layers.cases.SATISFACTION_LABELS`) went on to 已回访 and was offered 销号 exactly as a
非常满意 one, with nothing in any list (trial BA M3). Now the operator making it chooses, in the
same request (``params.then``):

* ``reopen`` (重新办理): the case is sent back with the 回访's note as the reason
  (「回访不满意：…」) and dispatched again to whoever handled it last (the department, unit or
  grid worker whose dispatch 办结'd it): the 派单说明 carries the reason
  (:func:`layers.dispatch.assign`), which the department's desk and the 调度台 show; if that
  dispatch is refused (the worker off duty or at his cap), the case waits 已分流 for a 派单;
* ``archive`` (说明原因后销号): ``params.reason`` (required) is the 销号's note.

A grid worker's 回访 (who may do neither) goes through to 已回访, and its 销号 then needs a
reason too (:data:`ARCHIVE_REFUSAL`). A 满意 回访 is unchanged. The 不满意 counts in the
department's figures (:mod:`layers.department_figures`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import cases, workflow
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.model import Case, CaseEvent, CaseState, Dispatch, DispatchStatus
from layers.workflow import Actor

#: The 满意度 that ask for 重新办理 or a reason (不满意, 不太满意).
UNSATISFIED = (1, 2)
#: The follow-ups an operator chooses between.
CHOICES = ("reopen", "archive")
#: What a 不满意 回访 without a choice is told.
CHOICE_REFUSAL = "回访结果为不满意：请选择重新办理（退回承办单位重新处置），或说明原因后销号"
#: What a 销号 with no reason after a 不满意 回访 is told.
ARCHIVE_REFUSAL = "回访不满意的案件销号须说明原因"
#: The reason of the 重新办理 that follows a 不满意 回访 (the 回访's note follows it).
REOPEN_PREFIX = "回访不满意："


def _rating(params: Mapping[str, Any]) -> int | None:
    value = params.get("satisfaction")
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None  # the visit's own check refuses it


def last_visit_unsatisfied(session: Session, case_id: int) -> bool:
    """Whether the case's last 回访 (since its last 重新办理) was 不满意 or 不太满意.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    case_id : int
        The case.

    Returns
    -------
    bool
        True when its latest ``visit`` event, not followed by a ``reopen``, rated it
        :data:`UNSATISFIED`.
    """
    last = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.action.in_(("visit", "reopen")))
        .order_by(CaseEvent.id.desc())
        .limit(1)
    ).first()
    if last is None or last.action != "visit":
        return False
    return _rating(last.payload or {}) in UNSATISFIED


def choice(
    session: Session,
    case_id: int,
    action: str,
    *,
    actor: Actor,
    note: str | None,
    params: Mapping[str, Any] | None,
) -> str | None:
    """Check a 回访 or 销号 against a 不满意; return the follow-up chosen, if any.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor.
    case_id : int
        The case.
    action : str
        The action asked for (only ``visit`` and ``archive`` are checked).
    actor : Actor
        Who acts.
    note : str or None
        The action's note.
    params : mapping or None
        Its parameters (``satisfaction``, ``then``, ``reason``).

    Returns
    -------
    str or None
        ``reopen`` or ``archive`` to follow a 不满意 回访 with, else ``None``.

    Raises
    ------
    InvalidInput
        A 不满意 回访 by an operator with no (or an unknown) ``then``, or ``archive`` without
        its ``reason``; a 销号 without a note after a 不满意 回访.
    Forbidden, Conflict
        The follow-up is not the actor's to make.
    """
    p = dict(params or {})
    if action == "archive":
        if not (note or "").strip() and last_visit_unsatisfied(session, case_id):
            case = cases.get_case(session, case_id, actor=actor)
            if case.state == CaseState.VISITED:
                raise InvalidInput(ARCHIVE_REFUSAL)
        return None
    if action != "visit" or _rating(p) not in UNSATISFIED:
        return None
    then = p.get("then")
    if then in (None, "") and actor.role not in workflow.OPERATORS:
        return None  # a grid worker's 回访: the operators choose after it
    if then not in CHOICES:
        raise InvalidInput(CHOICE_REFUSAL)
    if then == "archive" and not str(p.get("reason") or "").strip():
        raise InvalidInput(ARCHIVE_REFUSAL)
    case = cases.get_case(session, case_id, actor=actor)
    workflow.check(actor, str(then), state=CaseState.VISITED, handling_level=case.handling_level)
    return str(then)


def follow(
    session: Session,
    case_id: int,
    then: str,
    *,
    actor: Actor,
    now: datetime,
    note: str | None,
    params: Mapping[str, Any] | None,
    limits_config: dict[str, Any] | None = None,
) -> Case:
    """Follow a 不满意 回访 just made with 重新办理 (and a new 派单) or 销号.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor, in the 回访's transaction.
    case_id : int
        The case (已回访 now).
    then : {'reopen', 'archive'}
        What :func:`choice` returned.
    actor : Actor
        Who made the 回访.
    now : datetime
        Its time.
    note : str or None
        The 回访's note (回访情况): the 重新办理's reason.
    params : mapping or None
        The 回访's parameters (``reason``: the 销号's).
    limits_config : dict, optional
        Deadline configuration.

    Returns
    -------
    layers.model.Case
        The case after the follow-up.
    """
    if then == "archive":
        reason = str(dict(params or {}).get("reason") or "").strip()
        return cases.act(
            session,
            case_id,
            "archive",
            actor=actor,
            now=now,
            note=reason,
            limits_config=limits_config,
        )
    said = (note or "").strip()
    case = cases.act(
        session,
        case_id,
        "reopen",
        actor=actor,
        now=now,
        note=REOPEN_PREFIX + said,
        limits_config=limits_config,
    )
    last = session.scalars(
        select(Dispatch)
        .where(Dispatch.case_id == case_id, Dispatch.status == DispatchStatus.FINISHED)
        .order_by(Dispatch.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return case
    from layers import dispatch

    try:
        with session.begin_nested():
            case = dispatch.assign(
                session,
                case_id,
                actor=actor,
                now=now,
                worker_id=last.worker_id,
                unit_code=last.unit_code if last.assignee_kind == "unit" else None,
                department=last.department if last.assignee_kind == "department" else None,
            )
    except (Conflict, Forbidden, InvalidInput, NotFound):
        # left 已分流: the desk dispatches it, and the reason goes with that 派单
        case = cases.get_case(session, case_id, actor=actor)
    return case
