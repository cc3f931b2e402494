"""The console's imports: ``zongzhi import`` run in a child process, in two lanes, in order.

A browser import runs the very command a clerk runs on the server
(``python -m layers.cli import KIND FILE --within SCOPE --user NAME --report …``), so ``api``
never imports ``importers``, every check, note, report and exit code is the command's own, the
memory of a big import is the child's, and a crash or a kill leaves nothing half-written (an
import is one transaction).

:class:`ImportRunner` is an asyncio task of the app's lifespan (like the tile caches'
``ChangeWatch``). At start-up it ends the jobs the last server left running (``interrupted``,
saying what their command had written: :func:`layers.import_jobs.ending_note`), then serves two
lanes side by side, each in order of submission: dry runs (they write nothing) and real
imports, so that a township's dry run does not wait for a county's long import. In each lane it
takes the oldest queued job, runs its child with ``--summary-json`` (what it did, written as
soon as its transaction ends: :class:`importers.cli.RunSummary`), stores the child's output
(colours kept: ``FORCE_COLOR=1``) and that summary every :data:`PROGRESS_SECONDS` while it
runs, then its exit code, and deletes the upload unless the job wrote nothing and may be
imported (again) with other options (:func:`layers.import_jobs.keeps_upload`; kept 24 hours,
:data:`UPLOAD_DAYS`). A mapping file uploaded with the job is given as ``--mapping``. It wakes
when a job is submitted and every :data:`POLL_SECONDS` anyway. One runner per database: a
second server on the same database would take the first one's running jobs for leftovers.

The child's environment is the server's own, plus ``ZONGZHI_HOME`` (the server's home) and
``ZONGZHI_DATABASE_URL`` (the owner URL the server resolved, so that the child uses the very
same database, the embedded one included), without ``ZONGZHI_WITHIN`` (the scope is the
account's). It reads the platform keys as the server does when none are injected
(``ZONGZHI_SECRET_KEY``, else ``keys.json`` in the home): persons' resident IDs are sealed with
the key the API opens them with. Keys injected into :class:`api.settings.ApiSettings` cannot
reach a child; with such keys, persons and visits are refused (:data:`KEYS_DIFFER`) rather than
sealed under another key.

Files live in ``$ZONGZHI_HOME/imports/<job id>/`` (folders 0700, files 0600): the upload, the
mapping file (``.mapping.toml`` or ``.json``), the command's ``.summary.json``, and what the
command writes beside its report (:class:`JobFiles`; the hidden ones are never listed).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.settings import ApiSettings
from layers import import_jobs
from layers.import_areas import job_area
from layers.model import ImportJob, JobState
from layers.secrets import SecretError, platform_keys

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
"""How often the runner looks for queued jobs without being woken."""
PROGRESS_SECONDS = 2.0
"""How often a running job's output so far is stored (the console shows it live)."""
LANES = (False, True)
"""The runner's lanes, by ``dry_run``: real imports, and dry runs beside them."""
SUMMARY_NAME = ".summary.json"
"""What the command writes with ``--summary-json`` in a job's folder."""
MAPPING_NAME = ".mapping"
"""A job's mapping file in its folder, with its ending (``.mapping.toml``)."""
MAPPING_ENDINGS = (".toml", ".json")
"""The mapping files ``zongzhi import --mapping`` reads (:mod:`importers.mapping`)."""
STOP_GRACE_SECONDS = 5.0
"""How long a child has to end after SIGTERM before it is killed."""
UPLOAD_DAYS = import_jobs.UPLOAD_KEPT_FOR.days
"""Days an upload is kept after a job that wrote nothing (for a real import)."""
OUTPUT_DAYS = 30
"""Days the files a command wrote (reject reports) are kept."""
TEMPLATE_TIMEOUT_SECONDS = 120.0
"""How long writing an import template may take."""
PERSONAL_KINDS = ("persons", "visits")
"""Kinds whose import seals or hashes resident IDs with the platform keys."""
KEYS_DIFFER = (
    "错误：本服务器启动时注入的密钥与平台密钥不一致，网页导入无法使用同一密钥加密身份证号："
    "特殊人群和走访记录请在服务器上用 zongzhi import 导入"
)
"""The output of a persons or visits job refused because a child could not share the keys."""
INCOMING = ".incoming"
"""Folder of ``imports/`` where an upload is written before its job exists."""
CHILD_TERMINAL = {
    "FORCE_COLOR": "1",
    "COLUMNS": "110",
    "TERM": "xterm-256color",
    "TTY_INTERACTIVE": "0",
    "ZONGZHI_IMPORT_PAGE": "1",
}
"""Terminal of the child: colours kept for the console, lines as wide as its output box, no
progress bars redrawn in place (rich's ``TTY_INTERACTIVE=0``: the command prints its steps as
lines instead), and ``ZONGZHI_IMPORT_PAGE=1``: a template tells how to upload it on the
数据导入 page, not the command line (:mod:`importers.template`)."""


