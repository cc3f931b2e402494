# ruff: noqa: F811
"""A file with no data rows never counts as a list, least of all as an area's complete list.

Trial X: a camera export whose filter found nothing (the header row alone), imported with
文件是本辖区的全部 (``--complete``) and 确认重新导入旧文件 (``--again``), retired all 345 cameras of
the county, and its dry run read 试运行通过. Now a file of headers alone is refused, and a
complete list none of whose rows pass the row checks, or the database's, writes nothing (a
roster of persons neither); a dry run that would retire cameras or strike persons off is no
plain pass on the 数据导入 page (``dry_ends``), nor one whose retirement waits for ``--again``
(``dry_held``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.cli import RunSummary
from importers.pipeline import ImportOptions, ImportOutcome, NothingListed, run_import
from importers.reading import ReadError
from layers import import_jobs
from layers.model import ImportJob
from tests.import_fixtures import csv_text, seed_jurisdictions
from tests.test_import import KEYS
from tests.test_import_persons_complete import (  # noqa: F401
    ROSTER,
    TOWNSHIP,
    _ended,
    _person,
    january,
)

HEADERS = ["国标编码", "点位名称", "经度", "纬度", "设备状态"]
WITHIN = "530424000000"


def _camera(serial: int) -> list[str]:
    """A camera of 测试社区 (network 8: no other test's)."""
    return [
        f"53042400001328{serial:06d}",
        f"点位{serial}",
        f"{102.901 + serial / 1000:.3f}",
        "24.205",
        "在线",
    ]


def _in_use(db: Session) -> int:
    return int(
        db.execute(
            text(
                "SELECT count(*) FROM video_points WHERE device_id LIKE '53042400001328%'"
                " AND retired_on IS NULL"
            )
        ).scalar_one()
    )


@pytest.fixture
def cameras(db: Session, tmp_path: Path) -> Session:
    """Five cameras in use, from an earlier export."""
    seed_jurisdictions(db)
    path = tmp_path / "上月导出.csv"
    path.write_text(csv_text(HEADERS, [_camera(n) for n in range(1, 6)]), encoding="utf-8")
    done = run_import(db.connection(), path, ImportOptions(kind="video"))
    assert done.committed, done.problems
    assert _in_use(db) == 5
    return db


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_file_of_headers_alone_is_refused_and_retires_nothing(
    cameras: Session, tmp_path: Path, dry_run: bool
) -> None:
    path = tmp_path / "只有表头.csv"
    path.write_text(csv_text(HEADERS, []), encoding="utf-8")
    options = ImportOptions(kind="video", within=WITHIN, complete=True, again=True, dry_run=dry_run)
    with pytest.raises(ReadError, match="只有表头，没有数据行，未导入"):
        run_import(cameras.connection(), path, options)
    with pytest.raises(ReadError, match="只有表头"):  # no list at all, complete or not
        run_import(cameras.connection(), path, ImportOptions(kind="video"))
    assert _in_use(cameras) == 5


def test_a_complete_list_none_of_whose_rows_pass_writes_nothing(
    cameras: Session, tmp_path: Path
) -> None:
    bad = [[row[0][:18], *row[1:]] for row in (_camera(n) for n in range(6, 9))]  # 18 digits
    path = tmp_path / "全部退回.csv"
    path.write_text(csv_text(HEADERS, bad), encoding="utf-8")
    options = ImportOptions(kind="video", within=WITHIN, complete=True, again=True, partial=True)
    with pytest.raises(NothingListed, match="没有一行通过检查，不能当作本辖区的全部名单导入"):
        run_import(cameras.connection(), path, options)
    assert _in_use(cameras) == 5
    # without --complete the same file is an ordinary import whose rows are all rejected
    plain = run_import(cameras.connection(), path, ImportOptions(kind="video", partial=True))
    assert plain.rejected_rows == 3 and _in_use(cameras) == 5


def test_a_complete_list_whose_rows_all_fail_the_database_checks_retires_nothing(
    cameras: Session, tmp_path: Path
) -> None:
    """Rows placed outside ``--within`` are refused by the database: no list, dry run or not."""
    far = [[*_camera(n)[:2], "103.800", "25.400", "在线"] for n in range(6, 9)]  # not 华宁县
    path = tmp_path / "别县的点位.csv"
    path.write_text(csv_text(HEADERS, far), encoding="utf-8")
    for dry_run in (True, False):
        options = ImportOptions(
            kind="video", within=WITHIN, complete=True, again=True, partial=True, dry_run=dry_run
        )
        with pytest.raises(NothingListed, match="不能当作本辖区的全部名单导入") as refused:
            run_import(cameras.connection(), path, options)
        assert refused.value.outcome.rejected_rows == 3  # the report's rows
        assert _in_use(cameras) == 5


def test_a_complete_roster_whose_rows_all_fail_strikes_off_nobody(
    january: Session, tmp_path: Path
) -> None:
    """The same for a persons' list: its one row names a village that does not exist."""
    nowhere = [_person(3, village=TOWNSHIP + "009")]
    path = tmp_path / "三月.csv"
    path.write_text(csv_text(ROSTER, nowhere), encoding="utf-8")
    options = ImportOptions(
        kind="persons", within=TOWNSHIP, complete=True, again=True, partial=True
    )
    with pytest.raises(NothingListed):
        run_import(january.connection(), path, options, keys=KEYS)
    assert _ended(january) == set()


def _job_of(outcome: ImportOutcome, folder: Path, *, kind: str = "video") -> ImportJob:
    """Return the console's job of a dry run that did ``outcome``, as its runner records it."""
    summary = RunSummary(folder / ".summary.json", dry_run=True)
    summary.part_started()
    summary.seen(outcome)
    summary.write(finished=True)
    result = json.loads((folder / ".summary.json").read_text(encoding="utf-8"))
    job = ImportJob(kind=kind, state="finished", exit_code=0, options={"dry_run": True})
    job.result = result
    return job


def test_a_dry_run_that_would_retire_cameras_is_no_plain_pass(
    cameras: Session, tmp_path: Path
) -> None:
    path = tmp_path / "本月导出.csv"
    path.write_text(csv_text(HEADERS, [_camera(n) for n in range(1, 5)]), encoding="utf-8")
    options = ImportOptions(kind="video", within=WITHIN, complete=True, again=True, dry_run=True)
    dry = run_import(cameras.connection(), path, options)
    assert dry.counts is not None and dry.counts.ended >= 1 and _in_use(cameras) == 5
    job = _job_of(dry, tmp_path)
    assert job.result is not None and job.result["ended"] == dry.counts.ended
    assert import_jobs.outcome_of(job) == "dry_ends"
    assert import_jobs.outcome_label("dry_ends", "video") == "试运行：将撤销记录"
    note = import_jobs.result_note(job) or ""
    assert f"（其中将撤销视频点位 {dry.counts.ended} 个）" in note
    assert import_jobs.held_note(job) == ""
    # without --again the list's retirement waits for it: no plain pass either
    options = ImportOptions(kind="video", within=WITHIN, complete=True, dry_run=True)
    held = run_import(cameras.connection(), path, options)
    held_job = _job_of(held, tmp_path)
    assert import_jobs.outcome_of(held_job) == "dry_held"
    assert import_jobs.held_note(held_job) == import_jobs.HELD_NOTE  # the page says it too
    assert (import_jobs.result_note(held_job) or "").endswith(import_jobs.HELD_NOTE)
    # the same file without --complete retires nothing: a plain pass
    plain = run_import(cameras.connection(), path, ImportOptions(kind="video", dry_run=True))
    assert import_jobs.outcome_of(_job_of(plain, tmp_path)) == "dry_ok"


def test_a_dry_run_that_would_strike_persons_off_is_no_plain_pass(
    january: Session, tmp_path: Path
) -> None:
    path = tmp_path / "三月.csv"
    path.write_text(csv_text(ROSTER, [_person(1), _person(2), _person(3)]), encoding="utf-8")
    options = ImportOptions(
        kind="persons", within=TOWNSHIP, complete=True, again=True, dry_run=True
    )
    dry = run_import(january.connection(), path, options, keys=KEYS)
    assert dry.counts is not None and dry.counts.ended == 2  # 社区矫正 4 and 5
    job = _job_of(dry, tmp_path, kind="persons")
    assert import_jobs.outcome_of(job) == "dry_ends"
    assert import_jobs.outcome_label("dry_ends", job.kind) == "试运行：将注销人员"
    assert "（其中将注销人员 2 人）" in (import_jobs.result_note(job) or "")


def test_a_complete_list_of_none_of_the_areas_cameras_is_not_advised_as_a_whole_list(
    cameras: Session, tmp_path: Path
) -> None:
    """The guard's advice does not lead a clerk past it with a list of other cameras."""
    others = [_camera(n) for n in range(11, 14)]  # none of the five in use
    path = tmp_path / "别处的点位.csv"
    path.write_text(csv_text(HEADERS, others), encoding="utf-8")
    options = ImportOptions(kind="video", within=WITHIN, complete=True, dry_run=True)
    dry = run_import(cameras.connection(), path, options)
    (alarm,) = [n for n in dry.notes if n.startswith("--complete 未撤销")]
    assert "本文件没有列出华宁县（530424000000）在用的" in alarm
    assert "请核对文件是否选错" in alarm and "如本文件确是" not in alarm
