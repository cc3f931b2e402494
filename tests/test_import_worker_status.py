"""Next month's roster says who works here (在岗, 离岗, 离职); the worker app says who is free."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import cases, dispatch
from layers.errors import Conflict
from layers.model import Case
from tests.import_fixtures import GRID, VILLAGE, csv_text, seed_jurisdictions
from tests.workflow_data import NOW, actor

HEADERS = ["工号", "姓名", "手机号", "所属网格", "在岗状态"]
MINE = "area_code LIKE '530424%'"
OTHER_GRID = GRID[:-3] + "002"
TOWNSHIP = VILLAGE[:9] + "000"
LON, LAT = 102.91, 24.21
KEPT = "实时状态以网格员 App 和派单为准"


def _import(db: Session, path: Path, rows: list[list[str]], headers: list[str]) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers", user="网格办"))
    assert outcome.committed and outcome.counts is not None, outcome.problems
    return outcome


def _roster(db: Session, path: Path, statuses: dict[str, str]) -> ImportOutcome:
    """Import a roster of the workers W1 … with 工号 and the given 在岗状态."""
    rows = [
        [number, f"网格员{number}", f"1380000000{number[1:]}", GRID, status]
        for number, status in statuses.items()
    ]
    return _import(db, path, rows, HEADERS)


def _counts(outcome: ImportOutcome) -> tuple[int, int, int]:
    assert outcome.counts is not None
    return outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged


def _statuses(db: Session) -> dict[str, str]:
    rows = db.execute(text(f"SELECT external_id, status FROM workers WHERE {MINE}")).all()
    return {str(r.external_id): str(r.status) for r in rows}


def _id(db: Session, number: str) -> int:
    return int(
        db.execute(
            text("SELECT id FROM workers WHERE external_id = :n"), {"n": number}
        ).scalar_one()
    )


def _set(db: Session, **statuses: str) -> None:
    for number, status in statuses.items():
        db.execute(
            text("UPDATE workers SET status = :s WHERE external_id = :n"),
            {"s": status, "n": number},
        )


def _place(db: Session, *numbers: str) -> None:
    """Give workers a fresh position at the village's centre, as their app would."""
    db.execute(
        text(
            "UPDATE workers SET last_position = ST_SetSRID(ST_MakePoint(:lon, :lat), 4490),"
            " last_seen_at = :now WHERE external_id = ANY(:n)"
        ),
        {"lon": LON, "lat": LAT, "now": NOW, "n": list(numbers)},
    )


def _case(db: Session) -> Case:
    case = cases.register(
        db,
        actor=actor("dispatcher", TOWNSHIP),
        channel="phone",
        category="safety_hazard",
        title="井盖缺失",
        reported_at=NOW,
        lon=LON,
        lat=LAT,
    ).case
    return cases.act(db, case.id, "triage", actor=actor("dispatcher", TOWNSHIP), now=NOW)


def _dispatched(db: Session, number: str) -> Case:
    """Dispatch a new case to the worker: busy with it."""
    case = _case(db)
    who = actor("dispatcher", TOWNSHIP)
    return dispatch.assign_worker(
        db, case.id, _id(db, number), by=who, expected_version=None, now=NOW
    )


