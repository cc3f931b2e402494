"""Rows naming a grid a re-division split: the point wins (A6).

测试社区 has three grids: 一网格 (west half), 二网格 (north-east) and 三网格 (south-east). A grid
list splits 三网格 into 三西 and 三东, both naming it as their 原网格编码: 三网格 is retired without
a successor. A ledger written since still names 三网格 (by name or code), with a point in one of
its new parts.
"""

from __future__ import annotations

from pathlib import Path

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
    box,
    csv_text,
    imported_cases,
    resident_id,
    retire_units,
    seed_jurisdictions,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
EAST_GRID, SOUTH_EAST = VILLAGE + "002", VILLAGE + "003"
WEST_PART, EAST_PART = VILLAGE + "008", VILLAGE + "009"
MIDDLE = 24.21
GRID_HEADERS = ["网格编码", "网格名称", "所属社区", "边界"]
LAYER = [
    [GRID, "一网格", VILLAGE, box(WEST, SOUTH, 102.91, NORTH)],
    [EAST_GRID, "二网格", VILLAGE, box(102.91, MIDDLE, 102.92, NORTH)],
    [SOUTH_EAST, "三网格", VILLAGE, box(102.91, SOUTH, 102.92, MIDDLE)],
]
SPLIT = [
    [WEST_PART, "三西", VILLAGE, box(102.91, SOUTH, 102.914, MIDDLE), SOUTH_EAST],
    [EAST_PART, "三东", VILLAGE, box(102.914, SOUTH, 102.92, MIDDLE), SOUTH_EAST],
]
SPLIT_ON = "2026-03-10"
CASE_HEADERS = [
    "工单编号",
    "来源渠道",
    "事件类型",
    "所属社区",
    "所属网格",
    "经度",
    "纬度",
    "登记时间",
]
IN_EAST_PART = ("102.917", "24.205")
IN_WEST_PART = ("102.912", "24.205")
IN_FIRST_GRID = ("102.905", "24.215")


