"""The units of the trends' map cells are placed once per set of boundaries (trial BC S2).

A cell's unit depends on the cell and the jurisdictions' boundaries, not on the filter: the
trends page's next filter looks up only the cells not placed before, and gets the same places
as computed afresh; an import of a jurisdiction's boundary is seen by the next read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import h3
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers import cell_places, trends
from layers.china_time import CHINA
from tests.import_fixtures import box, csv_text
from tests.workflow_data import COUNTY, NOW, actor, ensure_world

TOWN = "520424910000"
VILLAGE_A = "520424910001"
VILLAGE_B = "520424910002"
SOUTH, WEST = 24.40, 102.40
NORTH, MIDDLE, EAST = SOUTH + 0.02, WEST + 0.02, WEST + 0.04


def _territory(db: Session) -> None:
    ensure_world(db)
    units = [
        (TOWN, "丁家镇", 4, COUNTY, box(WEST, SOUTH, EAST, NORTH)),
        (VILLAGE_A, "丁甲村", 5, TOWN, box(WEST, SOUTH, MIDDLE, NORTH)),
        (VILLAGE_B, "丁乙村", 5, TOWN, box(MIDDLE, SOUTH, EAST, NORTH)),
    ]
    for code, name, level, parent, boundary in units:
        db.execute(
            text(
                "INSERT INTO jurisdictions (code, name, level, parent_code, boundary)"
                " VALUES (:c, :n, :l, :p, ST_Multi(ST_GeomFromText(:b, 4490)))"
            ),
            {"c": code, "n": name, "l": level, "p": parent, "b": boundary},
        )
    db.flush()


def _case(db: Session, n: int, area: str, point: tuple[float, float], channel: str) -> None:
    db.execute(
        text(
            "INSERT INTO cases (code, channel, category, title, point, area_code, state,"
            " handling_level, reported_at, risk_level) VALUES (:c, :ch, 'dispute', '历史',"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4490), :a, 'archived', 4, :t, 4)"
        ),
        {
            "c": f"cp-{n}",
            "ch": channel,
            "x": point[0],
            "y": point[1],
            "a": area,
            "t": datetime(2024, 3 + n % 6, 10, 10, tzinfo=CHINA),
        },
    )


def _fresh(db: Session, series: trends.Series) -> list[str]:
    """The cells' units as :func:`cell_places.cell_units` finds them with nothing kept."""
    polygons = [
        shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in series.cells
    ]
    saved = dict(cell_places._PLACED)
    cell_places._PLACED.clear()
    try:
        return [unit for unit, _name in cell_places.cell_units(db, TOWN, polygons)]
    finally:
        cell_places._PLACED.clear()
        cell_places._PLACED.update(saved)


@pytest.fixture
def looked_up(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many cells each read of the boundaries placed (the query only, the session real)."""
    sizes: list[int] = []
    place = cell_places._placed

    def counted(session: Session, code: str, lo: str, hi: str, wkbs: list[str]) -> Any:
        sizes.append(len(wkbs))
        return place(session, code, lo, hi, wkbs)

    monkeypatch.setattr(cell_places, "_placed", counted)
    yield sizes


def test_another_filter_places_only_new_cells_and_finds_the_same_units(
    db: Session, looked_up: list[int]
) -> None:
    _territory(db)
    for n in range(4):
        _case(db, n, VILLAGE_A, (WEST + 0.005, SOUTH + 0.01), "phone")
        _case(db, 10 + n, VILLAGE_B, (EAST - 0.005, SOUTH + 0.01), "walk_in")
    who = actor("analyst", COUNTY)
    every = trends.series(db, TOWN, actor=who, now=NOW, periods=12, end="2024-12")
    assert looked_up == [len(every.cells)]
    assert {VILLAGE_A, VILLAGE_B} <= set(every.areas)
    walk_in = trends.series(
        db,
        TOWN,
        actor=who,
        now=NOW,
        periods=12,
        end="2024-12",
        case_filter=trends.CaseFilter(channels=("walk_in",)),
    )
    assert walk_in is not every and set(walk_in.cells) < set(every.cells)
    # the walk-in cases' cells were all placed by the first read: none is looked up again
    assert looked_up == [len(every.cells)]
    assert walk_in.areas == tuple(every.areas[every.cells.index(c)] for c in walk_in.cells)
    assert walk_in.areas == tuple(_fresh(db, walk_in))
    assert every.areas == tuple(_fresh(db, every))


def test_an_imported_boundary_is_seen_by_the_next_read(db: Session, tmp_path: Path) -> None:
    _territory(db)
    for n in range(4):
        _case(db, n, VILLAGE_A, (WEST + 0.005, SOUTH + 0.01), "phone")
    who = actor("analyst", COUNTY)
    before = trends.series(db, TOWN, actor=who, now=NOW, periods=12, end="2024-12")
    occupied = before.cells[int(before.counts.sum(axis=1).argmax())]
    assert before.areas[before.cells.index(occupied)] == VILLAGE_A
    # 丁乙村's boundary redrawn to take in the west of the town, 丁甲村's to the east
    path = tmp_path / "村界.csv"
    rows = [
        [VILLAGE_A, "丁甲村", box(WEST + 0.03, SOUTH, EAST, NORTH)],
        [VILLAGE_B, "丁乙村", box(WEST, SOUTH, WEST + 0.03, NORTH)],
    ]
    path.write_text(csv_text(["区划代码", "名称", "边界"], rows), encoding="utf-8")
    assert run_import(db.connection(), path, ImportOptions(kind="jurisdictions")).committed
    after = trends.series(db, TOWN, actor=who, now=NOW, periods=12, end="2024-12")
    assert after.cells == before.cells
    assert after.areas[after.cells.index(occupied)] == VILLAGE_B
    assert after.areas == tuple(_fresh(db, after))