def child_environment(settings: ApiSettings, owner_url: str) -> dict[str, str]:
    """Return the environment of a ``zongzhi`` child: the server's own, on its home and database.

    Parameters
    ----------
    settings : ApiSettings
        The server's settings (its home).
    owner_url : str
        The owner URL the server resolved.

    Returns
    -------
    dict
        The environment: ``ZONGZHI_HOME``, ``ZONGZHI_DATABASE_URL`` set, ``ZONGZHI_WITHIN``
        and ``NO_COLOR`` removed, :data:`CHILD_TERMINAL` added.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("ZONGZHI_WITHIN", "NO_COLOR")}
    env.update(CHILD_TERMINAL)
    env["ZONGZHI_HOME"] = str(settings.database.home)
    env["ZONGZHI_DATABASE_URL"] = owner_url
    return env


def zongzhi_command(*args: str) -> list[str]:
    """Return the argv running ``zongzhi ARGS`` with this server's Python.

    Parameters
    ----------
    *args : str
        The command and its arguments.

    Returns
    -------
    list of str
        ``[sys.executable, "-m", "layers.cli", *args]``.
    """
    return [sys.executable, "-m", "layers.cli", *args]


def import_arguments(job: ImportJob, files: JobFiles) -> list[str]:
    """Return the arguments of ``zongzhi import`` for a job.

    Parameters
    ----------
    job : layers.model.ImportJob
        The job (kind, scope, account, options).
    files : JobFiles
        Where its upload, report, summary and mapping file are.

    Returns
    -------
    list of str
        ``import KIND FILE --within=AREA --user=NAME --report=REPORT --summary-json=PATH``
        (``AREA`` the job's 导入范围, ``options["within"]``, else the account's scope),
        ``--mapping=PATH`` (and ``--mapping-name`` its uploaded name) when a mapping file came
        with it, and the options ticked
        (``--name=value``: a value starting with ``-`` is not taken for an option); a workers
        job's ``on_duty`` is ``--set=状态=在岗``.
    """
    options = job.options
    within = job_area(job.scope_code, options.get("within"))  # the 导入范围, else the scope
    args = ["import", job.kind, str(files.upload(job)), f"--within={within}"]
    args += [f"--user={job.username}", f"--report={files.report(job)}"]
    args.append(f"--summary-json={files.summary(job)}")
    mapping = files.mapping(job)
    if mapping is not None:
        args.append(f"--mapping={mapping}")
        if options.get("mapping"):  # its messages name the file the clerk uploaded
            args.append(f"--mapping-name={options['mapping']}")
    for name in ("crs", "sheet"):
        if options.get(name):
            args.append(f"--{name}={options[name]}")
    for flag in ("dry_run", "partial", "complete", "again", "history", "hold_at_county"):
        if options.get(flag):
            args.append("--" + flag.replace("_", "-"))
    if options.get("on_duty"):  # 本文件的网格员都记为在岗 (trial AV M3)
        args.append("--set=状态=在岗")
    return args


@dataclass(frozen=True)
class JobFiles:
    """Where the files of the console's imports are: ``$ZONGZHI_HOME/imports/<job id>/``.

    Attributes
    ----------
    root : pathlib.Path
        The ``imports`` folder.
    """

    root: Path

    @classmethod
    def of(cls, settings: ApiSettings) -> JobFiles:
        """Return the files of the server's home.

        Parameters
        ----------
        settings : ApiSettings
            The server's settings.

        Returns
        -------
        JobFiles
            Under ``home/imports``.
        """
        return cls(settings.database.home / "imports")

    def folder(self, job_id: int) -> Path:
        """Return the folder of a job."""
        return self.root / str(job_id)

    def make_folder(self, job_id: int) -> Path:
        """Create the folder of a job (and ``imports``), owner only, and return it."""
        _private_folder(self.root)
        return _private_folder(self.folder(job_id))

    def incoming(self) -> Path:
        """Return the folder uploads are written to before their job exists (owner only)."""
        _private_folder(self.root)
        return _private_folder(self.root / INCOMING)

    def upload(self, job: ImportJob) -> Path:
        """Return the path of a job's upload."""
        return self.folder(job.id) / job.file_name

    def report(self, job: ImportJob) -> Path:
        """Return where a job's reject report goes: ``<file stem>.rejects.xlsx``."""
        return self.folder(job.id) / f"{Path(job.file_name).stem}.rejects.xlsx"

    def summary(self, job: ImportJob) -> Path:
        """Return where the command says what it did (``--summary-json``)."""
        return self.folder(job.id) / SUMMARY_NAME

    def read_summary(self, job: ImportJob) -> dict[str, Any] | None:
        """Return what the command said it did so far (``None``: nothing yet, or unreadable)."""
        try:
            said = json.loads(self.summary(job).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return said if isinstance(said, dict) else None

    def mapping(self, job: ImportJob) -> Path | None:
        """Return the mapping file that came with a job (``None`` without one)."""
        name = job.options.get("mapping")
        if not name:
            return None
        return self.folder(job.id) / (MAPPING_NAME + Path(str(name)).suffix.lower())

    def outputs(self, job: ImportJob) -> list[tuple[str, int]]:
        """Return the files the command wrote for a job (never the upload): name and size.

        Parameters
        ----------
        job : layers.model.ImportJob
            The job.

        Returns
        -------
        list of tuple
            ``(name, bytes)`` by name.
        """
        folder = self.folder(job.id)
        if not folder.is_dir():
            return []
        return sorted(
            (entry.name, entry.stat().st_size)
            for entry in folder.iterdir()
            if entry.is_file() and entry.name != job.file_name and not entry.name.startswith(".")
        )

    def delete_upload(self, job: ImportJob) -> None:
        """Delete a job's upload, if it is there."""
        self.upload(job).unlink(missing_ok=True)

    def job_ids_on_disk(self) -> list[int]:
        """Return the jobs that have a folder."""
        if not self.root.is_dir():
            return []
        return [int(p.name) for p in self.root.iterdir() if p.is_dir() and p.name.isdigit()]

    def delete_folder(self, job_id: int) -> None:
        """Delete the folder of a job and everything in it."""
        shutil.rmtree(self.folder(job_id), ignore_errors=True)

    def clear_incoming(self) -> None:
        """Delete uploads a stopped server left half-written (at start-up only)."""
        shutil.rmtree(self.root / INCOMING, ignore_errors=True)


def _private_folder(path: Path) -> Path:
    """Create ``path`` and its missing parents with mode 0700; return it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


class OutputTail:
    r"""A child's output as a terminal would show it: a line rewritten after ``\r`` shows once.

    Progress bars redraw their line many times a second; only the last drawing of each line
    is kept (as :meth:`rich.text.Text.from_ansi` would show it), so a long import's output
    stays short.

    Examples
    --------
    >>> tail = OutputTail(hidden_folder=Path("/srv/zz/imports/7"))
    >>> tail.feed("读取 10%\r读取 50%".encode()); tail.feed("\r读取 100%\n完成\n".encode())
    >>> tail.feed("退回报告：/srv/zz/imports/7/工单.rejects.xlsx\n".encode())
    >>> tail.text()
    '读取 100%\n完成\n退回报告：工单.rejects.xlsx\n'

    Parameters
    ----------
    hidden_folder : pathlib.Path, optional
        The job's folder: the paths the command prints in it are shown as file names (the
        server's folders are no business of the console's).
    """

    def __init__(self, hidden_folder: Path | None = None) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._lines: list[str] = []
        self._current = ""
        self._hidden = f"{hidden_folder}{os.sep}" if hidden_folder is not None else None

    def feed(self, data: bytes) -> None:
        """Add bytes the child wrote."""
        text = self._decoder.decode(data)
        *complete, self._current = (self._current + text).split("\n")
        self._lines.extend(line.rsplit("\r", 1)[-1] + "\n" for line in complete)

    def text(self) -> str:
        """Return the output so far (blank lines before the first words left out)."""
        text = ("".join(self._lines) + self._current.rsplit("\r", 1)[-1]).lstrip("\n")
        return text if self._hidden is None else text.replace(self._hidden, "")


@dataclass
class _Running:
    """A job whose child runs now."""

    job: ImportJob
    process: asyncio.subprocess.Process
    cancelled: bool = False


@dataclass
class ImportRunner:
    """Run the queued import jobs, one at a time in each lane (see the module's description).

    Parameters
    ----------
    settings : ApiSettings
        The server's settings (home, keys).
    sessions : sqlalchemy.orm.sessionmaker
        Sessions of the app engine.
    owner_url : str
        The owner URL the server resolved, given to the children.
    """

    settings: ApiSettings
    sessions: sessionmaker[Session]
    owner_url: str
    files: JobFiles = field(init=False)
    _wakes: dict[bool, asyncio.Event] = field(init=False, default_factory=dict)
    _sweep: bool = field(init=False, default=True)
    _loop: asyncio.AbstractEventLoop | None = field(init=False, default=None)
    _running: dict[int, _Running] = field(init=False, default_factory=dict)
    _keys_shared: bool | None = field(init=False, default=None)
    _cancel_asked: set[int] = field(init=False, default_factory=set)
    _recorded: set[int] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        """Find the files under the server's home."""
        self.files = JobFiles.of(self.settings)
        self._wakes = {lane: asyncio.Event() for lane in LANES}

    def wake(self, *, sweep: bool = False) -> None:
        """Look for queued jobs now; from any thread.

        Parameters
        ----------
        sweep : bool
            Also delete the uploads and outputs whose time is up (a job was submitted).
        """
        loop = self._loop
        if loop is None:
            return
        if sweep:
            self._sweep = True
        for wake in self._wakes.values():
            loop.call_soon_threadsafe(wake.set)

    def cancel(self, job_id: int) -> None:
        """Stop the child of a running job, which then ends ``cancelled``; from any thread.

        Parameters
        ----------
        job_id : int
            The job (nothing happens when it is not running).
        """
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._cancel_now, job_id)

    def _cancel_now(self, job_id: int) -> None:
        running = self._running.get(job_id)
        if running is None:  # claimed, its child not started yet
            self._cancel_asked.add(job_id)
        elif not running.cancelled:
            running.cancelled = True
            stop_child(running.process)

    async def run(self) -> None:
        """Serve both lanes until cancelled (the app's shutdown).

        A failing step (the database down for a while) is logged and tried again after
        :data:`POLL_SECONDS`; it does not end the runner.
        """
        self._loop = asyncio.get_running_loop()
        while True:
            try:
                await asyncio.to_thread(self._start_up)
                break
            except Exception:
                log.exception(
                    "the import runner could not start; trying again in %s s", POLL_SECONDS
                )
            await asyncio.sleep(POLL_SECONDS)
        await asyncio.gather(*(self._serve_lane(lane) for lane in LANES))

    async def _serve_lane(self, dry_run: bool) -> None:
        """Run the queued jobs of a lane, then wait to be woken; until cancelled."""
        while True:
            try:
                await self._serve_queue(dry_run)
            except Exception:
                log.exception("the import runner failed; trying again in %s s", POLL_SECONDS)
            await self._idle(dry_run)

    async def _serve_queue(self, dry_run: bool) -> None:
        """Sweep the files if asked (real lane), then run the lane's jobs until none is left."""
        if self._sweep and not dry_run:
            self._sweep = False
            await asyncio.to_thread(self._sweep_files)
        while (job := await self._claim_now(dry_run)) is not None:
            try:
                await self._run_job(job)
            except asyncio.CancelledError:  # the server stops before the job's end was recorded
                if job.id not in self._recorded:
                    await asyncio.to_thread(self._finish, job, JobState.INTERRUPTED, None, "")
                raise
            finally:
                self._recorded.discard(job.id)

    async def _claim_now(self, dry_run: bool) -> ImportJob | None:
        """Claim a lane's next job; one claimed as the server stops is ended interrupted."""
        claim = asyncio.ensure_future(asyncio.to_thread(self._claim, dry_run))
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            job = await claim  # its transaction commits whatever happens here
            if job is not None:
                await asyncio.to_thread(self._finish, job, JobState.INTERRUPTED, None, "")
            raise

    async def _idle(self, dry_run: bool) -> None:
        """Wait until woken, or :data:`POLL_SECONDS`."""
        wake = self._wakes[dry_run]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), POLL_SECONDS)
        wake.clear()

    def _in_transaction(self, work: Callable[[Session], Any]) -> Any:
        with self.sessions() as session, session.begin():
            return work(session)

    def _start_up(self) -> None:
        self.files.clear_incoming()
        left = self._in_transaction(
            lambda s: import_jobs.mark_interrupted(s, self.files.read_summary)
        )
        for job in left:
            log.warning("import job %s was left running: marked interrupted", job.id)
            if not job.upload_kept:
                self.files.delete_upload(job)

    def _sweep_files(self) -> None:
        """Delete the kept uploads and the outputs whose time is up."""
        days = timedelta(days=UPLOAD_DAYS)
        jobs = self._in_transaction(lambda s: import_jobs.forget_uploads(s, older_than=days))
        for job in jobs:
            self.files.delete_upload(job)
        on_disk = self.files.job_ids_on_disk()
        kept = timedelta(days=OUTPUT_DAYS)
        expired = self._in_transaction(
            lambda s: import_jobs.outputs_expired(s, on_disk, older_than=kept)
        )
        for job_id in expired:
            self.files.delete_folder(job_id)

    def _claim(self, dry_run: bool) -> ImportJob | None:
        job: ImportJob | None = self._in_transaction(
            lambda s: import_jobs.claim_next(s, dry_run=dry_run)
        )
        return job

    def _finish(self, job: ImportJob, state: JobState, exit_code: int | None, output: str) -> None:
        result = self.files.read_summary(job)
        job.state, job.exit_code, job.result = state.value, exit_code, result
        keep = import_jobs.keeps_upload(job, state, result)
        if state != JobState.FINISHED:
            output = f"{output}\n{import_jobs.ending_note(state, result)}".lstrip("\n")
        self._in_transaction(
            lambda s: import_jobs.finish(
                s,
                job.id,
                state=state,
                exit_code=exit_code,
                output=output,
                upload_kept=keep,
                result=result,
            )
        )
        self._recorded.add(job.id)
        if not keep:
            self.files.delete_upload(job)

    def _store_progress(self, job: ImportJob, output: str) -> None:
        result = self.files.read_summary(job)
        self._in_transaction(
            lambda s: import_jobs.record_progress(s, job.id, output=output, result=result)
        )

    def _keys_reach_children(self) -> bool:
        """Whether a child reads the keys the server uses (always, unless keys were injected)."""
        if self._keys_shared is None:
            injected = self.settings.keys
            try:
                self._keys_shared = injected is None or injected == platform_keys(
                    self.settings.database
                )
            except (SecretError, OSError):
                self._keys_shared = False
        return self._keys_shared

    async def _run_job(self, job: ImportJob) -> None:
        """Run a claimed job's child and record how it ended."""
        if job.kind in PERSONAL_KINDS and not await asyncio.to_thread(self._keys_reach_children):
            await asyncio.to_thread(self._finish, job, JobState.FINISHED, 2, KEYS_DIFFER)
            return
        args = import_arguments(job, self.files)
        try:
            folder = self.files.make_folder(job.id)
            self.files.summary(job).unlink(missing_ok=True)  # a run of its own says what it did
            process = await start_child(args, self.settings, self.owner_url, folder)
        except OSError as exc:
            log.exception("import job %s: the command could not start", job.id)
            said = f"错误：导入程序无法启动（{exc.strerror or exc}）"
            await asyncio.to_thread(self._finish, job, JobState.INTERRUPTED, None, said)
            return
        self._running[job.id] = running = _Running(job, process)
        if job.id in self._cancel_asked:
            self._cancel_now(job.id)
        tail = OutputTail(hidden_folder=folder)
        follow = asyncio.create_task(self._follow(job, tail))
        try:
            await read_output(process, tail)
        except asyncio.CancelledError:  # the server stops: end the child, the job interrupted
            stop_child(process)
            await asyncio.shield(process.wait())
            await _stopped(follow)
            await asyncio.to_thread(self._finish, job, JobState.INTERRUPTED, None, tail.text())
            raise
        finally:
            self._running.pop(job.id, None)
            self._cancel_asked.discard(job.id)
        await _stopped(follow)
        state, exit_code = _ending(process.returncode, cancelled=running.cancelled)
        await asyncio.to_thread(self._finish, job, state, exit_code, tail.text())

    async def _follow(self, job: ImportJob, tail: OutputTail) -> None:
        """Store a running job's output and result every :data:`PROGRESS_SECONDS`."""
        stored: tuple[str, float] = ("", 0.0)
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            now = (tail.text(), _modified(self.files.summary(job)))
            if now == stored:
                continue
            try:
                await asyncio.to_thread(self._store_progress, job, now[0])
            except Exception:  # the database away for a while: the end is stored anyway
                log.exception("import job %s: its progress could not be stored", job.id)
            stored = now


