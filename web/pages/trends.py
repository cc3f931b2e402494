"""The 研判分析 page (``/trends/{code}``) and its standalone HTML report.

The page is a shell; ``trends.js`` loads the aggregates from ``/api/trends/{code}/…``. The
report (``/trends/{code}/report.html``) is built here because it is a folium map
(``web.trend_export``); it is scoped like the API: the same authenticated, jurisdiction-scoped
session, a unit outside the user's scope answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import BusinessUser, SessionDep
from api.routers.cases import CodePath
from api.routers.trends import SeriesDep, attachment, report_of
from web.maps import page_map
from web.render import page_response
from web.trend_export import report_html

router = APIRouter(include_in_schema=False)


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
    return page_response(
        "trends.html", page_title="研判分析", code=code, map=page_map(libraries=())
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
    rep = report_of(code, q, user, session)
    headers = {"Content-Disposition": attachment(code, rep, "html")} if download else {}
    return HTMLResponse(report_html(rep), headers=headers)
