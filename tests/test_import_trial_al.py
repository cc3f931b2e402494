"""Trial AL (township and county clerks importing files): what the imports say and record.

M7: every import run by ``zongzhi import`` is recorded with the facts of a console job, the
ones refused whole too, and the supervisor's list of them says the same. M2: the strict-control
persons nobody follows up are named. N4: 分类对照 counts the rows written. N6: a title taken
from a description leaves its phone number out. N7: ``zongzhi imports`` fits 80 columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.cells import cell_len
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.cli import _imports_table
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers.database import apply_scope
from layers.import_runs import (
    CHINA,
    ImportRecord,
    WrittenRows,
    command_line_runs,
    finish_run,
    recent_runs,
    start_run,
)
from layers.secrets import Keys
from tests.api_fixtures import COUNTY_A, ApiWorld
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    OTHER_VILLAGE,
    VILLAGE,
    csv_text,
    import_app,
    refused_run,
    resident_id,
    seed_jurisdictions,
    seeded_database,
)

COUNTY = "530424000000"
HEADERS = ["区划代码", "名称"]


def _runs(engine_url: str) -> list[ImportRecord]:
    from layers.database import make_engine

    engine = make_engine(engine_url, pool_size=1)
    try:
        with engine.begin() as conn:
            apply_scope(conn, None)
            return command_line_runs(conn, COUNTY, personal=True)
    finally:
        engine.dispose()


def test_every_command_line_import_is_recorded_the_refused_ones_too(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """M7: a refused import left no record; a written one only 「导入 N 行」."""
    path = tmp_path / "村居.csv"
    rows = [["530424100003", "新村"], ["5304241000", "坏编码"]]
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    empty = tmp_path / "空表.csv"
    empty.write_text(csv_text(HEADERS, []), encoding="utf-8")
    runner = CliRunner()
    with seeded_database(database, "zz_trial_al_runs") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        env |= {"COLUMNS": "80"}
        base = ["import", "jurisdictions", "--within", "530424", "--user", "li.clerk"]
        tried = runner.invoke(import_app(), [*base, str(path), "--dry-run"], env=env)
        assert tried.exit_code == 1, tried.output
        assert _runs(url) == []  # a dry run is no import
        refused = runner.invoke(import_app(), [*base, str(path)], env=env)
        assert refused.exit_code == 1, refused.output
        unread = runner.invoke(import_app(), [*base, str(empty)], env=env)
        assert unread.exit_code == 2, unread.output
        loaded = runner.invoke(import_app(), [*base, str(path), "--partial"], env=env)
        assert loaded.exit_code == 3, loaded.output  # partly written (trial AN N6)
        runs = _runs(url)
        listed = runner.invoke(import_app(), ["imports"], env=env)
    assert [r.status for r in runs] == ["partial", "refused", "rejected"]
    written, unusable, rejected = runs
    assert {r.username for r in runs} == {"li.clerk"}
    assert (rejected.file_name, rejected.rows_total, rejected.rows_rejected) == ("村居.csv", 2, 1)
    assert rejected.outcome == "rejected" and rejected.refusal is not None
    assert rejected.refusal.startswith("“区划代码” 第 3 行（“5304241000”）：必须是 12 位数字")
    said = "未写入任何数据：2 行中退回 1 行，主要原因：“区划代码” 第 3 行"
    assert rejected.note().startswith(said)
    assert (unusable.file_name, unusable.outcome) == ("空表.csv", "refused")
    assert (
        unusable.note()
        == "未写入任何数据：空表.csv：只有表头，没有数据行，未导入。请检查导出时的筛选条件"
    )
    assert written.outcome == "partial" and written.counts() == {
        "rows": 2,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "ended": 0,
    }
    assert (
        written.note()
        == f"已写入（导入编号 {written.id}）：新增 1 行、更新 0 行、未变 0 行；退回 1 行"
    )
    # the list of imports says the refused ones too, and why (N7: in 80 columns)
    assert listed.exit_code == 0, listed.output
    assert "未写入（无法导入）" in listed.output and "未写入（有退回的行）" in listed.output
    assert "只有表头，没有数据行" in listed.output.replace("\n", "").replace(" ", "")


def test_the_supervisor_reads_a_command_line_import_as_a_console_job(
    database: SuiteDatabase,
    api_client: TestClient,
    auth_headers: Callable[[str], dict[str, str]],
) -> None:
    """M7: the 督导 list of command-line imports gives the result, why and the counts."""
    with database.owner.begin() as conn:
        apply_scope(conn, None)
        refused = refused_run(
            conn,
            kind="video",
            file_name="雪亮工程点位（trial AL）.xlsx",
            user="county.root",
            refusal="缺少必填的列：国标编码（请加 --crs gcj02 重新导入）\n第二行",
            sha256="a" * 64,
            area_code=COUNTY_A,
        )
        started = start_run(
            conn,
            kind="video",
            file_name="雪亮工程点位（trial AL 改）.xlsx",
            sha256="b" * 64,
            source_crs="gcj02",
            user="county.root",
            rows_total=12,
            area_code=COUNTY_A,
        )
        finish_run(conn, started, loaded=11, rejected=1, written=WrittenRows(10, 1, 0))
    try:
        response = api_client.get(
            "/api/imports/supervised/command-line", headers=auth_headers("cmd_a")
        )
        assert response.status_code == 200, response.text
        runs = {run["id"]: run for run in response.json()}
        said = runs[refused]
        assert (said["outcome"], said["outcome_label"]) == ("refused", "无法导入")
        assert said["result_note"].startswith(
            "未写入任何数据：缺少必填的列：国标编码（请将坐标系选为"
        )
        assert "第二行" not in said["result_note"] and said["import_id"] is None
        done = runs[started]
        assert (done["outcome"], done["outcome_label"], done["import_id"]) == (
            "partial",
            "部分导入",
            started,
        )
        assert done["counts"] == {
            "rows": 12,
            "inserted": 10,
            "updated": 1,
            "unchanged": 0,
            "rejected": 1,
            "ended": 0,
        }
        assert done["result_note"].startswith(f"已写入（导入编号 {started}）：新增 10 行")
    finally:
        with database.owner.begin() as conn:
            apply_scope(conn, None)
            ids = {"a": refused, "b": started}
            conn.execute(text("DELETE FROM import_runs WHERE id IN (:a, :b)"), ids)


KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
PERSONS = ["姓名", "公民身份号码", "人员类别", "管控级别", "所属社区", "网格编码", "帮扶责任人"]


def test_strict_control_persons_nobody_follows_are_named(db: Session, tmp_path: Path) -> None:
    """M2: a 严管 person with no grid and no 帮扶责任人 is on nobody's visit list."""
    seed_jurisdictions(db)
    workers = tmp_path / "网格员.csv"
    workers.write_text(
        csv_text(["工号", "姓名", "手机号", "负责网格"], [["AL-01", "王芳", "13800000011", GRID]]),
        encoding="utf-8",
    )
    assert run_import(db.connection(), workers, ImportOptions(kind="workers")).committed
    path = tmp_path / "社区矫正.csv"
    rows = [
        ["甲", resident_id(61), "社区矫正人员", "严管", OTHER_VILLAGE, "", ""],  # nobody: named
        ["乙", resident_id(62), "社区矫正人员", "严管", VILLAGE, GRID, ""],  # the grid's
        ["丙", resident_id(63), "社区矫正人员", "严管", VILLAGE, "", "王芳"],  # hers
        ["丁", resident_id(64), "社区矫正人员", "普管", OTHER_VILLAGE, "", ""],  # not strict
        ["戊", resident_id(65), "社区矫正人员", "严管", OTHER_VILLAGE, "", ""],  # nobody: named
    ]  # 邻村 has no grid: in the test village, its only grid would be theirs (trial AV M1)
    path.write_text(csv_text(PERSONS, rows), encoding="utf-8")
    outcome = run_import(db.connection(), path, ImportOptions(kind="persons"), keys=KEYS)
    assert outcome.committed, outcome.problems
    said = [n for n in outcome.notes if "重点管控（严管）" in n]
    assert said == [
        "2 名重点管控（严管）人员没有所属网格，也没有帮扶责任人，不在任何网格员的走访名单上"
        "（第 2、6 行）：请在网格一栏填写其网格，或在帮扶责任人一栏填写网格员的姓名或工号后"
        "重新导入本表"
    ]
    # given a grid since, the same file's persons are followed: nothing said
    db.execute(text("UPDATE persons SET grid_code = :g WHERE grid_code IS NULL"), {"g": GRID})
    again = run_import(
        db.connection(), path, ImportOptions(kind="persons", dry_run=True), keys=KEYS
    )
    assert not [n for n in again.notes if "重点管控（严管）" in n]


