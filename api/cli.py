"""The ``zongzhi serve`` command: run the API with uvicorn.

Plugged into the root command line through the ``zongzhi.commands`` entry point
``serve = "api.cli:register"``. FastAPI, uvicorn and the app are imported when the command
runs, the masking of personal numbers when the access log writes a line (every ``zongzhi``
command, ``--help`` too, loads this module: ``tests/test_cli_start_lazy.py``).

With ``--ssl-certfile`` and ``--ssl-keyfile`` it serves HTTPS itself: a phone's browser gives a
grid worker's position (上报位置) to an HTTPS page only, so a centre serving its intranet over
plain HTTP needs either these or a TLS proxy in front.

SIGTERM and SIGINT (Ctrl+C) stop the server within seconds, live streams open or not: uvicorn
waits for the open responses before it stops, and a console's ``/api/events`` stream never ends
by itself, so the server ends the streams when its shutdown begins
(:func:`api.routers.events.end_streams`), and cuts any other request still running after
:data:`GRACE_SECONDS`.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote, unquote

import typer

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

GRACE_SECONDS = 5
"""How long a stopping server lets the requests still running finish (uvicorn's
``timeout_graceful_shutdown``); live streams end at once."""
STARTUP_FAILURE = 3
"""Exit code of a server that did not start (uvicorn's own)."""


def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="监听的地址；要让其他电脑访问，用 0.0.0.0。"
    ),
    port: int = typer.Option(8000, "--port", help="监听的 TCP 端口。"),
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(
            "--ssl-certfile",
            help="HTTPS 证书文件（PEM）；与 --ssl-keyfile 一起给出时以 HTTPS 提供服务"
            "（手机浏览器只向 HTTPS 页面提供定位，网格员“上报位置”需要）。",
        ),
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option("--ssl-keyfile", help="HTTPS 证书的私钥文件（PEM）。")
    ] = None,
) -> None:
    """Serve the API (and start the embedded database first when it is the one in use).

    The settings are read first: a cost of passwords under OWASP's minimum is refused
    (:class:`layers.settings.Argon2CostRefused`) before the server's libraries load.
    """
    import contextlib

    _check_tls_files(ssl_certfile, ssl_keyfile)

    from api.settings import ApiSettings

    settings = ApiSettings.from_env()

    import uvicorn

    from api.app import create_app
    from layers.database import resolve_urls

    urls = resolve_urls(settings.database, start=settings.database.embedded)
    app = create_app(replace(settings, urls=urls))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=False,
        timeout_graceful_shutdown=GRACE_SECONDS,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    server = stopping_server(config, app)
    with contextlib.suppress(KeyboardInterrupt):  # SIGINT, raised again once the server stopped
        server.run()
    if not server.started:
        raise typer.Exit(code=STARTUP_FAILURE)


def _check_tls_files(certfile: Path | None, keyfile: Path | None) -> None:
    """Refuse, in Chinese, half a TLS configuration or a file that cannot be read."""
    if (certfile is None) != (keyfile is None):
        raise typer.BadParameter("--ssl-certfile 和 --ssl-keyfile 须同时给出")
    for option, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if path is not None and not path.is_file():
            raise typer.BadParameter(f"{option} 指定的文件不存在：{path}")


def stopping_server(config: uvicorn.Config, app: FastAPI) -> uvicorn.Server:
    """Return a uvicorn server of ``app`` that ends its live streams when it begins to stop.

    Parameters
    ----------
    config : uvicorn.Config
        The server's configuration.
    app : fastapi.FastAPI
        The application it serves.

    Returns
    -------
    uvicorn.Server
        Run it with ``run()``; its shutdown (SIGTERM, SIGINT, ``should_exit``) first calls
        :func:`api.routers.events.end_streams`, then waits as uvicorn does.
    """
    import uvicorn

    from api.routers.events import end_streams

    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryValuesHidden) for f in access.filters):
        access.addFilter(QueryValuesHidden())

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            end_streams(app)
            await super().shutdown(sockets)

    return Server(config)


class QueryValuesHidden(logging.Filter):
    """Write an access-log line with its query's values hidden: ``/api/cases?q=…&limit=…``.

    A query string may carry personal data a user typed (a phone number searched as a case's
    title, a resident ID put in a look-up's address, trial AI): uvicorn's access log would keep
    it even for a refused request. The names of the parameters stay, for the operators. A
    resident ID or a mobile number in the path (``/api/cases/530424198006186858``, trial AJ N6)
    is masked as :func:`geo.personal_numbers.mask_personal_numbers` masks it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Hide the query's values of an access-log record (uvicorn's arguments); keep it.

        Parameters
        ----------
        record : logging.LogRecord
            ``(client, method, path, http_version, status)`` as uvicorn logs a request.

        Returns
        -------
        bool
            Always True: the line is written, its values hidden.
        """
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], hidden_query_values(args[2]), *args[3:])
        return True


def hidden_query_values(path: str) -> str:
    """Return ``path`` with each value of its query replaced by ``…``, personal numbers masked.

    A resident ID or a mobile number in the path is masked however written, percent-encoded
    too (``%E4%B8%80…``, ``139%2F1234%2F5678``): the path is then logged decoded and masked.

    Parameters
    ----------
    path : str
        A request's path and query (``/api/cases?q=13700001111&limit=20``).

    Returns
    -------
    str
        The path, its query's names kept.

    Examples
    --------
    >>> hidden_query_values("/api/cases?q=13700001111&limit=20")
    '/api/cases?q=…&limit=…'
    >>> hidden_query_values("/api/persons/visits"), hidden_query_values("/a?flag")
    ('/api/persons/visits', '/a?flag')
    >>> hidden_query_values("/api/cases/530424198006186858?x=1")
    '/api/cases/530424********6858?x=…'
    >>> hidden_query_values("/api/cases/139%2F1234%2F5678"), hidden_query_values("/a?13912345678")
    ('/api/cases/139****5678', '/a?139****5678')
    """
    where, mark, query = path.partition("?")
    where = _numbers_masked(where)
    if not mark:
        return where
    names = [part.partition("=") for part in query.split("&")]
    return where + "?" + "&".join(_numbers_masked(n) + ("=…" if eq else "") for n, eq, _ in names)


def _numbers_masked(written: str) -> str:
    """Return a part of a URL as written, or decoded and masked if it holds a personal number."""
    from geo.personal_numbers import mask_personal_numbers

    decoded = unquote(written)
    masked = mask_personal_numbers(decoded)
    return written if masked == decoded else quote(masked, safe="/*-._~!$&'()+,;=:@")


@contextmanager
def served_in_thread(app: FastAPI, *, port: int = 0, start_seconds: float = 30) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread (tests, benchmarks); yield its origin.

    The server is :func:`stopping_server`'s: leaving the block ends the live streams a browser
    still holds open, then stops it.

    Parameters
    ----------
    app : fastapi.FastAPI
        The application.
    port : int
        The port; 0 takes a free one.
    start_seconds : float
        How long it may take to start.

    Yields
    ------
    str
        ``http://127.0.0.1:PORT``.

    Raises
    ------
    RuntimeError
        It did not start in time.
    """
    import uvicorn

    if port == 0:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = stopping_server(config, app)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_seconds
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the root command line.

    Parameters
    ----------
    app : typer.Typer
        The root application.
    """
    app.command("serve", help="启动平台：接口和操作台网页。\n\n使用内嵌数据库时先启动数据库。")(
        serve
    )
