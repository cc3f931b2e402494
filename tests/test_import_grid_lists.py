"""A township's grid list (网格调整一览表) and the grid names it gives (clerk F's files).

A grid list has a two-row header: 网格长 and 专职网格员, each over 姓名 and 联系电话, beside an
ordinary 网格名称 column. Its 网格名称 is the grids' name, never the 网格长's 姓名; a list that
names two grids of one village alike is refused; a roster naming a grid that two grids of its
village share (a re-coded grid beside its old code) is told why no 所属社区 helps; and a
村级区划调整对照表 under its title is read from its header row, its missing columns named in
the jurisdictions' own headers.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from importers.rules import MissingColumns
from tests.import_fixtures import GRID, OTHER_VILLAGE, VILLAGE, csv_text, seed_jurisdictions

SECOND = VILLAGE + "002"
"""A second grid of the test village (the first is :data:`tests.import_fixtures.GRID`)."""


def _grid_list(path: Path, *, with_names: bool = True) -> Path:
    """A grid list as 盘溪镇 keeps it: a title, 填报单位, and 网格长 over 姓名 and 联系电话."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    names = ["网格名称"] if with_names else []
    sheet.append(["宁州街道2025年网格调整后网格一览表"])
    sheet.append(["填报单位（盖章）：宁州街道综治中心", *[None] * 6, "填报时间：2025年3月10日"])
    sheet.append(["序号", "所属村（社区）", "网格编码", *names, "网格长", None, "专职网格员", None])
    sheet.append([None, None, None, *[None] * len(names), "姓名", "联系电话", "姓名", "联系电话"])
    for seq, (code, name, worker) in enumerate(
        [(GRID, "测试第1网格", "罗洁"), (SECOND, "测试第2网格", "黄建")], start=1
    ):
        given = [name] if with_names else []
        row = [seq, "测试社区", code, *given, "彭兰琴", "18723592126", worker, "15129967290"]
        sheet.append(row)
    width = 8 if with_names else 7
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for column in range(1, 4 + len(names)):
        sheet.merge_cells(start_row=3, start_column=column, end_row=4, end_column=column)
    leader = 4 + len(names)
    sheet.merge_cells(start_row=3, start_column=leader, end_row=3, end_column=leader + 1)
    sheet.merge_cells(start_row=3, start_column=leader + 2, end_row=3, end_column=leader + 3)
    book.save(path)
    return path


def _seed_grids(db: Session, *grids: tuple[str, str, str]) -> None:
    """Add grids ``(code, name, village)`` to the test jurisdictions."""
    seed_jurisdictions(db)
    for code, name, village in grids:
        db.execute(
            text(
                "INSERT INTO grids (code, name, area_code) VALUES (:c, :n, :a) "
                "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name"
            ),
            {"c": code, "n": name, "a": village},
        )


def _names(db: Session) -> dict[str, str]:
    rows = db.execute(text("SELECT code, name FROM grids WHERE area_code = :a"), {"a": VILLAGE})
    return {str(code): str(name) for code, name in rows}


def test_a_grid_lists_own_grid_name_column_wins_over_the_leaders_name(
    db: Session, tmp_path: Path
) -> None:
    """网格名称 ← 网格名称, not ← 姓名 (the 网格长's, under 网格长): no grid renamed 彭兰琴."""
    _seed_grids(db, (SECOND, "测试第2网格", VILLAGE))
    path = _grid_list(tmp_path / "宁州街道2025年网格调整一览表.xlsx")
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids"))
    assert outcome.problems == [] and outcome.status == "loaded"
    assert outcome.columns["name"] == "网格名称"
    assert "网格名称" not in outcome.unused and "姓名" in outcome.unused
    assert _names(db) == {GRID: "测试第1网格", SECOND: "测试第2网格"}


