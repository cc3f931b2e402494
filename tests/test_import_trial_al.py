"""Trial AL (township and county clerks importing files): what the imports say and record.

M7: every import run by ``zongzhi import`` is recorded with the facts of a console job, the
ones refused whole too, and the supervisor's list of them says the same. N7: ``zongzhi imports``
fits 80 columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from rich.cells import cell_len
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.cli import _imports_table
from layers.database import apply_scope
from layers.import_runs import (
    CHINA,
    ImportRecord,
    WrittenRows,
    command_line_runs,
    finish_run,
    recent_runs,
    record_refused,
    start_run,
)
from tests.api_fixtures import COUNTY_A
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    csv_text,
    import_app,
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
        assert loaded.exit_code == 1, loaded.output
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
        refused = record_refused(
            conn,
            kind="video",
            file_name="雪亮工程点位（trial AL）.xlsx",
            sha256="a" * 64,
            source_crs="",
            user="county.root",
            rows_total=0,
            rows_rejected=0,
            refusal="缺少必填的列：国标编码（请加 --crs gcj02 重新导入）\n第二行",
            rejected=False,
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
    run_id = record_refused(
        db.connection(),
        kind="cases",
        file_name="工单 13912345678.csv",
        sha256="",
        source_crs="",
        user="root",
        rows_total=0,
        rows_rejected=0,
        refusal="反映人 13912345678 的工单：文件无法读取",
        rejected=False,
    )
    (run,) = [r for r in recent_runs(db.connection(), limit=5, kind="cases") if r.id == run_id]
    assert run.status == "refused" and run.refusal == "反映人 139****5678 的工单：文件无法读取"
