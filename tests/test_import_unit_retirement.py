"""A re-division retires grids and villages (``layers.unit_retirement``, clerk F's trial).

A grid list or a village layer says what the re-division abolished: a 状态 of 撤销 (with its
继承编码), a new unit's 原编码, or ``--within … --complete`` (the file is the whole layer). The
units retired stay on record; their persons, open cases, workers and cameras move to the unit
in use around their point, else to the successor; a closed case keeps its unit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, run_import
from layers.database import apply_scope
from layers.secrets import Keys
from tests.import_fixtures import (
    EAST_GRID,
    GRID,
    GRID_HEADERS,
    GRID_LAYER,
    MIDDLE,
    NORTH,
    OTHER_VILLAGE,
    SOUTH,
    SOUTH_EAST,
    VILLAGE,
    WEST,
    box,
    csv_text,
    import_app,
    import_csv,
    resident_id,
    seed_three_grids,
)

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
MERGED = [  # 二网格 takes in 三网格
    [GRID, "一网格", VILLAGE, box(WEST, SOUTH, 102.91, NORTH)],
    [EAST_GRID, "二网格", VILLAGE, box(102.91, SOUTH, 102.92, NORTH)],
]


def _one(db: Session, query: str, **params: object) -> object:
    return db.execute(text(query), params).scalar_one()


def _undated(notes: list[str]) -> list[str]:
    """Return the notes without the day of a retirement (``（撤销日期按今天 … 记；…）``)."""
    return [re.sub(r"（撤销日期[^）]*）", "", note) for note in notes]


def _retired(db: Session, code: str, table: str = "grids") -> tuple[object, object]:
    row = db.execute(
        text(f"SELECT retired_on IS NOT NULL, successor_code FROM {table} WHERE code = :c"),
        {"c": code},
    ).one()
    return row[0], row[1]


@pytest.fixture
def village(db: Session, tmp_path: Path) -> Session:
    """The test village in three grids; in 三网格 a person, a worker, an open and a closed case."""
    seed_three_grids(db, tmp_path)
    persons = tmp_path / "人员.csv"
    persons.write_text(
        csv_text(
            ["姓名", "公民身份号码", "人员类别", "经度", "纬度"],
            [["三网格的", resident_id(1), "刑满释放人员", "102.915", "24.205"]],
        ),
        encoding="utf-8",
    )
    assert run_import(db.connection(), persons, ImportOptions(kind="persons"), keys=KEYS).committed
    db.execute(
        text(
            "INSERT INTO workers (name, phone, role, status, area_code, home_grid) VALUES"
            " ('三网格员', '13900000003', 'grid_worker', 'off_duty', :v, :g)"
        ),
        {"v": VILLAGE, "g": SOUTH_EAST},
    )
    for code, state in (("TZ-OPEN", "dispatched"), ("TZ-CLOSED", "archived")):
        db.execute(
            text(
                "INSERT INTO cases (code, channel, category, title, risk_level, point, area_code,"
                " grid_code, state, handling_level, reported_at) VALUES (:code, 'walk_in',"
                " 'dispute', '测试', 1, ST_SetSRID(ST_MakePoint(102.915, 24.205), 4490), :v, :g,"
                " :state, 4, now())"
            ),
            {"code": code, "v": VILLAGE, "g": SOUTH_EAST, "state": state},
        )
    return db


def _where_is(db: Session) -> dict[str, object]:
    return {
        "person": _one(db, "SELECT grid_code FROM persons WHERE name = '三网格的'"),
        "worker": _one(db, "SELECT home_grid FROM workers WHERE name = '三网格员'"),
        "open": _one(db, "SELECT grid_code FROM cases WHERE code = 'TZ-OPEN'"),
        "closed": _one(db, "SELECT grid_code FROM cases WHERE code = 'TZ-CLOSED'"),
    }


def test_a_complete_layer_retires_the_grids_it_leaves_out_and_rehomes_their_records(
    village: Session, tmp_path: Path
) -> None:
    db = village
    dry = import_csv(
        db,
        tmp_path / "新网格.csv",
        GRID_HEADERS,
        MERGED,
        within=VILLAGE,
        complete=True,
        dry_run=True,
    )
    assert "撤销网格 1 个：三网格 → 二网格" in _undated(dry.notes)
    assert _retired(db, SOUTH_EAST) == (False, None)  # a dry run writes nothing
    outcome = import_csv(
        db, tmp_path / "新网格.csv", GRID_HEADERS, MERGED, within=VILLAGE, complete=True
    )
    assert outcome.committed and outcome.notes == dry.notes
    assert "改属在用网格（按点位，否则归继承单位）：特殊人群 1 名、在办案件 1 件、网格员 1 名" in (
        outcome.notes
    )
    assert not [n for n in outcome.notes if "不在本文件中" in n]  # no overlap left to report
    assert _retired(db, SOUTH_EAST) == (True, EAST_GRID)
    assert _where_is(db) == {
        "person": EAST_GRID,
        "worker": EAST_GRID,
        "open": EAST_GRID,
        "closed": SOUTH_EAST,  # where it was handled
    }
    event = db.execute(
        text(
            "SELECT e.action, e.note FROM case_events AS e JOIN cases AS c ON c.id = e.case_id"
            " WHERE c.code = 'TZ-OPEN' ORDER BY e.id DESC LIMIT 1"
        )
    ).one()
    assert tuple(event) == ("rehomed", "区划网格调整：三网格 → 二网格")
    again = import_csv(
        db, tmp_path / "新网格.csv", GRID_HEADERS, MERGED, within=VILLAGE, complete=True, again=True
    )
    assert again.committed and not [n for n in again.notes if "撤销" in n]


def test_without_complete_the_grids_left_out_stay_and_the_overlap_is_named(
    village: Session, tmp_path: Path
) -> None:
    outcome = import_csv(village, tmp_path / "新网格.csv", GRID_HEADERS, MERGED)
    assert outcome.committed and _retired(village, SOUTH_EAST) == (False, None)
    assert any("三网格" in n and "--complete" in n for n in outcome.notes)


def test_a_status_of_retired_retires_the_grid_with_its_successor(
    village: Session, tmp_path: Path
) -> None:
    db = village
    headers = [*GRID_HEADERS, "状态", "撤销日期", "继承网格编码"]
    rows = [[*r, "在用", "", ""] for r in MERGED] + [
        [SOUTH_EAST, "三网格", VILLAGE, "", "已撤销", "2026-03-10", EAST_GRID]
    ]
    outcome = import_csv(db, tmp_path / "调整.csv", headers, rows)
    assert outcome.committed and outcome.counts is not None
    assert (outcome.counts.updated, outcome.counts.unchanged) == (2, 1)
    assert "撤销网格 1 个：三网格 → 二网格" in _undated(outcome.notes)
    day = _one(db, "SELECT retired_on::text FROM grids WHERE code = :c", c=SOUTH_EAST)
    assert day == "2026-03-10" and _retired(db, SOUTH_EAST) == (True, EAST_GRID)
    assert _where_is(db)["person"] == EAST_GRID


def test_a_former_code_retires_the_recoded_grid(village: Session, tmp_path: Path) -> None:
    db = village
    recoded = VILLAGE + "007"
    rows = [[recoded, "三网格", VILLAGE, box(102.91, SOUTH, 102.92, MIDDLE), SOUTH_EAST]]
    outcome = import_csv(db, tmp_path / "改编码.csv", [*GRID_HEADERS, "原网格编码"], rows)
    assert outcome.committed
    assert f"撤销网格 1 个：三网格（{SOUTH_EAST} → {recoded}）" in _undated(outcome.notes)
    assert _retired(db, SOUTH_EAST) == (True, recoded)
    assert _where_is(db) == {
        "person": recoded,
        "worker": recoded,
        "open": recoded,
        "closed": SOUTH_EAST,
    }


def test_a_grid_split_in_two_has_no_successor_and_its_records_follow_their_points(
    village: Session, tmp_path: Path
) -> None:
    db = village
    rows = [  # 三网格 split into a west and an east half, both naming it as their former code
        [VILLAGE + "008", "三西", VILLAGE, box(102.91, SOUTH, 102.914, MIDDLE), SOUTH_EAST],
        [VILLAGE + "009", "三东", VILLAGE, box(102.914, SOUTH, 102.92, MIDDLE), SOUTH_EAST],
    ]
    outcome = import_csv(db, tmp_path / "拆分.csv", [*GRID_HEADERS, "原网格编码"], rows)
    assert outcome.committed and "撤销网格 1 个：三网格" in _undated(outcome.notes)
    assert _retired(db, SOUTH_EAST) == (True, None)
    placed = _where_is(db)
    assert placed["person"] == placed["open"] == VILLAGE + "009"
    assert placed["worker"] == SOUTH_EAST  # a roster's assignment: no point to follow
    assert any(n.startswith("仍留在已撤销网格中") and "网格员 1 名" in n for n in outcome.notes)


def test_a_retired_grid_listed_again_is_refused_unless_its_status_says_in_use(
    village: Session, tmp_path: Path
) -> None:
    db = village
    assert import_csv(
        db, tmp_path / "新网格.csv", GRID_HEADERS, MERGED, within=VILLAGE, complete=True
    ).committed
    old = import_csv(
        db, tmp_path / "网格.csv", GRID_HEADERS, GRID_LAYER, again=True
    )  # the old layer resent
    assert not old.committed
    (problem,) = [p for p in old.problems if p.severity == "rejected"]
    assert problem.rule.startswith("三网格已于") and "由二网格继承" in problem.rule
    assert problem.rule.endswith("请在状态列写在用")
    back = import_csv(
        db, tmp_path / "恢复.csv", [*GRID_HEADERS, "状态"], [[*GRID_LAYER[2], "在用"]]
    )
    assert back.committed and "恢复使用已撤销的网格 1 个：三网格" in back.notes
    assert _retired(db, SOUTH_EAST) == (False, None)


def test_a_successor_that_is_nowhere_and_an_unknown_status_are_refused(
    village: Session, tmp_path: Path
) -> None:
    headers = ["网格编码", "网格名称", "所属社区", "状态", "继承网格编码"]
    rows = [
        [SOUTH_EAST, "三网格", VILLAGE, "撤销", VILLAGE + "099"],
        [EAST_GRID, "二网格", VILLAGE, "待定", ""],
    ]
    outcome = import_csv(village, tmp_path / "有错.csv", headers, rows)
    assert not outcome.committed
    rules = {p.column: p.rule for p in outcome.problems if p.severity == "rejected"}
    assert rules["继承网格编码"].startswith(f"{VILLAGE}099 不在数据库中在用的网格里")
    assert rules["状态"].startswith("必须是在用（或正常、新增、调整、更名等），或撤销")
    assert _retired(village, SOUTH_EAST) == (False, None)


def test_merged_villages_retire_and_their_records_and_accounts_follow(
    village: Session, tmp_path: Path
) -> None:
    db = village
    merged = "530424100009"
    db.execute(
        text(
            "INSERT INTO video_points (device_id, name, fov_deg, range_m, status, point, area_code)"
            " VALUES ('53042400001320000001', '邻村路口', 60, 80, 'online',"
            " ST_SetSRID(ST_MakePoint(102.96, 24.21), 4490), :v)"
        ),
        {"v": OTHER_VILLAGE},
    )
    db.execute(
        text(
            "INSERT INTO users (username, display_name, password_hash, role, scope_code)"
            " VALUES ('commander.linchun', '邻村指挥', 'x', 'commander', :v)"
        ),
        {"v": OTHER_VILLAGE},
    )
    db.execute(  # the open case is with the village's committee
        text(
            "INSERT INTO dispatches (case_id, area_code, assignee_kind, unit_code, status)"
            " SELECT id, area_code, 'unit', area_code, 'assigned' FROM cases WHERE code = 'TZ-OPEN'"
        )
    )
    headers = ["区划代码", "名称", "边界", "原区划代码"]
    rows = [[merged, "新合村", box(WEST, SOUTH, 102.97, NORTH), f"{VILLAGE}、{OTHER_VILLAGE}"]]
    outcome = import_csv(db, tmp_path / "撤并村.csv", headers, rows, kind="jurisdictions")
    assert outcome.committed, outcome.problems
    assert "撤销区划 2 个：测试社区 → 新合村、邻村 → 新合村" in _undated(outcome.notes)
    assert _retired(db, OTHER_VILLAGE, "jurisdictions") == (True, merged)
    camera = _one(db, "SELECT area_code FROM video_points WHERE name = '邻村路口'")
    person = _one(db, "SELECT area_code FROM persons WHERE name = '三网格的'")
    open_case = _one(db, "SELECT area_code FROM cases WHERE code = 'TZ-OPEN'")
    closed = _one(db, "SELECT area_code FROM cases WHERE code = 'TZ-CLOSED'")
    assert (camera, person, open_case, closed) == (merged, merged, merged, VILLAGE)
    dispatch = db.execute(
        text(
            "SELECT d.area_code, d.unit_code FROM dispatches AS d JOIN cases AS c"
            " ON c.id = d.case_id WHERE c.code = 'TZ-OPEN'"
        )
    ).one()
    assert tuple(dispatch) == (merged, merged)  # the new village's commander sees who has it
    assert any("commander.linchun" in n and "管辖范围已撤销" in n for n in outcome.notes)
    assert any(n.startswith("已撤销的村（社区）仍有在用网格：测试社区 3 个") for n in outcome.notes)


def test_a_moved_case_shows_its_whole_history_to_its_new_village(
    village: Session, tmp_path: Path
) -> None:
    """The events before the move stay in the retired village's unit, yet read with the case."""
    db = village
    merged = "530424100009"
    db.execute(
        text(
            "INSERT INTO case_events (case_id, area_code, actor_name, action, to_state, note)"
            " SELECT id, area_code, '测试社区值班员', 'register', state, '群众来访'"
            " FROM cases WHERE code IN ('TZ-OPEN', 'TZ-CLOSED')"
        )
    )
    headers = ["区划代码", "名称", "边界", "原区划代码"]
    rows = [[merged, "新合村", box(WEST, SOUTH, 102.97, NORTH), f"{VILLAGE}、{OTHER_VILLAGE}"]]
    assert import_csv(db, tmp_path / "撤并村.csv", headers, rows, kind="jurisdictions").committed
    history = text(
        "SELECT c.code, e.action, e.area_code FROM case_events AS e JOIN cases AS c"
        " ON c.id = e.case_id WHERE c.code IN ('TZ-OPEN', 'TZ-CLOSED') ORDER BY e.id"
    )
    apply_scope(db, merged, set_role=True)
    seen_by_new_village = [tuple(r) for r in db.execute(history)]
    apply_scope(db, OTHER_VILLAGE)
    seen_by_a_neighbour = db.execute(history).all()
    db.execute(text("RESET ROLE"))
    # the closed case stayed where it was handled: its event is not the new village's to read
    assert seen_by_new_village == [("TZ-OPEN", "register", VILLAGE), ("TZ-OPEN", "rehomed", merged)]
    assert seen_by_a_neighbour == []


