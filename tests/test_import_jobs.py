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
    assert (cancelled.state, cancelled.upload_kept) == (JobState.CANCELLED, False)
    assert cancelled.output == import_jobs.CANCELLED_NOTE and cancelled.finished_at is not None
    with pytest.raises(Conflict, match="已取消"):
        import_jobs.cancel(db, queued.id, account_id=mine)
    running = _job(db, mine)
    db.execute(update(ImportJob).where(ImportJob.id == running.id).values(state="running"))
    assert import_jobs.cancel(db, running.id, account_id=mine).state == JobState.RUNNING


def test_a_finished_dry_runs_upload_is_passed_on_once(db: Session) -> None:
    mine = _account(db, "jobs_take")
    real = _end(db, _job(db, mine, dry_run=False))
    with pytest.raises(Conflict, match="试运行"):
        import_jobs.take_upload(db, real.id, account_id=mine)
    waiting = _job(db, mine)
    with pytest.raises(Conflict, match="试运行"):
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
