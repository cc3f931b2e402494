"""Handling a risk alert: a run raises or refreshes it, an operator signs for it and closes it.

A hot-spot run (:mod:`layers.hotspot_runs`) addresses an alert to the unit a new, intensifying
or persistent hot spot lies in. A nightly run finds a persistent hot spot again every night:
:func:`raise_or_refresh` then brings the unclosed alert of the same analysis cell (``unit_id``,
an H3 index) up to date (class, level, title, figures, run, ``refreshed_at``) instead of raising
one more, and keeps its state. Once closed, a hot spot that comes back raises a new alert; an
unclosed alert the latest run at its resolution over its unit did not refresh is listed as
``faded`` (已消退).

Command-centre operators (:data:`layers.workflow.OPERATORS`) of the alert's unit or above act
on it: :func:`acknowledge` (签收, ``open`` → ``acknowledged``) says someone has it in hand,
:func:`close` (关闭, from either) records what was done (处置情况), :func:`reopen` (重新打开)
brings a closed alert back, signed for by whoever reopens it. Each is an audit entry
(``alert.acknowledge``, ``alert.close``, ``alert.reopen``); the note stays on the alert, not in
the audit log, until a reopening takes it off: that entry keeps it, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import audit, hotspot_cases, workflow
from layers.china_time import CHINA
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.free_text import ALERT_NOTE, refuse_personal_numbers
from layers.hotspot_cases import CellFigures
from layers.model import Alert, AlertState, Role
from layers.workflow import Actor

NOTE_MAX = 500
"""Longest 处置情况 kept."""
NO_ALERT = "预警不存在或不在您的辖区内"
CASE_KEY = "case:"
"""How an alert's ``unit_id`` names the case it is of (:mod:`layers.repeat_alerts`)."""
STATES = ("unclosed", "closed", "all")
"""What :func:`listed` lists: the alerts not closed yet (the command feed's), the closed, all."""

_FADED = (
    "a.state <> 'closed' AND a.run_id IS NOT NULL"
    " AND a.run_id IS DISTINCT FROM (SELECT r.id FROM hotspot_runs AS r"
    " WHERE NOT r.historic AND r.params -> 'resolution' IS NOT DISTINCT FROM"
    " (SELECT o.params -> 'resolution' FROM hotspot_runs AS o WHERE o.id = a.run_id)"
    " AND EXISTS (SELECT 1 FROM hotspot_cells AS h"
    " WHERE h.run_id = r.id AND h.area_code = a.area_code) ORDER BY r.id DESC LIMIT 1)"
)
"""An unclosed alert whose hot spot the latest current run over its unit no longer alerts on.

An alert no run raised (集中反映, :mod:`layers.repeat_alerts`) never fades: it is closed by hand.

Only a run at the alert's own H3 resolution says so: a township's run at resolution 9 does not
fade the alerts of the county's nightly run at 8 over the same villages (their cells differ).
"""
_SELECT = (
    "SELECT a.id, a.area_code, j.name AS area_name, u.name AS parent_name, a.kind, a.level,"
    " a.title, a.detail,"
    " a.run_id, a.cell_id, a.unit_id, a.state, a.created_at, a.refreshed_at, a.acknowledged_at,"
    " s.display_name AS acknowledged_by_name, a.closed_at, c.display_name AS closed_by_name,"
    f" a.close_note, {_FADED} AS faded, count(*) OVER () AS matched,"
    " (run.params ->> 'bin_days')::int AS run_bin_days,"
    " (run.params ->> 'resolution')::int AS run_resolution,"
    " run.window_start AS run_start, run.window_end AS run_end"
    " FROM alerts AS a LEFT JOIN jurisdictions AS j ON j.code = a.area_code"
    " LEFT JOIN jurisdictions AS u ON u.code = j.parent_code"
    " LEFT JOIN users AS s ON s.id = a.acknowledged_by LEFT JOIN users AS c ON c.id = a.closed_by"
    " LEFT JOIN hotspot_runs AS run ON run.id = a.run_id"
)
"""An alert as lists show it: its unit's name and the name of the unit above (two villages of a
county may share a name: 华溪镇 and 宁州街道 each have a 新复社区), who signed for it, who
closed it and why, whether its hot spot faded (``faded``: a later run over its unit did not
find it again), and its run's periods, cells and window, on which its class was judged
(``basis``)."""
_RUN_FIELDS = ("run_bin_days", "run_resolution", "run_start", "run_end")
_WHERE = {
    "unclosed": "a.state <> 'closed'",
    "closed": "a.state = 'closed'",
    "all": "true",
}
_ORDER = {  # the feed: the most severe first; the closed: the latest closed first
    "unclosed": "a.level, a.created_at DESC, a.id DESC",
    "closed": "a.closed_at DESC, a.id DESC",
    "all": "a.created_at DESC, a.id DESC",
}


