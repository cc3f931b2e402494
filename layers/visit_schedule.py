"""Whose follow-up visits (走访) are due, person by person, and a visit its worker records.

The command KPIs and the trends count the persons overdue (:mod:`layers.visits_due`); a
township's 综治专干 and its grid workers need the persons themselves: who is overdue, who falls
due this week, when each was last visited. :func:`due_persons` lists them, masked as the map's
persons layer is (the first character of the name, the masked resident ID), the most overdue
first; a grid worker's list keeps to the persons he follows (his grid, or he is named their
responsible). Each person names both: the workers named responsible and the workers of the
person's grid, so a row says why it is on a worker's list (a person registered with no
responsible named is his grid's workers' to visit).

:func:`record_visit` is the visit a worker records on his phone the day he makes it (or a few
days later: up to :data:`BACKDATE_DAYS`; older visits come in through the visits import). The
visitor is the worker the account is linked to, never a name typed in; tapping twice records
one visit. A visit recorded here has no ``import_id``, so no later import corrects it.

A visit says what it found (走访结果, :class:`layers.model.VisitOutcome`): one that did not reach
the person (人户分离, 失联) is kept and said on the person's card, and the person stays due
(trial AW S2); a person whose latest visit found them 失联 is counted and listed apart
(``status="missing"``), for the township to act. A 社区矫正人员 whose correction has ended is
neither due nor overdue, and listed apart (``status="correction_over"``) until struck off
(trial AW S4). A grid worker records visits only of the persons he follows
(:func:`layers.visits_due.follows`; trial AW M4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import CodeError, division_level, prefix_length, scope_range
from layers import visits_due
from layers.cases import in_scope
from layers.catalog import (
    MASKED_NAME_SQL,
    RESPONSIBLES_SQL,
    blurred_point_sql,
    grid_name_sql,
    name_sql,
)
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.model import PersonCategory, VisitOutcome, Worker

DUE_SOON_DAYS = 7
"""A person falls due soon when the next visit is due within this many days."""
BACKDATE_DAYS = 30
"""How many days back a worker may date the visit he records."""
NOTE_MAX = 500
"""Longest note a visit keeps (characters)."""
DEFAULT_OUTCOME = VisitOutcome.MET.value
"""What a visit found unless said (见到本人)."""
STATUSES = ("due", "overdue", "all", "missing", "correction_over", "unplaced")
"""What :func:`due_persons` lists: overdue and due soon, overdue only, everyone followed, those
whose latest visit found them 失联, the 社区矫正人员 whose correction has ended, those with no
residence point or no grid (未落图/未划入网格: on nobody's map, or on no grid's list)."""
POINT_ADVICE = "请在人员名单中补填居住位置（坐标或地址）后重新导入"
"""What to do about a person with no point (trial AV M1: a roster without them put 40 persons on
no map and no worker's list): only a roster (or the form) gives a home."""
GRID_ADVICE = "点“划入网格”指定所在网格（或在人员名单中补填所属网格后重新导入）"
"""What to do about a person with no grid: the card's and the popup's 划入网格 (person_grid.js)."""


def place_notice(has_point: bool, grid_code: str | None) -> str | None:
    """Return what a card says of a person with no residence point or no grid, or None.

    Examples
    --------
    >>> place_notice(True, "530424101001001") is None
    True
    >>> for part in place_notice(False, None).split("："):
    ...     print(part)
    未落图（没有居住位置，地图上不显示）、未划入网格（不在任何网格的走访名单上）
    请在人员名单中补填居住位置（坐标或地址）后重新导入；所属网格可点“划入网格”指定
    >>> place_notice(True, None).split("：")[1]
    '点“划入网格”指定所在网格（或在人员名单中补填所属网格后重新导入）'
    """
    missing = ([] if has_point else ["未落图（没有居住位置，地图上不显示）"]) + (
        [] if grid_code else ["未划入网格（不在任何网格的走访名单上）"]
    )
    if not missing:
        return None
    if has_point:
        advice = GRID_ADVICE
    else:
        advice = POINT_ADVICE + ("" if grid_code else "；所属网格可点“划入网格”指定")
    return f"{'、'.join(missing)}：{advice}"


NOT_FOUND = "未找到该人员，或该人员不在您的辖区"
VILLAGE_LEVEL = 5
"""A village's level: its persons are counted by grid, a larger scope's by its child units."""


@dataclass(frozen=True)
class DuePerson:
    """A person followed up, masked, with their visits' schedule.

    Attributes
    ----------
    id : int
        The person's record.
    category, management_level : str, int
        Codes (labels in the code tables).
    name_masked, id_masked : str
        As the persons layer shows them.
    grid_code, grid_name, area_name : str or None
        Where the person lives.
    responsibles : str or None
        Who is named to follow them up (``张三（帮扶责任人）、…``).
    grid_workers : str or None
        The workers of the person's grid (``刘娟、罗海福``), who follow them as of their grid
        (not those who left); None where the grid has none or the person has no grid.
    last_visit : datetime.date or None
        The last visit that reached the person (None: never reached): the interval runs from
        it.
    last_visit_photos : int
        How many photos the visits of that day have (照片 N 张: the photos themselves are the
        person's personal data, :mod:`layers.visit_photos`).
    due_on : datetime.date or None
        When the next visit is due (None: no rule for the category and level, or never visited
        and not known since when the person is on record).
    overdue_days : int or None
        Days past ``due_on`` (0 or less: not overdue); None where ``due_on`` is None.
    overdue : bool
        Overdue as the command KPIs count it (never visited, on record since an unknown day:
        overdue).
    lon, lat : float or None
        The residence, to show it on the map: blurred, as the persons layer shows it (the
        centre of its cell, :func:`layers.catalog.blurred_point_sql`; trial AW M8).
    latest_visit : datetime.date or None
        The latest visit whatever it found (None: never visited).
    latest_outcome : str or None
        What it found (:class:`layers.model.VisitOutcome` code).
    correction_end : datetime.date or None
        A 社区矫正人员's 矫正结束日期 (None: another category, or not given).
    correction_over : bool
        The correction has ended: neither due nor overdue, to be struck off.
    yours : bool or None
        The reader's worker follows the person, where the reader visits and reads in clear only
        those (a grid worker: :data:`layers.visits_due.FOLLOWED_ONLY_ROLES`); None for a reader
        who may visit anyone of the scope.
    notices : list of str
        What the card says beside the schedule: a newcomer's first visit
        (:func:`layers.visits_due.first_visit_notice`), a latest visit that found nobody
        (:func:`layers.visits_due.visit_notice`), the end of a correction
        (:func:`layers.visits_due.correction_notice`).
    """

    id: int
    category: str
    management_level: int
    name_masked: str
    id_masked: str | None
    grid_code: str | None
    grid_name: str | None
    area_name: str | None
    responsibles: str | None
    grid_workers: str | None
    last_visit: date | None
    last_visit_photos: int
    due_on: date | None
    overdue_days: int | None
    overdue: bool
    lon: float | None
    lat: float | None
    latest_visit: date | None = None
    latest_outcome: str | None = None
    correction_end: date | None = None
    correction_over: bool = False
    yours: bool | None = None
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlaceCount:
    """The persons followed in one place under the scope (a 社区 or 村; a grid in a village).

    Attributes
    ----------
    code : str
        The unit's code (12 digits) or the grid's (15).
    name : str or None
        Its name.
    followed, overdue : int
        Persons on the register there, and of those overdue.
    """

    code: str
    name: str | None
    followed: int
    overdue: int


@dataclass(frozen=True)
class WorkerCount:
    """The persons one worker follows (of his grid, or naming him responsible).

    Attributes
    ----------
    id : int
        The worker's record.
    name : str
        His name.
    role : str
        :class:`layers.model.WorkerRole` code (a 社区民警 follows persons too).
    grid_name : str or None
        His home grid's name (None: he has none, as a 社区民警 or a department's may not).
    area_code : str
        The 村（社区） he works in, to tell same-named workers apart and group them: his grid's,
        or his own unit's (a township's, for a 社区民警 of the 派出所).
    area_name : str or None
        Its name.
    unit : str or None
        His unit as the roster gives it (``华溪镇派出所``).
    followed, overdue : int
        Persons on the register he follows, and of those overdue.
    """

    id: int
    name: str
    role: str
    grid_name: str | None
    area_code: str
    area_name: str | None
    unit: str | None
    followed: int
    overdue: int


@dataclass(frozen=True)
class DueList:
    """One page of :func:`due_persons` and the counts over all the persons it chose from.

    Attributes
    ----------
    persons : list of DuePerson
        The persons listed, the most overdue first.
    matched : int
        Persons the status chose (listed, on other pages, or cut at the limit).
    followed : int
        Persons on the register the list chose from (the worker's, or the scope's; of the
        category and the place asked for).
    overdue : int
        Of those, overdue.
    due_soon : int
        Not overdue and due within :data:`DUE_SOON_DAYS`.
    missing : int
        Of those, whose latest visit found them 失联 (去向不明).
    correction_over : int
        Of those, 社区矫正人员 whose correction has ended (to be struck off).
    unplaced : int
        Of those, with no residence point or no grid (未落图/未划入网格, trial AV M1).
    places : list of PlaceCount
        The places under the scope the persons followed live in (of the category asked for, in
        every place), the most overdue first: what the list may be narrowed to (with the first
        page only; empty with the later ones).
    workers : list of WorkerCount
        The workers who follow the scope's persons (of the category and place asked for), the
        most overdue first: whose list it may be narrowed to (with the first page only). A
        person of a grid and named to another worker counts for both.
    """

    persons: list[DuePerson]
    matched: int
    followed: int
    overdue: int
    due_soon: int
    places: list[PlaceCount]
    workers: list[WorkerCount]
    missing: int = 0
    correction_over: int = 0
    unplaced: int = 0


_DUE = visits_due.DUE_ON
_BLURRED = blurred_point_sql("t.residence")
_LAST_VISIT_PHOTOS = (
    "(SELECT count(*) FROM visit_photos vp JOIN person_visits pv ON pv.id = vp.visit_id"
    " WHERE vp.person_id = t.id AND pv.visited_on = t.last_visit)"
)
"""SQL: how many photos the visits of person ``t``'s last visit day have."""
_CHOSEN = (
    "SELECT p.id, p.category, p.management_level, p.name, p.id_masked, p.grid_code,"
    " p.area_code, p.residence, lv.last AS last_visit,"
    f" {_DUE} AS due_on,"
    f" CAST(:today AS date) - ({_DUE}) AS overdue_days,"
    f" coalesce({visits_due.overdue('today')}, false) AS overdue,"
    " lx.day AS latest_visit, lx.outcome AS latest_outcome,"
    f" {visits_due.CORRECTION_END} AS correction_end,"
    f" {visits_due.correction_over('today')} AS correction_over,"
    f" CASE WHEN lv.last IS NULL THEN {visits_due.first_visit_days_sql('p', 'r')} END"
    " AS first_visit_days,"
    " CASE WHEN CAST(:reader AS bigint) IS NOT NULL"
    f" THEN coalesce({visits_due.followed_by('reader')}, false) END AS yours"
    " FROM persons p"
    " LEFT JOIN visit_rules r ON r.category = p.category"
    "  AND r.management_level = p.management_level"
    f" {visits_due.LAST_VISIT}"
    f" {visits_due.LATEST_VISIT}"
    " WHERE p.area_code >= :lo AND p.area_code < :hi AND p.ended_on IS NULL"
)
"""SQL: the persons on the register in the scope range, with their schedule (``LEFT JOIN``: a
person whose category and level have no rule is listed, never overdue, as the counts do)."""
_SCHEDULED = "due_scheduled"
"""The TEMP table of :data:`_CHOSEN`'s persons (of the category asked for), made by
:func:`due_persons` for its statements and dropped at the end of the transaction."""
_SCHEDULED_ROWS = f"SELECT p.* FROM {_SCHEDULED} p WHERE true"
"""SQL: :data:`_SCHEDULED`'s rows as ``p``, for :data:`_MINE` and :data:`_IN_PLACE` to narrow."""
_MINE = f" AND {visits_due.FOLLOWED_BY}"
"""SQL: only the persons of the worker's grid and those he is named responsible for (a worker
who left keeps those he is named for, not his grid's)."""
_GRID_WORKERS = (
    "(SELECT string_agg(w.name, '、' ORDER BY convert_to(w.name, 'GBK'), w.id)"
    " FROM workers w WHERE w.home_grid = t.grid_code AND w.status <> 'left')"
)
"""SQL: the workers of person ``t``'s grid, who follow them as of their grid (:data:`_MINE`)."""
_OF_CATEGORY = " AND (CAST(:category AS text) IS NULL OR p.category = :category)"
_IN_PLACE = (
    " AND (CAST(:place AS text) IS NULL OR p.grid_code = :place"
    " OR (p.area_code >= :place_lo AND p.area_code < :place_hi))"
)
_SOON = (
    "NOT t.overdue AND NOT t.correction_over"
    f" AND t.due_on <= CAST(:today AS date) + {DUE_SOON_DAYS}"
)
_MISSING = f"t.latest_outcome = '{VisitOutcome.MISSING.value}'"
_UNPLACED = "(t.residence IS NULL OR t.grid_code IS NULL)"
_STATUS_WHERE = {
    "due": f"t.overdue OR ({_SOON})",
    "overdue": "t.overdue",
    "all": "true",
    "missing": _MISSING,
    "correction_over": "t.correction_over",
    "unplaced": _UNPLACED,
}


def due_persons(
    session: Session,
    *,
    scope_code: str,
    today: date,
    status: str = "due",
    worker_id: int | None = None,
    category: str | None = None,
    place: str | None = None,
    offset: int = 0,
    limit: int = 200,
    reader: tuple[str, int | None] | None = None,
    choices: bool = True,
) -> DueList:
    """List the persons on the register whose visits are due, masked, the most overdue first.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader (row-level security keeps to their scope too).
    scope_code : str
        The reader's scope (12-digit code).
    today : datetime.date
        The centre's date.
    status : str
        ``due`` (overdue, or due within :data:`DUE_SOON_DAYS`), ``overdue``, ``all``,
        ``missing`` (the latest visit found them 失联), ``correction_over`` (a 社区矫正 ended)
        or ``unplaced`` (no residence point or no grid: 未落图/未划入网格).
    worker_id : int, optional
        Keep to the persons this worker follows: of his home grid, or naming him responsible
        (a worker's own list, or the one a township checks).
    category : str, optional
        Keep to one person category.
    place : str, optional
        Keep to one unit (12-digit code) or grid (15-digit code) under the scope.
    offset : int
        Persons skipped (the earlier pages).
    limit : int
        Most persons listed.
    reader : tuple of (str, int or None), optional
        The reader's role and worker record: where the role visits only the persons its
        worker follows (a grid worker's account), each person says whether he does
        (``yours``; a worker without a record follows nobody).
    choices : bool
        Count the places and the workers the list may be narrowed to (with the first page).
        ``False`` leaves them empty, for a reader of the counts alone (the 走访 tab's badge):
        counting the workers is most of the list's cost (at a township about 0.16 s of the
        database's 0.22 s).

    Returns
    -------
    DueList
        The persons and the counts.

    Raises
    ------
    InvalidInput
        Unknown status or category, or a place not under the scope.
    NotFound
        No such worker in the scope.
    """
    if status not in STATUSES:
        raise InvalidInput(f"走访名单的范围无效，可选：{'、'.join(STATUSES)}")
    if category is not None and category not in PersonCategory.labels():
        raise InvalidInput(f"人员类别无效，可选：{'、'.join(PersonCategory.labels().values())}")
    if worker_id is not None and session.get(Worker, worker_id) is None:  # row-level security
        raise NotFound(f"网格员（编号 {worker_id}）不存在或不在您的辖区")
    lo, hi = scope_range(scope_code)
    place_lo, place_hi = _place_range(place, scope_code)
    params: dict[str, Any] = {
        "lo": lo,
        "hi": hi,
        "today": today,
        "worker": worker_id,
        "category": category,
        "place": place,
        "place_lo": place_lo,
        "place_hi": place_hi,
        # 0: no worker has it (a grid worker's account without a worker record follows nobody)
        "reader": (reader[1] or 0)
        if reader is not None and reader[0] in visits_due.FOLLOWED_ONLY_ROLES
        else None,
    }
    mine = _MINE if worker_id is not None else ""
    counted = offset == 0 and choices  # the workers counted: every worker's persons
    # each person's schedule once per call (two index probes each), not once in each of the
    # four statements below: they were 0.6 s of a county's 走访 tab (trial BC M3)
    session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{_SCHEDULED}"))
    session.execute(
        text(
            f"CREATE TEMP TABLE {_SCHEDULED} ON COMMIT DROP AS"
            f" {_CHOSEN}{'' if counted else mine}{_OF_CATEGORY}"
        ),
        params,
    )
    everywhere = _SCHEDULED_ROWS + (mine if counted else "")
    chosen = everywhere + _IN_PLACE
    counts = session.execute(
        text(
            f"SELECT count(*) AS followed, count(*) FILTER (WHERE t.overdue) AS overdue,"
            f" count(*) FILTER (WHERE {_SOON}) AS due_soon,"
            f" count(*) FILTER (WHERE {_MISSING}) AS missing,"
            " count(*) FILTER (WHERE t.correction_over) AS correction_over,"
            f" count(*) FILTER (WHERE {_UNPLACED}) AS unplaced,"
            f" count(*) FILTER (WHERE {_STATUS_WHERE[status]}) AS matched"
            f" FROM ({chosen}) t"
        ),
        params,
    ).one()
    rows = session.execute(
        text(
            f"SELECT t.id, t.category, t.management_level, {MASKED_NAME_SQL} AS name_masked,"
            f" t.id_masked, t.grid_code, {grid_name_sql('t.grid_code')} AS grid_name,"
            f" {name_sql('t.area_code')} AS area_name, {RESPONSIBLES_SQL} AS responsibles,"
            f" {_GRID_WORKERS} AS grid_workers,"
            f" t.last_visit, {_LAST_VISIT_PHOTOS} AS last_visit_photos,"
            " t.due_on, t.overdue_days, t.overdue,"
            f" ST_X({_BLURRED}) AS lon, ST_Y({_BLURRED}) AS lat,"
            " t.latest_visit, t.latest_outcome, t.correction_end, t.correction_over, t.yours,"
            f" t.first_visit_days FROM ({chosen}) t WHERE {_STATUS_WHERE[status]}"
            " ORDER BY t.overdue DESC, t.correction_over, t.due_on ASC NULLS FIRST, t.id"
            " LIMIT :limit OFFSET :offset"
        ),
        params | {"limit": limit, "offset": offset},
    ).all()
    return DueList(
        persons=[_due_person(row._asdict(), today) for row in rows],
        matched=counts.matched,
        followed=counts.followed,
        overdue=counts.overdue,
        due_soon=counts.due_soon,
        missing=counts.missing,
        correction_over=counts.correction_over,
        unplaced=counts.unplaced,
        # counted with the first page only: the later ones go on with the same choices
        places=_places(session, everywhere, params, scope_code) if counted else [],
        workers=_workers(session, _SCHEDULED_ROWS + _IN_PLACE, params) if counted else [],
    )


def _due_person(row: dict[str, Any], today: date) -> DuePerson:
    """Return a listed person with what their card says beside the schedule."""
    first_days = row.pop("first_visit_days")
    said = (
        visits_due.first_visit_notice(row["category"], first_days, row["due_on"]),
        visits_due.visit_notice(row["latest_visit"], row["latest_outcome"]),
        visits_due.correction_notice(row["correction_end"], today),
        place_notice(row["lon"] is not None, row["grid_code"]),
    )
    return DuePerson(**row, notices=[notice for notice in said if notice])


def _workers(session: Session, chosen: str, params: dict[str, Any]) -> list[WorkerCount]:
    """Count the persons followed by the worker following them (as :data:`_MINE` says).

    Each worker comes with where he works (his grid, his 村（社区）, his unit): a township has
    hundreds, some of the same name.
    """
    rows = session.execute(
        text(
            "SELECT c.id, c.name, c.role, g.name AS grid_name,"
            " coalesce(g.area_code, c.area_code) AS area_code,"
            " j.name AS area_name, c.unit,"
            " c.followed, c.overdue FROM ("
            "  SELECT w.id, w.name, w.role, w.home_grid, w.area_code, w.unit,"
            "   count(*) AS followed, count(*) FILTER (WHERE t.overdue) AS overdue"
            f"  FROM ({chosen}) t"
            "  JOIN LATERAL (SELECT g.id FROM workers g"
            "   WHERE g.home_grid = t.grid_code AND g.status <> 'left'"
            "   UNION SELECT pr.worker_id FROM person_responsibles pr WHERE pr.person_id = t.id)"
            "   f ON true"
            "  JOIN workers w ON w.id = f.id"
            "  GROUP BY w.id) c"
            " LEFT JOIN grids g ON g.code = c.home_grid"
            " LEFT JOIN jurisdictions j ON j.code = coalesce(g.area_code, c.area_code)"
            " ORDER BY c.overdue DESC, c.followed DESC, convert_to(c.name, 'GBK'), c.id"
        ),
        params,
    ).all()
    return [WorkerCount(**row._asdict()) for row in rows]


def _place_range(place: str | None, scope_code: str) -> tuple[str | None, str | None]:
    """Return the code range of a unit asked for (none for a grid), refusing one off the scope."""
    if place is None:
        return None, None
    refusal = InvalidInput(f"{place[:20]} 不是您辖区内的村（社区）或网格")
    if not re.fullmatch(r"\d{12}|\d{15}", place) or not in_scope(scope_code, place[:12]):
        raise refusal
    if len(place) == 15:
        return None, None
    try:
        return scope_range(place)
    except CodeError:
        raise refusal from None


def _places(
    session: Session, chosen: str, params: dict[str, Any], scope_code: str
) -> list[PlaceCount]:
    """Count the persons followed by the place under the scope they live in."""
    level = division_level(scope_code)
    key = (
        "t.grid_code"
        if level == VILLAGE_LEVEL
        else f"rpad(left(t.area_code, {prefix_length(level + 1)}), 12, '0')"
    )
    rows = session.execute(
        text(
            f"SELECT q.code, coalesce({name_sql('q.code')}, {grid_name_sql('q.code')}) AS name,"
            " q.followed, q.overdue FROM ("
            f"  SELECT {key} AS code, count(*) AS followed,"
            "   count(*) FILTER (WHERE t.overdue) AS overdue"
            f"  FROM ({chosen}) t WHERE {key} IS NOT NULL GROUP BY 1) q"
            " ORDER BY q.overdue DESC, q.followed DESC, q.code"
        ),
        params,
    ).all()
    return [PlaceCount(**row._asdict()) for row in rows]


@dataclass(frozen=True)
class RecordedVisit:
    """A visit :func:`record_visit` wrote, or found already written.

    Attributes
    ----------
    id : int
        The ``person_visits`` row.
    person_id : int
        Whom.
    visited_on : datetime.date
        The day.
    already : bool
        The same worker had recorded this person's visit of that day: nothing was written
        (but what it found, where it says otherwise now).
    due_on : datetime.date or None
        When the next visit is due now (None: no rule for the person's category and level).
    outcome : str
        What the visit found (:class:`layers.model.VisitOutcome` code).
    due_moved : bool
        The visit moved the next due day: it reached the person, and is their last such visit.
    notice : str or None
        What the worker is told when it did not (「未见到本人，仍按原应访日期 … 计」).
    """

    id: int
    person_id: int
    visited_on: date
    already: bool
    due_on: date | None
    outcome: str = DEFAULT_OUTCOME
    due_moved: bool = True
    notice: str | None = None


def record_visit(
    session: Session,
    *,
    person_id: int,
    visitor_id: int,
    visited_on: date,
    today: date,
    note: str | None = None,
    outcome: str = DEFAULT_OUTCOME,
    role: str | None = None,
) -> RecordedVisit:
    """Record that ``visitor_id`` visited ``person_id`` on ``visited_on`` (flushed, not committed).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the worker's account: a person outside the scope is not found.
    person_id : int
        The person visited.
    visitor_id : int
        The worker who visited (the account's own worker record).
    visited_on : datetime.date
        The day of the visit: not after ``today``, at most :data:`BACKDATE_DAYS` before.
    today : datetime.date
        The centre's date.
    note : str, optional
        What the visit found (at most :data:`NOTE_MAX` characters); stored with the visit.
    outcome : str
        Whom it reached (:class:`layers.model.VisitOutcome` code; default 见到本人): only a
        visit that reached the person moves the next due day.
    role : str, optional
        The recording account's role: one of :data:`layers.visits_due.FOLLOWED_ONLY_ROLES` (a
        grid worker) records only the persons its worker follows
        (:func:`layers.visits_due.follows`).

    Returns
    -------
    RecordedVisit
        The visit, and the next due day.

    Raises
    ------
    InvalidInput
        A day in the future or too far back, a note too long, or an unknown outcome.
    NotFound
        No such person in the scope.
    Conflict
        The person left the register.
    Forbidden
        A person the visitor does not follow, where he may record only those he does.
    """
    if visited_on > today:
        raise InvalidInput("走访日期不能晚于今天")
    if visited_on < today - timedelta(days=BACKDATE_DAYS):
        raise InvalidInput(
            f"只能登记近 {BACKDATE_DAYS} 天内的走访；更早的走访请由乡镇（街道）用走访记录导入"
        )
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(f"走访情况最多 {NOTE_MAX} 字")
    if outcome not in VisitOutcome.labels():
        said = "、".join(VisitOutcome.labels().values())
        raise InvalidInput(f"走访结果无效，可选：{said}")
    person = session.execute(
        text(
            "SELECT p.area_code, p.ended_on, p.ended_reason FROM persons p"
            " WHERE p.id = :id FOR UPDATE"
        ),
        {"id": person_id},
    ).one_or_none()
    if person is None:
        raise NotFound(NOT_FOUND)
    if person.ended_on is not None:
        raise Conflict(
            f"该人员已于 {person.ended_on:%Y-%m-%d} 注销（{person.ended_reason or '原因未注明'}），"
            "不再走访"
        )
    if role in visits_due.FOLLOWED_ONLY_ROLES and not visits_due.follows(
        session, visitor_id, person_id
    ):
        raise Forbidden(visits_due.NOT_FOLLOWED)
    params = {"person": person_id, "visitor": visitor_id, "day": visited_on}
    due_before = _due_on(session, person_id)
    found = session.execute(
        text(
            "SELECT id, outcome FROM person_visits"
            " WHERE person_id = :person AND visitor_id = :visitor AND visited_on = :day"
        ),
        params,
    ).first()
    already = found is not None
    if found is None:
        visit_id = session.scalar(
            text(
                "INSERT INTO person_visits"
                " (person_id, area_code, visited_on, visitor_id, note, outcome)"
                " VALUES (:person, :area, :day, :visitor, :note, :outcome) RETURNING id"
            ),
            params | {"area": person.area_code, "note": note, "outcome": outcome},
        )
    else:
        visit_id = found.id
        if found.outcome != outcome:  # the day's visit found otherwise (met him later on)
            session.execute(
                text("UPDATE person_visits SET outcome = :outcome WHERE id = :id"),
                {"outcome": outcome, "id": visit_id},
            )
    due_on = _due_on(session, person_id)
    return RecordedVisit(
        id=int(visit_id),
        person_id=person_id,
        visited_on=visited_on,
        already=already,
        due_on=due_on,
        outcome=outcome,
        due_moved=due_on != due_before,
        notice=unreached_notice(outcome, due_on, today),
    )


def _due_on(session: Session, person_id: int) -> date | None:
    """Return the day person ``person_id``'s next visit is due (None: no rule)."""
    due: date | None = session.scalar(
        text(
            f"SELECT {_DUE} FROM persons p"
            " JOIN visit_rules r ON r.category = p.category"
            "  AND r.management_level = p.management_level"
            f" {visits_due.LAST_VISIT} WHERE p.id = :person"
        ),
        {"person": person_id},
    )
    return due


def unreached_notice(outcome: str, due_on: date | None, today: date) -> str | None:
    """Return what a worker is told of a visit that did not reach the person, if it did not.

    Parameters
    ----------
    outcome : str
        What the visit found (:class:`layers.model.VisitOutcome` code).
    due_on : datetime.date or None
        The next visit's due day, unmoved by this visit.
    today : datetime.date
        The centre's date.

    Returns
    -------
    str or None
        None for a visit that reached the person.

    Examples
    --------
    >>> unreached_notice("absent", date(2026, 10, 21), date(2026, 12, 6))
    '未见到本人（人户分离），仍按原应访日期 2026-10-21 计，已逾期 46 天'
    >>> unreached_notice("missing", date(2026, 12, 20), date(2026, 12, 6))
    '失联（去向不明），仍按原应访日期 2026-12-20 计；已列入乡镇（街道）的失联名单'
    >>> unreached_notice("met", date(2027, 1, 5), date(2026, 12, 6)) is None
    True
    """
    if outcome in visits_due.REACHED:
        return None
    said = VisitOutcome.label_of(outcome)
    kept = f"，仍按原应访日期 {due_on.isoformat()} 计" if due_on is not None else "，不计入按时走访"
    late = (today - due_on).days if due_on is not None else 0
    tail = f"，已逾期 {late} 天" if late > 0 else ""
    if outcome == VisitOutcome.MISSING.value:
        tail += "；已列入乡镇（街道）的失联名单"
    return said + kept + tail
