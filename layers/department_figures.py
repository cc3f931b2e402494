"""Per-department figures (部门办理情况, 部门考核): what each 承办部门 did with its dispatches.

The county's hotline desk rates the departments it sends 12345 orders to, and the city rates
those of its counties (trial BA S1: the console, the wall and the brief had units only, and a
回访's 满意度 was read back nowhere). :func:`figures` counts, for a unit and a window, the
dispatches to departments (``assignee_kind = 'department'``) of the unit's cases received in
the window (the 简报's window rules: :mod:`layers.work_brief`), per department and county, in
one statement under the reader's row-level security:

* 收到: the dispatches received in the window; 受理 of them, 按时受理 (by the case's 联系时限;
  a dispatch received when it had passed, such as a 12345 order imported after it with no
  承办单位 to clear it, by as long a limit from the dispatch: the department received it late);
* 办结 of them (the dispatch finished), 按时办结 (by the case's 办结时限, an approved 延期
  included), 超期 (finished after the 办结时限, or still open past it at generation), 退回;
* 申请延期 the department made while it held the case, 获批 the approvals in that time;
* 回访 of the cases it 办结'd (the last 回访 before the case went to anyone else), 满意
  (非常满意、满意、基本满意), 不满意 (不太满意、不满意), and 满意率: 满意 of the 回访 that
  gave a 满意度.

Progress after the window (a 受理 or 办结 after its end) counts: the figures are those of the
window's dispatches as they stand at generation. A department account reads its own rows only
(the departments it acts for, :func:`layers.department_scope.served_departments`). The API
(``GET /api/figures/departments``), the console's 部门考核 view and the brief's sheet
部门办理情况 all read this function, so their figures agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import cases, department_scope
from layers.workbooks import Percent
from layers.workflow import Actor

#: The 满意度 (:data:`layers.cases.SATISFACTION_LABELS`) counted as 满意: 非常满意、满意、基本满意.
SATISFIED = (3, 4, 5)
#: Those counted as 不满意: 不太满意、不满意 (a 回访 of these asks for 重新办理 or a reason).
UNSATISFIED = (1, 2)

#: The columns: the field of :class:`DepartmentRow` and its Chinese heading.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("department", "承办部门"),
    ("county_name", "所属区县"),
    ("received", "收到"),
    ("accepted", "受理"),
    ("accepted_on_time", "按时受理"),
    ("finished", "办结"),
    ("finished_on_time", "按时办结"),
    ("overdue", "超期"),
    ("returned", "退回"),
    ("extension_asked", "申请延期"),
    ("extension_granted", "延期获批"),
    ("visited", "回访"),
    ("satisfied", "满意"),
    ("unsatisfied", "不满意"),
    ("satisfied_share", "满意率"),
)

#: What the figures count, for the page and the brief's 说明.
NOTE = (
    "按统计时段内派给各职能部门的派单统计（收到），受理、办结、超期、退回、延期、回访为这些派单"
    "截至生成时的情况：按时受理以案件联系时限计（派单时联系时限已过的，如导入前已过联系时限的"
    "12345工单，自派单时起按同样时长计，不计为承办部门超时），按时办结以办结时限（含批准的延期）"
    "计，超期为"
    "办结晚于办结时限或生成时仍未办结且已过时限；回访为该部门办结后的最近一次回访，满意含非常"
    "满意、满意、基本满意，不满意含不太满意、不满意，满意率为满意件数占填写满意度的回访件数之比。"
)

_FIGURES = text(
    """
    -- a 回访 at the instant of the next 派单 is of this round: 回访不满意 dispatches again at once
    WITH d AS MATERIALIZED (
      SELECT d.id, d.case_id, d.department, left(c.area_code, 6) AS county,
             width_bucket(d.assigned_at, CAST(:bounds AS timestamptz[])) AS period,
             d.assigned_at, d.accepted_at, d.finished_at, d.status,
             -- received past the case's 联系时限 (an order imported late, a dispatch made
             -- after it): as long a limit from its receipt, not late on arrival
             CASE WHEN c.contact_deadline IS NULL OR c.contact_deadline > d.assigned_at
                  THEN c.contact_deadline
                  ELSE d.assigned_at + greatest(c.contact_deadline - c.reported_at, interval '0')
             END AS contact_deadline,
             c.deadline,
             (SELECT min(n.assigned_at) FROM dispatches AS n
               WHERE n.case_id = d.case_id AND n.assigned_at > d.assigned_at) AS next_at
        FROM dispatches AS d JOIN cases AS c ON c.id = d.case_id
       WHERE d.assignee_kind = 'department' AND d.department IS NOT NULL
         AND c.area_code >= :lo AND c.area_code < :hi
         AND d.assigned_at >= :first AND d.assigned_at < :last
         AND (CAST(:names AS text[]) IS NULL OR d.department = ANY(CAST(:names AS text[])))
    ), f AS (
      SELECT d.*,
             (SELECT count(*) FROM case_events AS e
               WHERE e.case_id = d.case_id AND e.action = 'extension_request'
                 AND e.payload ->> 'by_level' IS NULL
                 AND e.at >= d.assigned_at
                 AND e.at < coalesce(d.finished_at, d.next_at, 'infinity')) AS asked,
             (SELECT count(*) FROM case_events AS e
               WHERE e.case_id = d.case_id AND e.action = 'extension_approve'
                 AND e.at >= d.assigned_at
                 AND e.at < coalesce(d.finished_at, d.next_at, 'infinity')) AS granted,
             (SELECT CAST(e.payload ->> 'satisfaction' AS int) FROM case_events AS e
               WHERE d.status = 'finished' AND e.case_id = d.case_id AND e.action = 'visit'
                 AND e.at >= d.finished_at AND e.at <= coalesce(d.next_at, 'infinity')
               ORDER BY e.id DESC LIMIT 1) AS satisfaction,
             EXISTS (SELECT 1 FROM case_events AS e
               WHERE d.status = 'finished' AND e.case_id = d.case_id AND e.action = 'visit'
                 AND e.at >= d.finished_at AND e.at <= coalesce(d.next_at, 'infinity'))
               AS visited
        FROM d
    )
    SELECT f.period, f.department, f.county,
           coalesce((SELECT j.name FROM jurisdictions AS j
                      WHERE j.code = f.county || '000000'), f.county) AS county_name,
           count(*) AS received,
           count(*) FILTER (WHERE f.accepted_at IS NOT NULL) AS accepted,
           count(*) FILTER (WHERE f.accepted_at IS NOT NULL AND (f.contact_deadline IS NULL
                            OR f.accepted_at <= f.contact_deadline)) AS accepted_on_time,
           count(*) FILTER (WHERE f.status = 'finished') AS finished,
           count(*) FILTER (WHERE f.status = 'finished' AND (f.deadline IS NULL
                            OR f.finished_at <= f.deadline)) AS finished_on_time,
           count(*) FILTER (WHERE f.deadline IS NOT NULL AND (
                              (f.status = 'finished' AND f.finished_at > f.deadline)
                              OR (f.status IN ('assigned', 'accepted', 'arrived')
                                  AND f.deadline < :now))) AS overdue,
           count(*) FILTER (WHERE f.status = 'returned') AS returned,
           coalesce(sum(f.asked), 0) AS extension_asked,
           coalesce(sum(f.granted), 0) AS extension_granted,
           count(*) FILTER (WHERE f.visited) AS visited,
           count(*) FILTER (WHERE f.satisfaction IN (3, 4, 5)) AS satisfied,
           count(*) FILTER (WHERE f.satisfaction IN (1, 2)) AS unsatisfied
      FROM f
     GROUP BY f.period, f.department, f.county
     ORDER BY f.period, count(*) DESC, f.county, f.department
    """
)


@dataclass(frozen=True)
class DepartmentRow:
    """One department's figures over the window (the fields of :data:`COLUMNS`).

    Attributes
    ----------
    department : str
        The 承办部门 as dispatches name it.
    county, county_name : str
        The county of its cases (6 digits) and its name: a city's view has one row per
        department and county.
    received, accepted, accepted_on_time, finished, finished_on_time, overdue, returned : int
        Dispatches received in the window, and of them those 受理'd (on time), 办结'd (on
        time), 超期 and 退回.
    extension_asked, extension_granted : int
        Its 申请延期 while it held the cases, and the approvals.
    visited, satisfied, unsatisfied : int
        回访 of the cases it 办结'd, those 满意 and those 不满意.
    """

    department: str
    county: str
    county_name: str
    received: int
    accepted: int
    accepted_on_time: int
    finished: int
    finished_on_time: int
    overdue: int
    returned: int
    extension_asked: int
    extension_granted: int
    visited: int
    satisfied: int
    unsatisfied: int

    @property
    def satisfied_share(self) -> Percent | None:
        """满意率: 满意 of the 回访 that gave a 满意度 (``None`` without one).

        Examples
        --------
        >>> row = DepartmentRow("县人社局", "530424", "华宁县", *([0] * 9), 3, 2, 1)
        >>> str(row.satisfied_share)
        '66.7%'
        """
        rated = self.satisfied + self.unsatisfied
        return Percent(self.satisfied / rated) if rated else None

    def as_json(self) -> dict[str, Any]:
        """Return the row as the API gives it (``satisfied_share`` a fraction, or null)."""
        body: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        share = self.satisfied_share
        body["satisfied_share"] = None if share is None else round(float(share), 4)
        return body

    def cells(self) -> list[Any]:
        """Return the row's cells in the order of :data:`COLUMNS` (满意率 a Percent or 无)."""
        return [
            ("无" if getattr(self, key) is None else getattr(self, key))
            if key == "satisfied_share"
            else getattr(self, key)
            for key, _ in COLUMNS
        ]


