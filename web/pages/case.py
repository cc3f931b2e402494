"""The 案件详情 page (``/cases/{id}``): timeline, parties, repeats, dispatches, legal route."""

from __future__ import annotations

import json
from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from layers import workflow
from web.paths import IdPath
from web.render import page_response

router = APIRouter(include_in_schema=False)


@cache
def workflow_labels_json() -> str:
    """Return the Chinese names of actions, outcomes and legal routes as JSON.

    Returns
    -------
    str
        ``{"action": {...}, "outcome": {...}, "legal_route": {...}}``.

    Examples
    --------
    >>> json.loads(workflow_labels_json())["action"]["dispatch"]
    '派单'
    """
    return json.dumps(
        {
            "action": workflow.ACTION_LABELS,
            "outcome": workflow.OUTCOME_LABELS,
            "legal_route": workflow.LEGAL_ROUTE_LABELS,
        },
        ensure_ascii=False,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: IdPath) -> HTMLResponse:
    """Serve the 案件详情 page of case ``case_id``.

    Parameters
    ----------
    case_id : int
        The case id.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script loads the case through the API (masked, in scope).
    """
    return page_response(
        "case.html", page_title="案件详情", case_id=case_id, labels=workflow_labels_json()
    )