def test_the_list_of_imports_fits_80_columns() -> None:
    """N7: at 80 columns the time was cut and the name folded five characters a line."""
    name = "华宁县特殊人群花名册_改（6月）.xlsx（工作表“严重精神障碍患者”）"
    runs = [
        ImportRecord(
            id=1211,
            kind="persons",
            file_name=name,
            sha256="09cefde92a8c" + "0" * 52,
            source_crs="cgcs2000",
            username="zhang.wei",
            status="partial",
            started_at=datetime(2025, 6, 2, 10, 53, tzinfo=CHINA),
            rows_total=30,
            rows_loaded=28,
            rows_rejected=2,
            rows_inserted=20,
            rows_updated=8,
            rows_unchanged=0,
        ),
        ImportRecord(
            id=1212,
            kind="video",
            file_name="雪亮工程设备通道导出.xlsx",
            sha256="a" * 64,
            source_crs="",
            username="li.na",
            status="rejected",
            started_at=datetime(2025, 6, 3, 9, 5, tzinfo=CHINA),
            rows_total=3405,
            rows_loaded=0,
            rows_rejected=12,
            refusal="“国标编码” 12 行：须为 20 位数字",
        ),
    ]
    console = Console(width=80, record=True)
    console.print(_imports_table(runs, 80))
    shown = console.export_text()
    lines = shown.splitlines()
    assert max(cell_len(line) for line in lines) <= 80 and "…" not in shown
    first = next(line for line in lines if line.lstrip().startswith("1211 "))
    assert "2025-06-02 10:53" in first and "zhang.wei" in first and "部分导入" in first
    body = "".join(line.strip() for line in lines)
    assert name in body  # whole, folded over at most two lines
    assert "共 30 行：新增 20，更新 8，未变 0，退回 2" in shown
    assert "“国标编码” 12 行：须为 20 位数字" in shown and "未写入（有退回的行）" in shown
    wide = Console(width=160, record=True)
    wide.print(_imports_table(runs, 160))
    assert "SHA-256 09cefde92a8c" in wide.export_text()  # wide enough: the CRS and checksum too


