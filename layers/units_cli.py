"""``zongzhi units [CODE]``: the units of a jurisdiction, or its grids, with counts.

Plugged into the root command line through the ``zongzhi.commands`` entry point
``units = "layers.units_cli:register"``. What a planner preparing a merger of villages, or a
county's IT officer, reads without psql:

* ``zongzhi units 530424102`` (a code written as scopes are typed: 2, 4, 6, 9 or 12 digits,
  :func:`geo.codes.written_division_code`): the township's villages, each with its name, full
  12-digit code, level, counts of grids in use, workers (not 已离职), special-population persons
  on the register, open cases and cameras in use (视频点位, not retired: after a ``--complete``
  camera list, where cameras are), and whether its boundary is on record; then the township's
  own counts (合计). A village's children are its grids.
* ``--grids``: the grids under CODE instead, by 15-digit code, with name, village, 网格长 and
  the same counts over the rows that name the grid; its cameras are those of its village inside
  its boundary (``—`` for a grid without a boundary, or retired: a camera names no grid).
* ``--retired``: retired units too, marked 已撤销 under the name and listed below the table with
  the day and the successor; without it, the heading says how many were left out.
* no CODE: the counties on record (and the cities that have townships but no counties).

Counts only, never a person (:mod:`layers.unit_listing` holds the SQL). Laid out for an
80-column terminal like ``zongzhi user list``: names fold, codes are never cut. The command reads
as the owner in a read-only transaction; SQLAlchemy and the model are imported when it runs
(``zongzhi --help`` loads this module).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from layers.cli_session import fail, owner_session

if TYPE_CHECKING:
    from layers.unit_listing import GridRow, Retired, UnitRow

KINDS = {1: "省", 2: "市（州）", 3: "县（区）", 4: "乡镇（街道）", 5: "村（社区）"}
"""What the units of each level are called in a heading."""
COUNTS = ("网格", "网格员", "特殊\n人群", "在办\n案件", "视频\n点位")
"""Headers of the counts of a unit (a grid has the last four), on two lines to fit 80 columns."""
COUNT_NOTE = (
    "网格为在用的，网格员不含已离职的，特殊人群为在册的，在办案件为未办结的，"
    "视频点位为在用的（未撤销）。"
)
GRID_CAMERAS_NOTE = "网格的视频点位为所在村（社区）在网格边界内的点位；没有边界的网格记为 —。"
"""Said under a listing of grids: a camera names its village, not its grid."""
"""Said under every listing: what each count counts."""
RETIRED_HINT = "加 --retired 列出（注明撤销日期和继承单位）"
"""Said of the retired units a listing leaves out."""
GRIDS_NEED_CODE = "列出网格须写明辖区的区划代码，如 620702"
CODE_HELP = (
    "辖区的区划代码：12位，省、市、县、乡镇也可只写前2、4、6、9位；不写则列出在册的县（区）。"
)


def units(
    code: str | None = typer.Argument(None, help=CODE_HELP, metavar="CODE", show_default=False),
    grids: bool = typer.Option(
        False, "--grids", help="列出辖区内的网格（15位网格编码、名称、网格长）。"
    ),
    retired: bool = typer.Option(
        False, "--retired", help="也列出已撤销的单位，注明撤销日期和继承单位。"
    ),
) -> None:
    """List the children of CODE (or its grids) with counts; the counties without CODE."""
    from geo.codes import CodeError, written_division_code
    from layers import unit_listing

    if code is None and grids:
        raise fail(GRIDS_NEED_CODE)
    try:
        full = None if code is None else written_division_code(code)
    except CodeError as exc:
        raise fail(str(exc)) from exc
    with owner_session(read_only=True) as session:
        unit, children = unit_listing.unit_and_children(session, full)
        if full is not None and unit is None:
            raise fail(f"辖区 {full} 不存在")
        grid_rows = None
        if unit is not None and (grids or unit.level == 5):
            grid_rows = unit_listing.grids_under(session, unit.code)
    console = Console()
    if unit is not None and unit.retired is not None:
        console.print(Text("本单位" + _retired_note(unit.name, unit.code, unit.retired)))
    if unit is not None and grid_rows is not None:
        _print_grids(console, unit, grid_rows, retired)
    else:
        _print_units(console, unit, children, retired)


def _print_units(
    console: Console, unit: UnitRow | None, rows: list[UnitRow], retired: bool
) -> None:
    """Print the heading, the table of units (with the unit's 合计) and the notes."""
    from layers.model import Level

    shown = [row for row in rows if retired or row.retired is None]
    level = min((row.level for row in rows), default=unit.level + 1 if unit else 3)
    if unit is None:
        title = f"在册的{KINDS[3]}"
    else:
        title = f"{unit.name}（{unit.code}）的{KINDS[level]}"
    console.print(Text(_heading(title, rows, retired)))
    table = _table(("名称", "区划代码", "级别", *COUNTS, "边界"), code_at=1, widths={"名称": 8})
    for n, row in enumerate(shown):
        last = unit is not None and n == len(shown) - 1
        table.add_row(
            _name(row.name, row.retired),
            row.code,
            Level(row.level).label,
            *_numbers(row.grids, row.workers, row.persons, row.open_cases, row.cameras),
            "有" if row.bounded else "无",
            end_section=last,
        )
    if unit is not None and shown:
        counts = _numbers(unit.grids, unit.workers, unit.persons, unit.open_cases, unit.cameras)
        table.add_row("合计", "", "", *counts, "")
    _print_table(console, table, bool(shown))
    _print_notes(console, [(r.name, r.code, r.retired) for r in rows], retired)


def _print_grids(console: Console, unit: UnitRow, rows: list[GridRow], retired: bool) -> None:
    """Print the heading, the table of grids and the notes."""
    shown = [row for row in rows if retired or row.retired is None]
    console.print(Text(_heading(f"{unit.name}（{unit.code}）的网格", rows, retired)))
    headers = ("网格编码", "名称", "村社区", "网格长", *COUNTS[1:], "边界")
    table = _table(headers, code_at=0, widths={"名称": 12, "村社区": 6, "网格长": 6})
    for row in shown:
        leader = "—" if row.leader is None else row.leader + ("\n已离职" if row.leader_left else "")
        table.add_row(
            row.code,
            _name(row.name, row.retired),
            Text(row.village_name),
            Text(leader),
            *_numbers(row.workers, row.persons, row.open_cases, row.cameras),
            "有" if row.bounded else "无",
        )
    _print_table(console, table, bool(shown))
    _print_notes(console, [(r.name, r.code, r.retired) for r in rows], retired)
    console.print(GRID_CAMERAS_NOTE)


def _heading(title: str, rows: Sequence[UnitRow | GridRow], retired: bool) -> str:
    """Return ``title：N 个`` (with ``，已撤销的 M 个`` when they are listed)."""
    gone = sum(row.retired is not None for row in rows)
    heading = f"{title}：{len(rows) - gone} 个"
    return heading + (f"，已撤销的 {gone} 个" if retired and gone else "")


def _table(headers: Sequence[str], *, code_at: int, widths: dict[str, int]) -> Table:
    """Return an empty table: names fold (at least ``widths`` cells), codes and counts never."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for n, header in enumerate(headers):
        if n == code_at:
            table.add_column(header, no_wrap=True)
        elif header in COUNTS:
            table.add_column(header, justify="right", no_wrap=True)
        else:
            table.add_column(header, overflow="fold", min_width=widths.get(header))
    return table


def _name(name: str, retired: Retired | None) -> Text:
    """Return a unit's name, with 已撤销 under it when it is retired."""
    if retired is None:
        return Text(name)
    return Text.assemble(name, "\n", ("已撤销", "bold"))


def _numbers(*counts: int | None) -> list[str]:
    """Return the counts as cells; a count that does not apply (None) is ``—``."""
    return ["—" if count is None else str(count) for count in counts]


def _print_table(console: Console, table: Table, rows: bool) -> None:
    console.print()
    console.print(table if rows else "（无）")
    console.print()


def _print_notes(
    console: Console, units: list[tuple[str, str, Retired | None]], retired: bool
) -> None:
    """Print the retired units with day and successor (or how many were left out), and the key."""
    gone = [(name, code, r) for name, code, r in units if r is not None]
    if gone and retired:
        console.print("已撤销：")
        notes = Table.grid()  # a note too long for a line goes on under itself, not the margin
        notes.add_column(width=2)
        notes.add_column()
        for name, code, when in gone:
            notes.add_row("", Text(_retired_note(name, code, when)))
        console.print(notes)
    elif gone:
        console.print(Text(f"另有已撤销的 {len(gone)} 个，{RETIRED_HINT}"))
    console.print(COUNT_NOTE)


def _retired_note(name: str, code: str, retired: Retired) -> str:
    """Return ``黄坝村（530424102205）：2024-06-28 撤销，由 黄寨村（530424102211）承继``."""
    if retired.successor_code is None:
        successor = "无继承单位"
    else:
        successor = f"由 {retired.successor_name}（{retired.successor_code}）承继"
    return f"{name}（{code}）：{retired.on:%Y-%m-%d} 撤销，{successor}"


def register(app: typer.Typer) -> None:
    """Add the ``units`` command to the root command line.

    Parameters
    ----------
    app : typer.Typer
        The root application.
    """
    app.command(
        "units",
        help="列出辖区的下级单位或网格，及其网格员、特殊人群、案件、视频点位的数目。\n\n"
        "列出辖区 CODE 的下级单位（村的下级为网格）：名称、区划代码、级别，在用网格、"
        "网格员、在册特殊人群、在办案件、在用视频点位的数目和有无边界；"
        "不写 CODE 时列出在册的县（区）。"
        "只列数目，不显示任何人员信息。\n\n"
        "加 --grids 列出网格及其网格长；加 --retired 也列出已撤销的单位（撤销日期、继承单位）。",
    )(units)