def figures(
    session: Session,
    code: str,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[DepartmentRow]:
    """Return each department's figures over ``[start, end)`` for the unit ``code``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor (row-level security applies).
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Who reads; a department account gets the departments it acts for only.
    start, end : datetime
        The window (aware): dispatches received in it are counted.
    now : datetime
        Generation time (what is still open past its 办结时限 is 超期).

    Returns
    -------
    list of DepartmentRow
        The most dispatches received first.

    Raises
    ------
    NotFound
        ``code`` is not a jurisdiction inside the actor's scope.
    """
    return figures_by_period(session, code, actor=actor, bounds=[start, end], now=now)[0]


def figures_by_period(
    session: Session,
    code: str,
    *,
    actor: Actor,
    bounds: Sequence[datetime],
    now: datetime,
) -> list[list[DepartmentRow]]:
    """Return each department's figures in each of consecutive periods, in one statement.

    Each dispatch counts in the period it was received in, as :func:`figures` of that period
    counts it: the trend report's 部门办理情况 period by period.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor (row-level security applies).
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Who reads; a department account gets the departments it acts for only.
    bounds : sequence of datetime
        The periods' bounds (aware), increasing: period ``i`` is ``[bounds[i], bounds[i + 1])``.
    now : datetime
        Generation time (what is still open past its 办结时限 is 超期).

    Returns
    -------
    list of list of DepartmentRow
        One list per period, in the order of ``bounds``, each the most received first.

    Raises
    ------
    ValueError
        Fewer than two bounds, or bounds not increasing.
    NotFound
        ``code`` is not a jurisdiction inside the actor's scope.
    """
    if len(bounds) < 2 or any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):
        raise ValueError("the periods' bounds must be at least two, increasing")
    lo, hi, _ = cases.unit_range(code, actor)
    names = department_scope.served_departments(session, actor)
    rows = session.execute(
        _FIGURES,
        {
            "lo": lo,
            "hi": hi,
            "bounds": list(bounds),
            "first": bounds[0],
            "last": bounds[-1],
            "now": now,
            "names": names,
        },
    ).all()
    periods: list[list[DepartmentRow]] = [[] for _ in bounds[1:]]
    for r in rows:
        periods[int(r.period) - 1].append(
            DepartmentRow(
                department=str(r.department),
                county=str(r.county),
                county_name=str(r.county_name),
                **{key: int(getattr(r, key)) for key in _COUNTS},
            )
        )
    return periods


