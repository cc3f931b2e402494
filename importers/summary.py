"""An import's summary: what the clerk reads of the outcome, in Simplified Chinese.

:func:`summarise` prints the counts, then what the clerk should know of the file. An alarm
(:class:`importers.loading.Alarm`: new grids without a boundary) comes right under the counts,
in red; a note listing many items (``分类对照``, the cameras a list leaves out) its first ten,
a dry run's as an import's, the whole of it in a list beside the report (:func:`shown_note`,
:func:`long_notes`). A refused file ends with what to do (:func:`refusal_advice`). The other
functions are the lines the command adds around it: the file imported before
(:func:`earlier_note`), the zones of projected coordinates (:func:`zones_note`), the columns
read (:func:`column_mapping`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from importers.terminal import console, for_import_page

if TYPE_CHECKING:
    from importers.pipeline import ImportOutcome
    from importers.rules import Problem
    from layers.import_runs import ImportRecord

STATUS_LABELS = {
    "loaded": "已导入",
    "partial": "部分导入",
    "rejected": "已退回",
    "dry-run": "试运行",
    "running": "进行中",
}
"""How the summary names each :attr:`importers.pipeline.ImportOutcome.status`."""


def zones_note(west: float, east: float) -> str:
    """Return the 3-degree zones of the database's jurisdictions, for eastings without one.

    Parameters
    ----------
    west, east : float
        The longitudes the database's bounded jurisdictions span.

    Returns
    -------
    str
        The summary's line (Chinese).

    Examples
    --------
    >>> zones_note(100.05, 100.43)
    '本库辖区在东经 100.0°—100.4°，没有带号的 3 度带坐标应为 --crs EPSG:4542（中央经线 99°E）'
    """
    from geo.crs import gauss_kruger_zones

    zones = "或".join(
        f"--crs EPSG:{epsg}（中央经线 {cm}°E）" for cm, epsg in gauss_kruger_zones(west, east)
    )
    return f"本库辖区在东经 {west:.1f}°—{east:.1f}°，没有带号的 3 度带坐标应为 {zones}"


_LOCATED = frozenset({"lon", "lat", "lonlat", "wkt"})
"""Fields coordinates come from: a file with none of them has no source CRS to show."""


def summarise(
    outcome: ImportOutcome,
    fixed: dict[str, str],
    *,
    dry_run: bool = False,
    listed_in: str | None = None,
) -> None:
    """Print an import's summary: its counts, then what the clerk should know of the file.

    An alarm (:class:`importers.loading.Alarm`: new grids left without a boundary) comes
    right under the counts, in red; the other notes after the columns read, a long list cut
    short (:func:`shown_note`), in a dry run too.

    Parameters
    ----------
    outcome : ImportOutcome
        What the import (or the dry run) of one file did.
    fixed : dict
        Field → the value ``--set`` gives the whole file.
    dry_run : bool, default False
        Whether the summary is a dry run's.
    listed_in : str, optional
        The file the lists cut short are written to whole (:func:`long_notes`), named where
        a list is cut.
    """
    from importers.kinds import KINDS
    from importers.loading import Alarm
    from importers.within import county_note
    from layers.case_repeats import FlaggedRepeats, repeats_line

    status = STATUS_LABELS.get(outcome.status, outcome.status)
    title = f"导入{KINDS[outcome.kind].label}：{outcome.file_name}（{status}）"
    console.print(title, style="bold", soft_wrap=True)
    counts = outcome.counts
    valid = _valid_rows_note(outcome)
    shown = counts or (outcome.valid_counts if valid else None)
    # the 数据导入 page's output box draws the box characters of a terminal's table apart
    # (trial AR m6): there, a plain-text table of ASCII characters
    table = Table(box=box.ASCII) if for_import_page() else Table()
    for column in ("行数", "退回", "新增", "更新", "未变", "源坐标系"):
        table.add_column(column)
    table.add_row(
        str(outcome.rows_total),
        str(outcome.rejected_rows),
        *(str(getattr(shown, a)) if shown else "-" for a in ("inserted", "updated", "unchanged")),
        crs_label(outcome.source_crs) if _LOCATED & outcome.columns.keys() else "-",  # none read
    )
    console.print(table)
    alarms = [note for note in outcome.notes if isinstance(note, Alarm)]
    for alarm in alarms:
        console.print(Text(alarm, style="bold red"), soft_wrap=True)
    if valid:
        console.print(valid, soft_wrap=True)
    for line in [
        *whole_file_problems(outcome.problems, outcome.rows_total),
        *_leading_reasons(outcome),
    ]:
        console.print(Text(line, style="red"), soft_wrap=True)  # a rule's [values."…"] as written
    if outcome.columns:
        fields = KINDS[outcome.kind].fields  # in the kind's order
        used = {f: outcome.columns[f] for f in fields if f in outcome.columns}
        console.print(f"列对照：{column_mapping(used, outcome.kind)}", soft_wrap=True)
    for line in unused_notes(outcome.unused, outcome.columns.keys(), outcome.kind):
        console.print(line, style="yellow", soft_wrap=True)
    if fixed:
        given = "；".join(f"{KINDS[outcome.kind].header(f)} = {v}" for f, v in fixed.items())
        console.print(f"整个文件统一取值（--set）：{given}", soft_wrap=True)
    if outcome.within is not None:
        console.print(f"范围：{outcome.within.label}；范围外的行退回（--within）", soft_wrap=True)
    spread = county_note(outcome.counties)
    if outcome.within is None and spread is not None:
        console.print(spread, style="yellow", soft_wrap=True)
    for note in outcome.notes:
        if not isinstance(note, Alarm | FlaggedRepeats):
            console.print(shown_note(note, listed_in), style="yellow", soft_wrap=True)
    if counts and counts.repeats:
        flagged = sum(note.linked for note in outcome.notes if isinstance(note, FlaggedRepeats))
        console.print(repeats_line(counts.repeats, flagged), soft_wrap=True)  # trial AV m3
    kept = len({p.row for p in outcome.problems if p.severity == "kept"})
    if kept:
        console.print(
            f"{kept} 行的案件保留本平台的办理状态，未按文件更新（见报告）", soft_wrap=True
        )
    if outcome.status == "rejected":
        how = refusal_advice(outcome.problems, outcome.rows_total)
        console.print(Text("未导入任何数据", style="bold red") + Text(f"：{how}"), soft_wrap=True)


def crs_label(name: str) -> str:
    """Return a source CRS as the clerk reads it: the 数据导入 page's name for it.

    Parameters
    ----------
    name : str
        As an import records it (``cgcs2000``, ``gcj02``, ``EPSG:4543``).

    Returns
    -------
    str
        The page's name (``CGCS2000（国家2000坐标系）``), or ``投影坐标 EPSG:4543``.

    Examples
    --------
    >>> crs_label("cgcs2000"), crs_label("EPSG:4543"), crs_label("EPSG:4214")
    ('CGCS2000（国家2000坐标系）', '投影坐标 EPSG:4543', '经纬度坐标 EPSG:4214')
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    from layers.console_wording import CRS_LABELS

    if not name.upper().startswith("EPSG:"):
        return CRS_LABELS.get(name, name)
    try:
        projected = CRS.from_user_input(name).is_projected
    except CRSError:
        return name
    return f"{'投影坐标' if projected else '经纬度坐标'} {name.upper()}"


