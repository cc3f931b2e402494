"""Two gaps of the clerks' last trial of worker rosters.

A roster that marks workers 离职 disables their login accounts: each account is audited as
``zongzhi user disable`` audits it, as the import's (its user, its file), in its transaction;
a re-import whose only change is an account disabled says so. A new worker of a roster without
工号 whose name a worker of the township listed in the same file has is named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import accounts, audit
from layers.database import apply_scope
from tests.api_fixtures import PASSWORD
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    VILLAGE,
    add_jurisdictions,
    csv_text,
    import_app,
    seed_jurisdictions,
    seeded_database,
)

ROSTER = ["工号", "姓名", "手机号", "所属网格", "在岗状态"]
NO_NUMBERS = ["姓名", "手机号", "所属网格", "在岗状态"]
OTHER_GRID = GRID[:-3] + "002"
TOWN = "530424101000"
TOWN_VILLAGE = "530424101001"
TOWN_GRID = TOWN_VILLAGE + "001"
STOPPED = "个登录账号已停用（已离职网格员的账号，已登录的也随即失效）："


def _import(
    db: Session, path: Path, headers: list[str], rows: list[list[str]], **options: Any
) -> ImportOutcome:
    path.write_text(csv_text(headers, rows), encoding="utf-8")
    given = ImportOptions(kind="workers", user="网格办", **options)
    return run_import(db.connection(), path, given)


def _counts(outcome: ImportOutcome) -> tuple[int, int, int]:
    assert outcome.counts is not None, outcome.problems
    return outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged


def _account(db: Session, name: str, number: str) -> int:
    """Open an account for the worker (one who left: as accounts made before that was refused)."""
    worker_id, status = db.execute(
        text("SELECT id, status FROM workers WHERE external_id = :n"), {"n": number}
    ).one()
    set_status = text("UPDATE workers SET status = :s WHERE id = :w")
    if status == "left":
        db.execute(set_status, {"s": "off_duty", "w": worker_id})
    user = accounts.create_user(
        db,
        username=name,
        password=PASSWORD,
        role="grid_worker",
        scope_code=VILLAGE,
        display_name=name,
        worker_id=int(worker_id),
    )
    db.execute(set_status, {"s": status, "w": worker_id})
    return user.id


def _active(db: Session) -> dict[str, bool]:
    rows = db.execute(text("SELECT username, active FROM users WHERE username LIKE 'gap.%'"))
    return {str(name): bool(active) for name, active in rows}


def _disabled(db: Session) -> list[tuple[Any, ...]]:
    """Return the accounts disabled in this test's transaction (others' may be committed)."""
    rows = db.execute(
        text(
            "SELECT actor_id, actor_name, object_type, object_id, outcome, detail"
            " FROM audit_log WHERE action = 'user.disable' AND (detail->>'import_id')::bigint"
            " IN (SELECT id FROM import_runs WHERE started_at = now()) ORDER BY id"
        )
    )
    return [tuple(r) for r in rows]


def test_the_accounts_an_import_disables_are_audited_in_its_transaction(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    path = tmp_path / "网格员花名册（10月）.csv"
    staff = [["GP-1", "谢一", "13900000001", GRID, "在岗"]]
    staff += [["GP-2", "谢二", "13900000002", GRID, "在岗"]]
    assert _import(db, path, ROSTER, staff).committed
    one, app = _account(db, "gap.one", "GP-1"), _account(db, "gap.app", "GP-1")
    _account(db, "gap.two", "GP-2")
    staff[0][4] = "离职"

    # A dry run, and a roster refused for a bad row, disable nothing and audit nothing.
    dry = _import(db, path, ROSTER, staff, dry_run=True)
    assert not dry.committed and [n for n in dry.notes if STOPPED in n]
    refused = _import(db, path, ROSTER, [*staff, ["GP-3", "谢三", "1390000", GRID, "在岗"]])
    assert not refused.committed and refused.rejected_rows == 1
    assert _active(db) == {"gap.one": True, "gap.app": True, "gap.two": True}
    assert _disabled(db) == []

    done = _import(db, path, ROSTER, staff)
    assert done.committed and _counts(done) == (0, 1, 1)
    assert f"2 {STOPPED}gap.app（谢一）、gap.one（谢一）" in done.notes
    assert _active(db) == {"gap.one": False, "gap.app": False, "gap.two": True}
    # As `zongzhi user disable` writes it, with the import's user, the import and its file.
    run = db.execute(text("SELECT file_name FROM import_runs WHERE id = :i"), {"i": done.import_id})
    detail = {"import_id": done.import_id, "file": run.scalar_one()}
    assert detail["file"] == path.name
    assert _disabled(db) == [  # in the note's order
        (None, "网格办", "user", str(user_id), "ok", detail) for user_id in (app, one)
    ]
    assert audit.verify_chain(db) is True


def test_a_reimport_that_only_disables_accounts_counts_their_rows_updated(
    db: Session, tmp_path: Path
) -> None:
    """An account active although its worker left (made before the roster was imported)."""
    seed_jurisdictions(db)
    path = tmp_path / "花名册.csv"
    staff = [["GP-1", "谢一", "13900000001", GRID, "离职"]]
    staff += [["GP-2", "谢二", "13900000002", GRID, "在岗"]]
    assert _counts(_import(db, path, ROSTER, staff)) == (2, 0, 0)
    _account(db, "gap.one", "GP-1")
    again = _import(db, path, ROSTER, staff)
    assert _counts(again) == (0, 1, 1)
    assert f"1 {STOPPED}gap.one（谢一）" in again.notes
    assert _active(db) == {"gap.one": False}
    assert len(_disabled(db)) == 1
    # Nothing left to disable: nothing changed.
    assert _counts(_import(db, path, ROSTER, staff)) == (0, 0, 2)
    assert len(_disabled(db)) == 1


def test_the_summary_of_a_reimport_that_disables_an_account_does_not_say_nothing_changed(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "花名册.csv"
    staff = [["GP-1", "谢一", "13900000001", GRID, "离职"]]
    path.write_text(csv_text(ROSTER, staff), encoding="utf-8")
    with seeded_database(database, "zz_roster_accounts") as (engine, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        args = ["import", "workers", str(path), "--user", "网格办"]
        first = CliRunner().invoke(import_app(), args, env=env)
        assert first.exit_code == 0, first.output
        with Session(engine) as session, session.begin():
            apply_scope(session, None)
            _account(session, "gap.one", "GP-1")
        again = CliRunner().invoke(import_app(), args, env=env)
        assert again.exit_code == 0, again.output
        assert "本次更新 1 行" in again.output and "没有改变任何记录" not in again.output
        assert f"1 {STOPPED}gap.one（谢一）" in again.output
        with engine.connect() as conn:
            actors = conn.execute(
                text("SELECT actor_name FROM audit_log WHERE action = 'user.disable'")
            )
            assert actors.scalars().all() == ["网格办"]


def _seed_grids(db: Session) -> None:
    seed_jurisdictions(db)
    add_jurisdictions(
        db,
        [
            (TOWN, "盘溪镇", 4, "530424000000", None),
            (TOWN_VILLAGE, "竹铺村", 5, TOWN, None),
        ],
    )
    for code, name, area in (
        (OTHER_GRID, "二网格", VILLAGE),
        (TOWN_GRID, "竹铺一网格", TOWN_VILLAGE),
    ):
        db.execute(
            text("INSERT INTO grids (code, name, area_code) VALUES (:c, :n, :a)"),
            {"c": code, "n": name, "a": area},
        )


def _namesakes(outcome: ImportOutcome) -> list[str]:
    return [n for n in outcome.notes if "本文件所列本乡镇已有的网格员同名" in n]


def test_a_new_worker_without_a_number_named_like_a_listed_worker_of_the_township_is_named(
    db: Session, tmp_path: Path
) -> None:
    """盘溪镇's roster (no 工号): the 沈峰 on record, and a new 沈峰 in another grid."""
    _seed_grids(db)
    path = tmp_path / "盘溪镇网格员名单.csv"
    september = [["沈峰", "13535593493", GRID, "在岗"], ["李四", "13800000002", GRID, "在岗"]]
    assert _counts(_import(db, path, NO_NUMBERS, september)) == (2, 0, 0)
    db.execute(text("UPDATE workers SET external_id = 'W416' WHERE name = '沈峰'"))
    october = [*september, ["沈峰", "13988771321", OTHER_GRID, "在岗"]]
    outcome = _import(db, path, NO_NUMBERS, october)
    assert _counts(outcome) == (1, 0, 2)
    assert _namesakes(outcome) == [
        "新增网格员 1 人与本文件所列本乡镇已有的网格员同名："
        "沈峰（第 4 行，测试社区二网格；第 2 行，测试社区一网格，工号 W416）；"
        "请核对是否为同一人重复填报，如确为两人，请在花名册中为其填写工号"
        "（帮扶责任人、走访人按姓名无法区分同一乡镇的同名网格员）"
    ]
    assert not [n for n in outcome.notes if "13988771321" in n or "13535593493" in n]
    # Next month both are on record, each named by name and phone: nothing new, no note.
    assert not _namesakes(_import(db, path, NO_NUMBERS, october))
    # a grid named after its village is not named after it twice (trial Y: 流泉村流泉村第4网格)
    db.execute(text("UPDATE grids SET name = '测试社区第2网格' WHERE code = :c"), {"c": OTHER_GRID})
    listed = [["赵六", "13800000006", GRID, "在岗"]]
    _import(db, path, NO_NUMBERS, listed)
    said = _namesakes(_import(db, path, NO_NUMBERS, [*listed, ["赵六", "13800000007", OTHER_GRID]]))
    assert len(said) == 1 and "赵六（第 3 行，测试社区第2网格；第 2 行，测试社区一网格）" in said[0]


def test_the_namesake_note_with_a_number_column_and_across_townships(
    db: Session, tmp_path: Path
) -> None:
    _seed_grids(db)
    path = tmp_path / "花名册.csv"
    staff = [["W1", "沈峰", "13900000001", GRID, "在岗"]]
    staff += [["W2", "林洁", "13900000002", TOWN_GRID, "在岗"]]
    assert _counts(_import(db, path, ROSTER, staff)) == (2, 0, 0)
    # An empty 工号 cell beside the listed W1: named. A new 工号: two numbers, two people. A
    # namesake in another township is not told apart by name anyway: not named.
    rows = [
        *staff,
        ["", "沈峰", "13900000003", OTHER_GRID, "在岗"],
        ["W9", "沈峰", "13900000009", OTHER_GRID, "在岗"],
        ["", "林洁", "13900000004", GRID, "在岗"],
    ]
    outcome = _import(db, path, ROSTER, rows)
    assert _counts(outcome) == (3, 0, 2)
    notes = _namesakes(outcome)
    assert len(notes) == 1 and notes[0].startswith(
        "新增网格员 1 人与本文件所列本乡镇已有的网格员同名："
        "沈峰（第 4 行，测试社区二网格；第 2 行，测试社区一网格，工号 W1）；"
    )
