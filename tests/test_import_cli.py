"""``zongzhi import`` end to end: committed imports, reports, and a load killed halfway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from importers.report import REPORT_SHEET, ROWS_SHEET
from layers.embedded import OWNER_ROLE
from tests.conftest import SuiteDatabase
from tests.import_fixtures import csv_text, import_app

PROVINCE = "640000000000"  # this file's own province, so committed rows touch no other test
HIERARCHY = [
    ["640000000000", "宁夏回族自治区"],
    ["640100000000", "银川市"],
    ["640104000000", "兴庆区"],
    ["640104001000", "某街道"],
    ["640104001001", "某社区"],
]


def _scoped(engine: Engine, sql: str, params: dict[str, object] | None = None) -> int:
    with engine.begin() as conn:
        conn.execute(
            text(
                "SELECT set_config('zongzhi.scope_lo', '', true), "
                "set_config('zongzhi.scope_hi', '~', true)"
            )
        )
        result = conn.execute(text(sql), params or {})
        return int(result.scalar_one()) if result.returns_rows else 0


def _cleanup(engine: Engine, file_names: list[str]) -> None:
    _scoped(engine, "DELETE FROM jurisdictions WHERE code LIKE '64%' AND level = 5")
    for level in (4, 3, 2, 1):
        _scoped(engine, f"DELETE FROM jurisdictions WHERE code LIKE '64%' AND level = {level}")
    _scoped(engine, "DELETE FROM import_runs WHERE file_name = ANY(:f)", {"f": file_names})


@pytest.fixture
def env(database: SuiteDatabase, tmp_path: Path) -> Iterator[dict[str, str]]:
    names = ["jurisdictions.csv", "big_cases.csv"]
    _cleanup(database.owner, names)
    yield {"ZONGZHI_DATABASE_URL": database.urls.owner, "ZONGZHI_HOME": str(tmp_path / "home")}
    _cleanup(database.owner, names)


def test_cli_imports_commits_and_reports(
    database: SuiteDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    rows = [*HIERARCHY, ["640104001999", "孤儿村"], ["6401040010", "坏编码"]]
    rows[5] = ["640104002001", "无上级村"]  # its township 640104002000 is nowhere
    path = tmp_path / "jurisdictions.csv"
    path.write_text(csv_text(["区划代码", "名称"], rows), encoding="gbk")
    report = tmp_path / "rejects.xlsx"
    runner = CliRunner()
    args = ["import", "jurisdictions", str(path), "--report", str(report), "--user", "tester"]
    wide = {**env, "COLUMNS": "200"}
    refused = runner.invoke(import_app(), args, env=env)
    assert refused.exit_code == 1, refused.output
    assert "已退回" in refused.output and "未导入任何数据" in refused.output
    assert "cgcs2000" not in refused.output  # no coordinates read: no source CRS to show
    assert "退回报告：" in refused.output
    assert _scoped(database.owner, "SELECT count(*) FROM jurisdictions WHERE code LIKE '64%'") == 0

    from openpyxl import load_workbook

    sheet = load_workbook(report).active
    assert sheet is not None
    lines = [tuple(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1]) for r in lines] == [(7, "区划代码"), (8, "区划代码")]
    assert str(lines[0][3]) == "上级辖区 640104002000 既不在数据库中，也不在本文件中"

    loaded = runner.invoke(import_app(), [*args, "--partial"], env=env)
    assert loaded.exit_code == 3, loaded.output  # valid rows loaded, some rejected
    assert "部分导入" in loaded.output and "未导入任何数据" not in loaded.output
    assert _scoped(database.owner, "SELECT count(*) FROM jurisdictions WHERE code LIKE '64%'") == 5
    runs = _scoped(
        database.owner,
        "SELECT count(*) FROM import_runs WHERE file_name = 'jurisdictions.csv' "
        "AND username = 'tester' AND status = 'partial' AND rows_loaded = 5",
    )
    assert runs == 1
    again = runner.invoke(import_app(), [*args, "--partial"], env=env)
    assert again.exit_code == 3  # the same two rows rejected again, the rest as they were
    assert "此文件（内容相同）已于" in again.output and "由 tester 导入过" in again.output
    assert "写入 5 行）；重新导入不会重复新增记录" in again.output
    # a third time: the note names the import that wrote the rows, not the one that found
    # them as they were (trial Y: 导入编号 11，写入 0 行)
    third = runner.invoke(import_app(), [*args, "--partial"], env=env)
    assert "写入 5 行）；重新导入不会重复新增记录" in third.output, third.output
    listed = runner.invoke(import_app(), ["imports", "--kind", "jurisdictions"], env=wide)
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if "jurisdictions.csv" in line]
    assert len(lines) >= 2 and "tester" in lines[0] and "部分导入" in lines[0]
    assert "辖区" in lines[0] and "jurisdictions " not in lines[0]  # the kind in Chinese
    assert "坐标系 CGCS2000（国家2000坐标系）" in listed.output  # the CRS each import read
    unknown = runner.invoke(import_app(), ["imports", "--kind", "roads"], env=env)
    assert unknown.exit_code == 2 and "未知的导入类型" in unknown.output
    assert (
        _scoped(
            database.owner,
            "SELECT count(*) FROM import_runs WHERE file_name = 'jurisdictions.csv' "
            "AND rows_loaded = 0 AND status IN ('loaded', 'partial')",
        )
        == 2  # the second and the third (the first, refused whole, is recorded as such)
    )
    # --partial, and every row refused: it wrote nothing, and is listed so (trial AB)
    path.write_text(csv_text(["区划代码", "名称"], [["6401040010", "坏编码"]]), encoding="gbk")
    nothing = runner.invoke(import_app(), [*args, "--partial"], env=env)
    assert nothing.exit_code == 1, nothing.output
    listed = runner.invoke(import_app(), ["imports", "--kind", "jurisdictions"], env=wide)
    top = next(line for line in listed.output.splitlines() if "jurisdictions.csv" in line)
    assert "未写入（全部退回）" in top and "部分导入" not in top, listed.output


def test_cli_writes_the_report_beside_the_file_as_xlsx(
    database: SuiteDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "jurisdictions.csv"
    path.write_text(csv_text(["区划代码", "名称"], [["6401040010", "坏编码"]]), encoding="gbk")
    result = CliRunner().invoke(import_app(), ["import", "jurisdictions", str(path)], env=env)
    assert result.exit_code == 1, result.output
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "jurisdictions.csv.rejects.xlsx").active
    assert sheet is not None
    cell = sheet.cell(row=2, column=3)
    assert (cell.value, cell.data_type) == ("6401040010", "s")  # the code as text


def test_several_files_are_imported_one_by_one(
    database: SuiteDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    good = tmp_path / "jurisdictions.csv"
    good.write_text(csv_text(["区划代码", "名称"], HIERARCHY), encoding="gbk")
    blank = tmp_path / "空表.csv"
    blank.write_text("\n\n", encoding="utf-8")
    runner = CliRunner()
    both = runner.invoke(import_app(), ["import", "jurisdictions", str(good), str(blank)], env=env)
    assert both.exit_code == 2, both.output  # one file could not be read at all
    assert "空表.csv：文件中只有空行" in both.output
    assert "共 2 个文件：导入 1 个，退回 0 个，无法导入 1 个" in both.output
    assert _scoped(database.owner, "SELECT count(*) FROM jurisdictions WHERE code LIKE '64%'") == 5
    one_report = ["import", "jurisdictions", str(good), str(blank), "--report", "r.xlsx"]
    refused = runner.invoke(import_app(), one_report, env=env)
    assert refused.exit_code == 2 and "--report 只能用于单个文件" in refused.output


def _last_analyze(engine: Engine, table: str) -> object:
    with engine.connect() as conn:
        sql = "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :t"
        return conn.execute(text(sql), {"t": table}).scalar_one()


def test_a_large_import_gathers_its_tables_statistics_and_a_small_one_does_not(
    database: SuiteDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    from importers.cli import RESHAPING_ROWS

    runner = CliRunner()
    path = tmp_path / "jurisdictions.csv"
    path.write_text(csv_text(["区划代码", "名称"], HIERARCHY), encoding="gbk")
    before = _last_analyze(database.owner, "jurisdictions")
    small = runner.invoke(import_app(), ["import", "jurisdictions", str(path)], env=env)
    assert small.exit_code == 0, small.output
    assert _last_analyze(database.owner, "jurisdictions") == before
    villages = [[f"640104001{n:03d}", f"第{n}村"] for n in range(2, RESHAPING_ROWS + 2)]
    path.write_text(csv_text(["区划代码", "名称"], [*HIERARCHY, *villages]), encoding="gbk")
    large = runner.invoke(import_app(), ["import", "jurisdictions", str(path)], env=env)
    assert large.exit_code == 0, large.output
    after = _last_analyze(database.owner, "jurisdictions")
    assert after is not None and after != before  # not left to autovacuum's next round


def test_sheet_all_imports_each_data_sheet_in_turn(
    database: SuiteDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    upper = book.active
    assert upper is not None
    upper.title = "上级"
    for row in [["区划代码", "名称"], *HIERARCHY[:4]]:
        upper.append(row)
    villages = book.create_sheet("村")
    for row in [["区划代码", "名称"], HIERARCHY[4], ["6401040010", "坏编码"]]:
        villages.append(row)
    path = tmp_path / "各级.xlsx"
    book.save(path)
    runner = CliRunner()
    args = ["import", "jurisdictions", str(path), "--sheet", "all"]
    try:
        first = runner.invoke(import_app(), args, env=env)
        assert first.exit_code == 1, first.output
        assert "共 2 个工作表或图层：导入 1 个，退回 1 个，无法导入 0 个" in first.output
        assert (tmp_path / "各级.xlsx.村.rejects.xlsx").exists()
        count = "SELECT count(*) FROM jurisdictions WHERE code LIKE '64%'"
        assert _scoped(database.owner, count) == 4
        second = runner.invoke(import_app(), [*args, "--partial"], env=env)
        assert second.exit_code == 3, second.output  # valid rows loaded, some rejected
        assert _scoped(database.owner, count) == 5
        assert second.output.count("此文件（内容相同）已于") == 1  # the sheet 上级 only
    finally:
        _scoped(database.owner, "DELETE FROM import_runs WHERE file_name LIKE '各级.xlsx%'")


def test_rows_rejected_by_a_partial_import_are_corrected_in_the_report_and_imported(
    database: SuiteDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    rows = [*HIERARCHY[:4], ["6401040010", "某社区"]]  # the village's code lost two digits
    path = tmp_path / "jurisdictions.csv"
    path.write_text(csv_text(["区划代码", "名称"], rows), encoding="gbk")
    runner = CliRunner()
    first = runner.invoke(
        import_app(), ["import", "jurisdictions", str(path), "--partial"], env=env
    )
    assert first.exit_code == 3, first.output  # valid rows loaded, some rejected
    report = tmp_path / "jurisdictions.csv.rejects.xlsx"
    book = load_workbook(report)
    assert book.sheetnames == [REPORT_SHEET, ROWS_SHEET]
    sheet = book[ROWS_SHEET]
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert lines[0] == ["区划代码", "名称", "退回原因", "原行号"]
    assert lines[1][:2] == ["6401040010", "某社区"] and lines[1][3] == 6
    assert str(lines[1][2]).startswith("区划代码：")
    sheet.cell(row=2, column=1, value="640104001001")  # the clerk corrects the code
    book.save(report)
    again = runner.invoke(import_app(), ["import", "jurisdictions", str(report)], env=env)
    assert again.exit_code == 0, again.output
    assert "工作表“退回的行" in again.output and "已导入" in again.output
    count = "SELECT count(*) FROM jurisdictions WHERE code LIKE '64%'"
    assert _scoped(database.owner, count) == 5
    _scoped(database.owner, "DELETE FROM import_runs WHERE file_name LIKE 'jurisdictions.csv.%'")

    # A persons file's report never copies resident IDs: no sheet of rows to correct.
    people = tmp_path / "persons.csv"
    bad_id = "64010419900101001X"  # wrong check digit
    people_rows = [["刑满释放人员", "某人", bad_id, "640104001001"]]
    people.write_text(csv_text(["人员类别", "姓名", "身份证号", "所属社区"], people_rows))
    args = ["import", "persons", str(people), "--partial"]
    checked = runner.invoke(import_app(), args, env=env)
    assert checked.exit_code == 1 and "部分导入" in checked.output, checked.output
    _scoped(database.owner, "DELETE FROM import_runs WHERE file_name = 'persons.csv'")
    book = load_workbook(tmp_path / "persons.csv.rejects.xlsx")
    assert book.sheetnames == [REPORT_SHEET]
    assert bad_id not in str([list(r) for r in book[REPORT_SHEET].iter_rows(values_only=True)])


def test_a_trial_runs_report_has_the_rows_to_correct_as_the_real_imports_has(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Trial AR M6: the trial run's report had only 逐行说明, not the rows to correct."""
    from openpyxl import load_workbook

    rows = [*HIERARCHY[:4], ["6401040010", "某社区"]]  # the village's code lost two digits
    path = tmp_path / "jurisdictions.csv"
    path.write_text(csv_text(["区划代码", "名称"], rows), encoding="gbk")
    args = ["import", "jurisdictions", str(path), "--dry-run"]
    trial = CliRunner().invoke(import_app(), args, env=env)
    assert trial.exit_code == 1, trial.output
    book = load_workbook(tmp_path / "jurisdictions.csv.rejects.xlsx")
    assert book.sheetnames == [REPORT_SHEET, ROWS_SHEET]
    lines = [list(r) for r in book[ROWS_SHEET].iter_rows(values_only=True)]
    assert lines[0] == ["区划代码", "名称", "退回原因", "原行号"]
    assert lines[1][:2] == ["6401040010", "某社区"] and lines[1][3] == 6
    assert str(lines[1][2]).startswith("区划代码：") and len(lines) == 2


