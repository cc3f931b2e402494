"""When a special-population person is due a follow-up visit (走访逾期), in SQL.

A person on the register is overdue when their last visit is older than the interval of their
``visit_rules`` row. A person never visited counts from the day they were put on record
(``on_record_since``; unknown: overdue at once): a roster imported today, of people followed on
paper for years, is not all overdue at once. A newcomer (a 刑满释放人员 released, a 社区矫正人员
whose correction began, at most one interval before) is first due within days of coming
(:data:`FIRST_VISITS`), not a whole interval later.
The command KPIs (:mod:`layers.command`) and the trends' follow-up table
(:func:`layers.trend_tables.overdue_visits`) count alike with these fragments, over persons
``p`` joined to their rule ``r``.

Only a visit that reached the person (:data:`REACHED`: 见到本人, 电话/视频联系) restarts the
interval; a visit that found nobody (人户分离, 失联) is kept and said, and the person stays due
(trial AW S2). A 社区矫正人员 whose 矫正期 has ended (:func:`correction_notice`) is no longer
overdue: they wait to be struck off (解除矫正), flagged, not visited (trial AW S4).

A grid worker visits, and reads in clear, the persons he follows only: of his home grid, or
naming him responsible (:data:`FOLLOWED_BY`, :func:`follows`; trial AW M4).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import audit
from layers.errors import InvalidInput
from layers.model.accounts import Role
from layers.model.persons import PersonCategory as C
from layers.model.persons import VisitOutcome
from layers.person_attributes import END_DATES

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

REACHED: tuple[str, ...] = (VisitOutcome.MET.value, VisitOutcome.CONTACTED.value)
"""The :class:`layers.model.VisitOutcome` codes of a visit that reached the person (见到本人,
电话/视频联系): only these restart the interval."""
_REACHED_SQL = ", ".join(f"'{code}'" for code in REACHED)

LAST_VISIT = (
    "LEFT JOIN LATERAL (SELECT pv.visited_on AS last FROM person_visits pv"
    f" WHERE pv.person_id = p.id AND pv.outcome IN ({_REACHED_SQL})"
    " ORDER BY pv.visited_on DESC LIMIT 1) lv ON true"
)
"""SQL: ``lv.last``, the day of person ``p``'s last visit that reached them (:data:`REACHED`;
NULL: never reached).

The latest row, read backwards along the ``(person_id, visited_on)`` index. Under row-level
security ``max()`` let the planner AND that index with the area index, whose scope bounds it
cannot estimate, and read every visit of the scope once per person: the city's command feed
took 1.7 s on the demo county's register and visits (11 ms this way).
"""


def _date_attribute(alias: str, field: str) -> str:
    """Return the SQL of a date field of person ``alias``'s attributes (NULL: not a date)."""
    return (
        f"(CASE WHEN {alias}.attributes->>'{field}' ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'"
        f" THEN CAST({alias}.attributes->>'{field}' AS date) END)"
    )


FIRST_VISITS: dict[str, tuple[str, str, int]] = {
    C.RELEASED.value: ("release_date", "新释放人员", 7),
    C.CORRECTION.value: ("start_date", "新入矫人员", 7),
}
"""Category → (its field of the day its follow-up begins, what a newcomer is called, days): a
person of the category never visited, whose follow-up began at most one interval before they
were put on record, is first due this many days after the later of the two (or their interval,
when shorter). A 刑满释放人员 is visited at home within 7 days of coming back (安置帮教衔接: the
司法所 registers the release notice and the 帮教小组 calls within the week), a 社区矫正人员 reports
within 10 days of the judgment and to the 司法所 within 3 more, where the 矫正小组 meets them: a
first visit a cycle after registration (30 to 90 days for a 刑满释放人员) left a person released
a fortnight ago off the worker's 走访 list (s48). A person whose follow-up began long before
(a roster of people followed on paper for years) is due one interval after being put on record,
and a category with no such day (严重精神障碍、吸毒 …) likewise."""


