"""The 案件详情 page (``/cases/{id}``): timeline, parties, repeats, dispatches, legal route."""

from __future__ import annotations

import json
from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from layers import workflow
from web.maps import MapParts, page_map
from web.paths import IdPath
from web.render import page_response

router = APIRouter(include_in_schema=False)

#: Chinese of the notes imports wrote on their own events in English before session 13
#: (``layers.case_import`` now writes these): the timeline shows these instead.
IMPORT_NOTES: dict[str, str] = {
    "imported": "从文件导入",
    "updated from source": "按来源系统的新数据更新",
    "settled at source": "来源系统已办结",
}


@cache
def workflow_labels_json() -> str:
    """Return the Chinese names of actions, outcomes and legal routes, and imports' notes, as JSON.

    Returns
    -------
    str
        ``{"action": {...}, "outcome": {...}, "legal_route": {...}, "note": {...}}``.

    Examples
    --------
    >>> labels = json.loads(workflow_labels_json())
    >>> labels["action"]["dispatch"], labels["action"]["import"], labels["note"]["imported"]
    ('派单', '导入', '从文件导入')
    """
    return json.dumps(
        {
            "action": workflow.ACTION_LABELS,
            "outcome": workflow.OUTCOME_LABELS,
            "legal_route": workflow.LEGAL_ROUTE_LABELS,
            "note": IMPORT_NOTES,
        },
        ensure_ascii=False,
    )


@cache
def _map() -> MapParts:
    """Build the page's small map once per process (the case's point and grid, trial AO M7)."""
    return page_map(libraries=())


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
        The page shell with its small map; its script loads the case through the API (masked,
        in scope).
    """
    return page_response(
        "case.html",
        page_title="案件详情",
        case_id=case_id,
        labels=workflow_labels_json(),
        map=_map(),
    )
