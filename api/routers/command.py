"""The five-level command feed: ``GET /api/command/{code}``, and its brief as a workbook.

The same JSON shape at every level (see :mod:`layers.command`). Analysts get the KPIs and the
alerts but an empty ``queue`` (and ``late_dispatches`` counted, not listed): they see
aggregates, never individual cases.
``GET /api/command/{code}/history`` says when its case history starts.
``GET /api/command/{code}/brief.xlsx?days=7`` is the feed's figures over a day, a week or a
month up to now (日汇总、周研判、月总结, :mod:`layers.work_brief`); ``?period=month`` is last
month's, ``?period=month&date=2026-09-01`` that of September (``day``, ``week`` and ``quarter``,
the 季度总结, alike); ``?shift=night`` last night's shift, 18:00 to 08:00 (``&date=`` the day it
begins), ``?start=…&end=…`` any span (a time without a zone is Beijing time), for the shift
taking over (交班: who holds each open case, :mod:`layers.brief_holders`). The
brief compares the window's figures with the feed's over the window before (环比) and over the
same window a year before (同比), each window's 办结率 read the same whole days after its end (a
past period's at the end of the day before the brief is made, the last days' at each window's
end: :meth:`layers.work_brief.BriefWindow.resolved_at`,
:func:`layers.brief_cases.resolved_shares`), and lists the cases behind them
(:mod:`layers.brief_cases`), except to an analyst.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import BBoxDep, BusinessUser, DeadlinesDep, SessionDep, utcnow
from api.downloads import XLSX, xlsx_response
from api.routers.cases import CodePath, actor_of
from api.routers.ogc import GEOJSON, GeoJSONText
from geo.codes import scope_range
from layers import (
    alerts,
    audit,
    brief_cases,
    case_lists,
    command,
    command_points,
    department_figures,
    features,
    trends,
    visit_history,
    work_brief,
)
from layers import cases as cases_layer
from layers.catalog import get_collection
from layers.china_time import CHINA
from layers.errors import InvalidInput
from layers.model import CaseState, RiskLevel, Role

router = APIRouter(prefix="/api/command", tags=["command"])
# the 申请延期 the feed counts at most (the page says 100+ beyond)
EXTENSIONS_COUNTED = 100


@router.get("/{code}", summary="Command feed of a unit: children KPIs, queue, alerts")
def feed(
    code: CodePath,
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    window_days: Annotated[int, Query(ge=1, le=366)] = command.WINDOW_DAYS,
    parts: Annotated[
        Literal["all", "cases"],
        Query(
            description="``cases``: only what a case event can change (the case KPIs, queue, "
            "tasks, recalls, late dispatches, new 督办), which the command page reads again on "
            "each live case event; ``all`` (default) everything"
        ),
    ] = "all",
) -> dict[str, Any]:
    """Return the unit, its children with KPIs, its queue and its open alerts.

    ``parts=cases`` leaves out what no case event changes (走访逾期, the cameras, the hot
    cells, the alerts: :data:`layers.command.PARTS`), the costliest parts of a big county's
    feed, with the same case figures as a full read (trial BC M4). Both carry
    ``extensions_pending``, how many of the unit's cases wait for its level's decision on a
    申请延期 (at most :data:`EXTENSIONS_COUNTED`; ``null`` for a role that decides none), and a
    full read ``first_day`` as ``/history`` gives it, which the command page read separately
    on opening and after each case event.
    """
    actor = actor_of(user)
    now = utcnow()
    body = command.feed(
        session,
        code,
        actor=actor,
        now=now,
        window_days=window_days,
        limits_config=limits,
        parts=parts,
    )
    body["extensions_pending"] = (
        len(
            case_lists.stage_list(
                session,
                actor=actor,
                stage=case_lists.Stage.EXTENSION_PENDING,
                code=code,
                limit=EXTENSIONS_COUNTED,
                now=now,
            )
        )
        if user.role in (Role.COMMANDER, Role.DISPATCHER)
        else None
    )
    if parts == "all":
        body["first_day"] = history(code, user, session)["first_day"]
    if user.role == Role.ANALYST:
        body["queue"] = []
        body["late_dispatches"]["cases"] = []  # the count only (辖区派单超时未受理)
    return body


@router.get(
    "/{code}/points/{layer}",
    summary="The map's grid workers or persons in view: their points, else counts per grid",
    responses={200: {"content": {GEOJSON: {}}}},
)
def points_in_view(
    code: CodePath,
    layer: Literal["workers", "persons"],
    user: BusinessUser,
    session: SessionDep,
    bbox: BBoxDep,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Most points drawn")] = 2000,
) -> Response:
    """Return the layer's features in ``bbox`` where they fit in ``limit``, else counts.

    The command map of unit ``code`` reads its 网格员 and 特殊人群 here, one read per layer and
    move (trial BC S3: the first 2,000 of a county's 4,395 workers by id left a township
    without a dot): the OGC items of the box (``"shown": "points"``, each read of the persons
    audited as theirs is), or, where more lie in the box, ``{"shown": "grid"}`` (or
    ``"village"`` where the box spans more than :data:`layers.command_points.GRID_BADGES`
    grids) with ``numberMatched`` and ``groups``: each grid's or village's ``code``, ``name``,
    ``lon``/``lat`` of its badge, ``bounds`` of its points, ``total`` and the workers'
    ``status`` counts. In the reader's scope; 403 for a reader of counts only (the hexagon
    tiles are theirs), 404 for a unit outside the scope.
    """
    actor = actor_of(user)
    cases_layer.unit_range(code, actor)  # the page's unit lies in the scope
    if bbox is None:
        raise InvalidInput("请给出地图范围 bbox")
    collection = get_collection(layer).read_by(user.role, user.scope_code)
    found = command_points.in_view(
        session, collection, role=user.role, scope_code=user.scope_code, bbox=bbox, limit=limit
    )
    if found.page is None:
        counts = {
            "shown": found.shown,
            "numberMatched": found.matched,
            "groups": [g.as_json() for g in found.groups],
        }
        return GeoJSONText(orjson.dumps(counts).decode(), media_type="application/json")
    if collection.audit_reads:
        audit.record_layer_read(
            session,
            actor_id=user.id,
            actor_name=user.username,
            collection_id=collection.id,
            scope_code=user.scope_code,
            returned=found.page.returned,
            matched=found.page.matched,
            bbox=(bbox.minx, bbox.miny, bbox.maxx, bbox.maxy),
        )
    return GeoJSONText(
        features.add_members(found.page.body, {"shown": "points", "truncated": False})
    )


@router.get("/{code}/handover", summary="The unit's open cases and who holds each (交班视图)")
def handover(
    code: CodePath,
    user: BusinessUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=2000)] = 200,
) -> dict[str, Any]:
    """Return the open cases, one row a matter, the highest risk first, and who holds each.

    The shift taking over reads who holds each case (worker and grid, unit or department, or
    the level still to dispatch it), since when, the departments summoned or dispatched to and
    their answers, and the repeats (trial AZ M8); the brief's 交班在办案件 is the same list. An
    analyst, who reads aggregates only, is refused. No reporter's name or number is given.
    """
    now = utcnow()
    found = brief_cases.handover(session, code, actor=actor_of(user), now=now, limit=limit)
    rows = []
    for case in found.open_now.rows:
        held = found.holdings.get(case.case_id) if case.case_id is not None else None
        rows.append(
            {
                "id": case.case_id,
                "code": case.code,
                "title": case.title,
                "risk_level": case.risk_level,
                "risk_label": RiskLevel.label_of(str(case.risk_level)),
                "state_label": CaseState.label_of(case.state),
                "area_name": case.area_name,
                "reported_at": case.reported_at.isoformat(),
                "holder": held.holder if held else "",
                "since": held.since.isoformat() if held and held.since else None,
                "progress": held.progress if held else "",
                "change": held.change if held else "",
                "departments": held.departments if held else [],
                "repeats": held.repeats if held else "",
            }
        )
    return {
        "generated_at": now.isoformat(),
        "open_cases": found.open_cases,
        "matters": found.open_now.total,
        "capped": found.open_now.capped,
        "rows": rows,
    }


@router.get("/{code}/history", summary="When the unit's case history starts")
def history(code: CodePath, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Return ``first_day``: the day (in China) of the unit's earliest case, or None.

    The page's 往月 offers no month before it (trial AA: 2024年11月, a month before the first
    case, was offered).
    """
    earliest = trends.history_start(session, code, actor=actor_of(user))
    return {"first_day": None if earliest is None else trends.local_day(earliest).isoformat()}


