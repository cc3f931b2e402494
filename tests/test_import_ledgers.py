"""A township's dispute ledger (矛盾纠纷排查化解台账): no source numbers, kept month after month."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.kinds import KINDS
from importers.kinds.cases import EDITED_NOTE, LEDGER_NOTE, ledger_numbers
from importers.mapping import resolve_columns
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from importers.rules import RowChecks
from layers.case_import import made_number
from tests.import_fixtures import seed_jurisdictions as seed

HEADERS = [
    "序号",
    "登记日期",
    "当事人",
    "纠纷类型",
    "纠纷简要情况",
    "化解措施",
    "化解结果",
    "责任人",
    "所属村（社区）",
    "备注",
]
MARCH = [
    [1, "2025-03-02", "张某、李某", "邻里纠纷", "因排水沟堵塞引发争执", "村调委会调解", "已化解"],
    [2, "2025-03-05", "赵某", "劳资纠纷", "在工地务工被拖欠工资", "司法所调解", "化解中"],
    [3, "2025-03-09", "钱某、孙某", "婚姻家庭纠纷", "夫妻感情不和", "妇联调解", "调解中"],
]
"""The March ledger: 序号 … 化解结果 (then 责任人, the village, 备注)."""


def _ledger(path: Path, rows: list[list[object]]) -> Path:
    """Write a ledger as a township keeps it: a title row, then the header and the rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "矛盾纠纷排查台账"
    sheet.append(["宁州街道矛盾纠纷排查化解工作台账（2025年3月）"])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([*row, "王五", "测试社区", ""])
    book.save(path)
    return path


def _import(db: Session, path: Path, *, partial: bool = False) -> ImportOutcome:
    options = ImportOptions(kind="cases", fixed={"channel": "网格员上报"}, partial=partial)
    return run_import(db.connection(), path, options)


def _cases(db: Session) -> list[tuple[str, str, str | None, str, str | None, str]]:
    rows = db.execute(
        text(
            "SELECT external_no, category, subcategory, state, reporter_name, area_code "
            "FROM cases WHERE channel = 'grid_worker' AND area_code LIKE '530424%' "
            "AND external_no LIKE 'TZ%' ORDER BY reported_at"
        )
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_ledger_without_numbers_loads_and_loads_again_unchanged(
    db: Session, tmp_path: Path
) -> None:
    seed(db)
    path = _ledger(tmp_path / "三月台账.xlsx", MARCH)
    first = _import(db, path)
    assert first.committed and first.counts is not None and first.counts.inserted == 3
    assert LEDGER_NOTE in first.notes
    assert first.columns["category"] == "纠纷类型" and first.columns["status"] == "化解结果"
    assert first.columns["description"] == "纠纷简要情况"
    assert first.columns["reported_at"] == "登记日期"
    cases = _cases(db)
    assert [c[1:5] for c in cases] == [
        ("dispute", "neighbours", "archived", "张某、李某"),
        ("dispute", "labour_wages", "registered", "赵某"),
        ("dispute", "marriage_family", "registered", "钱某、孙某"),
    ]
    assert [c[0][:11] for c in cases] == ["TZ20250302-", "TZ20250305-", "TZ20250309-"]
    assert all(made_number(c[0]) for c in cases)  # the console shows them as no 工单 number
    assert {c[5] for c in cases} == {"530424100001"}
    again = _import(db, path)
    assert again.counts is not None
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 3)
    assert _cases(db) == cases


def test_next_months_ledger_settles_its_cases_and_adds_the_new_ones(
    db: Session, tmp_path: Path
) -> None:
    """April's ledger carries March's rows with their results brought up to date."""
    seed(db)
    _import(db, _ledger(tmp_path / "三月台账.xlsx", MARCH))
    april = [row.copy() for row in MARCH]
    april[1][6] = "已化解"  # the wages case was settled
    april[2][4] = " 夫妻感情不和 "  # retyped with spaces: the same case
    april.append([4, "2025-04-01", "周某", "土地纠纷", "承包地边界争议", "村调委会调解", "化解中"])
    outcome = _import(db, _ledger(tmp_path / "四月台账.xlsx", april))
    assert outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged) == (1, 1, 2)
    states = [(c[2], c[3]) for c in _cases(db)]
    assert states == [
        ("neighbours", "archived"),
        ("labour_wages", "archived"),
        ("marriage_family", "registered"),
        ("land", "registered"),
    ]


