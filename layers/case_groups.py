"""Which cases the command map shows (案件范围): the state groups open, overdue and recent.

One definition for every reader of the map: the case points of the command view
(:func:`layers.command_map.case_points`) and the vector tiles of the cases layer, points or
hexagon counts (:func:`layers.tiles.tile`), select the same cases for the same group.

* ``open`` (未办结): not yet resolved (:data:`layers.workflow.OPEN_STATES`);
* ``overdue`` (已超期): open and past the deadline at ``now``;
* ``recent`` (近30天全部): reported in the ``days`` days before ``now``, in any state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from layers import workflow

DEFAULT_DAYS = 30
"""Window of ``recent`` when none is given."""
MAX_DAYS = 366
"""Longest window of ``recent``."""
_OPEN = ", ".join(f"'{s}'" for s in sorted(workflow.OPEN_STATES))


class StateGroup(StrEnum):
    """Which cases the map shows."""

    OPEN = "open"
    """Not yet resolved."""
    OVERDUE = "overdue"
    """Not yet resolved and past the deadline."""
    RECENT = "recent"
    """Reported in the last ``days`` days, any state."""


@dataclass(frozen=True)
class CaseGroup:
    """A state group at a reference time: the condition a map read puts on its cases.

    Attributes
    ----------
    group : StateGroup
        Which cases.
    now : datetime
        Reference time of ``overdue`` and ``recent``.
    days : int
        Window of ``recent`` (ignored by the other groups).
    """

    group: StateGroup
    now: datetime
    days: int = DEFAULT_DAYS

    @property
    def key(self) -> tuple[str, int | None]:
        """What tells two reads of the group apart in a cache (``now`` aside).

        Returns
        -------
        tuple
            The group and, for ``recent`` only, its window.

        Examples
        --------
        >>> from datetime import UTC
        >>> now = datetime(2026, 1, 1, tzinfo=UTC)
        >>> CaseGroup(StateGroup.OPEN, now, 7).key, CaseGroup(StateGroup.RECENT, now, 7).key
        (('open', None), ('recent', 7))
        """
        return self.group.value, self.days if self.group is StateGroup.RECENT else None

    def condition(self, alias: str, params: dict[str, Any]) -> str:
        """Return the SQL condition on the cases row ``alias``; add its bind parameters.

        Parameters
        ----------
        alias : str
            Alias of the ``cases`` table in the statement.
        params : dict
            Bind parameters; ``case_now`` or ``case_since`` is added as the group needs.

        Returns
        -------
        str
            The condition.

        Examples
        --------
        >>> from datetime import UTC
        >>> params = {}
        >>> recent = CaseGroup(StateGroup.RECENT, datetime(2026, 3, 31, tzinfo=UTC), days=30)
        >>> recent.condition("c", params), params["case_since"].date().isoformat()
        ('c.reported_at >= :case_since', '2026-03-01')
        >>> CaseGroup(StateGroup.OVERDUE, recent.now).condition("t", params).endswith(
        ...     "AND t.deadline < :case_now"
        ... )
        True
        """
        if self.group is StateGroup.RECENT:
            params["case_since"] = self.now - timedelta(days=self.days)
            return f"{alias}.reported_at >= :case_since"
        if self.group is StateGroup.OVERDUE:
            params["case_now"] = self.now
            return f"{alias}.state IN ({_OPEN}) AND {alias}.deadline < :case_now"
        return f"{alias}.state IN ({_OPEN})"