LISTED_IN_IMPORT = 10
"""How many items of a note's list (``分类对照``) a summary shows, a dry run's as an import's."""


def shown_note(note: str, listed_in: str | None = None) -> str:
    r"""Return a note as the summary shows it: a long list cut short.

    A note of several lines (its head, then one indented line per item: how each 12345
    classification was read, the cameras a list leaves out) shows its first
    :data:`LISTED_IN_IMPORT` items, in a dry run as in an import (trial X: a township's camera
    list named the county's 320 other cameras one a line); the whole list is in the file
    ``listed_in`` (:func:`long_notes`), which the line saying how many more names.

    Parameters
    ----------
    note : str
        The note (:attr:`importers.pipeline.ImportOutcome.notes`).
    listed_in : str, optional
        The name of the file listing it whole.

    Returns
    -------
    str
        The note to print.

    Examples
    --------
    >>> note = "分类对照：\n" + "\n".join(f"  第{n}类 → 矛盾纠纷（1 行）" for n in range(12))
    >>> print(shown_note(note, "工单.csv.完整列表.csv").split("\n", 10)[-1])
      第9类 → 矛盾纠纷（1 行）
      另有 2 项，未列出（全部见 工单.csv.完整列表.csv）
    >>> short = "分类对照：\n  第1类 → 矛盾纠纷（1 行）"
    >>> shown_note(short) == short
    True
    """
    head, *items = note.split("\n")
    if len(items) <= LISTED_IN_IMPORT:
        return note
    where = f"（全部见 {listed_in}）" if listed_in else ""
    more = f"  另有 {len(items) - LISTED_IN_IMPORT} 项，未列出{where}"
    return "\n".join([head, *items[:LISTED_IN_IMPORT], more])


