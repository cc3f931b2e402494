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
  generation (supervised before the window, not settled yet); the earliest 督办时限 first;
* ``escalations`` (上报案件): each 上报 (``escalate`` event) made in the window from the area,
  the oldest first — what 上报次数 counts, through the same partial index.

:func:`first_reported` says when the cases of the unit and of each child begin: a brief's
comparison with a window before them (环比, 同比) has no figures to show.

Each list holds at most ``limit`` rows (:data:`LIST_LIMIT`) and says how many there were. A
row carries a case's code, title, code-table values, times and unit; never its reporter's or
party's name or phone (masked data), nor its description. An analyst, who sees aggregates only,
gets no list (:class:`~layers.errors.Forbidden`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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

from layers import cases, workflow
from layers.case_groups import CaseGroup, StateGroup
from layers.command import RETIRED_MARK
from layers.errors import Forbidden
from layers.model import Case, CaseEvent, Jurisdiction, Role
from layers.workflow import Actor

LIST_LIMIT = 2000
"""Most rows of each list; the brief says so when a list is longer."""
NO_ANALYST = "研判分析员只能查看统计汇总，简报不含案件清单"
"""Why an analyst's brief has no list of cases."""

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


@dataclass(frozen=True)
class Supervised:
    """A case under 督办 and its latest 督办.

    Attributes
    ----------
    case : ListedCase
        The case.
    at : datetime or None
        When it was last supervised (None: a 督办时限 set with no event, e.g. by an import).
    by : str or None
        Who supervised it then.
    note : str or None
        What they wrote (督办意见).
    in_window : bool
        It was supervised in the window (otherwise before it, and it is still open).
    """

    case: ListedCase
    at: datetime | None
    by: str | None
    note: str | None
    in_window: bool


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
    """

    reported: CaseList[ListedCase]
    overdue: CaseList[ListedCase]
    supervised: CaseList[Supervised]
    escalations: CaseList[Escalation]
    limit: int


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
    latest = (
        select(CaseEvent.at, CaseEvent.actor_name, CaseEvent.note)
        .where(supervise)
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
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

    def level_of(payload: Any, key: str) -> int | None:
        value = payload.get(key) if isinstance(payload, dict) else None
        return value if isinstance(value, int) else None

    return BriefCases(
        reported=CaseList([_listed(r) for r in reported], n_reported),
        overdue=CaseList([_listed(r) for r in overdue], n_overdue),
        supervised=CaseList(
            [
                Supervised(
                    _listed(r), r.supervised_at, r.supervised_by, r.supervision_note, r.in_window
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
    )


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
        12-digit jurisdiction codes inside the actor's scope (a brief's unit and its children).
    actor : Actor
        Whose scope applies.

    Returns
    -------
    dict
        Each code's earliest ``reported_at`` over its area, None when the area has no case.

    Raises
    ------
    NotFound
        A code is not a division code inside the actor's scope.
    """
    ranges = [cases.unit_range(code, actor)[:2] for code in codes]
    if not ranges:
        return {}
    rows = session.execute(
        text(
            "SELECT u.code, (SELECT min(c.reported_at) FROM cases c"
            " WHERE c.area_code >= u.lo AND c.area_code < u.hi)"
            " FROM unnest(CAST(:codes AS text[]), CAST(:los AS text[]), CAST(:his AS text[]))"
            " AS u(code, lo, hi)"
        ),
        {
            "codes": list(codes),
            "los": [lo for lo, _ in ranges],
            "his": [hi for _, hi in ranges],
        },
    )
    return {str(row[0]): row[1] for row in rows}
