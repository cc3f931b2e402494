"""A grid list's 网格长 sets each grid's leader (``grids.leader_id``), clerk F's fault 10.

The 网格长 is a worker on record who has not left, named by name (among the workers of the
grid's village, then of its township), namesakes told apart by phone or 工号. A leader the
database lacks leaves the grid's leader as it is, the grid loads all the same and the summary
names them once; an empty cell says nothing. A grid list's two-row header (网格长 over 姓名 and
联系电话, 专职网格员 over 姓名 and 联系电话) gives the leader's name and phone, never anything else.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from tests.import_fixtures import (
    GRID,
    OTHER_VILLAGE,
    VILLAGE,
    add_jurisdictions,
    csv_text,
    seed_jurisdictions,
)

SECOND = VILLAGE + "002"
"""A second grid of the test village (the first is :data:`tests.import_fixtures.GRID`)."""
ELSEWHERE = "530424101001"
"""A village of another township."""


def _seed(db: Session, *workers: tuple[str, str | None, str, str, str | None]) -> dict[str, int]:
    """Seed the test hierarchy, a second grid and ``workers`` (name, phone, village, status, 工号).

    Returns each worker's id by ``name/phone`` (the phone left out when none).
    """
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            ("530424101000", "盘溪镇", 4, "530424000000", None),
            (ELSEWHERE, "兴复社区", 5, "530424101000", None),
        ],
    )
    db.execute(
        text("INSERT INTO grids (code, name, area_code) VALUES (:c, '测试第2网格', :a)"),
        {"c": SECOND, "a": VILLAGE},
    )
    db.execute(text("UPDATE grids SET name = '测试第1网格' WHERE code = :c"), {"c": GRID})
    ids = {}
    for name, phone, village, status, number in workers:
        ids[f"{name}/{phone}" if phone else name] = db.execute(
            text(
                "INSERT INTO workers (name, phone, role, status, area_code, external_id)"
                " VALUES (:n, :p, 'grid_worker', :s, :a, :x) RETURNING id"
            ),
            {"n": name, "p": phone, "s": status, "a": village, "x": number},
        ).scalar_one()
    return ids


def _leaders(db: Session) -> dict[str, int | None]:
    rows = db.execute(
        text("SELECT code, leader_id FROM grids WHERE area_code = :a ORDER BY code"),
        {"a": VILLAGE},
    )
    return {str(code): leader for code, leader in rows}


def _set_leader(db: Session, grid: str, worker: int) -> None:
    db.execute(text("UPDATE grids SET leader_id = :w WHERE code = :c"), {"w": worker, "c": grid})


def _import(
    db: Session, path: Path, headers: list[str], rows: list[list[str]], *, dry_run: bool = False
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="grids", dry_run=dry_run))


def test_a_leader_named_by_name_leads_the_grid_and_the_grid_counts_as_updated(
    db: Session, tmp_path: Path
) -> None:
    """彭兰琴 of the village leads both grids; the one on record changes only its leader: 更新."""
    ids = _seed(db, ("彭兰琴", "18723592126", VILLAGE, "on_duty", None))
    headers = ["网格编码", "网格名称", "网格长"]
    rows = [[GRID, "测试第1网格", "彭兰琴"], [VILLAGE + "003", "测试第3网格", "彭兰琴（兼）"]]
    outcome = _import(db, tmp_path / "网格.csv", headers, rows)
    assert outcome.problems == [] and outcome.committed, outcome.problems
    assert outcome.columns["leader"] == "网格长" and "网格长" not in outcome.unused
    assert outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged) == (1, 1, 0)
    leader = ids["彭兰琴/18723592126"]
    assert _leaders(db) == {GRID: leader, SECOND: None, VILLAGE + "003": leader}
    again = _import(db, tmp_path / "网格.csv", headers, rows)
    assert again.counts is not None and again.counts.unchanged == 2


def test_namesakes_are_told_apart_by_phone_or_staff_number_and_the_village_comes_first(
    db: Session, tmp_path: Path
) -> None:
    """Two 张伟 of the village: the phone tells; 李娜 of the village before the township's."""
    ids = _seed(
        db,
        ("张伟", "13800000001", VILLAGE, "on_duty", None),
        ("张伟", "13800000002", VILLAGE, "off_duty", "ZW02"),
        ("李娜", "13900000001", OTHER_VILLAGE, "on_duty", None),
        ("李娜", "13900000002", VILLAGE, "on_duty", None),
        ("李娜", "13900000003", ELSEWHERE, "on_duty", None),  # another township: never
    )
    headers = ["网格编码", "网格名称", "网格长", "网格长手机号", "网格长工号"]
    rows = [
        [GRID, "测试第1网格", "张伟", "138 0000 0002", ""],
        [SECOND, "测试第2网格", "李娜", "", ""],
        [VILLAGE + "003", "测试第3网格", "张伟", "", "ZW02"],
        [OTHER_VILLAGE + "001", "邻村第1网格", "李娜", "", ""],
        [VILLAGE + "004", "测试第4网格", "张伟", "", ""],  # no phone: which 张伟?
    ]
    outcome = _import(db, tmp_path / "网格.csv", headers, rows)
    assert outcome.problems == [] and outcome.committed, outcome.problems
    assert outcome.columns["leader_phone"] == "网格长手机号"
    assert _leaders(db) == {
        GRID: ids["张伟/13800000002"],
        SECOND: ids["李娜/13900000002"],
        VILLAGE + "003": ids["张伟/13800000002"],
        VILLAGE + "004": None,
    }
    other = db.execute(
        text("SELECT leader_id FROM grids WHERE code = :c"), {"c": OTHER_VILLAGE + "001"}
    ).scalar_one()
    assert other == ids["李娜/13900000001"]
    assert (
        outcome.notes.count(
            "网格长张伟（1 个网格）：本乡镇有 2 名在职网格员同名，无法确定是谁，网格长未变："
            "请填写网格长的工号或手机号后重新导入本表"
        )
        == 1
    )


