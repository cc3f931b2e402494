"""A grid worker whose phone number changed is the same worker in next month's roster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from importers.values import PHONE_RULE
from tests.import_fixtures import GRID, csv_text, seed_jurisdictions

HEADERS = ["姓名", "联系电话", "所属网格", "状态"]
MINE = "area_code LIKE '530424%'"
OTHER_GRID = GRID[:-3] + "002"


def _import(db: Session, path: Path, rows: list[list[str]]) -> Any:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers", user="网格办"))
    assert outcome.committed and outcome.counts is not None, outcome.problems
    counts = outcome.counts
    return (counts.inserted, counts.updated, counts.unchanged), outcome.notes


def _workers(db: Session) -> dict[int, tuple[str, str, str | None, str]]:
    rows = db.execute(
        text(f"SELECT id, name, phone, home_grid, status FROM workers WHERE {MINE} ORDER BY id")
    ).all()
    return {r.id: (r.name, r.phone, r.home_grid, r.status) for r in rows}


def test_a_new_phone_number_updates_the_worker_of_that_name_in_that_grid(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    db.execute(
        text("INSERT INTO grids (code, name, area_code) VALUES (:c, '第二网格', :a)"),
        {"c": OTHER_GRID, "a": GRID[:12]},
    )
    may = [
        ["沈鹏文", "13800000001", GRID, "在岗"],
        ["李四", "13800000002", GRID, "在岗"],
        ["王五", "13800000003", OTHER_GRID, "在岗"],
    ]
    assert _import(db, tmp_path / "5月.csv", may)[0] == (3, 0, 0)
    before = _workers(db)
    shen, li, wang = before

    # June: 沈鹏文 has a new phone; 王五 a new phone and is off duty; 赵六 is new.
    june = [
        ["沈鹏文", "13900000001", GRID, "在岗"],
        ["李四", "13800000002", GRID, "在岗"],
        ["王五", "13900000003", OTHER_GRID, "离岗"],
        ["赵六", "13800000004", GRID, "在岗"],
    ]
    counts, notes = _import(db, tmp_path / "6月.csv", june)
    assert counts == (1, 2, 1)  # each changed worker counted once
    recognised = "2 名网格员的手机号与库中不同，按姓名和所属网格认出是同一人，已改为本文件的手机号"
    assert recognised in notes
    after = _workers(db)
    assert len(after) == 4
    assert after[shen] == ("沈鹏文", "13900000001", GRID, "on_duty")
    assert after[li] == before[li]
    assert after[wang] == ("王五", "13900000003", OTHER_GRID, "off_duty")

    # The same roster again changes nothing, and says nothing of phones.
    counts, notes = _import(db, tmp_path / "6月.csv", june)
    assert counts == (0, 0, 4)
    assert not [n for n in notes if "手机号" in n]
    assert _workers(db) == after


def test_a_name_the_grid_does_not_tell_apart_is_a_new_worker(db: Session, tmp_path: Path) -> None:
    """Two workers of one name in the grid, or a second row naming the worker by phone: no guess."""
    seed_jurisdictions(db)
    may = [
        ["张伟", "13800000011", GRID, "在岗"],
        ["张伟", "13800000012", GRID, "在岗"],
        ["刘洋", "13800000013", GRID, "在岗"],
    ]
    assert _import(db, tmp_path / "5月.csv", may)[0] == (3, 0, 0)
    june = [
        ["张伟", "13900000011", GRID, "在岗"],  # which 张伟? neither is guessed
        ["刘洋", "13800000013", GRID, "在岗"],  # the 刘洋 on record, by phone
        ["刘洋", "13900000013", GRID, "在岗"],  # so this is another 刘洋
    ]
    counts, notes = _import(db, tmp_path / "6月.csv", june)
    assert counts == (2, 0, 1)
    assert not [n for n in notes if "手机号" in n]
    names = sorted(name for name, *_ in _workers(db).values())
    assert names == ["刘洋", "刘洋", "张伟", "张伟", "张伟"]


def test_a_phone_number_that_cannot_be_dialled_is_refused(db: Session, tmp_path: Path) -> None:
    """A digit left out (1396675851) would overwrite the number dispatch calls."""
    seed_jurisdictions(db)
    rows = [
        ["沈鹏文", "13966758510", GRID, "在岗"],
        ["李四", "1396675851", GRID, "在岗"],
        ["王五", "18736134", GRID, "在岗"],
        ["赵六", "0877-5011234", GRID, "在岗"],
    ]
    path = tmp_path / "花名册.csv"
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    options = ImportOptions(kind="workers", partial=True)
    outcome = run_import(db.connection(), path, options)
    assert [(p.row, p.column, p.value) for p in outcome.problems] == [
        (3, "联系电话", "1396675851"),
        (4, "联系电话", "18736134"),
    ]
    assert outcome.problems[0].rule == PHONE_RULE
    assert outcome.counts is not None and outcome.counts.inserted == 2
