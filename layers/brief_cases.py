"""The cases a brief lists (日汇总、周研判、月总结): what came in, what is overdue, 督办, 上报.

With the figures of :mod:`layers.work_brief` a duty commander files the cases behind them.
:func:`collect` reads four lists of a unit's area (its code range, ``area_code`` in
``[lo, hi)``, after checking that the unit lies in the actor's scope, as
:mod:`layers.case_lists` does; row-level security enforces the scope again):

* ``reported`` (新登记案件): the cases reported in the window, at any level and in any state,
  the oldest first — the cases 近期受理 counts;
* ``overdue`` (超期案件): the open cases past their deadline as at generation, the longest
  overdue first — the map's 已超期 (:class:`layers.case_groups.CaseGroup`), the cases the
  超期案件 card counts and ``GET /api/cases?stage=overdue`` lists;
* ``supervised`` (督办案件): the cases a superior supervised (督办, the ``supervise`` event,
  which sets ``cases.supervision_deadline``) in the window, and the open cases under a 督办 at
  generation (supervised before the window, not settled yet, or, in the brief of a past
  window, after its end: :attr:`Supervised.after`, never said to be 此前, trial AU M5); the
  earliest 督办时限 first; each with its latest 督办 up to the window's end (or, supervised
  only after it, its latest one);
* ``escalations`` (上报案件): each 上报 (``escalate`` event) made in the window from the area,
  the oldest first — what 上报次数 counts, through the same partial index;
* ``open_now`` (交班在办案件): the area's open cases at generation, one row a matter (an open
  repeat of an open original of the area is told in the original's row), the highest risk
  first, for the shift taking over (trial AZ M8).

Who holds each case of 新登记案件 and 交班在办案件, since when, which departments it summoned or
was dispatched to and whether they answered, and its repeats are ``holdings``
(:mod:`layers.brief_holders`).

:func:`first_reported` says when the cases of the unit and of each child begin: a brief's
comparison with a window before them (环比, 同比) has no figures to show. :func:`resolved_shares`
gives a compared window's 办结率 as it stood at a given time (the same time after that window's
end as the brief's own 办结率 is after the brief's window's end), read back from the case events:
measured at generation, an older window would have had longer to close, and every comparison
would read as a drop.

Each list holds at most ``limit`` rows (:data:`LIST_LIMIT`) and says how many there were. A
row carries a case's code, title, code-table values, times and unit; never its reporter's or
party's name or phone (masked data), nor its description. An analyst, who sees aggregates only,
gets no list (:class:`~layers.errors.Forbidden`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, aliased

from geo.codes import CodeError, parse_grid_code
from layers import address_townships, case_import, cases, workflow
from layers.brief_holders import Holding, holdings
from layers.case_groups import CaseGroup, StateGroup
from layers.command import RETIRED_MARK
from layers.errors import Forbidden, no_jurisdiction
from layers.model import Case, CaseEvent, Jurisdiction, Role
from layers.workflow import Actor

LIST_LIMIT = 2000
"""Most rows of each list; the brief says so when a list is longer."""
NO_ANALYST = "研判分析员只能查看统计汇总，简报不含案件清单"
"""Why an analyst's brief has no list of cases."""
NO_ANALYST_HANDOVER = "研判分析员只能查看统计汇总，不能查看交班视图的案件清单"
"""Why an analyst is refused the 交班视图 (:func:`handover`), a list of cases and their holders."""

T = TypeVar("T")


@dataclass(frozen=True)
class ListedCase:
    """One case as a brief lists it: no reporter, no party, no description.

    Attributes
    ----------
    code : str
        一案一码.
    title : str
        The title.
    category : str
        :class:`~layers.model.Category` code.
    risk_level : int
        1 (red) … 4 (blue).
    channel : str
        :class:`~layers.model.Channel` code (来源渠道).
    reported_at : datetime
        When it was reported (登记时间).
    handling_level : int
        The level that handles it now (办理层级).
    state : str
        :class:`~layers.model.CaseState` code now.
    area_code : str
        The unit it lies in.
    area_name : str
        Where it lies as seen from the brief's unit (所在单位): the names of the units from the
        one below the brief's unit down to the case's own (``甲一街道测试村2`` in a county's
        brief, ``测试村2`` in the township's), :data:`layers.command.RETIRED_MARK` after a
        retired one's; the code when the case's unit is not on record.
    deadline : datetime or None
        Its deadline (办理时限).
    supervision_deadline : datetime or None
        The deadline of its latest 督办 (督办时限).
    case_id : int or None
        Its id (who holds it: :attr:`BriefCases.holdings`).
    """

    code: str
    title: str
    category: str
    risk_level: int
    channel: str
    reported_at: datetime
    handling_level: int
    state: str
    area_code: str
    area_name: str
    deadline: datetime | None
    supervision_deadline: datetime | None
    case_id: int | None = None