def test_an_unknown_leader_is_named_once_and_the_grids_load_with_their_leader_as_it_was(
    db: Session, tmp_path: Path
) -> None:
    """彭兰琴 is not on record (周萍燕 is, elsewhere; 罗洁 left): the grids load all the same."""
    ids = _seed(
        db,
        ("黄建", "13700000001", VILLAGE, "on_duty", None),
        ("周萍燕", "13600000001", ELSEWHERE, "on_duty", None),
        ("罗洁", "13500000001", VILLAGE, "left", None),
    )
    _set_leader(db, GRID, ids["黄建/13700000001"])
    headers = ["网格编码", "网格名称", "网格长", "网格长联系电话"]
    rows = [
        [GRID, "测试第一网格", "彭兰琴", "18723592126"],
        [SECOND, "测试第2网格", "彭兰琴", "18723592126"],
        [VILLAGE + "003", "测试第3网格", "周萍燕", ""],
        [VILLAGE + "004", "测试第4网格", "罗洁", ""],
    ]
    for dry_run in (True, False):
        outcome = _import(db, tmp_path / "网格.csv", headers, rows, dry_run=dry_run)
        assert outcome.problems == [] and outcome.committed is not dry_run
        assert outcome.counts is not None
        assert (outcome.counts.inserted, outcome.counts.updated) == (2, 1)  # renamed, leader kept
        assert [n for n in outcome.notes if "网格长" in n] == [
            "网格长中有 2 人不是本村（社区）或本乡镇在职的网格员，这 3 个网格照常导入，"
            "网格长未变：彭兰琴（187****2126，2 个网格）、周萍燕（1 个网格）；"
            "请先导入网格员花名册（含网格长），再加 --again 重新导入本表",
            "网格长罗洁（1 个网格）已离职，未设为网格长（其网格的网格长未变）",
        ]
        assert not any("18723592126" in n for n in outcome.notes)
        name = db.execute(text("SELECT name FROM grids WHERE code = :c"), {"c": GRID})
        assert name.scalar_one() == ("测试第1网格" if dry_run else "测试第一网格")

    assert _leaders(db) == {
        GRID: ids["黄建/13700000001"],
        SECOND: None,
        VILLAGE + "003": None,
        VILLAGE + "004": None,
    }


