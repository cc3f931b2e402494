"""The 审计日志 page (``/audit``) of the security auditor: the audit log and its hash chain.

``audit.js`` reads ``/api/audit`` (newest first; filters by action, account, object and date
range; paging) and ``/api/audit/verify`` (完整 / 被篡改) with the auditor's session; any other
role gets the API's 403, said in Chinese, and no entry. An entry's action, object, outcome and
reason are shown as the API says them (``texts``, from :mod:`layers.audit_wording`, which the
export shares): a person masked, never clear data. The page shell carries only the Chinese names
of the actions and object kinds its filter offers (:func:`action_labels_json`).
"""

from __future__ import annotations

import json
from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from layers.audit_wording import ACTION_LABELS, OBJECT_LABELS, OUTCOME_LABELS, REFUSALS
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
    """Return the Chinese names the page's filter offers as JSON: actions and object kinds.

    An entry's own texts come with it from the API (``texts``), not from these.

    Returns
    -------
    str
        ``{"action": …, "object": …}``.

    Examples
    --------
    >>> labels = json.loads(action_labels_json())
    >>> labels["action"]["person.unmask"], labels["object"]["case"]
    ('查看身份信息', '案件')
    """
    return json.dumps({"action": ACTION_LABELS, "object": OBJECT_LABELS}, ensure_ascii=False)


@router.get("/audit", response_class=HTMLResponse)
def audit_page() -> HTMLResponse:
    """Serve the 审计日志 page.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script loads the entries through the API (auditors only).
    """
    return page_response("audit.html", page_title="审计日志", labels=action_labels_json())