def _modified(path: Path) -> float:
    """Return when a file was last written (0 when it is not there)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


async def _stopped(task: asyncio.Task[None]) -> None:
    """Cancel a task and wait until it has ended (a cancel of the caller is not swallowed)."""
    task.cancel()
    await asyncio.wait([task])


def _ending(returncode: int | None, *, cancelled: bool) -> tuple[JobState, int | None]:
    """Return how a job ended from its child's return code: state and exit code.

    The closing line of a job stopped is :func:`layers.import_jobs.ending_note`.

    Examples
    --------
    >>> _ending(1, cancelled=True)  # the command ended by itself before the signal
    (<JobState.FINISHED: 'finished'>, 1)
    >>> _ending(-15, cancelled=True)
    (<JobState.CANCELLED: 'cancelled'>, None)
    """
    if returncode is not None and returncode >= 0:
        return JobState.FINISHED, returncode
    if cancelled:
        return JobState.CANCELLED, None
    return JobState.INTERRUPTED, None


async def start_child(
    args: list[str], settings: ApiSettings, owner_url: str, folder: Path
) -> asyncio.subprocess.Process:
    """Start ``zongzhi ARGS`` in its own session, output (both streams) piped.

    Parameters
    ----------
    args : list of str
        The command and its arguments.
    settings : ApiSettings
        The server's settings.
    owner_url : str
        The owner URL the server resolved.
    folder : pathlib.Path
        Its working folder; the files it writes there are the owner's only (umask 077).

    Returns
    -------
    asyncio.subprocess.Process
        The child: a session of its own, so that a Ctrl+C meant for the server does not end
        it by itself (the server ends it, :func:`stop_child`).
    """
    return await asyncio.create_subprocess_exec(
        *zongzhi_command(*args),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=folder,
        env=child_environment(settings, owner_url),
        start_new_session=True,
        preexec_fn=_in_child,  # uvloop, which uvicorn runs on, takes no ``umask=``
    )


PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process gets when its parent ends."""