@dataclass(frozen=True)
class AlertPage:
    """A page of alerts as JSON-ready dicts, and how many match in all.

    Attributes
    ----------
    alerts : list of dict
        ``id``, ``area_code``, ``area_name``, ``parent_name`` (the unit above), ``kind``,
        ``level``, ``title``, ``detail``, ``run_id``, ``cell_id``, ``state``, ``created_at``,
        ``refreshed_at`` (a later run found
        it again), ``acknowledged_at``, ``acknowledged_by_name``, ``closed_at``,
        ``closed_by_name``, ``close_note`` (times in ISO 8601), ``case_id`` (the case a
        集中反映 is of, :mod:`layers.repeat_alerts`; None for a hot spot's), ``faded`` (not
        closed, and the
        latest current run over its unit did not find its hot spot again: it may be closed),
        ``basis`` (on what its class was judged: its run's periods, window and cells,
        :func:`layers.hotspot_runs.basis_text`; None without a run). A title written before
        titles named their periods reads as one written since
        (:func:`layers.hotspot_runs.with_basis`).
    matched : int
        Alerts of the scope in that state.
    figures : mapping of int to CellFigures
        The figures of the alerts' cells by cell id, when :func:`listed` read them (for a
        reader of counts only), so that the command feed does not read them again.
    """

    alerts: list[dict[str, Any]]
    matched: int
    figures: Mapping[int, CellFigures] = field(default_factory=dict)


def listed(
    session: Session,
    scope: tuple[str, str],
    *,
    state: str = "unclosed",
    limit: int = 50,
    offset: int = 0,
    closed_since: datetime | None = None,
    closed_before: datetime | None = None,
    min_count: int,
) -> AlertPage:
    """Return a page of the alerts of a scope, as the reader may read them.

    A reader of counts only (``min_count`` > 1) reads each alert's words without what they
    tell of small counts (:func:`shown`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    scope : tuple of str
        The half-open code range ``[lo, hi)`` of the unit.
    state : {'unclosed', 'closed', 'all'}
        Which alerts (:data:`STATES`), in that list's order.
    limit, offset : int
        The page.
    closed_since, closed_before : datetime, optional
        With ``state="closed"``: only the alerts closed since then, before then.
    min_count : int
        Smallest non-zero count shown to the reader (:func:`layers.trends.min_count_for` with
        ``of="cases"``: above 1 for one who may not list the hot cell's cases).

    Returns
    -------
    AlertPage
        The alerts and how many match.

    Raises
    ------
    InvalidInput
        Another state.
    """
    if state not in STATES:
        raise InvalidInput("预警状态只能是 unclosed（未关闭）、closed（已关闭）或 all（全部）")
    closed = "".join(
        clause
        for clause, bound in (
            (" AND a.closed_at >= :since", closed_since),
            (" AND a.closed_at < :before", closed_before),
        )
        if bound is not None
    )
    rows = session.execute(
        text(
            f"{_SELECT} WHERE a.area_code >= :lo AND a.area_code < :hi AND {_WHERE[state]}{closed}"
            f" ORDER BY {_ORDER[state]} LIMIT :limit OFFSET :offset"
        ),
        {
            "lo": scope[0],
            "hi": scope[1],
            "limit": limit,
            "offset": offset,
            "since": closed_since,
            "before": closed_before,
        },
    ).all()
    page = [_json(row) for row in rows]
    return AlertPage(page, int(rows[0].matched) if rows else 0, shown(session, page, min_count))


