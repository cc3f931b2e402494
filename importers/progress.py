"""What a long import tells its user while it runs: the step it is on, and rows as they go in.

An import of a million rows spends seconds in each step (reading and checking the file, copying
it into staging, the checks in the database, writing the real table, rebuilding indexes), so a
command line shows the step with a bar for the steps that count rows.

Where nobody watches a bar redrawn in place (the output is not a terminal, e.g. the console's
import job runs the command with ``TTY_INTERACTIVE=0`` and shows what it prints), each step is
a line when it starts instead (:class:`StepLines`): ``[2/5] 有效行写入暂存表 50,000 行…``, numbered
among the steps the import plans (:func:`planned_steps`), the total known from the first line
(a step it did not plan, the rebuild of a large load's indexes, is a line under the step it
belongs to, not a sixth of six: trial X saw ``[5/5]`` turn into ``[6/6]``), with a line every
tenth of a step that counts at least :data:`LONG_STEP_ROWS` rows, so a watcher tells a slow
import from a stuck one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Step = Literal["read", "stage", "check", "repeats", "write", "rebuild"]
"""``read``: reading and checking the file; ``stage``: COPY into staging (rows counted);
``check``: the checks that need the database; ``repeats``: finding the new cases that repeat
an earlier report (:mod:`layers.case_repeats`); ``write``: moving rows into the real table;
``rebuild``: recreating the indexes and foreign keys a large load deferred."""


def _ignore_step(step: Step, total: int | None) -> None:
    return None


def _ignore_rows(rows: int) -> None:
    return None


@dataclass(frozen=True)
class ImportProgress:
    """Callbacks of a running import; the defaults ignore everything.

    Attributes
    ----------
    step : callable
        ``step(name, total)`` when a step starts; ``total`` is its row count, or ``None`` when
        the step is not counted in rows.
    rows : callable
        ``rows(n)`` after each batch of ``n`` rows of a counted step.
    """

    step: Callable[[Step, int | None], None] = _ignore_step
    rows: Callable[[int], None] = _ignore_rows


LONG_STEP_ROWS = 10_000
"""A counted step of at least this many rows says each tenth done (:class:`StepLines`)."""


def planned_steps(kind: str) -> tuple[Step, ...]:
    """Return the steps an import of ``kind`` goes through, in order.

    ``rebuild`` is left out: only a large load defers its indexes, which it decides once the
    rows are staged; :class:`StepLines` says it under ``write`` when it comes. A file with
    several parts goes through ``stage`` and ``check`` once per part.

    Parameters
    ----------
    kind : str
        The kind imported (``cases``, ``workers`` …).

    Returns
    -------
    tuple of str
        The steps; cases find repeated reports before they are written.

    Examples
    --------
    >>> planned_steps("workers")
    ('read', 'stage', 'check', 'write')
    >>> len(planned_steps("cases"))
    5
    """
    repeats: tuple[Step, ...] = ("repeats",) if kind == "cases" else ()
    return ("read", "stage", "check", *repeats, "write")


class StepLines:
    """The steps of an import said as lines, for an output nobody watches redrawn in place.

    Parameters
    ----------
    say : callable
        Prints one line.
    labels : dict
        The Chinese name of each step.
    planned : sequence of str
        The steps expected (:func:`planned_steps`): each is numbered among them; a step not
        among them is said under the step before, unnumbered; none planned, none numbered.

    Examples
    --------
    >>> said = []
    >>> lines = StepLines(said.append, {"read": "读取", "stage": "暂存", "rebuild": "重建索引"},
    ...                   ("read", "stage"))
    >>> lines.step("read", None)
    >>> lines.step("stage", 20_000)
    >>> lines.rows(500)
    >>> lines.rows(9_500)
    >>> lines.rows(10_000)
    >>> lines.step("rebuild", None)
    >>> for line in said:
    ...     print(line)
    [1/2] 读取…
    [2/2] 暂存 20,000 行…
      暂存：10,000 / 20,000 行（50%）
      暂存：20,000 / 20,000 行（100%）
      重建索引…
    """

    def __init__(
        self, say: Callable[[str], None], labels: Mapping[Step, str], planned: Sequence[Step]
    ) -> None:
        self.say = say
        self.labels = labels
        self.planned = list(planned)
        self.description = ""
        self.total: int | None = None
        self.done = 0
        self.tenths = 0

    def start(self, description: str, total: int | None, number: str = "") -> None:
        """Say a step as it starts; ``number`` (``[2/5] ``) goes in front.

        Parameters
        ----------
        description : str
            What is being done.
        total : int or None
            Rows the step counts, ``None`` when it is not counted.
        number : str
            Where the step stands among the planned ones, or nothing.
        """
        self.description, self.total, self.done, self.tenths = description, total, 0, 0
        counted = f" {total:,} 行" if total is not None else ""
        self.say(f"{number}{description}{counted}…")

    def step(self, name: Step, total: int | None) -> None:
        """Say an import step, numbered among the planned steps (under the one before if not)."""
        if not self.planned:
            number = ""
        elif name in self.planned:
            number = f"[{self.planned.index(name) + 1}/{len(self.planned)}] "
        else:
            number = "  "
        self.start(self.labels[name], total, number)

    def rows(self, count: int) -> None:
        """Count ``count`` more rows; say the step's progress when it passes a tenth."""
        self.done += count
        total = self.total
        if total is None or total < LONG_STEP_ROWS:
            return
        tenths = min(10, self.done * 10 // total)
        if tenths > self.tenths:
            self.tenths = tenths
            share = self.done * 100 // total
            self.say(f"  {self.description}：{self.done:,} / {total:,} 行（{share}%）")
