"""The importer's command line: ``zongzhi import``, ``zongzhi imports``, ``zongzhi template``.

Plugged into the root app through the ``zongzhi.commands`` entry-point group with
:func:`register`. Exit codes (:data:`EXIT_CODES`, :func:`command_exit`): 0 loaded whole (or
dry run clean); 1 rows rejected, nothing written (a dry run that would reject rows, a
``--partial`` run that rejected every row), or a ``--complete`` retirement held back until
``--again`` confirms it (the rows loaded, nothing was retired: :func:`held_back`; a dry run
that would be held back too); 2 the file or options are unusable, nothing written; 3 partly
written: ``--partial`` wrote the valid rows and left the rejected ones out (trial AN N6: it
exited 1, as a file that wrote nothing, and a scheduled job could not tell the two apart).

What a clerk reads (the summary, errors, the report's path, the help) is in Simplified Chinese;
the summary's wording is :mod:`importers.summary`, the progress line :mod:`importers.terminal`.
With ``--sheet all``, an error every sheet of a file shares is said once, then which sheets it
stopped (:class:`SaidErrors`).
The libraries an import needs (pandas, SciPy, GDAL's readers …) are imported by the functions
that use them: ``zongzhi --help`` loads this module and should not wait for them.
"""

from __future__ import annotations

import dataclasses
import errno
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from importers.progress import planned_steps
from importers.summary import (
    LISTED_IN_IMPORT,
    STATUS_LABELS,
    crs_label,
    earlier_note,
    long_notes,
    rejected_reasons,
    report_note,
    summarise,
    zones_note,
)
from importers.terminal import StepBar, console
from layers.cli_session import os_user
from layers.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from importers.pipeline import ImportOptions, ImportOutcome
    from importers.within import Scope
    from layers.import_runs import ImportRecord
    from layers.secrets import Keys

ALL_PARTS = "all"
"""``--sheet all``: import each data sheet (or layer) of a file in turn."""

KIND_HELP = (
    "jurisdictions 辖区、grids 网格、workers 网格员、video 视频点位、cases 案件、"
    "persons 特殊人群、visits 走访记录"
)
"""The kinds of :data:`importers.kinds.KINDS` with their labels, for the help (which must not
import them: ``tests/test_cli_startup.py`` checks that the two agree)."""
TOLERANCE_M = 500.0
"""``--tolerance``'s default, :data:`importers.loading.DEFAULT_TOLERANCE_M` (checked as above)."""


EXIT_REJECTED = 1
"""Rows rejected and nothing written, or a ``--complete`` retirement held back."""
EXIT_UNUSABLE = 2
"""The file or an option is unusable: nothing written."""
EXIT_PARTLY = 3
"""``--partial`` wrote the valid rows; the rejected ones were left out (see the report)."""
EXIT_CODES = (
    "退出码：0 全部导入（试运行：检查通过）；1 有退回的行，未写入任何数据"
    "（试运行有退回的行、--partial 时全部退回亦同），"
    "或 --complete 的撤销未执行、须加 --again 确认；"
    "2 文件或选项无法使用，未写入任何数据；3 部分导入：--partial 已写入有效行，退回的行未导入"
    "（见退回报告）。多个文件时取最重的一个：2、1、3、0。"
)
"""The exit codes as the help says them (``zongzhi import --help``)."""


def command_exit(codes: list[int], *, rejected: int, held: int) -> int:
    """Return the command's exit code from its files' (or sheets').

    The worst wins: 2 (a file unusable), then 1 (rows rejected and nothing written, or a
    ``--complete`` held back), then 3 (partly written), then 0.

    Parameters
    ----------
    codes : list of int
        Each file's or sheet's code (:func:`_import_one`).
    rejected : int
        Rows rejected over all of them (a dry run's: it writes nothing, so 1).
    held : int
        Files whose ``--complete`` retirement was held back.

    Returns
    -------
    int
        The exit code.

    Examples
    --------
    >>> command_exit([0, EXIT_PARTLY], rejected=2, held=0)
    3
    >>> command_exit([EXIT_PARTLY, EXIT_REJECTED], rejected=5, held=0)
    1
    >>> command_exit([0], rejected=2, held=0)  # a dry run that would reject rows
    1
    """
    for code in (EXIT_UNUSABLE, EXIT_REJECTED):
        if code in codes:
            return code
    if held:
        return EXIT_REJECTED
    if EXIT_PARTLY in codes:
        return EXIT_PARTLY
    return EXIT_REJECTED if rejected else 0


def error(message: object) -> None:
    """Print an error for the clerk: ``错误：`` and the message as written, not as markup.

    A message may quote a mapping file's ``[values."事件类型"]``, which rich would take for a
    style and leave out; a long one is not cut into lines mid-sentence.

    Parameters
    ----------
    message : object
        The error (its text).
    """
    console.print(Text("错误：", style="bold red") + Text(str(message)), soft_wrap=True)


def migrated_engine(settings: Settings) -> Engine:
    """Return an owner-role engine on the database, once it is at the code's schema revision.

    An import into a database never migrated (or migrated by an older release) would fail on
    a missing table or column, with a traceback: say what to run instead, and exit with 2.

    Parameters
    ----------
    settings : Settings
        Where the database is (the embedded cluster is started if need be).

    Returns
    -------
    sqlalchemy.Engine
        The engine (the caller disposes of it).

    Raises
    ------
    typer.Exit
        With code 2, after printing the command to run.
    """
    from layers import migrate
    from layers.database import make_engine, resolve_urls

    engine = make_engine(resolve_urls(settings, start=True).owner, pool_size=1)
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        engine.dispose()
        state = "尚未建表" if current is None else f"的结构版本是 {current}，本程序需要 {head}"
        console.print(f"[bold red]错误：[/]数据库{state}：请先运行 zongzhi db migrate")
        raise typer.Exit(code=2)
    return engine


