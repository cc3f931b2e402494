"""A row filed above its grid's village (its township, its county) is in that village.

Trial AV S1: a roster with 所属乡镇 = 东街街道 beside 所属网格 = 县府街社区第1网格 filed 20 of 29
workers at the township, out of their village's sight. Trial AV S2: the same roster imported again
moved back to the township a worker whose account had put him in his village; a roster never
moves a worker with an account out of that account's scope.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.pipeline import ImportOptions, run_import
from layers import accounts
from layers.secrets import Keys
from tests.import_fixtures import (
    GRID,
    OTHER_VILLAGE,
    VILLAGE,
    csv_text,
    resident_id,
    seed_jurisdictions,
)

TOWNSHIP = "530424100000"
COUNTY = "530424000000"
OTHER_GRID = OTHER_VILLAGE + "001"
PASSWORD = "Zz#Grid-Village-2026"
KEYS = Keys(hmac_key=b"\x05" * 32, seal_key=b"\x06" * 32)


def _seed(db: Session) -> None:
    seed_jurisdictions(db)
    db.execute(
        text("INSERT INTO grids (code, name, area_code) VALUES (:c, '邻村一网格', :a)"),
        {"c": OTHER_GRID, "a": OTHER_VILLAGE},
    )


def _import(db: Session, path: Path, headers: list[str], rows: list[list[str]], **kw: Any) -> Any:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    options = ImportOptions(kind=kw.pop("kind", "workers"), user="网格办", **kw)
    outcome = run_import(db.connection(), path, options, keys=KEYS)
    assert outcome.committed and outcome.problems == [], outcome.problems
    return outcome


def _workers(db: Session) -> dict[str, tuple[str, str | None]]:
    rows = db.execute(
        text("SELECT name, area_code, home_grid FROM workers WHERE name LIKE '村测%'")
    ).all()
    return {str(n): (str(a), None if g is None else str(g)) for n, a, g in rows}


ROSTER = ["姓名", "手机号", "所属乡镇", "所属网格"]


def test_a_grid_named_beside_the_township_files_the_worker_in_the_grid_village(
    db: Session, tmp_path: Path
) -> None:
    _seed(db)
    rows = [
        ["村测甲", "13900000001", "宁州街道", "测试社区一网格"],  # named after its village
        ["村测乙", "13900000002", "宁州街道", "一网格"],  # its bare name, within the township
        ["村测丙", "13900000003", "宁州街道", GRID],  # its code
        ["村测丁", "13900000004", "宁州街道", ""],  # no grid: the township it is
    ]
    outcome = _import(db, tmp_path / "花名册.csv", ROSTER, rows)
    assert outcome.counts.inserted == 4
    assert _workers(db) == {
        "村测甲": (VILLAGE, GRID),
        "村测乙": (VILLAGE, GRID),
        "村测丙": (VILLAGE, GRID),
        "村测丁": (TOWNSHIP, None),
    }

    again = _import(db, tmp_path / "花名册.csv", ROSTER, rows)
    counts = again.counts
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 4)


def test_a_grid_code_beside_a_township_or_county_code_files_the_worker_in_its_village(
    db: Session, tmp_path: Path
) -> None:
    _seed(db)
    headers = ["姓名", "手机号", "所属辖区", "所属网格"]
    rows = [
        ["村测甲", "13900000001", TOWNSHIP, GRID],
        ["村测乙", "13900000002", COUNTY[:6], OTHER_GRID],
        ["村测丙", "13900000003", VILLAGE, OTHER_GRID],  # another village's grid: as written
    ]
    _import(db, tmp_path / "花名册.csv", headers, rows)
    assert _workers(db) == {
        "村测甲": (VILLAGE, GRID),
        "村测乙": (OTHER_VILLAGE, OTHER_GRID),
        "村测丙": (VILLAGE, OTHER_GRID),
    }


def test_a_person_whose_grid_is_named_beside_the_township_is_in_the_grid_village(
    db: Session, tmp_path: Path
) -> None:
    _seed(db)
    headers = ["姓名", "公民身份号码", "人员类别", "所属乡镇", "所属网格"]
    rows = [["村测戊", resident_id(41), "刑满释放人员", "宁州街道", "测试社区一网格"]]
    _import(db, tmp_path / "人员.csv", headers, rows, kind="persons")
    placed = db.execute(
        text("SELECT area_code, grid_code FROM persons WHERE grid_code = :g"), {"g": GRID}
    ).all()
    assert [(str(a), str(g)) for a, g in placed] == [(VILLAGE, GRID)]


def _counts(outcome: Any) -> tuple[int, int, int]:
    counts = outcome.counts
    return counts.inserted, counts.updated, counts.unchanged


def test_a_roster_keeps_a_worker_with_an_account_inside_its_scope(
    db: Session, tmp_path: Path
) -> None:
    _seed(db)
    rows = [
        ["村测甲", "13900000001", "宁州街道", "测试社区一网格"],
        ["村测乙", "13900000002", "宁州街道", "一网格"],  # no account: the roster moves him
    ]
    path = tmp_path / "花名册.csv"
    _import(db, path, ROSTER, rows)
    worker = db.execute(text("SELECT id FROM workers WHERE name = '村测甲'")).scalar_one()
    accounts.create_user(
        db,
        username="wgy.cunce",
        password=PASSWORD,
        role="grid_worker",
        scope_code=VILLAGE,
        display_name="村测甲",
        worker_id=int(worker),
    )
    assert _counts(_import(db, path, ROSTER, rows)) == (0, 0, 2)  # the same roster again

    # Next month's roster gives only the township of one, and the other village's grid of the
    # other: the worker with an account stays in the village of his account, and it is said.
    coarse = [["村测甲", "13900000001", "宁州街道", ""], ["村测乙", "13900000002", "", OTHER_GRID]]
    outcome = _import(db, path, ROSTER, coarse)
    assert _counts(outcome) == (0, 1, 1)
    assert _workers(db) == {"村测甲": (VILLAGE, GRID), "村测乙": (OTHER_VILLAGE, OTHER_GRID)}
    assert "1 名网格员已开通账号，其所属单位按账号的管辖范围保留：" in "".join(outcome.notes)
    assert "村测甲（账号 wgy.cunce，保留在测试社区，本表为宁州街道）" in "".join(outcome.notes)
    assert not any("如确已调动" in note for note in outcome.notes)  # coarser, not elsewhere

    moved = [["村测甲", "13900000001", "", OTHER_GRID], ["村测乙", "13900000002", "", OTHER_GRID]]
    outcome = _import(db, path, ROSTER, moved)
    assert _counts(outcome) == (0, 0, 2)
    assert _workers(db)["村测甲"] == (VILLAGE, GRID)
    note = next(n for n in outcome.notes if "已开通账号" in n)
    assert "村测甲（账号 wgy.cunce，保留在测试社区，本表为邻村）" in note
    assert "如确已调动，请先用 zongzhi user change 登录名 --scope 乡镇代码" in note


def test_a_case_whose_grid_is_named_beside_the_township_is_in_the_grid_village(
    db: Session, tmp_path: Path
) -> None:
    _seed(db)
    headers = ["工单编号", "来源渠道", "事件类型", "所属乡镇", "所属网格", "来电时间"]
    rows = [
        ["AV-1", "12345", "邻里纠纷", "宁州街道", "测试社区一网格", "2025-03-01 09:00"],
        ["AV-2", "12345", "邻里纠纷", "宁州街道", "", "2025-03-01 09:00"],
    ]
    _import(db, tmp_path / "工单.csv", headers, rows, kind="cases")
    placed = db.execute(
        text("SELECT external_no, area_code, grid_code FROM cases WHERE external_no LIKE 'AV-%'")
    ).all()
    assert sorted((str(n), str(a), g) for n, a, g in placed) == [
        ("AV-1", VILLAGE, GRID),
        ("AV-2", TOWNSHIP, None),
    ]
