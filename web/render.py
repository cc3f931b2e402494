"""Rendering of console pages: the Jinja environment, the product name and the code tables.

Every console page extends ``console_base.html`` and receives, besides its own variables, the
Chinese labels of every code table (:func:`code_tables_json`) as JSON for the page's scripts,
plus ``case_action`` (workflow action → 中文名), ``case_action_done`` (what the toast says once
it is done, :data:`layers.workflow.DONE_LABELS`), ``level`` (1 → 省 … 5 → 村社区) and
``note_required`` (an action whose note is required → what the note is called) and
``photo_limits`` (:mod:`layers.photos`: the count, bytes, pixels, longer side and JPEG quality
of a photo kept, which a phone shrinks a photo to before sending it).
Templates link static files with ``{{ asset("console/common.js") }}``, their content-versioned
URL (:mod:`web.static_assets`), which browsers keep without asking again.
"""

from __future__ import annotations

import json
from functools import cache

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from layers import cases, photos, workflow
from layers.model import (
    AlertState,
    CaseState,
    Category,
    Channel,
    DispatchStatus,
    DisputeType,
    HazardType,
    LabelledEnum,
    Level,
    ManagementLevel,
    OpinionType,
    PersonCategory,
    PtzType,
    RiskLevel,
    Role,
    VideoStatus,
    VisitOutcome,
    WorkerRole,
    WorkerStatus,
)
from web.static_assets import STATIC_URL, asset_url

PRODUCT = "综治态势一张图"

CODE_TABLES: dict[str, type[LabelledEnum]] = {
    "alert_state": AlertState,
    "case_state": CaseState,
    "category": Category,
    "channel": Channel,
    "dispatch_status": DispatchStatus,
    "dispute_type": DisputeType,
    "hazard_type": HazardType,
    "opinion_type": OpinionType,
    "management_level": ManagementLevel,
    "person_category": PersonCategory,
    "ptz_type": PtzType,
    "risk_level": RiskLevel,
    "role": Role,
    "video_status": VideoStatus,
    "visit_outcome": VisitOutcome,
    "worker_role": WorkerRole,
    "worker_status": WorkerStatus,
}
"""Code tables whose Chinese labels every page's scripts can look up (``zz.label``)."""

templates = Environment(
    loader=PackageLoader("web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals["asset"] = asset_url  # {{ asset("console/common.js") }}: a versioned URL


@cache
def code_tables_json() -> str:
    """Return ``{table: {code: 中文名}}`` of :data:`CODE_TABLES` as JSON.

    Returns
    -------
    str
        The JSON text.

    Examples
    --------
    >>> json.loads(code_tables_json())["case_state"]["dispatched"]
    '已派单'
    """
    tables = {name: enum.labels() for name, enum in CODE_TABLES.items()}
    tables["case_action"] = {name: rule.label for name, rule in workflow.RULES.items()}
    tables["case_action_done"] = dict(workflow.DONE_LABELS)  # the toast once done
    tables["level"] = {str(level.value): level.label for level in Level}
    tables["handling_level"] = {str(level.value): level.handling_label for level in Level}
    tables["satisfaction"] = {str(k): v for k, v in cases.SATISFACTION_LABELS.items()}
    tables["note_required"] = dict(workflow.NOTE_REQUIRED)
    # what the server keeps of a photo, for a phone to shrink one to before sending it
    limits = {
        "max_photos": photos.MAX_PHOTOS,
        "max_bytes": photos.MAX_BYTES,
        "max_pixels": photos.MAX_PIXELS,
        "max_side": photos.MAX_SIDE,
        "quality": photos.QUALITY,
    }
    return json.dumps(tables | {"photo_limits": limits}, ensure_ascii=False)


def page_response(name: str, **context: object) -> HTMLResponse:
    """Render a console template with the product name, static URL and code tables filled in.

    Parameters
    ----------
    name : str
        Template file under ``web/templates``.
    **context
        Template variables.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page.
    """
    html = templates.get_template(name).render(
        product=PRODUCT, static=STATIC_URL, code_tables=code_tables_json(), **context
    )
    return HTMLResponse(html)
