"""A grids or jurisdictions ``--complete`` that would retire many of its area's waits for --again.

Trial AR S1: an administrator whose scope is the province imported one village's 4 grids as
the complete list and withdrew 691 of the county's 695 grids with one click. Cameras and
persons already waited for ``--again`` when a list would end half of its area's; grids and
jurisdictions now do too (:func:`layers.complete_list.unconfirmed`): the rows load, nothing is
retired, and a red alarm (a :class:`importers.loading.HeldBack`: the command exits 1) says
``将撤销网格 2 个（占本范围 3 个的 67%）`` and how to confirm it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.cli import held_back
from importers.loading import HeldBack
from layers.complete_list import ENDING_SHARE
from tests.import_fixtures import (
    EAST_GRID,
    GRID,
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


def _in_use(db: Session, table: str, codes: list[str]) -> list[str]:
    rows = db.execute(
        text(f"SELECT code FROM {table} WHERE code = ANY(:c) AND retired_on IS NULL ORDER BY 1"),
        {"c": codes},
    )
    return [str(code) for (code,) in rows]


@pytest.fixture
def village(db: Session, tmp_path: Path) -> Session:
    """The test village in three grids."""
    seed_three_grids(db, tmp_path)
    return db


def test_one_grid_as_the_whole_village_retires_nothing_until_confirmed(
    village: Session, tmp_path: Path
) -> None:
    db = village
    path, one = tmp_path / "一网格.csv", GRID_LAYER[:1]
    for dry_run in (True, False):
        outcome = import_csv(
            db,
            path,
            GRID_HEADERS,
            one,
            within=VILLAGE,
            complete=True,
            dry_run=dry_run,
        )
        assert outcome.committed != dry_run and held_back(outcome.notes), outcome.notes
        (alarm,) = [n for n in outcome.notes if isinstance(n, HeldBack)]
        assert "测试社区（530424100001）将撤销网格 2 个（占本范围 3 个的 67%）" in alarm
        assert "--complete --again" in alarm
        assert ENDING_SHARE.findall(alarm) == [("网格", "2", "3")]
        assert outcome.counts is not None and outcome.counts.ended == 0
        assert _in_use(db, "grids", [EAST_GRID, SOUTH_EAST]) == [EAST_GRID, SOUTH_EAST]
        assert not [n for n in outcome.notes if n.startswith("撤销网格")]
    confirmed = import_csv(db, path, GRID_HEADERS, one, within=VILLAGE, complete=True, again=True)
    assert confirmed.committed and not held_back(confirmed.notes)
    assert _in_use(db, "grids", [GRID, EAST_GRID, SOUTH_EAST]) == [GRID]
    assert confirmed.counts is not None and confirmed.counts.ended == 2


def test_the_area_counts_the_grids_of_the_whole_range_given(
    village: Session, tmp_path: Path
) -> None:
    """The range is --within's: the county's grids, not only the file's village (trial AR)."""
    db = village
    db.execute(
        text(
            "INSERT INTO grids (code, name, area_code, boundary) VALUES"
            " (:c, '邻村一网格', :a, ST_GeomFromText(:w, 4490))"
        ),
        {"c": OTHER_VILLAGE + "001", "a": OTHER_VILLAGE, "w": box(102.95, SOUTH, 102.97, NORTH)},
    )
    in_county = db.execute(
        text(
            "SELECT count(*) FROM grids WHERE area_code >= '530424' AND area_code < '530425'"
            " AND retired_on IS NULL"
        )
    ).scalar_one()
    outcome = import_csv(
        db, tmp_path / "一网格.csv", GRID_HEADERS, GRID_LAYER[:1], within="530424",
        complete=True, dry_run=True,
    )  # fmt: skip
    (alarm,) = [n for n in outcome.notes if isinstance(n, HeldBack)]
    assert ENDING_SHARE.findall(alarm) == [("网格", str(in_county - 1), str(in_county))]
    assert "华宁县（530424000000）" in alarm


def test_a_few_grids_of_many_need_no_confirmation(village: Session, tmp_path: Path) -> None:
    """One grid of three left out is under the rule: retired at once, no alarm."""
    db = village
    outcome = import_csv(
        db,
        tmp_path / "调整.csv",
        GRID_HEADERS,
        GRID_LAYER[:2],
        within=VILLAGE,
        complete=True,
    )
    assert outcome.committed and not held_back(outcome.notes)
    assert _in_use(db, "grids", [SOUTH_EAST]) == []


def test_half_the_villages_of_a_township_wait_for_again(db: Session, tmp_path: Path) -> None:
    seed_jurisdictions(db)
    rows = [[VILLAGE, "测试社区", box(WEST, SOUTH, 102.92, NORTH)]]  # 邻村 left out
    headers, path = ["区划代码", "名称", "边界"], tmp_path / "村.csv"
    outcome = import_csv(
        db, path, headers, rows, kind="jurisdictions", within="530424100", complete=True
    )
    assert outcome.committed and held_back(outcome.notes)
    (alarm,) = [n for n in outcome.notes if isinstance(n, HeldBack)]
    assert "宁州街道（530424100000）将撤销区划 1 个（占本范围 2 个的 50%）" in alarm
    assert _in_use(db, "jurisdictions", [OTHER_VILLAGE]) == [OTHER_VILLAGE]


def test_a_village_s_complete_list_leaves_the_next_village_s_grids_alone(
    village: Session, tmp_path: Path
) -> None:
    """The village's range ends before the next village's code: its grids are not the file's."""
    db = village
    neighbour = OTHER_VILLAGE + "001"  # 530424100002001: OTHER_VILLAGE is the range's end
    db.execute(
        text(
            "INSERT INTO grids (code, name, area_code, boundary) VALUES"
            " (:c, '邻村一网格', :a, ST_GeomFromText(:w, 4490))"
        ),
        {"c": neighbour, "a": OTHER_VILLAGE, "w": box(102.95, SOUTH, 102.97, NORTH)},
    )
    dry = import_csv(
        db, tmp_path / "调整.csv", GRID_HEADERS, GRID_LAYER[:1], within=VILLAGE,
        complete=True, dry_run=True,
    )  # fmt: skip
    (alarm,) = [n for n in dry.notes if isinstance(n, HeldBack)]
    assert ENDING_SHARE.findall(alarm) == [("网格", "2", "3")]  # not 3 of 4
    outcome = import_csv(
        db,
        tmp_path / "调整.csv",
        GRID_HEADERS,
        GRID_LAYER[:2],
        within=VILLAGE,
        complete=True,
    )
    assert outcome.committed and _in_use(db, "grids", [SOUTH_EAST, neighbour]) == [neighbour]