def test_the_import_pages_output_draws_its_table_in_plain_text(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Trial AR m6: the page's 命令输出 box drew the box characters of the table apart."""
    path = tmp_path / "jurisdictions.csv"
    path.write_text(csv_text(["区划代码", "名称"], HIERARCHY[:4]), encoding="gbk")
    args = ["import", "jurisdictions", str(path), "--dry-run"]
    terminal = CliRunner().invoke(import_app(), args, env=env)
    assert terminal.exit_code == 0 and "┃ 行数 ┃" in terminal.output, terminal.output
    page = CliRunner().invoke(import_app(), args, env={**env, "ZONGZHI_IMPORT_PAGE": "1"})
    assert page.exit_code == 0, page.output
    assert "| 行数 | 退回 | 新增 |" in page.output and "| 4    | 0    | 4    |" in page.output
    assert not set(page.output) & {chr(c) for c in range(0x2500, 0x2580)}


def test_cli_unknown_kind_is_refused_in_chinese(tmp_path: Path) -> None:
    result = CliRunner().invoke(import_app(), ["import", "parcels", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert "错误：未知的导入类型" in result.output and "jurisdictions、grids" in result.output


def test_cli_asks_which_layer_then_imports_it(
    database: SuiteDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    import geopandas as gpd
    import shapely

    path = tmp_path / "boundaries.gpkg"
    for layer, rows in (("省市县", HIERARCHY[:3]), ("乡镇", HIERARCHY[3:4])):
        gpd.GeoDataFrame(
            {"区划代码": [r[0] for r in rows], "名称": [r[1] for r in rows]},
            geometry=[shapely.box(106.2, 38.4, 106.3, 38.5)] * len(rows),
            crs=4490,
        ).to_file(path, layer=layer)
    runner = CliRunner()
    args = ["import", "jurisdictions", str(path), "--dry-run"]
    asked = runner.invoke(import_app(), args, env=env)
    assert asked.exit_code == 2
    assert "有 2 个图层：省市县、乡镇。请用 --layer" in asked.output
    checked = runner.invoke(import_app(), [*args, "--layer", "省市县"], env=env)
    assert checked.exit_code == 0, checked.output
    assert "boundaries.gpkg（图层“省市县”）" in checked.output and "试运行" in checked.output
    assert "列对照：区划代码 ← 区划代码；名称 ← 名称；边界 ← 文件的几何" in checked.output
    assert _scoped(database.owner, "SELECT count(*) FROM jurisdictions WHERE code LIKE '64%'") == 0


def _stderr(process: subprocess.Popen[bytes]) -> str:
    return process.stderr.read().decode() if process.stderr is not None else ""


def test_import_killed_while_copying_leaves_nothing(
    database: SuiteDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    with database.owner.begin() as conn:
        conn.execute(
            text(
                "SELECT set_config('zongzhi.scope_lo', '', true), "
                "set_config('zongzhi.scope_hi', '~', true)"
            )
        )
        for level, (code, name) in enumerate(HIERARCHY, start=1):
            conn.execute(
                text(
                    "INSERT INTO jurisdictions (code, name, level, parent_code) "
                    "VALUES (:c, :n, :l, :p)"
                ),
                {
                    "c": code,
                    "n": name,
                    "l": level,
                    "p": HIERARCHY[level - 2][0] if level > 1 else None,
                },
            )
    # The test holds the cases' id sequence (ALTER SEQUENCE, rolled back below), so the COPY
    # waits at its first row's id (nextval) while the child sends its rows: the child is
    # caught in the COPY whatever the machine's speed. It took a file of 400,000 rows (about
    # 15 s of CPU to read and check) to catch a COPY that nothing held.
    n = 20_000
    path = tmp_path / "big_cases.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("工单编号,来源渠道,事件类型,标题,所属社区,登记时间\n")
        handle.writelines(
            f"KILL-{i},12345热线,邻里纠纷,标题{i},640104001001,2025-01-01 08:00:00\n"
            for i in range(n)
        )
    code = "from layers.cli import app; from importers.cli import register; register(app); app()"
    holding = database.owner.connect()
    process: subprocess.Popen[bytes] | None = None
    try:
        increment = holding.execute(
            text("SELECT increment_by FROM pg_sequences WHERE sequencename = 'cases_id_seq'")
        ).scalar_one()
        holding.execute(text(f"ALTER SEQUENCE cases_id_seq INCREMENT BY {int(increment)}"))
        process = subprocess.Popen(
            [sys.executable, "-c", code, "import", "cases", str(path)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[1],
        )
        copying = (
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY \"zz_staging_cases%' "
            "AND wait_event_type = 'Lock'"
        )
        seen = False
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if _scoped(database.owner, copying):
                seen = True
                break
            time.sleep(0.02)
        errors = "" if seen or process.poll() is None else _stderr(process)
        assert seen, f"never saw the COPY (exit {process.poll()}): {errors}"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
    finally:
        if process is not None and process.poll() is None:  # never let it go on to commit
            process.kill()
            process.wait(timeout=30)
        holding.rollback()  # the sequence as it was; the dead client's COPY goes on, and fails
        holding.close()
    # The server notices the dead client and aborts its transaction.
    gone = (
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%zz_staging_cases%' "
        "AND query NOT LIKE '%pg_stat_activity%'"
    )
    deadline = time.monotonic() + 60
    while _scoped(database.owner, gone) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (
        _scoped(database.owner, "SELECT count(*) FROM cases WHERE external_no LIKE 'KILL-%'") == 0
    )
    assert (
        _scoped(
            database.owner, "SELECT count(*) FROM import_runs WHERE file_name = 'big_cases.csv'"
        )
        == 0
    )


def test_a_database_not_at_the_codes_schema_is_refused_with_the_command_to_run(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    info = database.cluster.info()
    server = info.url(OWNER_ROLE).rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS zz_unmigrated WITH (FORCE)")
        conn.execute("CREATE DATABASE zz_unmigrated")
    env = {
        "ZONGZHI_DATABASE_URL": info.url(OWNER_ROLE, "postgresql+psycopg").rsplit("/", 1)[0]
        + "/zz_unmigrated",
        "ZONGZHI_HOME": str(tmp_path / "home"),
    }
    path = tmp_path / "jurisdictions.csv"
    path.write_text(csv_text(["区划代码", "名称"], HIERARCHY), encoding="utf-8")
    runner = CliRunner()
    try:
        for args in (["import", "jurisdictions", str(path)], ["imports"]):
            refused = runner.invoke(import_app(), args, env=env)
            assert refused.exit_code == 2, refused.output
            assert "数据库尚未建表：请先运行 zongzhi db migrate" in refused.output
    finally:
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE zz_unmigrated WITH (FORCE)")