def test_recent_runs_give_the_refused_imports(db: Session) -> None:
    """M7: ``zongzhi imports`` reads the refused imports with the others."""
    apply_scope(db, None)
    run_id = refused_run(
        db.connection(),
        kind="cases",
        file_name="工单 13912345678.csv",
        user="root",
        refusal="反映人 13912345678 的工单：文件无法读取",
        sha256="",
    )
    (run,) = [r for r in recent_runs(db.connection(), limit=5, kind="cases") if r.id == run_id]
    assert run.status == "refused" and run.refusal == "反映人 139****5678 的工单：文件无法读取"


CASES = ["工单编号", "受理渠道", "问题分类", "所属网格", "受理时间", "办理状态", "诉求内容"]


def _cases(db: Session, path: Path, rows: list[list[str]], **options: bool) -> ImportOutcome:
    path.write_text(csv_text(CASES, rows), encoding="utf-8")
    return run_import(db.connection(), path, ImportOptions(kind="cases", **options))


@pytest.mark.parametrize("partial", [True, False])
def test_the_classification_lines_count_the_rows_written(
    db: Session, tmp_path: Path, partial: bool
) -> None:
    """N4: 分类对照 counted the rows refused too (3 行 of a file that wrote 2)."""
    seed_jurisdictions(db)
    noise = "社会治安>邻里纠纷>噪音扰民"
    rows = [
        ["AL-N4-1", "12345", noise, GRID, "2025-03-01 08:30", "办理中", "夜间施工"],
        ["AL-N4-2", "12345", noise, GRID, "2025-03-02 08:30", "办理中", "广场舞"],
        ["AL-N4-3", "12345", noise, GRID, "不是日期", "办理中", "装修"],  # refused
        ["AL-N4-4", "12345", "应急管理>消防安全", GRID, "不是日期", "办理中", "通道"],  # refused
    ]
    outcome = _cases(db, tmp_path / "工单.csv", rows, partial=partial)
    assert outcome.rejected_rows == 2 and outcome.committed is partial
    (note,) = [n for n in outcome.notes if n.startswith("分类对照")]
    assert note.split("\n") == [
        "分类对照（本文件的分类按以下读取，行数多的在前；不计退回的 2 行）：",
        f"  {noise} → 矛盾纠纷/环境污染（2 行）",
    ]