def import_file(
    kind: Annotated[str, typer.Argument(help=f"文件中数据的类型：{KIND_HELP}。")],
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="要导入的文件：CSV、Excel（XLSX）、Shapefile（或其zip压缩包）、GeoJSON、"
            "GeoPackage、KML/KMZ、MapInfo、文件地理数据库（.gdb）；多个文件逐个导入。",
            show_default=False,
        ),
    ],
    crs: Annotated[
        str | None,
        typer.Option(
            "--crs",
            help="坐标系：wgs84、cgcs2000、gcj02（高德、腾讯地图）、bd09（百度地图）或 "
            "EPSG:NNNN（如 EPSG:4543）。不填时按 GIS 文件自带的或表头注明的坐标系，"
            "否则按 cgcs2000 读取并核对。",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help='列对照文件（JSON 或 TOML）：字段 = 文件中的列名，如 "经度" = "事发地经度"。',
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="试运行：全部检查一遍，不写入任何数据。")
    ] = False,
    partial: Annotated[
        bool, typer.Option("--partial", help="有退回的行时，仍导入其余的有效行。")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="退回报告写到哪里（.xlsx或.csv），只能用于单个文件；"
            "默认写在文件旁：文件名.rejects.xlsx。",
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="导入人（默认为当前系统用户名）。")
    ] = None,
    tolerance: Annotated[
        float,
        typer.Option("--tolerance", help="点位可超出其所属辖区边界多少米。"),
    ] = TOLERANCE_M,
    layer: Annotated[
        str | None,
        typer.Option(
            "--layer",
            "--sheet",
            help="有多个图层的 GeoPackage、.gdb 或 zip 中的图层名，或有多个工作表的 Excel 中的"
            f"工作表名；{ALL_PARTS} 表示逐个导入每一个。",
        ),
    ] = None,
    fixed: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="字段=取值：整个文件的这个字段都取这个值，如 --set 人员类别=刑满释放人员"
            "（可重复使用）；文件中若有这个字段的列，以此处的取值为准。",
            show_default=False,
        ),
    ] = None,
    within: Annotated[
        str | None,
        typer.Option(
            "--within",
            envvar="ZONGZHI_WITHIN",
            help="文件所属辖区的区划代码（12位，或省、市、县、乡镇的前2、4、6、9位）：落在辖区外的行退回。"
            "县级中心可在环境变量 ZONGZHI_WITHIN 中设置一次。",
            show_default=False,
        ),
    ] = None,
    complete: Annotated[
        bool,
        typer.Option(
            "--complete",
            help="网格或辖区文件是 --within 所指辖区的全部（如一个乡镇调整后的全部网格）："
            "库中该辖区内文件未列的同类单位一律撤销，其人员、在办案件等按点位改属新单位；"
            "视频点位文件（如雪亮工程平台的设备通道导出）是该辖区的全部摄像机：文件未列的在用点位"
            "撤销（不再上图、不计统计，记录保留）；特殊人群文件（如司法局的社区矫正人员名单）是"
            "该辖区文件所列类别的全部人员：库中在册而文件未列的按导入当天注销（名单未列，记录保留）。",
        ),
    ] = False,
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help="重新导入以前导入过的文件，即使之后又导入过同类的其他文件"
            "（否则退回：旧文件会覆盖之后的更新，如离职、调动、注销）；"
            "与 --complete 同用时，确认撤销辖区内过半的网格、区划或视频点位（或注销过半的人员）。",
        ),
    ] = False,
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="历史记录导入（仅用于案件）：文件是过去的记录，来源中已办结的按来源办结；"
            "仍未办结的（正在调处、办理中、调解不成功、已移交等，或未填状态）按历史记录归档，"
            "保留原状态，不进入待办、不计超期、不通知值班人员。",
        ),
    ] = False,
    hold_at_county: Annotated[
        bool,
        typer.Option(
            "--hold-at-county",
            help="留在县级待派单（仅用于案件）：文件中的案件都进入县级的待派单，由县级按属地交办或"
            "派往承办单位（如县级12345热线的全县工单）；不加时案件进入所在乡镇（街道）的待派单，"
            "承办单位为县级部门的除外。",
        ),
    ] = False,
    summary_json: Annotated[
        Path | None,
        typer.Option(
            "--summary-json",
            hidden=True,  # the console's runner reads it (RunSummary); not for clerks
            help="把导入结果（是否已写入、导入编号、行数）以 JSON 写到此文件，供网页导入使用。",
        ),
    ] = None,
    mapping_name: Annotated[
        str | None,
        typer.Option(
            "--mapping-name",
            hidden=True,  # the console's runner: the name the clerk uploaded the file under
            help="提示中列对照文件的名称（网页导入时为上传时的文件名）。",
        ),
    ] = None,
) -> None:
    """Import files of KIND, one by one; each loads whole or not at all unless --partial.

    The help's text is :func:`register`'s (the exit codes in Chinese, :data:`EXIT_CODES`).
    """
    from layers.cli_gc import frozen_imports

    with frozen_imports():  # in an import's own process, its libraries are swept no more
        from importers.fixed_values import parse_fixed
        from importers.kinds import KINDS
        from importers.mapping import MappingError
        from importers.pipeline import HISTORY_KINDS, HISTORY_RULE, ImportOptions
        from importers.within import UNIT_KINDS
        from layers import deadlines
        from layers.secrets import platform_keys

    if kind not in KINDS:
        console.print(f"[bold red]错误：[/]未知的导入类型 {kind!r}，可选：{'、'.join(KINDS)}")
        raise typer.Exit(code=2)
    if history and kind not in HISTORY_KINDS:  # before any file: no report is touched
        console.print(f"[bold red]错误：[/]{HISTORY_RULE}", soft_wrap=True)
        raise typer.Exit(code=2)
    if hold_at_county and kind != "cases":
        console.print("[bold red]错误：[/]--hold-at-county 只用于案件（cases）文件", soft_wrap=True)
        raise typer.Exit(code=2)
    paths = _without_own_reports(paths)
    if report is not None and (len(paths) > 1 or layer == ALL_PARTS):
        console.print("[bold red]错误：[/]--report 只能用于单个文件（多个文件的报告各写在文件旁）")
        raise typer.Exit(code=2)
    try:
        values = parse_fixed(fixed or [], KINDS[kind])
    except MappingError as exc:
        error(exc)
        raise typer.Exit(code=2) from exc
    if complete and (kind not in (*UNIT_KINDS, "video", "persons") or within is None):
        console.print(
            "[bold red]错误：[/]--complete 只用于网格（grids）、辖区（jurisdictions）、视频点位"
            "（video）或特殊人群（persons）文件，并须用 --within 指明文件是哪个辖区的全部，"
            "如 --within 530424101 --complete",
            soft_wrap=True,
        )
        raise typer.Exit(code=2)
    if crs is not None and not _known_crs(crs):  # before any file: no report is touched
        console.print(f"[bold red]错误：[/]{CRS_OPTION_RULE.format(crs=crs)}", soft_wrap=True)
        raise typer.Exit(code=2)
    settings = Settings.from_env()
    options = ImportOptions(
        kind=kind,
        crs=crs,
        mapping=mapping,
        mapping_name=mapping_name,
        partial=partial,
        dry_run=dry_run,
        user=user or os_user(),
        tolerance_m=tolerance,
        layer=layer,
        fixed=values,
        again=again,
        complete=complete,
        history=history,
        hold_at_county=hold_at_county,
    )
    if kind == "cases":  # imported cases get the deadlines of the deployment's limits
        try:
            limits = deadlines.for_deployment(settings.home)
        except deadlines.DeadlineConfigError as exc:
            console.print(f"[bold red]错误：[/]时限配置文件有误：{exc}")
            raise typer.Exit(code=2) from exc
        options = dataclasses.replace(options, limits_config=limits)
    keys = platform_keys(settings) if kind in ("persons", "visits") else None
    engine = migrated_engine(settings)
    codes: list[int] = []
    rejected_rows = held = 0
    summary = RunSummary(summary_json, dry_run=dry_run)
    try:
        if within is not None:
            options = dataclasses.replace(options, within=_scope(engine, within).code)
        for path in paths:
            parts = _parts(path, options) if layer == ALL_PARTS else [layer]
            codes += [] if parts else [2]
            said = SaidErrors()
            for part in parts:
                one = dataclasses.replace(options, layer=part)
                target = report or _report_path(path, part if layer == ALL_PARTS else None)
                summary.part_started()
                code, rejected, waits = _import_one(
                    engine,
                    path,
                    one,
                    keys,
                    target,
                    report is None,
                    said.part(part),
                    summary.seen,
                    summary.recorded,
                )
                summary.part_ended(code, rejected, target)
                codes.append(code)
                rejected_rows += rejected
                held += waits
            for line in said.repeated(len(parts)):
                console.print(line, style="red", soft_wrap=True)
    finally:
        engine.dispose()
    summary.write(finished=True)
    if len(codes) > 1:
        what = "工作表或图层" if layer == ALL_PARTS else "文件"
        rows = f"；退回的行共 {rejected_rows} 行（见各自的退回报告）" if rejected_rows else ""
        passed = "检查通过" if dry_run else "导入"  # a dry run writes nothing
        waiting = f"（其中 {held} 个{HELD_BACK_SAID}）" if held else ""
        console.print(
            f"共 {len(codes)} 个{what}：{passed} {codes.count(0) + codes.count(EXIT_PARTLY)} 个"
            f"{waiting}，"
            f"退回 {codes.count(1)} 个，无法导入 {codes.count(2)} 个{rows}",
            soft_wrap=True,
        )
    worst = command_exit(codes, rejected=rejected_rows, held=held)
    if worst:
        raise typer.Exit(code=worst)


