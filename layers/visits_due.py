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

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import audit
from layers.errors import InvalidInput
from layers.model.persons import PersonCategory as C

DEFAULT_RULES: dict[tuple[str, int], int] = {
    (C.RELEASED, 1): 30, (C.RELEASED, 2): 60, (C.RELEASED, 3): 90,
    (C.CORRECTION, 1): 7, (C.CORRECTION, 2): 15, (C.CORRECTION, 3): 30,
    (C.MENTAL, 1): 7, (C.MENTAL, 2): 30, (C.MENTAL, 3): 90,
    (C.DRUG, 1): 15, (C.DRUG, 2): 30, (C.DRUG, 3): 90,
    (C.AIDS_RISK, 1): 30, (C.AIDS_RISK, 2): 60, (C.AIDS_RISK, 3): 90,
    (C.YOUTH, 1): 15, (C.YOUTH, 2): 30, (C.YOUTH, 3): 60,
}  # fmt: skip
"""Days between visits per (category, management level 1 重点管控 … 3 一般) that migration 0026
writes where a centre has none, and the demo uses; ``zongzhi persons visit-rule`` sets a
centre's own."""

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


DUE_ON = "coalesce(lv.last, p.on_record_since) + r.interval_days"
"""SQL: the day person ``p``'s next visit is due (NULL: never visited and on record since an
unknown day, or no rule ``r``), over :data:`LAST_VISIT`'s ``lv``."""


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


def visit_rules(session: Session) -> dict[tuple[str, int], int]:
    """Return the centre's days between visits per (category, management level).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Any session (``visit_rules`` has no row-level security).

    Returns
    -------
    dict
        ``(category, level)`` → days, in category and level order.
    """
    rows = session.execute(
        text(
            "SELECT category, management_level, interval_days FROM visit_rules"
            " ORDER BY category, management_level"
        )
    ).all()
    return {(str(r.category), int(r.management_level)): int(r.interval_days) for r in rows}


MAX_INTERVAL = 366
"""The longest interval a rule may set (days): a year and a day."""


def set_visit_rule(
    session: Session, category: str, level: int, days: int, *, actor_name: str
) -> int | None:
    """Set the days between visits of a category and management level; audited.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session inside a transaction.
    category : str
        :class:`layers.model.PersonCategory` code.
    level : int
        Management level, 1 重点管控 … 3 一般.
    days : int
        Days between visits, 1 to :data:`MAX_INTERVAL`.
    actor_name : str
        Who sets it (the audit entry's actor).

    Returns
    -------
    int or None
        The interval it replaced (None: there was none).

    Raises
    ------
    InvalidInput
        An unknown category, a level outside 1–3, or days out of range.
    """
    if category not in C.labels():
        said = "、".join(f"{code}（{label}）" for code, label in C.labels().items())
        raise InvalidInput(f"人员类别无效，可选：{said}")
    if level not in (1, 2, 3):
        raise InvalidInput("管控级别应为 1（重点管控）、2（关注）或 3（一般）")
    if not 1 <= days <= MAX_INTERVAL:
        raise InvalidInput(f"走访间隔应为 1 到 {MAX_INTERVAL} 天")
    before = session.scalar(
        text("SELECT interval_days FROM visit_rules WHERE category = :c AND management_level = :l"),
        {"c": category, "l": level},
    )
    session.execute(
        text(
            "INSERT INTO visit_rules (category, management_level, interval_days)"
            " VALUES (:c, :l, :d) ON CONFLICT (category, management_level)"
            " DO UPDATE SET interval_days = EXCLUDED.interval_days"
        ),
        {"c": category, "l": level, "d": days},
    )
    audit.record(
        session,
        actor_id=None,
        actor_name=actor_name,
        action="visit_rule.set",
        object_type="visit_rule",
        object_id=f"{category}/{level}",
        detail={"before": before, "after": days},
    )
    return None if before is None else int(before)
