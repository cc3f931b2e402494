"""The 审计日志 page (``/audit``) of the security auditor: the audit log and its hash chain.

``audit.js`` reads ``/api/audit`` (newest first; filters by action, account, object and date
range; paging) and ``/api/audit/verify`` (完整 / 被篡改) with the auditor's session; any other
role gets the API's 403, said in Chinese, and no entry. An entry about a person shows the
masked name and category the API gives (``object_label``), never clear data. The page shell
carries the Chinese names of the actions, outcomes, object kinds and refusals
(:func:`action_labels_json`, from :mod:`layers.audit_wording`, which the export shares); an action
without a name is shown as its code.
"""

from __future__ import annotations

import json
from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from layers.audit_wording import ACTION_LABELS, OBJECT_LABELS, OUTCOME_LABELS, REFUSALS
from layers.catalog import COLLECTIONS
from layers.console_wording import PAGE_KINDS
from layers.model import PersonCategory
from web.render import page_response

router = APIRouter(include_in_schema=False)

__all__ = [
    "ACTION_LABELS",
    "OBJECT_LABELS",
    "OUTCOME_LABELS",
    "REFUSALS",
    "action_labels_json",
    "audit_page",
    "router",
]


@cache
def action_labels_json() -> str:
    """Return the page's Chinese names as JSON: actions, outcomes, objects, kinds and the like.

    Actions, outcomes, objects, refusals, layers, import kinds and person categories.

    Returns
    -------
    str
        ``{"action": …, "outcome": …, "object": …, "refusal": …, "layer": …, "kind": …,
        "category": …}``.

    Examples
    --------
    >>> labels = json.loads(action_labels_json())
    >>> labels["action"]["person.unmask"], labels["outcome"]["denied"], labels["layer"]["persons"]
    ('查看身份信息', '拒绝', '特殊人群')
    """
    return json.dumps(
        {
            "action": ACTION_LABELS,
            "outcome": OUTCOME_LABELS,
            "object": OBJECT_LABELS,
            "refusal": REFUSALS,
            "layer": {name: collection.title for name, collection in COLLECTIONS.items()},
            "kind": PAGE_KINDS,
            "category": PersonCategory.labels(),
        },
        ensure_ascii=False,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page() -> HTMLResponse:
    """Serve the 审计日志 page.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script loads the entries through the API (auditors only).
    """
    return page_response("audit.html", page_title="审计日志", labels=action_labels_json())
