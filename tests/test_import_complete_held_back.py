"""A ``--complete`` retirement held back exits 1, and a part of a split export is held back.

Trial V: a county's export refused for mixed CRS was split by source into two files (30 and 60
of 90 cameras), each imported with ``--complete``. The 30-camera part is held back (it would
retire 60, half the area's), but the command exited 0, so a scheduled job took the retirement
for done; and the 60-camera part retired the 30 cameras the other part had listed minutes
before (a third of the area's: under the half-an-area guard). Now a held-back retirement
exits 1, its alarm and summary unchanged, and a ``--complete`` list does not retire the
cameras another file imported the same day listed (``video_points.listed_by``): they were
just confirmed in use. ``--again`` confirms both (``layers.camera_retirement``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from importers.loading import Alarm, HeldBack
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from tests.conftest import SuiteDatabase
from tests.import_fixtures import csv_text, import_app, seed_jurisdictions, seeded_database
from tests.migration_steps import migration_steps

HEADERS = ["国标编码", "点位名称", "经度", "纬度", "设备状态"]
TOWNSHIP = "530424100"


def code(serial: int) -> str:
    """Return a GB/T 28181 camera id of these tests (network 7: no other test's)."""
    return f"53042400001327{serial:06d}"


def camera(serial: int) -> list[str]:
    """Return the row of camera ``serial`` of 测试社区 (lon 102.90–102.92, lat 24.20–24.22)."""
    return [code(serial), f"点位{serial}", f"{102.901 + serial / 1000:.3f}", "24.205", "在线"]


AREA = [camera(n) for n in range(1, 11)]
"""The ten cameras of the township (all in 测试社区)."""
POLICE = AREA[:3]
"""公安's part of the split export: cameras 1–3."""
TOWNS = AREA[3:9]
"""乡镇自建's part: cameras 4–9 (camera 10 was removed: in neither part)."""


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text(csv_text(HEADERS, rows), encoding="utf-8")
    return path


def _import(db: Session, path: Path, rows: list[list[str]], **options: object) -> ImportOutcome:
    return run_import(db.connection(), _write(path, rows), ImportOptions(kind="video", **options))  # type: ignore[arg-type]


def _in_use(db: Session) -> list[int]:
    """Return the serials of this file's cameras in use."""
    rows = db.execute(
        text(
            "SELECT device_id FROM video_points WHERE device_id = ANY(:d) AND retired_on IS NULL"
            " ORDER BY device_id"
        ),
        {"d": [row[0] for row in AREA]},
    ).scalars()
    return [int(device[-6:]) for device in rows]


@pytest.fixture
def last_month(db: Session, tmp_path: Path) -> Session:
    """The ten cameras, imported by last month's export (its run dated 31 days back)."""
    seed_jurisdictions(db)
    outcome = _import(db, tmp_path / "导出_上月.csv", AREA)
    assert outcome.committed, outcome.problems
    db.execute(
        text("UPDATE import_runs SET started_at = started_at - interval '31 days' WHERE id = :i"),
        {"i": outcome.import_id},
    )
    return db


def test_a_part_does_not_retire_what_another_part_listed_today(
    last_month: Session, tmp_path: Path
) -> None:
    db = last_month
    police = _import(db, tmp_path / "公安.csv", POLICE, within=TOWNSHIP, complete=True)
    assert police.committed and [n for n in police.notes if isinstance(n, HeldBack)]
    assert _in_use(db) == list(range(1, 11))  # 7 of 10 left out: the half-an-area guard
    towns_path = tmp_path / "乡镇.csv"
    dry = _import(db, towns_path, TOWNS, within=TOWNSHIP, complete=True, dry_run=True)
    towns = _import(db, towns_path, TOWNS, within=TOWNSHIP, complete=True)
    assert towns.committed and towns.notes == dry.notes
    held = [n for n in towns.notes if isinstance(n, HeldBack)]
    assert len(held) == 1, towns.notes
    alarm = held[0]
    assert alarm.startswith("--complete 未撤销今天已由其他文件列出的视频点位 3 个")
    assert "公安.csv" in alarm and "--complete --again" in alarm
    assert "本文件未列的其余 1 个已照常撤销" in alarm  # camera 10
    listed = [n for n in towns.notes if n.startswith("今天已由其他文件列出、未撤销的视频点位 3 个")]
    assert len(listed) == 1
    assert listed[0].split("\n")[1:] == [f"  {code(n)} 点位{n}" for n in (1, 2, 3)]
    # camera 10, which no file of today lists (listed last month), is retired as before
    retired = [n for n in towns.notes if n.startswith("撤销视频点位 1 个")]
    assert len(retired) == 1 and retired[0].endswith(f"\n  {code(10)} 点位10")
    assert _in_use(db) == list(range(1, 10))
    assert towns.counts is not None and towns.counts.updated == 1  # camera 10 retired
    # the clerk whose file is the whole list after all confirms it
    confirmed = _import(db, towns_path, TOWNS, within=TOWNSHIP, complete=True, again=True)
    assert confirmed.committed and not [n for n in confirmed.notes if isinstance(n, Alarm)]
    assert [n for n in confirmed.notes if n.startswith("撤销视频点位 3 个")]
    assert _in_use(db) == list(range(4, 10))


def test_the_file_that_listed_a_camera_is_recorded(last_month: Session, tmp_path: Path) -> None:
    """Each camera a file lists, a rejected row's too, names the import that last listed it."""
    db = last_month
    at_zero = [*camera(2)[:2], "0", "0", "在线"]  # rejected for its point, still listed
    outcome = _import(
        db, tmp_path / "公安.csv", [camera(1), at_zero], within=TOWNSHIP, partial=True
    )
    assert outcome.committed and outcome.rejected_rows == 1
    by = dict(
        db.execute(
            text(
                "SELECT right(device_id, 6)::int, listed_by FROM video_points"
                " WHERE device_id = ANY(:d)"
            ),
            {"d": [code(n) for n in (1, 2, 3)]},
        ).all()
    )
    assert by[1] == by[2] == outcome.import_id and by[3] != outcome.import_id


def test_a_held_back_retirement_exits_1_and_keeps_its_summary(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """A scheduled monthly job must see that nothing was retired (trial V)."""
    home = {"ZONGZHI_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    whole, police = _write(tmp_path / "导出.csv", AREA), _write(tmp_path / "公安.csv", POLICE)
    towns = _write(tmp_path / "乡镇.csv", TOWNS)
    part = ["import", "video", str(police), "--within", TOWNSHIP, "--complete"]
    with seeded_database(database, "zz_complete_held_back") as (_, url):
        env = {**home, "ZONGZHI_DATABASE_URL": url}
        runner = CliRunner()
        first = runner.invoke(import_app(), ["import", "video", str(whole)], env=env)
        assert first.exit_code == 0, first.output
        dry = runner.invoke(import_app(), [*part, "--dry-run"], env=env)
        held = runner.invoke(import_app(), part, env=env)
        for result in (dry, held):
            assert result.exit_code == 1, result.output
            assert "--complete 未撤销任何视频点位" in result.output
            assert "行数" in result.output and "文件未列、未撤销" in result.output
        both = runner.invoke(import_app(), [*part[:2], str(police), str(towns), *part[3:]], env=env)
        assert both.exit_code == 1, both.output
        line = "共 2 个文件：导入 2 个（其中 2 个的 --complete 未执行，须核对后加 --again 确认）"
        assert line + "，退回 0 个，无法导入 0 个" in " ".join(both.output.split()), both.output
        confirmed = runner.invoke(import_app(), [*part, "--again"], env=env)
        assert confirmed.exit_code == 0, confirmed.output
        assert "撤销视频点位 7 个" in confirmed.output


def test_migration_0019_downgrades_and_upgrades(db: Session) -> None:
    """Revision 0019's downgrade drops ``listed_by``; its upgrade brings it back (rolled back)."""
    columns = text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'video_points'"
    )
    with migration_steps(db, "0019_cameras_listed_by.py") as (module, conn):
        module.downgrade()
        assert "listed_by" not in set(conn.execute(columns).scalars())
        module.upgrade()
        assert "listed_by" in set(conn.execute(columns).scalars())
