"""The console's import jobs (``import_jobs``): submitted, queued, run in two lanes, ended.

A job is a file an account uploaded in the console, imported by ``zongzhi import`` in a child
process of the API (``api/import_runner.py``). This module holds the job table's SQL, one
small function per step: :func:`create` (queued), :func:`claim_next` (the runner takes the
oldest queued job of a lane), :func:`record_progress` (the output so far), :func:`finish`,
:func:`cancel`, :func:`mark_interrupted` (a job the last server left running),
:func:`take_upload` (a kept upload passed to a real import), :func:`drop_upload` (deleted on
request), :func:`forget_uploads` and :func:`outputs_expired` (what may be deleted from disk),
and the reads :func:`get`, :func:`list_for` and :func:`ahead` (an account sees its own jobs
only), and a commander's read-only :func:`supervised` and :func:`get_supervised` (督导: the
jobs of every account within its scope). The functions flush; the caller commits.

Rules of a job (trial U):

* **Two lanes.** Dry runs write nothing: they run in a lane of their own, beside the real
  imports (at most one of each at a time, each lane in order of submission); :func:`ahead`
  counts the jobs of a job's lane before it.
* **The truth of what the child did.** The command writes what it did (``--summary-json``,
  stored in ``result``) right after its transaction ends and again at its end.
  :func:`outcome_of` tells a job's outcome from it: ``done``, ``partial`` (loaded with rows
  rejected, or a ``--complete`` held back), ``rejected`` (nothing written: rows rejected),
  ``refused`` (nothing written: the file or its options unusable, exit 2), and for a dry run
  ``dry_ok``, ``dry_rejected``, or, without rejected rows, ``dry_held`` (its ``--complete``
  would wait for ``--again``) and ``dry_ends`` (it would end records the file does not list:
  cameras or grids retired, persons struck off), which are no plain pass; a job without a
  result (an older one, or a command refused before it read the file) by its exit code. A job
  cancelled or interrupted after its import committed says so (:func:`ending_note`: 导入已于 …
  写入（导入编号 …），无法撤销), never that nothing was written.
* **Uploads kept.** A job that ended without writing anything keeps its upload
  (:func:`keeps_upload`, :data:`UPLOAD_KEPT_FOR`): a dry run, an import refused (exit 2
  included: a wrong 坐标系 or mapping file is an option to change, not a file to upload
  again), one cancelled or interrupted before its commit; so does one stopped after its
  commit, whose reject report a dry run of the same file gives. It can be run again with other
  options, as a dry run or for real (:func:`can_run`, :func:`take_upload`). An upload of
  persons or visits, the download of their reports and the deletion of their upload are
  audited (:func:`audit_job`), never a row's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import audit
from layers.console_wording import for_console
from layers.errors import Conflict, NotFound
from layers.import_runs import not_written_note, written_note_of
from layers.model import ImportJob, JobState, Role

OUTPUT_LIMIT_BYTES = 256 * 1024
"""How much of a command's output a job keeps (its tail)."""
CUT_NOTE = "（输出过长，前面的部分已省略，只保留最后 256 KB）"
"""The first line of an output cut to :data:`OUTPUT_LIMIT_BYTES`."""
INTERRUPTED_NOTE = "导入中断，未写入任何数据——导入是整体的"
"""Said of a job whose command did not end by itself (server stopped or restarted)."""
RERUN_FOR_REPORT = "可将同一文件重新试运行，得到退回报告（已写入的行再次导入不会重复）"
"""How a clerk gets the reject report an import stopped after its commit did not write."""
CANCELLED_NOTE = "已取消，未写入任何数据"
"""Said of a job cancelled by its account."""
ENDED = (JobState.FINISHED, JobState.INTERRUPTED, JobState.CANCELLED)
"""The states of a job that will not run again."""
UNDONE = "无法撤销"
"""Said of an import that committed before its job was stopped."""
OUTCOME_LABELS = {
    "done": "已导入",
    "partial": "部分导入",
    "rejected": "未导入：有退回的行",
    "refused": "无法导入",
    "dry_ok": "试运行通过",
    "dry_rejected": "试运行：有退回的行",
    "dry_held": "试运行：撤销须确认",
    "dry_ends": "试运行：将撤销记录",
}
"""A job's outcomes (:func:`outcome_of`) and their names in the console (a dry run of persons
that would strike some off: :data:`PERSONS_ENDED_LABEL`)."""
PERSONS_ENDED_LABEL = "试运行：将注销人员"
"""The name of ``dry_ends`` for a file of persons (:func:`outcome_label`)."""
ENDED_WORDS = {
    "video": "撤销视频点位 {n:,} 个",
    "grids": "撤销网格 {n:,} 个",
    "jurisdictions": "撤销辖区 {n:,} 个",
    "persons": "注销人员 {n:,} 人",
}
"""How :func:`result_note` says the records an import ended beyond its rows (``ended``)."""
UPLOAD_KEPT_FOR = timedelta(days=1)
"""How long an upload that may still be imported is kept after its job ended."""
AUDITED_KINDS = frozenset({"persons", "visits"})
"""Kinds whose upload, report download and upload deletion are audit entries."""
COUNTED = ("rows", "inserted", "updated", "unchanged", "rejected_rows", "ended")
"""The row counts of a result (``rejected_rows`` is called ``rejected`` in :func:`counts_of`;
``ended``, the records ended beyond the file's rows, are among ``updated``)."""