def test_complete_needs_within_and_a_unit_kind(tmp_path: Path) -> None:
    path = tmp_path / "网格.csv"
    path.write_text(csv_text(GRID_HEADERS, GRID_LAYER), encoding="utf-8")
    runner = CliRunner()
    for args in (
        ["grids", str(path), "--complete"],
        ["cases", str(path), "--within", VILLAGE, "--complete"],
    ):
        result = runner.invoke(import_app(), ["import", *args])
        assert result.exit_code == 2
        assert "--complete 只用于网格" in result.output


def test_a_merged_grids_row_naming_its_own_code_among_the_former_keeps_it(
    village: Session, tmp_path: Path
) -> None:
    """The clerk's 调整后网格一览表: 合并, with the grid itself and the one merged as 原网格编码."""
    db = village
    headers = [*GRID_HEADERS, "变更情况", "原网格编码"]
    rows = [
        [*MERGED[0], "无变化", ""],
        [*MERGED[1], "合并", f"{EAST_GRID}、{SOUTH_EAST}"],
    ]
    outcome = import_csv(db, tmp_path / "一览表.csv", headers, rows)
    assert outcome.committed, outcome.problems
    assert "撤销网格 1 个：三网格 → 二网格" in _undated(outcome.notes)
    assert _retired(db, EAST_GRID) == (False, None)
    assert _retired(db, SOUTH_EAST) == (True, EAST_GRID)


