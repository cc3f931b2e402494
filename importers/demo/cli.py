"""The ``zongzhi demo`` command: build a working centre for a real county, then serve it.

A centre has one county: without ``--county`` the command reloads the demo county already in
the database (华宁县 in an empty one), and it refuses another county's code. Every invocation of
``zongzhi`` loads this module, so the libraries the command needs are imported inside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from importers.demo.plan import (
    DEFAULT_COUNTY,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    REAL_NAME_DERIVED_SOURCE,
)

WHAT_IS_REAL = (
    "省、市、县边界为真实数据；乡镇（街道）为真实名称与代码，边界为示意（在县域内生成，不代表"
    "实际位置）；村（社区）、网格、人员、案事件与视频点位均为虚构"
)
"""What of the demo is real, as its help and its printed summary say it: the townships' boundaries
are derived inside the county (:mod:`importers.demo.territory`), 甘州区's city streets land some
45 km from the real city centre."""

HELP = (
    f"载入演示县，再启动控制台。\n\n{WHAT_IS_REAL}。\n\n"
    "一个综治中心只管一个县（区）：库中已有演示县时，重新运行即重新载入该县（数据同种子相同），"
    "不再载入别的县。"
)
"""Help of ``zongzhi demo`` (the docstring stays in English)."""

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from importers.demo.dataset import DemoData
    from importers.demo.load import LoadReport
    from layers.hotspot_runs import RunResult


def demo(
    ctx: typer.Context,
    county: str | None = typer.Option(
        None,
        "--county",
        help=(
            "县（区）的 6 位区划代码。默认为库中已有的演示县，"
            f"库中没有时为 {DEFAULT_COUNTY} 华宁县。"
        ),
        show_default=False,
    ),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="随机种子：种子相同，生成的数据相同。"),
    scale: float | None = typer.Option(
        None,
        "--scale",
        help="规模倍数：华宁县的数量为 1，默认为乡镇数 / 5。",
        show_default=False,
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="只载入数据，不启动控制台。"),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="控制台监听的地址；要让其他电脑访问，用 0.0.0.0。"
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="控制台监听的 TCP 端口。"),
) -> None:
    """Load a demo county and serve the console (real names; boundaries: see :data:`WHAT_IS_REAL`).

    A cost of passwords under OWASP's minimum is refused first
    (:class:`layers.settings.Argon2CostRefused`): the demo's accounts are hashed at it.
    """
    import time
    from datetime import UTC, datetime

    from layers.settings import Argon2Cost

    Argon2Cost.from_env()  # before minutes of loading, not at the accounts' hash

    from rich.console import Console
    from sqlalchemy.orm import Session

    from importers.demo.progress import DemoProgress
    from layers import migrate
    from layers.database import apply_scope, gather_statistics, make_engine, resolve_urls
    from layers.settings import Settings

    console = Console()
    settings = Settings.from_env()
    now = datetime.now(UTC)
    started = time.perf_counter()
    with DemoProgress(console) as progress:  # lines in a log file, a spinner on a terminal
        progress.update("准备数据库")
        urls = resolve_urls(settings, start=True)
        engine = make_engine(urls.owner, pool_size=1)
        try:
            migrate.upgrade(engine)
            with Session(engine) as session, session.begin():
                apply_scope(session, None)
                code = county_to_load(session, county)
            # the generator and the loader only now: a refused county is told without them
            from importers.demo.dataset import generate
            from importers.demo.load import load_demo
            from layers.secrets import platform_keys

            progress.update(f"生成演示数据 {code}")
            data = generate(code, seed=seed, now=now, factor=scale)
            keys = platform_keys(settings)

            def step(name: str) -> None:
                progress.update(f"写入：{name}")

            with Session(engine) as session, session.begin():
                apply_scope(session, None)
                report = load_demo(session, data, keys, password=DEMO_PASSWORD, progress=step)
            # statistics now, not when autovacuum comes round: without them the planner read
            # every visit of the scope once per person under row-level security (the command
            # feed took 2 s for the first minute)
            step("统计信息")
            gather_statistics(engine)
            progress.update("热点分析（近一年）")
            hotspots = analyse_last_year(engine, county=data.county_code, now=now)
        except CountyRefused as exc:
            progress.stop()
            Console(stderr=True, soft_wrap=True).print(f"[bold red]无法载入演示数据[/]：{exc}")
            raise typer.Exit(code=2) from None
        finally:
            engine.dispose()
    _print_report(console, data, report, time.perf_counter() - started)
    console.print(
        f"热点分析：{hotspots.cases} 件案事件，{hotspots.cells} 个单元，"
        f"{hotspots.hot_cells} 个热点，{hotspots.alerts} 条风险预警"
    )
    if no_serve:
        return
    _serve(ctx, console, host, port)


class CountyRefused(ValueError):
    """The county asked for cannot be loaded (the message says why, in Chinese)."""


def county_to_load(session: Session, asked: str | None) -> str:
    """Return the 12-digit code of the county to (re)load, or refuse in Chinese.

    A centre has one county. With no ``asked`` code, the demo county already in the database is
    reloaded (the default county in an empty one); a code naming another county than the one
    on file is refused.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session, scope = all.
    asked : str or None
        ``--county``: 6- or 12-digit code.

    Returns
    -------
    str
        12-digit county code.

    Raises
    ------
    CountyRefused
        If the code is not a county of the division list, or the database holds another demo
        county (or several, and none was named).
    """
    from layers.demo_store import counties_with_townships_from

    on_file = counties_with_townships_from(session, REAL_NAME_DERIVED_SOURCE)
    held = "、".join(f"{name}（{code[:6]}）" for code, name in on_file)
    if asked is None:
        if len(on_file) > 1:
            raise CountyRefused(
                f"库中已有多个演示县（区）：{held}。请用 --county 指明重新载入哪一个。"
            )
        return on_file[0][0] if on_file else _county(DEFAULT_COUNTY)[0]
    code, name = _county(asked)
    if on_file and code not in {c for c, _ in on_file}:
        raise CountyRefused(
            f"库中已有{held}的演示数据。一个综治中心只管一个县（区），"
            f"不再载入{name}（{code[:6]}）。重新载入请运行 zongzhi demo；"
            "换一个县（区）请使用新的数据库（另设 ZONGZHI_HOME）。"
        )
    return code


def _county(asked: str) -> tuple[str, str]:
    """Return ``(12-digit code, name)`` of a county code, or refuse in Chinese."""
    from importers.divisions import DivisionNotFound, division

    text = asked.strip()
    if not text.isdigit() or len(text) not in (6, 12) or text[6:].strip("0"):
        raise CountyRefused(
            f"--county {asked} 应为县（区）的 6 位区划代码，例如华宁县 {DEFAULT_COUNTY}。"
        )
    try:
        found = division(text[:6])
    except DivisionNotFound:
        raise CountyRefused(f"区划代码表中没有县（区）代码 {asked}。") from None
    if found.level != 3:
        raise CountyRefused(f"{asked} 是{found.name}，不是县（区）；请给县（区）的 6 位区划代码。")
    return found.code, found.name


def analyse_last_year(engine: Engine, *, county: str, now: datetime) -> RunResult:
    """Run the hot-spot analysis over the county's last year, so the console opens with alerts.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Owner engine.
    county : str
        6-digit county code.
    now : datetime
        End of the window.

    Returns
    -------
    layers.hotspot_runs.RunResult
        What the run found.
    """
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from layers.database import apply_scope
    from layers.hotspot_runs import NIGHTLY_DAYS, run
    from layers.model import Role
    from layers.workflow import Actor

    scope = county.ljust(12, "0")
    actor = Actor(user_id=None, name="demo", role=Role.COMMANDER, scope_code=scope)
    with Session(engine) as session, session.begin():
        apply_scope(session, None)
        return run(
            session,
            actor=actor,
            scope_code=scope,
            window_start=now - timedelta(days=NIGHTLY_DAYS),
            window_end=now,
        )


TABLE_LABELS = {
    "jurisdictions": "行政区划",
    "grids": "网格",
    "workers": "网格员",
    "worker_positions": "网格员位置",
    "persons": "特殊人群",
    "person_responsibles": "帮扶责任人",
    "person_visits": "走访记录",
    "cases": "案事件",
    "case_events": "办理记录",
    "dispatches": "派单",
    "video_points": "视频点位",
    "users": "账号",
}
"""Each table the demo fills, as its report says it."""


def _print_report(console: Console, data: DemoData, report: LoadReport, seconds: float) -> None:
    from rich.table import Table

    from importers.demo.cases import SOURCE_LABELS
    from importers.demo.users import UNLISTED_NOTE
    from layers.model import Role

    tr = data.territory
    console.print(
        f"[bold green]演示数据已载入[/] {tr.province.name} {tr.city.name} {tr.county.name} "
        f"（{data.county_code}，种子 {data.seed}，{seconds:.1f} 秒）"
    )
    console.print(WHAT_IS_REAL)
    counts = Table(title="记录数", show_header=True)
    counts.add_column("数据")
    counts.add_column("行数", justify="right")
    for table, n in report.counts.items():
        counts.add_row(TABLE_LABELS.get(table, table), f"{n:,}")
    console.print(counts)
    console.print("乡镇（街道）：" + "、".join(f"{t.name}({t.code})" for t in tr.townships))
    hot = Table(title="案事件来源与热点演变", show_header=True)
    hot.add_column("来源")
    hot.add_column("位置")
    for s in data.sources:
        hot.add_row(SOURCE_LABELS.get(s.name, s.name), s.where)
    console.print(hot)
    logins = Table(title=f"演示账号（密码均为 {DEMO_PASSWORD}）", show_header=True)
    # never cut nor wrapped: it is copied into the login page; the other columns wrap instead
    longest = max((len(login.username) for login in report.logins), default=8)
    logins.add_column("用户名", no_wrap=True, min_width=longest)
    for col in ("角色", "辖区", "可查看明文"):
        logins.add_column(col)
    for login in report.logins:
        if not login.listed:
            continue
        logins.add_row(
            login.username,
            Role.label_of(login.role),
            f"{login.scope_name} {login.scope_code}",
            "是" if login.can_unmask else "",
        )
    console.print(logins)
    unlisted = "、".join(login.username for login in report.logins if not login.listed)
    if unlisted:
        console.print(UNLISTED_NOTE.format(logins=unlisted))


def serve_offered(ctx: typer.Context) -> bool:
    """Return whether the running command line has a ``serve`` command.

    It is asked of the root of the command running, not of :mod:`layers.cli`, whose import
    under ``python -m layers.cli demo`` would be a second copy of that module, loading every
    plugin again onto a root of its own.

    Parameters
    ----------
    ctx : typer.Context
        The context of the command running.

    Returns
    -------
    bool
        ``serve`` is among the root's commands (its plugin is installed).
    """
    return "serve" in getattr(ctx.find_root().command, "commands", {})


def _serve(ctx: typer.Context, console: Console, host: str, port: int) -> None:
    import os
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("zongzhi")
    if not serve_offered(ctx) or not script.exists():
        console.print("控制台尚未提供 serve 命令；加载完成后请运行：[bold]zongzhi serve[/]")
        return
    argv = ["serve", "--host", host, "--port", str(port)]
    console.print("启动控制台：zongzhi " + " ".join(argv))
    os.execv(str(script), [str(script), *argv])


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to the root app.

    Parameters
    ----------
    app : typer.Typer
        The root ``zongzhi`` app.
    """
    app.command("demo", help=HELP)(demo)