def test_the_roster_keeps_the_live_status_of_the_workers_it_lists_on_duty(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    may = {"W1": "在岗", "W2": "在岗", "W3": "在岗", "W4": "离岗", "W5": "", "W6": "处置中"}
    assert _counts(_roster(db, tmp_path / "5月.csv", may)) == (6, 0, 0)
    # A new worker takes the roster's status; an empty cell is a new worker's off duty, and so
    # is 处置中: busy is dispatch's word for a worker with a case, and a new one has none.
    assert _statuses(db) == {
        "W1": "on_duty",
        "W2": "on_duty",
        "W3": "on_duty",
        "W4": "off_duty",
        "W5": "off_duty",
        "W6": "off_duty",
    }
    db.execute(text("DELETE FROM workers WHERE external_id = 'W6'"))
    _dispatched(db, "W1")  # busy with a case
    _set(db, W2="off_duty", W5="on_duty")  # off shift; on shift, as the app says

    # June's roster lists everyone 在岗 (W5's cell empty): nobody's live status changes.
    june = {"W1": "在岗", "W2": "在岗", "W3": "在岗", "W4": "在岗", "W5": ""}
    outcome = _roster(db, tmp_path / "6月.csv", june)
    assert _counts(outcome) == (0, 0, 5)
    assert _statuses(db) == {
        "W1": "busy",
        "W2": "off_duty",
        "W3": "on_duty",
        "W4": "off_duty",
        "W5": "on_duty",
    }
    kept = f"花名册为在岗的 3 名网格员保留实时状态（离岗 2 名、处置中 1 名），{KEPT}"
    assert kept in outcome.notes

    # 离岗 (or 请假) takes a worker off duty, except one busy with a case.
    july = {"W1": "离岗", "W2": "在岗", "W3": "请假", "W4": "离岗", "W5": "休假"}
    outcome = _roster(db, tmp_path / "7月.csv", july)
    assert _counts(outcome) == (0, 2, 3)
    assert _statuses(db) == {
        "W1": "busy",
        "W2": "off_duty",
        "W3": "off_duty",
        "W4": "off_duty",
        "W5": "off_duty",
    }
    assert "花名册为离岗的 1 名网格员正在处置案件，仍为处置中" in outcome.notes
    assert f"花名册为在岗的 1 名网格员保留实时状态（离岗 1 名），{KEPT}" in outcome.notes


def test_a_worker_who_left_is_never_dispatched_again_until_a_roster_lists_them(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    _roster(db, tmp_path / "5月.csv", {"W1": "在岗", "W2": "在岗", "W3": "在岗"})
    _place(db, "W1", "W2", "W3")
    first = _dispatched(db, "W1")
    w1, w2, w3 = (_id(db, n) for n in ("W1", "W2", "W3"))

    # June: W1, busy with a case, was transferred (调离); W2 resigned (已离职).
    outcome = _roster(db, tmp_path / "6月.csv", {"W1": "调离", "W2": "已离职", "W3": "在岗"})
    assert _counts(outcome) == (0, 2, 1)
    assert _statuses(db) == {"W1": "left", "W2": "left", "W3": "on_duty"}
    assert "2 名网格员标记为已离职，不再派单：网格员W1（W1）、网格员W2（W2）" in outcome.notes
    assert f"已离职的网格员仍有 1 件未办结的案件：{first.code}，请改派" in outcome.notes

    # Nearest-worker dispatch offers only W3, at the same spot as W2.
    who = actor("dispatcher", TOWNSHIP)
    case = _case(db)
    offered = dispatch.candidates(db, case.id, actor=who, now=NOW)
    assert [c.worker_id for c in offered.candidates] == [w3]
    dispatch.set_status(db, w3, actor=who, actor_worker_id=None, status="off_duty")
    nobody = dispatch.candidates(db, case.id, actor=who, now=NOW)
    assert (nobody.reason, nobody.counts["in_scope"]) == ("all_busy", 1)  # W1, W2 not counted
    dispatch.set_status(db, w3, actor=who, actor_worker_id=None, status="on_duty")
    with pytest.raises(Conflict):
        dispatch.assign_worker(db, case.id, w2, by=who, expected_version=None, now=NOW)

    # W2's app cannot put them back on duty; W1's case closing does not either.
    with pytest.raises(Conflict) as refused:
        dispatch.set_status(db, w2, actor=who, actor_worker_id=None, status="on_duty")
    assert str(refused.value) == dispatch.LEFT_REFUSAL
    for action, params, note in (
        ("accept", None, None),
        ("resolve", {"outcome": "mediated"}, "双方当面和解"),
    ):
        cases.act(db, first.id, action, actor=who, now=NOW, params=params, note=note)
    db.expire_all()
    assert _statuses(db) == {"W1": "left", "W2": "left", "W3": "on_duty"}

    # July: W2 is back on the roster 在岗 (rehired): off duty until their app says otherwise.
    outcome = _roster(db, tmp_path / "7月.csv", {"W2": "在岗", "W3": "在岗"})
    assert _statuses(db) == {"W1": "left", "W2": "off_duty", "W3": "on_duty"}
    assert "1 名已离职的网格员重新列入花名册，状态为离岗" in outcome.notes
    dispatch.set_status(db, w2, actor=who, actor_worker_id=None, status="on_duty")
    offered = dispatch.candidates(db, case.id, actor=who, now=NOW)
    assert sorted(c.worker_id for c in offered.candidates) == sorted([w2, w3])
    assert w1 not in [c.worker_id for c in offered.candidates]


def test_a_new_worker_who_shares_a_name_with_one_on_record_is_named(
    db: Session, tmp_path: Path
) -> None:
    """Both village and phone changed: a new worker, but the clerk is told of the namesake."""
    seed_jurisdictions(db)
    db.execute(
        text("INSERT INTO grids (code, name, area_code) VALUES (:c, '二网格', :a)"),
        {"c": OTHER_GRID, "a": VILLAGE},
    )
    may = [
        ["", "张三", "13800000001", GRID, "在岗"],
        ["", "李四", "13800000002", GRID, "在岗"],
        ["W3", "王五", "13800000003", GRID, "在岗"],
        ["W4", "赵六", "13800000004", GRID, "在岗"],
    ]
    _import(db, tmp_path / "5月.csv", may, HEADERS)
    headers = ["姓名", "手机号", "所属网格", "在岗状态"]
    june = [
        ["李四", "13800000002", GRID, "在岗"],
        ["张三", "13900000001", OTHER_GRID, "在岗"],
        ["王五", "13900000003", OTHER_GRID, "在岗"],
    ]
    outcome = _import(db, tmp_path / "6月.csv", june, headers)
    assert _counts(outcome) == (2, 0, 1)
    named = "张三（第 3 行；已有的在一网格）、王五（第 4 行；已有的在一网格，工号 W3）"
    note = f"新增网格员 2 人与已有网格员同名：{named}，如为同一人请填写其工号后重新导入"
    assert note in outcome.notes
    # The same file again: the new 张三 is on record, and named by name and phone.
    outcome = _import(db, tmp_path / "6月.csv", june, headers)
    assert _counts(outcome) == (0, 0, 3)
    assert not [n for n in outcome.notes if "同名" in n]
    # A new 工号 beside the one on record: two numbers, two people.
    outcome = _import(
        db, tmp_path / "7月.csv", [["W8", "赵六", "13900000008", OTHER_GRID, "在岗"]], HEADERS
    )
    assert _counts(outcome) == (1, 0, 0)
    assert not [n for n in outcome.notes if "同名" in n]


def test_a_roster_that_gives_their_numbers_for_the_first_time_names_the_same_workers(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    headers = ["姓名", "手机号", "所属网格", "在岗状态"]
    may = [["张三", "13800000001", GRID, "在岗"], ["李四", "13800000002", GRID, "在岗"]]
    _import(db, tmp_path / "5月.csv", may, headers)
    june = [[f"W{i}", *row] for i, row in enumerate(may, start=1)]
    outcome = _import(db, tmp_path / "6月.csv", june, HEADERS)
    assert _counts(outcome) == (0, 2, 0)
    assert _statuses(db) == {"W1": "on_duty", "W2": "on_duty"}
    assert not [n for n in outcome.notes if "同名" in n]


def test_a_township_roster_in_its_own_words_loads(db: Session, tmp_path: Path) -> None:
    """通红甸's roster: 网格员姓名, 村（社区）, 网格, 职务, 联系方式, 在岗情况 and no 工号."""
    seed_jurisdictions(db)
    headers = ["序号", "网格员姓名", "性别", "村（社区）", "网格", "职务", "联系方式", "在岗情况"]
    rows = [
        ["1", "林洁", "女", "测试社区", "一网格", "兼职网格员", "13900000001", "在岗"],
        ["2", "沈峰", "男", "测试社区", "一网格", "网格长", "13900000002", "离岗"],
    ]
    outcome = _import(db, tmp_path / "通红甸网格员花名册.csv", rows, headers)
    assert outcome.counts is not None and outcome.counts.inserted == 2
    stored = db.execute(
        text(
            "SELECT name, role, phone, home_grid, area_code, status FROM workers"
            " WHERE name IN ('林洁', '沈峰') ORDER BY name"
        )
    ).all()
    assert [tuple(r) for r in stored] == [
        ("林洁", "part_time", "13900000001", GRID, VILLAGE, "on_duty"),
        ("沈峰", "grid_leader", "13900000002", GRID, VILLAGE, "off_duty"),
    ]