@dataclass(frozen=True)
class Supervised:
    """A case under 督办 and its latest 督办.

    Attributes
    ----------
    case : ListedCase
        The case.
    at : datetime or None
        When it was last supervised up to the window's end; supervised only after it, when it
        was last supervised (None: a 督办时限 set with no event, e.g. by an import).
    by : str or None
        Who supervised it then.
    note : str or None
        What they wrote (督办意见).
    in_window : bool
        It was supervised in the window (otherwise before it or after it, and it is still
        open).
    after : bool
        It was not supervised in the window nor before it, only after the window's end (a past
        window's brief made later): 「统计时段后督办」, not 「此前督办」 (trial AU M5).
    """

    case: ListedCase
    at: datetime | None
    by: str | None
    note: str | None
    in_window: bool
    after: bool = False


@dataclass(frozen=True)
class Escalation:
    """One 上报 of a case.

    Attributes
    ----------
    case : ListedCase
        The case (as it is now).
    at : datetime
        When it was escalated.
    by : str
        Who escalated it.
    from_level, to_level : int or None
        The handling level before and after (None when the event does not say: imported or
        generated history).
    reason : str or None
        The note given with it (上报原因).
    """

    case: ListedCase
    at: datetime
    by: str
    from_level: int | None
    to_level: int | None
    reason: str | None


@dataclass(frozen=True)
class CaseList(Generic[T]):
    """A list of at most ``limit`` rows and how many rows there were.

    Attributes
    ----------
    rows : list
        The rows, in the list's order.
    total : int
        How many rows the list has in all.
    """

    rows: list[T]
    total: int

    @property
    def capped(self) -> bool:
        """Whether rows were left out.

        Returns
        -------
        bool
            ``total`` exceeds the rows listed.

        Examples
        --------
        >>> CaseList(["a"], 1).capped, CaseList(["a"], 3).capped
        (False, True)
        """
        return self.total > len(self.rows)


@dataclass(frozen=True)
class BriefCases:
    """The four lists of a brief (see the module's description).

    Attributes
    ----------
    reported : CaseList of ListedCase
        新登记案件.
    overdue : CaseList of ListedCase
        超期案件.
    supervised : CaseList of Supervised
        督办案件.
    escalations : CaseList of Escalation
        上报案件.
    limit : int
        The most rows of each list.
    open_now : CaseList of ListedCase
        在办案件（交班）: the area's open cases at generation, one row a matter (an open repeat
        of an open original of the area is told in the original's row, not listed), the
        highest risk first; ``total`` counts the matters.
    holdings : mapping of int to Holding
        Who holds each case of 新登记案件, 超期案件, 督办案件 and 在办案件 now, its departments'
        answers and its repeats, by case id (:func:`layers.brief_holders.holdings`).
    open_cases : int
        The area's open cases at generation, repeats included.
    mismatches : mapping of int to Mismatch
        The listed cases whose address names another township than their point's, by case id
        (:func:`layers.address_townships.for_cases`: the 调度台's 地址与位置不符, trial BA m7).
    """

    reported: CaseList[ListedCase]
    overdue: CaseList[ListedCase]
    supervised: CaseList[Supervised]
    escalations: CaseList[Escalation]
    limit: int
    open_now: CaseList[ListedCase] = field(default_factory=lambda: CaseList([], 0))
    holdings: Mapping[int, Holding] = field(default_factory=dict)
    open_cases: int = 0
    mismatches: Mapping[int, address_townships.Mismatch] = field(default_factory=dict)


