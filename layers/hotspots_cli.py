"""``zongzhi hotspots run``: the hot-spot analysis of a scope, from cron or by hand.

Plugged into the root command line through the ``zongzhi.commands`` entry point
``hotspots = "layers.hotspots_cli:register"``. The analysis itself (:mod:`layers.hotspot_runs`,
with SciPy, numba and H3 under it) is imported when the command runs: ``zongzhi --help`` loads
this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from layers.hotspot_runs import RunResult


def run_summary(result: RunResult) -> str:
    """Return what ``zongzhi hotspots run`` prints of a run (Chinese).

    Parameters
    ----------
    result : layers.hotspot_runs.RunResult
        The run.

    Returns
    -------
    str
        One line: the run's number and what it found, or why it found nothing.

    Examples
    --------
    >>> from layers.hotspot_runs import RunResult
    >>> run_summary(RunResult(7, 120, 85, 3, 2, "done"))
    '热点分析 7 已完成：案件 120 件，分析单元 85 个，其中热点 3 个，新发风险预警 2 条'
    >>> run_summary(RunResult(8, 3, 0, 0, 0, "too_few"))
    '热点分析 8：时间范围内只有 3 件有位置的案件（少于 5 件），未作分析'
    """
    from layers.hotspot_runs import MIN_CASES

    if result.status == "too_few":
        return (
            f"热点分析 {result.run_id}：时间范围内只有 {result.cases} 件有位置的案件"
            f"（少于 {MIN_CASES} 件），未作分析"
        )
    return (
        f"热点分析 {result.run_id} 已完成：案件 {result.cases} 件，分析单元 {result.cells} 个，"
        f"其中热点 {result.hot_cells} 个，新发风险预警 {result.alerts} 条"
    )


def run_command(
    scope: str = typer.Option(
        ...,
        help="要分析的辖区的区划代码：12位，或县的6位、乡镇的9位。",
    ),
    days: int = typer.Option(90, help="分析的时间范围：从现在往前多少天。"),
    resolution: int = typer.Option(8, help="H3 网格的分辨率（5–10；8 约每格0.74平方千米）。"),
) -> None:
    """Run the analysis for SCOPE over the last DAYS days and raise alerts."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import sessionmaker

    from geo.codes import CodeError, written_division_code
    from layers.database import make_engine, resolve_urls, scoped_session
    from layers.embedded import EmbeddedError
    from layers.errors import DomainError
    from layers.hotspot_runs import run
    from layers.model import Role
    from layers.settings import Settings
    from layers.workflow import Actor

    try:
        scope = written_division_code(scope)
    except CodeError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(code=2) from exc
    try:
        urls = resolve_urls(Settings.from_env(), start=True)
    except EmbeddedError as exc:  # no PostgreSQL installed, or it would not start
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(code=1) from exc
    engine = make_engine(urls.owner, pool_size=1)
    now = datetime.now(UTC)
    system = Actor(user_id=None, name="scheduler", role=Role.COMMANDER, scope_code=scope)
    try:
        with scoped_session(sessionmaker(engine), None) as session:
            result = run(
                session,
                actor=system,
                scope_code=scope,
                window_start=now - timedelta(days=days),
                window_end=now,
                resolution=resolution,
            )
    except DomainError as exc:  # a value the analysis refuses: its Chinese message, no traceback
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()
    typer.echo(run_summary(result))


def register(app: typer.Typer) -> None:
    """Add ``zongzhi hotspots run`` to the command line (for cron).

    Parameters
    ----------
    app : typer.Typer
        The root application.
    """
    group = typer.Typer(
        help="热点分析：基于已登记的案件。", no_args_is_help=True, rich_markup_mode=None
    )
    group.command(
        "run",
        help="分析辖区的案件热点，发出风险预警。\n\n"
        "分析 SCOPE 辖区最近 DAYS 天有位置的案件：各 H3 网格的热点（Gi*）及其时空演变，"
        "对新增、加剧和持续的热点向所在辖区发出风险预警。可由定时任务（cron）运行。",
    )(run_command)
    app.add_typer(group, name="hotspots")
