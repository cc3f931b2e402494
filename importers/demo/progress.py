"""What ``zongzhi demo`` shows while it loads: a spinner on a terminal, lines in a log.

On a terminal watched live the current step is a rich spinner redrawn in place, with the time
spent. Where nobody watches it redrawn (the output is a log file, systemd's journal, a pipe, or
``TTY_INTERACTIVE=0``), a spinner prints nothing until the end and a long load looks hung, so
each step is a line as it starts, with the time since the command began, and a step that lasts
says so every :data:`HEARTBEAT_SECONDS` (``[0:01:10] 仍在进行：写入：案事件（本步已 45 秒）``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

HEARTBEAT_SECONDS = 15.0
"""How long a step goes on before a line says it still runs (no terminal)."""


class DemoProgress:
    """The demo's current step: a spinner on a terminal, else a line per step and a heartbeat.

    Use it as a context manager; :meth:`update` names the step that starts.

    Parameters
    ----------
    console : rich.console.Console
        Where the demo writes; a line per step when it is not interactive
        (:attr:`rich.console.Console.is_interactive`).
    every : float
        Seconds between the lines that say a step still runs (no terminal).
    clock : callable
        Monotonic seconds (:func:`time.monotonic`).

    Examples
    --------
    >>> import io
    >>> now = [0.0]
    >>> out = io.StringIO()
    >>> with DemoProgress(Console(file=out), every=15, clock=lambda: now[0]) as shown:
    ...     shown.update("写入：网格")
    ...     now[0] = 20.0
    ...     shown.tick()
    ...     now[0] = 30.0
    ...     shown.tick()
    >>> print(out.getvalue(), end="")
    [0:00:00] 写入：网格…
    [0:00:20] 仍在进行：写入：网格（本步已 20 秒）
    """

    def __init__(
        self,
        console: Console,
        *,
        every: float = HEARTBEAT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.every = every
        self.clock = clock
        self.lines = not console.is_interactive
        self.started = clock()
        self.step = ""
        self.step_at = self.started
        self.said_at = self.started
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.beat: threading.Thread | None = None
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> DemoProgress:
        if self.lines:
            self.beat = threading.Thread(target=self._beat, name="demo-progress", daemon=True)
            self.beat.start()
        else:
            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=None)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _beat(self) -> None:
        while not self.done.wait(self.every / 3):
            self.tick()

    def update(self, description: str) -> None:
        """Show the step that starts (a line when there is no terminal).

        Parameters
        ----------
        description : str
            What is being done, in Chinese.
        """
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=description)
            return
        with self.lock:
            now = self.clock()
            self.step, self.step_at, self.said_at = description, now, now
            self._say(f"[{self._elapsed(now)}] {description}…")

    def tick(self) -> None:
        """Say that the current step still runs, when nothing was said for :attr:`every` s."""
        with self.lock:
            now = self.clock()
            if not self.lines or not self.step or now - self.said_at < self.every:
                return
            self.said_at = now
            spent = round(now - self.step_at)
            self._say(f"[{self._elapsed(now)}] 仍在进行：{self.step}（本步已 {spent} 秒）")

    def stop(self) -> None:
        """Stop the spinner or the heartbeat (the spinner's line is left as it was)."""
        self.done.set()
        if self.beat is not None:
            self.beat.join()
            self.beat = None
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _elapsed(self, now: float) -> str:
        return str(timedelta(seconds=round(now - self.started)))

    def _say(self, line: str) -> None:
        self.console.print(line, soft_wrap=True, markup=False, highlight=False)
