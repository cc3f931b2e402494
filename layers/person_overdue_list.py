"""The 走访逾期名单: the overdue persons of a scope as a masked workbook for the monthly meeting.

Trial AW M3: the township preparing its 月总结 had the overdue figures everywhere but no list of
who is overdue to hand out at the meeting, and the console's 走访 list could not be exported.
:func:`overdue_workbook` writes the persons :func:`layers.visit_schedule.due_persons` lists as
overdue (the same rule as every overdue figure), masked as the list is (姓**, 证件号码 with its
middle starred), with their category, level, place, due day, days overdue and who follows them
up; a sheet 说明 says what it is. No name, resident ID, address or point in clear: the workbook
may be printed. The caller audits the export (``layer.read`` with ``view`` :data:`VIEW`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import visit_schedule
from layers.model import ManagementLevel, PersonCategory
from layers.workbooks import table_sheet

VIEW = "overdue_export"
"""The ``view`` of the export's audit entry (:func:`layers.audit.record_layer_read`)."""
EXPORT_MAX = 50_000
"""Most persons one export lists (a county has a few thousand on the register)."""
SHEET = "走访逾期名单"
HEADER = [
    "序号",
    "姓名",
    "证件号码",
    "人员类别",
    "管控级别",
    "村（社区）",
    "网格",
    "应访日期",
    "逾期天数",
    "上次走访",
    "责任人",
]
ORDER_NOTE = "逾期按各类人员的走访周期计算，与各处的“走访逾期”数字一致；按逾期天数从多到少排列"
MASKED_NOTE = "姓名、证件号码已脱敏；本名单的每次导出记入审计日志，请勿翻拍外传。"


@dataclass(frozen=True)
class OverdueWorkbook:
    """The export: the file and what its audit entry counts.

    Attributes
    ----------
    body : bytes
        The ``.xlsx`` file.
    listed : int
        Persons listed.
    unit_name : str
        The name of the unit (the scope, or the place asked for).
    """

    body: bytes
    listed: int
    unit_name: str


def _who(person: visit_schedule.DuePerson) -> str:
    """Return who follows a person up: those named, else the workers of his grid."""
    if person.responsibles:
        return person.responsibles
    if person.grid_workers:
        return f"本网格：{person.grid_workers}"
    return "未指定"


def _late(person: visit_schedule.DuePerson) -> int | str:
    """Return the days overdue, or why there is no number (never visited, since unknown)."""
    return person.overdue_days if person.overdue_days is not None else "从未走访"


def overdue_workbook(
    session: Session,
    *,
    scope_code: str,
    today: date,
    category: str | None = None,
    place: str | None = None,
    worker_id: int | None = None,
) -> OverdueWorkbook:
    """Return the masked workbook of the persons of a scope whose visits are overdue.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    scope_code : str
        The reader's scope (12-digit code).
    today : datetime.date
        The centre's date (the overdue is as of this day).
    category : str, optional
        One person category only.
    place : str, optional
        One unit (12 digits) or grid (15) under the scope.
    worker_id : int, optional
        The persons this worker follows only.

    Returns
    -------
    OverdueWorkbook
        The file and the count of persons listed, the most overdue first.

    Raises
    ------
    layers.errors.InvalidInput
        An unknown category, or a place not under the scope.
    layers.errors.NotFound
        No such worker in the scope.
    """
    listed = visit_schedule.due_persons(
        session,
        scope_code=scope_code,
        today=today,
        status="overdue",
        worker_id=worker_id,
        category=category,
        place=place,
        limit=EXPORT_MAX,
    )
    categories = PersonCategory.labels()
    levels = ManagementLevel.labels()
    rows = [
        [
            n,
            p.name_masked,
            p.id_masked or "",
            categories.get(p.category, p.category),
            levels.get(str(p.management_level), str(p.management_level)),
            p.area_name or "",
            p.grid_name or p.grid_code or "未划入网格",
            p.due_on.isoformat() if p.due_on else "",
            _late(p),
            p.last_visit.isoformat() if p.last_visit else "无记录",
            _who(p),
        ]
        for n, p in enumerate(listed.persons, start=1)
    ]
    unit = place or scope_code
    unit_name = (
        session.scalar(
            text(
                "SELECT name FROM jurisdictions WHERE code = :c"
                " UNION ALL SELECT name FROM grids WHERE code = :c LIMIT 1"
            ),
            {"c": unit},
        )
        or unit
    )
    book = Workbook()
    book.remove(book.worksheets[0])
    table_sheet(book, SHEET, HEADER, rows, empty="没有走访逾期的人员")
    narrowed = [
        ("人员类别", categories.get(category, category)) if category else None,
        ("责任人", next((w.name for w in listed.workers if w.id == worker_id), str(worker_id)))
        if worker_id
        else None,
    ]
    notes = [
        ["单位", unit_name],
        ["统计日期", today.isoformat()],
        ["走访逾期", f"{listed.overdue} 人（在册 {listed.followed} 人）"],
        *[[label, value] for label, value in filter(None, narrowed)],
        [
            "说明",
            "逾期按各类人员的走访周期计算，与各处的“走访逾期”数字一致；按逾期天数从多到少排列",
        ],
        ["脱敏", MASKED_NOTE],
    ]
    table_sheet(book, "说明", ["项目", "内容"], notes)
    out = io.BytesIO()
    book.save(out)
    return OverdueWorkbook(out.getvalue(), len(rows), str(unit_name))
