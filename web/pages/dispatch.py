"""The 调度台 page (``/dispatch/{code}``): queue, cameras, candidates, assignment, walk-ins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from web.maps import page_map
from web.pages.case import workflow_labels_json
from web.render import render_page

router = APIRouter(include_in_schema=False)

CodePath = Annotated[str, Path(pattern=r"^\d{12}$")]


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
    return HTMLResponse(
        render_page(
            "dispatch.html",
            page_title="调度台",
            code=code,
            map=page_map(libraries=()),
            labels=workflow_labels_json(),
        )
    )
