"""A grids file checked against the grids on record, not only within itself.

A row may not give its grid the name another grid in use of its village keeps on record
(every roster or ledger row naming it would be ambiguous): refused, naming that grid, unless
the file renames it too (a swap), or retires it (撤销, 原网格编码, ``--complete``); retired
grids never count (``importers.grid_names``, ``layers.grid_changes.names_in_use``). A grid
the file draws over another grid in use, of the file or on record, is listed, not refused;
grids meeting along an edge are not; likewise villages (``layers.grid_changes.overlaps``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from importers.rules import Problem
from tests.import_fixtures import (
    EAST,
    GRID,
    NORTH,
    OTHER_VILLAGE,
    SOUTH,
    VILLAGE,
    WEST,
    box,
    csv_text,
    retire_units,
    seed_jurisdictions,
)

HEADERS = ["网格编码", "网格名称", "所属社区", "边界"]
MID_LON, MID_LAT = 102.91, 24.21
SECOND, THIRD, FOURTH = VILLAGE + "002", VILLAGE + "003", VILLAGE + "004"
QUARTERS = {  # the village in four quarters
    GRID: box(WEST, SOUTH, MID_LON, MID_LAT),
    SECOND: box(MID_LON, SOUTH, EAST, MID_LAT),
    THIRD: box(WEST, MID_LAT, MID_LON, NORTH),
    FOURTH: box(MID_LON, MID_LAT, EAST, NORTH),
}
RULE = "同一村（社区）的网格不能同名："


def _import(
    db: Session,
    path: Path,
    rows: list[list[str]],
    headers: list[str] = HEADERS,
    **options: object,
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="grids", **options))  # type: ignore[arg-type]


def _names(db: Session) -> dict[str, str]:
    rows = db.execute(text("SELECT code, name FROM grids WHERE area_code = :a"), {"a": VILLAGE})
    return {str(code): str(name) for code, name in rows}


def _refused(outcome: ImportOutcome) -> list[tuple[int, str, str | None]]:
    return [(p.row, p.column, p.value) for p in outcome.problems if p.severity == "rejected"]


def _only(outcome: ImportOutcome) -> Problem:
    [problem] = outcome.problems
    return problem


@pytest.fixture
def village(db: Session, tmp_path: Path) -> Session:
    """The test village in four grids, 测试第1网格 … 测试第4网格, edge to edge."""
    seed_jurisdictions(db)
    rows = [
        [code, f"测试第{n}网格", VILLAGE, wkt] for n, (code, wkt) in enumerate(QUARTERS.items(), 1)
    ]
    outcome = _import(db, tmp_path / "网格.csv", rows)
    assert outcome.committed, outcome.problems
    assert not [n for n in outcome.notes if "重叠" in n]  # quarters touch along their edges
    return db


# ------------------------------------------------------------------------------- names


def test_a_rename_onto_a_name_another_grid_keeps_is_refused(
    village: Session, tmp_path: Path
) -> None:
    """第三网格 is 测试第3网格 as a roster finds it: the row is refused, naming the other grid."""
    db = village
    outcome = _import(db, tmp_path / "改名.csv", [[SECOND, "测试第三网格", VILLAGE, ""]])
    assert not outcome.committed
    problem = _only(outcome)
    assert (problem.row, problem.column, problem.value) == (2, "网格名称", "测试第三网格")
    assert problem.rule.startswith(
        f"{RULE}库中在用的网格 {THIRD} 仍名为“测试第3网格”，本文件没有列出它："
    )
    assert f"请在本行的原网格编码列写 {THIRD}" in problem.rule
    assert _names(db)[SECOND] == "测试第2网格"


def test_a_new_grid_named_as_one_in_use_is_refused_unless_the_file_retires_that_one(
    village: Session, tmp_path: Path
) -> None:
    """A re-coded grid: refused beside its old code, loaded when 原网格编码 names it."""
    db = village
    recoded = VILLAGE + "007"
    row = [recoded, "测试第3网格", VILLAGE, QUARTERS[THIRD]]
    refused = _import(db, tmp_path / "新编码.csv", [row])
    assert _refused(refused) == [(2, "网格名称", "测试第3网格")]
    assert THIRD in _only(refused).rule
    headers = [*HEADERS, "原网格编码"]
    outcome = _import(db, tmp_path / "改编码.csv", [[*row, THIRD]], headers)
    assert outcome.committed and outcome.problems == []
    assert _names(db)[recoded] == "测试第3网格"
    retired = db.execute(
        text("SELECT retired_on IS NOT NULL FROM grids WHERE code = :c"), {"c": THIRD}
    )
    assert retired.scalar_one()


def test_a_grid_retired_by_its_own_row_or_by_complete_frees_its_name(
    village: Session, tmp_path: Path
) -> None:
    db = village
    # 撤销 in the file: 测试第2网格 takes in 测试第3网格 and its name
    headers = [*HEADERS, "状态", "继承网格编码"]
    rows = [
        [SECOND, "测试第3网格", VILLAGE, "", "在用", ""],
        [THIRD, "测试第3网格", VILLAGE, "", "撤销", SECOND],
    ]
    dry = _import(db, tmp_path / "撤销.csv", rows, headers, dry_run=True)
    assert dry.problems == [] and dry.counts is not None
    # --complete: the grids of the village the file leaves out are retired (测试第3网格 here)
    whole = [
        [GRID, "测试第1网格", VILLAGE, QUARTERS[GRID]],
        [SECOND, "测试第2网格", VILLAGE, QUARTERS[SECOND]],
        [FOURTH, "测试第4网格", VILLAGE, QUARTERS[FOURTH]],
        [VILLAGE + "005", "测试第3网格", VILLAGE, QUARTERS[THIRD]],
    ]
    complete = _import(db, tmp_path / "全部.csv", whole, within=VILLAGE, complete=True)
    assert complete.committed and complete.problems == []
    retired = [re.sub(r"（撤销日期[^）]*）", "", note) for note in complete.notes]
    assert f"撤销网格 1 个：测试第3网格（{THIRD} → {VILLAGE}005）" in retired
    assert _names(db)[VILLAGE + "005"] == "测试第3网格"


def test_names_swapped_within_one_file_load(village: Session, tmp_path: Path) -> None:
    db = village
    rows = [
        [SECOND, "测试第3网格", VILLAGE, ""],
        [THIRD, "测试第2网格", VILLAGE, ""],
        [FOURTH, "测试第1网格", VILLAGE, ""],
        [GRID, "测试第5网格", VILLAGE, ""],
    ]
    outcome = _import(db, tmp_path / "对调.csv", rows)
    assert outcome.committed and outcome.problems == []
    assert _names(db) == {
        GRID: "测试第5网格",
        SECOND: "测试第3网格",
        THIRD: "测试第2网格",
        FOURTH: "测试第1网格",
    }


def test_retired_grids_and_other_villages_grids_are_no_conflict(
    village: Session, tmp_path: Path
) -> None:
    db = village
    retire_units(db, [("grids", THIRD, None, "2025-01-01")])
    db.execute(
        text("INSERT INTO grids (code, name, area_code) VALUES (:c, '测试第9网格', :a)"),
        {"c": OTHER_VILLAGE + "001", "a": OTHER_VILLAGE},
    )
    rows = [[SECOND, "测试第3网格", VILLAGE, ""], [GRID, "测试第9网格", VILLAGE, ""]]
    outcome = _import(db, tmp_path / "改名.csv", rows)
    assert outcome.committed and outcome.problems == []
    assert _names(db)[SECOND] == "测试第3网格" and _names(db)[GRID] == "测试第9网格"


def test_a_refused_rename_keeps_its_old_name_so_the_row_taking_it_is_refused_too(
    village: Session, tmp_path: Path
) -> None:
    """A chain in a partial load: 3 → 4's name (refused), so 2 → 3's name is refused as well."""
    db = village
    rows = [
        [GRID, "测试第一网格", VILLAGE, ""],  # its own name, written otherwise: loads
        [THIRD, "测试第4网格", VILLAGE, ""],
        [SECOND, "测试第3网格", VILLAGE, ""],
    ]
    outcome = _import(db, tmp_path / "连环.csv", rows, partial=True)
    assert outcome.committed
    assert _refused(outcome) == [(3, "网格名称", "测试第4网格"), (4, "网格名称", "测试第3网格")]
    rules = [p.rule for p in outcome.problems]
    assert rules[0].startswith(f"{RULE}库中在用的网格 {FOURTH} 仍名为“测试第4网格”")
    assert (
        rules[1] == f"{RULE}网格 {THIRD} 仍名为“测试第3网格”（本文件第 3 行列有它，但该行被退回）"
    )
    assert _names(db) == {
        GRID: "测试第一网格",
        SECOND: "测试第2网格",
        THIRD: "测试第3网格",
        FOURTH: "测试第4网格",
    }


# ------------------------------------------------------------------------------- overlaps


def test_grids_of_one_file_overlapping_each_other_are_listed_not_refused(
    village: Session, tmp_path: Path
) -> None:
    db = village
    rows = [  # 1 and 2 redrawn over each other's half; 3 reaches 5 m into 4: a sliver
        [GRID, "测试第1网格", VILLAGE, box(WEST, SOUTH, 102.915, MID_LAT)],
        [SECOND, "测试第2网格", VILLAGE, box(102.905, SOUTH, EAST, MID_LAT)],
        [THIRD, "测试第3网格", VILLAGE, box(WEST, MID_LAT, MID_LON + 0.00005, NORTH)],
        [FOURTH, "测试第4网格", VILLAGE, QUARTERS[FOURTH]],
    ]
    outcome = _import(db, tmp_path / "重画.csv", rows)
    assert outcome.committed and outcome.problems == []
    [note] = [n for n in outcome.notes if "重叠" in n]
    head = f"本文件的网格相互重叠 1 处：测试第1网格（{GRID}）与测试第2网格（{SECOND}）重叠 "
    assert note.startswith(head), note
    km2 = float(note.removeprefix(head).split(" 平方公里")[0])
    assert km2 == pytest.approx(1.13, abs=0.02)  # 0.01° × 0.01° at 24.2°N
    assert "测试第3网格" not in note and "库中" not in note


def test_a_grid_drawn_over_a_grid_on_record_is_listed_and_a_retired_one_is_not(
    village: Session, tmp_path: Path
) -> None:
    db = village
    over = [[VILLAGE + "005", "测试第5网格", VILLAGE, box(102.905, 24.205, 102.915, 24.215)]]
    outcome = _import(db, tmp_path / "新网格.csv", over, dry_run=True)
    [note] = [n for n in outcome.notes if "重叠" in n]
    assert note.startswith("库中有 4 个网格不在本文件中，却与本文件的网格重叠："), note
    retire_units(db, [("grids", code, None, "2025-01-01") for code in (GRID, SECOND, THIRD)])
    outcome = _import(db, tmp_path / "新网格.csv", over, dry_run=True)
    [note] = [n for n in outcome.notes if "重叠" in n]
    assert note.startswith(
        f"库中有 1 个网格不在本文件中，却与本文件的网格重叠：测试第4网格（{FOURTH}）"
    )


def test_a_file_of_names_without_boundaries_lists_no_overlap(
    village: Session, tmp_path: Path
) -> None:
    """Only a boundary the file gives is compared: one on record is not the file's news."""
    db = village
    db.execute(
        text("UPDATE grids SET boundary = ST_GeomFromText(:w, 4490) WHERE code = :c"),
        {"w": box(WEST, SOUTH, 102.915, MID_LAT), "c": GRID},
    )
    outcome = _import(db, tmp_path / "名称.csv", [[GRID, "测试第1网格", VILLAGE, ""]])
    assert outcome.committed and not [n for n in outcome.notes if "重叠" in n]


def test_villages_of_one_file_overlapping_each_other_are_listed(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    path = tmp_path / "村界.csv"
    township = "530424100000"
    rows = [  # 测试社区 redrawn over half of 邻村; 邻村 as on record; a third village beside
        [VILLAGE, "测试社区", box(WEST, SOUTH, 102.96, NORTH)],
        [OTHER_VILLAGE, "邻村", box(102.95, SOUTH, 102.97, NORTH)],
        [township[:9] + "003", "东村", box(102.97, SOUTH, 102.99, NORTH)],
    ]
    path.write_text(csv_text(["区划代码", "名称", "边界"], rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="jurisdictions"))
    assert outcome.committed and outcome.problems == []
    [note] = [n for n in outcome.notes if "重叠" in n]
    head = f"本文件的同级辖区相互重叠 1 处：测试社区（{VILLAGE}）与邻村（{OTHER_VILLAGE}）重叠 "
    assert note.startswith(head), note
    assert "东村" not in note
