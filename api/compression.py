"""Compressed answers: gzip for clients that ask for it, never for streams or packed formats.

On a slow link (a grid worker's phone on 3G) the console's first open was about 1 MB of
uncompressed JS, CSS, HTML and JSON. :class:`Compression` is Starlette's ``GZipMiddleware``
with the platform's choices:

- answers below :data:`MINIMUM_SIZE` bytes are sent as they are (gzip's header and the CPU
  would cost more than they save);
- :data:`EXCLUDED_TYPES` are never compressed: ``text/event-stream`` (``/api/events`` must
  reach the browser event by event, not when a buffer fills), images, fonts and archives
  that are compressed already (PNG, JPEG, WOFF2, XLSX);
- a partial answer (``206``, a ``Range`` request) is never compressed (Starlette's rule);
- a compressed answer's ``ETag`` is made weak (``W/"…"``), as nginx does: the gzip bytes
  are another representation than the file's, so an ``If-Range`` carrying that tag must not
  get a range of the uncompressed file (Starlette's ``FileResponse`` refuses a weak
  ``If-Range`` and sends the whole file), while ``If-None-Match`` still matches (weak
  comparison: Starlette's static files and the tile route strip ``W/``) and answers ``304``,
  whose tag is the weak one the browser sent.

Caching headers are left as the routes set them (``private``, ``no-store`` on personal data)
and ``Vary: Accept-Encoding`` is added to each answer the middleware considered.

Examples
--------
>>> weak_etag('"3f2a"'), weak_etag('W/"3f2a"')
('W/"3f2a"', 'W/"3f2a"')
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 1024
"""Answers shorter than this many bytes are sent uncompressed."""
COMPRESS_LEVEL = 6
"""zlib level: 9 (Starlette's default) costs more CPU on the API's large answers for a few
bytes less."""
EXCLUDED_TYPES: tuple[str, ...] = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "text/event-stream",  # in Starlette's list too; the live stream depends on it
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",  # XLSX is a zip
    "application/pdf",
)
"""Media types never compressed: streams, and formats compressed already."""


def weak_etag(etag: str) -> str:
    """Return ``etag`` as a weak validator.

    Parameters
    ----------
    etag : str
        An entity tag, strong (``"x"``) or weak (``W/"x"``).

    Returns
    -------
    str
        ``W/"x"``.
    """
    return etag if etag.startswith("W/") else "W/" + etag


class Compression:
    """Gzip answers for clients sending ``Accept-Encoding: gzip`` (see the module's notes).

    Parameters
    ----------
    app : starlette.types.ASGIApp
        The application.
    minimum_size : int
        Smallest answer compressed, bytes.
    compresslevel : int
        zlib level, 1-9.
    """

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int = MINIMUM_SIZE,
        compresslevel: int = COMPRESS_LEVEL,
    ) -> None:
        self.gzip = GZipMiddleware(
            app,
            minimum_size=minimum_size,
            compresslevel=compresslevel,
            exclude_content_types=EXCLUDED_TYPES,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request, compressing as the module says."""
        if scope["type"] != "http":
            await self.gzip(scope, receive, send)
            return

        asked = Headers(scope=scope).get("if-none-match", "")

        async def send_weakened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                etag = headers.get("etag")
                # a 304 keeps the tag the browser holds: W/ for a copy it was sent gzipped
                revalidated = message["status"] == 304 and f"W/{etag}" in asked
                if etag and ("content-encoding" in headers or revalidated):
                    headers["etag"] = weak_etag(etag)
            await send(message)

        await self.gzip(scope, receive, send_weakened)
