"""Mount the operator console on the platform's FastAPI application.

``mount_console(app)`` serves ``web/static`` at ``/static`` (vendored libraries and the console's
own JS/CSS, under content-versioned URLs: :mod:`web.static_assets`), the Chinese login page
at ``/login`` (``/`` redirects there) and the pages of :data:`PAGE_MODULES` (the command view,
the dispatch desk, the case page, the trends page, the auditor's audit log, the clerks'
数据导入), and gives the API the renderer of the trend report's offline HTML map
(``app.state``), so that neither package imports the other. A page's jurisdiction code may be
typed short (``620702``): it is redirected to the page of the 12-digit code (:mod:`web.paths`).
"""

from __future__ import annotations

import json
from importlib import import_module

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse

from layers.model import Role
from web.paths import add_code_handlers
from web.render import page_response
from web.static_assets import STATIC_DIR, STATIC_URL, VersionedStaticFiles, static_manifest
from web.trend_export import report_html

PAGE_MODULES: list[str] = [
    "web.pages.command",
    "web.pages.dispatch",
    "web.pages.department",
    "web.pages.case",
    "web.pages.trends",
    "web.pages.audit",
    "web.pages.imports",
    "web.pages.accounts",
]
"""Modules whose ``router`` of HTML pages is included by :func:`mount_console`."""

#: Where each role lands after logging in; ``{code}`` is the user's scope code.
LANDING_PATHS: dict[str, str] = {
    Role.ADMIN.value: "/accounts",  # an administrator reads no business data: no map to land on
    Role.AUDITOR.value: "/audit",
    Role.COMMANDER.value: "/console/{code}",
    Role.DISPATCHER.value: "/dispatch/{code}",
    Role.GRID_WORKER.value: "/console/{code}",
    # a department's own desk, not the command console (trial AQ M1, S2)
    Role.DEPARTMENT.value: "/desk/{code}",
    Role.ANALYST.value: "/trends/{code}",
}
FALLBACK_PATH = "/console/{code}"


def landing_path(role: str, scope_code: str) -> str:
    """Return the page a user of ``role`` and scope ``scope_code`` lands on after login.

    Parameters
    ----------
    role : str
        A :class:`layers.model.Role` value.
    scope_code : str
        The user's jurisdiction code.

    Returns
    -------
    str
        The path.

    Examples
    --------
    >>> landing_path("dispatcher", "460105001000")
    '/dispatch/460105001000'
    >>> landing_path("department", "460105000000")
    '/desk/460105000000'
    >>> landing_path("analyst", "460100000000")
    '/trends/460100000000'
    >>> landing_path("auditor", "460000000000")
    '/audit'
    >>> landing_path("admin", "460000000000")
    '/accounts'
    """
    return LANDING_PATHS.get(role, FALLBACK_PATH).replace("{code}", scope_code)


def login_page() -> HTMLResponse:
    """Serve the login page.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page; its script posts to ``/api/auth/token`` and follows :data:`LANDING_PATHS`.
    """
    landing = json.dumps({"paths": LANDING_PATHS, "fallback": FALLBACK_PATH})
    return page_response("login.html", landing_json=landing)


def root_redirect() -> RedirectResponse:
    """Send ``/`` to the login page.

    Returns
    -------
    fastapi.responses.RedirectResponse
        A 307 to ``/login``.
    """
    return RedirectResponse("/login")


def mount_console(app: FastAPI) -> FastAPI:
    """Add the console's static files and pages to the application.

    Parameters
    ----------
    app : fastapi.FastAPI
        The platform application (``api.app.create_app()``).

    Returns
    -------
    fastapi.FastAPI
        The same application.
    """
    # each file's version read once, now; versioned URLs are kept a year (web.static_assets)
    static = VersionedStaticFiles(directory=STATIC_DIR, manifest=static_manifest())
    app.mount(STATIC_URL, static, name="static")
    # the API serves /api/trends/{code}/report.html and asks the console to draw it (folium)
    app.state.trend_report_html = report_html
    app.add_api_route("/", root_redirect, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        "/login", login_page, methods=["GET"], include_in_schema=False, response_model=None
    )
    for module_name in PAGE_MODULES:
        router: APIRouter = import_module(module_name).router
        app.include_router(router)
    add_code_handlers(app)  # a page's code typed short is redirected, a wrong one refused
    return app
