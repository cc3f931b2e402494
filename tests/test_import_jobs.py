"""The job table of the console's imports (``layers/import_jobs.py``), in a rolled-back transaction.

The API tests (``tests/test_api_imports.py``) run the jobs end to end; these check the rules
of each step on rows of their own: what may be cancelled, which upload is passed on or
forgotten, and that the app role may keep the table.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from layers import accounts, import_jobs
from layers.errors import Conflict, NotFound
from layers.model import ImportJob, JobState, Jurisdiction

SCOPE = "450000000000"
"""A province no other test of the suite's database uses for accounts."""


def _account(db: Session, name: str) -> int:
    if db.get(Jurisdiction, SCOPE) is None:
        db.add(Jurisdiction(code=SCOPE, name="导入任务测试省", level=1))
        db.flush()
    user = accounts.create_user(
        db,
        username=name,
        password="Zz#Jobs-Test-2026",
        role="commander",
        scope_code=SCOPE,
        display_name=name,
    )
    return user.id


def _job(db: Session, account_id: int, *, dry_run: bool = True) -> ImportJob:
    return import_jobs.create(
        db,
        account_id=account_id,
        username="jobs",
        scope_code=SCOPE,
        kind="cases",
        file_name="工单.csv",
        file_sha256="0" * 64,
        file_bytes=10,
        options={"dry_run": dry_run},
    )


def _end(db: Session, job: ImportJob, ago: timedelta = timedelta()) -> ImportJob:
    ended = import_jobs.finish(
        db, job.id, state=JobState.FINISHED, exit_code=0, output="", upload_kept=True
    )
    db.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id)
        .values(finished_at=ImportJob.finished_at - ago)
    )
    db.expire_all()
    return ended


def test_a_long_output_keeps_its_tail_and_says_so() -> None:
    lines = "".join(f"第 {n} 行\n" for n in range(100_000))
    kept = import_jobs.capped_output(lines)
    assert len(kept.encode("utf-8")) <= import_jobs.OUTPUT_LIMIT_BYTES + 200
    assert kept.startswith(import_jobs.CUT_NOTE + "\n第 ")
    assert kept.endswith("第 99999 行\n")


def test_only_a_queued_job_is_cancelled_and_only_by_its_account(db: Session) -> None:
    mine, other = _account(db, "jobs_mine"), _account(db, "jobs_other")
    queued = _job(db, mine)
    with pytest.raises(NotFound):
        import_jobs.cancel(db, queued.id, account_id=other)
    cancelled = import_jobs.cancel(db, queued.id, account_id=mine)
    assert (cancelled.state, cancelled.upload_kept) == (JobState.CANCELLED, True)  # to run again
    assert cancelled.output == import_jobs.CANCELLED_NOTE and cancelled.finished_at is not None
    with pytest.raises(Conflict, match="已取消"):
        import_jobs.cancel(db, queued.id, account_id=mine)
    running = _job(db, mine)
    db.execute(update(ImportJob).where(ImportJob.id == running.id).values(state="running"))
    assert import_jobs.cancel(db, running.id, account_id=mine).state == JobState.RUNNING


def test_a_kept_upload_is_passed_on_once(db: Session) -> None:
    mine = _account(db, "jobs_take")
    waiting = _job(db, mine)
    with pytest.raises(Conflict, match="排队中，结束后才能重新导入"):
        import_jobs.take_upload(db, waiting.id, account_id=mine)
    dry = _end(db, _job(db, mine))
    assert import_jobs.take_upload(db, dry.id, account_id=mine).upload_kept is False
    with pytest.raises(Conflict, match="已删除"):
        import_jobs.take_upload(db, dry.id, account_id=mine)


def test_uploads_are_forgotten_a_day_after_their_dry_run(db: Session) -> None:
    mine = _account(db, "jobs_forget")
    stale = _end(db, _job(db, mine), timedelta(hours=25))
    fresh = _end(db, _job(db, mine), timedelta(hours=23))
    queued = _job(db, mine)
    forgotten = {job.id for job in import_jobs.forget_uploads(db, older_than=timedelta(days=1))}
    assert stale.id in forgotten and not forgotten & {fresh.id, queued.id}
    old = _end(db, _job(db, mine), timedelta(days=31))
    ids = [stale.id, fresh.id, queued.id, old.id]
    assert import_jobs.outputs_expired(db, ids, older_than=timedelta(days=30)) == [old.id]


