"""``zongzhi divisions CODE``: load a region's official divisions (see :mod:`importers.official`).

Plugged into the root app through the ``zongzhi.commands`` entry-point group with
:func:`register`. Exit codes: 0 loaded (or dry run clean), 1 rows rejected (nothing loaded),
2 an unknown code. The command imports the readers it needs when it runs (``zongzhi --help``
loads this module).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from importers.cli import migrated_engine
from importers.terminal import StepBar, console
from layers.cli_session import os_user
from layers.settings import Settings

if TYPE_CHECKING:
    from importers.divisions import Division
    from importers.official import DivisionProgress
    from importers.pipeline import ImportOutcome

LEVEL_NAMES = {1: "省", 2: "市", 3: "县", 4: "乡镇"}
"""Chinese names of the levels the official list has."""


def load_divisions(
    code: Annotated[
        str,
        typer.Argument(
            help="省、市、县或乡镇的区划代码（12位，或其前2、4、6、9位）；all 表示全国。"
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="试运行：全部检查一遍，不写入任何数据。")
    ] = False,
    user: Annotated[
        str | None, typer.Option("--user", help="导入人（默认为当前系统用户名）。")
    ] = None,
) -> None:
    """Load a region's official divisions: real boundaries down to counties, townships by code."""
    from importers.divisions import DivisionNotFound
    from importers.official import by_province, division_options, import_divisions, region

    try:
        units = region(code)
    except DivisionNotFound as exc:
        console.print(f"[bold red]错误：[/]区划代码 {code} 不在国家统计局区划表中")
        raise typer.Exit(code=2) from exc
    options = division_options(dry_run=dry_run, user=user or os_user())  # never a resent file
    engine = migrated_engine(Settings.from_env())
    try:
        with StepBar("区划", dry_run=dry_run) as shown, engine.connect() as conn:
            bars = ProvinceBars(shown, provinces=len(by_province(units)))
            imported = import_divisions(conn, units, options, progress=bars.callbacks())
    finally:
        engine.dispose()
    _summarise(code, units, imported.bounded, imported.outcome)
    if imported.outcome.status == "rejected":
        raise typer.Exit(code=1)


class ProvinceBars:
    """The progress of a region loaded one province at a time (:func:`import_divisions`).

    The step line of :class:`importers.terminal.StepBar` names the province it is on; above it, a
    bar counts the provinces done when there are several (``zongzhi divisions all``).

    Parameters
    ----------
    shown : StepBar
        The running step line.
    provinces : int
        How many provinces the region has.
    """

    def __init__(self, shown: StepBar, provinces: int) -> None:
        self.shown = shown
        self.done = -1
        self.overall = (
            shown.progress.add_task("区划：省份", total=provinces) if provinces > 1 else None
        )

    def province(self, name: str, units: int) -> None:
        """Start a province: count the one before as done, show its boundaries being read.

        Parameters
        ----------
        name : str
            The province's name.
        units : int
            Its units in the region.
        """
        self.done += 1
        if self.overall is not None:
            self.shown.progress.update(self.overall, completed=self.done)
        self.shown.label = f"区划（{name}）"
        self.shown.start("读取边界", units)

    def callbacks(self) -> DivisionProgress:
        """Return what :func:`import_divisions` reports to."""
        from importers.official import DivisionProgress

        return DivisionProgress(self.province, self.shown.rows, self.shown.callbacks())


def _summarise(
    code: str, units: list[Division], bounded: list[bool], outcome: ImportOutcome
) -> None:
    from importers.official import source_name

    levels = Counter(u.level for u in units)
    with_boundary = Counter(u.level for u, b in zip(units, bounded, strict=True) if b)
    table = Table(title=f"官方区划 {code}")
    for column in ("层级", "单位数", "有边界"):
        table.add_column(column)
    for level in sorted(levels):
        table.add_row(LEVEL_NAMES[level], str(levels[level]), str(with_boundary[level]))
    console.print(table)
    console.print(f"来源：{source_name()}")
    counts = outcome.counts
    if counts is None:
        console.print(f"[bold red]未写入[/]：{outcome.rejected_rows} 个单位未通过检查")
        for problem in outcome.problems[:10]:
            console.print(f"  第 {problem.row} 行 {problem.column} {problem.value}：{problem.rule}")
        return
    verb = "试运行，未写入" if not outcome.committed else "已写入"
    console.print(f"{verb}：新增 {counts.inserted}，更新 {counts.updated}，未变 {counts.unchanged}")


def register(app: typer.Typer) -> None:
    """Add the ``divisions`` command to the root app.

    Parameters
    ----------
    app : typer.Typer
        The root ``zongzhi`` app.
    """
    app.command(
        "divisions",
        help="载入一个地区的官方行政区划。\n\n"
        "省、市、县带真实边界；乡镇（街道）只有名称和代码，"
        "其边界可另用 zongzhi import jurisdictions 导入。",
    )(load_divisions)
