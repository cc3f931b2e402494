"""A functional department's desk (``/desk/{code}``, 本部门待办, trial AQ M1).

A department account lands here instead of the command console: the cases dispatched to it
waiting for its 受理 first, then those it is handling, those a 吹哨 named it in and it has not
answered, those it answered (已反馈), and what it finished or sent back of late
(``GET /api/departments/desk``). Each row says who handles the case (承办) and its time limits
(trial AT M5). Each opens the case page, whose actions are a department's only: 受理, 处置反馈,
办结, 退回 (and 吹哨反馈 on a 吹哨), and whose breadcrumb leads back here.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from web.paths import CodePath
from web.render import page_response

router = APIRouter(include_in_schema=False)


@router.get("/desk/{code}", response_class=HTMLResponse)
def department_desk_page(code: CodePath) -> HTMLResponse:
    """Serve the 本部门待办 page of a department account scoped to ``code``.

    Parameters
    ----------
    code : str
        The 12-digit jurisdiction code.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script loads the desk through the API.
    """
    return page_response("department.html", page_title="本部门待办", code=code)
