"""A re-division's names and days, and what a refused run leaves of a reject report (F11, F12, F14).

龙潭镇's 石坝村 and 石寨村 merge into 石岩村 (:mod:`tests.test_import_history_placement`). The
自然资源局's layer names the new village by its committee (石岩村委会), the 民政局's change table
gives the real day of the merger, a file imported again after unrelated ones is no resent file,
and a dry run never deletes the report a clerk is working through.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.pipeline import ImportOptions, ImportOutcome, Superseded, run_import
from tests.conftest import SuiteDatabase
from tests.import_fixtures import (
    GRID,
    box,
    csv_text,
    import_app,
    imported_cases,
    seeded_database,
    write_gbk,
)
from tests.test_import_history_placement import (
    MERGED_ON,
    SHIBA,
    SHIBA_GRID,
    SHIYAN,
    SHIZHAI,
    TOWN,
    seed_town,
)

LAYER = ["区划代码", "名称", "边界", "原区划代码"]
WHOLE = box(103.20, 24.40, 103.30, 24.50)
FORMER = f"{SHIBA}、{SHIZHAI}"


def _import(
    db: Session, tmp_path: Path, name: str, headers: list[str], rows: list[list[str]], kind: str
) -> ImportOutcome:
    path = write_gbk(tmp_path, name, headers, rows)
    return run_import(db.connection(), path, ImportOptions(kind=kind, crs="cgcs2000"))


def _today(db: Session) -> str:
    return str(db.execute(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")).scalar_one())


def _retired(db: Session, table: str = "jurisdictions") -> dict[str, tuple[str, str | None]]:
    rows = db.execute(
        text(
            f"SELECT code, retired_on::text, successor_code FROM {table}"
            " WHERE code LIKE '530424109%' AND retired_on IS NOT NULL"
        )
    ).all()
    return {str(code): (str(on), successor) for code, on, successor in rows}


def test_a_merged_village_named_by_its_committee_is_named_as_its_neighbours(
    db: Session, tmp_path: Path
) -> None:
    """The layer names no unit on record: the township's villages tell how to name it (F11)."""
    seed_town(db, merged=False)
    rows = [[SHIYAN, "石岩村委会", WHOLE, FORMER]]
    outcome = _import(db, tmp_path, "石岩村村界.csv", LAYER, rows, "jurisdictions")
    assert outcome.status == "loaded", outcome.problems
    name = db.execute(text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": SHIYAN})
    assert name.scalar_one() == "石岩村"
    assert "新单位 1 个同样不写“村委会”“居委会”等字样：石岩村" in outcome.notes
    retired = next(note for note in outcome.notes if note.startswith("撤销区划"))
    assert retired.endswith("：石坝村 → 石岩村、石寨村 → 石岩村")


def test_a_new_village_beside_committees_keeps_its_committee_name(
    db: Session, tmp_path: Path
) -> None:
    seed_town(db, merged=False)
    db.execute(
        text("UPDATE jurisdictions SET name = name || '委会' WHERE code IN (:a, :b)"),
        {"a": SHIBA, "b": SHIZHAI},
    )
    outcome = _import(
        db, tmp_path, "村界.csv", LAYER, [[SHIYAN, "石岩村委会", WHOLE, ""]], "jurisdictions"
    )
    assert outcome.status == "loaded", outcome.problems
    name = db.execute(text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": SHIYAN})
    assert name.scalar_one() == "石岩村委会"


def test_a_retirement_without_a_day_says_it_is_dated_today(db: Session, tmp_path: Path) -> None:
    seed_town(db, merged=False)
    rows = [[SHIYAN, "石岩村", WHOLE, FORMER]]
    dry = run_import(
        db.connection(),
        write_gbk(tmp_path, "石岩村村界.csv", LAYER, rows),
        ImportOptions(kind="jurisdictions", crs="cgcs2000", dry_run=True),
    )
    today = _today(db)
    said = (
        f"撤销区划 2 个（撤销日期按今天 {today} 记；"
        "实际日期可在文件中用“撤销日期”或“调整日期”列给出）：石坝村 → 石岩村、石寨村 → 石岩村"
    )
    assert said in dry.notes
    assert _retired(db) == {}  # a dry run changes nothing


def test_the_new_units_row_dates_the_units_it_retires(db: Session, tmp_path: Path) -> None:
    seed_town(db, merged=False)
    rows = [[SHIYAN, "石岩村", WHOLE, FORMER, "2024年6月28日"]]
    headers = [*LAYER, "调整日期"]
    outcome = _import(db, tmp_path, "石岩村村界.csv", headers, rows, "jurisdictions")
    assert outcome.status == "loaded", outcome.problems
    assert "撤销区划 2 个（撤销日期 2024-06-28）：石坝村 → 石岩村、石寨村 → 石岩村" in outcome.notes
    assert _retired(db) == {SHIBA: (MERGED_ON, SHIYAN), SHIZHAI: (MERGED_ON, SHIYAN)}

    grids = ["网格编码", "网格名称", "所属社区", "边界", "原网格编码", "变更日期"]
    west = box(103.20, 24.40, 103.25, 24.50)
    rows = [[SHIYAN + "001", "石岩第1网格", SHIYAN, west, SHIBA_GRID, MERGED_ON]]
    outcome = _import(db, tmp_path, "石岩村网格.csv", grids, rows, "grids")
    assert outcome.status == "loaded", outcome.problems
    assert _retired(db, "grids") == {SHIBA_GRID: (MERGED_ON, SHIYAN + "001")}
    assert "撤销网格 1 个（撤销日期 2024-06-28）：石坝第1网格 → 石岩第1网格" in outcome.notes


CHANGES = ["区划代码", "名称", "所属乡镇", "状态", "撤销日期", "继承区划代码"]
"""A 民政局's change table (原区划代码, 调整方式, 调整后区划代码, 撤销日期), its columns mapped."""
MERGERS = [
    [SHIBA, "石坝村", "龙潭镇", "撤并", "2024年6月28日", SHIYAN],
    [SHIZHAI, "石寨村", "龙潭镇", "撤并", "2024年6月28日", SHIYAN],
]


def test_the_change_table_after_the_boundary_dates_the_merger_again(
    db: Session, tmp_path: Path
) -> None:
    """And the closed cases of the old village since the real day go where they happened."""
    seed_town(db, merged=False, grid=False)
    for number, day in (("T-2023", "2023-11-02"), ("T-2025", "2025-11-02")):
        db.execute(
            text(
                "INSERT INTO cases (code, channel, external_no, category, title, risk_level,"
                " area_code, state, handling_level, reported_at, closed_at) VALUES (:n, 'walk_in',"
                " :n, 'dispute', '测试', 3, :v, 'archived', 5, CAST(:d AS date) + time '09:00',"
                " CAST(:d AS date) + time '17:00')"
            ),
            {"n": number, "v": SHIBA, "d": day},
        )
    boundary = _import(
        db, tmp_path, "石岩村村界.csv", LAYER, [[SHIYAN, "石岩村", WHOLE, FORMER]], "jurisdictions"
    )
    assert boundary.status == "loaded", boundary.problems
    today = _today(db)
    assert _retired(db)[SHIBA] == (today, SHIYAN)
    where = "SELECT area_code FROM cases WHERE code = :n"
    assert db.execute(text(where), {"n": "T-2025"}).scalar_one() == SHIBA  # handled there

    changes = _import(db, tmp_path, "村级建制调整情况表.csv", CHANGES, MERGERS, "jurisdictions")
    assert changes.status == "loaded", changes.problems
    assert _retired(db) == {SHIBA: (MERGED_ON, SHIYAN), SHIZHAI: (MERGED_ON, SHIYAN)}
    assert f"撤销日期改为 2024-06-28 的区划 2 个（原记为 {today}）：石坝村、石寨村" in changes.notes
    assert (
        "改属在用村（社区）（按点位，否则归继承单位）：撤销后登记的已办结案件 1 件" in changes.notes
    )
    assert db.execute(text(where), {"n": "T-2025"}).scalar_one() == SHIYAN
    assert db.execute(text(where), {"n": "T-2023"}).scalar_one() == SHIBA


def test_the_change_table_before_the_new_village_says_what_to_import_first(
    db: Session, tmp_path: Path
) -> None:
    seed_town(db, merged=False)
    outcome = _import(db, tmp_path, "村级建制调整情况表.csv", CHANGES, MERGERS, "jurisdictions")
    assert outcome.status == "rejected"
    rules = {p.rule for p in outcome.problems}
    assert rules == {
        f"{SHIYAN} 不在数据库中在用的辖区里，也不是本文件中在用的辖区："
        "请先导入新村（社区）的边界或名单（含此代码），再导入本表；"
        "或在本文件中加一行写明这个新单位（状态为在用）"
    }
    with_it = [*MERGERS, [SHIYAN, "石岩村", "龙潭镇", "在用", "", ""]]
    outcome = _import(db, tmp_path, "调整情况表（含新村）.csv", CHANGES, with_it, "jurisdictions")
    assert outcome.status == "loaded", outcome.problems
    assert _retired(db) == {SHIBA: (MERGED_ON, SHIYAN), SHIZHAI: (MERGED_ON, SHIYAN)}
    parent = "SELECT parent_code FROM jurisdictions WHERE code = :c AND retired_on IS NULL"
    assert db.execute(text(parent), {"c": SHIYAN}).scalar_one() == TOWN


CASES = ["工单编号", "来源渠道", "事件类型", "所属社区", "标题", "受理时间"]


def test_a_file_sent_again_after_unrelated_files_is_no_resent_file(
    db: Session, tmp_path: Path
) -> None:
    """Only a later file that changed its rows stops it (F14)."""
    seed_town(db, merged=False)
    export = [
        ["A-1", "12345", "邻里纠纷", "石坝村", "噪声扰民", "2023-03-01 09:00"],
        ["A-2", "12345", "邻里纠纷", "石寨村", "占道经营", "2023-03-02 09:00"],
    ]
    path = write_gbk(tmp_path, "12345工单.csv", CASES, export)
    options = ImportOptions(kind="cases")
    assert run_import(db.connection(), path, options).committed
    ledger = [["B-1", "网格员排查", "邻里纠纷", "石坝村", "宅基地纠纷", "2023-05-01 09:00"]]
    assert run_import(
        db.connection(), write_gbk(tmp_path, "台账.csv", CASES, ledger), options
    ).committed

    again = run_import(db.connection(), path, options)  # shares no rows with the ledger
    assert again.committed and again.counts is not None
    assert (again.counts.updated, again.counts.unchanged) == (0, 2)

    corrected = [["A-1", "12345", "邻里纠纷", "石坝村", "夜间噪声扰民", "2023-03-01 09:00"]]
    fix = write_gbk(tmp_path, "12345工单（更正）.csv", CASES, corrected)
    assert run_import(db.connection(), fix, options).committed
    with pytest.raises(Superseded) as refused:
        run_import(db.connection(), path, ImportOptions(kind="cases", dry_run=True))
    said = str(refused.value)
    assert "之后又导入过其他案件文件（最近一次：12345工单（更正）.csv" in said
    assert "库中有 1 行已与此文件不同" in said and "--again" in said
    title = (
        "SELECT c.title FROM cases AS c JOIN import_runs AS r ON r.id = c.import_id"
        " WHERE r.started_at = now() AND c.external_no = 'A-1'"
    )
    assert db.execute(text(title)).scalar_one() == "夜间噪声扰民"
    assert set(imported_cases(db)) == {"A-1", "A-2", "B-1"}


def test_a_refused_run_or_a_dry_run_keeps_the_report_a_clerk_works_through(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    headers = ["工单编号", "来源渠道", "事件类型", "所属网格", "登记时间"]
    good = [["K-1", "12345", "邻里纠纷", GRID, "2025-03-01 09:00"]]
    bad = [["K-2", "12345", "邻里纠纷", GRID, "不是日期"]]
    path = tmp_path / "工单.csv"
    report = tmp_path / "工单.csv.rejects.xlsx"
    with seeded_database(database, "redivision_reports") as (_, url):
        env = {"ZONGZHI_DATABASE_URL": url, "ZONGZHI_HOME": str(tmp_path / "home")}
        runner = CliRunner()
        args = ["import", "cases", str(path)]
        path.write_text(csv_text(headers, good + bad), encoding="utf-8")
        partial = runner.invoke(import_app(), [*args, "--partial"], env=env)
        assert partial.exit_code == 3 and report.exists(), partial.output  # partly written
        kept = report.read_bytes()

        path.write_text(csv_text(headers, good), encoding="utf-8")  # K-2 still to correct
        dry = runner.invoke(import_app(), [*args, "--dry-run"], env=env)
        assert dry.exit_code == 0 and report.read_bytes() == kept, dry.output
        assert "本次试运行没有退回的行；上次导入留下的退回报告仍保留，未删除" in dry.output

        shutil.copy(path, tmp_path / "copy.csv")
        path.write_text(csv_text(["工单编号"], [["K-1"]]), encoding="utf-8")
        unusable = runner.invoke(import_app(), [*args, "--dry-run"], env=env)
        assert unusable.exit_code == 2 and report.read_bytes() == kept, unusable.output
        assert "本次未能导入，没有新的退回报告；上次导入留下的退回报告仍保留" in unusable.output

        shutil.copy(tmp_path / "copy.csv", path)
        done = runner.invoke(import_app(), args, env=env)
        assert done.exit_code == 0 and not report.exists(), done.output
        assert "本次没有退回的行，已删除上次导入留下的退回报告" in done.output


@pytest.mark.parametrize("grids_first", [False, True])
def test_a_grid_is_in_use_no_longer_than_its_village(
    db: Session, tmp_path: Path, grids_first: bool
) -> None:
    """The village merged on 2024-06-28, its grid re-coded today: a 2025 case goes to both new."""
    seed_town(db, merged=False)
    db.execute(
        text(
            "INSERT INTO cases (code, channel, external_no, category, title, risk_level, point,"
            " area_code, grid_code, state, handling_level, reported_at, closed_at) VALUES"
            " ('T-2025', 'walk_in', 'T-2025', 'dispute', '测试', 3,"
            " ST_SetSRID(ST_MakePoint(103.22, 24.45), 4490), :v, :g, 'archived', 5,"
            " timestamptz '2025-11-02 09:00+08', timestamptz '2025-11-02 17:00+08')"
        ),
        {"v": SHIBA, "g": SHIBA_GRID},
    )
    new_grid = SHIYAN + "001"
    west = box(103.20, 24.40, 103.25, 24.50)
    files = [
        ("石岩村村界.csv", LAYER, [[SHIYAN, "石岩村", WHOLE, FORMER]], "jurisdictions"),
        (
            "石岩村网格.csv",
            ["网格编码", "网格名称", "所属社区", "边界", "原网格编码"],
            [[new_grid, "石岩第1网格", SHIYAN, west, SHIBA_GRID]],
            "grids",
        ),
        ("村级建制调整情况表.csv", CHANGES, MERGERS, "jurisdictions"),
    ]
    order = [files[0], files[1], files[2]] if grids_first else [files[0], files[2], files[1]]
    for name, headers, rows, kind in order:
        outcome = _import(db, tmp_path, name, headers, rows, kind)
        assert outcome.status == "loaded", (name, outcome.problems)
    where = db.execute(text("SELECT area_code, grid_code FROM cases WHERE code = 'T-2025'"))
    assert tuple(where.one()) == (SHIYAN, new_grid)