HELD_BACK_SAID = "的 --complete 未执行，须核对后加 --again 确认"
"""How the line over several files says the files whose ``--complete`` was held back."""


REPORT_ENDINGS = (".rejects.xlsx", ".rejects.csv")
"""How the importer's reject reports end: ``FILE.rejects.xlsx``, ``FILE.SHEET.rejects.xlsx``."""


def own_reports(paths: list[Path]) -> list[Path]:
    """Return the reject reports among ``paths`` whose source file is among them too.

    A pattern such as ``*特殊人群*`` matches a file and the report an earlier run left beside
    it; the report is not a file to import with it (importing it would also race with the
    source's import, which removes a stale report). A report given without its source is
    imported: it is how the corrected rows of a ``--partial`` import come back.

    Parameters
    ----------
    paths : list of pathlib.Path
        The paths given.

    Returns
    -------
    list of pathlib.Path
        The reports to leave out, in the order given.

    Examples
    --------
    >>> own_reports([Path("a/人员.xlsx"), Path("a/人员.xlsx.rejects.xlsx"),
    ...              Path("a/人员.xlsx.吸毒人员.rejects.xlsx"), Path("b/人员.xlsx.rejects.xlsx")])
    [PosixPath('a/人员.xlsx.rejects.xlsx'), PosixPath('a/人员.xlsx.吸毒人员.rejects.xlsx')]
    >>> own_reports([Path("工单.csv.rejects.xlsx")])  # the corrected rows, imported again
    []
    """
    return [
        path
        for path, folder in ((p, p.absolute().parent) for p in paths)
        if path.name.endswith(REPORT_ENDINGS)
        and any(
            path.name.startswith(other.name + ".") and other.absolute().parent == folder
            for other in paths
        )
    ]


def _without_own_reports(paths: list[Path]) -> list[Path]:
    """Return ``paths`` without :func:`own_reports`, saying in one line which were left out."""
    reports = own_reports(paths)
    if reports:
        names = "、".join(path.name for path in reports)
        console.print(
            f"跳过与源文件一同匹配到的退回报告 {len(reports)} 个（不作为数据导入）：{names}",
            style="yellow",
            soft_wrap=True,
        )
    return [path for path in paths if path not in reports]


def _cannot_write(target: Path, exc: OSError) -> NoReturn:
    """Say in Chinese why ``target`` cannot be written, and exit with 2."""
    error(f"无法写出 {target}：{_os_reason(exc)}")
    raise typer.Exit(code=2) from exc


def _os_reason(exc: OSError) -> str:
    """Say in Chinese why a file could not be written."""
    reasons: dict[type[OSError], str] = {
        FileNotFoundError: "所在文件夹不存在",
        PermissionError: "没有写入权限",
        IsADirectoryError: "这是一个文件夹",
        NotADirectoryError: "路径中有同名的文件，不是文件夹",
        FileExistsError: "路径中有同名的文件，不是文件夹",
    }
    said = next((r for kind, r in reasons.items() if isinstance(exc, kind)), None)
    return said or f"系统错误 {errno.errorcode.get(exc.errno or 0, exc.errno)}"


def _scope(engine: Engine, within: str) -> Scope:
    """Return the jurisdiction ``--within`` names, or say why not and exit with 2."""
    from importers.within import WithinError, find_scope
    from layers.database import apply_scope

    try:
        with engine.begin() as conn:
            apply_scope(conn, None)
            raw: Any = conn.connection.driver_connection
            return find_scope(raw, within)
    except WithinError as exc:
        error(exc)
        raise typer.Exit(code=2) from exc