def test_a_retirement_stated_again_without_its_date_or_successor_keeps_them(
    village: Session, tmp_path: Path
) -> None:
    db = village
    headers = ["网格编码", "网格名称", "所属社区", "状态", "撤销日期", "继承网格编码"]
    first = [[SOUTH_EAST, "三网格", VILLAGE, "撤销", "2025-03-10", EAST_GRID]]
    assert import_csv(db, tmp_path / "撤销.csv", headers, first).committed
    again = [[SOUTH_EAST, "三网格", VILLAGE, "已撤销", "", ""]]
    assert import_csv(db, tmp_path / "撤销（去年版）.csv", headers, again).committed
    day = _one(db, "SELECT retired_on::text FROM grids WHERE code = :c", c=SOUTH_EAST)
    assert (day, _retired(db, SOUTH_EAST)) == ("2025-03-10", (True, EAST_GRID))


def test_a_change_word_keeps_a_retired_grid_retired_and_only_in_use_brings_it_back(
    village: Session, tmp_path: Path
) -> None:
    """合并, 编码变更 … are written of the grids a re-division abolished and of those it made."""
    db = village
    assert import_csv(
        db, tmp_path / "新网格.csv", GRID_HEADERS, MERGED, within=VILLAGE, complete=True
    ).committed
    changed = import_csv(
        db, tmp_path / "补报.csv", [*GRID_HEADERS, "变更情况"], [[*GRID_LAYER[2], "合并"]]
    )
    assert changed.committed and _retired(db, SOUTH_EAST) == (True, EAST_GRID)
    assert not [n for n in changed.notes if "恢复" in n]
    back = import_csv(
        db, tmp_path / "恢复.csv", [*GRID_HEADERS, "变更情况"], [[*GRID_LAYER[2], "恢复使用"]]
    )
    assert back.committed and _retired(db, SOUTH_EAST) == (False, None)


