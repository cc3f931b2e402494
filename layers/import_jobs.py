"""The console's import jobs (``import_jobs``): submitted, queued, run one at a time, ended.

A job is a file an account uploaded in the console, imported by ``zongzhi import`` in a child
process of the API (``api/import_runner.py``). This module holds the job table's SQL, one
small function per step: :func:`create` (queued), :func:`claim_next` (the runner takes the
oldest queued job), :func:`finish`, :func:`cancel`, :func:`mark_interrupted` (a job the last
server left running), :func:`take_upload` (a dry run's upload passed to its real import),
:func:`forget_uploads` and :func:`outputs_expired` (what may be deleted from disk), and the
reads :func:`get` and :func:`list_for` (an account sees its own jobs only).

The functions flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from layers.errors import Conflict, NotFound
from layers.model import ImportJob, JobState

OUTPUT_LIMIT_BYTES = 256 * 1024
"""How much of a command's output a job keeps (its tail)."""
CUT_NOTE = "（输出过长，前面的部分已省略，只保留最后 256 KB）"
"""The first line of an output cut to :data:`OUTPUT_LIMIT_BYTES`."""
INTERRUPTED_NOTE = "导入中断，未写入任何数据——导入是整体的"
"""Said of a job whose command did not end by itself (server stopped or restarted)."""
CANCELLED_NOTE = "已取消，未写入任何数据"
"""Said of a job cancelled by its account."""
ENDED = (JobState.FINISHED, JobState.INTERRUPTED, JobState.CANCELLED)
"""The states of a job that will not run again."""


def capped_output(text: str, limit: int = OUTPUT_LIMIT_BYTES) -> str:
    r"""Return ``text`` cut to its last ``limit`` bytes (UTF-8), with a line saying so.

    Parameters
    ----------
    text : str
        A command's output.
    limit : int
        Bytes kept.

    Returns
    -------
    str
        ``text`` itself when it fits; else :data:`CUT_NOTE` and the tail, from a line start.

    Examples
    --------
    >>> capped_output("短")
    '短'
    >>> capped_output("第一行\n第二行\n第三行\n", limit=20).splitlines()[1:]
    ['第三行']
    """
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    tail = data[-limit:].decode("utf-8", errors="ignore")
    start = tail.find("\n")
    return CUT_NOTE + "\n" + (tail[start + 1 :] if start >= 0 else tail)


def create(
    session: Session,
    *,
    account_id: int,
    username: str,
    scope_code: str,
    kind: str,
    file_name: str,
    file_sha256: str,
    file_bytes: int,
    options: dict[str, Any],
    follows_job_id: int | None = None,
) -> ImportJob:
    """Queue a job and return it (its id assigned).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    account_id : int
        The account submitting it (the only one that will see it).
    username : str
        Its login name (the import's provenance, ``--user``).
    scope_code : str
        Its scope (``--within``).
    kind : str
        What the file holds (``cases`` …).
    file_name : str
        The upload's own name.
    file_sha256 : str
        Hex SHA-256 of the upload.
    file_bytes : int
        Its size.
    options : dict
        ``crs``, ``sheet``, ``dry_run``, ``partial``, ``complete``, ``again``, ``history``.
    follows_job_id : int, optional
        The dry run whose upload this job imports for real.

    Returns
    -------
    ImportJob
        The queued job.
    """
    job = ImportJob(
        account_id=account_id,
        username=username,
        scope_code=scope_code,
        kind=kind,
        file_name=file_name,
        file_sha256=file_sha256,
        file_bytes=file_bytes,
        options=options,
        state=JobState.QUEUED.value,
        upload_kept=True,
        follows_job_id=follows_job_id,
    )
    session.add(job)
    session.flush()
    return job


