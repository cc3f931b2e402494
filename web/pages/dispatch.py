"""The 调度台 page (``/dispatch/{code}``): queue, cameras, candidates, assignment, walk-ins."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from web.maps import page_map
from web.pages.case import workflow_labels_json
from web.paths import CodePath
from web.render import page_response

router = APIRouter(include_in_schema=False)


@router.get("/dispatch/{code}", response_class=HTMLResponse)
def dispatch_page(code: CodePath) -> HTMLResponse:
    """Serve the 调度台 page of unit ``code``.

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
        "dispatch.html",
        page_title="调度台",
        code=code,
        map=page_map(libraries=()),
        labels=workflow_labels_json(),
    )
