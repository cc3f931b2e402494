"""``zongzhi hotspots run``: the hot-spot analysis of a scope, from cron or by hand.

Plugged into the root command line through the ``zongzhi.commands`` entry point
``hotspots = "layers.hotspots_cli:register"``. The analysis itself (:mod:`layers.hotspot_runs`,
with SciPy, numba and H3 under it) is imported when the command runs: ``zongzhi --help`` loads
this module.

Without dates the command analyses the last ``--days`` days up to now (by default those of the
scheduled and the demo's run, :data:`layers.hotspot_runs.NIGHTLY_DAYS`): the nightly run, whose
result becomes the command pages' current hot spots and whose new, intensifying and persistent
hot spots become alerts. It prints its window and the basis of its classes, and says what it
replaced (trial AT M6: a run by hand for a report's figures changed the live picture unsaid);
``--no-alerts`` computes the same figures as a look that leaves both as they are. ``--start``
and ``--end`` (dates in China, the end day included) analyse a past period for a planner: a
window that ended more than one time bin (``--bin-days``) ago is a historic analysis
(:mod:`layers.hotspot_current`), which raises no alert and leaves the console's current hot
spots as they are.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from layers.hotspot_runs import RunResult

_DATE = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*")


def run_summary(result: RunResult) -> str:
    """Return what ``zongzhi hotspots run`` prints of a run (Chinese).

    Parameters
    ----------
    result : layers.hotspot_runs.RunResult
        The run.

    Returns
    -------
    str
        One line: the run's number and what it found, or why it found nothing; a historic
        analysis says so, with its dates.

    Examples
    --------
    >>> from datetime import datetime
    >>> from layers.china_time import CHINA
    >>> from layers.hotspot_runs import RunResult
    >>> run_summary(RunResult(7, 120, 85, 3, 2, "done"))
    '热点分析 7 已完成：案件 120 件，分析单元 85 个，其中热点 3 个，新发风险预警 2 条'
    >>> print(run_summary(RunResult(10, 120, 85, 3, 0, "done", refreshed=2)))  # doctest: +ELLIPSIS
    热点分析 10 已完成：...，新发风险预警 0 条，更新未关闭的预警 2 条
    >>> run_summary(RunResult(8, 3, 0, 0, 0, "too_few"))
    '热点分析 8：时间范围内只有 3 件有位置的案件（少于 30 件），样本太少，未作分析'
    >>> past = (datetime(2023, 1, 1, tzinfo=CHINA), datetime(2025, 1, 1, tzinfo=CHINA))
    >>> print(run_summary(RunResult(9, 900, 300, 12, 0, "done", True, *past)))  # doctest: +ELLIPSIS
    热点分析 9 已完成（历史分析 2023-01-01 至 2024-12-31：不发风险预警，指挥台仍显示当前热点）：...
    """
    from layers.hotspot_current import window_dates
    from layers.hotspot_runs import MIN_CASES

    if result.status == "too_few":
        return (
            f"热点分析 {result.run_id}：时间范围内只有 {result.cases} 件有位置的案件"
            f"（少于 {MIN_CASES} 件），样本太少，未作分析"
        )
    found = f"案件 {result.cases} 件，分析单元 {result.cells} 个，其中热点 {result.hot_cells} 个"
    if result.look:
        return (
            f"热点分析 {result.run_id} 已完成（仅计算：不发风险预警，指挥台仍显示原来的当前热点）："
            f"{found}"
        )
    if result.historic:
        dates = (
            f" {window_dates(result.window_start, result.window_end)}"
            if result.window_start is not None and result.window_end is not None
            else ""
        )
        return (
            f"热点分析 {result.run_id} 已完成（历史分析{dates}：不发风险预警，"
            f"指挥台仍显示当前热点）：{found}"
        )
    refreshed = f"，更新未关闭的预警 {result.refreshed} 条" if result.refreshed else ""
    return f"热点分析 {result.run_id} 已完成：{found}，新发风险预警 {result.alerts} 条{refreshed}"


def run_notes(result: RunResult, *, bin_days: int, resolution: int) -> list[str]:
    """Return the lines printed under :func:`run_summary`: the window, its basis, its effect.

    Parameters
    ----------
    result : layers.hotspot_runs.RunResult
        The run.
    bin_days, resolution : int
        The run's periods and H3 resolution.

    Returns
    -------
    list of str
        The window and the basis of the classes (:func:`layers.hotspot_runs.basis_text`), then
        what the run changed: a current run replaced the command pages' hot spots and raised or
        updated alerts (and how to avoid it), a look or a historic analysis changed neither.

    Examples
    --------
    >>> from datetime import datetime
    >>> from layers.china_time import CHINA
    >>> from layers.hotspot_runs import RunResult
    >>> w = (datetime(2025, 12, 6, tzinfo=CHINA), datetime(2026, 12, 6, tzinfo=CHINA))
    >>> notes = run_notes(RunResult(7, 540, 850, 47, 6, "done", False, *w), bin_days=7,
    ...                   resolution=8)
    >>> notes[0][:52]
    '分析时段：2025-12-06 至 2026-12-05（365 天）；分类依据：按周判定，近 53 周'
    >>> notes[1][:30]
    '注意：本次结果已成为指挥台和各级指挥调度页面的当前热点（近期'
    >>> run_notes(RunResult(8, 540, 850, 47, 0, "done", True, *w, look=True), bin_days=7,
    ...           resolution=8)[1]
    '本次为仅计算（--no-alerts）：结果已保存，可按编号查看，未发出或更新风险预警，指挥台的当前热点未变'
    """
    from layers.hotspot_current import window_dates
    from layers.hotspot_runs import basis_text

    if result.window_start is None or result.window_end is None:
        return []
    days = round((result.window_end - result.window_start).total_seconds() / 86400)
    lines = [
        f"分析时段：{window_dates(result.window_start, result.window_end)}（{days} 天）；"
        f"分类依据：{basis_text(bin_days, result.window_start, result.window_end, resolution)}"
    ]
    if result.look:
        lines.append(
            "本次为仅计算（--no-alerts）：结果已保存，可按编号查看，"
            "未发出或更新风险预警，指挥台的当前热点未变"
        )
    elif result.historic:
        lines.append(
            "本次为历史分析：结果已保存，可按编号查看，未发出风险预警，指挥台的当前热点未变"
        )
    elif result.status == "done":
        lines.append(
            "注意：本次结果已成为指挥台和各级指挥调度页面的当前热点（近期热点、热点图层），"
            "并据此发出或更新了风险预警；只需数字、不想改动指挥台时，请加 --no-alerts"
        )
    return lines


def written_date(value: str, option: str) -> date:
    """Return the date a person wrote: ``2024-01-01``, ``2024/1/1`` or ``2024年1月1日``.

    Parameters
    ----------
    value : str
        The text given.
    option : str
        The option it was given to, for the message.

    Returns
    -------
    datetime.date
        The date.

    Raises
    ------
    ValueError
        A text that is no such date, with a Chinese message.

    Examples
    --------
    >>> written_date("2024年12月31日", "--end")
    datetime.date(2024, 12, 31)
    >>> written_date("2024-13-01", "--start")
    Traceback (most recent call last):
    ...
    ValueError: --start 的日期“2024-13-01”无效，请写成年-月-日，如 2024-01-01
    """
    found = _DATE.fullmatch(value)
    try:
        if found is None:
            raise ValueError(value)
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        raise ValueError(f"{option} 的日期“{value}”无效，请写成年-月-日，如 2024-01-01") from None


def run_window(
    start: str | None, end: str | None, *, days: int, now: datetime
) -> tuple[datetime, datetime]:
    """Return the window ``[start, end)`` of the options: dates in China, the end day included.

    Parameters
    ----------
    start, end : str or None
        ``--start`` and ``--end`` as written.
    days : int
        ``--days``: the window's length when one of the dates is missing.
    now : datetime
        The end when ``--end`` is missing.

    Returns
    -------
    tuple of datetime
        Timezone-aware start and end (excluded).

    Raises
    ------
    ValueError
        A date that is no date, or an end before the start (Chinese message).

    Examples
    --------
    >>> from layers.china_time import CHINA
    >>> now = datetime(2026, 12, 2, tzinfo=CHINA)
    >>> [t.isoformat() for t in run_window("2023-01-01", "2024-12-31", days=90, now=now)]
    ['2023-01-01T00:00:00+08:00', '2025-01-01T00:00:00+08:00']
    >>> [t.isoformat() for t in run_window(None, None, days=30, now=now)]
    ['2026-11-02T00:00:00+08:00', '2026-12-02T00:00:00+08:00']
    """
    from layers.china_time import CHINA

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=CHINA)

    window_end = now if end is None else midnight(written_date(end, "--end") + timedelta(days=1))
    window_start = (
        window_end - timedelta(days=days)
        if start is None
        else midnight(written_date(start, "--start"))
    )
    if window_end <= window_start:
        raise ValueError("开始日期晚于结束日期：--start 应早于或等于 --end")
    return window_start, window_end


def run_command(
    scope: str = typer.Option(
        ...,
        help="要分析的辖区的区划代码：12位，或县的6位、乡镇的9位。",
    ),
    days: int = typer.Option(
        365,
        help="分析的时间范围：从现在（或 --end 那天）往前多少天，默认 365 天，与定时运行和演示"
        "数据的分析相同；给了 --start 时不用。",
    ),
    start: str | None = typer.Option(
        None, help="分析的开始日期（含），如 2023-01-01；不给则为结束前 DAYS 天。"
    ),
    end: str | None = typer.Option(
        None,
        help="分析的结束日期（含当天），如 2024-12-31；不给则到现在。结束早于现在一个时段以上的"
        "为历史分析：不发风险预警，指挥台仍显示当前热点。",
    ),
    bin_days: int = typer.Option(7, help="时空演变分析每个时段的天数（如 7 为按周，30 约按月）。"),
    resolution: int = typer.Option(8, help="H3 网格的分辨率（5–10；8 约每格0.74平方千米）。"),
    no_alerts: bool = typer.Option(
        False,
        "--no-alerts",
        help="仅计算：结果保存备查，但不发出或更新风险预警，指挥台仍显示原来的当前热点"
        "（为报告取数时用）。",
    ),
) -> None:
    """Run the analysis for SCOPE over the last DAYS days (or START to END) and raise alerts."""
    from datetime import UTC

    from sqlalchemy.orm import sessionmaker

    from geo.codes import CodeError, written_division_code
    from layers.database import make_engine, resolve_urls, scoped_session
    from layers.embedded import EmbeddedError
    from layers.errors import DomainError
    from layers.hotspot_runs import run
    from layers.model import Role
    from layers.settings import Settings
    from layers.workflow import Actor

    now = datetime.now(UTC)
    try:
        scope = written_division_code(scope)
        window_start, window_end = run_window(start, end, days=days, now=now)
    except (CodeError, ValueError) as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(code=2) from exc
    try:
        urls = resolve_urls(Settings.from_env(), start=True)
    except EmbeddedError as exc:  # no PostgreSQL installed, or it would not start
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(code=1) from exc
    engine = make_engine(urls.owner, pool_size=1)
    system = Actor(user_id=None, name="scheduler", role=Role.COMMANDER, scope_code=scope)
    try:
        with scoped_session(sessionmaker(engine), None) as session:
            result = run(
                session,
                actor=system,
                scope_code=scope,
                window_start=window_start,
                window_end=window_end,
                resolution=resolution,
                bin_days=bin_days,
                now=now,
                current=not no_alerts,
            )
    except DomainError as exc:  # a value the analysis refuses: its Chinese message, no traceback
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()
    typer.echo(run_summary(result))
    for line in run_notes(result, bin_days=bin_days, resolution=resolution):
        typer.echo(line)


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
        "分析 SCOPE 辖区最近 DAYS 天（默认 365 天，按周判定）有位置的案件：各 H3 网格的热点（Gi*）"
        "及其时空演变，对新增、加剧和持续的热点向所在辖区发出风险预警。可由定时任务（cron）运行。\n\n"
        "注意：结果即成为指挥台和各级指挥调度页面的当前热点，并发出或更新风险预警；"
        "只为报告取数时请加 --no-alerts（仅计算，不改动指挥台和预警）。\n\n"
        "用 --start 和 --end 分析过去的一段时间（如 --start 2023-01-01 --end 2024-12-31）："
        "这样的历史分析保存结果、可按编号查看，但不发风险预警，也不替换指挥台上当前的热点。",
    )(run_command)
    app.add_typer(group, name="hotspots")
