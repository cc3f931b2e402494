"""Mount the operator console on the platform's FastAPI application.

``mount_console(app)`` serves ``web/static`` at ``/static`` (vendored libraries and the console's
own JS/CSS), the Chinese login page at ``/login`` (``/`` redirects there), and — until the
console pages are written — placeholder pages at the role landing paths
(``/console/{code}``, ``/dispatch/{code}``, ``/trends/{code}``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from layers.model import Role

PRODUCT = "综治态势一张图"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static"

#: Where each role lands after logging in; ``{code}`` is the user's scope code.
LANDING_PATHS: dict[str, str] = {
    Role.ADMIN.value: "/console/{code}",
    Role.AUDITOR.value: "/console/{code}",
    Role.COMMANDER.value: "/console/{code}",
    Role.DISPATCHER.value: "/dispatch/{code}",
    Role.GRID_WORKER.value: "/console/{code}",
    Role.DEPARTMENT.value: "/console/{code}",
    Role.ANALYST.value: "/trends/{code}",
}
FALLBACK_PATH = "/console/{code}"

PLACEHOLDER_TITLES = {"console": "指挥调度", "dispatch": "调度台", "trends": "研判分析"}

templates = Environment(
    loader=PackageLoader("web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


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
    >>> landing_path("analyst", "460100000000")
    '/trends/460100000000'
    """
    return LANDING_PATHS.get(role, FALLBACK_PATH).replace("{code}", scope_code)


def render_page(name: str, **context: object) -> str:
    """Render a console template with the product name and static URL filled in.

    Parameters
    ----------
    name : str
        Template file under ``web/templates``.
    **context
        Template variables.

    Returns
    -------
    str
        The HTML.
    """
    return templates.get_template(name).render(product=PRODUCT, static=STATIC_URL, **context)


def login_page() -> HTMLResponse:
    """Serve the login page.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page; its script posts to ``/api/auth/token`` and follows :data:`LANDING_PATHS`.
    """
    landing = json.dumps({"paths": LANDING_PATHS, "fallback": FALLBACK_PATH})
    return HTMLResponse(render_page("login.html", landing_json=landing))


def root_redirect() -> RedirectResponse:
    """Send ``/`` to the login page.

    Returns
    -------
    fastapi.responses.RedirectResponse
        A 307 to ``/login``.
    """
    return RedirectResponse("/login")


def placeholder_page(kind: str, code: str) -> HTMLResponse:
    """Serve a placeholder for a console page not written yet.

    Parameters
    ----------
    kind : str
        ``console``, ``dispatch`` or ``trends``.
    code : str
        The jurisdiction code in the path.

    Returns
    -------
    fastapi.responses.HTMLResponse
        The page.
    """
    title = PLACEHOLDER_TITLES[kind]
    return HTMLResponse(render_page("placeholder.html", page_title=title, code=code))


def mount_console(app: FastAPI, *, placeholders: bool = True) -> FastAPI:
    """Add the console's static files and pages to the application.

    Parameters
    ----------
    app : fastapi.FastAPI
        The platform application (``api.app.create_app()``).
    placeholders : bool
        Also serve the placeholder landing pages (turn off once the real pages exist).

    Returns
    -------
    fastapi.FastAPI
        The same application.
    """
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/", root_redirect, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        "/login", login_page, methods=["GET"], include_in_schema=False, response_model=None
    )
    if placeholders:
        for kind in PLACEHOLDER_TITLES:
            app.add_api_route(
                f"/{kind}/{{code}}",
                placeholder_route(kind),
                methods=["GET"],
                include_in_schema=False,
            )
    return app


def placeholder_route(kind: str) -> Callable[[str], HTMLResponse]:
    """Return the endpoint serving the placeholder page of ``kind``.

    Parameters
    ----------
    kind : str
        ``console``, ``dispatch`` or ``trends``.

    Returns
    -------
    Callable
        An endpoint taking the path's ``code``.
    """

    def page(code: str) -> HTMLResponse:
        return placeholder_page(kind, code)

    return page