def _parts(path: Path, options: ImportOptions) -> list[str | None]:
    """Return the sheets or layers of a file for ``--sheet all`` (none if it cannot be read)."""
    from importers.mapping import MappingError, header_test, load_mapping_file
    from importers.reading import ReadError, parts_of

    headers = (
        load_mapping_file(options.mapping, options.mapping_name).columns
        if options.mapping
        else None
    )
    try:
        return list(parts_of(path, header_test(headers)))
    except (ReadError, MappingError) as exc:
        error(exc)
        return []


def _report_path(path: Path, part: str | None) -> Path:
    """Where a file's reject report goes by default: beside it (one per sheet or layer)."""
    return path.with_name(
        f"{path.name}.{part}.rejects.xlsx" if part else path.name + ".rejects.xlsx"
    )


class SaidErrors:
    """The errors said of one file's sheets (``--sheet all``): each is said once.

    A file-level error (a column every month's sheet lacks) is the same for every sheet: the
    first sheet it stops says it, the others do not repeat it, and :meth:`repeated` then says
    which sheets it stopped.

    Examples
    --------
    >>> said = SaidErrors()
    >>> [said.part(sheet)("缺少来源渠道列") for sheet in ("1月", "2月", "3月")]
    [True, False, False]
    >>> said.repeated(3)
    ['以上错误在全部 3 个工作表中相同（1月、2月、3月），只显示一次']
    """

    def __init__(self) -> None:
        self.parts: dict[str, list[str | None]] = {}

    def part(self, part: str | None) -> Callable[[str], bool]:
        """Return the test of one sheet: record its error, and whether it is to be said."""

        def first(message: str) -> bool:
            parts = self.parts.setdefault(message, [])
            parts.append(part)
            return len(parts) == 1

        return first

    def repeated(self, total: int) -> list[str]:
        """Return a line per error said for several sheets: how many, and which."""
        lines = []
        for parts in self.parts.values():
            if len(parts) < 2:
                continue
            every = "全部 " if len(parts) == total else ""
            names = _listed([str(p) for p in parts])
            lines.append(f"以上错误在{every}{len(parts)} 个工作表中相同（{names}），只显示一次")
        return lines


def _listed(items: list[str], shown: int = 10) -> str:
    """Return ``items`` joined by 、, the first ``shown`` of them and 等 after."""
    return "、".join(items[:shown]) + ("等" if len(items) > shown else "")


def _import_one(
    engine: Engine,
    path: Path,
    options: ImportOptions,
    keys: Keys | None,
    report: Path,
    own_report: bool = True,
    first: Callable[[str], bool] | None = None,
    ended: Callable[[ImportOutcome], None] | None = None,
    recorded: Callable[[int, str], None] | None = None,
) -> tuple[int, int, bool]:
    """Import one file and show what happened.

    A run that imported the file without rejected rows leaves no reject report of an earlier
    run beside it: the default one (``own_report``) is removed, a ``--report`` the user named
    is left alone, said to be older. A dry run, or a run refused (a file it cannot read, a
    resent file), keeps it: the clerk may be working through it. An error is said unless
    ``first`` (a sheet's test of :class:`SaidErrors`) tells it was said of another sheet of
    the file. ``ended`` is told the outcome as soon as the import's transaction has ended
    (:class:`RunSummary`), before the summary and the report. An import (not a dry run) that
    wrote nothing is recorded all the same, with why in one line (:func:`_record_refused`);
    ``recorded`` is told its number and why.

    Returns
    -------
    tuple of (int, int, bool)
        The exit code (0, 1 rejected, 2 unusable, 3 partly written), the number of rejected
        rows, and whether a ``--complete`` retirement was held back (:func:`held_back`: the
        command exits 1).
    """
    from importers.crs_check import WrongCrs, fitting_zone_note
    from importers.kinds import KINDS
    from importers.mapping import MappingError
    from importers.pipeline import NothingListed, run_import, sheet_part
    from importers.private_report import (
        caller_note,
        full_lists_path,
        masked_unread_note,
        write_full_lists,
        write_private_report,
        write_struck_off,
    )
    from importers.reading import ReadError
    from importers.rules import SENSITIVE_FIELDS
    from importers.values import PROJECTED_WITHOUT_ZONE
    from layers.database import apply_scope, gather_statistics
    from layers.import_checks import bounded_longitudes
    from layers.import_runs import earlier_run

    try:
        planned = planned_steps(options.kind)
        bar = StepBar(KINDS[options.kind].label, planned, dry_run=options.dry_run)
        with bar as shown, engine.connect() as conn:
            outcome = run_import(conn, path, options, keys=keys, progress=shown.callbacks())
        if ended is not None:
            ended(outcome)
        if _reshapes_table(outcome):  # the planner's statistics now, not in autovacuum's minute
            gather_statistics(engine, [KINDS[options.kind].table.name])
        with engine.begin() as conn:
            apply_scope(conn, None)
            part = sheet_part(outcome.file_name)
            earlier = earlier_run(
                conn,
                outcome.sha256,
                options.kind,
                part=part,
                before=outcome.import_id,
                wrote_first=True,
            )
    except WrongCrs as exc:
        _say(exc, first)
        refused = len({p.row for p in exc.problems if p.severity == "rejected"})
        _record_refused(engine, path, options, str(exc), recorded, rejected=refused)
        if not refused:
            _stale_report(report, own_report, "本次未能导入，没有新的退回报告", imported=False)
            return 2, 0, False
        write_private_report(report, options.kind, {}, exc.problems)
        console.print(
            f"另有 {refused} 行未通过逐行检查，可先按退回报告改正：{report}", soft_wrap=True
        )
        return 2, refused, False
    except NothingListed as exc:  # a --complete list of no row: refused, its report written
        _say(exc, first)
        said = exc.outcome
        if ended is not None:
            ended(said)
        _record_refused(engine, path, options, str(exc), recorded, outcome=said)
        write_private_report(report, options.kind, said.columns, said.problems)
        console.print(report_note(said.problems, str(report)), soft_wrap=True)
        return 2, said.rejected_rows, False
    except (ReadError, MappingError, ValueError) as exc:
        _say(exc, first)
        _record_refused(engine, path, options, str(exc), recorded)
        _stale_report(report, own_report, "本次未能导入，没有新的退回报告", imported=False)
        return 2, 0, False
    if outcome.status == "rejected":
        reasons = rejected_reasons(outcome)
        why = reasons[0] if reasons else ""
        _record_refused(engine, path, options, why, recorded, outcome=outcome)
    full_lists = full_lists_path(report, dry_run=options.dry_run)
    summarise(outcome, options.fixed, dry_run=options.dry_run, listed_in=full_lists.name)
    if any(p.rule == PROJECTED_WITHOUT_ZONE for p in outcome.problems):
        with engine.begin() as conn:
            apply_scope(conn, None)
            raw: Any = conn.connection.driver_connection
            span = bounded_longitudes(raw)
            rows, columns = outcome.rejected, outcome.columns  # the zone that puts them inside
            fitting = fitting_zone_note(raw, rows, columns, *span) if span is not None else None
        if span is not None:
            console.print(fitting or zones_note(*span), soft_wrap=True)
    if earlier is not None:
        console.print(earlier_note(earlier, outcome), soft_wrap=True)
    if outcome.problems:
        # After a partial import or a trial run, the rows to correct and import again (XLSX
        # only); never a copy of resident IDs, which the report shows masked.
        sensitive = SENSITIVE_FIELDS & outcome.columns.keys()
        fixable = (outcome.status == "partial" or options.dry_run) and not sensitive
        rows = outcome.rejected if fixable else None
        unread = outcome.unused  # their resident IDs and phones masked (trial AV M5)
        write_private_report(
            report, options.kind, outcome.columns, outcome.problems, rows, unread=unread
        )
        console.print(report_note(outcome.problems, str(report)), soft_wrap=True)
        callers = caller_note(options.kind, outcome.columns, rows)
        if callers is not None:  # a new file holding personal data (trial AX m2)
            console.print(callers, soft_wrap=True)
        masked = masked_unread_note(rows, unread)
        if masked is not None:
            console.print(masked, soft_wrap=True)
    else:
        why = "本次试运行没有退回的行" if options.dry_run else "本次没有退回的行"
        _stale_report(report, own_report, why, imported=not options.dry_run)
    if write_full_lists(full_lists, long_notes(outcome.notes)) is not None:
        whole = f"摘要中只列出前 {LISTED_IN_IMPORT} 项的说明，完整列表：{full_lists}"
        console.print(whole, soft_wrap=True)
    elif own_report:  # an earlier run's, beside the file: not this run's
        full_lists.unlink(missing_ok=True)
    struck = write_struck_off(report, outcome.notes, dry_run=options.dry_run)
    if struck is not None:  # whom --complete struck off, masked, for the data officer
        console.print(f"名单未列注销的人员（姓名已遮盖，仅本账户可读）：{struck}", soft_wrap=True)
    refused = outcome.status == "rejected"
    nothing = outcome.committed and outcome.rejected_rows >= outcome.rows_total
    code = 0
    if refused or (outcome.status == "partial" and nothing):  # every row of --partial rejected
        code = EXIT_REJECTED
    elif outcome.status == "partial":
        code = EXIT_PARTLY
    return code, outcome.rejected_rows, not refused and held_back(outcome.notes)