def _place(level: int) -> ColumnElement[str | None]:
    """Return the names of the units holding a case below the level ``level``, top first."""
    unit = aliased(Jurisdiction, name="place")
    name = unit.name + case((unit.retired_on.is_not(None), RETIRED_MARK), else_="")
    holding = [func.rpad(func.left(Case.area_code, n), 12, "0") for n in (4, 6, 9)]
    return (
        select(func.string_agg(name, aggregate_order_by(literal_column("''"), unit.level)))
        .where(unit.code.in_([*holding, Case.area_code]), unit.level > level)
        .scalar_subquery()
        .label("area_path")
    )


_CASE_COLUMNS = (
    Case.id.label("case_id"),
    Case.code,
    Case.title,
    Case.category,
    Case.risk_level,
    Case.channel,
    Case.reported_at,
    Case.handling_level,
    Case.state,
    Case.area_code,
    Jurisdiction.name.label("area_name"),
    Jurisdiction.retired_on.label("area_retired_on"),
    Case.deadline,
    Case.supervision_deadline,
)
"""What a list reads of a case (never ``reporter_*``, nor the description)."""


def _listed(row: Row[Any]) -> ListedCase:
    if row.area_path:
        area = row.area_path
    elif row.area_name is None:
        area = row.area_code
    else:
        area = row.area_name + (RETIRED_MARK if row.area_retired_on else "")
    return ListedCase(
        code=row.code,
        title=row.title,
        category=row.category,
        risk_level=row.risk_level,
        channel=row.channel,
        reported_at=row.reported_at,
        handling_level=row.handling_level,
        state=row.state,
        area_code=row.area_code,
        area_name=area,
        deadline=row.deadline,
        supervision_deadline=row.supervision_deadline,
        case_id=row.case_id,
    )