def claim_next(session: Session) -> ImportJob | None:
    """Mark the oldest queued job running and return it (``None`` when none waits).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The runner's session.

    Returns
    -------
    ImportJob or None
        The job, ``started_at`` set.
    """
    oldest = (
        select(ImportJob.id)
        .where(ImportJob.state == JobState.QUEUED.value)
        .order_by(ImportJob.submitted_at, ImportJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(ImportJob)
        .where(ImportJob.id == oldest)
        .values(state=JobState.RUNNING.value, started_at=func.now())
        .returning(ImportJob)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return session.scalars(statement).first()


def finish(
    session: Session,
    job_id: int,
    *,
    state: JobState,
    exit_code: int | None,
    output: str,
    upload_kept: bool,
) -> ImportJob:
    """Record the end of a job: its state, the command's exit code and output.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The runner's session.
    job_id : int
        The job.
    state : JobState
        ``finished``, ``interrupted`` or ``cancelled``.
    exit_code : int or None
        The command's exit code (``None`` when it did not end by itself).
    output : str
        What it printed (cut by :func:`capped_output`).
    upload_kept : bool
        Whether the upload stays on disk (after a finished dry run only).

    Returns
    -------
    ImportJob
        The job as recorded.
    """
    statement = (
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(
            state=state.value,
            exit_code=exit_code,
            output=capped_output(output),
            upload_kept=upload_kept,
            finished_at=func.now(),
        )
        .returning(ImportJob)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return session.scalars(statement).one()


def get(session: Session, job_id: int, *, account_id: int, lock: bool = False) -> ImportJob:
    """Return a job of the account.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    job_id : int
        The job.
    account_id : int
        The account asking (a job is its submitter's only).
    lock : bool
        Lock the row until the transaction ends (``FOR UPDATE``).

    Returns
    -------
    ImportJob
        The job.

    Raises
    ------
    NotFound
        No such job, or another account's (indistinguishable).
    """
    query = select(ImportJob).where(ImportJob.id == job_id, ImportJob.account_id == account_id)
    if lock:
        query = query.with_for_update()
    job = session.scalars(query.execution_options(populate_existing=True)).first()
    if job is None:
        raise NotFound(f"导入记录 {job_id} 不存在")
    return job


def list_for(
    session: Session, account_id: int, *, limit: int, offset: int
) -> tuple[list[ImportJob], int]:
    """Return a page of the account's jobs, newest first, and how many it has.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    account_id : int
        The account.
    limit, offset : int
        The page.

    Returns
    -------
    tuple
        The jobs and the total.
    """
    mine = ImportJob.account_id == account_id
    jobs = session.scalars(
        select(ImportJob)
        .where(mine)
        .order_by(ImportJob.submitted_at.desc(), ImportJob.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(ImportJob).where(mine)) or 0
    return list(jobs), int(total)


def mark_interrupted(session: Session) -> list[ImportJob]:
    """End every running job as interrupted (left so by a server that stopped).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The runner's session, at start-up (one runner per database).

    Returns
    -------
    list of ImportJob
        The jobs ended; their uploads are to be deleted (``upload_kept`` is now false).
    """
    statement = (
        update(ImportJob)
        .where(ImportJob.state == JobState.RUNNING.value)
        .values(
            state=JobState.INTERRUPTED.value,
            finished_at=func.now(),
            upload_kept=False,
            output=func.concat(func.coalesce(ImportJob.output + "\n", ""), INTERRUPTED_NOTE),
        )
        .returning(ImportJob)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return list(session.scalars(statement).all())


def cancel(session: Session, job_id: int, *, account_id: int) -> ImportJob:
    """Cancel a queued job of the account; return a running one as it is (its child is stopped).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    job_id : int
        The job.
    account_id : int
        The account asking.

    Returns
    -------
    ImportJob
        The job: ``cancelled`` (its upload to delete), or still ``running``.

    Raises
    ------
    NotFound
        Not a job of the account.
    Conflict
        The job has ended.
    """
    job = get(session, job_id, account_id=account_id, lock=True)
    if job.state == JobState.RUNNING:
        return job
    if job.state != JobState.QUEUED:
        raise Conflict(f"该导入已{JobState.label_of(job.state)}，不能取消")
    return finish(
        session,
        job_id,
        state=JobState.CANCELLED,
        exit_code=None,
        output=CANCELLED_NOTE,
        upload_kept=False,
    )


def take_upload(session: Session, job_id: int, *, account_id: int) -> ImportJob:
    """Pass the kept upload of a finished dry run on to its real import.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session (the job's row stays locked until it ends).
    job_id : int
        The dry run.
    account_id : int
        The account asking.

    Returns
    -------
    ImportJob
        The dry run, ``upload_kept`` now false (the caller moves the file).

    Raises
    ------
    NotFound
        Not a job of the account.
    Conflict
        Not a finished dry run, or its upload is no longer kept.
    """
    job = get(session, job_id, account_id=account_id, lock=True)
    if not job.options.get("dry_run") or job.state != JobState.FINISHED:
        raise Conflict("只有已完成的试运行可以正式导入")
    if not job.upload_kept:
        raise Conflict("上传的文件已删除，请重新上传")
    job.upload_kept = False
    session.flush()
    return job


def forget_uploads(session: Session, *, older_than: timedelta) -> list[ImportJob]:
    """Stop keeping the uploads of dry runs that ended more than ``older_than`` ago.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    older_than : timedelta
        How long an upload is kept after its dry run.

    Returns
    -------
    list of ImportJob
        The jobs whose upload is to be deleted from disk.
    """
    statement = (
        update(ImportJob)
        .where(
            ImportJob.upload_kept,
            ImportJob.state.in_([state.value for state in ENDED]),
            ImportJob.finished_at < func.now() - older_than,
        )
        .values(upload_kept=False)
        .returning(ImportJob)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return list(session.scalars(statement).all())


def outputs_expired(
    session: Session, job_ids: Iterable[int], *, older_than: timedelta
) -> list[int]:
    """Return which of ``job_ids`` ended more than ``older_than`` ago (their files may go).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    job_ids : iterable of int
        Jobs that have files on disk.
    older_than : timedelta
        How long outputs are kept.

    Returns
    -------
    list of int
        The ended jobs among them, ended before the cut-off.
    """
    ids = list(job_ids)
    if not ids:
        return []
    query = select(ImportJob.id).where(
        ImportJob.id.in_(ids),
        ImportJob.state.in_([state.value for state in ENDED]),
        ImportJob.finished_at < func.now() - older_than,
    )
    return [int(job_id) for job_id in session.scalars(query)]
