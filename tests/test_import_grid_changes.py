"""What a grids or jurisdictions import does to the records around it (clerk F's 网格调整).

A township's new grid layer moves boundaries: persons placed by their residence point follow
it, open cases stay in their grid and are listed, grids on record the file leaves out that lie
under the new ones are named, renames are listed, and a boundary that moved only millimetres
(re-projected, its ring starting elsewhere) is 未变 (``layers.grid_changes``,
``layers.bulk._differs``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.secrets import Keys
from tests.import_fixtures import (
    GRID,
    NORTH,
    SOUTH,
    VILLAGE,
    WEST,
    add_jurisdictions,
    box,
    csv_text,
    resident_id,
    seed_jurisdictions,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
EAST_GRID = VILLAGE + "002"
SOUTH_EAST = VILLAGE + "003"
MIDDLE = 24.21
GRID_HEADERS = ["网格编码", "网格名称", "所属社区", "边界"]
NEW_VILLAGE = "530424100007"


def _grids(
    db: Session, path: Path, rows: list[list[str]], *, dry_run: bool = False
) -> ImportOutcome:
    path.write_text(csv_text(GRID_HEADERS, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="grids", dry_run=dry_run))


def _persons(db: Session, path: Path, rows: list[list[str]]) -> None:
    headers = ["姓名", "公民身份号码", "人员类别", "经度", "纬度", "所属社区", "网格编码"]
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="persons"), keys=KEYS)
    assert outcome.committed, outcome.problems


def _case(db: Session, code: str, lon: float, lat: float, state: str) -> None:
    db.execute(
        text(
            "INSERT INTO cases (code, channel, category, title, risk_level, point, area_code,"
            " grid_code, state, handling_level, reported_at) VALUES (:code, 'walk_in',"
            " 'dispute', '测试', 1, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), :area, :grid,"
            " :state, 4, now())"
        ),
        {"code": code, "lon": lon, "lat": lat, "area": VILLAGE, "grid": GRID, "state": state},
    )


def _grid_of(db: Session, name: str) -> tuple[str, str]:
    row = db.execute(
        text("SELECT grid_code, area_code FROM persons WHERE name = :n"), {"n": name}
    ).one()
    return str(row[0]), str(row[1])


def _case_grid(db: Session, code: str) -> str:
    return str(
        db.execute(text("SELECT grid_code FROM cases WHERE code = :c"), {"c": code}).scalar_one()
    )


@pytest.fixture
def township(db: Session, tmp_path: Path) -> Session:
    """The test village in three grids (west half; north-east and south-east quarters), with
    persons and cases of the west grid."""
    seed_jurisdictions(db)
    first = _grids(
        db,
        tmp_path / "旧网格.csv",
        [
            [GRID, "一网格", VILLAGE, box(WEST, SOUTH, 102.91, NORTH)],
            [EAST_GRID, "二网格", VILLAGE, box(102.91, MIDDLE, 102.92, NORTH)],
            [SOUTH_EAST, "三网格", VILLAGE, box(102.91, SOUTH, 102.92, MIDDLE)],
        ],
    )
    assert first.committed and first.counts is not None and first.counts.updated == 1
    rows = [
        ["留下", resident_id(1), "刑满释放人员", "102.905", "24.205", "", ""],
        ["东移", resident_id(2), "刑满释放人员", "102.9095", "24.215", "", ""],
        ["缝隙", resident_id(3), "刑满释放人员", "102.9085", "24.215", "", ""],
        ["无点位", resident_id(4), "刑满释放人员", "", "", VILLAGE, GRID],
        ["名册定的", resident_id(5), "刑满释放人员", "102.915", "24.215", VILLAGE, GRID],
        ["三网格的", resident_id(6), "刑满释放人员", "102.915", "24.205", "", ""],
    ]
    _persons(db, tmp_path / "人员.csv", rows)
    assert _grid_of(db, "东移") == (GRID, VILLAGE) and _grid_of(db, "三网格的")[0] == SOUTH_EAST
    _case(db, "TZ-OPEN", 102.9095, 24.216, "dispatched")
    _case(db, "TZ-CLOSED", 102.9095, 24.205, "archived")
    return db


_REDIVIDED = [  # 一网格 shrinks (a strip left between), 二网格 takes in 三网格, not listed
    [GRID, "一网格", VILLAGE, box(WEST, SOUTH, 102.908, NORTH)],
    [EAST_GRID, "二网格", VILLAGE, box(102.909, SOUTH, 102.92, NORTH)],
]


def test_a_redivision_rehomes_persons_by_their_point_and_lists_what_it_leaves(
    township: Session, tmp_path: Path
) -> None:
    db = township
    outcome = _grids(db, tmp_path / "新网格.csv", _REDIVIDED)
    assert outcome.committed and outcome.counts is not None
    assert (outcome.counts.updated, outcome.counts.unchanged) == (2, 0)
    notes = outcome.notes
    assert "边界有变的网格 2 个：一网格、二网格" in notes
    assert "1 名特殊人群按住址点位改属新网格（一网格 → 二网格 1 名）" in notes
    assert _grid_of(db, "东移") == (EAST_GRID, VILLAGE)
    # left in the strip between: in no grid, stays; the roster's grid and 三网格 stay too
    assert any(n.startswith("1 名特殊人群的住址点位已不在原网格内，但不在本县其他") for n in notes)
    assert _grid_of(db, "缝隙")[0] == GRID
    assert _grid_of(db, "名册定的")[0] == GRID and _grid_of(db, "三网格的")[0] == SOUTH_EAST
    assert "边界有变的网格中有 1 名特殊人群没有住址点位，仍属原网格，请核对" in notes
    assert _grid_of(db, "无点位")[0] == GRID
    # the open case is listed, not moved; the closed one keeps its grid, unsaid
    cases = [n for n in notes if "在办案件" in n]
    assert cases == [
        "1 件在办案件的点位已不在所属网格内，未改动（仍由原网格办理）："
        "TZ-OPEN（一网格，点位在二网格）"
    ]
    assert _case_grid(db, "TZ-OPEN") == GRID and _case_grid(db, "TZ-CLOSED") == GRID
    # 三网格 is not in the file and lies under the new 二网格
    overlap = next(n for n in notes if "不在本文件中" in n)
    assert overlap.startswith(
        f"库中有 1 个网格不在本文件中，却与本文件的网格重叠：三网格（{SOUTH_EAST}）"
        f"与二网格（{EAST_GRID}）重叠 "
    )
    assert "这些旧网格仍在使用" in overlap and "--complete" in overlap
    area_km2 = float(overlap.split("重叠 ")[1].split(" 平方公里")[0])
    assert area_km2 == pytest.approx(1.13, abs=0.02)  # 0.01° × 0.01° at 24.2°N


def test_a_refused_file_or_a_dry_run_moves_nobody_and_the_dry_run_says_the_same(
    township: Session, tmp_path: Path
) -> None:
    db = township
    nameless = [VILLAGE + "004", "", VILLAGE, box(WEST, SOUTH, 102.901, 24.201)]
    refused = _grids(db, tmp_path / "有错.csv", [*_REDIVIDED, nameless])
    assert not refused.committed and refused.counts is None
    dry = _grids(db, tmp_path / "新网格.csv", _REDIVIDED, dry_run=True)
    assert not dry.committed
    assert "1 名特殊人群按住址点位改属新网格（一网格 → 二网格 1 名）" in dry.notes
    assert any("三网格" in n and "不在本文件中" in n for n in dry.notes)
    assert _grid_of(db, "东移") == (GRID, VILLAGE)
    stored = db.execute(text("SELECT ST_XMax(boundary) FROM grids WHERE code = :c"), {"c": GRID})
    assert stored.scalar_one() == pytest.approx(102.91)
    real = _grids(db, tmp_path / "新网格.csv", _REDIVIDED)
    assert real.committed and real.notes == dry.notes
    assert _grid_of(db, "东移") == (EAST_GRID, VILLAGE)


def test_a_person_moved_into_the_next_villages_grid_takes_its_village(
    township: Session, tmp_path: Path
) -> None:
    db = township
    east_village = "530424100003"
    add_jurisdictions(
        db, [(east_village, "东村", 5, "530424100000", box(102.92, SOUTH, 102.94, NORTH))]
    )
    _grids(
        db,
        tmp_path / "东村.csv",
        [[east_village + "001", "东村一网格", east_village, box(102.92, SOUTH, 102.94, NORTH)]],
    )
    _persons(
        db,
        tmp_path / "边上.csv",
        [["边上", resident_id(7), "吸毒人员", "102.9198", "24.215", "", ""]],
    )
    assert _grid_of(db, "边上") == (EAST_GRID, VILLAGE)
    moved = _grids(
        db,
        tmp_path / "调界.csv",
        [
            [EAST_GRID, "二网格", VILLAGE, box(102.91, MIDDLE, 102.9195, NORTH)],
            [east_village + "001", "东村一网格", east_village, box(102.9195, SOUTH, 102.94, NORTH)],
        ],
    )
    assert moved.committed
    assert "1 名特殊人群按住址点位改属新网格（二网格 → 东村一网格 1 名）" in moved.notes
    assert _grid_of(db, "边上") == (east_village + "001", east_village)


def test_a_sliver_along_a_shared_edge_is_no_overlap(township: Session, tmp_path: Path) -> None:
    db = township
    sliver = _grids(  # 一网格 redrawn 5 m into 二网格 and 三网格, which the file does not list
        db, tmp_path / "一网格.csv", [[GRID, "一网格", VILLAGE, box(WEST, SOUTH, 102.91005, NORTH)]]
    )
    assert sliver.committed
    assert not [n for n in sliver.notes if "不在本文件中" in n]
    assert "边界有变的网格 1 个：一网格" in sliver.notes


def test_renamed_units_are_listed(township: Session, tmp_path: Path) -> None:
    db = township
    path = tmp_path / "村界.csv"
    path.write_text(
        csv_text(["区划代码", "名称"], [[VILLAGE, "幸福社区"], ["530424100002", "邻村村民委员会"]]),
        encoding="utf-8",
    )
    dry = run_import(db.connection(), path, ImportOptions(kind="jurisdictions", dry_run=True))
    assert "改名 1 个：测试社区 → 幸福社区" in dry.notes
    name = db.execute(text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": VILLAGE})
    assert name.scalar_one() == "测试社区"
    # a surveying bureau's layer names the committee (XZQMC 邻村村民委员会): the same village
    real = run_import(db.connection(), path, ImportOptions(kind="jurisdictions"))
    assert real.committed and real.counts is not None and real.counts.unchanged == 1
    assert "名称只多“村委会”“居委会”等字样的 1 个未改名：邻村" in real.notes
    kept = db.execute(text("SELECT name FROM jurisdictions WHERE code = '530424100002'"))
    assert kept.scalar_one() == "邻村"
    # its new villages are named as the villages beside them are: 河湾村委会 is 河湾村
    path.write_text(
        csv_text(
            ["区划代码", "名称"], [["530424100002", "邻村村民委员会"], [NEW_VILLAGE, "河湾村委会"]]
        ),
        encoding="utf-8",
    )
    added = run_import(db.connection(), path, ImportOptions(kind="jurisdictions"))
    assert added.committed and "新单位 1 个同样不写“村委会”“居委会”等字样：河湾村" in added.notes
    new = db.execute(text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": NEW_VILLAGE})
    assert new.scalar_one() == "河湾村"
    renamed = _grids(db, tmp_path / "网格.csv", [[GRID, "测试第1网格", VILLAGE, ""]])
    assert renamed.committed and "改名 1 个：一网格 → 测试第1网格" in renamed.notes
    assert not [n for n in renamed.notes if "边界" in n]


def _moved(shape: shapely.Polygon, start: int, nudge: list[float]) -> str:
    """Return ``shape`` as WKT, its ring starting at vertex ``start``, each x moved by its nudge."""
    ring = [(x + dx, y) for (x, y), dx in zip(list(shape.exterior.coords)[:-1], nudge, strict=True)]
    return shapely.Polygon(ring[start:] + ring[:start]).wkt


def test_a_boundary_moved_millimetres_with_its_ring_turned_is_unchanged(
    db: Session, tmp_path: Path
) -> None:
    """As a Shapefile round trip through Gauss-Krüger gives it (clerk F: 更新 35, 5 real)."""
    seed_jurisdictions(db)
    # x just below a multiple of 2.5e-7°: 3 mm east, snapped to 5e-7°, falls in the next cell
    west, east = 102.90000024, 102.91000024
    corners = [(west, SOUTH), (east, SOUTH), (east, 24.215), (102.905, NORTH), (west, NORTH)]
    shape = shapely.Polygon(corners)
    first = _grids(db, tmp_path / "a.csv", [[GRID, "一网格", VILLAGE, shape.wkt]])
    assert first.committed
    mm = 1e-8  # about a millimetre
    for name, start, nudge, updated in (
        ("turned", 2, [4 * mm] * 5, 0),
        # the west edge no longer upright: the canonical ring starts at another corner
        ("west edge", 0, [4 * mm] * 4 + [3 * mm], 0),
        ("reversed", 3, [4 * mm] * 5, 0),
        ("a metre", 1, [1000 * mm] * 5, 1),
    ):
        wkt = _moved(shape, start, nudge)
        if name == "reversed":
            wkt = shapely.Polygon(list(shapely.from_wkt(wkt).exterior.coords)[::-1]).wkt
        outcome = _grids(db, tmp_path / f"{start}.csv", [[GRID, "一网格", VILLAGE, wkt]])
        assert outcome.counts is not None, name
        assert (outcome.counts.updated, outcome.counts.unchanged) == (updated, 1 - updated), name