def alert_json(session: Session, alert_id: int, *, min_count: int) -> dict[str, Any]:
    """Return one alert as :func:`listed` lists it.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    alert_id : int
        The alert (in the reader's scope).
    min_count : int
        Smallest non-zero count shown to the reader (:func:`layers.trends.min_count_for` with
        ``of="cases"``: above 1 for one who may not list the hot cell's cases).

    Returns
    -------
    dict
        The alert's fields (see :class:`AlertPage`).
    """
    alert = _json(session.execute(text(f"{_SELECT} WHERE a.id = :id"), {"id": alert_id}).one())
    shown(session, [alert], min_count)
    return alert


def shown(session: Session, alerts: list[dict[str, Any]], min_count: int) -> dict[int, CellFigures]:
    """Leave out of alerts' words what they tell a reader of counts only of small counts.

    A hot-spot alert's detail gives the cell's Gi* z and p and the cases of the cell and of its
    neighbours; its title the cases of the cell and its neighbours together (本格及相邻格). A
    reader with ``min_count`` above 1 reads the detail without them
    (:func:`layers.hotspot_runs.shown_detail`: the z, a linear function of the ring's cases,
    gave the blanked counts back, trial AJ M4) and the title's number only where the cell's
    本格及相邻格 is shown to them (:meth:`layers.hotspot_cases.CellFigures.shown_around`,
    :func:`layers.hotspot_runs.shown_title`), as in the command feed, the alerts API and the
    brief's closed alerts alike.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    alerts : list of dict
        Alerts as :func:`listed` lists them; changed in place.
    min_count : int
        Smallest non-zero count shown to the reader.

    Returns
    -------
    dict of int to CellFigures
        The figures of the alerts' cells read (:func:`layers.hotspot_cases.figures`); empty
        for ``min_count`` 1, which reads every alert as it is.
    """
    if min_count <= 1 or not alerts:
        return {}
    from layers import hotspot_runs  # layers.hotspot_runs raises alerts with this module

    found = hotspot_cases.figures(session, [a["cell_id"] for a in alerts if a["cell_id"]])
    for alert in alerts:
        figures = found.get(alert["cell_id"]) if alert["cell_id"] else None
        around = figures.shown_around(min_count) if figures is not None else None
        alert["title"] = hotspot_runs.shown_title(alert["title"], around)
        alert["detail"] = hotspot_runs.shown_detail(alert["detail"], min_count)
    return found


def _json(row: Any) -> dict[str, Any]:
    from layers import hotspot_runs  # layers.hotspot_runs raises alerts with this module

    fields = dict(row._mapping)
    fields.pop("matched")
    unit = fields.pop("unit_id")  # an H3 cell, or the case a 集中反映 is of
    fields["case_id"] = int(unit[len(CASE_KEY) :]) if unit and unit.startswith(CASE_KEY) else None
    bin_days, resolution, start, end = (fields.pop(key) for key in _RUN_FIELDS)
    fields["basis"] = None
    if bin_days:
        fields["title"] = hotspot_runs.with_basis(fields["title"], bin_days)
        fields["basis"] = hotspot_runs.basis_text(bin_days, start, end, resolution)
    for key in ("created_at", "refreshed_at", "acknowledged_at", "closed_at"):
        if fields[key] is not None:
            fields[key] = fields[key].isoformat()
    return fields


def raise_or_refresh(session: Session, alerts: Sequence[Alert], *, now: datetime) -> int:
    """Store a run's alerts: refresh the unclosed alert of each one's cell, add the others.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The run's session.
    alerts : sequence of Alert
        New alerts of one run, each with its ``unit_id``.
    now : datetime
        The run's time (``refreshed_at`` of the alerts refreshed).

    Returns
    -------
    int
        Alerts refreshed; the others were added.
    """
    units = [a.unit_id for a in alerts if a.unit_id is not None]
    unclosed = {
        a.unit_id: a
        for a in session.scalars(
            select(Alert)
            .where(Alert.unit_id.in_(units), Alert.state != AlertState.CLOSED)
            .order_by(Alert.id)
            .with_for_update()
        )
    }
    refreshed = 0
    for alert in alerts:
        earlier = unclosed.get(alert.unit_id)
        if earlier is None:
            session.add(alert)
            continue
        for column in ("area_code", "kind", "level", "title", "detail", "run_id", "cell_id"):
            setattr(earlier, column, getattr(alert, column))
        earlier.refreshed_at = now
        refreshed += 1
    session.flush()
    return refreshed