def test_a_row_whose_text_was_corrected_updates_its_case(db: Session, tmp_path: Path) -> None:
    """The clerk corrects a row's text next month: the same case, not a second one."""
    seed(db)
    _import(db, _ledger(tmp_path / "三月台账.xlsx", MARCH))
    before = {c[4]: c[0] for c in _cases(db)}
    april = [row.copy() for row in MARCH]
    april[1][4] = "在华宁县某工地务工被拖欠工资三个月"  # 赵某's case, its text made precise
    april[2][2] = "钱某、孙某某"  # a party's name corrected, the text the same
    april.append([4, "2025-03-09", "吴某", "婚姻家庭纠纷", "婆媳关系紧张", "妇联调解", "调解中"])
    outcome = _import(db, _ledger(tmp_path / "四月台账.xlsx", april))
    assert outcome.committed and outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged) == (1, 2, 1)
    assert EDITED_NOTE.format(n=2, rows="4、5") in outcome.notes  # rows of the sheet
    cases = _cases(db)
    assert len(cases) == 4
    by_party = {c[4]: c[0] for c in cases}
    assert by_party["赵某"] != before["赵某"]  # the case took the corrected row's number
    texts = db.execute(
        text("SELECT description FROM cases WHERE external_no = :n"), {"n": by_party["赵某"]}
    ).scalar_one()
    assert texts == "在华宁县某工地务工被拖欠工资三个月"
    # 吴某's is another case of that day, village and type: a party and a text of its own.
    assert "吴某" in by_party and "钱某、孙某某" in by_party and "钱某、孙某" not in by_party
    again = _import(db, _ledger(tmp_path / "四月台账.xlsx", april))
    assert again.counts is not None and again.counts.unchanged == 4
    assert not [n for n in again.notes if "内容有改动" in n]


def test_a_row_written_twice_is_told_on_its_description(db: Session, tmp_path: Path) -> None:
    seed(db)
    path = _ledger(tmp_path / "台账.xlsx", [*MARCH, MARCH[0].copy()])
    refused = _import(db, path)
    assert not refused.committed
    problems = [(p.row, p.column, p.rule) for p in refused.problems if p.severity == "rejected"]
    assert problems == [(6, "纠纷简要情况", "与本文件第 3 行重复")]
    assert _cases(db) == []


def test_a_value_longer_than_its_column_is_refused_not_a_traceback(
    db: Session, tmp_path: Path
) -> None:
    seed(db)
    many = "、".join(["张某某"] * 20)  # 59 characters: the column holds 50
    rows = [MARCH[0], [2, "2025-03-05", many, "劳资纠纷", "拖欠工资", "司法所调解", "化解中"]]
    path = _ledger(tmp_path / "台账.xlsx", rows)
    refused = _import(db, path)
    assert not refused.committed
    problems = [(p.row, p.column, p.value, p.rule) for p in refused.problems]
    assert problems == [(4, "当事人", many, "太长：最多 50 个字")]
    partial = _import(db, path, partial=True)
    assert partial.committed and partial.counts is not None and partial.counts.inserted == 1
    assert [c[4] for c in _cases(db)] == ["张某、李某"]


def test_a_ledger_number_is_made_of_the_day_and_what_the_row_says() -> None:
    frame = pd.DataFrame(
        {
            "类型": ["邻里纠纷", "邻里纠纷", "邻里纠纷", "邻里纠纷", "劳资纠纷"],
            "村": ["测试社区", "测试社区 ", "测试社区", "邻村", "测试社区"],
            "情况": ["漏水", "漏水", "漏水", "漏水", "漏水"],
            "结果": ["化解中", "已化解", "化解中", "化解中", "化解中"],
        }
    )
    checks = RowChecks(
        frame, {"category": "类型", "area_code": "村", "description": "情况", "status": "结果"}
    )
    days = ["2025-03-02 09:00", "2025-03-02 18:00", "2025-03-03 09:00"] + ["2025-03-02 12:00"] * 2
    numbers = ledger_numbers(checks, pd.Series(pd.to_datetime(days)))
    # the result and the hour do not count; the day, the place and the type do
    assert numbers[0] == numbers[1]
    assert len({numbers[0], numbers[2], numbers[3], numbers[4]}) == 4
    assert numbers[2].startswith("TZ20250303-") and len(numbers[2]) == len("TZ20250303-") + 12
    missing = ledger_numbers(checks, pd.Series(pd.to_datetime([None] * 5)))
    assert missing.isna().all()