def _write(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    return path


def _split(db: Session, tmp_path: Path) -> None:
    """Seed the village's three grids, then split 三网格 (retired on :data:`SPLIT_ON`)."""
    seed_jurisdictions(db)
    layer = _write(tmp_path / "网格.csv", GRID_HEADERS, LAYER)
    assert run_import(db.connection(), layer, ImportOptions(kind="grids")).committed
    split = _write(tmp_path / "拆分.csv", [*GRID_HEADERS, "原网格编码"], SPLIT)
    assert run_import(db.connection(), split, ImportOptions(kind="grids")).committed
    retire_units(db, [("grids", SOUTH_EAST, None, SPLIT_ON)])  # the day the township gave


def _case(number: str, grid: str, point: tuple[str, str] | None) -> list[str]:
    lon, lat = point or ("", "")
    return [number, "网格员上报", "邻里纠纷", "测试社区", grid, lon, lat, "2026-04-01 09:00"]


def _import_cases(
    db: Session, tmp_path: Path, rows: list[list[str]], **options: object
) -> ImportOutcome:
    path = _write(tmp_path / "台账.csv", CASE_HEADERS, rows)
    return run_import(
        db.connection(),
        path,
        ImportOptions(kind="cases", crs="cgcs2000", **options),  # type: ignore[arg-type]
    )


def test_a_row_naming_a_split_grid_with_a_point_goes_to_the_part_around_its_point(
    db: Session, tmp_path: Path
) -> None:
    _split(db, tmp_path)
    rows = [
        _case("S-1", "三网格", IN_EAST_PART),  # by name
        _case("S-2", SOUTH_EAST, IN_WEST_PART),  # by code
        _case("S-3", "三网格", IN_FIRST_GRID),  # the point wins, wherever it lies
    ]
    outcome = _import_cases(db, tmp_path, rows)
    assert outcome.status == "loaded", outcome.problems
    assert imported_cases(db) == {
        "S-1": (EAST_PART, VILLAGE),
        "S-2": (WEST_PART, VILLAGE),
        "S-3": (GRID, VILLAGE),
    }
    by_point = f"3 行写的“三网格”已于{SPLIT_ON}撤销，按点位记入所在的在用网格"
    assert f"{by_point}（一网格 1 行、三东 1 行、三西 1 行）" in outcome.notes


def test_a_row_naming_a_split_grid_without_a_usable_point_is_refused_naming_it(
    db: Session, tmp_path: Path
) -> None:
    _split(db, tmp_path)
    rows = [
        _case("N-1", "三网格", None),
        _case("N-2", SOUTH_EAST, ("102.999", "24.205")),  # in no live grid (another village)
        _case("N-3", "三网格", IN_EAST_PART),
    ]
    outcome = _import_cases(db, tmp_path, rows, partial=True)
    refused = sorted(
        (p.row, p.column, p.rule) for p in outcome.problems if p.severity == "rejected"
    )
    said = f"“三网格”已于{SPLIT_ON}撤销，没有继承单位"
    assert refused == [
        (2, "所属网格", f"{said}：请写现在的网格"),
        (3, "所属网格", f"{said}，点位也不在在用的网格内：请写现在的网格"),
    ]
    assert imported_cases(db) == {"N-3": (EAST_PART, VILLAGE)}


def test_a_row_naming_a_merged_grid_goes_by_its_point_else_to_the_successor(
    db: Session, tmp_path: Path
) -> None:
    """三网格 merged into 二网格: a point in 一网格 wins over the successor; else the successor."""
    seed_jurisdictions(db)
    layer = _write(tmp_path / "网格.csv", GRID_HEADERS, LAYER)
    assert run_import(db.connection(), layer, ImportOptions(kind="grids")).committed
    retire_units(db, [("grids", SOUTH_EAST, EAST_GRID, SPLIT_ON)])
    rows = [
        _case("M-1", "三网格", IN_FIRST_GRID),
        _case("M-2", "三网格", None),
        _case("M-3", SOUTH_EAST, ("102.915", "24.205")),  # inside the old boundary: no live grid
    ]
    outcome = _import_cases(db, tmp_path, rows)
    assert outcome.status == "loaded", outcome.problems
    assert imported_cases(db) == {
        "M-1": (GRID, VILLAGE),
        "M-2": (EAST_GRID, VILLAGE),
        "M-3": (EAST_GRID, VILLAGE),
    }
    by_point = f"1 行写的“三网格”已于{SPLIT_ON}撤销，按点位记入所在的在用网格"
    assert f"{by_point}（一网格 1 行）" in outcome.notes
    assert f"2 行写的“三网格”已于{SPLIT_ON}撤销，记入继承的“二网格”" in outcome.notes


def test_a_person_naming_a_split_grid_goes_to_the_part_around_their_residence(
    db: Session, tmp_path: Path
) -> None:
    """Persons share the rule (``importers.names.follow_retired``)."""
    _split(db, tmp_path)
    path = _write(
        tmp_path / "人员.csv",
        ["姓名", "公民身份号码", "人员类别", "所属社区", "所属网格", "经度", "纬度"],
        [["拆分后的", resident_id(7), "刑满释放人员", "测试社区", "三网格", *IN_EAST_PART]],
    )
    outcome = run_import(
        db.connection(), path, ImportOptions(kind="persons", crs="cgcs2000"), keys=KEYS
    )
    assert outcome.status == "loaded", outcome.problems
    grid = db.execute(text("SELECT grid_code FROM persons WHERE name = '拆分后的'")).scalar_one()
    assert grid == EAST_PART


def test_a_camera_naming_a_split_village_goes_to_the_new_village_around_it(
    db: Session, tmp_path: Path
) -> None:
    """Villages share the rule: 测试社区 split into 测试西村 and 测试东村 (原区划代码 in both)."""
    seed_jurisdictions(db)
    west, east = "530424100011", "530424100012"
    villages = _write(
        tmp_path / "拆分村.csv",
        ["区划代码", "名称", "边界", "原区划代码"],
        [
            [west, "测试西村", box(WEST, SOUTH, 102.91, NORTH), VILLAGE],
            [east, "测试东村", box(102.91, SOUTH, 102.92, NORTH), VILLAGE],
        ],
    )
    split = run_import(db.connection(), villages, ImportOptions(kind="jurisdictions"))
    assert split.committed, split.problems
    retire_units(db, [("jurisdictions", VILLAGE, None, SPLIT_ON)])
    cameras = _write(
        tmp_path / "监控.csv",
        ["国标编码", "点位名称", "经度", "纬度", "所属社区"],
        [
            ["53042400001320000011", "东村路口", *IN_EAST_PART, "测试社区"],
            ["53042400001320000012", "村外", "102.999", "24.205", VILLAGE],  # in no village
        ],
    )
    outcome = run_import(
        db.connection(), cameras, ImportOptions(kind="video", crs="cgcs2000", partial=True)
    )
    assert outcome.status == "partial"
    assert [(p.row, p.rule) for p in outcome.problems if p.severity == "rejected"] == [
        (
            3,
            f"“测试社区”已于{SPLIT_ON}撤销，没有继承单位，点位也不在在用的村（社区）内："
            "请写现在的村（社区）",
        )
    ]
    camera = text("SELECT area_code FROM video_points WHERE device_id = '53042400001320000011'")
    area = db.execute(camera).scalar_one()
    assert area == east
    assert (
        f"1 行写的“测试社区”已于{SPLIT_ON}撤销，按点位记入所在的在用村（社区）（测试东村 1 行）"
        in outcome.notes
    )
