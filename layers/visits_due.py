"""When a special-population person is due a follow-up visit (走访逾期), in SQL.

A person on the register is overdue when their last visit is older than the interval of their
``visit_rules`` row. A person never visited counts from the day they were put on record
(``on_record_since``; unknown: overdue at once): a roster imported today, of people followed on
paper for years, is not all overdue at once.
The command KPIs (:mod:`layers.command`) and the trends' follow-up table
(:func:`layers.trend_tables.overdue_visits`) count alike with these fragments, over persons
``p`` joined to their rule ``r``.
"""

from __future__ import annotations

LAST_VISIT = (
    "LEFT JOIN LATERAL (SELECT pv.visited_on AS last FROM person_visits pv"
    " WHERE pv.person_id = p.id ORDER BY pv.visited_on DESC LIMIT 1) lv ON true"
)
"""SQL: ``lv.last``, the day of person ``p``'s last visit (NULL: never visited).

The latest row, read backwards along the ``(person_id, visited_on)`` index. Under row-level
security ``max()`` let the planner AND that index with the area index, whose scope bounds it
cannot estimate, and read every visit of the scope once per person: the city's command feed
took 1.7 s on the demo county's 4,525 persons and 24,043 visits (11 ms this way).
"""


def overdue(today: str) -> str:
    """Return the SQL condition that person ``p`` is overdue on the day bound as ``today``.

    Parameters
    ----------
    today : str
        The name of the bound parameter holding the centre's date (``now``, ``today``).

    Returns
    -------
    str
        A condition over ``p``, ``r`` (its ``visit_rules`` row) and ``lv`` (:data:`LAST_VISIT`).

    Examples
    --------
    >>> overdue("today")  # doctest: +NORMALIZE_WHITESPACE
    "coalesce(lv.last, p.on_record_since, DATE '-infinity') + r.interval_days
     < CAST(:today AS date)"
    """
    since = "coalesce(lv.last, p.on_record_since, DATE '-infinity')"
    return f"{since} + r.interval_days < CAST(:{today} AS date)"
