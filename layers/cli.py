"""The ``zongzhi`` command line: the root app, the ``db`` commands, and the plugged-in groups.

Packages above ``layers`` (``api``, ``importers``, ``web``) add their commands through the
``zongzhi.commands`` entry-point group, so this module never imports them: each entry point is
a function taking the root :class:`typer.Typer` and registering its commands on it.

Every invocation (``zongzhi --help`` too) loads all of them, except one of the root's own
commands (:data:`OWN_COMMANDS`: ``zongzhi db stop``, ``db status`` …), which no plugin can be
(:func:`main`); ``from layers.cli import app`` gets the root with every plugin
(:func:`plugged`). A command module imports what its commands need (SQLAlchemy, Alembic,
pandas …) inside them, never at module level (``tests/test_cli_startup.py``), and never imports
this module: under ``python -m layers.cli`` that would be a second copy of it, which would
load every plugin again onto a root of its own. The ``db`` commands here load rich's console
and tables only where they print with them, and ``db status`` the database's libraries only
once it found a database that runs (``tests/test_cli_start_lazy.py``).

The help clerks and admins read is Simplified Chinese, laid out by click's plain formatter
(``rich_markup_mode=None`` on every group): rich breaks lines only at spaces, so its help
tables cut a line of Chinese with "…" and lose the rest. Click's and typer's own words
(``Usage:``, ``[default: …]``, ``No such option``) are said in Chinese too, and help is folded
by terminal cells, by the classes :func:`layers.cli_language.speak_chinese` gives every command
once all are registered.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING

import typer

from layers.cli_gc import claim_process
from layers.cli_language import speak_chinese
from layers.embedded import EmbeddedCluster, EmbeddedError
from layers.settings import Argon2CostRefused, Settings

if TYPE_CHECKING:
    from rich.console import Console

root = typer.Typer(
    help="综治态势一张图（Zongzhi）：辖区、网格、案事件、视频点位、特殊人群与热点分析。",
    no_args_is_help=True,
    rich_markup_mode=None,
)
db_app = typer.Typer(
    help="数据库：默认是本机内嵌的 PostGIS。\n\n设置了 ZONGZHI_DATABASE_URL 时使用该服务器。",
    no_args_is_help=True,
    rich_markup_mode=None,
)
root.add_typer(db_app, name="db")
EXTERNAL = "已设置 ZONGZHI_DATABASE_URL：使用该地址的数据库服务器"
"""What ``db start`` and ``db stop`` say of a database they do not run."""


@cache
def _console() -> Console:
    from rich.console import Console  # not for ``db stop``, which prints plain lines

    return Console()


def _fail(message: str) -> typer.Exit:
    _console().print(f"[bold red]错误：[/]{message}", soft_wrap=True)
    return typer.Exit(code=1)


@db_app.command("start", help="创建（首次）并启动内嵌数据库，再把表结构升级到最新版本。")
def db_start() -> None:
    """Create (first time) and start the embedded cluster, then migrate it."""
    from layers.database import resolve_urls

    settings = Settings.from_env()
    if not settings.embedded:
        _console().print(EXTERNAL + "，无需启动。", soft_wrap=True)
    try:
        urls = resolve_urls(settings, start=True)
    except EmbeddedError as exc:
        raise _fail(str(exc)) from exc
    if settings.embedded:
        _console().print(
            f"数据库已启动：{settings.pg_dir}，地址 127.0.0.1:{_port(settings)}", soft_wrap=True
        )
    _migrate(urls.owner)


@db_app.command("stop", help="停止内嵌数据库。")
def db_stop() -> None:
    """Stop the embedded cluster."""
    settings = Settings.from_env()
    if not settings.embedded:
        typer.echo(EXTERNAL + "，不由本平台停止。")
        return
    stopped = EmbeddedCluster(settings.pg_dir).stop()
    typer.echo("数据库已停止" if stopped else "数据库没有运行，无需停止")


@db_app.command(
    "migrate", help="把表结构升级到 REVISION 版本（默认最新）；内嵌数据库未启动时先启动它。"
)
def db_migrate(
    revision: str = typer.Argument("head", help="目标版本；head 即最新版本。"),
) -> None:
    """Run the migrations up to REVISION, starting the embedded cluster first if it is stopped."""
    from layers.database import resolve_urls

    settings = Settings.from_env()
    try:
        urls = resolve_urls(settings, start=True)
    except EmbeddedError as exc:
        raise _fail(str(exc)) from exc
    _migrate(urls.owner, revision)


DB_URL_HELP = (
    "打印连接地址（供 psql 用）；默认地址看不到数据，请加 --owner。\n\n"
    "默认打印的是应用角色（zongzhi_app）的地址。辖区、网格、案件等表启用了行级安全（RLS），"
    "这个角色只能看到平台为每次操作设定的辖区内的行，直接用 psql 查询时这些表是 0 行。\n\n"
    "要在 psql 中查看或核对数据，请加 --owner，使用表的属主角色的地址："
    "它不受行级安全限制，能修改全部数据，请谨慎操作。"
)
"""``zongzhi db url --help``: why psql shows no rows with the default URL."""


@db_app.command("url", help=DB_URL_HELP)
def db_url(
    owner: bool = typer.Option(
        False, "--owner", help="打印属主角色的地址：不受行级安全限制，psql 中能看到全部数据。"
    ),
) -> None:
    """Print a libpq URL of the database (for psql): the app role's unless ``--owner``."""
    from layers.database import resolve_urls

    settings = Settings.from_env()
    try:
        urls = resolve_urls(settings)
    except EmbeddedError as exc:
        raise _fail(str(exc)) from exc
    url = urls.owner if owner else urls.app
    print(url.replace("postgresql+psycopg://", "postgresql://", 1))
    if settings.embedded and not EmbeddedCluster(settings.pg_dir).running():
        typer.echo("注意：数据库没有运行，请先运行 zongzhi db start", err=True)