def acknowledge(session: Session, alert_id: int, *, actor: Actor, now: datetime) -> Alert:
    """Sign for an open alert (签收): someone has it in hand.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    alert_id : int
        The alert.
    actor : Actor
        A commander or dispatcher whose scope holds the alert's unit.
    now : datetime
        When.

    Returns
    -------
    Alert
        The alert, acknowledged.

    Raises
    ------
    Forbidden
        Another role.
    NotFound
        No such alert in the actor's scope.
    Conflict
        The alert was signed for or closed already (the message says by whom).
    """
    alert = _for_update(session, alert_id, actor)
    if alert.state != AlertState.OPEN:
        raise Conflict(_already(session, alert))
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_by = actor.user_id
    alert.acknowledged_at = now
    _audit(session, actor, "alert.acknowledge", alert)
    return alert


def close(session: Session, alert_id: int, *, actor: Actor, note: str, now: datetime) -> Alert:
    """Close an alert (关闭) with what was done about it (处置情况).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    alert_id : int
        The alert.
    actor : Actor
        A commander or dispatcher whose scope holds the alert's unit.
    note : str
        What was done, in the operator's words (kept on the alert).
    now : datetime
        When.

    Returns
    -------
    Alert
        The alert, closed. An open alert closed at once counts as signed for by the same
        operator.

    Raises
    ------
    Forbidden
        Another role.
    InvalidInput
        No note, one longer than :data:`NOTE_MAX`, or one holding a resident ID or a mobile
        number (:func:`layers.free_text.refuse_personal_numbers`).
    NotFound
        No such alert in the actor's scope.
    Conflict
        The alert was closed already (the message says by whom).
    """
    note = _check_note(note)
    alert = _for_update(session, alert_id, actor)
    if alert.state == AlertState.CLOSED:
        raise Conflict(_already(session, alert))
    if alert.state == AlertState.OPEN:
        alert.acknowledged_by, alert.acknowledged_at = actor.user_id, now
    alert.state = AlertState.CLOSED
    alert.closed_by, alert.closed_at, alert.close_note = actor.user_id, now, note
    _audit(session, actor, "alert.close", alert)
    return alert


def reopen(session: Session, alert_id: int, *, actor: Actor, reason: str, now: datetime) -> Alert:
    """Reopen a closed alert (重新打开): closed by mistake, or the matter is not over.

    The alert comes back to the feed signed for (``acknowledged``) by whoever reopens it, with
    no close. The audit entry (``alert.reopen``) keeps the reason and the close it undoes: who
    closed it, when, and their 处置情况.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    alert_id : int
        The alert.
    actor : Actor
        A commander or dispatcher whose scope holds the alert's unit.
    reason : str
        Why it is reopened.
    now : datetime
        When.

    Returns
    -------
    Alert
        The alert, signed for by the actor.

    Raises
    ------
    Forbidden
        Another role.
    InvalidInput
        No reason, one longer than :data:`NOTE_MAX`, or one holding a resident ID or a mobile
        number (:func:`layers.free_text.refuse_personal_numbers`).
    NotFound
        No such alert in the actor's scope.
    Conflict
        The alert is not closed, or a later alert about the same hot spot is: that one stands
        for it now.
    """
    reason = _check_note(reason, "重新打开的原因")
    alert = _for_update(session, alert_id, actor)
    if alert.state != AlertState.CLOSED:
        raise Conflict("该预警未关闭，无需重新打开")
    later = None
    if alert.unit_id is not None:
        later = session.scalars(
            select(Alert).where(
                Alert.unit_id == alert.unit_id,
                Alert.state != AlertState.CLOSED,
                Alert.id != alert.id,
            )
        ).first()
    if later is not None:
        created = later.created_at.astimezone(CHINA).strftime("%m月%d日 %H:%M")
        raise Conflict(f"该热点已有未关闭的预警（{created}发出），请在预警列表中处理那一条")
    undone = {
        "closed_by": alert.closed_by,
        "closed_at": alert.closed_at.isoformat() if alert.closed_at else None,
        "close_note": alert.close_note,
    }
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_by, alert.acknowledged_at = actor.user_id, now
    alert.closed_by = alert.closed_at = alert.close_note = None
    _audit(session, actor, "alert.reopen", alert, reason=reason, undone=undone)
    return alert