_COUNTS = tuple(key for key, _ in COLUMNS[2:-1])

#: What :func:`finished_in` counts, for the department's desk.
FINISHED_IN_NOTE = "办结按办结时间统计：统计时段内办结的派单，不论何时派给本部门"

_FINISHED_IN = text(
    """
    SELECT count(*)
      FROM dispatches AS d JOIN cases AS c ON c.id = d.case_id
     WHERE d.assignee_kind = 'department' AND d.department IS NOT NULL
       AND d.status = 'finished'
       AND c.area_code >= :lo AND c.area_code < :hi
       AND d.finished_at >= :start AND d.finished_at < :end
       AND (CAST(:names AS text[]) IS NULL OR d.department = ANY(CAST(:names AS text[])))
    """
)


def finished_in(
    session: Session, code: str, *, actor: Actor, start: datetime, end: datetime
) -> int:
    """Return how many dispatches to departments were 办结'd in ``[start, end)``, whenever sent.

    The department's desk counts its month's 办结 by the day of the 办结 (the dispatch's
    ``finished_at``, set by the 办结 that finished it), not by the day the dispatch reached it
    as :func:`figures` does: an order sent on the 30th and 办结'd on the 2nd is of the second
    month's 办结.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor (row-level security applies).
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Who reads; a department account counts the departments it acts for only.
    start, end : datetime
        The window (aware).

    Returns
    -------
    int
        The dispatches 办结'd in the window.

    Raises
    ------
    NotFound
        ``code`` is not a jurisdiction inside the actor's scope.
    """
    lo, hi, _ = cases.unit_range(code, actor)
    names = department_scope.served_departments(session, actor)
    found = session.execute(
        _FINISHED_IN, {"lo": lo, "hi": hi, "start": start, "end": end, "names": names}
    ).scalar_one()
    return int(found)