def _record_refused(
    engine: Engine,
    path: Path,
    options: ImportOptions,
    why: str,
    recorded: Callable[[int, str], None] | None,
    *,
    outcome: ImportOutcome | None = None,
    rejected: int = 0,
) -> None:
    """Record an import that wrote nothing (:func:`layers.import_runs.record_refused`).

    A county's supervisor follows every import, the refused ones too (trial AL M7); a dry run
    is no import and leaves no record. ``outcome`` is the refused import's when its rows were
    checked (rows rejected, or a ``--complete`` list of none), else the file as given is
    recorded: ``why`` is then the error said. ``recorded`` is told the record's number and why.
    """
    from importers.pipeline import file_sha256
    from layers.database import apply_scope
    from layers.import_runs import one_line, record_refused

    if options.dry_run:
        return
    if outcome is not None:
        name, sha, crs = outcome.file_name, outcome.sha256, outcome.source_crs
        total, rejected = outcome.rows_total, outcome.rejected_rows
        counties = outcome.counties
        area = options.within or (counties[0].code if len(counties) == 1 else None)
    else:
        name = f"{path.name}（“{options.layer}”）" if options.layer else path.name
        try:
            sha = file_sha256(path)
        except OSError:
            sha = ""
        crs, total, area = options.crs or "", rejected, options.within
    why = one_line(why)
    with engine.begin() as conn:
        apply_scope(conn, None)
        run_id = record_refused(
            conn,
            kind=options.kind,
            file_name=name,
            sha256=sha,
            source_crs=crs,
            user=options.user,
            rows_total=total,
            rows_rejected=rejected,
            refusal=why,
            rejected=outcome is not None and outcome.status == "rejected",
            area_code=area,
        )
    if recorded is not None:
        recorded(run_id, why)


RESHAPING_ROWS = 500
"""Rows an import writes from which it gathers its table's statistics (:func:`_reshapes_table`)."""


def _reshapes_table(outcome: ImportOutcome) -> bool:
    """Whether an import wrote enough rows to gather its table's statistics at once.

    Autovacuum analyses a table within a minute or so of a large change; until then the
    planner plans with the old figures (a fresh visits table read once per person made the
    command feed take 2 s).
    """
    counts = outcome.counts
    written = 0 if counts is None else counts.inserted + counts.updated
    return outcome.committed and written >= RESHAPING_ROWS


def held_back(notes: Iterable[str]) -> bool:
    """Tell whether an import's ``--complete`` retirement waits for ``--again``.

    Its rows loaded (or, in a dry run, would load), but what the list leaves out was not
    ended: the command exits 1, as after ``--partial`` loaded the valid rows, so that a
    scheduled job does not take the retirement for done. The summary (its red line) stays.

    Parameters
    ----------
    notes : iterable of str
        The import's notes (:attr:`importers.pipeline.ImportOutcome.notes`).

    Returns
    -------
    bool
        Whether one is the alarm of a retirement held back (:class:`importers.loading.HeldBack`).

    Examples
    --------
    >>> from importers.loading import Alarm, HeldBack
    >>> held_back([Alarm("新增网格 2 个没有边界：…")]), held_back([HeldBack("--complete 未撤销…")])
    (False, True)
    """
    from importers.loading import HeldBack

    return any(isinstance(note, HeldBack) for note in notes)


