"""Per-department figures (部门考核): ``GET /api/figures/departments``.

Each 承办部门's dispatches received in a window and what became of them
(:mod:`layers.department_figures`, trial BA S1), for a unit (the user's own by default). The
window follows the brief's rules (:mod:`layers.work_brief`): a calendar ``period`` holding
``date`` (default this month, to date), or ``from`` and ``to`` (Beijing time without a zone). A
department account gets its own rows; the brief's sheet 部门办理情况 holds the same figures.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import BusinessUser, SessionDep, utcnow
from api.routers.cases import actor_of
from layers import department_figures, work_brief
from layers.china_time import CHINA
from layers.errors import InvalidInput

router = APIRouter(prefix="/api/figures", tags=["command"])


def figures_window(
    period: work_brief.Period | None,
    day: date | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> work_brief.BriefWindow:
    """Return the window asked for: ``from``/``to``, or a calendar period (this month).

    Parameters
    ----------
    period : {'day', 'week', 'month', 'quarter'} or None
        A calendar period (default month).
    day : date or None
        A day of it (default today: the period to date).
    start, end : datetime or None
        A window instead (both or neither; without a zone, Beijing time).
    now : datetime
        The clock.

    Returns
    -------
    layers.work_brief.BriefWindow
        The window.

    Raises
    ------
    InvalidInput
        Only one of ``from`` and ``to``, or both with a period or a day.
    """
    if start is not None or end is not None:
        if start is None or end is None:
            raise InvalidInput("时段须同时给出开始时间 from 和结束时间 to")
        if period is not None or day is not None:
            raise InvalidInput("给出时段 from/to 时不能再给出周期 period 或日期 date")
        return work_brief.span(start, end, now)
    return work_brief.calendar(period or "month", day or now.astimezone(CHINA).date(), now)


@router.get("/departments", summary="Each 承办部门's dispatches over a window (部门考核)")
def departments(
    user: BusinessUser,
    session: SessionDep,
    unit: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    period: Annotated[
        work_brief.Period | None, Query(description="day, week, month (default) or quarter")
    ] = None,
    day: Annotated[
        date | None, Query(alias="date", description="A day of the period (default today)")
    ] = None,
    start: Annotated[
        datetime | None, Query(alias="from", description="A window's start (Beijing time)")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Its end")] = None,
) -> dict[str, Any]:
    """Return ``unit``, ``window`` (name, start, end, text), ``columns``, ``rows``, ``total``.

    ``columns`` pairs each field with its Chinese heading; ``rows`` are
    :meth:`layers.department_figures.DepartmentRow.as_json`, the most received first;
    ``note`` says what is counted. ``finished_in_window`` counts the dispatches 办结'd in the
    window whenever they were received (:func:`layers.department_figures.finished_in`, the
    department desk's 办结), ``finished_in_note`` says so.
    """
    now = utcnow()
    window = figures_window(period, day, start, end, now)
    actor = actor_of(user)
    code = unit or user.scope_code
    rows = department_figures.figures(
        session, code, actor=actor, start=window.start, end=window.end, now=now
    )
    return {
        "unit": code,
        "window": {
            "name": window.name,
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "text": window.span_text(),
        },
        "generated_at": now.isoformat(),
        "columns": [{"key": k, "label": v} for k, v in department_figures.COLUMNS],
        "rows": [r.as_json() for r in rows],
        "total": department_figures.total(rows).as_json(),
        "note": department_figures.NOTE,
        "finished_in_window": department_figures.finished_in(
            session, code, actor=actor, start=window.start, end=window.end
        ),
        "finished_in_note": department_figures.FINISHED_IN_NOTE,
    }