@router.get(
    "/{code}/brief.xlsx",
    summary="The unit's figures over a day, week, month or quarter (日汇总 … 季度总结), XLSX",
    description="Either ``days`` up to now (default 7), or the calendar ``period`` holding "
    "``date`` in Beijing time (default the period before the current one).",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def brief(
    code: CodePath,
    user: BusinessUser,
    session: SessionDep,
    limits: DeadlinesDep,
    days: Annotated[
        int | None, Query(ge=1, le=366, description="The last days up to now: 1, 7, 30 …")
    ] = None,
    period: Annotated[
        work_brief.Period | None,
        Query(description="A calendar day, week, month or quarter instead"),
    ] = None,
    day: Annotated[
        date | None,
        Query(
            alias="date",
            description="A day of that period (YYYY-MM-DD); with shift=night, the day it begins",
        ),
    ] = None,
    shift: Annotated[
        Literal["night"] | None,
        Query(description="A night shift, 18:00 to 08:00 the next morning (Beijing time)"),
    ] = None,
    start: Annotated[
        datetime | None, Query(description="A window's start (no zone: Beijing time)")
    ] = None,
    end: Annotated[datetime | None, Query(description="Its end (no zone: Beijing time)")] = None,
) -> Response:
    """Return the KPIs over the window, before it (环比), a year before (同比), cases, alerts."""
    now = utcnow()
    chosen = [n for n, v in (("days", days), ("period", period), ("shift", shift)) if v]
    if start is not None or end is not None:
        chosen.append("start/end")
    if len(chosen) > 1:
        raise InvalidInput(
            "days（最近天数）、period（自然日、周、月、季度）、shift（夜班）与 start/end（时段）"
            "只能给出一个"
        )
    if start is not None or end is not None:
        if start is None or end is None:
            raise InvalidInput("时段须同时给出开始时间 start 和结束时间 end")
        if day is not None:
            raise InvalidInput("给出时段 start/end 时不能再给出日期 date")
        window = work_brief.span(start, end, now)
    elif shift is not None:
        window = work_brief.night(day, now)
    elif period is None:
        if day is not None:
            raise InvalidInput(
                "给出日期时须同时给出简报周期 period（day、week、month 或 quarter）或 shift=night"
            )
        window = work_brief.rolling(days or 7, now)
    else:
        window = work_brief.calendar(period, day, now)
    actor = actor_of(user)

    def feed_over(span: work_brief.BriefWindow, alert_limit: int) -> dict[str, Any]:
        return command.feed(
            session,
            code,
            actor=actor,
            now=now,
            window=(span.start, span.end),
            queue_limit=1,
            alert_limit=alert_limit,
            limits_config=limits,
        )

    body = feed_over(window, alert_limit=500)
    children = [c["code"] for c in body["children"]]

    def resolved_over(span: work_brief.BriefWindow) -> dict[str, float | None]:
        # its 办结率 as it stood as long after its end as the brief's own (whole days)
        return brief_cases.resolved_shares(
            session,
            code,
            children,
            actor=actor,
            start=span.start,
            end=span.end,
            as_of=span.measured_at(window, now),
        )

    def compared(
        kind: work_brief.ComparisonKind, span: work_brief.BriefWindow
    ) -> work_brief.Comparison:
        return work_brief.Comparison(
            kind, span, feed_over(span, alert_limit=1), resolved_over(span)
        )

    # a past period's own 办结率 at the end of the day before now, not the feed's (now)
    own = resolved_over(window) if window.resolved_at(now) < now else None

    # a past period's 走访逾期 at its end, not now (trial AY S2)
    visits_end = None
    if window.period is not None and window.end < now and trends.counts_persons(actor):
        visits_end = visit_history.overdue_at_end(
            session,
            code,
            children,
            window.end.astimezone(CHINA).date() - timedelta(days=1),
            min_count=trends.min_count_for(actor),
        )

    comparisons = [compared("环比", window.previous()), compared("同比", window.year_before())]
    units = [body["unit"]["code"], *children]
    first_cases = brief_cases.first_reported(session, units, actor=actor)
    listed = None  # an analyst sees aggregates, never individual cases
    if user.role != Role.ANALYST:
        listed = brief_cases.collect(
            session, code, actor=actor, start=window.start, end=window.end, now=now
        )
    closed = alerts.listed(
        session,
        scope_range(code),
        state="closed",
        limit=500,
        closed_since=window.start,  # and after its end: listed as open at its end (AU M5)
        min_count=trends.min_count_for(actor, of="cases"),
    )
    return xlsx_response(
        work_brief.workbook(
            body,
            closed.alerts,
            window=window,
            now=now,
            comparisons=comparisons,
            first_cases=first_cases,
            cases=listed,
            resolved=own,
            overdue_at_end=visits_end,
            departments=department_figures.figures(
                session, code, actor=actor, start=window.start, end=window.end, now=now
            ),
        ),
        window.file_name(body["unit"]["name"]),
        f"brief-{code}-{window.tag}.xlsx",
    )
