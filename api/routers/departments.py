"""The departments a unit's area already named: ``GET /api/departments``.

The console's 派往职能部门 and 吹哨部门 fields offer them, the most named first
(:func:`layers.dispatch.departments_named`), so a department is written the same way each time.
With ``case``, the departments of the level handling that case
(:func:`layers.dispatch.departments_for_case`): a city-level case the city's own (trial AM M1).
``GET /api/departments/desk`` is a department account's own desk (本部门待办, trial AQ M1).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import BusinessUser, DeadlinesDep, SessionDep, utcnow
from api.routers.cases import actor_of, case_json
from layers import (
    address_townships,
    cases,
    deadline_extensions,
    department_levels,
    department_scope,
    dispatch,
)
from layers.errors import Forbidden
from layers.model import Role

router = APIRouter(prefix="/api/departments", tags=["dispatch"])


@router.get("", summary="Departments dispatched to or summoned (吹哨) in the unit's area")
def named(
    user: BusinessUser,
    session: SessionDep,
    code: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    case: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Return ``{"departments": [...], "groups": [...]}``, the most named first, then the accounts.

    ``groups`` (a county's, a city's or a province's account; else empty): the names by level, its
    own departments first (:func:`layers.department_levels.groups`), each ``label`` and
    ``names``. With ``case``: the departments of its level
    (:func:`layers.dispatch.departments_for_case`).
    """
    actor = actor_of(user)
    if case is not None:
        return dispatch.departments_for_case(session, actor=actor, case_id=case)
    named = dispatch.departments_named(session, actor=actor, code=code)
    # and the department accounts of the county and above, which a 吹哨 picks from (AQ S3)
    accounts, _ = department_scope.known_departments(session, actor, code or actor.scope_code)
    names = named + [a for a in accounts if a not in named]
    by_level = department_levels.groups(session, actor, names)
    return {"departments": names, "groups": [asdict(group) for group in by_level]}


#: What anyone but a department is told at the department's desk.
NOT_A_DEPARTMENT = "本部门待办仅供职能部门账号使用"


@router.get("/desk", summary="A department's desk: 待受理, 处置中, 被吹哨, 已反馈, 已办结 / 已退回")
def desk(user: BusinessUser, session: SessionDep, limits: DeadlinesDep) -> dict[str, Any]:
    """Return ``department`` (the account's name) and ``cases``, each with its ``desk`` facts.

    ``desk.group`` is ``to_accept``, ``handling``, ``summoned``, ``answered`` or ``done``
    (:func:`layers.department_scope.desk`), with ``department``, ``at``, ``status``,
    ``handler`` (who handles the case now, 承办) and, for a 吹哨, its ``note``, ``ask`` (what it
    asks of this department beside the note, or null) and ``by``, and ``answered_at`` (its
    latest 吹哨反馈) once answered, and ``closed_by`` (the unit whose operator 办结'd a finished
    dispatch the department did not, trial BA S2). The case's own ``deadline`` and
    ``deadline_status`` give its 办结时限, its ``extension`` the 申请延期 of its current round
    (pending, approved or refused: :mod:`layers.deadline_extensions`), its ``address_mismatch``
    an address naming another township than its point's (:mod:`layers.address_townships`).
    """
    if user.role != Role.DEPARTMENT:
        raise Forbidden(NOT_A_DEPARTMENT)
    now = utcnow()
    rows = department_scope.desk(session, actor_of(user), now=now)
    facts = cases.latest(session, list({r.case.id: r.case for r in rows}.values()))
    extended = deadline_extensions.latest(session, [r.case.id for r in rows])
    elsewhere = address_townships.for_cases(session, [r.case.id for r in rows])
    listed = []
    for row in rows:
        body = case_json(row.case, user, now=now, limits_config=limits, latest=facts[row.case.id])
        body |= deadline_extensions.as_json(extended[row.case.id], row.case)
        body |= address_townships.as_json(elsewhere, row.case.id)  # 地址与位置不符 (trial AX M4)
        body["desk"] = {
            "group": row.group,
            "department": row.department,
            "at": row.at.isoformat(),
            "status": row.status,
            "note": row.note,
            "by": row.by,
            "handler": row.handler,
            "answered_at": row.answered_at.isoformat() if row.answered_at else None,
            "ask": row.ask,  # what the 吹哨 asks of this department (trial AZ m7)
            # the unit whose operator 办结'd it, not the department (trial BA S2)
            "closed_by": row.closed_by,
        }
        listed.append(body)
    return {"department": user.display_name, "cases": listed}