def test_a_ledger_with_a_two_row_header_and_its_own_sources(db: Session, tmp_path: Path) -> None:
    """当事人 over 姓名 and 联系电话, 化解情况 over 化解措施 and 化解结果; its own 来源 words."""
    seed(db)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["宁州街道矛盾纠纷排查化解工作台账"])
    sheet.append(["序号", "登记日期", "当事人", None, "纠纷类型", "纠纷简要情况", "化解情况"])
    sheet["H2"], sheet["I2"], sheet["J2"] = None, "所属村（社区）", "来源"
    sheet.append([None, None, "姓名", "联系电话", None, None, "化解措施", "化解结果"])
    for cells in ("A2:A3", "B2:B3", "C2:D2", "E2:E3", "F2:F3", "G2:H2", "I2:I3", "J2:J3"):
        sheet.merge_cells(cells)
    sheet.append(
        [1, "2025-03-02", "张某", "13800000001", "邻里纠纷", "排水沟堵塞", "村调委会调解"]
        + ["已化解", "测试社区", "网格员排查"]
    )
    sheet.append(
        [2, "2025-03-05", "赵某", "138 0000 0002", "劳资纠纷", "拖欠工资", "司法所调解"]
        + ["调解不成功", "测试社区", "电话反映"]
    )
    path = tmp_path / "台账.xlsx"
    book.save(path)
    outcome = run_import(db.connection(), path, ImportOptions(kind="cases"))
    assert outcome.committed, outcome.problems
    rows = db.execute(
        text(
            "SELECT channel, subcategory, state, reporter_name, reporter_phone FROM cases "
            "WHERE external_no LIKE 'TZ%' AND area_code = '530424100001' ORDER BY reported_at"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("grid_worker", "neighbours", "archived", "张某", "13800000001"),
        ("phone", "labour_wages", "registered", "赵某", "13800000002"),  # mediation failed
    ]


def test_a_ledger_with_numbers_of_its_own_keeps_them() -> None:
    """纠纷编号, 受理编号 … are source numbers; a bare 序号 (1, 2, 3 each month) is not."""
    fields = KINDS["cases"].fields
    for header in ("纠纷编号", "受理编号", "登记编号", "事件编号"):
        assert resolve_columns([header, "序号", "纠纷类型"], fields)["external_no"] == header
    assert "external_no" not in resolve_columns(["序号", "纠纷类型"], fields)


def test_a_ledgers_parties_under_one_header_are_its_reporters(db: Session, tmp_path: Path) -> None:
    """当事人 over 甲方 and 乙方 (a two-row header) gives the parties as a 当事人 column does."""
    seed(db)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["宁州街道矛盾纠纷排查化解工作台账（2025年3月）"])
    sheet.append(["序号", "登记日期", "当事人", None, "纠纷类型", "纠纷简要情况", "化解结果"])
    sheet.append([None, None, "甲方", "乙方", None, None, None])
    for column in ("A", "B", "E", "F", "G"):
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("C2:D2")
    sheet.append([1, "2025-03-02", "张某", "李某", "邻里纠纷", "因排水沟堵塞引发争执", "已化解"])
    sheet.append([2, "2025-03-05", "赵某", None, "劳资纠纷", "在工地务工被拖欠工资", "化解中"])
    path = tmp_path / "两方当事人台账.xlsx"
    book.save(path)
    options = ImportOptions(
        kind="cases", fixed={"channel": "网格员上报", "area_code": "测试社区"}, partial=False
    )
    outcome = run_import(db.connection(), path, options)
    assert outcome.committed, outcome.problems
    assert outcome.columns["reporter_name"] == "当事人（甲方、乙方）"
    assert "甲方" not in outcome.unused and "乙方" not in outcome.unused
    assert [c[4] for c in _cases(db)] == ["张某、李某", "赵某"]


def test_a_ledgers_parties_in_bracketed_headers_are_its_reporters(
    db: Session, tmp_path: Path
) -> None:
    """当事人（甲方） and 当事人（乙方） are two parties, not two 当事人 columns (trial F13)."""
    seed(db)
    frame = pd.DataFrame(
        {
            "登记日期": ["2025-03-02", "2025-03-05"],
            "当事人（甲方）": ["张某", "赵某"],
            "当事人(乙方)": ["李某", None],
            "纠纷类型": ["邻里纠纷", "劳资纠纷"],
            "纠纷简要情况": ["因排水沟堵塞引发争执", "在工地务工被拖欠工资"],
            "化解结果": ["已化解", "化解中"],
        }
    )
    path = tmp_path / "括号当事人台账.xlsx"
    frame.to_excel(path, index=False)
    options = ImportOptions(
        kind="cases", fixed={"channel": "网格员上报", "area_code": "测试社区"}, partial=False
    )
    outcome = run_import(db.connection(), path, options)
    assert outcome.committed, outcome.problems
    assert outcome.columns["reporter_name"] == "当事人（甲方、乙方）"
    assert not {"当事人（甲方）", "当事人(乙方)"} & set(outcome.unused)
    assert [c[4] for c in _cases(db)] == ["张某、李某", "赵某"]