def long_notes(notes: Iterable[str]) -> list[str]:
    """Return the notes a summary cuts short (:func:`shown_note`): to be listed whole in a file.

    Parameters
    ----------
    notes : iterable of str
        An import's notes (its alarms are shown whole and are not among them).

    Returns
    -------
    list of str
        The notes of more than :data:`LISTED_IN_IMPORT` items, in order.
    """
    from importers.loading import Alarm
    from layers.case_repeats import FlaggedRepeats

    return [
        note
        for note in notes
        if not isinstance(note, Alarm | FlaggedRepeats) and note.count("\n") > LISTED_IN_IMPORT
    ]


def unused_notes(unused: list[str], fields: Iterable[str], kind: str) -> list[str]:
    """Return the summary's lines on the file's columns that were not imported.

    Parameters
    ----------
    unused : list of str
        The columns that feed no field.
    fields : iterable of str
        The fields that have a column.
    kind : str
        What is imported.

    Returns
    -------
    list of str
        ``未导入的列：…``; and, when some look like coordinates while no column gave the
        rows their points, the mapping that would read them.

    Examples
    --------
    >>> unused_notes(["承办单位", "事发经度", "事发纬度"], ["external_no"], "cases")[1]
    ... # doctest: +ELLIPSIS
    '列 事发经度、事发纬度 像是坐标，但没有作为点位导入：...如 "经度" = "事发经度"'
    >>> unused_notes([], ["lon"], "cases")
    []
    >>> unused_notes(["走访者"], ["visited_on"], "visits")[1]  # doctest: +ELLIPSIS
    '本文件没有走访人列：这些走访不记走访人；列 走访者 像是走访人...如 "走访人" = "走访者"'
    """
    from importers.kinds import KINDS
    from importers.mapping import looks_like_coordinates

    lines = [f"未导入的列：{'、'.join(unused)}"] if unused else []
    if kind == "visits" and "visitor" not in fields:
        lines.append(_no_visitor_note(unused))
    if not unused:
        return lines
    coordinates = [h for h in unused if looks_like_coordinates(h)]
    kind_fields = KINDS[kind].fields
    points = {"lon", "lat", "lonlat", "wkt"} & set(kind_fields)
    if coordinates and points and not points & set(fields):
        example = f'"{KINDS[kind].header("lon")}" = "{coordinates[0]}"'
        lines.append(
            f"列 {'、'.join(coordinates)} 像是坐标，但没有作为点位导入："
            f"可在映射文件（--mapping）中写明，如 {example}"
        )
    return lines


def _no_visitor_note(unused: list[str]) -> str:
    """Return what a visits file without a 走访人 column is told.

    Trial AB: visits went in with no visitor under a header the platform did not know.
    """
    said = "本文件没有走访人列：这些走访不记走访人"
    like = [h for h in unused if "访" in h]
    if not like:
        return said
    return (
        f"{said}；列 {'、'.join(like)} 像是走访人，如是，可在映射文件（--mapping）中写明，"
        f'如 "走访人" = "{like[0]}"'
    )


