"""``zongzhi persons``: the visit intervals, and erasing the records of persons long gone.

``visit-rules`` lists the days between visits per category and management level, and
``visit-rule CATEGORY LEVEL DAYS`` sets one (audited as the operating-system user): the
intervals 走访逾期 is counted by (:mod:`layers.visits_due`).

``erase`` deletes the records of persons who left the register long ago.

Plugged into the root command line through the ``zongzhi.commands`` entry point
``persons = "layers.persons_cli:register"``. Once the retention period a centre follows is over,
the records of the persons who left the register before a day are deleted, with their visits
(:mod:`layers.person_erasure`). The command says how many, by category and township, never
whose; ``--dry-run`` only counts; without ``--yes`` it asks before deleting. It runs as the
owner, is audited as the operating-system user, and the erasure is one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.text import Text

from layers.cli_session import fail, os_user, owner_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from layers.person_erasure import Erasure

BEFORE_HELP = "删除在这一天之前（不含当天）离册的人员记录，如 2021-12-31。在册人员不会被删除。"
SCOPE_HELP = (
    "只删除这个辖区的：区划代码12位，省、市、县、乡镇也可只写前2、4、6、9位；不写则为全部辖区。"
)
CATEGORY_HELP = "人员类别：中文名（如 社区矫正人员）或代码（如 correction）。"
KEPT = "审计日志仍可查到这些记录被谁查看过：只保留记录编号、类别、姓氏和身份证号的密钥散列。"
"""Said after an erasure: what stays of the records."""


def erase(
    left_before: str = typer.Option(..., "--left-before", help=BEFORE_HELP, metavar="DATE"),
    scope: str | None = typer.Option(None, "--scope", help=SCOPE_HELP, metavar="CODE"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只统计将删除多少条，不删除。"),
    yes: bool = typer.Option(False, "--yes", help="不再询问，直接删除。"),
) -> None:
    """Erase the records of persons who left the register before DATE (of CODE)."""
    from geo.codes import CodeError, scope_range, written_division_code
    from layers import person_erasure
    from layers.errors import InvalidInput

    try:
        before = date.fromisoformat(left_before.strip())
    except ValueError as exc:
        raise fail(f"日期应写作 年-月-日，如 2021-12-31，而不是 {left_before!r}") from exc
    try:
        code = None if scope is None else written_division_code(scope)
    except CodeError as exc:
        raise fail(str(exc)) from exc
    bounds = ("", "~") if code is None else scope_range(code)
    console = Console()
    with owner_session() as session:
        place = "全部辖区" if code is None else _unit_name(session, code)
        try:
            person_erasure.check_day(session, before)
        except InvalidInput as exc:
            raise fail(str(exc)) from exc
        found = person_erasure.erasable(session, before, bounds)
        heading = f"{place}在 {before.isoformat()} 之前离册的人员记录"
        if not found.total:
            console.print(Text(f"{heading}：没有"), soft_wrap=True)
            return
        _print_counts(console, heading, found)
        if dry_run:
            console.print(Text("试运行：未删除任何记录。"), soft_wrap=True)
            return
        if not yes and not typer.confirm(
            f"删除这 {found.total} 条记录及其走访记录？删除后不能恢复", default=False
        ):
            raise fail("已取消，未删除任何记录")
        done = person_erasure.erase(session, before, bounds, actor_name=os_user())
    console.print(Text(f"已删除 {done.total} 条人员记录及其走访记录。{KEPT}"), soft_wrap=True)


def visit_rules() -> None:
    """List the days between visits of each category and management level."""
    from rich.table import Table

    from layers.model import ManagementLevel, PersonCategory
    from layers.visits_due import visit_rules as read_rules

    with owner_session() as session:
        rules = read_rules(session)
    table = Table(title="走访间隔（天）", show_lines=False)
    table.add_column("人员类别")
    for level, label in ManagementLevel.labels().items():
        table.add_column(f"{level} {label}", justify="right")
    for code, label in PersonCategory.labels().items():
        days = [rules.get((code, int(level))) for level in ManagementLevel.labels()]
        table.add_row(f"{label}（{code}）", *("未设" if d is None else str(d) for d in days))
    Console().print(table)


def visit_rule(
    category: str = typer.Argument(..., help=CATEGORY_HELP, metavar="CATEGORY"),
    level: int = typer.Argument(
        ..., help="管控级别：1 重点管控、2 关注、3 一般。", metavar="LEVEL"
    ),
    days: int = typer.Argument(..., help="两次走访之间最多隔多少天（1–366）。", metavar="DAYS"),
) -> None:
    """Set the days between visits of CATEGORY at LEVEL (audited as the OS user)."""
    from layers.errors import InvalidInput
    from layers.model import PersonCategory
    from layers.visits_due import set_visit_rule

    by_label = {label: code for code, label in PersonCategory.labels().items()}
    code = by_label.get(category.strip(), category.strip())
    with owner_session() as session:
        try:
            before = set_visit_rule(session, code, level, days, actor_name=os_user())
        except InvalidInput as exc:
            raise fail(str(exc)) from exc
    label = PersonCategory.labels()[code]
    was = "（原未设）" if before is None else f"（原为 {before} 天）"
    Console().print(
        Text(
            f"已设定：{label}、管控级别 {level}，每 {days} 天至少走访一次{was}。"
            "走访逾期的统计即按新间隔计算。"
        ),
        soft_wrap=True,
    )


def _unit_name(session: Session, code: str) -> str:
    """Return ``name（code）`` of a jurisdiction on record, or fail."""
    from layers.model import Jurisdiction

    unit = session.get(Jurisdiction, code)
    if unit is None:
        raise fail(f"辖区 {code} 不存在")
    return f"{unit.name}（{code}）"


def _print_counts(console: Console, heading: str, found: Erasure) -> None:
    """Print the total, then the counts by category and by township."""
    from layers.model import PersonCategory

    labels = PersonCategory.labels()
    by_category = "、".join(f"{labels.get(c, c)} {n}" for c, n in sorted(found.by_category.items()))
    by_township = "、".join(f"{t} {n}" for t, n in sorted(found.by_township.items()))
    console.print(Text(f"{heading}：{found.total} 条"), soft_wrap=True)
    console.print(Text(f"  按类别：{by_category}"), soft_wrap=True)
    console.print(Text(f"  按乡镇（街道）：{by_township}"), soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``zongzhi persons erase`` to the command line.

    Parameters
    ----------
    app : typer.Typer
        The root application.
    """
    group = typer.Typer(
        help="特殊人群：走访间隔；删除离册已满保存期限的人员记录。",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    group.command(
        "erase",
        help="删除在 DATE 之前离册的人员记录（个人信息保护法第四十七条：保存期限届满应删除）。\n\n"
        "删除 --left-before 那天之前离册（解除矫正、死亡、迁出等）的人员记录及其走访记录、"
        "帮扶责任人，只统计数目，不显示任何人员信息。先用 --dry-run 看将删除多少条；"
        "不加 --yes 时删除前会询问。删除记入审计日志；审计日志仍可查到这些记录被谁查看过。",
    )(erase)
    group.command(
        "visit-rules",
        help="列出各类人员、各管控级别的走访间隔（天）：超过间隔未走访即为走访逾期。",
    )(visit_rules)
    group.command(
        "visit-rule",
        help="设定 CATEGORY 类人员、管控级别 LEVEL 的走访间隔 DAYS（天），记入审计日志。\n\n"
        "例如：zongzhi persons visit-rule 社区矫正人员 1 7",
    )(visit_rule)
    app.add_typer(group, name="persons")