def test_the_list_is_the_accounts_own_newest_first(db: Session) -> None:
    mine, other = _account(db, "jobs_list"), _account(db, "jobs_list_other")
    first, second = _job(db, mine), _job(db, mine)
    _job(db, other)
    jobs, total = import_jobs.list_for(db, mine, limit=10, offset=0)
    assert [job.id for job in jobs] == [second.id, first.id] and total == 2


def test_the_app_role_may_keep_the_table(db: Session) -> None:
    mine = _account(db, "jobs_app_role")
    db.execute(text("SET LOCAL ROLE zongzhi_app"))
    job = _job(db, mine)
    _end(db, job)
    assert import_jobs.get(db, job.id, account_id=mine).state == JobState.FINISHED


def _ran(db: Session, job: ImportJob, result: dict[str, object] | None, exit_code: int) -> None:
    """Mark ``job`` running, then store what its command said it did."""
    db.execute(update(ImportJob).where(ImportJob.id == job.id).values(state="running"))
    import_jobs.record_progress(db, job.id, output="读取并检查文件\n", result=result)
    db.expire_all()
    job.exit_code = exit_code


COMMITTED = {
    "status": "partial",
    "committed": True,
    "import_id": 17,
    "import_ids": [17],
    "committed_at": "2026-11-20T16:13:05+08:00",
    "rows": 50_000,
    "rejected_rows": 19_570,
    "inserted": 30_430,
    "updated": 0,
    "unchanged": 0,
    "report": None,
    "held_back": False,
}
"""What the child of trial U's job 18 had said when it was cancelled (F9)."""


def test_dry_runs_have_a_lane_of_their_own(db: Session) -> None:
    """Trial U F7: a dry run waits only for the dry runs before it."""
    mine = _account(db, "jobs_lanes")
    real = _job(db, mine, dry_run=False)
    behind = _job(db, mine, dry_run=False)
    dry = _job(db, mine)
    assert (import_jobs.ahead(db, behind), import_jobs.ahead(db, dry)) == (1, 0)
    claimed = import_jobs.claim_next(db, dry_run=True)
    assert claimed is not None and claimed.id == dry.id
    first = import_jobs.claim_next(db, dry_run=False)
    assert first is not None and first.id == real.id
    db.expire_all()
    assert import_jobs.ahead(db, behind) == 1 and import_jobs.ahead(db, first) is None


def test_a_job_cancelled_after_its_commit_says_what_it_wrote(db: Session) -> None:
    """Trial U F9: never 未写入任何数据 once the import committed; F14: its 导入编号."""
    mine = _account(db, "jobs_truth")
    job = _job(db, mine, dry_run=False)
    _ran(db, job, COMMITTED, 1)
    note = import_jobs.ending_note(JobState.CANCELLED, job.result)
    assert note == (
        "已取消：导入已于 16:13:05 写入（导入编号 17，新增 30,430 行），无法撤销；退回报告未写完："
        + import_jobs.RERUN_FOR_REPORT
    )
    assert import_jobs.keeps_upload(job, JobState.CANCELLED, job.result)  # N1: for the report
    ended = import_jobs.finish(
        db, job.id, state=JobState.CANCELLED, exit_code=None, output=note, upload_kept=False
    )
    assert ended.result == COMMITTED  # kept without being given again
    assert (import_jobs.outcome_of(ended), import_jobs.import_id_of(ended)) == ("partial", 17)
    assert import_jobs.counts_of(ended) == {
        "rows": 50_000,
        "inserted": 30_430,
        "updated": 0,
        "unchanged": 0,
        "rejected": 19_570,
        "ended": 0,
    }
    nothing = _job(db, mine, dry_run=False)
    _ran(db, nothing, None, 1)
    assert import_jobs.ending_note(JobState.CANCELLED, None) == import_jobs.CANCELLED_NOTE