def close_faded(
    session: Session, scope: tuple[str, str], *, actor: Actor, note: str, now: datetime
) -> list[Alert]:
    """Close every unclosed alert of a unit whose hot spot faded, with one note (批量关闭).

    After weeks of nightly runs the hot spots that faded stand in the list, each to be closed
    with what was done; an operator who checked them closes them at once. Each is closed as
    :func:`close` closes one, and audited.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    scope : tuple of str
        The half-open code range ``[lo, hi)`` of the unit (inside the actor's scope).
    actor : Actor
        A commander or dispatcher.
    note : str
        What was done, for each of them.
    now : datetime
        When.

    Returns
    -------
    list of Alert
        The alerts closed (none when none faded).

    Raises
    ------
    Forbidden
        Another role.
    InvalidInput
        No note, one longer than :data:`NOTE_MAX`, or one holding a resident ID or a mobile
        number (:func:`layers.free_text.refuse_personal_numbers`).
    """
    note = _check_note(note)
    _check_operator(actor)
    faded = session.scalars(
        text(
            f"SELECT a.id FROM alerts AS a WHERE a.area_code >= :lo AND a.area_code < :hi"
            f" AND {_FADED} ORDER BY a.id"
        ),
        {"lo": scope[0], "hi": scope[1]},
    ).all()
    return [close(session, int(i), actor=actor, note=note, now=now) for i in faded]


def _check_operator(actor: Actor) -> None:
    if actor.role not in workflow.OPERATORS:
        raise Forbidden(f"{Role.label_of(actor.role)}不能签收或关闭风险预警")


def _check_note(note: str, noun: str = "处置情况") -> str:
    note = note.strip()
    if not note:
        raise InvalidInput(f"请填写{noun}")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"{noun}不超过 {NOTE_MAX} 字")
    refuse_personal_numbers(note, field=noun, advice=ALERT_NOTE)  # read in clear, or audited
    return note


def _for_update(session: Session, alert_id: int, actor: Actor) -> Alert:
    """Return the alert, locked, if the actor may act on it."""
    _check_operator(actor)
    lo, hi = scope_range(actor.scope_code)
    alert = session.scalars(
        select(Alert)
        .where(Alert.id == alert_id, Alert.area_code >= lo, Alert.area_code < hi)
        .with_for_update()
    ).first()
    if alert is None:
        raise NotFound(NO_ALERT)
    return alert


def _already(session: Session, alert: Alert) -> str:
    """Say who signed for or closed the alert, and when."""
    closed = alert.state == AlertState.CLOSED
    user_id = alert.closed_by if closed else alert.acknowledged_by
    at = alert.closed_at if closed else alert.acknowledged_at
    name = session.execute(
        text("SELECT display_name FROM users WHERE id = :id"), {"id": user_id}
    ).scalar_one_or_none()
    when = "" if at is None else "于" + at.astimezone(CHINA).strftime("%m月%d日 %H:%M")
    return f"该预警已由{name or '他人'}{when}{'关闭' if closed else '签收'}"


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    alert: Alert,
    *,
    reason: str | None = None,
    undone: dict[str, Any] | None = None,
) -> None:
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        actor_name=actor.audit_name,
        action=action,
        object_type="alert",
        object_id=str(alert.id),
        reason=reason,
        detail={"area_code": alert.area_code, "kind": alert.kind}
        | ({"undone_close": undone} if undone else {}),
    )