def _newcomer(person: str, rule: str, category: str, field: str) -> str:
    """Return the SQL condition that ``person`` is a newcomer of ``category`` (FIRST_VISITS)."""
    return (
        f"{person}.category = '{category}' AND {_date_attribute(person, field)}"
        f" + {rule}.interval_days >= {person}.on_record_since"
    )


def first_visit_days_sql(person: str, rule: str) -> str:
    """Return the SQL of a never-visited person's first-visit window (:data:`FIRST_VISITS`).

    Parameters
    ----------
    person : str
        The alias of the ``persons`` row.
    rule : str
        The alias of its ``visit_rules`` row.

    Returns
    -------
    str
        An integer expression: the days of the window, NULL where the person is no newcomer
        (another category, the day their follow-up began not given, or more than one interval
        before they were put on record; on record since an unknown day).

    Examples
    --------
    >>> first_visit_days_sql("p", "r").startswith("(CASE WHEN p.category = 'released' AND")
    True
    """
    whens = " ".join(
        f"WHEN {_newcomer(person, rule, category, field)} THEN least({rule}.interval_days, {days})"
        for category, (field, _, days) in FIRST_VISITS.items()
    )
    return f"(CASE {whens} END)"


def first_due_sql(person: str, rule: str) -> str:
    """Return the SQL of the day a person never reached is first due.

    One interval after they were put on record; a newcomer of :data:`FIRST_VISITS`, its days
    (or the interval, when shorter) after the later of that day and the day their follow-up
    began (a release registered before the day: after the release).

    Parameters
    ----------
    person : str
        The alias of the ``persons`` row.
    rule : str
        The alias of its ``visit_rules`` row.

    Returns
    -------
    str
        A ``date`` expression: NULL where the person is on record since an unknown day, or has
        no rule.

    Examples
    --------
    >>> first_due_sql("p", "r").endswith("ELSE p.on_record_since + r.interval_days END)")
    True
    """
    whens = " ".join(
        f"WHEN {_newcomer(person, rule, category, field)}"
        f" THEN greatest({person}.on_record_since, {_date_attribute(person, field)})"
        f" + least({rule}.interval_days, {days})"
        for category, (field, _, days) in FIRST_VISITS.items()
    )
    return f"(CASE {whens} ELSE {person}.on_record_since + {rule}.interval_days END)"


FIRST_DUE = first_due_sql("p", "r")
"""SQL: the day person ``p``, never reached, is first due (:func:`first_due_sql`)."""
DUE_ON = f"coalesce(lv.last + r.interval_days, {FIRST_DUE})"
"""SQL: the day person ``p``'s next visit is due (NULL: never visited and on record since an
unknown day, or no rule ``r``), over :data:`LAST_VISIT`'s ``lv``: one interval after the last
visit that reached them, or their first due day (:func:`first_due_sql`)."""


def first_visit_notice(category: str, days: int | None, due_on: date | None) -> str | None:
    """Return what a newcomer's card says of their first visit (:data:`FIRST_VISITS`).

    Parameters
    ----------
    category : str
        :class:`layers.model.PersonCategory` code.
    days : int or None
        Their first-visit window (:func:`first_visit_days_sql`; None: not a newcomer, or
        visited already).
    due_on : datetime.date or None
        Their first due day.

    Returns
    -------
    str or None
        The notice, or None.

    Examples
    --------
    >>> first_visit_notice("released", 7, date(2026, 12, 14))
    '新释放人员，首次走访应在 7 日内（12-14 前）'
    >>> first_visit_notice("released", None, date(2026, 12, 14)) is None
    True
    """
    if days is None or due_on is None or category not in FIRST_VISITS:
        return None
    who = FIRST_VISITS[category][1]
    return f"{who}，首次走访应在 {days} 日内（{due_on:%m-%d} 前）"


LATEST_VISIT = (
    "LEFT JOIN LATERAL (SELECT pv.visited_on AS day, pv.outcome FROM person_visits pv"
    " WHERE pv.person_id = p.id ORDER BY pv.visited_on DESC, pv.id DESC LIMIT 1) lx ON true"
)
"""SQL: ``lx.day`` and ``lx.outcome``, person ``p``'s latest visit whatever it found (NULL: never
visited): a latest visit that found nobody is said on the person's card, a 失联 flagged."""

