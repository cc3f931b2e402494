"""The settled cases a new report may take up again (再次反映 of a matter closed already).

A report repeats an open case of its kind nearby (:func:`layers.cases.register` links it, 重复
反映). A matter settled and closed a week ago that a resident reports again ("the neighbour's
drain is still not fixed") is not open any more, so it is linked to nothing; it is the most
common repeat there is, though. :func:`settled_nearby` finds those cases for the case page, by
the rule of repeats (:func:`layers.cases.same_matter_near`) with the settled ones in place of
the open ones: the same category and subcategory, within :data:`layers.cases.DEDUPE_RADIUS_M`
metres, closed at most :data:`layers.cases.DEDUPE_DAYS` days before the new report. The
operator judges whether it is the same matter; nothing is linked and no risk is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers.cases import DEDUPE_DAYS, DEDUPE_RADIUS_M, same_matter_near
from layers.model import Case

SHOWN = 5
"""Most settled cases named."""


@dataclass(frozen=True)
class SettledCase:
    """A closed case of the same kind near a new report.

    Attributes
    ----------
    id : int
        Case id.
    code : str
        Case code (一案一码).
    title : str
        Title.
    state : str
        Its state (settled: resolved, evaluated, visited or archived).
    closed_at : datetime
        When it was settled.
    distance_m : float
        Metres from the new report.
    """

    id: int
    code: str
    title: str
    state: str
    closed_at: datetime
    distance_m: float


def settled_nearby(
    session: Session,
    case: Case,
    *,
    scope_code: str,
    radius_m: float = DEDUPE_RADIUS_M,
    days: int = DEDUPE_DAYS,
) -> list[SettledCase]:
    """Return the settled cases of ``case``'s kind it may report again, the latest first.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    case : Case
        The new report.
    scope_code : str
        The reader's unit: cases outside it are left out.
    radius_m, days : float, int
        How near, and how long before the report the case was settled.

    Returns
    -------
    list of SettledCase
        At most :data:`SHOWN`; none for a case without a point.
    """
    if case.point is None:
        return []
    lo, hi = scope_range(scope_code)
    here = select(Case.point).where(Case.id == case.id).scalar_subquery()
    distance = func.ST_Distance(func.geography(Case.point), func.geography(here))
    rows = session.execute(
        select(Case.id, Case.code, Case.title, Case.state, Case.closed_at, distance)
        .where(
            Case.id != case.id,
            Case.area_code >= lo,
            Case.area_code < hi,
            Case.closed_at.is_not(None),
            Case.closed_at >= case.reported_at - timedelta(days=days),
            Case.closed_at <= case.reported_at,
            *same_matter_near(case, here, radius_m),
        )
        .order_by(Case.closed_at.desc(), Case.id.desc())
        .limit(SHOWN)
    )
    return [
        SettledCase(id=r[0], code=r[1], title=r[2], state=r[3], closed_at=r[4], distance_m=r[5])
        for r in rows
    ]