def is_dry_run(job: ImportJob) -> bool:
    """Tell whether a job is a dry run (its lane)."""
    return bool(job.options.get("dry_run"))


CHECKING_LABEL = "正在检查（试运行，不写入）"
"""The state of a dry run while it runs: it imports nothing (trial AR m2 read 正在导入)."""


def state_label(job: ImportJob) -> str:
    """Return where a job is, in Chinese: a running dry run checks, it does not import.

    Parameters
    ----------
    job : ImportJob
        The job.

    Returns
    -------
    str
        :data:`CHECKING_LABEL` for a dry run that runs, else its state's label (正在导入 …).
    """
    if job.state == JobState.RUNNING.value and is_dry_run(job):
        return CHECKING_LABEL
    return JobState.label_of(job.state)


def _committed(result: Mapping[str, Any] | None) -> bool:
    return bool(result and result.get("committed"))


def outcome_of(job: ImportJob) -> str | None:
    """Return how a job ended: a key of :data:`OUTCOME_LABELS`, or ``None``.

    Parameters
    ----------
    job : layers.model.ImportJob
        The job.

    Returns
    -------
    str or None
        From the command's ``result`` when there is one (a job stopped after its import
        committed is ``done`` or ``partial``), else from the exit code; ``None`` for a job
        not ended, and for one stopped before it wrote anything.

    Examples
    --------
    >>> job = ImportJob(state="finished", exit_code=1, options={"dry_run": False})
    >>> job.result = {"committed": True, "rejected_rows": 3, "held_back": False}
    >>> outcome_of(job)
    'partial'
    >>> job.result = {"committed": False, "status": "rejected", "rejected_rows": 3}
    >>> outcome_of(job)
    'rejected'
    >>> job.result = {"committed": True, "rows": 4, "rejected_rows": 4}
    >>> outcome_of(job)
    'rejected'
    >>> job.options = {"dry_run": True}
    >>> job.result = {"committed": False, "status": "dry-run", "ended": 345}
    >>> outcome_of(job)
    'dry_ends'
    """
    result = job.result
    if _committed(result):
        assert result is not None
        if result.get("rows") and result.get("rejected_rows") == result.get("rows"):
            return "rejected"  # --partial, every row refused: nothing written (trial AB)
        loaded_all = result.get("status") in (None, "loaded", "partial")
        clean = not result.get("rejected_rows") and not result.get("held_back") and loaded_all
        return "done" if clean else "partial"
    if job.state != JobState.FINISHED:
        return None
    if job.exit_code == PARTLY_WRITTEN and not is_dry_run(job):
        return "partial"  # no result read, the command's word: --partial wrote the valid rows
    refused = job.exit_code not in (0, 1) or bool(result and result.get("status") == "refused")
    if refused:
        return "refused"
    rejected = bool(result.get("rejected_rows")) if result else job.exit_code == 1
    if is_dry_run(job):
        if rejected:
            return "dry_rejected"
        if result and result.get("held_back"):
            return "dry_held"
        return "dry_ends" if result and result.get("ended") else "dry_ok"
    return "rejected" if rejected else "done"