def held_ends(notes: Iterable[str]) -> list[str]:
    """Return what the retirements held back until ``--again`` would end, a phrase each.

    Parameters
    ----------
    notes : iterable of str
        The import's notes (:attr:`importers.pipeline.ImportOutcome.notes`).

    Returns
    -------
    list of str
        :func:`layers.complete_list.ending_share`'s phrase of each alarm of a retirement held
        back (:class:`importers.loading.HeldBack`) that says one.

    Examples
    --------
    >>> from importers.loading import HeldBack
    >>> held_ends([HeldBack("--complete 未撤销任何网格：按本文件，华宁县（530424000000）"
    ...                     "将撤销网格 691 个（占本范围 695 个的 99%），…")])
    ['将撤销网格 691 个（占本范围 695 个的 99%）']
    """
    from importers.loading import HeldBack
    from layers.complete_list import ENDING_SHARE

    return [
        found.group(0)
        for note in notes
        if isinstance(note, HeldBack)
        for found in ENDING_SHARE.finditer(note)
    ]


class RunSummary:
    """What ``--summary-json PATH`` writes: what the command did, for the console's job.

    Written right after each import's transaction ends (before the summary and the reject
    report, which can take long), so that a job stopped then knows its rows were written, and
    again when the command ends (``"finished": true``). Its fields: ``status`` (``loaded``,
    ``partial``, ``rejected``, ``dry-run``, ``refused``: a file not read, or refused whole
    before its rows were checked), ``committed``, ``import_id`` (``import_runs.id``, the
    导入编号 of ``zongzhi imports`` and the audit log; the first, ``import_ids`` all of them),
    ``committed_at``, ``rows``, ``rejected_rows``, ``inserted``, ``updated``, ``unchanged``
    (what a dry run would write; nothing for a refused import), ``ended`` (among ``updated``:
    the records ended beyond the file's rows, cameras or grids retired, persons struck off),
    ``reasons`` (why the most rows were rejected, a line each:
    :func:`importers.summary.rejected_reasons`; a part's named after it when there are
    several), ``report`` (the reject report's file name once written, ``reports`` all),
    ``held_back`` (a ``--complete`` waiting for ``--again``), ``held_ends`` (what it would end,
    a line each: ``将撤销网格 691 个（占本范围 695 个的 99%）``, :func:`held_ends`, which the page's
    正式导入 repeats beside the box that confirms it), ``refusal`` (why an import that
    wrote nothing wrote nothing, in one line), ``run_ids`` (every ``import_runs`` record the
    command left, a refused import's too: the console's job lists them, the supervisor's list
    of command-line runs leaves them out), ``dry_run``, ``finished`` and ``parts`` (each file,
    sheet or layer, ``file`` its name: the top-level numbers are their sums). Nothing is
    written without a path.

    Parameters
    ----------
    path : pathlib.Path or None
        Where to write (replaced whole each time).
    dry_run : bool
        Whether the command is a dry run.
    """

    def __init__(self, path: Path | None, *, dry_run: bool) -> None:
        self.path = path
        self.dry_run = dry_run
        self.parts: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None
        self._started = 0.0

    def part_started(self) -> None:
        """Start a file, sheet or layer."""
        import time

        self._current, self._started = None, time.time()

    def seen(self, outcome: ImportOutcome) -> None:
        """Record an import whose transaction has just ended, and write the file."""
        from datetime import datetime

        shown = outcome.counts or (outcome.valid_counts if self.dry_run else None)
        self._current = {
            "status": outcome.status,
            "committed": outcome.committed,
            "import_id": outcome.import_id,
            "committed_at": (
                datetime.now().astimezone().isoformat(timespec="seconds")
                if outcome.committed
                else None
            ),
            "rows": outcome.rows_total,
            "rejected_rows": outcome.rejected_rows,
            **{a: getattr(shown, a) if shown else 0 for a in ("inserted", "updated", "unchanged")},
            "ended": shown.ended if shown else 0,
            "file": outcome.file_name,
            "reasons": rejected_reasons(outcome),
            "report": None,
            "held_back": outcome.status != "rejected" and held_back(outcome.notes),
            "held_ends": held_ends(outcome.notes) if outcome.status != "rejected" else [],
            "refusal": None,
            "run_id": outcome.import_id,
        }
        self.parts.append(self._current)
        self.write(finished=False)

    def recorded(self, run_id: int, why: str) -> None:
        """Record the number of the record a refused import left, and why it wrote nothing."""
        if self._current is None:  # refused before its rows were imported
            self._current = self._refused(0)
            self.parts.append(self._current)
        self._current["run_id"] = run_id
        self._current["refusal"] = why
        self.write(finished=False)  # the job names the record as soon as it is written

    @staticmethod
    def _refused(rejected: int) -> dict[str, Any]:
        """Return the part of a file, sheet or layer refused before its rows were imported."""
        return {
            "status": "refused",
            "committed": False,
            "import_id": None,
            "committed_at": None,
            "rows": 0,
            "rejected_rows": rejected,
            "inserted": 0,
            "updated": 0,
            "unchanged": 0,
            "ended": 0,
            "file": None,
            "reasons": [],
            "report": None,
            "held_back": False,
            "held_ends": [],
            "refusal": None,
            "run_id": None,
        }

    def part_ended(self, code: int, rejected: int, report: Path) -> None:
        """End a file, sheet or layer: a refused one recorded, the report named if written."""
        if self._current is None:  # refused before its rows were imported
            self._current = self._refused(rejected)
            self.parts.append(self._current)
        elif self._current["run_id"] is not None and not self._current["committed"]:
            self._current["rejected_rows"] = max(self._current["rejected_rows"], rejected)
        written = report.is_file() and report.stat().st_mtime >= self._started - 1
        self._current["report"] = report.name if written else None
        if code == 2 and not self._current["committed"]:
            self._current["status"] = "refused"

    def totals(self, *, finished: bool) -> dict[str, Any]:
        """Return what is written: the sums over the parts, and the parts.

        Examples
        --------
        >>> summary = RunSummary(None, dry_run=False)
        >>> summary.totals(finished=True)["status"]
        'refused'
        """
        parts = self.parts
        committed = [p for p in parts if p["committed"]]
        reports = [p["report"] for p in parts if p["report"]]
        return {
            "status": _summed_status([p["status"] for p in parts], bool(committed)),
            "committed": bool(committed),
            "import_id": committed[0]["import_id"] if committed else None,
            "import_ids": [p["import_id"] for p in committed],
            "committed_at": committed[-1]["committed_at"] if committed else None,
            **{
                key: sum(p[key] for p in parts)
                for key in ("rows", "rejected_rows", "inserted", "updated", "unchanged", "ended")
            },
            "reasons": _summed_reasons(parts),
            "report": reports[0] if reports else None,
            "reports": reports,
            "held_back": any(p["held_back"] for p in parts),
            "held_ends": [said for p in parts for said in p["held_ends"]],
            "refusal": next((p["refusal"] for p in parts if p.get("refusal")), None),
            "run_ids": [p["run_id"] for p in parts if p.get("run_id") is not None],
            "dry_run": self.dry_run,
            "finished": finished,
            "parts": parts,
        }

    def write(self, *, finished: bool) -> None:
        """Write the file (a temporary one renamed over it: never read half-written)."""
        if self.path is None:
            return
        import json
        import os

        scratch = self.path.with_name(self.path.name + ".part")
        try:
            scratch.write_text(
                json.dumps(self.totals(finished=finished), ensure_ascii=False), encoding="utf-8"
            )
            os.replace(scratch, self.path)
        except OSError as exc:
            error(f"导入结果无法写入 {self.path}：{_os_reason(exc)}")