def _in_child() -> None:
    """Prepare the child before it runs: owner-only files, and an end with its server.

    Runs between fork and exec. With umask 077 the files the command writes are the owner's
    only. ``PR_SET_PDEATHSIG``: a server killed outright (SIGKILL) takes its child with it
    (SIGTERM), so the import is rolled back, never committed after the next start called its
    job interrupted.
    """
    os.umask(0o077)
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def read_output(process: asyncio.subprocess.Process, tail: OutputTail) -> None:
    """Read a child's output into ``tail`` until it ends, then wait for its exit.

    Parameters
    ----------
    process : asyncio.subprocess.Process
        The child (output piped).
    tail : OutputTail
        Where its output goes.
    """
    assert process.stdout is not None
    while chunk := await process.stdout.read(65536):
        tail.feed(chunk)
    await process.wait()


def stop_child(process: asyncio.subprocess.Process) -> None:
    """Send SIGTERM to a child's process group, and SIGKILL after :data:`STOP_GRACE_SECONDS`.

    Parameters
    ----------
    process : asyncio.subprocess.Process
        A child started by :func:`start_child`.
    """
    _signal_group(process, signal.SIGTERM)
    loop = asyncio.get_running_loop()
    loop.call_later(STOP_GRACE_SECONDS, _signal_group, process, signal.SIGKILL)