def outcome_label(outcome: str | None, kind: str | None = None) -> str | None:
    """Return the Chinese name of an outcome (``None`` for none).

    Examples
    --------
    >>> outcome_label("dry_ends", "video"), outcome_label("dry_ends", "persons")
    ('试运行：将撤销记录', '试运行：将注销人员')
    """
    if outcome == "dry_ends" and kind == "persons":
        return PERSONS_ENDED_LABEL
    return None if outcome is None else OUTCOME_LABELS[outcome]


def reasons_of(job: ImportJob) -> list[str]:
    """Return why the job's rows were rejected: the reasons rejecting the most rows first.

    Each is a line of the command's reject digest (:func:`importers.reject_digest.top_reasons`:
    the column, how many rows, the values where they are no personal data, the rule), at most
    as many as the command gave: at most three and a line saying how many rows the other
    reasons reject (trial AD: 退回 4 over three lines, the fourth cut here); the report lists
    every row. Empty without rejected rows.

    Examples
    --------
    >>> job = ImportJob(state="finished", exit_code=1, options={"dry_run": True})
    >>> job.result = {"rejected_rows": 6, "reasons": ["“国标编码” 6 行：须为 20 位数字"]}
    >>> reasons_of(job)
    ['“国标编码” 6 行：须为 20 位数字']
    """
    result = job.result
    if not result or not result.get("rejected_rows"):
        return []
    return [str(reason) for reason in result.get("reasons") or []]


def counts_of(job: ImportJob) -> dict[str, int] | None:
    """Return the row counts the command gave: rows, inserted, updated, unchanged, rejected.

    A dry run's are what it would write; a refused import's inserted/updated/unchanged are 0.
    ``None`` when the command said nothing (an older job, or one stopped before its
    transaction ended).
    """
    result = job.result
    if not result:
        return None
    counts = {key: int(result.get(key) or 0) for key in COUNTED}
    counts["rejected"] = counts.pop("rejected_rows")
    return counts


def ended_note(kind: str, ended: int) -> str:
    """Say the records an import ended beyond its rows (:data:`ENDED_WORDS`); ``""`` for none.

    Examples
    --------
    >>> ended_note("video", 345), ended_note("cases", 0)
    ('撤销视频点位 345 个', '')
    """
    if not ended:
        return ""
    return ENDED_WORDS.get(kind, "撤销记录 {n:,} 项").format(n=ended)


def import_id_of(job: ImportJob) -> int | None:
    """Return the import's number (``import_runs.id``, 导入编号) if it committed."""
    result = job.result
    return int(result["import_id"]) if _committed(result) and result else None


def written_note(result: Mapping[str, Any]) -> str:
    """Say when and what an import that committed wrote: time, 导入编号, rows.

    Examples
    --------
    >>> written_note({"committed_at": "2026-11-20T16:13:05+08:00", "import_ids": [17],
    ...               "inserted": 30430, "updated": 0})
    '导入已于 16:13:05 写入（导入编号 17，新增 30,430 行）'
    """
    when = result.get("committed_at")
    at = f"于 {datetime.fromisoformat(when).strftime('%H:%M:%S')} " if when else ""
    ids = result.get("import_ids") or [result.get("import_id")]
    rows = [f"新增 {int(result.get('inserted') or 0):,} 行"]
    if result.get("updated"):
        rows.append(f"更新 {int(result['updated']):,} 行")
    numbers = "、".join(str(i) for i in ids if i is not None)
    return f"导入已{at}写入（导入编号 {numbers}，{'，'.join(rows)}）"