def _private_columns(outcome: ImportOutcome) -> set[str]:
    """Return the columns whose values a reason never names (a file's column, or a field)."""
    from importers.kinds import KINDS
    from importers.reject_digest import private_fields

    fields = private_fields(outcome.kind)
    header = KINDS[outcome.kind].header
    return {*fields, *map(header, fields), *(outcome.columns.get(f, f) for f in fields)}


def _leading_reasons(outcome: ImportOutcome) -> list[str]:
    """Return the summary's lines of why rows were rejected (values never private)."""
    from importers.reject_digest import PERSONAL_KINDS, leading_reasons

    lines = leading_reasons(
        outcome.problems,
        total_rows=outcome.rows_total,
        private_columns=_private_columns(outcome),
        values_shown=outcome.kind not in PERSONAL_KINDS,
        refused=outcome.status == "rejected",
        fids=outcome.fids,
    )
    return ["退回原因：", *(f"  {line}" for line in lines)] if lines else []


def rejected_reasons(outcome: ImportOutcome) -> list[str]:
    """Return the reasons that rejected the most of an import's rows, however few.

    What ``--summary-json`` gives the console's job (:class:`importers.cli.RunSummary`), so
    that the 数据导入 page says why rows came back, not only how many
    (:func:`importers.reject_digest.top_reasons`; values never named where private).

    Parameters
    ----------
    outcome : ImportOutcome
        What the import (or the dry run) did.

    Returns
    -------
    list of str
        At most :data:`importers.reject_digest.SHOWN_REASONS` lines, the most rows first, and
        one saying how many rows the other reasons reject; none without rejected rows.
    """
    from importers.reject_digest import PERSONAL_KINDS, top_reasons

    return top_reasons(
        outcome.problems,
        private_columns=_private_columns(outcome),
        values_shown=outcome.kind not in PERSONAL_KINDS,
        fids=outcome.fids,
    )


def _valid_rows_note(outcome: ImportOutcome) -> str | None:
    """Say that a refused dry run's 新增/更新/未变 count only its valid rows (if it has any)."""
    valid = outcome.rows_total - outcome.rejected_rows
    if outcome.valid_counts is None or not valid:
        return None
    return f"新增、更新、未变只计其余 {valid} 个有效行：加 --partial 时导入的就是这些行"


def report_note(problems: Iterable[Problem], report: str) -> str:
    """Return the line naming the report: 退回报告 when it lists rejected rows, else 导入报告.

    A report with no rejected row lists what an import repaired, kept, moved or changed (a
    camera renamed or gone offline): calling it 退回报告 would send a clerk looking for rows to
    correct that are not there.

    Parameters
    ----------
    problems : iterable of Problem
        The import's problems (the report's lines).
    report : str
        Where the report was written.

    Returns
    -------
    str
        The line.

    Examples
    --------
    >>> from importers.rules import Problem
    >>> renamed = Problem(2, "点位名称", "桥头_枪机", "改名：库中原为“桥头_球机”", "changed")
    >>> report_note([renamed], "视频点位.csv.rejects.xlsx")
    '导入报告（没有退回的行，列出导入时的修复、变更等说明）：视频点位.csv.rejects.xlsx'
    >>> report_note([renamed, Problem(3, "国标编码", "123", "位数不对")], "r.xlsx")
    '退回报告：r.xlsx'
    """
    if any(p.severity == "rejected" for p in problems):
        return f"退回报告：{report}"
    return f"导入报告（没有退回的行，列出导入时的修复、变更等说明）：{report}"


