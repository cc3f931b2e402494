"""The terminal the import commands write to: its console and the progress of an import.

Errors, summaries and the progress line go to standard error (:data:`console`), so that a
command's output can be redirected apart. :class:`StepBar` shows an import's current step, with
a bar when the step counts rows, or one line per step when nobody watches the terminal live.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from importers.progress import ImportProgress, Step, StepLines

console = Console(stderr=True)
"""Where every import command writes what a clerk reads (standard error)."""
IMPORT_PAGE_ENV = "ZONGZHI_IMPORT_PAGE"
"""Set to ``1`` by the server for a command its 数据导入 page runs: a template's notes, a
summary and a reject report say the page's words (:func:`for_import_page`)."""


def for_import_page() -> bool:
    """Return whether the command runs for the console's 数据导入 page (:data:`IMPORT_PAGE_ENV`).

    Here, not in :mod:`importers.template`, so that an import's summary asks it without
    loading openpyxl.

    Returns
    -------
    bool
        The server asked for the page's words.
    """
    return os.environ.get(IMPORT_PAGE_ENV, "") == "1"


STEP_LABELS: dict[Step, str] = {
    "read": "读取并检查文件",
    "stage": "有效行写入暂存表",  # of an 18-row file, 5 valid (trial AG)
    "check": "数据库校验（辖区、网格、点位）",
    "repeats": "识别重复反映",
    "write": "写入正式表",
    "rebuild": "重建索引、校验外键",
}
"""How the progress line names each step of :mod:`importers.progress`."""
DRY_RUN_WRITE = "核算新增、更新（试运行，不写入）"
"""How a dry run's progress line names its ``write`` step: it writes nothing that stays."""


class StepBar:
    """A transient rich progress line: the current step of an import, a bar when it counts rows.

    Use it as a context manager; :meth:`callbacks` gives what :func:`run_import` reports to.
    When the output is not a terminal watched live (``TTY_INTERACTIVE=0``, as the console's
    import job runs the command, or a redirected output), there is no bar: each step is a line
    as it starts (:class:`importers.progress.StepLines`), numbered among ``planned``.

    Parameters
    ----------
    label : str
        What is imported, shown before the step (e.g. the kind).
    planned : sequence of str, optional
        The steps the import plans (:func:`importers.progress.planned_steps`).
    dry_run : bool
        The import is a dry run: its ``write`` step is :data:`DRY_RUN_WRITE` (trial X read
        ``[5/5] 写入正式表…`` in a dry run).
    """

    def __init__(self, label: str, planned: Sequence[Step] = (), *, dry_run: bool = False) -> None:
        self.label = label
        self.labels = {**STEP_LABELS, "write": DRY_RUN_WRITE} if dry_run else STEP_LABELS
        self.lines = None if console.is_interactive else StepLines(self._say, self.labels, planned)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: TaskID | None = None

    @staticmethod
    def _say(line: str) -> None:
        """Print a step's line as it is (no markup, no highlighted numbers)."""
        console.print(line, soft_wrap=True, markup=False, highlight=False)

    def __enter__(self) -> StepBar:
        if self.lines is None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.lines is None:
            self.progress.stop()

    def start(self, description: str, total: int | None) -> None:
        """Show a new step in place of the current one.

        Parameters
        ----------
        description : str
            What is being done.
        total : int or None
            Rows the step counts, ``None`` when it is not counted.
        """
        if self.lines is not None:
            self.lines.start(f"{self.label}：{description}", total)
            return
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task(f"{self.label}：{description}", total=total)

    def step(self, name: Step, total: int | None) -> None:
        """Show an import step by its Chinese name (:data:`STEP_LABELS`)."""
        if self.lines is not None:
            self.lines.step(name, total)
            return
        self.start(self.labels[name], total)

    def rows(self, count: int) -> None:
        """Advance the current step by ``count`` rows."""
        if self.lines is not None:
            self.lines.rows(count)
        elif self.task is not None:
            self.progress.advance(self.task, count)

    def callbacks(self) -> ImportProgress:
        """Return the callbacks an import reports its steps and rows to."""
        return ImportProgress(self.step, self.rows)