def ending_note(state: JobState, result: Mapping[str, Any] | None) -> str:
    """Return the closing line of a job its account cancelled or a restart interrupted.

    Parameters
    ----------
    state : JobState
        ``cancelled`` or ``interrupted``.
    result : mapping or None
        What the command said it did (``--summary-json``).

    Returns
    -------
    str
        :data:`CANCELLED_NOTE` or :data:`INTERRUPTED_NOTE` when nothing was committed; else
        what was written, that it cannot be undone, and whether the reject report is missing.

    Examples
    --------
    >>> ending_note(JobState.CANCELLED, None)
    '已取消，未写入任何数据'
    >>> ending_note(JobState.CANCELLED, {"committed": True, "import_id": 17, "inserted": 5,
    ...     "rejected_rows": 2, "report": None, "finished": False}).split("：可将")[0]
    '已取消：导入已写入（导入编号 17，新增 5 行），无法撤销；退回报告未写完'
    """
    cancelled = state == JobState.CANCELLED
    if not _committed(result):
        return CANCELLED_NOTE if cancelled else INTERRUPTED_NOTE
    assert result is not None
    head = "已取消" if cancelled else "导入中断"
    note = f"{head}：{written_note(result)}，{UNDONE}"
    if result.get("rejected_rows") and not result.get("report"):
        note += f"；退回报告未写完：{RERUN_FOR_REPORT}"
    return note


def result_note(job: ImportJob) -> str | None:
    """Say in one line what a job wrote: 已写入 … / 未写入任何数据 and why; ``None`` if unknown.

    An import that wrote nothing says why as a command-line run does
    (:meth:`layers.import_runs.ImportRecord.note`): the reason rejecting the most rows, or why
    the file or an option was refused.

    Examples
    --------
    >>> job = ImportJob(state="finished", exit_code=1, options={"dry_run": False})
    >>> job.result = {"committed": False, "status": "rejected", "rows": 67, "rejected_rows": 3}
    >>> result_note(job)
    '未写入任何数据：67 行中退回 3 行'
    >>> job.result |= {"reasons": ["“国标编码” 3 行：须为 20 位数字"]}
    >>> result_note(job)
    '未写入任何数据：67 行中退回 3 行，主要原因：“国标编码” 3 行：须为 20 位数字'
    >>> job.exit_code = 2
    >>> job.result = {"committed": False, "status": "refused", "refusal": "缺少必填列：经度"}
    >>> result_note(job)
    '未写入任何数据：缺少必填列：经度'
    """
    result, counts = job.result, counts_of(job)
    if result is None or counts is None:
        return None
    ended = ended_note(job.kind, counts["ended"])
    if _committed(result):
        return written_note_of(import_id_of(job), counts, ended)
    if is_dry_run(job) and result.get("status") != "refused":
        rows = "、".join(
            f"{label} {counts[key]:,} 行"
            for key, label in (("inserted", "新增"), ("updated", "更新"), ("unchanged", "未变"))
        )
        rejected = f"；退回 {counts['rejected']:,} 行" if counts["rejected"] else ""
        among = f"（其中将{ended}）" if ended else ""
        held = f"；{held_note(job)}" if held_note(job) else ""
        return f"试运行，未写入任何数据：可{rows}{among}{rejected}{held}"
    # the same line as an import run on the server (trial AL M7: why, in one line)
    refusal = result.get("refusal")
    reasons = reasons_of(job)
    if result.get("status") == "refused":
        note = not_written_note(0, 0, refusal or (reasons[0] if reasons else None))
    else:
        why = reasons[0] if reasons else refusal
        note = not_written_note(counts["rows"], counts["rejected"], why)
    return for_console(note)  # the page's words, not the command line's


HELD_NOTE = "撤销须勾选“确认重新导入旧文件”确认后才执行"
"""What a dry run says of the retirements a real import would hold back (:func:`held_note`)."""