@db_app.command("status", help="显示数据库在哪里、是否在运行，以及表结构的版本。")
def db_status() -> None:
    """Show where the database is, whether it runs, and its migration revision.

    An embedded cluster that is stopped is said (exit code 3) before SQLAlchemy and psycopg
    are imported: they are for asking a database that runs.
    """
    from rich.table import Table

    settings = Settings.from_env()
    table = Table(show_header=False)
    table.add_row("方式", "内嵌" if settings.embedded else "外部服务器（ZONGZHI_DATABASE_URL）")
    if settings.embedded:
        running = EmbeddedCluster(settings.pg_dir).running()
        table.add_row("数据目录", str(settings.pg_dir))
        table.add_row("运行中", "是" if running else "否")
        if not running:
            _console().print(table)
            raise typer.Exit(code=3)
        table.add_row("端口", str(_port(settings)))
    from sqlalchemy import text

    from layers import migrate
    from layers.database import make_engine, resolve_urls

    engine = make_engine(resolve_urls(settings).owner, pool_size=1)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT postgis_version()")).scalar()
            table.add_row("PostGIS 版本", str(version))
        table.add_row("表结构版本", migrate.current_revision(engine) or "（尚未建立）")
    finally:
        engine.dispose()
    _console().print(table)


def _port(settings: Settings) -> int:
    return EmbeddedCluster(settings.pg_dir).info().port


def _migrate(owner_url: str, revision: str = "head") -> None:
    from layers import migrate
    from layers.database import make_engine

    engine = make_engine(owner_url, pool_size=1)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine, revision)
        _console().print(migration_summary(before, migrate.current_revision(engine)))
    finally:
        engine.dispose()


def migration_summary(before: str | None, after: str | None) -> str:
    """Return what ``db start`` and ``db migrate`` say of the schema (Chinese).

    Parameters
    ----------
    before, after : str or None
        The revision before and after the migration (None: no schema).

    Returns
    -------
    str
        One line.

    Examples
    --------
    >>> migration_summary(None, "0012")
    '已建立表结构（版本 0012）'
    >>> migration_summary("0011", "0012"), migration_summary("0012", "0012")
    ('表结构已从版本 0011 升级到 0012', '表结构已是版本 0012，无需升级')
    """
    if before is None:
        return f"已建立表结构（版本 {after}）"
    if before == after:
        return f"表结构已是版本 {after}，无需升级"
    return f"表结构已从版本 {before} 升级到 {after}"


OWN_COMMANDS = frozenset({"db"})
"""The root's own commands and groups: a command line whose first word is one of them runs
without the plugins (:func:`main`), since a plugin's command cannot be among them."""

speak_chinese(root)  # click's and typer's own words too: usage, option help, errors


@cache
def plugged() -> typer.Typer:
    """Return the root app with every ``zongzhi.commands`` plugin registered (loaded once).

    Returns
    -------
    typer.Typer
        :data:`root`, its plugins' commands and groups added and given the Chinese classes.
    """
    from importlib.metadata import entry_points  # the scan and the plugins: not for ``db``

    for entry in entry_points(group="zongzhi.commands"):
        entry.load()(root)
    speak_chinese(root)
    return root


def __getattr__(name: str) -> typer.Typer:
    """Give ``app``, the root with every plugin (:func:`plugged`), as the tests import it."""
    if name == "app":
        return plugged()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Run the command line as a process of its own: ``zongzhi``, ``python -m layers.cli``.

    Unlike calling ``app`` (as the tests do through typer's ``CliRunner``), this claims the
    process (:func:`layers.cli_gc.claim_process`): an import then loads its libraries with the
    garbage collector off and freezes them out of its sweeps (:func:`layers.cli_gc.frozen_imports`).
    A command of :data:`OWN_COMMANDS` runs without loading the plugins. A cost of passwords
    refused (:class:`layers.settings.Argon2CostRefused`, raised where a command first hashes or
    checks one: ``serve`` and ``demo`` as they start, ``user add`` and ``user password`` before
    they ask the password) is said as the other errors are, with no traceback.
    """
    claim_process()
    first = sys.argv[1] if len(sys.argv) > 1 else ""
    command = root if first in OWN_COMMANDS else plugged()
    try:
        command(prog_name="zongzhi")
    except Argon2CostRefused as exc:
        raise SystemExit(_fail(str(exc)).exit_code) from None


if __name__ == "__main__":  # ``python -m layers.cli``: how the API runs an import for the console
    main()
