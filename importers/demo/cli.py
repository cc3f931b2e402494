"""The ``zongzhi demo`` command: build a working centre for a real county, then serve it."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from importers.demo.dataset import DEFAULT_SEED, DemoData, generate
from importers.demo.load import LoadReport, load_demo
from importers.demo.plan import DEFAULT_COUNTY, DEMO_PASSWORD
from layers import migrate
from layers.database import apply_scope, make_engine, resolve_urls
from layers.hotspot_runs import RunResult, run
from layers.model import Role
from layers.secrets import platform_keys
from layers.settings import Settings
from layers.workflow import Actor

console = Console()


def demo(
    county: str = typer.Option(DEFAULT_COUNTY, "--county", help="6-digit county code."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Random seed (same seed, same data)."),
    scale: float | None = typer.Option(
        None, "--scale", help="Multiplier of the 华宁县 sizes (default: townships / 5)."
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="Load only, do not start the console."),
) -> None:
    """Load a demo county (real boundaries, synthetic people and cases) and serve the console."""
    settings = Settings.from_env()
    now = datetime.now(UTC)
    started = time.perf_counter()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("准备数据库", total=None)
        urls = resolve_urls(settings, start=True)
        engine = make_engine(urls.owner, pool_size=1)
        migrate.upgrade(engine)
        progress.update(task, description=f"生成演示数据 {county}")
        data = generate(county, seed=seed, now=now, factor=scale)
        keys = platform_keys(settings)

        def step(name: str) -> None:
            progress.update(task, description=f"写入：{name}")

        try:
            with Session(engine) as session, session.begin():
                apply_scope(session, None)
                report = load_demo(session, data, keys, password=DEMO_PASSWORD, progress=step)
            progress.update(task, description="热点分析（近一年）")
            hotspots = analyse_last_year(engine, county=data.county_code, now=now)
        finally:
            engine.dispose()
    _print_report(data, report, time.perf_counter() - started)
    console.print(
        f"热点分析：{hotspots.cases} 件案事件，{hotspots.cells} 个单元，"
        f"{hotspots.hot_cells} 个热点，{hotspots.alerts} 条风险预警"
    )
    if no_serve:
        return
    _serve()


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
    scope = county.ljust(12, "0")
    actor = Actor(user_id=None, name="demo", role=Role.COMMANDER, scope_code=scope)
    with Session(engine) as session, session.begin():
        apply_scope(session, None)
        return run(
            session,
            actor=actor,
            scope_code=scope,
            window_start=now - timedelta(days=365),
            window_end=now,
        )


def _print_report(data: DemoData, report: LoadReport, seconds: float) -> None:
    tr = data.territory
    console.print(
        f"[bold green]演示数据已载入[/] {tr.province.name} {tr.city.name} {tr.county.name} "
        f"（{data.county_code}，种子 {data.seed}，{seconds:.1f} 秒）"
    )
    counts = Table(title="记录数", show_header=True)
    counts.add_column("表")
    counts.add_column("行数", justify="right")
    for table, n in report.counts.items():
        counts.add_row(table, f"{n:,}")
    console.print(counts)
    console.print("乡镇（街道）：" + "、".join(f"{t.name}({t.code})" for t in tr.townships))
    hot = Table(title="案事件来源与热点演变", show_header=True)
    hot.add_column("来源")
    hot.add_column("位置")
    for s in data.sources:
        hot.add_row(s.name, s.where)
    console.print(hot)
    logins = Table(title=f"演示账号（密码均为 {DEMO_PASSWORD}）", show_header=True)
    # never cut nor wrapped: it is copied into the login page; the other columns wrap instead
    longest = max((len(login.username) for login in report.logins), default=8)
    logins.add_column("用户名", no_wrap=True, min_width=longest)
    for col in ("角色", "辖区", "可查看明文"):
        logins.add_column(col)
    for login in report.logins:
        logins.add_row(
            login.username,
            login.role,
            f"{login.scope_name} {login.scope_code}",
            "是" if login.can_unmask else "",
        )
    console.print(logins)


def _serve() -> None:
    script = Path(sys.executable).with_name("zongzhi")
    from layers.cli import app

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    if "serve" not in names or not script.exists():
        console.print("控制台尚未提供 serve 命令；加载完成后请运行：[bold]zongzhi serve[/]")
        return
    console.print("启动控制台：zongzhi serve")
    os.execv(str(script), [str(script), "serve"])


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to the root app.

    Parameters
    ----------
    app : typer.Typer
        The root ``zongzhi`` app.
    """
    app.command("demo")(demo)