def test_a_grid_lists_own_code_column_wins_over_its_villages_code(
    db: Session, tmp_path: Path
) -> None:
    """网格编码 ← 网格编码, though 区划代码 (a synonym of a code too) comes first: its village."""
    _seed_grids(db, (SECOND, "测试第2网格", VILLAGE))
    rows = [[VILLAGE, GRID, "测试第一网格"], [VILLAGE, SECOND, "测试第二网格"]]
    path = tmp_path / "网格.csv"
    path.write_text(csv_text(["区划代码", "网格编码", "网格名称"], rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids"))
    assert outcome.problems == [] and outcome.status == "loaded"
    assert outcome.columns == {"code": "网格编码", "name": "网格名称", "area_code": "区划代码"}
    assert _names(db) == {GRID: "测试第一网格", SECOND: "测试第二网格"}


def test_a_leaders_name_never_names_a_grid(db: Session, tmp_path: Path) -> None:
    """Without 网格名称, the 姓名 under 网格长 does not become the grids' name: refused."""
    _seed_grids(db, (SECOND, "测试第2网格", VILLAGE))
    path = _grid_list(tmp_path / "网格一览表.xlsx", with_names=False)
    with pytest.raises(MissingColumns) as refused:
        run_import(db.connection(), path, ImportOptions(kind="grids"))
    message = str(refused.value)
    assert message.startswith("文件缺少必填字段的列：网格名称（或名称）。")
    assert _names(db) == {GRID: "一网格", SECOND: "测试第2网格"}


def test_grid_names_repeated_in_one_village_are_refused(db: Session, tmp_path: Path) -> None:
    """Two grids of one village may not share a name (第一网格 is 第1网格); two villages may."""
    _seed_grids(db, (SECOND, "测试第2网格", VILLAGE))
    rows = [
        [GRID, "彭兰琴", "测试社区"],
        [SECOND, "彭兰琴", "测试社区"],
        [OTHER_VILLAGE + "001", "彭兰琴", "邻村"],  # another village: allowed
        [VILLAGE + "003", "测试第一网格", "测试社区"],
        [VILLAGE + "004", "测试第1网格", "测试社区"],
    ]
    path = tmp_path / "网格.csv"
    path.write_text(csv_text(["网格编码", "网格名称", "所属社区"], rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids", partial=True))
    rule = "同一村（社区）的网格不能同名：与本文件第 {} 行重复"
    assert [(p.row, p.column, p.value, p.rule) for p in outcome.problems] == [
        (3, "网格名称", "彭兰琴", rule.format(2)),
        (6, "网格名称", "测试第1网格", rule.format(5)),
    ]
    assert _names(db) == {GRID: "彭兰琴", SECOND: "测试第2网格", VILLAGE + "003": "测试第一网格"}


def test_a_list_naming_its_grids_without_codes_is_refused_for_a_repeated_name(
    db: Session, tmp_path: Path
) -> None:
    """A file of names (grids drawn in 奥维) naming one grid twice would draw it twice."""
    _seed_grids(db, (SECOND, "测试第2网格", VILLAGE))
    shape = "POLYGON((102.90 24.20, 102.91 24.20, 102.91 24.21, 102.90 24.20))"
    rows = [["测试社区", "测试第2网格", shape], ["测试社区", "测试第二网格", shape]]
    path = tmp_path / "网格边界.csv"
    path.write_text(csv_text(["所属社区", "网格名称", "边界"], rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids", dry_run=True))
    assert [(p.row, p.rule) for p in outcome.problems] == [
        (3, "同一村（社区）的网格不能同名：与本文件第 2 行重复")
    ]


def test_a_grid_name_two_grids_of_its_village_share_asks_for_the_code(
    db: Session, tmp_path: Path
) -> None:
    """A re-coded grid beside its old code: the 所属社区 given cannot tell them apart."""
    _seed_grids(
        db, (VILLAGE + "005", "测试第5网格", VILLAGE), (VILLAGE + "007", "测试第5网格", VILLAGE)
    )
    rows = [["G1", "金梅艳", "13803032330", "测试社区", "测试第5网格"]]
    path = tmp_path / "网格员花名册.csv"
    path.write_text(csv_text(["工号", "姓名", "手机号", "所属社区", "所属网格"], rows), "utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers", dry_run=True))
    [problem] = outcome.problems
    assert (problem.row, problem.column) == (2, "所属网格")
    assert problem.rule.endswith(
        "这 2 个网格同属一个村（社区）且同名，所属社区无法区分：请填写 15 位网格编码"
    )
    assert "请填写所属社区" not in problem.rule


def test_a_change_table_under_its_title_names_its_columns(db: Session, tmp_path: Path) -> None:
    """A 区划调整对照表 is read from its header row; the message offers no camera's 设备名称."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["华溪镇2025年村级区划调整对照表"])
    sheet.append(["原区划代码", "原名称", "新区划代码", "新名称", "变更类型", "批准文号"])
    sheet.append(["530424102207", "柳塘村", "530424102211", "柳岭村", "撤并", "华政复〔2025〕12号"])
    sheet.merge_cells("A1:F1")
    path = tmp_path / "华溪镇村级区划调整对照表.xlsx"
    book.save(path)
    with pytest.raises(MissingColumns) as refused:
        run_import(db.connection(), path, ImportOptions(kind="jurisdictions"))
    message = str(refused.value)
    assert "文件中的列：原区划代码、原名称、新区划代码、新名称、变更类型、批准文号。" in message
    assert "名称（或区划名称、乡镇名称）" in message
    assert "设备名称" not in message and "对照表" not in message.split("文件中的列")[1]


def test_a_rosters_grid_codes_beside_its_grid_names_are_read_first(
    db: Session, tmp_path: Path
) -> None:
    """Trial AD: 所属网格 (names) was read and the roster's 15-digit 网格编码 left unread."""
    seed_jurisdictions(db)
    headers = ["工号", "姓名", "手机号", "所属网格", "网格编码"]
    rows = [
        ["GC-1", "码文一", "13900005501", "旧称第1网格", GRID],  # a name no grid has: the code
        ["GC-2", "码文二", "13900005502", "一网格", ""],  # no code: the name
    ]
    path = tmp_path / "网格员花名册.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers"))
    assert outcome.committed and not outcome.problems, outcome.problems
    homes = dict(
        db.execute(text("SELECT external_id, home_grid FROM workers WHERE name LIKE '码文%'")).all()
    )
    assert homes == {"GC-1": GRID, "GC-2": GRID}
    assert "负责网格按“网格编码”列的网格编码读取，该列为空的行按“所属网格”的网格名称读取" in (
        outcome.notes
    )
    assert "网格编码" not in outcome.unused  # read, so not among 未导入的列 (trial AG)


def test_a_rosters_grid_code_no_grid_has_beside_a_grids_name_leads_its_reason(
    db: Session, tmp_path: Path
) -> None:
    """Trial AR m1: 所属网格“…”与网格编码 530424102001099（库中没有此网格）不符, the name cut."""
    from importers.summary import rejected_reasons

    seed_jurisdictions(db)
    own = db.execute(text("SELECT name FROM grids WHERE code = :g"), {"g": GRID}).scalar_one()
    unknown = GRID[:12] + "099"
    headers = ["工号", "姓名", "手机号", "所属网格", "网格编码"]
    rows = [["GU-1", "码无一", "13900005521", own, unknown]]
    path = tmp_path / "网格员花名册.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers", dry_run=True))
    rule = f"网格编码 {unknown} 库中没有此网格（所属网格按名称是网格 {GRID}）：请核对网格编码"
    assert [(p.row, p.column, p.value, p.rule) for p in outcome.problems] == [
        (2, "所属网格", own, rule)
    ]
    assert rejected_reasons(outcome) == [f"“所属网格” 第 2 行（“{own}”）：{rule}"]


def test_a_rosters_grid_name_naming_another_grid_than_its_code_is_refused(
    db: Session, tmp_path: Path
) -> None:
    """Trial AL: 南河第1网格 beside the code of 南河第2网格 went in as the code said, unsaid."""
    seed_jurisdictions(db)
    other_code, other_name = GRID[:12] + "099", "测试第99网格"
    db.execute(
        text(
            "INSERT INTO grids (code, name, area_code, boundary) SELECT :c, :n, area_code,"
            " boundary FROM grids WHERE code = :g"
        ),
        {"c": other_code, "n": other_name, "g": GRID},
    )
    own = db.execute(text("SELECT name FROM grids WHERE code = :g"), {"g": GRID}).scalar_one()
    headers = ["工号", "姓名", "手机号", "所属网格", "网格编码"]
    rows = [
        ["GX-1", "码对一", "13900005511", own, GRID],  # agree
        ["GX-2", "码错二", "13900005512", other_name, GRID],  # another grid's name
    ]
    path = tmp_path / "网格员花名册.csv"
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers", partial=True))
    refused = [(p.row, p.column, p.rule) for p in outcome.problems if p.severity == "rejected"]
    assert refused == [
        (3, "所属网格", f"所属网格“{other_name}”与网格编码 {GRID}（{own}）不符：请核对是哪一列填错")
    ], refused
    stored = db.execute(text("SELECT external_id FROM workers WHERE name LIKE '码%'")).scalars()
    assert set(stored) == {"GX-1"}
