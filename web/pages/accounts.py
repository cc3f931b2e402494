"""The 账号管理 page (``/accounts``): an administrator's accounts of their scope.

``accounts.js`` lists them (``GET /api/users``: login name, name, role, scope, state, the unmask
right), adds one (新建账号: the password the platform generates is shown once, to hand over;
its owner changes it at first login), gives a new password (重设密码, shown once too), changes
a post (调岗: role, scope, shown name), enables or disables, lifts a lock and grants or revokes
the unmask right, each through ``/api/users``; a refusal is the API's Chinese message. Other
roles get the API's 403, said on the page. The roles offered come from the code tables.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from web.render import page_response

router = APIRouter(include_in_schema=False)


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page() -> HTMLResponse:
    """Serve the 账号管理 page.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page shell; its script manages the accounts through the API.
    """
    return page_response("accounts.html", page_title="账号管理")