def total(rows: Sequence[DepartmentRow]) -> DepartmentRow:
    """Return the 合计 row of ``rows``.

    Parameters
    ----------
    rows : sequence of DepartmentRow
        The departments' rows.

    Returns
    -------
    DepartmentRow
        Named 合计, each count summed.

    Examples
    --------
    >>> one = DepartmentRow("甲", "530424", "华宁县", *([1] * 12))
    >>> total([one, one]).received, total([]).department
    (2, '合计')
    """
    sums = {key: sum(getattr(r, key) for r in rows) for key in _COUNTS}
    return DepartmentRow(department="合计", county="", county_name="", **sums)


#: The sheet of these figures in the workbooks (the brief's and the trend report's).
SHEET = "部门办理情况"
#: What the sheet says without a row.
EMPTY = "统计时段内无派往职能部门的案件"


def table(rows: Sequence[DepartmentRow]) -> tuple[list[str], list[list[Any]]]:
    """Return the sheet's header and rows, the 合计 row last (none without a row).

    Parameters
    ----------
    rows : sequence of DepartmentRow
        From :func:`figures`.

    Returns
    -------
    tuple of (list of str, list of list)
        The Chinese headings of :data:`COLUMNS` and the rows' cells.

    Examples
    --------
    >>> one = DepartmentRow("甲", "530424", "华宁县", *([1] * 12))
    >>> header, cells = table([one])
    >>> header[:3], [r[:3] for r in cells]
    (['承办部门', '所属区县', '收到'], [['甲', '华宁县', 1], ['合计', '', 1]])
    >>> table([])[1]
    []
    """
    cells = [r.cells() for r in rows]
    return [label for _, label in COLUMNS], cells + ([total(rows).cells()] if rows else [])