def _limited(
    session: Session, query: Select[*tuple[Any, ...]], counted: Select[int], limit: int
) -> tuple[list[Row[Any]], int]:
    """Return the first ``limit`` rows of ``query``, and ``counted`` (its rows) if there are more.

    ``counted`` counts the same rows without reading them (no join, no per-row sub-query).
    """
    rows = list(session.execute(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, len(rows)
    return rows[:limit], int(session.scalar(counted) or 0)


def collect(
    session: Session,
    code: str,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    now: datetime,
    limit: int = LIST_LIMIT,
) -> BriefCases:
    """Return the lists of cases of the unit ``code``'s area for a brief over ``[start, end)``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Whose scope applies.
    start, end : datetime
        The brief's window (aware): the reported cases, the 督办 and the 上报 in it are listed.
    now : datetime
        When the brief is made: overdue cases and open cases under 督办 as at then.
    limit : int
        The most rows of each list (at least 1).

    Returns
    -------
    BriefCases
        新登记案件 and 上报案件 the oldest first, 超期案件 the longest overdue first, 督办案件
        the earliest 督办时限 first.

    Raises
    ------
    Forbidden
        The actor is an analyst (aggregates only).
    NotFound
        ``code`` is not a division code inside the actor's scope.
    """
    if actor.role == Role.ANALYST:
        raise Forbidden(NO_ANALYST)
    lo, hi, level = cases.unit_range(code, actor)
    limit = max(1, limit)
    unit = Jurisdiction.code == Case.area_code
    area = and_(Case.area_code >= lo, Case.area_code < hi)
    columns = (*_CASE_COLUMNS, _place(level))
    listing = select(*columns).select_from(Case).outerjoin(Jurisdiction, unit)

    def count(table: Any, where: list[Any]) -> Select[int]:
        return select(func.count()).select_from(table).where(*where)

    window = [area, Case.reported_at >= start, Case.reported_at < end]
    reported, n_reported = _limited(
        session,
        listing.where(*window).order_by(Case.reported_at, Case.id),
        count(Case, window),
        limit,
    )

    params: dict[str, Any] = {}  # the map's 已超期, as stage=overdue lists it
    overdue_sql = CaseGroup(StateGroup.OVERDUE, now).condition(Case.__tablename__, params)
    past_due: list[Any] = [area, text(overdue_sql).bindparams(**params)]
    overdue, n_overdue = _limited(
        session,
        listing.where(*past_due).order_by(Case.deadline, Case.id),
        count(Case, past_due),
        limit,
    )

    supervise = and_(CaseEvent.case_id == Case.id, CaseEvent.action == "supervise")
    # the latest 督办 up to the window's end; one made only after it (a past window's brief
    # made later), the latest of those
    later = case((CaseEvent.at >= end, 1), else_=0)
    latest = (
        select(CaseEvent.at, CaseEvent.actor_name, CaseEvent.note)
        .where(supervise)
        .order_by(later, CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(1)
        .lateral("latest")
    )
    in_window = exists().where(supervise, CaseEvent.at >= start, CaseEvent.at < end)
    still_open = and_(Case.state.in_(workflow.OPEN_STATES), Case.supervision_deadline.is_not(None))
    under = [area, or_(in_window, still_open)]
    supervised, n_supervised = _limited(
        session,
        select(
            *columns,
            latest.c.at.label("supervised_at"),
            latest.c.actor_name.label("supervised_by"),
            latest.c.note.label("supervision_note"),
            in_window.label("in_window"),
            (latest.c.at >= end).label("after"),
        )
        .select_from(Case)
        .outerjoin(Jurisdiction, unit)
        .outerjoin(latest, true())
        .where(*under)
        .order_by(Case.supervision_deadline.nulls_last(), Case.id),
        count(Case, under),
        limit,
    )

    # each escalate event of the area in the window, through its partial index (上报次数)
    made = [
        CaseEvent.area_code >= lo,
        CaseEvent.area_code < hi,
        CaseEvent.action == "escalate",
        CaseEvent.at >= start,
        CaseEvent.at < end,
    ]
    escalated, n_escalated = _limited(
        session,
        select(
            *columns,
            CaseEvent.at.label("escalated_at"),
            CaseEvent.actor_name.label("escalated_by"),
            CaseEvent.payload.label("escalation"),
            CaseEvent.note.label("reason"),
        )
        .select_from(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id)
        .outerjoin(Jurisdiction, unit)
        .where(*made)
        .order_by(CaseEvent.at, CaseEvent.id),
        count(CaseEvent, made),
        limit,
    )

    open_now, n_open = _open_matters(session, lo, hi, level, limit)
    ids = [r.case_id for r in (*reported, *overdue, *supervised)]
    ids += [c.case_id for c in open_now.rows if c.case_id]
    held = holdings(session, ids, now=now)
    elsewhere = address_townships.for_cases(session, [*ids, *(r.case_id for r in escalated)])

    def level_of(payload: Any, key: str) -> int | None:
        value = payload.get(key) if isinstance(payload, dict) else None
        return value if isinstance(value, int) else None

    return BriefCases(
        reported=CaseList([_listed(r) for r in reported], n_reported),
        overdue=CaseList([_listed(r) for r in overdue], n_overdue),
        supervised=CaseList(
            [
                Supervised(
                    _listed(r),
                    r.supervised_at,
                    r.supervised_by,
                    r.supervision_note,
                    r.in_window,
                    bool(r.after),
                )
                for r in supervised
            ],
            n_supervised,
        ),
        escalations=CaseList(
            [
                Escalation(
                    _listed(r),
                    r.escalated_at,
                    r.escalated_by,
                    level_of(r.escalation, "from_level"),
                    level_of(r.escalation, "to_level"),
                    r.reason,
                )
                for r in escalated
            ],
            n_escalated,
        ),
        limit=limit,
        open_now=open_now,
        holdings=held,
        open_cases=n_open,
        mismatches=elsewhere,
    )


def _open_matters(
    session: Session, lo: str, hi: str, level: int, limit: int
) -> tuple[CaseList[ListedCase], int]:
    """Return 交班在办案件 of the area ``[lo, hi)`` and its open cases (repeats included).

    One row a matter: an open repeat of an open original of the area is told in the original's
    row (trial AZ M8: a surge of one matter read as many); the highest risk first, then the
    oldest.
    """
    area = and_(Case.area_code >= lo, Case.area_code < hi)
    original = aliased(Case, name="original")
    folded = exists().where(
        original.id == Case.duplicate_of,
        original.state.in_(workflow.OPEN_STATES),
        original.area_code >= lo,
        original.area_code < hi,
    )
    is_open = [area, Case.state.in_(workflow.OPEN_STATES)]
    matters = [*is_open, ~folded]
    listing = (
        select(*_CASE_COLUMNS, _place(level))
        .select_from(Case)
        .outerjoin(Jurisdiction, Jurisdiction.code == Case.area_code)
    )
    rows, total = _limited(
        session,
        listing.where(*matters).order_by(Case.risk_level, Case.reported_at, Case.id),
        select(func.count()).select_from(Case).where(*matters),
        limit,
    )
    n_open = int(session.scalar(select(func.count()).select_from(Case).where(*is_open)) or 0)
    return CaseList([_listed(r) for r in rows], total), n_open


@dataclass(frozen=True)
class Handover:
    """The open cases a shift hands over, and who holds each (交班视图).

    Attributes
    ----------
    open_now : CaseList of ListedCase
        One row a matter (:attr:`BriefCases.open_now`).
    holdings : mapping of int to Holding
        Who holds each, by case id.
    open_cases : int
        The area's open cases, repeats included.
    """

    open_now: CaseList[ListedCase]
    holdings: Mapping[int, Holding]
    open_cases: int


def handover(
    session: Session, code: str, *, actor: Actor, now: datetime, limit: int = LIST_LIMIT
) -> Handover:
    """Return the open cases of the unit ``code``'s area and who holds each, as at ``now``.

    The console's 交班视图 (trial AZ M8: the shift taking over had no view of who holds what);
    the brief's 交班在办案件 is the same list.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Whose scope applies.
    now : datetime
        The moment: how long an unanswered department has waited.
    limit : int
        The most rows (at least 1).

    Returns
    -------
    Handover
        The matters, the highest risk first, and their holdings.

    Raises
    ------
    Forbidden
        The actor is an analyst (aggregates only).
    NotFound
        ``code`` is not a division code inside the actor's scope.
    """
    if actor.role == Role.ANALYST:
        raise Forbidden(NO_ANALYST_HANDOVER)
    lo, hi, level = cases.unit_range(code, actor)
    open_now, n_open = _open_matters(session, lo, hi, level, max(1, limit))
    held = holdings(session, [c.case_id for c in open_now.rows if c.case_id is not None], now=now)
    return Handover(open_now, held, n_open)


def _unit_key(code: str, actor: Actor) -> tuple[str, str, str | None]:
    """Return the area range of a brief's unit or child, and the grid when it is a grid.

    A 12-digit jurisdiction covers its code range; a village's child is one of its grids
    (15 digits, the command feed's children of a village), whose cases are those of the
    village's range with that ``grid_code``.

    Raises
    ------
    NotFound
        ``code`` is neither a division code nor a grid code inside the actor's scope.
    """
    if len(code) == 15:
        try:
            village = parse_grid_code(code).village_code
        except CodeError as exc:
            raise no_jurisdiction(code) from exc
        lo, hi, _ = cases.unit_range(village, actor)
        return lo, hi, code
    lo, hi, _ = cases.unit_range(code, actor)
    return lo, hi, None


def first_reported(
    session: Session, codes: Sequence[str], *, actor: Actor
) -> dict[str, datetime | None]:
    """Return when the earliest case of each unit's area was reported: where its history begins.

    A figures-only read (an analyst may ask): no case is listed.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    codes : sequence of str
        12-digit jurisdiction codes inside the actor's scope (a brief's unit and its children),
        or a village's grids (15-digit grid codes: the children of a village's brief).
    actor : Actor
        Whose scope applies.

    Returns
    -------
    dict
        Each code's earliest ``reported_at`` over its area (a grid's: over its cases), None
        when the area has no case.

    Raises
    ------
    NotFound
        A code is not a division or grid code inside the actor's scope.
    """
    keys = [_unit_key(code, actor) for code in codes]
    if not keys:
        return {}
    rows = session.execute(
        text(
            "SELECT u.code, (SELECT min(c.reported_at) FROM cases c"
            " WHERE c.area_code >= u.lo AND c.area_code < u.hi"
            " AND (u.grid IS NULL OR c.grid_code = u.grid))"
            " FROM unnest(CAST(:codes AS text[]), CAST(:los AS text[]), CAST(:his AS text[]),"
            " CAST(:grids AS text[])) AS u(code, lo, hi, grid)"
        ),
        {
            "codes": list(codes),
            "los": [lo for lo, _, _ in keys],
            "his": [hi for _, hi, _ in keys],
            "grids": [grid for _, _, grid in keys],
        },
    )
    return {str(row[0]): row[1] for row in rows}


_DONE = ", ".join(f"'{s}'" for s in sorted(workflow.DONE_STATES))
_UNTOUCHED = ", ".join(f"'{a}'" for a in case_import.UNTOUCHED_ACTIONS)
RESOLVED_AS_OF = f"""
    SELECT c.area_code, c.grid_code, count(*) AS reported,
           count(*) FILTER (WHERE CASE
               WHEN then_.state IS NULL  -- nothing on record by then: the case's own 办结时间
                   THEN c.state IN ({_DONE}) AND NOT {case_import.unsettled_history("c")}
                        AND (c.closed_at IS NULL OR c.closed_at <= :as_of)
               WHEN then_.action = 'import' AND then_.state = 'archived'
                   THEN NOT coalesce((
                       SELECT e.payload ->> 'settled' = 'false' FROM case_events e
                        WHERE e.case_id = c.id AND e.action = 'import' AND e.at <= :as_of
                          AND e.payload ->> 'settled' IS NOT NULL
                        ORDER BY e.at DESC, e.id DESC LIMIT 1), false)
                        OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id
                                     AND e.at <= :as_of AND e.action NOT IN ({_UNTOUCHED}))
               ELSE then_.state IN ({_DONE})
           END) AS resolved
      FROM cases c
      LEFT JOIN LATERAL (
          SELECT e.to_state AS state, e.action FROM case_events e
           WHERE e.case_id = c.id AND e.at <= :as_of AND e.to_state IS NOT NULL
           ORDER BY e.at DESC, e.id DESC LIMIT 1
      ) then_ ON true
     WHERE c.area_code >= :lo AND c.area_code < :hi
       AND c.reported_at >= :start AND c.reported_at < :end
     GROUP BY c.area_code, c.grid_code"""
"""Cases reported in ``[start, end)`` of an area, by village and grid, and how many of them were
concluded at ``as_of``: the state the latest event at or before then left each in (through
``ix_case_events_case_id_at``, one short read a case), a concluded one
(:data:`layers.workflow.DONE_STATES`) unless an import then stood for history its source never
settled (:func:`layers.case_import.unsettled_history`, as of then); a case with no event by then
(history imported later) by its own 办结时间 (``closed_at``; an imported concluded case without
one as concluded)."""


def resolved_shares(
    session: Session,
    code: str,
    children: Sequence[str],
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> dict[str, float | None]:
    """Return the 办结率 over a window of a unit and of its children, as it stood at ``as_of``.

    The share of the cases reported in ``[start, end)`` (those 近期受理 counts) that were
    concluded (办结, then 评价, 回访, 销号) at ``as_of``, read back from the case events: one
    concluded later does not count, one concluded then and reopened (重新办理) since does. A
    brief measures the window it compares with (环比, 同比) as long after that window's end as
    its own 办结率 is after its window's end (:meth:`layers.work_brief.BriefWindow.measured_at`),
    so that the cases of both have had as long to close. At ``as_of`` now it is the command
    feed's ``resolved_share``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        12-digit jurisdiction code inside the actor's scope: the brief's unit.
    children : sequence of str
        Its children as the command feed lists them: jurisdiction codes, or a village's grid
        codes (15 digits).
    actor : Actor
        Whose scope applies.
    start, end : datetime
        The window (aware).
    as_of : datetime
        When the cases' state is read (aware).

    Returns
    -------
    dict
        The share (0–1, rounded to 4 places as the feed's) of ``code`` and of each child, by
        code; None for a unit with no case reported in the window.

    Raises
    ------
    NotFound
        ``code`` or a child is not a division or grid code inside the actor's scope.
    """
    lo, hi, _ = cases.unit_range(code, actor)
    keys = {code: (lo, hi, None)} | {child: _unit_key(child, actor) for child in children}
    rows = session.execute(
        text(RESOLVED_AS_OF),
        {"lo": lo, "hi": hi, "start": start, "end": end, "as_of": as_of},
    ).all()
    shares: dict[str, float | None] = {}
    for unit, (unit_lo, unit_hi, grid) in keys.items():
        inside = [
            r
            for r in rows
            if unit_lo <= r.area_code < unit_hi and (grid is None or r.grid_code == grid)
        ]
        reported = sum(r.reported for r in inside)
        resolved = sum(r.resolved for r in inside)
        shares[unit] = round(resolved / reported, 4) if reported else None
    return shares