def held_note(job: ImportJob) -> str:
    """Say that a dry run's retirements wait for the clerk's confirmation; ``""`` otherwise.

    Examples
    --------
    >>> job = ImportJob(state="finished", exit_code=1, options={"dry_run": True})
    >>> job.result = {"committed": False, "status": "dry-run", "ended": 3, "held_back": True}
    >>> held_note(job)
    '撤销须勾选“确认重新导入旧文件”确认后才执行'
    """
    result = job.result
    held = result is not None and bool(result.get("held_back"))
    return HELD_NOTE if held and is_dry_run(job) else ""


def keeps_upload(job: ImportJob, state: JobState, result: Mapping[str, Any] | None) -> bool:
    """Tell whether a job's upload is kept once it ended (:data:`UPLOAD_KEPT_FOR`).

    Kept unless the job finished having written its rows: after a job that wrote nothing (a
    dry run, an import refused, exit 2 too, one cancelled or interrupted before its commit) it
    may be run again with other options; after one stopped once it had committed, a dry run of
    the same file gives the reject report it did not write (:data:`RERUN_FOR_REPORT`).

    Parameters
    ----------
    job : layers.model.ImportJob
        The job.
    state : JobState
        How it ended.
    result : mapping or None
        What the command said it did (``--summary-json``).

    Returns
    -------
    bool
        Whether its upload stays.

    Examples
    --------
    >>> job = ImportJob(options={"dry_run": False})
    >>> keeps_upload(job, JobState.FINISHED, {"committed": False, "status": "refused"})
    True
    >>> keeps_upload(job, JobState.FINISHED, {"committed": True, "status": "loaded"})
    False
    >>> keeps_upload(job, JobState.CANCELLED, {"committed": True, "status": "loaded"})
    True
    """
    return state in ENDED and not (state == JobState.FINISHED and _committed(result))


def can_run(job: ImportJob) -> bool:
    """Tell whether a job's kept upload may be run again now (重新试运行, 正式导入)."""
    return job.state in ENDED and job.upload_kept


def audit_job(
    session: Session,
    job: ImportJob,
    action: str,
    *,
    actor_id: int,
    detail: Mapping[str, Any] | None = None,
    actor_name: str | None = None,
) -> bool:
    """Write an audit entry about a job of persons or visits (:data:`AUDITED_KINDS`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session (the entry commits with it).
    job : layers.model.ImportJob
        The job.
    action : str
        ``import.upload``, ``import.rerun`` (a kept upload run again), ``import.report_download``,
        ``import.upload_delete``, ``import.supervise_read`` (a commander reading another
        account's job).
    actor_id : int
        The account.
    detail : mapping, optional
        More facts (a file name; resident-ID-like numbers in it are masked).
    actor_name : str, optional
        The account's name, when it is not the job's own (a supervisor's).

    Returns
    -------
    bool
        Whether an entry was written (not for the other kinds).
    """
    if job.kind not in AUDITED_KINDS:
        return False
    facts = {
        "kind": job.kind,
        "job_id": job.id,
        "file": audit.masked_ids(job.file_name),
        "sha256": job.file_sha256,
        "dry_run": is_dry_run(job),
        **{k: audit.masked_ids(v) if isinstance(v, str) else v for k, v in (detail or {}).items()},
    }
    audit.record(
        session,
        actor_id=actor_id,
        actor_name=actor_name or job.username,
        action=action,
        object_type="import_job",
        object_id=str(job.id),
        detail=facts,
    )
    return True


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


def _in_lane(dry_run: bool) -> Any:
    """Return the condition of a lane's jobs: dry runs, or real imports."""
    return func.coalesce(ImportJob.options["dry_run"].astext.cast(Boolean), False).is_(dry_run)