_END_FIELD = END_DATES[C.CORRECTION.value]


def correction_end_sql(alias: str) -> str:
    """Return the SQL of the day person ``alias``'s 社区矫正 ends (矫正结束日期).

    Parameters
    ----------
    alias : str
        The alias of the ``persons`` row in the query.

    Returns
    -------
    str
        A ``date`` expression: NULL for another category, or an end not given.

    Examples
    --------
    >>> correction_end_sql("t").startswith("(CASE WHEN t.category = 'correction'")
    True
    """
    return (
        f"(CASE WHEN {alias}.category = '{C.CORRECTION.value}'"
        f" AND {alias}.attributes->>'{_END_FIELD}' ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'"
        f" THEN CAST({alias}.attributes->>'{_END_FIELD}' AS date) END)"
    )


CORRECTION_END = correction_end_sql("p")
"""SQL: the day person ``p``'s 社区矫正 ends (:func:`correction_end_sql`)."""
CORRECTION_NOTICE_DAYS = 7
"""A 社区矫正人员's card says 「矫正期满还有 N 天」 this many days before the end."""


def correction_over(today: str) -> str:
    """Return the SQL condition that person ``p``'s 社区矫正 ended before the day ``today``.

    The day after the 矫正结束日期, as :func:`correction_notice` says it (the end day itself is
    the last day of the correction). Never NULL.

    Parameters
    ----------
    today : str
        The name of the bound parameter holding the centre's date.

    Returns
    -------
    str
        A condition over ``p``.

    Examples
    --------
    >>> correction_over("today").endswith("< CAST(:today AS date), false)")
    True
    """
    return f"coalesce({CORRECTION_END} < CAST(:{today} AS date), false)"


def correction_notice(end: date | None, today: date) -> str | None:
    """Return what a 社区矫正人员's card says of the end of the correction, if anything.

    Within :data:`CORRECTION_NOTICE_DAYS` before the end, the days left; after it, that the
    record is to be struck off (解除矫正): the person is then no longer overdue nor due
    (:func:`correction_over`, the same rule in SQL).

    Parameters
    ----------
    end : datetime.date or None
        The 矫正结束日期 (None: not given, or not a 社区矫正人员).
    today : datetime.date
        The centre's date.

    Returns
    -------
    str or None
        The notice, or None (no end given, or more than a week away).

    Examples
    --------
    >>> correction_notice(date(2026, 12, 12), date(2026, 12, 6))
    '矫正期满还有 6 天（2026-12-12）'
    >>> correction_notice(date(2026, 12, 6), date(2026, 12, 6))
    '矫正期今日届满（2026-12-06）'
    >>> correction_notice(date(2026, 11, 30), date(2026, 12, 6))
    '矫正期已满（2026-11-30），请办理解除矫正'
    >>> correction_notice(date(2026, 12, 14), date(2026, 12, 6)) is None
    True
    >>> correction_notice(None, date(2026, 12, 6)) is None
    True
    """
    if end is None:
        return None
    left = (end - today).days
    if left < 0:
        return f"矫正期已满（{end.isoformat()}），请办理解除矫正"
    if left == 0:
        return f"矫正期今日届满（{end.isoformat()}）"
    if left <= CORRECTION_NOTICE_DAYS:
        return f"矫正期满还有 {left} 天（{end.isoformat()}）"
    return None


