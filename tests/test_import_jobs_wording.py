"""How the console names a console import while it runs (trial AR m2).

A trial run (试运行) writes nothing, yet its badge said 正在导入 while it ran: a clerk may think
the data is going in. It says 正在检查（试运行，不写入）; a real import still says 正在导入.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers import import_jobs
from layers.model import ImportJob, JobState
from tests.test_import_jobs import _account, _job


def _running(db: Session, job: ImportJob, *, dry_run: bool) -> ImportJob:
    claimed = import_jobs.claim_next(db, dry_run=dry_run)
    assert claimed is not None and claimed.id == job.id and claimed.state == "running"
    return claimed


def test_a_running_dry_run_says_it_checks_and_a_real_import_that_it_imports(db: Session) -> None:
    mine = _account(db, "jobs_wording")
    dry = _job(db, mine)
    real = _job(db, mine, dry_run=False)
    assert import_jobs.state_label(dry) == "排队中"
    assert import_jobs.state_label(_running(db, dry, dry_run=True)) == "正在检查（试运行，不写入）"
    assert import_jobs.state_label(_running(db, real, dry_run=False)) == "正在导入"
    ended = import_jobs.finish(
        db, dry.id, state=JobState.FINISHED, exit_code=0, output="", upload_kept=True
    )
    assert import_jobs.state_label(ended) == "已完成"