def test_a_title_taken_from_the_description_leaves_a_phone_number_out(
    db: Session, tmp_path: Path
) -> None:
    """N6: 「张先生138****1234反映…」 as a case's title."""
    seed_jurisdictions(db)
    said = "张先生13812341234反映小区夜间施工噪音扰民"
    rows = [
        ["AL-N6-1", "12345", "矛盾纠纷", GRID, "2025-03-01 08:30", "办理中", said],
        ["AL-N6-2", "12345", "矛盾纠纷", GRID, "2025-03-01 09:30", "办理中", "13912345678"],
    ]
    assert _cases(db, tmp_path / "工单.csv", rows).committed
    stored = dict(
        db.execute(
            text(
                "SELECT title, description FROM cases WHERE external_no LIKE 'AL-N6-%'"
                " ORDER BY external_no"
            )
        ).all()
    )
    assert stored == {
        "张先生反映小区夜间施工噪音扰民": "张先生138****1234反映小区夜间施工噪音扰民",
        # nothing left of it: its type, place and day, as without a description (trial AN N5)
        "矛盾纠纷·测试社区·2025年3月1日": "139****5678",
    }


def test_a_console_jobs_refused_import_is_listed_once_with_why(
    db: Session, api_world: ApiWorld, tmp_path: Path
) -> None:
    """M7: the record a console job's refused import leaves is the job's, named in its result."""
    from importers.cli import RunSummary
    from layers import import_jobs

    conn = db.connection()
    run_id = refused_run(
        conn,
        kind="cases",
        file_name="页面工单.csv",
        user="disp_a1",
        refusal="请加 --crs gcj02 重新导入",
        area_code=COUNTY_A,
    )
    summary = RunSummary(tmp_path / "summary.json", dry_run=False)
    summary.part_started()
    summary.recorded(run_id, "请加 --crs gcj02 重新导入")
    summary.part_ended(2, 0, tmp_path / "页面工单.csv.rejects.xlsx")
    result = summary.totals(finished=True)
    assert (result["status"], result["run_ids"]) == ("refused", [run_id])
    user = api_world.users["disp_a1"]
    job = import_jobs.create(
        db,
        account_id=user.id,
        username=user.username,
        scope_code=user.scope_code,
        kind="cases",
        file_name="页面工单.csv",
        file_sha256="c" * 64,
        file_bytes=10,
        options={"dry_run": False},
    )
    job.state, job.exit_code, job.result = "finished", 2, result
    db.flush()
    assert run_id not in {r.id for r in command_line_runs(conn, COUNTY_A, personal=True)}
    assert import_jobs.result_note(job) == (
        "未写入任何数据：请将坐标系选为“GCJ-02（高德、腾讯地图）”重新导入"
    )