def _summed_reasons(parts: list[dict[str, Any]]) -> list[str]:
    """Return the reasons of rejected rows of several parts: each part's, named after it.

    Examples
    --------
    >>> _summed_reasons([{"reasons": ["“经度” 2 行：必须是数字"], "file": "a.csv"}])
    ['“经度” 2 行：必须是数字']
    >>> _summed_reasons([{"reasons": ["x"], "file": "a.xlsx（工作表“1月”）"}, {"reasons": ["y"]}])
    ['a.xlsx（工作表“1月”）：x', 'y']
    """
    several = len(parts) > 1
    return [
        f"{part['file']}：{reason}" if several and part.get("file") else reason
        for part in parts
        for reason in part.get("reasons") or []
    ]


def _summed_status(statuses: list[str], committed: bool) -> str:
    """Return the status of several parts: one part's own, else what they did together.

    Examples
    --------
    >>> _summed_status(["loaded", "rejected"], True), _summed_status(["dry-run"] * 2, False)
    ('partial', 'dry-run')
    """
    if len(statuses) == 1:
        return statuses[0]
    if committed:
        return "loaded" if all(s == "loaded" for s in statuses) else "partial"
    for common in ("refused", "dry-run"):
        if statuses and all(s == common for s in statuses):
            return common
    return "rejected" if statuses else "refused"


def _say(exc: Exception, first: Callable[[str], bool] | None) -> None:
    """Print an error, unless another sheet of the file said it (:class:`SaidErrors`)."""
    if first is None or first(str(exc)):
        error(exc)


CRS_OPTION_RULE = (
    "--crs {crs} 不是可用的坐标系：可用 wgs84、cgcs2000、gcj02（高德、腾讯地图）、"
    "bd09（百度地图）或 EPSG:NNNN（如 EPSG:4543）"
)
"""Why a ``--crs`` is refused before any file is read."""


def _known_crs(name: str) -> bool:
    """Tell whether ``--crs`` names a source CRS the import can read."""
    from geo.crs import SourceCrs

    try:
        SourceCrs.parse(name)
    except ValueError:
        return False
    return True


def _stale_report(report: Path, own: bool, why: str, *, imported: bool) -> None:
    """Remove, keep or point out a reject report of an earlier run.

    Only a run that ``imported`` the file without rejected rows removes the importer's own;
    a dry run or a refused run leaves it, since a clerk may still be correcting it
    (:func:`importers.report.earlier_report`).
    """
    from importers.report import earlier_report

    said = earlier_report(report, own=own, imported=imported, why=why)
    if said is not None:
        console.print(said, soft_wrap=True)


def list_imports(
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"只列出这一类型的导入：{KIND_HELP}。")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="列出多少条（最新的在前）。")] = 20,
) -> None:
    """List the latest imports: when, who, which file (and its SHA-256), what they wrote."""
    from importers.kinds import KINDS
    from layers.database import apply_scope
    from layers.import_runs import recent_runs

    if kind is not None and kind not in KINDS:
        console.print(f"[bold red]错误：[/]未知的导入类型 {kind!r}，可选：{'、'.join(KINDS)}")
        raise typer.Exit(code=2)
    engine = migrated_engine(Settings.from_env())
    try:
        with engine.begin() as conn:
            apply_scope(conn, None)
            runs = recent_runs(conn, limit=limit, kind=kind)
    finally:
        engine.dispose()
    if not runs:
        console.print("还没有导入记录" if kind is None else f"还没有{KINDS[kind].label}的导入记录")
        return
    shown = Console()
    shown.print(_imports_table(runs, shown.width))


WIDE_LIST = 130
"""From how many columns ``zongzhi imports`` gives each fact a column of its own (else
:func:`_imports_table` stacks them: trial AL N7, unreadable in 80 columns)."""


def _imports_table(runs: list[ImportRecord], width: int = WIDE_LIST) -> Table:
    """Return the imports as a table that fits a terminal ``width`` columns wide.

    From :data:`WIDE_LIST` columns each fact has its column, the file's name last, folding
    over lines, the CRS its coordinates were read in and its SHA-256 (first 12 digits) under
    it. Narrower (trial AL N7: 80 columns cut the time and folded the name five characters a
    line), the number and the time keep their columns and the rest is stacked in one: the
    kind, user and result; the file's name whole; the rows; the CRS and SHA-256 are left out.
    An import that wrote nothing says why under its name (:attr:`ImportRecord.refusal`).
    """
    from importers.kinds import KINDS

    table = Table(
        title="导入记录（最新在前）", box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False
    )
    wide = width >= WIDE_LIST
    if not wide:
        table.caption = f"终端宽 {WIDE_LIST} 列以上时另列出坐标系和 SHA-256"
        table.add_column("编号", no_wrap=True)
        table.add_column("时间", no_wrap=True)
        table.add_column("导入", overflow="fold")
    else:
        for column in ("编号", "时间", "类型", "用户", "状态", "行数", "写入", "退回"):
            table.add_column(column, no_wrap=True)
        table.add_column("文件", overflow="fold")
    for run in runs:
        label = KINDS[run.kind].label if run.kind in KINDS else run.kind
        status = _run_status(run.status, run.rows_rejected, run.rows_total)
        why = Text(f"\n{run.refusal}", style="red") if run.refusal else Text("")
        if not wide:
            head = Text(f"{label}　{run.username}　") + Text(status, style="bold")
            rows = Text(f"\n{_rows_said(run)}", style="dim")
            table.add_row(str(run.id), run.started, head + "\n" + run.file_name + why + rows)
            continue
        table.add_row(
            str(run.id),
            run.started,
            label,
            run.username,
            status,
            str(run.rows_total),
            str(run.rows_loaded),
            str(run.rows_rejected),
            Text(run.file_name)
            + why
            + Text(f"\n坐标系 {crs_label(run.source_crs)}\nSHA-256 {run.sha256[:12]}", style="dim"),
        )
    return table