def test_complete_with_rejected_rows_retires_nothing(village: Session, tmp_path: Path) -> None:
    db = village
    rows = [*MERGED, [SOUTH_EAST, "", VILLAGE, box(102.91, SOUTH, 102.92, MIDDLE)]]  # no name
    outcome = import_csv(
        db, tmp_path / "新网格.csv", GRID_HEADERS, rows, within=VILLAGE, complete=True, partial=True
    )
    assert outcome.committed and outcome.counts is not None and outcome.counts.updated == 1
    assert any(n.startswith("有退回的行，未按 --complete 撤销") for n in outcome.notes)
    assert _retired(db, SOUTH_EAST) == (False, None)


def test_a_moved_boundary_never_sends_a_person_into_a_retired_grid(
    village: Session, tmp_path: Path
) -> None:
    db = village
    persons = tmp_path / "一网格人员.csv"
    persons.write_text(
        csv_text(
            ["姓名", "公民身份号码", "人员类别", "经度", "纬度"],
            [["一网格的", resident_id(2), "刑满释放人员", "102.907", "24.205"]],
        ),
        encoding="utf-8",
    )
    assert run_import(db.connection(), persons, ImportOptions(kind="persons"), keys=KEYS).committed
    headers = [*GRID_HEADERS, "状态", "继承网格编码"]
    rows = [  # 一网格 shrinks; 二网格 takes its strip and 三网格, redrawn over the strip, retired
        [GRID, "一网格", VILLAGE, box(WEST, SOUTH, 102.905, NORTH), "调整", ""],
        [EAST_GRID, "二网格", VILLAGE, box(102.905, SOUTH, 102.92, NORTH), "调整", ""],
        [SOUTH_EAST, "三网格", VILLAGE, box(102.905, SOUTH, 102.92, MIDDLE), "撤销", EAST_GRID],
    ]
    outcome = import_csv(db, tmp_path / "调整.csv", headers, rows)
    assert outcome.committed
    moved = _one(db, "SELECT grid_code FROM persons WHERE name = '一网格的'")
    assert moved == EAST_GRID, outcome.notes


