"""Hot-spot trends of a unit for the planners' page: ``/api/trends/{code}/…``.

Aggregates only, for every business role; case counts are exact. The small case counts of map
cells are withheld from whoever may not list the cells' cases (an analyst), as on the command map
(:func:`layers.trends.min_count_for` with ``of="cases"``), the small counts of persons from
whoever may not see the persons one by one (an analyst, a city's commander too). A unit
outside the user's scope answers 404. Every endpoint of a series takes the same query:
``granularity`` and ``periods``; ``end``, the last period of the window (``2024-12`` or
``2024Q4``; the latest complete period when omitted); ``period``, the reported period of the
window (its last when omitted); and the source filter, ``channel`` (repeatable, 来源渠道) and
``origin`` (``platform`` or ``imported``). ``/changes`` and the reports take ``months`` too,
the length of the villages' change (变化对比: 3, 6 or 12 months against as many before).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import BusinessUser, Principal, SessionDep, utcnow
from api.downloads import XLSX, content_disposition
from api.routers.cases import CodePath, actor_of
from geo.codes import division_level
from layers import command, trend_report, trend_tables, trends, visit_history
from layers.errors import NotFound
from layers.model import Category, Channel
from layers.workflow import Actor

router = APIRouter(prefix="/api/trends", tags=["trends"])

HTML_RENDERER = "trend_report_html"
"""``app.state`` attribute holding the report's HTML renderer (``Report -> str``); the console
(``web.app.mount_console``) sets it: the offline map is drawn with folium, which is the web
package's, and the API does not import the web package."""


PERIOD_KEY = r"^\d{4}(-\d{2}|Q[1-4])$"


class SeriesQuery:
    """Which series: granularity, length, window end, reported period and source filter.

    Raises
    ------
    layers.errors.InvalidInput
        An unknown channel, origin or category (422).
    """

    def __init__(
        self,
        granularity: Annotated[str, Query(pattern=r"^(month|quarter)$")] = "month",
        periods: Annotated[int | None, Query(ge=4, le=trends.MAX_PERIODS)] = None,
        period: Annotated[str | None, Query(pattern=PERIOD_KEY)] = None,
        end: Annotated[str | None, Query(pattern=PERIOD_KEY)] = None,
        channel: Annotated[list[str] | None, Query()] = None,
        origin: Annotated[str | None, Query(max_length=20)] = None,
        category: Annotated[str | None, Query(max_length=20)] = None,
    ) -> None:
        self.granularity = granularity
        self.periods = periods or (24 if granularity == "month" else 8)
        self.period = period
        self.end = end
        self.case_filter = trends.case_filter(channel, origin, category)

    def params(self, *, period: str | None = None) -> str:
        """Return the query string of this series (and of ``period``), for links.

        Parameters
        ----------
        period : str, optional
            The reported period.

        Returns
        -------
        str
            ``granularity=…&periods=…`` with ``end``, ``channel``, ``origin``, ``category``
            and ``period`` when set.
        """
        pairs = [("granularity", self.granularity), ("periods", str(self.periods))]
        pairs += [("end", self.end)] if self.end else []
        pairs += [("channel", c) for c in self.case_filter.channels]
        pairs += [("origin", self.case_filter.origin)] if self.case_filter.origin else []
        pairs += [("category", self.case_filter.category)] if self.case_filter.category else []
        pairs += [("period", period)] if period else []
        return urlencode(pairs)

    def series(
        self, session: Session, code: str, actor: Actor, now: datetime | None = None
    ) -> trends.Series:
        """Return the analysis this query asks for (:func:`layers.trends.series`).

        Parameters
        ----------
        session : sqlalchemy.orm.Session
            The user's scoped session.
        code : str
            The 12-digit jurisdiction code.
        actor : Actor
            The user.
        now : datetime, optional
            Reference instant (default: now).

        Returns
        -------
        layers.trends.Series
            The analysis.
        """
        return trends.series(
            session,
            code,
            actor=actor,
            now=now or utcnow(),
            granularity=self.granularity,
            periods=self.periods,
            end=self.end,
            case_filter=self.case_filter,
        )