def whole_file_problems(problems: list[Problem], rows: int) -> list[str]:
    """Return the summary's lines for the reasons every row of a file was rejected for.

    A reason that concerns every row (coordinates in metres without ``--crs``) says something
    of the file as a whole: the summary says it once, with the count, and the report still
    lists each row.

    Parameters
    ----------
    problems : list of Problem
        The import's problems.
    rows : int
        The file's data rows.

    Returns
    -------
    list of str
        One line per (column, reason) shared by every row (none for a file of one row).

    Examples
    --------
    >>> from importers.rules import Problem
    >>> found = [Problem(r, "边界", None, "坐标像是投影坐标") for r in (2, 3)]
    >>> whole_file_problems([*found, Problem(3, "名称", None, "必填，不能为空")], 2)
    ['全部 2 行的“边界”：坐标像是投影坐标']
    """
    if rows < 2:
        return []
    by_reason: dict[tuple[str, str], set[int]] = {}
    for p in problems:
        if p.severity == "rejected":
            by_reason.setdefault((p.column, p.rule), set()).add(p.row)
    return [
        f"全部 {rows} 行的“{column}”：{rule}"
        for (column, rule), found in by_reason.items()
        if len(found) == rows
    ]


_CODE = re.compile(r"\d{9,}")
"""A code in a rule (a division, grid or device code): rules alike but for it are one reason."""
_MARK = "\x1f"
"""Where a code stood in a rule (:func:`refusal_advice`)."""


def refusal_advice(problems: list[Problem], rows: int) -> str:
    """Return what a refused file's summary tells the clerk to do (after 未导入任何数据).

    When every rejected row was refused for one and the same reason (its codes aside: each
    village's township missing), the reason is said once, with its fix when one is known
    (:func:`reason_fix`); ``--partial`` is offered only when some rows are valid.

    Parameters
    ----------
    problems : list of Problem
        The import's problems.
    rows : int
        The file's data rows.

    Returns
    -------
    str
        The advice (Chinese).

    Examples
    --------
    >>> from importers.rules import Problem
    >>> rule = "上级辖区 {} 既不在数据库中，也不在本文件中"
    >>> found = [Problem(r, "区划代码", None, rule.format(f"620702{r}00000")) for r in (1, 2, 3)]
    >>> said, fix = refusal_advice(found, 3).split("。")
    >>> said  # doctest: +ELLIPSIS
    '全部 3 行都因同一原因退回：“区划代码”：上级辖区 620702100000 等 3 个 既不在数据库中...'
    >>> fix
    '请先运行 zongzhi divisions 620702（写入省、市、县和全部乡镇），再导入本文件'
    >>> refusal_advice([Problem(r, "经度", None, "超出范围") for r in (1, 2)], 2)
    '全部 2 行都因上述同一原因退回。请改正后重新导入'
    >>> refusal_advice([*found, Problem(4, "名称", None, "必填，不能为空")], 9)
    '请按报告修改后重新导入，或加 --partial 只导入有效行'
    """
    rejected = [p for p in problems if p.severity == "rejected"]
    reasons = {(p.column, _CODE.sub(_MARK, p.rule)) for p in rejected}
    if len(reasons) != 1:
        return "请按报告修改后重新导入，或加 --partial 只导入有效行"
    ((column, rule),) = reasons
    written = [_CODE.findall(p.rule) for p in rejected]  # the codes of each, in its order
    for place in range(rule.count(_MARK)):  # each code as one, or as the first of several
        found = list(dict.fromkeys(codes[place] for codes in written))
        rule = rule.replace(_MARK, found[0] + (f" 等 {len(found)} 个" if len(found) > 1 else ""), 1)
    codes = list(dict.fromkeys(c for codes in written for c in codes))
    refused = len({p.row for p in rejected})
    every = refused == rows
    said = f"{'全部' if every else '退回的'} {refused} 行都因同一原因退回：“{column}”：{rule}"
    if every and rows > 1 and len({p.rule for p in rejected}) == 1:  # whole_file_problems's
        said = f"全部 {refused} 行都因上述同一原因退回"
    fix = reason_fix(rule, codes) or "请改正后重新导入"
    return f"{said}。{fix}" + ("" if every else "；或加 --partial 只导入其余有效行")


