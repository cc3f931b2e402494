"""集中反映: a live alert when one matter is reported again and again within hours (trial AZ M1).

A storm night brings reports of one landslide, one flooded underpass, one wage protest, each a
few minutes apart. Repeats are linked to their open original as they are registered
(:func:`layers.cases.register`), and hot-spot runs, which raise the other alerts, look at weeks,
not at the last hour. Once an original has :data:`SURGE_REPORTS` reports (itself and its
repeats) within :data:`SURGE_HOURS` hours, the unit it lies in gets an alert, and each further
report refreshes that alert while it is not closed rather than raising one more
(:func:`layers.alerts.raise_or_refresh`, keyed by the original: :func:`unit_key`).

The alert names the matter by its kind and place, not by the case's title: alerts are read by
those who may not read cases (the analyst).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from layers import alerts
from layers.model import Alert, Case, Category, Jurisdiction
from layers.model.cases import SUBTYPES

SURGE_REPORTS = 3
"""Reports of one matter within :data:`SURGE_HOURS` that raise the alert."""
SURGE_HOURS = 2
"""The hours the reports of one matter are counted over."""
URGENT_REPORTS = 5
"""Reports within the hours that make the alert 一级 (as a red original does)."""
KIND = "repeat_surge"
"""The alerts' ``kind``."""


def unit_key(case_id: int) -> str:
    """Return the key that keeps one unclosed alert per original case.

    Examples
    --------
    >>> unit_key(4241)
    'case:4241'
    """
    return f"{alerts.CASE_KEY}{case_id}"


def matter_text(category: str, subcategory: str | None) -> str:
    """Return the kind of a matter as an alert says it: its subcategory, else its category.

    Examples
    --------
    >>> matter_text("safety_hazard", "geology")
    '地质灾害隐患'
    >>> matter_text("dispute", None)
    '矛盾纠纷'
    """
    table = next((t for c, t in SUBTYPES.items() if c.value == category), None)
    if subcategory and table is not None and subcategory in table.labels():
        return table.label_of(subcategory)
    return Category.label_of(category)


def raise_on_repeat(session: Session, original: Case, *, now: datetime) -> bool:
    """Raise or refresh the 集中反映 alert of ``original`` once its reports crowd in.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The registration's session (the new repeat flushed, ``original.repeat_count`` counted).
    original : Case
        The open case a report was just linked to as a repeat.
    now : datetime
        When the new report came in (its ``reported_at``): the hours are counted back from it.

    Returns
    -------
    bool
        An alert was raised or refreshed; False while the reports within the hours are fewer
        than :data:`SURGE_REPORTS`.
    """
    since = now - timedelta(hours=SURGE_HOURS)
    recent = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            or_(Case.id == original.id, Case.duplicate_of == original.id),
            Case.reported_at > since,
            Case.reported_at <= now,
        )
    )
    if recent is None or recent < SURGE_REPORTS:
        return False
    place = session.scalar(select(Jurisdiction.name).where(Jurisdiction.code == original.area_code))
    matter = matter_text(original.category, original.subcategory)
    urgent = recent >= URGENT_REPORTS or original.risk_level == 1
    alert = Alert(
        area_code=original.area_code,
        kind=KIND,
        level=1 if urgent else 2,
        title=f"集中反映：{place or ''}{matter}，{SURGE_HOURS} 小时内 {recent} 次反映",
        detail=(
            f"同一事项短时间内多次反映（案件 {original.code}，"
            f"累计 {original.repeat_count + 1} 次）；请核实现场、统筹处置，重复件随原案件办理"
        ),
        unit_id=unit_key(original.id),
        state="open",
    )
    alerts.raise_or_refresh(session, [alert], now=now)
    return True
