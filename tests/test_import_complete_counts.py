"""Units a grids or jurisdictions file retires without a row of their own count as 更新.

Persons struck off and cameras retired by a ``--complete`` list already count as updated (the
summary's 更新, ``zongzhi imports``' 写入, a file imported again): records the import changed
that are not rows of the file. Grids and villages retired by ``--complete`` (and the codes a
row's 原编码 retires) are such records too: a ``--complete`` that retired a grid does not say
更新 0, nor 本次没有改变任何记录 (``layers.unit_retirement``, ``importers.loading``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOutcome
from importers.summary import earlier_note
from layers.import_runs import ImportRecord
from tests.import_fixtures import (
    EAST_GRID,
    GRID_HEADERS,
    GRID_LAYER,
    NORTH,
    OTHER_VILLAGE,
    SOUTH,
    SOUTH_EAST,
    VILLAGE,
    WEST,
    box,
    import_csv,
    seed_jurisdictions,
    seed_three_grids,
)


def _rows_loaded(db: Session, outcome: ImportOutcome) -> int:
    return int(
        db.execute(
            text("SELECT rows_loaded FROM import_runs WHERE id = :i"), {"i": outcome.import_id}
        ).scalar_one()
    )


def _retired(db: Session, table: str, code: str) -> bool:
    return bool(
        db.execute(
            text(f"SELECT retired_on IS NOT NULL FROM {table} WHERE code = :c"), {"c": code}
        ).scalar_one()
    )


@pytest.fixture
def village(db: Session, tmp_path: Path) -> Session:
    """The test village in three grids."""
    seed_three_grids(db, tmp_path)
    return db


def test_a_grid_retired_by_complete_counts_as_updated(village: Session, tmp_path: Path) -> None:
    db = village
    path = tmp_path / "网格调整.csv"
    dry = import_csv(
        db,
        path,
        GRID_HEADERS,
        GRID_LAYER[:2],
        within=VILLAGE,
        complete=True,
        dry_run=True,
    )
    assert dry.counts is not None and (dry.counts.updated, dry.counts.unchanged) == (1, 2)
    outcome = import_csv(db, path, GRID_HEADERS, GRID_LAYER[:2], within=VILLAGE, complete=True)
    assert outcome.committed and _retired(db, "grids", SOUTH_EAST)
    assert outcome.counts is not None
    assert (outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged) == (0, 1, 2)
    assert _rows_loaded(db, outcome) == 1  # zongzhi imports' 写入
    # what the summary says of a file imported before: this run changed a record
    earlier = ImportRecord(
        id=1, kind="grids", file_name=path.name, sha256="0" * 64, source_crs="cgcs2000",
        username="网格办", started_at=datetime(2026, 12, 1, 9, tzinfo=UTC), status="loaded",
        rows_total=2, rows_loaded=2, rows_rejected=0,
    )  # fmt: skip
    said = earlier_note(earlier, outcome)
    assert "没有改变任何记录" not in said and said.endswith("本次更新 1 行")
    again = import_csv(db, path, GRID_HEADERS, GRID_LAYER[:2], within=VILLAGE, complete=True)
    assert again.counts is not None and again.counts.updated == 0  # nothing left to retire


def test_a_village_retired_by_complete_counts_as_updated(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    rows = [[VILLAGE, "测试社区", box(WEST, SOUTH, 102.92, NORTH)]]  # 邻村 left out
    headers, path = ["区划代码", "名称", "边界"], tmp_path / "村.csv"
    assert import_csv(db, path, headers, rows, kind="jurisdictions").committed  # 测试社区 as filed
    outcome = import_csv(  # one of the township's two villages: half, confirmed with --again
        db,
        path,
        headers,
        rows,
        kind="jurisdictions",
        within="530424100000",
        complete=True,
        again=True,
    )
    assert outcome.committed, outcome.problems
    assert _retired(db, "jurisdictions", OTHER_VILLAGE)
    assert outcome.counts is not None
    assert (outcome.counts.updated, outcome.counts.unchanged) == (1, 1)


def test_a_code_retired_by_a_rows_former_code_counts_as_updated(
    village: Session, tmp_path: Path
) -> None:
    """A row's 原网格编码 retires a grid the file has no row of: a record changed too."""
    db = village
    rows = [[EAST_GRID, "二网格", VILLAGE, box(102.91, SOUTH, 102.92, NORTH), SOUTH_EAST]]
    outcome = import_csv(
        db, tmp_path / "合并.csv", [*GRID_HEADERS, "原网格编码"], rows, kind="grids"
    )
    assert outcome.committed, outcome.problems
    assert _retired(db, "grids", SOUTH_EAST)
    assert outcome.counts is not None and outcome.counts.updated == 2  # the row, and 三网格
