"""What a roster that marks workers 离职 does beyond their status.

Their login accounts stop at once (a session already open too, and a live stream), and stay
stopped when they are listed again until an administrator enables them; the persons only they
followed up are counted by village (never named); the workers of the roster's villages it does
not list are named. A persons roster that changes a person's 帮扶责任人 updates that person,
and does not make a worker who left responsible.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx2
import pytest
import typer
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import accounts
from layers.database import apply_scope
from layers.errors import AuthenticationFailed
from layers.model import User, Worker
from layers.secrets import Keys
from layers.users_cli import register
from tests.api_fixtures import PASSWORD, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    OTHER_VILLAGE,
    VILLAGE,
    csv_text,
    resident_id,
    seed_jurisdictions,
)
from tests.workflow_data import NOW

KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
ROSTER = ["工号", "姓名", "手机号", "所属网格", "所属社区", "在岗状态"]
PERSONS = ["姓名", "公民身份号码", "人员类别", "所属社区", "帮教责任人"]
STOPPED = "个登录账号已停用（已离职网格员的账号，已登录的也随即失效）："


def _roster(db: Session, path: Path, rows: list[list[str]]) -> ImportOutcome:
    """Import a roster: 工号, name, grid, village and 在岗状态 per row (a phone is made up)."""
    lines = [
        [n, name, f"1390000{i:04d}", grid, village, s]
        for i, (n, name, grid, village, s) in enumerate(rows)
    ]
    path.write_text(csv_text(ROSTER, lines), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="workers", user="网格办"))
    assert outcome.committed and outcome.counts is not None, outcome.problems
    return outcome


def _persons(db: Session, path: Path, rows: list[list[str]]) -> ImportOutcome:
    path.write_text(csv_text(PERSONS, rows), encoding="utf-8")
    options = ImportOptions(kind="persons", partial=True)
    outcome = run_import(db.connection(), path, options, keys=KEYS)
    assert outcome.committed and outcome.counts is not None, outcome.problems
    return outcome


def _counts(outcome: ImportOutcome) -> tuple[int, int, int]:
    assert outcome.counts is not None
    return outcome.counts.inserted, outcome.counts.updated, outcome.counts.unchanged


def _worker_id(db: Session, number: str) -> int:
    found = db.execute(text("SELECT id FROM workers WHERE external_id = :n"), {"n": number})
    return int(found.scalar_one())


def _account(db: Session, name: str, number: str) -> None:
    accounts.create_user(
        db,
        username=name,
        password=PASSWORD,
        role="grid_worker",
        scope_code=VILLAGE,
        display_name=name,
        worker_id=_worker_id(db, number),
    )


def _active(db: Session, name: str) -> bool:
    found = db.execute(text("SELECT active FROM users WHERE username = :u"), {"u": name})
    return bool(found.scalar_one())


def _responsible(db: Session) -> dict[str, list[str]]:
    rows = db.execute(
        text(
            "SELECT p.name, w.external_id FROM person_responsibles r"
            " JOIN persons p ON p.id = r.person_id JOIN workers w ON w.id = r.worker_id"
            " WHERE w.external_id LIKE 'LV-%' ORDER BY 1, 2"
        )
    ).all()
    found: dict[str, list[str]] = {}
    for name, worker in rows:
        found.setdefault(str(name), []).append(str(worker))
    return found


def test_a_leavers_account_stops_and_stays_stopped_when_rehired(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    path = tmp_path / "花名册.csv"
    _roster(db, path, [["LV-1", "谢一", GRID, "", "在岗"], ["LV-2", "谢二", GRID, "", "在岗"]])
    _account(db, "lv.one", "LV-1")
    _account(db, "lv.two", "LV-2")
    assert accounts.authenticate(db, "lv.one", PASSWORD, now=NOW).username == "lv.one"

    left = _roster(
        db, path, [["LV-1", "谢一", GRID, "", "离职"], ["LV-2", "谢二", GRID, "", "在岗"]]
    )
    assert f"1 {STOPPED}lv.one（谢一）" in left.notes
    assert not _active(db, "lv.one") and _active(db, "lv.two")
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, "lv.one", PASSWORD, now=NOW)

    # Listed again, the worker is back off duty; the account waits for an administrator.
    back = _roster(
        db, path, [["LV-1", "谢一", GRID, "", "在职"], ["LV-2", "谢二", GRID, "", "在岗"]]
    )
    assert "1 名已离职的网格员重新列入花名册，状态为离岗" in back.notes
    assert (
        "重新列入花名册的网格员有 1 个登录账号仍为停用：lv.one（谢一）；"
        "核实后请管理员用 zongzhi user enable 启用"
    ) in back.notes
    assert not _active(db, "lv.one")
    assert not [n for n in back.notes if STOPPED in n]


def test_persons_whose_responsibles_all_left_are_counted_by_village(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    workers = tmp_path / "花名册.csv"
    staff = [
        ["LV-1", "谢一", GRID, "", "在岗"],
        ["LV-2", "谢二", GRID, "", "在岗"],
        ["LV-3", "谢三", "", OTHER_VILLAGE, "在岗"],
    ]
    _roster(db, workers, staff)
    _persons(
        db,
        tmp_path / "刑释人员.csv",
        [
            ["甲", resident_id(61), "刑满释放人员", VILLAGE, "LV-1"],
            ["乙", resident_id(62), "刑满释放人员", VILLAGE, "LV-1、LV-2"],
            ["丙", resident_id(63), "刑满释放人员", OTHER_VILLAGE, "LV-3"],
            ["丁", resident_id(64), "刑满释放人员", VILLAGE, "LV-1"],
            ["戊", resident_id(65), "刑满释放人员", VILLAGE, "LV-1"],
        ],
    )
    db.execute(text("UPDATE persons SET ended_on = '2026-10-01' WHERE name = '丁'"))
    staff[0][4] = staff[2][4] = "离职"
    outcome = _roster(db, workers, staff)
    # 甲 and 戊 (LV-1 only) and 丙 (LV-3 only); 乙 keeps LV-2, 丁 is off the register.
    said = (
        "3 名在册人员的帮扶责任人均已离职，现无在职的帮扶责任人，请重新指定："
        "测试社区 2 人、邻村 1 人"
    )
    assert said in outcome.notes
    assert not [n for n in outcome.notes if any(name in n for name in "甲乙丙丁戊")]


def test_the_workers_of_the_rosters_villages_it_leaves_out_are_named(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    path = tmp_path / "花名册.csv"
    september = [
        ["LV-1", "谢一", GRID, "", "在岗"],
        ["LV-2", "谢二", GRID, "", "在岗"],
        ["", "谢四", GRID, "", "在岗"],
        ["LV-5", "谢五", GRID, "", "离职"],
        ["LV-3", "谢三", "", OTHER_VILLAGE, "在岗"],
    ]
    assert not [n for n in _roster(db, path, september).notes if "不在此花名册中" in n]
    # October's roster of the village lists LV-1 only: LV-2 and 谢四 are named, not LV-5, who
    # left, nor LV-3, whose village the file does not cover.
    october = _roster(db, path, [september[0]])
    assert (
        "本文件所涉村（社区）的 2 名网格员不在此花名册中：谢二（LV-2）、谢四；"
        "如已离职，请在状态列填写离职后重新导入"
    ) in october.notes
    # A roster of the other village alone says nothing of the first one's workers.
    other = _roster(db, path, [september[4]])
    assert not [n for n in other.notes if "不在此花名册中" in n]


def test_a_changed_responsible_is_an_update_and_a_leaver_is_not_linked(
    db: Session, tmp_path: Path
) -> None:
    seed_jurisdictions(db)
    workers = tmp_path / "花名册.csv"
    staff = [
        ["LV-1", "张春云", GRID, "", "在岗"],
        ["LV-2", "罗洁", GRID, "", "在岗"],
        ["LV-3", "李明", GRID, "", "在岗"],
    ]
    _roster(db, workers, staff)
    path = tmp_path / "社区矫正.csv"
    row = ["郑英丽", resident_id(71), "社区矫正人员", VILLAGE, "张春云"]
    other = ["王五", resident_id(72), "社区矫正人员", VILLAGE, "李明"]
    assert _counts(_persons(db, path, [row, other])) == (2, 0, 0)
    row[4] = "李明"
    assert _counts(_persons(db, path, [row, other])) == (0, 1, 1)
    assert _responsible(db) == {"王五": ["LV-3"], "郑英丽": ["LV-3"]}
    assert _counts(_persons(db, path, [row, other])) == (0, 0, 2)

    staff[1][4] = staff[2][4] = "离职"
    _roster(db, workers, staff)
    # 罗洁 left: not linked, and said so; 李明 left too but is on record for 王五: kept.
    row[4] = "罗洁"
    outcome = _persons(db, path, [row, other])
    assert "帮教责任人 罗洁 已离职，未关联（第 2 行）" in outcome.notes
    assert "帮教责任人 李明 已离职，原有关联暂保留，请另行指定（第 3 行）" in outcome.notes
    assert _responsible(db) == {"王五": ["LV-3"]}
    assert _counts(outcome) == (0, 1, 1)


# ----------------------------------------------------------------------- over HTTP, committed

LEAVER = "lv.http.leaver"
NUMBER = "LV-HTTP-1"


def _committed_roster(database: SuiteDatabase, path: Path, status: str) -> ImportOutcome:
    rows = [[NUMBER, "谢浩军", "13900001234", f"{VILLAGES[0]}001", "", status]]
    path.write_text(csv_text(ROSTER, rows), encoding="utf-8")
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        outcome = run_import(session.connection(), path, ImportOptions(kind="workers"))
    assert outcome.committed, outcome.problems
    return outcome


def _stream(base: str, token: str, ready: threading.Event, lines: list[str]) -> None:
    with (
        httpx2.Client(base_url=base, timeout=30) as client,
        client.stream(
            "GET",
            "/api/events",
            params={"max_events": 1, "keepalive": 1},
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        for line in response.iter_lines():
            if line == "event: ready":
                ready.set()
            lines.append(line)


def _login(client: httpx2.Client) -> httpx2.Response:
    return client.post("/api/auth/token", data={"username": LEAVER, "password": PASSWORD})


def test_a_leavers_open_session_and_live_stream_end_with_the_roster(
    database: SuiteDatabase, api_world: ApiWorld, live_server: str, tmp_path: Path
) -> None:
    path = tmp_path / "lv_http_网格员花名册.csv"
    cli = typer.Typer()
    register(cli)
    env = {
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_APP_DATABASE_URL": database.urls.app,
    }
    runner = CliRunner()
    try:
        _committed_roster(database, path, "在岗")
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            worker = session.query(Worker).filter_by(external_id=NUMBER).one()
            accounts.create_user(
                session,
                username=LEAVER,
                password=PASSWORD,
                role="grid_worker",
                scope_code=VILLAGES[0],
                display_name="谢浩军",
                worker_id=worker.id,
            )
        with httpx2.Client(base_url=live_server, timeout=30) as client:
            token = _login(client).json()["access_token"]
            bearer = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/me", headers=bearer).status_code == 200
            lines: list[str] = []
            ready = threading.Event()
            listener = threading.Thread(target=_stream, args=(live_server, token, ready, lines))
            listener.start()
            assert ready.wait(timeout=20)

            left = _committed_roster(database, path, "离职")
            assert f"1 {STOPPED}{LEAVER}（谢浩军）" in left.notes
            # The status change is a live event in the worker's own scope: the stream, opened
            # before, ends instead of sending it.
            listener.join(timeout=30)
            assert not listener.is_alive()
            assert not [line for line in lines if line.startswith("event: worker")], lines
            assert client.get("/api/me", headers=bearer).status_code == 401
            assert _login(client).status_code == 401

            refused = runner.invoke(cli, ["user", "enable", LEAVER], env=env)
            assert refused.exit_code == 1 and "已离职，不能启用" in refused.output
            _committed_roster(database, path, "在职")
            assert _login(client).status_code == 401  # rehired: an administrator enables it
            enabled = runner.invoke(cli, ["user", "enable", LEAVER], env=env)
            assert enabled.exit_code == 0, enabled.output
            assert _login(client).status_code == 200
            disabled = runner.invoke(cli, ["user", "disable", LEAVER], env=env)
            assert disabled.exit_code == 0 and _login(client).status_code == 401
    finally:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            session.query(User).filter_by(username=LEAVER).delete()
            session.query(Worker).filter_by(external_id=NUMBER).delete()
            session.execute(text("DELETE FROM import_runs WHERE file_name = :f"), {"f": path.name})