DIVISIONS_FIX = "请先运行 zongzhi divisions {code}（写入省、市、县和全部乡镇），再导入本文件"
"""The fix of townships (or counties …) missing from the database."""


def reason_fix(rule: str, codes: list[str]) -> str | None:
    """Return the fix of a reason every rejected row shares, when one is known.

    Units missing from the database that ``zongzhi divisions`` writes (provinces to
    townships, from the official list) are written by it.

    Parameters
    ----------
    rule : str
        The reason.
    codes : list of str
        The codes it names, in the rows' order.

    Returns
    -------
    str or None
        The fix (Chinese).

    Examples
    --------
    >>> reason_fix("辖区 620702101000 不在数据库中（请先导入辖区）", ["620702101000"])
    '请先运行 zongzhi divisions 620702（写入省、市、县和全部乡镇），再导入本文件'
    >>> reason_fix("辖区 620702101201 不在数据库中（请先导入辖区）", ["620702101201"]) is None
    True
    """
    from geo.codes import division_level

    missing = "不在数据库中" in rule and ("辖区" in rule or "区划" in rule)
    divisions = [c for c in codes if len(c) == 12 and c.isdigit()]
    if not missing or not divisions or len(divisions) < len(codes):
        return None
    try:
        if any(division_level(c) > 4 for c in divisions):  # villages: the village layer's
            return None
    except ValueError:
        return None
    for width in (6, 4, 2):
        area = {c[:width] for c in divisions}
        if len(area) == 1:
            return DIVISIONS_FIX.format(code=area.pop())
    return None


def earlier_note(run: ImportRecord, outcome: ImportOutcome) -> str:
    """Say when the same file was imported before, and what importing it again did.

    Parameters
    ----------
    run : ImportRecord
        The earlier import of the same file (same content).
    outcome : ImportOutcome
        What importing it again did (or, in a dry run, would do).

    Returns
    -------
    str
        The summary's line (Chinese).
    """
    note = (
        f"此文件（内容相同）已于 {run.started} 由 {run.username} 导入过"
        f"（导入编号 {run.id}，写入 {run.rows_loaded} 行）；重新导入不会重复新增记录"
    )
    counts = outcome.counts
    if counts is None:
        return note
    verb = "将" if outcome.status == "dry-run" else ""
    if not counts.inserted and not counts.updated:
        return f"{note}，本次{'不会' if verb else '没有'}改变任何记录"
    # not 不会重复写入 (trial AD read 本次将更新 5 行 beside it as a contradiction): the rows
    # are those on record, updated where they differ from the file
    done = [f"{verb}更新 {counts.updated} 行"] if counts.updated else []
    done += [f"{verb}新增 {counts.inserted} 行"] if counts.inserted else []
    return f"{note}，本次{'、'.join(done)}"


def column_mapping(columns: dict[str, str], kind: str | None = None) -> str:
    """Return which column fed which field, as the summary shows it to the clerk.

    Parameters
    ----------
    columns : dict
        Target field → source header.
    kind : str, optional
        What is imported: fields are named by their headers in its files (a person's name is
        姓名).

    Returns
    -------
    str
        ``经度 ← 事发地经度；…``: each field by its usual Chinese header, which a mapping file
        may name it by too; a GIS file's geometry as ``文件的几何``.

    Examples
    --------
    >>> from importers.reading import GEOMETRY_COLUMN
    >>> column_mapping({"lon": "事发地经度", "lat": "纬度", "wkt": GEOMETRY_COLUMN})
    '经度 ← 事发地经度；纬度 ← 纬度；几何 ← 文件的几何'
    """
    from importers.kinds import KINDS
    from importers.mapping import usual_header
    from importers.reading import GEOMETRY_COLUMN

    shown = []
    for target, header in columns.items():
        label = KINDS[kind].header(target) if kind else usual_header(target)
        shown.append(f"{label} ← {'文件的几何' if header == GEOMETRY_COLUMN else header}")
    return "；".join(shown)