def _rows_said(run: ImportRecord) -> str:
    """Say a run's rows in one short line: the file's, and what the import wrote of them.

    Examples
    --------
    >>> from datetime import datetime
    >>> from layers.import_runs import ImportRecord
    >>> run = ImportRecord(3, "cases", "a.csv", "", "", "li", "partial", datetime.now(), 30, 28, 2)
    >>> _rows_said(run)
    '共 30 行：写入 28，退回 2'
    >>> _rows_said(run.__class__(**{**run.__dict__, "rows_inserted": 20, "rows_updated": 8,
    ...                              "rows_unchanged": 0}))
    '共 30 行：新增 20，更新 8，未变 0，退回 2'
    >>> _rows_said(run.__class__(**{**run.__dict__, "status": "rejected", "rows_loaded": 0}))
    '共 30 行：退回 2，未写入任何数据'
    """
    if not run.written:
        if not run.rows_total:  # the file, or an option, refused before its rows were read
            return "未写入任何数据"
        return f"共 {run.rows_total:,} 行：退回 {run.rows_rejected:,}，未写入任何数据"
    if run.rows_inserted is None:
        wrote = f"写入 {run.rows_loaded:,}"
    else:
        wrote = f"新增 {run.rows_inserted:,}，更新 {run.rows_updated or 0:,}，"
        wrote += f"未变 {run.rows_unchanged or 0:,}"
    return f"共 {run.rows_total:,} 行：{wrote}，退回 {run.rows_rejected:,}"


RUN_LABELS = {"rejected": "未写入（有退回的行）", "refused": "未写入（无法导入）"}
"""How the list of imports names an import that wrote nothing (:func:`_run_status`)."""


def _run_status(status: str, rejected: int, total: int) -> str:
    """Return how the list of imports names a run's status.

    A partial run whose every row was refused wrote nothing: 未写入 (trial AB: 0 of 4 rows
    listed as 部分导入); so did an import refused whole, listed since trial AL M7.

    Examples
    --------
    >>> _run_status("partial", 4, 4), _run_status("partial", 1, 4), _run_status("loaded", 0, 5)
    ('未写入（全部退回）', '部分导入', '已导入')
    >>> _run_status("refused", 0, 0)
    '未写入（无法导入）'
    """
    if status == "partial" and total and rejected == total:
        return "未写入（全部退回）"
    return RUN_LABELS.get(status) or STATUS_LABELS.get(status, status)


def write_import_template(
    kind: Annotated[str, typer.Argument(help=f"模板的数据类型：{KIND_HELP}。")],
    path: Annotated[
        Path | None,
        typer.Argument(
            help="要写出的 .xlsx 文件；默认在当前文件夹写出“类型名称导入模板.xlsx”"
            "（如 案件导入模板.xlsx）。",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖它。")] = False,
    within: Annotated[
        str | None,
        typer.Option(
            "--within",
            envvar="ZONGZHI_WITHIN",
            help="本辖区的区划代码（12位，或省、市、县、乡镇的前2、4、6、9位）："
            "填写说明中的示例取自数据库中该辖区的乡镇、村（社区）、网格和其中的点位，"
            "身份证号、国标编码用本县（区）的代码。需要数据库（同 zongzhi import，"
            "内嵌数据库未运行时会启动它）；可在环境变量 ZONGZHI_WITHIN 中设置一次。"
            "不加时：数据库正在运行且只有一个县（区），示例取自该县（区）；"
            "否则取内置的华宁县示例（不需要数据库，也不会为此启动数据库）。",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write an XLSX template of KIND for clerks to fill in and import."""
    from importers.kinds import KINDS
    from importers.template import (
        NOTES_SHEET,
        database_place,
        running_database_place,
        within_prefix,
        write_template,
    )
    from importers.within import WithinError, within_code

    if kind not in KINDS:
        console.print(f"[bold red]错误：[/]未知的导入类型 {kind!r}，可选：{'、'.join(KINDS)}")
        raise typer.Exit(code=2)
    target = path or Path(f"{KINDS[kind].label}导入模板.xlsx")
    try:
        taken = target.exists()
    except OSError as exc:
        _cannot_write(target, exc)
    if taken and not force:
        console.print(f"[bold red]错误：[/]{target} 已存在：换个文件名，或加 --force 覆盖")
        raise typer.Exit(code=2)
    settings = Settings.from_env()
    if within is None:
        place = running_database_place(settings)
        source = "数据库中唯一的县（区）"
    else:
        try:  # refused before the database starts; a province or city gives one of its counties
            within_code(within)
        except WithinError as exc:
            error(exc)
            raise typer.Exit(code=2) from exc
        engine = migrated_engine(settings)
        try:
            place = database_place(engine, _scope(engine, within).code)
        finally:
            engine.dispose()
        source = ""
    try:  # a folder not there yet is made, as for a reject report
        target.parent.mkdir(parents=True, exist_ok=True)
        write_template(kind, target, place)
    except OSError as exc:
        _cannot_write(target, exc)
    written = f"已写出{KINDS[kind].label}导入模板：{target}（填写说明见其“{NOTES_SHEET}”表）"
    console.print(written, soft_wrap=True)
    if place is None:
        said = "示例取自内置的华宁县示例；要用本辖区的单位作示例，请加 --within 区划代码"
    else:
        scope = f"{place.scope.name}（{place.scope.code}）"
        said = f"示例取自{source}{scope}的单位；导入时请加 --within {within_prefix(place)}"
    console.print(said, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``import``, ``imports`` and ``template`` commands to the root app.

    Parameters
    ----------
    app : typer.Typer
        The root ``zongzhi`` app.
    """
    app.command(
        "import",
        help="导入文件：辖区、网格、网格员、点位、案件、特殊人群、走访记录。\n\n"
        "逐个导入 KIND 类型的文件：每个文件要么全部导入，要么一行也不导入"
        "（加 --partial 时导入其中的有效行）；退回的行及原因写入退回报告。\n\n" + EXIT_CODES,
    )(import_file)
    app.command(
        "imports",
        help="列出最近的导入记录。\n\n"
        "时间、导入人、文件（及其 SHA-256）、写入和退回的行数，最新的在前。",
    )(list_imports)
    app.command("template", help="写出 KIND 类型的 Excel 导入模板，供填写后导入。")(
        write_import_template
    )
