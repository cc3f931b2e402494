"""The ``zongzhi`` command line: the root app, the ``db`` commands, and the plugged-in groups.

Packages above ``layers`` (``api``, ``importers``, ``web``) add their commands through the
``zongzhi.commands`` entry-point group, so this module never imports them: each entry point is
a function taking the root :class:`typer.Typer` and registering its commands on it.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import typer
from rich.console import Console
from rich.table import Table

from layers import migrate
from layers.database import make_engine, resolve_urls
from layers.embedded import EmbeddedCluster, EmbeddedError
from layers.settings import Settings

app = typer.Typer(help="综治态势一张图 Zongzhi: GIS situational awareness.", no_args_is_help=True)
db_app = typer.Typer(help="The database: embedded PostGIS by default.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


@db_app.command("start")
def db_start() -> None:
    """Create (first time) and start the embedded cluster, then migrate it."""
    settings = Settings.from_env()
    if not settings.embedded:
        console.print("ZONGZHI_DATABASE_URL is set: using that server, nothing to start.")
    try:
        urls = resolve_urls(settings, start=True)
    except EmbeddedError as exc:
        raise _fail(str(exc)) from exc
    _migrate(urls.owner)
    if settings.embedded:
        console.print(f"PostGIS is running in {settings.pg_dir} on 127.0.0.1:{_port(settings)}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster."""
    settings = Settings.from_env()
    if not settings.embedded:
        console.print("ZONGZHI_DATABASE_URL is set: the external server is not ours to stop.")
        return
    stopped = EmbeddedCluster(settings.pg_dir).stop()
    console.print("stopped" if stopped else "not running")


@db_app.command("migrate")
def db_migrate(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Run the migrations up to REVISION."""
    settings = Settings.from_env()
    try:
        urls = resolve_urls(settings)
    except EmbeddedError as exc:
        raise _fail(str(exc)) from exc
    _migrate(urls.owner, revision)


@db_app.command("url")
def db_url(owner: bool = typer.Option(False, "--owner", help="URL of the owner role.")) -> None:
    """Print a libpq URL of the database (for psql)."""
    settings = Settings.from_env()
    try:
        urls = resolve_urls(settings)
    except EmbeddedError as exc:
        raise _fail(str(exc)) from exc
    url = urls.owner if owner else urls.app
    print(url.replace("postgresql+psycopg://", "postgresql://", 1))


@db_app.command("status")
def db_status() -> None:
    """Show where the database is, whether it runs, and its migration revision."""
    settings = Settings.from_env()
    table = Table(show_header=False)
    table.add_row("mode", "embedded" if settings.embedded else "external (ZONGZHI_DATABASE_URL)")
    if settings.embedded:
        cluster = EmbeddedCluster(settings.pg_dir)
        table.add_row("data", str(settings.pg_dir))
        table.add_row("running", "yes" if cluster.running() else "no")
        if not cluster.running():
            console.print(table)
            raise typer.Exit(code=3)
        table.add_row("port", str(_port(settings)))
    engine = make_engine(resolve_urls(settings).owner, pool_size=1)
    try:
        from sqlalchemy import text

        with engine.connect() as conn:
            table.add_row("postgis", str(conn.execute(text("SELECT postgis_version()")).scalar()))
        table.add_row("revision", migrate.current_revision(engine) or "(not migrated)")
    finally:
        engine.dispose()
    console.print(table)


def _port(settings: Settings) -> int:
    return EmbeddedCluster(settings.pg_dir).info().port


def _migrate(owner_url: str, revision: str = "head") -> None:
    engine = make_engine(owner_url, pool_size=1)
    try:
        migrate.upgrade(engine, revision)
        console.print(f"migrated to {migrate.current_revision(engine)}")
    finally:
        engine.dispose()


def _load_plugins() -> None:
    for entry in entry_points(group="zongzhi.commands"):
        entry.load()(app)


_load_plugins()
