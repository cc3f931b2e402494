"""The ``zongzhi serve`` command: run the API with uvicorn.

Plugged into the root command line through the ``zongzhi.commands`` entry point
``serve = "api.cli:register"``. FastAPI, uvicorn and the app are imported when the command
runs (``zongzhi --help`` loads this module).
"""

from __future__ import annotations

from dataclasses import replace

import typer


def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="监听的地址；要让其他电脑访问，用 0.0.0.0。"
    ),
    port: int = typer.Option(8000, "--port", help="监听的 TCP 端口。"),
) -> None:
    """Serve the API (and start the embedded database first when it is the one in use)."""
    import uvicorn

    from api.app import create_app
    from api.settings import ApiSettings
    from layers.database import resolve_urls

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
    app.command("serve", help="启动平台：接口和操作台网页。\n\n使用内嵌数据库时先启动数据库。")(
        serve
    )
