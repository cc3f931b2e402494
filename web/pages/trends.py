"""The 研判分析 page (``/trends/{code}``) and its standalone HTML report.

The page is a shell; ``trends.js`` loads the aggregates from ``/api/trends/{code}/…``. The
report (``/trends/{code}/report.html``) is built here because it is a folium map
(``web.trend_export``); it is scoped like the API: the same authenticated, jurisdiction-scoped
session, a unit outside the user's scope answers 404.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import BusinessUser, SessionDep, utcnow
from api.routers.cases import actor_of
from api.routers.trends import SeriesDep
from layers import trend_report
from web.maps import page_map
from web.render import render_page
from web.trend_export import report_html

router = APIRouter(include_in_schema=False)

CodePath = Annotated[str, Path(pattern=r"^\d{12}$")]


@router.get("/trends/{code}", response_class=HTMLResponse)
def trends_page(code: CodePath) -> HTMLResponse:
    """Serve the 研判分析 page of unit ``code``.

    Parameters
    ----------
    code : str
        The 12-digit jurisdiction code.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script loads the data through the API.
    """
    return HTMLResponse(
        render_page("trends.html", page_title="研判分析", code=code, map=page_map(libraries=()))
    )


@router.get("/trends/{code}/report.html", response_class=HTMLResponse)
def trends_report(
    code: CodePath,
    q: SeriesDep,
    user: BusinessUser,
    session: SessionDep,
    download: Annotated[bool, Query()] = True,
) -> Response:
    """Return a period's report as one HTML file that opens offline.

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
    download : bool
        Send as an attachment (default) rather than inline.

    Returns
    -------
    fastapi.responses.Response
        The HTML file.
    """
    rep = trend_report.report(
        session,
        code,
        actor=actor_of(user),
        now=utcnow(),
        granularity=q.granularity,
        periods=q.periods,
        period=q.period,
    )
    headers = {}
    if download:
        name = f"研判报告_{rep.unit['name']}_{rep.period.key}.html"
        headers["Content-Disposition"] = (
            f'attachment; filename="trends-{code}-{rep.period.key}.html";'
            f" filename*=UTF-8''{quote(name)}"
        )
    return HTMLResponse(report_html(rep), headers=headers)