def visit_notice(day: date | None, outcome: str | None) -> str | None:
    """Return what a person's card says of their latest visit when it found nobody.

    Parameters
    ----------
    day : datetime.date or None
        The latest visit's day (:data:`LATEST_VISIT`).
    outcome : str or None
        What it found (:class:`layers.model.VisitOutcome` code).

    Returns
    -------
    str or None
        The notice; None when the visit reached the person (or there is none).

    Examples
    --------
    >>> visit_notice(date(2026, 12, 6), "absent")
    '最近一次走访（12-06）未见到本人：人户分离'
    >>> visit_notice(date(2026, 12, 6), "missing")
    '最近一次走访（12-06）失联：去向不明'
    >>> visit_notice(date(2026, 12, 6), "met") is None
    True
    """
    if day is None or outcome is None or outcome in REACHED:
        return None
    what = VisitOutcome.label_of(outcome).replace("（", "：").rstrip("）")
    return f"最近一次走访（{day:%m-%d}）{what}"


def followed_by(worker: str) -> str:
    """Return the SQL condition that person ``p`` is followed by the worker bound as ``worker``.

    Of his home grid, or naming him responsible (a worker who left keeps those he is named for,
    not his grid's).

    Parameters
    ----------
    worker : str
        The name of the bound parameter holding the worker's id.

    Returns
    -------
    str
        A condition over ``p``.

    Examples
    --------
    >>> followed_by("reader").count(":reader")
    2
    """
    return (
        "(p.grid_code = (SELECT w.home_grid FROM workers w"
        f"  WHERE w.id = :{worker} AND w.status <> 'left')"
        " OR EXISTS (SELECT 1 FROM person_responsibles pr"
        f"  WHERE pr.person_id = p.id AND pr.worker_id = :{worker}))"
    )


FOLLOWED_BY = followed_by("worker")
"""SQL: person ``p`` is followed by the worker bound as ``worker`` (:func:`followed_by`)."""
NOT_FOLLOWED = (
    "该人员不在您负责的网格，也未将您列为帮扶责任人：走访请由其责任人登记，"
    "如需代访请联系乡镇（街道）综治中心"
)
"""The refusal of a grid worker's visit to a person he does not follow (trial AW M4)."""
NOT_FOLLOWED_UNMASK = (
    "该人员不在您负责的网格，也未将您列为帮扶责任人，不能查看其身份信息；"
    "如需查看请联系乡镇（街道）综治中心"
)
"""The refusal of a grid worker's unmasked read of a person he does not follow."""
FOLLOWED_ONLY_ROLES = frozenset({Role.GRID_WORKER.value})
"""The account roles that visit, and read in clear, only the persons their worker follows (a
township's or village's operator visits and reads anyone of the scope)."""


def follows(session: Session, worker_id: int | None, person_id: int) -> bool:
    """Return whether the worker follows the person (:data:`FOLLOWED_BY`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    worker_id : int or None
        The worker record of the account (None: follows nobody).
    person_id : int
        The person.

    Returns
    -------
    bool
        Whether the person is of his home grid or names him responsible.
    """
    if worker_id is None:
        return False
    found = session.scalar(
        text(f"SELECT true FROM persons p WHERE p.id = :person AND {FOLLOWED_BY}"),
        {"person": person_id, "worker": worker_id},
    )
    return bool(found)


def overdue(today: str) -> str:
    """Return the SQL condition that person ``p`` is overdue on the day bound as ``today``.

    Parameters
    ----------
    today : str
        The name of the bound parameter holding the centre's date (``now``, ``today``).

    Returns
    -------
    str
        A condition over ``p``, ``r`` (its ``visit_rules`` row) and ``lv`` (:data:`LAST_VISIT`):
        its due day (:data:`DUE_ON`; never reached and on record since an unknown day: at
        once) passed, and not a 社区矫正人员 whose correction has ended
        (:func:`correction_over`). NULL where ``r`` is (no rule).

    Examples
    --------
    >>> overdue("today").startswith("(coalesce(lv.last + r.interval_days, (CASE WHEN")
    True
    >>> due = overdue("today").split(" AND NOT ")[0]
    >>> due.endswith("DATE '-infinity' + r.interval_days) < CAST(:today AS date)")
    True
    """
    due = f"coalesce(lv.last + r.interval_days, {FIRST_DUE}, DATE '-infinity' + r.interval_days)"
    return f"({due} < CAST(:{today} AS date) AND NOT {correction_over(today)})"


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
