"""The 数据导入 page (``/imports``): a clerk's import of a file from the browser.

``imports.js`` reads ``/api/imports/kinds`` (the kinds this account may import, the coordinate
systems, the size limit): an account that may import none gets the API's 403, said in Chinese,
and no form. The form uploads a file with the options of ``zongzhi import`` (试运行 ticked by
default) to ``POST /api/imports``; the account's jobs are listed newest first
(``/api/imports``), each polled every 2 s while it waits (排队中：前面还有 N 个导入, ``ahead``) or
runs. A job says what it did at a glance (trial U, F1): its outcome badge, one colour each
(已导入, 部分导入, 未导入, 无法导入, 试运行通过, 试运行：有退回的行; a dry run's outlined, since it
writes nothing) and, at the top of its panel, one line of counts (``新增 5 · 更新 2 · 未变 57 ·
退回 3 · 导入编号 17``; the exit code is not shown). The panel shows the command's own output
(``output_html``: made by rich on the server, the text escaped there), while it runs too, and
the files the command wrote (the reject report…). A kept upload (``can_run``: after any job that
wrote nothing, a refusal included, or one stopped after its commit; trial U N1, N2) is run
again from its button, 重新导入… (正式导入… after a dry run that read the file): the form, filled
with the job's options to change, has two buttons, 重新试运行 and 正式导入
(``POST /api/imports/{id}/run`` with ``dry_run``); when the run before rejected rows, the form
says that 正式导入 imports nothing unless 有退回的行时仍导入其余有效行 is ticked (F2).
A kept upload can be deleted (删除上传的文件, ``DELETE /api/imports/{id}/upload``); 取消 asks
first, and a cancelled or interrupted job says what the API says, never a note of the page's
own (F9). An optional 列对照文件 (TOML/JSON) goes with an upload as ``mapping`` (F4). The form
remembers the kind chosen last (``localStorage``).

The page shell carries what the API does not say: the one-line consequence of ``--complete``
for each kind that takes it (:data:`COMPLETE_NOTES`) and the file types an upload may be
(:data:`ACCEPTED_SUFFIXES`).
"""

from __future__ import annotations

import json
from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from web.render import page_response

router = APIRouter(include_in_schema=False)

COMPLETE_NOTES: dict[str, str] = {
    "grids": "库中导入范围内文件未列的网格一律撤销，其人员、在办案件等按点位改属新网格；"
    "将撤销范围内半数以上的须再次确认。",
    "jurisdictions": "库中导入范围内文件未列的辖区一律撤销，其人员、在办案件等按点位改属新辖区；"
    "将撤销范围内半数以上的须再次确认。",
    "video": "文件未列的导入范围内在用视频点位一律撤销（不再上图、不计统计，记录保留）；"
    "将撤销范围内半数以上的须再次确认。",
    "persons": "库中导入范围内在册而文件未列的同类别人员按导入当天注销（名单未列，记录保留）。",
}
"""What ``--complete`` does to what a file does not list, per kind that takes it (one line)."""

ACCEPTED_SUFFIXES: tuple[str, ...] = (
    ".csv",
    ".txt",
    ".xlsx",
    ".xls",
    ".zip",
    ".geojson",
    ".json",
    ".gpkg",
    ".kml",
    ".kmz",
)
"""File types the file chooser offers (a Shapefile comes as a zip with its .dbf and .shx)."""


@cache
def page_settings_json() -> str:
    """Return the page's own settings as JSON: the consequence of ``--complete`` per kind.

    Returns
    -------
    str
        ``{"complete_notes": {kind: 中文}}``.

    Examples
    --------
    >>> json.loads(page_settings_json())["complete_notes"]["video"][:9]
    '文件未列的导入范围'
    """
    return json.dumps({"complete_notes": COMPLETE_NOTES}, ensure_ascii=False)


@router.get("/imports", response_class=HTMLResponse)
def imports_page() -> HTMLResponse:
    """Serve the 数据导入 page.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script uploads and follows the account's imports through the API.
    """
    return page_response(
        "imports.html",
        page_title="数据导入",
        settings=page_settings_json(),
        accept=",".join(ACCEPTED_SUFFIXES),
    )
