"""What a long import tells its user while it runs: the step it is on, and rows as they go in.

An import of a million rows spends seconds in each step (reading and checking the file, copying
it into staging, the checks in the database, writing the real table, rebuilding indexes), so a
command line shows the step with a bar for the steps that count rows.
"""

from __future__ import annotations

from collections.abc import Callable
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
