"""The ``zongzhi serve`` command: run the API with uvicorn.

Plugged into the root command line through the ``zongzhi.commands`` entry point
``serve = "api.cli:register"``.
"""

from __future__ import annotations

from dataclasses import replace

import typer
import uvicorn

from api.app import create_app
from api.settings import ApiSettings
from layers.database import resolve_urls


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
) -> None:
    """Serve the API (and start the embedded database first when it is the one in use)."""
    settings = ApiSettings.from_env()
    urls = resolve_urls(settings.database, start=settings.database.embedded)
    app = create_app(replace(settings, urls=urls))
    uvicorn.run(app, host=host, port=port, proxy_headers=False)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the root command line.

    Parameters
    ----------
    app : typer.Typer
        The root application.
    """
    app.command("serve")(serve)
