"""Trial AN: the command-line imports a county's supervisor follows, and the command's exit codes.

M4: a run refused before its rows were placed (a missing column) has no area; it was in no
supervisor's 督导 list. A centre serves one county: such a run is listed to every supervisor of
a county or above, with why it wrote nothing. N6: ``--partial`` that wrote rows exited 1, as a
file that wrote nothing; it exits 3 now.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from importers.cli import EXIT_PARTLY, EXIT_REJECTED, EXIT_UNUSABLE
from layers.database import apply_scope, make_engine
from layers.import_runs import ImportRecord, command_line_runs
from tests.conftest import SuiteDatabase
from tests.import_fixtures import VILLAGE, WEST, csv_text, import_app, refused_run, seeded_database

COUNTY = "530424000000"
TOWNSHIP = "530424100000"
HEADERS = ["事件类型", "登记时间", "经度", "纬度", "所属社区"]


def _runs(url: str, scope: str) -> list[ImportRecord]:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            apply_scope(conn, None)
            return command_line_runs(conn, scope, personal=True)
    finally:
        engine.dispose()


def test_refused_runs_without_an_area_are_the_county_supervisors(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """M4: the county's list had only the partial run, not the three refused before it."""
    path = tmp_path / "an_cases.csv"
    rows = [
        ["邻里纠纷", "2026-11-01 09:00", str(WEST + 0.005), "24.21", VILLAGE],
        ["噪音扰民", "2026-11-02 10:00", str(WEST + 0.006), "24.21", VILLAGE],
        ["邻里纠纷", "2026-13-03 11:00", str(WEST + 0.007), "24.21", VILLAGE],  # no 13th month
    ]
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    runner = CliRunner()
    base = ["import", "cases", str(path), "--user", "an.clerk"]
    with seeded_database(database, "zz_trial_an_supervised") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        missing = runner.invoke(import_app(), base, env=env)
        assert missing.exit_code == EXIT_UNUSABLE, missing.output
        fixed = [*base, "--set", "来源渠道=来电"]
        rejected = runner.invoke(import_app(), fixed, env=env)
        assert rejected.exit_code == EXIT_REJECTED, rejected.output
        partly = runner.invoke(import_app(), [*fixed, "--partial"], env=env)
        # N6: --partial wrote two rows and left one out: not the exit of a file that wrote nothing
        assert partly.exit_code == EXIT_PARTLY == 3, partly.output
        county, township = _runs(url, COUNTY), _runs(url, TOWNSHIP)
    assert [r.status for r in county] == ["partial", "rejected", "refused"]
    assert {r.username for r in county} == {"an.clerk"}
    written, bad_row, no_column = county
    assert no_column.refusal is not None and "来源渠道" in no_column.refusal
    assert no_column.note().startswith("未写入任何数据：") and "来源渠道" in no_column.note()
    assert bad_row.outcome == "rejected" and bad_row.rows_rejected == 1
    assert (written.rows_inserted, written.rows_rejected) == (2, 1)
    # the township's supervisor follows its own area only: the runs of no area are the county's
    assert no_column.id not in {r.id for r in township}


def test_the_county_commander_reads_a_refused_run_of_no_area(
    database: SuiteDatabase,
    api_client: TestClient,
    auth_headers: Callable[[str], dict[str, str]],
) -> None:
    """M4: GET /api/imports/supervised/command-line gave a county commander no area-less run."""
    with database.owner.begin() as conn:
        apply_scope(conn, None)
        refused = refused_run(
            conn,
            kind="cases",
            file_name="an_cases（trial AN）.csv",
            user="an.clerk",
            refusal="缺少必填的列：来源渠道（可用 --set 来源渠道=… 给出）",
        )
    try:
        seen = {}
        for account in ("cmd_a", "cmd_city", "cmd_village"):
            response = api_client.get(
                "/api/imports/supervised/command-line", headers=auth_headers(account)
            )
            assert response.status_code == 200, response.text
            seen[account] = {run["id"]: run for run in response.json()}
        said = seen["cmd_a"][refused]
        assert (said["outcome"], said["outcome_label"]) == ("refused", "无法导入")
        assert said["result_note"].startswith("未写入任何数据：缺少必填的列：来源渠道")
        assert refused in seen["cmd_city"]  # a county or above
        assert refused not in seen["cmd_village"]  # a village's commander: its own area only
    finally:
        with database.owner.begin() as conn:
            apply_scope(conn, None)
            conn.execute(text("DELETE FROM import_runs WHERE id = :id"), {"id": refused})
