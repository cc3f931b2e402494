"""The 研判分析 page (``/trends/{code}``): a shell whose script loads the API's aggregates.

``trends.js`` reads ``/api/trends/{code}/…``; the period's offline HTML report is served by the
API (``/api/trends/{code}/report.html``) and drawn by :func:`web.trend_export.report_html`,
which :func:`web.app.mount_console` hands to the application.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from web.maps import page_map
from web.paths import CodePath
from web.render import page_response

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