def test_a_restart_after_the_commit_says_what_was_written(db: Session) -> None:
    mine = _account(db, "jobs_restart")
    stored, on_disk = _job(db, mine, dry_run=False), _job(db, mine, dry_run=False)
    _ran(db, stored, COMMITTED, 1)
    _ran(db, on_disk, None, 1)
    said = {**COMMITTED, "import_id": 18, "import_ids": [18], "report": "x.rejects.xlsx"}
    ended = {
        job.id: job
        for job in import_jobs.mark_interrupted(
            db, lambda job: said if job.id == on_disk.id else None
        )
    }
    assert (ended[stored.id].output or "").endswith(
        f"（导入编号 17，新增 30,430 行），无法撤销；退回报告未写完：{import_jobs.RERUN_FOR_REPORT}"
    )
    assert ended[stored.id].upload_kept and ended[on_disk.id].upload_kept
    assert (ended[on_disk.id].output or "").endswith("（导入编号 18，新增 30,430 行），无法撤销")
    assert import_jobs.outcome_of(ended[on_disk.id]) == "partial"


@pytest.mark.parametrize(
    ("dry_run", "result", "exit_code", "outcome", "kept"),
    [
        (
            False,
            {"committed": False, "status": "rejected", "rejected_rows": 3},
            1,
            "rejected",
            True,
        ),
        (False, {**COMMITTED, "rejected_rows": 3}, 1, "partial", False),
        (False, {**COMMITTED, "rejected_rows": 0, "status": "loaded"}, 0, "done", False),
        (False, {**COMMITTED, "rejected_rows": 0, "held_back": True}, 1, "partial", False),
        (False, {"committed": False, "status": "refused"}, 2, "refused", True),
        (False, None, 2, "refused", True),  # refused before it read the file
        (True, {"committed": False, "status": "dry-run", "rejected_rows": 0}, 0, "dry_ok", True),
        (
            True,
            {"committed": False, "status": "rejected", "rejected_rows": 3},
            1,
            "dry_rejected",
            True,
        ),
        (True, {"committed": False, "status": "refused"}, 2, "refused", True),  # N2
    ],
)
def test_the_outcome_and_whether_the_upload_is_kept(
    db: Session,
    dry_run: bool,
    result: dict[str, object] | None,
    exit_code: int,
    outcome: str,
    kept: bool,
) -> None:
    """Trial U F1 (which import wrote what), F2 and F11 (which upload may be imported)."""
    mine = _account(db, "jobs_outcome")
    job = _job(db, mine, dry_run=dry_run)
    _ran(db, job, result, exit_code)
    ended = import_jobs.finish(
        db,
        job.id,
        state=JobState.FINISHED,
        exit_code=exit_code,
        output="",
        upload_kept=import_jobs.keeps_upload(
            ImportJob(options=job.options, state="finished", exit_code=exit_code, result=result),
            JobState.FINISHED,
            result,
        ),
    )
    assert (import_jobs.outcome_of(ended), ended.upload_kept) == (outcome, kept)
    assert import_jobs.can_run(ended) is kept
    if kept:
        assert import_jobs.take_upload(db, job.id, account_id=mine).upload_kept is False
    else:
        with pytest.raises(Conflict):
            import_jobs.take_upload(db, job.id, account_id=mine)


def test_a_kept_upload_is_dropped_on_request_once(db: Session) -> None:
    """Trial U F10: 删除上传的文件 of an ended job; a running job is cancelled instead."""
    mine = _account(db, "jobs_drop")
    running = _job(db, mine)
    _ran(db, running, None, 0)
    with pytest.raises(Conflict, match="取消"):
        import_jobs.drop_upload(db, running.id, account_id=mine)
    dry = _end(db, _job(db, mine))
    assert import_jobs.drop_upload(db, dry.id, account_id=mine).upload_kept is False
    with pytest.raises(Conflict, match="已删除"):
        import_jobs.drop_upload(db, dry.id, account_id=mine)


@pytest.mark.parametrize("state", [JobState.CANCELLED, JobState.INTERRUPTED])
@pytest.mark.parametrize(
    "result",
    [None, {"committed": False, "status": "rejected"}, COMMITTED],
    ids=["before-it-read", "before-its-commit", "after-its-commit"],
)
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_stopped_job_keeps_its_upload_whatever_it_had_done(
    state: JobState, result: dict[str, object] | None, dry_run: bool
) -> None:
    """Trial U N2 (run again with other options) and N1 (a dry run gives the report)."""
    job = ImportJob(options={"dry_run": dry_run}, state=state.value, result=result)
    assert import_jobs.keeps_upload(job, state, result)
    job.upload_kept = True
    assert import_jobs.can_run(job)
    note = import_jobs.ending_note(state, result)
    assert (import_jobs.RERUN_FOR_REPORT in note) is (result is COMMITTED)