def _signal_group(process: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)


@dataclass(frozen=True)
class Template:
    """An import template written by ``zongzhi template``."""

    content: bytes
    output: str
    exit_code: int


async def write_template(
    kind: str, scope_code: str, settings: ApiSettings, owner_url: str
) -> Template:
    """Run ``zongzhi template KIND PATH --within SCOPE`` in a child and return what it wrote.

    Parameters
    ----------
    kind : str
        The import kind.
    scope_code : str
        The account's scope (examples are its units).
    settings : ApiSettings
        The server's settings.
    owner_url : str
        The owner URL the server resolved.

    Returns
    -------
    Template
        The XLSX (empty when the command failed), its output and exit code.
    """
    with tempfile.TemporaryDirectory(prefix="zongzhi-template-") as folder:
        target = Path(folder) / "template.xlsx"
        args = ["template", kind, str(target), f"--within={scope_code}"]
        process = await start_child(args, settings, owner_url, Path(folder))
        tail = OutputTail()
        try:
            await asyncio.wait_for(read_output(process, tail), TEMPLATE_TIMEOUT_SECONDS)
        except TimeoutError:
            stop_child(process)
            await process.wait()
        code = process.returncode if process.returncode is not None else -1
        content = target.read_bytes() if code == 0 and target.exists() else b""
    return Template(content, tail.text(), code)
