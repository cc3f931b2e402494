"""Answers of the API kept out of every cache unless their route says otherwise.

The API's JSON answers carry jurisdiction-scoped data, and some of them personal data of
special populations (a person's clear identity after an audited ``/unmasked`` read, a
reporter's telephone). None said how it may be kept, so a browser's or a proxy's cache was
free to store them. :class:`NoStore` adds ``Cache-Control: no-store`` to every answer under
:data:`PREFIXES` whose route did not set a ``Cache-Control`` of its own (tiles keep their
``private, max-age``, the live stream its ``no-cache``, exports their ``no-store``); static
files and the console's pages are not touched.

Examples
--------
>>> kept_out("/api/persons/7/unmasked"), kept_out("/ogc/collections/persons/items")
(True, True)
>>> kept_out("/static/console/common.js"), kept_out("/console/530424000000")
(False, False)
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIXES = ("/api/", "/ogc/")
"""Paths whose answers are data read under a login."""
NO_STORE = "no-store"


def kept_out(path: str) -> bool:
    """Whether an answer at ``path`` is kept out of caches unless its route says otherwise.

    Parameters
    ----------
    path : str
        The request's path.

    Returns
    -------
    bool
        True under :data:`PREFIXES`.
    """
    return path.startswith(PREFIXES)


class NoStore:
    """ASGI middleware: ``Cache-Control: no-store`` on the API's answers that set none.

    Parameters
    ----------
    app : ASGIApp
        The application it wraps.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``scope``, adding ``no-store`` to an API answer that says nothing of caching."""
        if scope["type"] != "http" or not kept_out(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_kept_out(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_kept_out)