def claim_next(session: Session, *, dry_run: bool = False) -> ImportJob | None:
    """Mark the oldest queued job of a lane running and return it (``None`` when none waits).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The runner's session.
    dry_run : bool
        The lane: dry runs, or real imports.

    Returns
    -------
    ImportJob or None
        The job, ``started_at`` set.
    """
    oldest = (
        select(ImportJob.id)
        .where(ImportJob.state == JobState.QUEUED.value, _in_lane(dry_run))
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
    result: Mapping[str, Any] | None = None,
) -> ImportJob:
    """Record the end of a job: its state, the command's exit code, output and result.

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
        Whether the upload stays on disk (:func:`keeps_upload`).
    result : mapping, optional
        What the command said it did (``--summary-json``); the one stored is kept without.

    Returns
    -------
    ImportJob
        The job as recorded.
    """
    values: dict[str, Any] = {"result": dict(result)} if result is not None else {}
    statement = (
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(
            state=state.value,
            exit_code=exit_code,
            output=capped_output(output),
            upload_kept=upload_kept,
            finished_at=func.now(),
            **values,
        )
        .returning(ImportJob)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return session.scalars(statement).one()


def record_progress(
    session: Session, job_id: int, *, output: str, result: Mapping[str, Any] | None
) -> None:
    """Store a running job's output so far and what its command has said it did.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The runner's session.
    job_id : int
        The job (left alone once it has ended).
    output : str
        The output so far (cut by :func:`capped_output`).
    result : mapping or None
        The command's ``--summary-json`` so far (``None``: not written yet).
    """
    values: dict[str, Any] = {"output": capped_output(output)}
    if result is not None:
        values["result"] = dict(result)
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.state == JobState.RUNNING.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def ahead(session: Session, job: ImportJob) -> int | None:
    """Return how many jobs of a queued job's lane are before it (running or queued).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    job : layers.model.ImportJob
        The job.

    Returns
    -------
    int or None
        ``None`` for a job not queued.
    """
    if job.state != JobState.QUEUED:
        return None
    before = tuple_(ImportJob.submitted_at, ImportJob.id) < tuple_(job.submitted_at, job.id)
    waiting = and_(ImportJob.state == JobState.QUEUED.value, before)
    query = (
        select(func.count())
        .select_from(ImportJob)
        .where(
            _in_lane(is_dry_run(job)),
            or_(ImportJob.state == JobState.RUNNING.value, waiting),
        )
    )
    return int(session.scalar(query) or 0)


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
    return _page(session, ImportJob.account_id == account_id, limit=limit, offset=offset)


def _page(
    session: Session, where: ColumnElement[bool], *, limit: int, offset: int
) -> tuple[list[ImportJob], int]:
    """Return a page of the jobs ``where`` holds, newest first, and how many there are."""
    jobs = session.scalars(
        select(ImportJob)
        .where(where)
        .order_by(ImportJob.submitted_at.desc(), ImportJob.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(ImportJob).where(where)) or 0
    return list(jobs), int(total)


PARTLY_WRITTEN = 3
"""``zongzhi import``'s exit code when ``--partial`` wrote the valid rows and left the rejected
ones out (:data:`importers.cli.EXIT_PARTLY`)."""

SUPERVISING_ROLES = frozenset({Role.COMMANDER})
"""Roles that follow the imports of the accounts within their scope (:func:`supervised`)."""


def _supervised_by(scope_code: str, *, personal: bool) -> ColumnElement[bool]:
    """Return the condition of the jobs a supervisor of ``scope_code`` may read."""
    lo, hi = scope_range(scope_code)
    within = and_(ImportJob.scope_code >= lo, ImportJob.scope_code < hi)
    return within if personal else and_(within, ImportJob.kind.not_in(sorted(AUDITED_KINDS)))


def supervised(
    session: Session, *, scope_code: str, personal: bool, limit: int, offset: int
) -> tuple[list[ImportJob], int]:
    """Return a page of the jobs of every account within a scope, newest first, and the total.

    A commander follows what the clerks of the jurisdiction imported (督导): read only, the
    jobs of persons and visits only where the commander sees persons one by one
    (``personal``, :func:`layers.catalog.sees_persons_individually`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    scope_code : str
        12-digit code of the supervisor's scope: the jobs whose account's scope lies in it.
    personal : bool
        Include the jobs of persons and visits (:data:`AUDITED_KINDS`).
    limit, offset : int
        The page.

    Returns
    -------
    tuple
        The jobs and the total.
    """
    where = _supervised_by(scope_code, personal=personal)
    return _page(session, where, limit=limit, offset=offset)


def get_supervised(session: Session, job_id: int, *, scope_code: str, personal: bool) -> ImportJob:
    """Return one job a supervisor of ``scope_code`` may read (:func:`supervised`).

    Raises
    ------
    NotFound
        No such job, or one outside the scope or of a kind not shown (indistinguishable).
    """
    job = session.scalars(
        select(ImportJob).where(
            ImportJob.id == job_id, _supervised_by(scope_code, personal=personal)
        )
    ).first()
    if job is None:
        raise NotFound(f"导入记录 {job_id} 不存在")
    return job


def mark_interrupted(
    session: Session,
    result_of: Callable[[ImportJob], Mapping[str, Any] | None] | None = None,
) -> list[ImportJob]:
    """End every running job as interrupted (left so by a server that stopped).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The runner's session, at start-up (one runner per database).
    result_of : callable, optional
        What a job's command said it did, as it left it on disk (its ``--summary-json``;
        ``None``: the one stored). A job whose import committed says so (:func:`ending_note`).

    Returns
    -------
    list of ImportJob
        The jobs ended; the uploads of those whose ``upload_kept`` is false are to be deleted
        (:func:`keeps_upload`).
    """
    left = session.scalars(
        select(ImportJob)
        .where(ImportJob.state == JobState.RUNNING.value)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    ended = []
    for job in left:
        result = (result_of(job) if result_of is not None else None) or job.result
        note = ending_note(JobState.INTERRUPTED, result)
        output = f"{job.output}\n{note}" if job.output else note
        ended.append(
            finish(
                session,
                job.id,
                state=JobState.INTERRUPTED,
                exit_code=None,
                output=output,
                upload_kept=keeps_upload(job, JobState.INTERRUPTED, result),
                result=result,
            )
        )
    return ended


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
        The job: ``cancelled`` (its upload kept, :func:`keeps_upload`), or still ``running``.

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
        upload_kept=keeps_upload(job, JobState.CANCELLED, None),
    )


def take_upload(session: Session, job_id: int, *, account_id: int) -> ImportJob:
    """Pass the kept upload of an ended job on to a run of it again (:func:`can_run`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session (the job's row stays locked until it ends).
    job_id : int
        The job whose upload is kept.
    account_id : int
        The account asking.

    Returns
    -------
    ImportJob
        The job, ``upload_kept`` now false (the caller moves the file).

    Raises
    ------
    NotFound
        Not a job of the account.
    Conflict
        The job has not ended, or its upload is no longer kept.
    """
    job = get(session, job_id, account_id=account_id, lock=True)
    if job.state not in ENDED:
        raise Conflict(f"该导入{JobState.label_of(job.state)}，结束后才能重新导入")
    if not job.upload_kept:
        raise Conflict("上传的文件已删除，请重新上传")
    job.upload_kept = False
    session.flush()
    return job


def drop_upload(session: Session, job_id: int, *, account_id: int) -> ImportJob:
    """Stop keeping an ended job's upload at its account's request (the caller deletes it).

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
        The job, ``upload_kept`` now false.

    Raises
    ------
    NotFound
        Not a job of the account.
    Conflict
        The job has not ended (cancel it), or its upload is no longer kept.
    """
    job = get(session, job_id, account_id=account_id, lock=True)
    if job.state not in ENDED:
        raise Conflict(f"该导入{JobState.label_of(job.state)}，请先取消")
    if not job.upload_kept:
        raise Conflict("上传的文件已删除")
    job.upload_kept = False
    session.flush()
    return job


def forget_uploads(session: Session, *, older_than: timedelta) -> list[ImportJob]:
    """Stop keeping the uploads of jobs that ended more than ``older_than`` ago.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session.
    older_than : timedelta
        How long an upload is kept after its job (:data:`UPLOAD_KEPT_FOR`).

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