def test_a_successor_without_a_leader_takes_the_retired_grids(
    village: Session, tmp_path: Path
) -> None:
    db = village
    leader = _one(db, "SELECT id FROM workers WHERE name = '三网格员'")
    db.execute(
        text("UPDATE grids SET leader_id = :w WHERE code = :c"), {"w": leader, "c": SOUTH_EAST}
    )
    outcome = import_csv(
        db, tmp_path / "新网格.csv", GRID_HEADERS, MERGED, within=VILLAGE, complete=True
    )
    assert outcome.committed and "1 个网格沿用了所继承网格的网格长：二网格" in outcome.notes
    assert _one(db, "SELECT leader_id FROM grids WHERE code = :c", c=EAST_GRID) == leader


def test_a_grid_list_may_list_a_retired_grid_under_its_successors_name(
    village: Session, tmp_path: Path
) -> None:
    """东寨第5网格 re-coded: the old code 撤销, the new one 编码变更, both named 东寨第5网格."""
    db = village
    recoded = VILLAGE + "007"
    headers = [*GRID_HEADERS, "变更情况", "原网格编码", "继承网格编码"]
    rows = [
        [
            recoded,
            "三网格",
            VILLAGE,
            box(102.91, SOUTH, 102.92, MIDDLE),
            "编码变更",
            SOUTH_EAST,
            "",
        ],
        [SOUTH_EAST, "三网格", VILLAGE, "", "撤销", "", recoded],
    ]
    outcome = import_csv(db, tmp_path / "一览表.csv", headers, rows)
    assert outcome.committed, outcome.problems
    assert _retired(db, SOUTH_EAST) == (True, recoded)
    note = db.execute(
        text(
            "SELECT e.note FROM case_events AS e JOIN cases AS c ON c.id = e.case_id"
            " WHERE c.code = 'TZ-OPEN' AND e.action = 'rehomed'"
        )
    ).scalar_one()
    assert note == f"区划网格调整：三网格（{SOUTH_EAST} → {recoded}）"


def test_a_shapefile_with_blank_former_codes_loads(village: Session, tmp_path: Path) -> None:
    """An ArcGIS layer's empty YWGBM is no code (it was read as the text "nan")."""
    import geopandas as gpd
    import shapely

    db = village
    recoded = VILLAGE + "007"
    frame = gpd.GeoDataFrame(
        {
            "WGBM": [GRID, recoded],
            "WGMC": ["一网格", "三网格"],
            "YWGBM": [None, SOUTH_EAST],
        },
        geometry=[
            shapely.from_wkt(box(WEST, SOUTH, 102.91, NORTH)),
            shapely.from_wkt(box(102.91, SOUTH, 102.92, MIDDLE)),
        ],
        crs="EPSG:4490",
    )
    path = tmp_path / "网格.shp"
    frame.to_file(path, encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="grids"))
    assert outcome.committed, outcome.problems
    assert _retired(db, SOUTH_EAST) == (True, recoded) and _retired(db, GRID) == (False, None)