def test_an_empty_leader_cell_keeps_the_leader_the_grid_has(db: Session, tmp_path: Path) -> None:
    """One row names its 网格长, the other leaves the cell empty: its leader stays (未变)."""
    ids = _seed(
        db,
        ("黄建", "13700000001", VILLAGE, "on_duty", None),
        ("周婷", "13700000002", VILLAGE, "on_duty", None),
    )
    _set_leader(db, GRID, ids["黄建/13700000001"])
    _set_leader(db, SECOND, ids["黄建/13700000001"])
    headers = ["网格编码", "网格名称", "网格长"]
    rows = [[GRID, "测试第1网格", ""], [SECOND, "测试第2网格", "周婷"]]
    outcome = _import(db, tmp_path / "网格.csv", headers, rows)
    assert outcome.problems == [] and outcome.committed
    assert outcome.counts is not None
    assert (outcome.counts.updated, outcome.counts.unchanged) == (1, 1)
    assert _leaders(db) == {GRID: ids["黄建/13700000001"], SECOND: ids["周婷/13700000002"]}
    assert not [n for n in outcome.notes if "网格长" in n]


def _grid_list(path: Path, rows: list[list[object]], *, leader: bool = True) -> Path:
    """A grid list as 盘溪镇 keeps it: a title, 填报单位, and groups over 姓名 and 联系电话.

    网格长 and 专职网格员 follow the 网格名称 column; without ``leader``, 专职网格员 only.
    """
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    groups = ["网格长", None, "专职网格员", None] if leader else ["专职网格员", None]
    under = ["姓名", "联系电话"] * (2 if leader else 1)
    sheet.append(["测试街道2025年网格调整后网格一览表"])
    sheet.append(
        ["填报单位（盖章）：宁州街道综治中心", None, None, None, "填报时间：2025年3月10日"]
    )
    sheet.append(["序号", "所属村（社区）", "网格编码", "网格名称", *groups])
    sheet.append([None, None, None, None, *under])
    for row in rows:
        sheet.append(row if leader else [*row[:4], *row[6:]])
    width = 4 + len(under)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for column in range(1, 5):
        sheet.merge_cells(start_row=3, start_column=column, end_row=4, end_column=column)
    for start in range(5, 5 + len(under), 2):
        sheet.merge_cells(start_row=3, start_column=start, end_row=3, end_column=start + 1)
    sheet.merge_cells(start_row=5, start_column=2, end_row=4 + len(rows), end_column=2)
    book.save(path)
    return path


def test_the_two_row_header_of_a_grid_list_gives_the_leaders_name_and_phone(
    db: Session, tmp_path: Path
) -> None:
    """网格长 over 姓名/联系电话 is the leader; 专职网格员's 姓名 leads nothing, names no grid."""
    ids = _seed(
        db,
        ("彭兰琴", "18723592126", VILLAGE, "on_duty", None),
        ("彭兰琴", "18700000000", VILLAGE, "on_duty", None),  # told apart by 联系电话
        ("罗洁", "15129967290", VILLAGE, "on_duty", None),
        ("黄建", "18783215307", VILLAGE, "on_duty", None),
    )
    rows: list[list[object]] = [
        [1, "测试社区", GRID, "测试第1网格", "彭兰琴", "18723592126", "罗洁", "15129967290"],
        [2, None, SECOND, "测试第2网格", "彭兰琴", "18723592126", "黄建", "18783215307"],
    ]
    path = _grid_list(tmp_path / "宁州街道2025年网格调整一览表.xlsx", rows)
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids"))
    assert outcome.problems == [] and outcome.committed, outcome.problems
    assert {f: outcome.columns.get(f) for f in ("name", "leader", "leader_phone")} == {
        "name": "网格名称",
        "leader": "网格长姓名",
        "leader_phone": "网格长联系电话",
    }
    assert outcome.unused == ["姓名", "联系电话"]  # the 专职网格员's
    leader = ids["彭兰琴/18723592126"]
    assert _leaders(db) == {GRID: leader, SECOND: leader}
    names = db.execute(text("SELECT name FROM grids WHERE area_code = :a"), {"a": VILLAGE})
    assert sorted(names.scalars()) == ["测试第1网格", "测试第2网格"]

    _set_leader(db, GRID, ids["罗洁/15129967290"])
    only_workers = _grid_list(tmp_path / "专职网格员一览表.xlsx", rows, leader=False)
    outcome = run_import(db.connection(), only_workers, ImportOptions(kind="grids"))
    assert outcome.problems == [] and "leader" not in outcome.columns
    assert _leaders(db) == {GRID: ids["罗洁/15129967290"], SECOND: leader}