SeriesDep = Annotated[SeriesQuery, Depends()]


@router.get("/{code}", summary="Gi* hot spots per period and emerging hot spot classes")
def series(code: CodePath, q: SeriesDep, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Return the unit, its window and periods, the significant cells and the legend.

    ``min_count`` is the smallest case count of a cell shown (1 to whoever may list the cell's
    cases, as on the command map; 3 to an analyst), ``persons_min_count`` the smallest
    special-population count (3 to a city's commander too; null to a department, who reads no
    person at all).
    """
    actor = actor_of(user)
    now = utcnow()
    result = q.series(session, code, actor, now)
    unit = trends.unit_of(
        session, code, actor=actor, periods=result.periods, case_filter=q.case_filter
    )
    min_count = trends.min_count_for(actor, of="cases")
    body = trends.series_json(result, min_count=min_count)
    earliest = trends.history_start(session, code, actor=actor)
    return {
        "unit": unit,
        "counties": command.counties_held(session, code, division_level(code)),
        "granularity": q.granularity,
        "min_count": min_count,
        "persons_min_count": trends.min_count_for(actor) if trends.counts_persons(actor) else None,
        "generated_at": now.isoformat(),
        "latest_period": trends.last_complete(now, q.granularity),
        "first_period": None if earliest is None else trends.period_key(earliest, q.granularity),
        "first_day": None if earliest is None else trends.local_day(earliest).isoformat(),
        # each period's 环比 and 同比, small bases told as the exports tell them (trial AY M4)
        "case_changes": trend_tables.case_changes([int(n) for n in result.totals], q.granularity),
        "small_base": trend_tables.SMALL_BASE,
        **body,
    }


@router.get("/{code}/categories", summary="Cases by category and period")
def categories(
    code: CodePath, q: SeriesDep, user: BusinessUser, session: SessionDep
) -> dict[str, Any]:
    """Return the cases per category (and dispute type) and period (exact counts)."""
    actor = actor_of(user)
    trends.unit_of(session, code, actor=actor)
    spans = trends.window(utcnow(), q.granularity, q.periods, end=q.end)
    return trend_tables.category_counts(session, code, spans, case_filter=q.case_filter)


@router.get("/{code}/children", summary="Cases by child unit and period, with totals")
def children(
    code: CodePath, q: SeriesDep, user: BusinessUser, session: SessionDep
) -> dict[str, Any]:
    """Return the cases per child (retired ones with cases too) and period (exact counts)."""
    actor = actor_of(user)
    trends.unit_of(session, code, actor=actor)
    spans = trends.window(utcnow(), q.granularity, q.periods, end=q.end)
    return trend_tables.child_counts(session, code, spans, case_filter=q.case_filter)


ChangeMonths = Annotated[
    int,
    Query(
        ge=min(trend_tables.CHANGE_MONTHS),
        le=max(trend_tables.CHANGE_MONTHS),
        description="Months of the villages' change (3, 6 or 12) set against as many before",
    ),
]


@router.get("/{code}/changes", summary="Cases per village: the last months against those before")
def changes(
    code: CodePath,
    q: SeriesDep,
    user: BusinessUser,
    session: SessionDep,
    months: ChangeMonths = 6,
) -> dict[str, Any]:
    """Return each village's cases in the last ``months`` months against the months before.

    The recent months end with the window's last month (``end``, a quarter's last month; the
    latest complete period when omitted), the rows go from the largest rise down, each naming
    the case types that rose most (their counts below ``min_count`` null: an analyst's, as a
    map cell's; :func:`layers.trend_tables.village_changes`). The counts are exact and follow
    the source filter.
    """
    actor = actor_of(user)
    trends.unit_of(session, code, actor=actor)
    now = utcnow()
    end = q.end or trends.last_complete(now, q.granularity)
    return trend_tables.village_changes(
        session,
        code,
        trend_tables.change_periods(now, months, end),
        min_count=trends.min_count_for(actor, of="cases"),
        case_filter=q.case_filter,
    )


@router.get("/{code}/coverage", summary="Hot cells of a period that no online camera covers")
def coverage(
    code: CodePath, q: SeriesDep, user: BusinessUser, session: SessionDep
) -> dict[str, Any]:
    """Return the hot cells (95 % or more) of the period without camera coverage."""
    actor = actor_of(user)
    result, t = _period(code, q, actor, session)
    body = trend_tables.uncovered_hotspots(
        session, result, t, min_count=trends.min_count_for(actor, of="cases")
    )
    return {"period": result.periods[t].key, **body}


@router.get("/{code}/visits", summary="Overdue special-population visits by grid")
def visits(code: CodePath, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Return the persons followed and overdue per grid (counts only; none to a department)."""
    actor = actor_of(user)
    trends.unit_of(session, code, actor=actor)
    if not trends.counts_persons(actor):
        return trend_tables.WITHHELD_VISITS
    return trend_tables.overdue_visits(
        session, code, now=utcnow(), min_count=trends.min_count_for(actor)
    )


WITHHELD_VISIT_HISTORY: dict[str, Any] = {"withheld": True, "units": [], "totals": {}}
"""The 走访 history of a reader who may not count special-population persons (a department)."""


@router.get(
    "/{code}/visit-history", summary="Visits per period and unit: register, outcomes, overdue"
)
def visit_history_of(
    code: CodePath, q: SeriesDep, user: BusinessUser, session: SessionDep
) -> dict[str, Any]:
    """Return per period of the window and unit inside ``code`` the 走访 figures (counts only).

    The persons on the register and overdue at each period's end, the visits by outcome in it
    (:func:`layers.visit_history.visit_series`); a count below the reader's ``min_count`` null,
    none to a department.
    """
    actor = actor_of(user)
    trends.unit_of(session, code, actor=actor)
    if not trends.counts_persons(actor):
        return WITHHELD_VISIT_HISTORY
    spans = trends.window(utcnow(), q.granularity, q.periods, end=q.end)
    return visit_history.visit_series(session, code, spans, min_count=trends.min_count_for(actor))


def _period(code: str, q: SeriesQuery, actor: Actor, session: Session) -> tuple[trends.Series, int]:
    result = q.series(session, code, actor)
    return result, result.period_index(q.period)


def _density(
    code: str, q: SeriesQuery, user: Principal, session: Session
) -> tuple[str, trend_tables.Density | None]:
    result, t = _period(code, q, actor_of(user), session)
    return result.periods[t].key, trend_tables.density(session, result, t)


def report_of(
    code: str, q: SeriesQuery, user: Principal, session: Session, months: int = 6
) -> trend_report.Report:
    """Gather the report of the period ``q`` asks for (:func:`layers.trend_report.report`).

    Parameters
    ----------
    code : str
        The 12-digit jurisdiction code.
    q : SeriesQuery
        Granularity, length of the series and the reported period.
    user : Principal
        The current user.
    session : sqlalchemy.orm.Session
        The user's scoped session.
    months : int
        The months of the villages' change (变化对比).

    Returns
    -------
    layers.trend_report.Report
        The aggregates of the period.
    """
    return trend_report.report(
        session,
        code,
        actor=actor_of(user),
        now=utcnow(),
        granularity=q.granularity,
        periods=q.periods,
        period=q.period,
        end=q.end,
        case_filter=q.case_filter,
        change_months=months,
    )


def attachment(code: str, rep: trend_report.Report, extension: str) -> str:
    """Return the ``Content-Disposition`` of a report file (ASCII name and Chinese name).

    The name says the source filter when there is one (trial AO m3: a 矛盾纠纷 export and an
    unfiltered one had the same name): ``研判报告_华宁县_2026Q3_矛盾纠纷.xlsx``.

    Parameters
    ----------
    code : str
        The 12-digit jurisdiction code.
    rep : layers.trend_report.Report
        The report.
    extension : str
        ``html`` or ``xlsx``.

    Returns
    -------
    str
        The header value.
    """
    key = rep.period.key
    chosen = rep.series.case_filter
    said = "".join(f"_{part}" for part in filter_name_parts(chosen))
    ascii_said = "".join(
        f"-{part}" for part in (chosen.category, *chosen.channels, chosen.origin) if part
    )
    name = f"研判报告_{rep.unit['name']}_{key}{said}.{extension}"
    return content_disposition(name, f"trends-{code}-{key}{ascii_said}.{extension}")


def filter_name_parts(chosen: trends.CaseFilter) -> list[str]:
    """Return what a file name says of the source filter: category, channels, origin.

    Parameters
    ----------
    chosen : layers.trends.CaseFilter
        The filter of the report.

    Returns
    -------
    list of str
        Empty without a filter, e.g. ``['矛盾纠纷', '12345热线、来访', '本平台登记']``.

    Examples
    --------
    >>> filter_name_parts(trends.case_filter(["walk_in"], "platform", "dispute"))
    ['矛盾纠纷', '来访', '本平台登记']
    >>> filter_name_parts(trends.ALL_CASES)
    []
    """
    labels = Channel.labels()
    parts = [Category.label_of(chosen.category)] if chosen.category else []
    parts += ["、".join(labels[c] for c in chosen.channels)] if chosen.channels else []
    parts += [trends.ORIGINS[chosen.origin]] if chosen.origin else []
    return parts


@router.get("/{code}/kde", summary="Kernel density overlay of a period: bounds and image URL")
def kde(code: CodePath, q: SeriesDep, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Return where to draw the overlay (``bounds`` for Leaflet) and the URL of its PNG."""
    key, found = _density(code, q, user, session)
    if found is None:
        return {"period": key, "bounds": None, "image": None}
    return {
        "period": key,
        "bounds": found.bounds,
        "bandwidth_m": found.bandwidth_m,
        "peak_per_km2": found.peak_per_km2,
        "image": f"/api/trends/{code}/kde.png?{q.params(period=key)}",
    }


@router.get("/{code}/kde.png", summary="Kernel density overlay of a period (PNG)")
def kde_png(code: CodePath, q: SeriesDep, user: BusinessUser, session: SessionDep) -> Response:
    """Return the overlay image; 404 when the period has too few located cases."""
    _, found = _density(code, q, user, session)
    if found is None:
        raise NotFound("该统计期有位置的案件太少，无法绘制核密度图")
    return Response(found.png, media_type="image/png", headers={"Cache-Control": "private"})


@router.get("/{code}/report.xlsx", summary="A period's trend report as an XLSX workbook")
def report_xlsx(
    code: CodePath,
    q: SeriesDep,
    user: BusinessUser,
    session: SessionDep,
    months: ChangeMonths = 6,
) -> Response:
    """Return the summary, hot cells, categories, villages' change, uncovered spots, visits.

    ``months`` is the length of the villages' change (变化对比).
    """
    rep = report_of(code, q, user, session, months)
    return Response(
        trend_report.workbook(rep),
        media_type=XLSX,
        headers={"Content-Disposition": attachment(code, rep, "xlsx")},
    )


@router.get("/{code}/outlines", summary="Boundaries of the unit and its children (GeoJSON)")
def outlines(code: CodePath, user: BusinessUser, session: SessionDep) -> dict[str, Any]:
    """Return the simplified boundaries to draw under the hot spots."""
    return trends.outlines(session, code, actor=actor_of(user))


@router.get(
    "/{code}/report.html",
    response_class=HTMLResponse,
    summary="A period's trend report as one HTML file that opens offline (map, legend, tables)",
    responses={404: {"description": "Unit outside the scope, or no console mounted to draw it"}},
)
def report_html(
    request: Request,
    code: CodePath,
    q: SeriesDep,
    user: BusinessUser,
    session: SessionDep,
    download: Annotated[bool, Query()] = True,
    months: ChangeMonths = 6,
) -> Response:
    """Return the period's report drawn by the console; an attachment unless ``download=0``."""
    render: Callable[[trend_report.Report], str] | None = getattr(
        request.app.state, HTML_RENDERER, None
    )
    if render is None:
        raise NotFound("本服务未加载操作台，无法生成网页版报告，请下载 Excel 报告")
    rep = report_of(code, q, user, session, months)
    headers = {"Content-Disposition": attachment(code, rep, "html")} if download else {}
    return HTMLResponse(render(rep), headers=headers)
