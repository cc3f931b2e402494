"""The five-level command feed: a unit, its children with KPIs, its queue and its alerts.

The same JSON shape at every level (province, city, county, township, village). A unit's
children are its live child jurisdictions; a village's children are its live grids
(``kind = "grid"``), an empty list when it has none. A unit a re-division retired is no child;
its cases still count in the unit's own totals, which go by code range. KPIs are computed with
a handful of statements grouped by the child key — ``left(area_code, n)`` for jurisdictions,
``grid_code`` for grids — with ``GROUPING SETS`` giving the unit's own total in the same pass:
the number of queries does not depend on the number of children.

KPIs (``window_days`` back from ``now``, or a given ``window``, where a window applies):

* ``open``: cases not yet resolved; ``overdue``: of those, past their deadline (办结时限);
* ``overdue_contact`` (联系超时): of those, the cases nobody has taken up yet whose 联系时限 has
  passed, by the rule of the queue's red 「联系时限 … 已过」 (:func:`layers.urgency.contact_passed`;
  a user trial read 超期案件 0 beside 8 red marks as a contradiction);
* ``reported`` and ``resolved_share``: cases reported in the window and the share of them that is
  resolved (``None`` when none was reported); a case a history import concluded that its source
  never settled (调解不成功, 已移交, 正在调处 …: :func:`layers.case_import.unsettled_history`) is
  reported, not resolved;
* ``escalations``: escalate (上报) events in the window made at the unit's level or below it (a
  county's 上报 of a case lying in one of its townships counts for the county, not for the
  township; a village's grids count their village's); ``repeats``: repeat reports in the window;
* ``active_hotspots``: hot cells (≥ 95 % confidence) of the current hot-spot runs the unit
  shows (:func:`layers.hotspot_current.shown_runs`: the latest over the whole unit; a planner's
  historic analysis never is one);
* ``cameras``, ``cameras_online_share``, ``cameras_offline``: the cameras in use (not those an
  import of the platform's export retired, :mod:`layers.camera_retirement`), the share of them
  online, and how many are offline (listed by :func:`layers.camera_lists.offline`);
* ``overdue_visits``: special-population persons on the register (not those who left it,
  ``ended_on``) whose last visit is older than the interval of their ``visit_rules`` row (never
  visited: counted from the day they were put on record, :mod:`layers.visits_due`). A reader
  who may not see persons one by one (an analyst, a province's or a city's account,
  :func:`layers.trends.min_count_for`) gets the unit's or a child unit's figure exactly where
  the trends page of that unit gives its total, and a grid's where that page lists the grid (3
  or more overdue), else ``None``: a total only where it tells nothing of the grids not listed,
  judged from the lowest unit up (:func:`layers.trend_tables.shown_totals`), so that the feed
  and the trends page read together tell no grid's small count (trial AJ M3). A department
  gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import division_level, enclosing_code, prefix_length, scope_range
from layers import (
    address_townships,
    alerts,
    case_import,
    case_reminders,
    cases,
    deadline_extensions,
    deadlines,
    dispatch,
    hotspot_cases,
    hotspot_current,
    late_dispatches,
    urgency,
    visits_due,
    workflow,
)
from layers.bulk_handover import HAND_DOWN_SUPERVISE, offered
from layers.case_groups import CaseGroup, StateGroup
from layers.china_time import CHINA
from layers.errors import InvalidInput, no_jurisdiction
from layers.model import Level, Role
from layers.workflow import Actor

_DONE = ", ".join(f"'{s}'" for s in sorted(workflow.DONE_STATES))
_UNSETTLED = case_import.unsettled_history("c")  # history its source never settled
KPI_LABELS: dict[str, str] = {
    "open": "在办案件",
    "overdue": "超期案件",
    "overdue_contact": "联系超时",
    "reported": "近期受理",
    "resolved_share": "办结率",
    "escalations": "上报次数",
    "repeats": "重复反映",
    "active_hotspots": "近期热点（按周）",
    "cameras": "视频点位",
    "cameras_online_share": "视频在线率",
    "overdue_visits": "走访逾期",
}
"""Chinese name of each KPI the 简报 writes, in the order of its columns (layers.work_brief)."""
CARD_LABELS: dict[str, str] = dict(KPI_LABELS)
"""The console's KPI cards in their order: the 简报's columns, 联系超时 beside 超期案件."""
WINDOW_DAYS = 30
"""Days back from now of the windowed KPIs (``reported``, ``resolved_share`` …) by default."""
KPI_NOTES: dict[str, str] = {
    "open": "尚未办结的案件（不含重复反映）",
    "overdue": "在办案件中已超过办结时限的（未受理而已过联系时限的见“联系超时”）",
    "overdue_contact": (
        "尚未受理（已登记、已分流、已上报，或已派单未受理）且已过联系时限的案件，"
        "即待办队列中标红“联系时限 … 已过”的；辖区各层级的都计在内"
    ),
    "reported": "近 {days} 日登记的案件（含重复反映；研判分析的案件数不含）",
    "resolved_share": "近 {days} 日登记的案件中已办结的比例",
    "escalations": ("近 {days} 日辖区内的上报次数：下级上报到本级的，和本级向上级上报的，都计在内"),
    "repeats": "近 {days} 日的重复反映",
    "active_hotspots": (
        "最近一次热点分析（按周分期，覆盖近几个月）中置信度 95% 以上的六边形单元数；相邻的热点"
        "单元合为一处热点，只发一条风险预警。研判分析页的“本期热点单元”按月或按季分析、"
        "六边形大小随辖区层级而定，与此数不同"
    ),
    "cameras": "在用的视频点位",
    "cameras_online_share": "在用视频点位中在线的比例",
    "overdue_visits": "特殊人群中超过走访周期未走访的人数",
}
"""What each KPI counts, for its card's tooltip (``{days}``: the feed's window)."""
WALL_NOTES: dict[str, str] = {
    "overdue": "超过办结时限",
    "overdue_contact": "未受理，已过联系时限",
    "escalations": "含下级上报到本级的、本级向上级上报的",
}
"""What a KPI counts, under its figure on the big screen, where nobody hovers (trial AU M6; a
user trial read 超期案件 0 beside red 「联系时限 … 已过」 marks as a contradiction)."""
KPI_NAMES = tuple(CARD_LABELS)
KPI_FIELDS = (*KPI_NAMES, "cameras_offline")
"""Every key of a unit's ``kpis``: the cards', and the count behind 视频在线率's 离线 N."""
"""Keys of every ``kpis`` object."""
SHARE_KPIS = frozenset({"resolved_share", "cameras_online_share"})
"""KPIs that are shares (0–1), shown as percentages."""
CASE_KPIS = (
    "open",
    "overdue",
    "overdue_contact",
    "reported",
    "resolved_share",
    "escalations",
    "repeats",
)
"""The KPIs a case event can change: the only ones a read of the feed's case parts gives."""
PARTS = ("all", "cases")
"""What a read of the feed holds: everything, or (``cases``) only what a case event can change:
the case KPIs, the queue, the tasks, the recalls, the late dispatches and the new 督办."""


@dataclass(frozen=True)
class _Keys:
    case: str
    event: str
    person: str
    video: str
    cell: str


def _keys(n: int | None) -> _Keys:
    """Child keys: the children's ``n``-character code prefix, or (``None``) the village's grid."""
    if n is not None:
        return _Keys(
            f"left(c.area_code, {n})",
            f"left(e.area_code, {n})",
            f"left(p.area_code, {n})",
            f"left(v.area_code, {n})",
            f"left(h.area_code, {n})",
        )

    def spatial(geom: str) -> str:
        return (
            "(SELECT g.code FROM grids g WHERE g.area_code = :unit AND g.retired_on IS NULL "
            f"AND ST_Covers(g.boundary, {geom}) ORDER BY g.code LIMIT 1)"
        )

    return _Keys(
        "c.grid_code",
        "(SELECT c.grid_code FROM cases c WHERE c.id = e.case_id)",
        "p.grid_code",
        spatial("v.point"),
        spatial("ST_Centroid(h.geom)"),
    )


def _statements(n: int | None, bounded: bool, params: dict[str, Any]) -> dict[str, str]:
    k = _keys(n)
    # the map's 未办结 and 已超期 (layers.case_groups), so the cards count what the map shows
    open_cases = CaseGroup(StateGroup.OPEN, params["now"]).condition("c", params)
    overdue = CaseGroup(StateGroup.OVERDUE, params["now"]).condition("c", params)
    # the queue's red 「联系时限 … 已过」, counted by its rule (trial: 超期案件 0 beside 8 of them)
    contact_passed = urgency.contact_passed("c", params, params["now"])
    scope = "{t}.area_code >= :lo AND {t}.area_code < :hi"
    # a window ends now (the live feed: nothing after it yet) or at a given end (a past brief)
    case_end = " AND c.reported_at < :until" if bounded else ""
    # the level that escalated: by_level since trial AH (a county's 上报 of a case at the
    # township's level is the county's), from_level on the events written before it
    made_at = "coalesce((e.payload ->> 'by_level')::int, (e.payload ->> 'from_level')::int, 5)"
    event_end = " AND e.at < :until" if bounded else ""
    return {
        # open cases through the state filter, the window through the reported_at index:
        # two narrow passes instead of one scan of the unit's whole history
        "open_cases": f"""
            SELECT {k.case} AS k, GROUPING({k.case}) AS total,
                   count(*) AS open,
                   count(*) FILTER (WHERE {overdue}) AS overdue,
                   count(*) FILTER (WHERE {contact_passed}) AS overdue_contact
              FROM cases c WHERE {scope.format(t="c")} AND {open_cases}
             GROUP BY GROUPING SETS (({k.case}), ())""",
        "window_cases": f"""
            SELECT {k.case} AS k, GROUPING({k.case}) AS total,
                   count(*) AS reported,
                   count(*) FILTER (WHERE c.state IN ({_DONE}) AND NOT {_UNSETTLED})
                       AS resolved,
                   count(*) FILTER (WHERE c.duplicate_of IS NOT NULL) AS repeats
              FROM cases c WHERE {scope.format(t="c")} AND c.reported_at >= :since{case_end}
             GROUP BY GROUPING SETS (({k.case}), ())""",
        # through the partial index of escalate events: never the unit's whole log
        # made at the row's level or below it (the county's 上报 of a case lying in a township is
        # the county's, not the township's); an event without by_level nor from_level counts
        # everywhere
        "escalations": f"""
            SELECT {k.event} AS k, GROUPING({k.event}) AS total,
                   CASE GROUPING({k.event})
                       WHEN 1 THEN count(*) FILTER (WHERE {made_at} >= :unit_level)
                       ELSE count(*) FILTER (WHERE {made_at} >= :child_level) END AS escalations
              FROM case_events e
             WHERE {scope.format(t="e")} AND e.action = 'escalate' AND e.at >= :since{event_end}
             GROUP BY GROUPING SETS (({k.event}), ())""",
        "hotspots": f"""
            SELECT {k.cell} AS k, GROUPING({k.cell}) AS total, count(*) AS active_hotspots
              FROM hotspot_cells h
             WHERE {scope.format(t="h")} AND h.bin >= 2
               AND h.run_id = ANY(:runs)
             GROUP BY GROUPING SETS (({k.cell}), ())""",
        "cameras": f"""
            SELECT {k.video} AS k, GROUPING({k.video}) AS total, count(*) AS cameras,
                   count(*) FILTER (WHERE v.status = 'online') AS online
              FROM video_points v WHERE {scope.format(t="v")} AND v.retired_on IS NULL
             GROUP BY GROUPING SETS (({k.video}), ())""",
        "visits": f"""
            SELECT {k.person} AS k, GROUPING({k.person}) AS total, count(*) AS overdue_visits
              FROM persons p
              JOIN visit_rules r
                ON r.category = p.category AND r.management_level = p.management_level
              {visits_due.LAST_VISIT}
             WHERE {scope.format(t="p")} AND p.ended_on IS NULL AND {visits_due.overdue("today")}
             GROUP BY GROUPING SETS (({k.person}), ())""",
    }


def _empty_kpis() -> dict[str, Any]:
    return {
        "open": 0,
        "overdue": 0,
        "overdue_contact": 0,
        "reported": 0,
        "resolved_share": None,
        "escalations": 0,
        "repeats": 0,
        "active_hotspots": 0,
        "cameras": 0,
        "cameras_online_share": None,
        "cameras_offline": 0,
        "overdue_visits": 0,
    }


def _fold(target: dict[str, Any], name: str, row: Any) -> None:
    if name == "open_cases":
        target["open"] = row.open
        target["overdue"] = row.overdue
        target["overdue_contact"] = row.overdue_contact
    elif name == "window_cases":
        target["reported"] = row.reported
        target["repeats"] = row.repeats
        target["resolved_share"] = round(row.resolved / row.reported, 4) if row.reported else None
    elif name == "cameras":
        target["cameras"] = row.cameras
        target["cameras_online_share"] = round(row.online / row.cameras, 4) if row.cameras else None
        target["cameras_offline"] = row.cameras - row.online
    else:
        key = {"escalations": "escalations", "hotspots": "active_hotspots"}.get(
            name, "overdue_visits"
        )
        target[key] = getattr(row, key)


def _suppress_person_counts(
    session: Session,
    code: str,
    unit: dict[str, Any],
    children: list[tuple[str, dict[str, Any]]],
    *,
    actor: Actor,
    now: datetime,
) -> int | None:
    """Give the 走访逾期 the actor may see, the others ``None``; say where the figures are.

    A reader with a minimum count above 1 (:func:`layers.trends.min_count_for`: an analyst, a
    province's or a city's account) gets the 走访逾期 of the unit or of a child unit exactly
    where the trends page (研判分析) of that unit gives its total, and a grid's where that page
    lists the grid, with the page's figures: read from the same grids as
    :func:`layers.trend_tables.overdue_visits` (the feed's own ``visits`` statement is not run
    for them), a total given only where it tells nothing of the grids not listed, judged from
    the lowest unit up (:func:`layers.trend_tables.shown_totals`). So the feed and the trends
    page read together tell no grid not listed (trial AJ M3: a village's figure here beside its
    grids listed there told 8 villages' and 31 grids' counts). A department, which may not read
    the special-population layer at all (:func:`layers.catalog.readable`), gets none of them;
    those who read the persons one by one get every figure exactly (the ``visits`` statement).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        The feed's unit.
    unit : dict
        The unit's KPIs.
    children : list of tuple
        Each child's code (a unit's, or a grid's) and KPIs.
    actor : Actor
        Who reads.
    now : datetime
        Reference instant (the trends page's).

    Returns
    -------
    int or None
        Where a reader whose unit's 走访逾期 is withheld finds figures: the highest level below
        ``code`` at which some unit's total is given (4: its townships), so that 「—」 points
        there and not one level down to another 「—」 (trial AR M2); None when the unit's own
        figure is given, or no unit below it has one (then only the trends page's grids).
    """
    from layers import trends  # layers.trends imports this module
    from layers.trend_tables import shown_totals

    min_count = trends.min_count_for(actor)
    if actor.role == Role.DEPARTMENT:
        for kpi in (unit, *(k for _, k in children)):
            kpi["overdue_visits"] = None
        return None
    if min_count <= 1:
        return None
    rows, live = _overdue_rows(session, code, now=now)
    overdue = [int(r.overdue) for r in rows]
    listed = [n >= min_count for n in overdue]
    units = [r.area_code or code for r in rows]
    given = shown_totals(overdue, listed, units, code, min_count, cap=min_count - 1, children=live)
    for child, kpi in [(code, unit), *children]:
        if len(child) > len(code):  # a grid: listed or not
            figure = sum(n for r, n in zip(rows, overdue, strict=True) if r.grid_code == child)
            kpi["overdue_visits"] = figure if figure >= min_count else None
        else:
            lo, hi = scope_range(child)
            figure = sum(n for u, n in zip(units, overdue, strict=True) if lo <= u < hi)
            kpi["overdue_visits"] = figure if given.get(child, False) else None
    if unit["overdue_visits"] is not None:
        return None
    below = [division_level(c) for c, shown in given.items() if shown and c != code]
    return min(below, default=None)


def _overdue_rows(
    session: Session, code: str, *, now: datetime
) -> tuple[list[Any], dict[str, set[str]]]:
    """Return the rows of the trends page's 走访逾期 in ``code`` and the units in use under each.

    One statement: per grid (and unit, as :func:`layers.trend_tables.overdue_visits` groups
    them) ``grid_code``, ``area_code`` and ``overdue`` on the centre's day of ``now``, and the
    live jurisdictions under each unit (the ``children`` of
    :func:`layers.trend_tables.shown_totals`).
    """
    lo, hi = scope_range(code)
    rows = session.execute(
        text(
            "SELECT q.grid_code, min(q.area_code) AS area_code,"
            " CAST(sum(q.overdue) AS bigint) AS overdue,"
            # the live units once, on the first row: on every row (a county's 700 grids)
            # psycopg decoded the same JSON 700 times at each poll of the feed
            " CASE WHEN row_number() OVER () = 1 THEN"
            "  (SELECT coalesce(json_agg(json_build_array(u.parent_code, u.code)), '[]')"
            "    FROM jurisdictions u WHERE u.code >= :lo AND u.code < :hi"
            "     AND u.retired_on IS NULL AND u.parent_code IS NOT NULL) END AS live"
            # each person counted by grid and village first, the names joined to those
            # groups: joined to each person they were a third of the statement (trial BC M4)
            " FROM (SELECT p.grid_code, p.area_code,"
            f"  count(*) FILTER (WHERE {visits_due.overdue('today')}) AS overdue"
            "  FROM persons p"
            "  JOIN visit_rules r ON r.category = p.category"
            "   AND r.management_level = p.management_level"
            f"  {visits_due.LAST_VISIT}"
            "  WHERE p.area_code >= :lo AND p.area_code < :hi AND p.ended_on IS NULL"
            "  GROUP BY p.grid_code, p.area_code) q"
            " LEFT JOIN jurisdictions j ON j.code = q.area_code"
            " LEFT JOIN jurisdictions t ON t.code = left(q.area_code, 9) || '000'"
            " GROUP BY q.grid_code, t.name, j.name"  # the rows of the trends page
        ),
        {"lo": lo, "hi": hi, "today": now.astimezone(CHINA).date()},
    ).all()
    live: dict[str, set[str]] = {}
    for parent, child in next((r.live for r in rows if r.live is not None), []):
        live.setdefault(parent, set()).add(child)
    return list(rows), live


def _with_cell_figures(session: Session, page: alerts.AlertPage, min_count: int) -> None:
    """Give each alert of a hot cell the cell's figures as its popup says them (``cell``).

    本格 and 本格及相邻格 and the confidence by the Gi* bin, read as the map's popup reads them
    (:func:`layers.hotspot_cases.figures`, or those :func:`layers.alerts.listed` read already),
    small counts blanked as there (:func:`layers.hotspot_cases.shown_figures`); ``None`` for an
    alert without a cell. A reader with a minimum count above 1 (one who may not list the
    cell's cases, :func:`layers.trends.min_count_for` with ``of="cases"``: an analyst) gets
    the cell's ``z`` and ``p`` as null, as on the map (:func:`layers.command_map.hot_cells`),
    本格及相邻格 only where no cell of its ring holds 1 or 2 cases, and the alert's title and
    detail as the list gave them (:func:`layers.alerts.shown`): a z, a linear function of the
    ring's cases, gave the blanked counts back (trial AJ M4), and the ring's sum a lone hidden
    neighbour's.
    """
    listed = page.alerts
    found = page.figures or hotspot_cases.figures(
        session, [a["cell_id"] for a in listed if a["cell_id"]]
    )
    for alert in listed:
        figures = found.get(alert["cell_id"])
        alert["cell"] = hotspot_cases.shown_figures(figures, min_count) if figures else None


SUPERVISIONS_LISTED = 50
"""Most new 督办 the feed lists (``supervisions``; ``supervisions_total`` counts them all)."""


def new_supervisions(session: Session, code: str, level: int) -> list[dict[str, Any]]:
    """Return the 督办 from above the unit that nobody at its level or below has acted on since.

    A superior's 督办 (``supervise``) keeps the case's state, and a case under an earlier 督办
    already wore the red badge: the county saw nothing of a new one (trial AM M2). A 督办 is new
    to unit ``code`` (level ``level``) while it is the latest of its case, the case lies in the
    unit's range, is not settled and is handled at the unit's level or below, or a higher
    level dispatched it to the unit's centre (派单至本级单位: the township on site with the
    county's case sees the city's 督办 of it, trial AU M1), it was issued by
    an account above the unit (not one without an account: a seeded or imported 督办 says no
    more than its centre's name, and was the unit's own as often as its superior's), and no
    account of the unit's level or below has acted on the case since (any case action,
    :data:`layers.workflow.RULES`: 分流, 派单, 处置反馈, 催办, 上报 …; not a 重复反映 linked to it
    by whoever registered the repeat).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    code : str
        The unit's 12-digit code.
    level : int
        Its level (1–5).

    Returns
    -------
    list of dict
        The latest first: ``case_id``, ``code``, ``title``, ``state``, ``handling_level``,
        ``area_code``, ``at`` (when it was issued), ``by`` (who), ``note`` (督办意见) and
        ``deadline`` (督办时限).
    """
    lo, hi = scope_range(code)
    cut = prefix_length(level - 1) if level > 1 else 0
    rows = session.execute(
        text(
            "SELECT s.case_id, s.at, s.actor_name, s.note, c.code, c.title, c.state,"
            " c.handling_level, c.area_code, c.supervision_deadline"
            " FROM (SELECT DISTINCT ON (e.case_id) e.case_id, e.id, e.at, e.actor_name, e.note,"
            "              e.actor_id"
            "         FROM case_events e"
            "        WHERE e.action = 'supervise' AND e.area_code >= :lo AND e.area_code < :hi"
            "        ORDER BY e.case_id, e.id DESC) s"
            " JOIN cases c ON c.id = s.case_id"
            " JOIN users u ON u.id = s.actor_id"
            f" WHERE c.supervision_deadline IS NOT NULL AND c.state NOT IN ({_DONE})"
            "  AND c.area_code >= :lo AND c.area_code < :hi"
            # handled at the unit's level or below, or dispatched to the unit's centre (AU M1)
            "  AND (c.handling_level >= :level OR EXISTS (SELECT 1 FROM dispatches d"
            "        WHERE d.case_id = c.id AND d.assignee_kind = 'unit' AND d.unit_code = :unit"
            "          AND d.status IN ('assigned', 'accepted', 'arrived')))"
            # issued from above the unit: the account's code is zero past the level above's
            "  AND substring(u.scope_code FROM :cut + 1) = :zeros"
            "  AND NOT EXISTS (SELECT 1 FROM case_events a JOIN users v ON v.id = a.actor_id"
            "                   WHERE a.case_id = s.case_id AND a.id > s.id"
            "                     AND a.action = ANY(:answers)"
            "                     AND substring(v.scope_code FROM :cut + 1) <> :zeros)"
            " ORDER BY s.at DESC, s.case_id DESC"
        ),
        {
            "unit": code,
            "lo": lo,
            "hi": hi,
            "level": level,
            "cut": cut,
            "zeros": "0" * (12 - cut),
            "answers": sorted(workflow.RULES),
        },
    ).all()
    return [
        {
            "case_id": r.case_id,
            "code": r.code,
            "title": r.title,
            "state": r.state,
            "handling_level": r.handling_level,
            "area_code": r.area_code,
            "at": r.at.isoformat(),
            "by": r.actor_name,
            "note": r.note,
            "deadline": r.supervision_deadline.isoformat(),
        }
        for r in rows
    ]


def hotspot_runs_shown(session: Session, run_ids: list[int]) -> list[dict[str, Any]]:
    """Say what the 近期热点 card counts: each run's window, period and cell size (trial AM M6).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    run_ids : list of int
        The runs the unit shows (:func:`layers.hotspot_current.shown_runs`).

    Returns
    -------
    list of dict
        ``id``, ``area_code``, ``window_start``, ``window_end`` (excluded), ``bin_days`` (days
        of a period), ``resolution`` (H3) and ``cell_km2`` (a cell's area, km²).
    """
    from layers.trends import cell_km2  # layers.trends imports this module

    if not run_ids:
        return []
    rows = session.execute(
        text(
            "SELECT id, area_code, window_start, window_end, params FROM hotspot_runs"
            " WHERE id = ANY(:ids) ORDER BY id"
        ),
        {"ids": run_ids},
    ).all()
    shown = []
    for r in rows:
        resolution = (r.params or {}).get("resolution")
        shown.append(
            {
                "id": r.id,
                "area_code": r.area_code,
                "window_start": r.window_start.isoformat(),
                "window_end": r.window_end.isoformat(),
                "bin_days": (r.params or {}).get("bin_days"),
                "resolution": resolution,
                "cell_km2": cell_km2(int(resolution)) if resolution is not None else None,
            }
        )
    return shown


def _case_json(
    case: Any, now: datetime, actor: Actor, limits_config: dict[str, Any] | None
) -> dict[str, Any]:
    warn_at = deadlines.warning_from(case.reported_at, case.deadline, config=limits_config)
    allowed = workflow.allowed_actions(
        case.state,
        handling_level=case.handling_level,
        actor=actor,
        supervised_until=case.supervision_deadline,  # no 督办 again while one stands
        now=now,
    )  # and 交办并督办 where the level may 交办 its own case but not 督办 it (trial AZ m8)
    return {
        "id": case.id,
        "code": case.code,
        "title": case.title,
        "category": case.category,
        "state": case.state,
        "risk_level": case.risk_level,
        "handling_level": case.handling_level,
        "area_code": case.area_code,
        "reported_at": case.reported_at.isoformat(),
        # 联系时限: a grid worker's phone says it when a task comes in (trial AO M5)
        "contact_deadline": case.contact_deadline.isoformat() if case.contact_deadline else None,
        "deadline": case.deadline.isoformat() if case.deadline else None,
        "deadline_status": deadlines.status(
            case.reported_at, case.deadline, now=now, config=limits_config
        ),
        "deadline_warn_at": warn_at.isoformat() if warn_at else None,
        "supervision_deadline": (
            case.supervision_deadline.isoformat() if case.supervision_deadline else None
        ),
        "repeat_count": case.repeat_count,
        "version": case.version,
        "escalate_to_level": cases.escalation_target(case),  # 上报至… (trial AH S1)
        "allowed_actions": (
            [*allowed, HAND_DOWN_SUPERVISE] if offered(case, actor, allowed, now=now) else allowed
        ),
    }


def _supervision_json(facts: cases.Latest, new: bool) -> dict[str, Any]:
    """Return a listed case's standing 督办 (who, when, 督办意见, 时限), new to the unit or not."""
    fact = facts.supervised
    # 已派单 N 分钟未受理 (trial AZ M7): since when its dispatch waits, to whom, its limit; and
    # the 吹哨 standing, how many of its departments answered (吹哨 已反馈 1/2)
    awaiting = {
        "awaiting": facts.awaiting.as_json() if facts.awaiting is not None else None,
        "summon": facts.summon_json(),
        "taken_up": facts.taken_up,  # 受理'd once: its 联系时限 met (urgency.contact_passed)
    }
    if fact is None:
        return {"supervision": None} | awaiting
    return {
        "supervision": {
            "at": fact.at.isoformat(),
            "by": fact.actor_name,
            "note": fact.note,
            "deadline": fact.payload.get("deadline"),
            "new": new,
        }
    } | awaiting


def ancestors(session: Session, code: str) -> list[dict[str, Any]]:
    """Return the units above ``code`` and ``code`` itself, from the province down.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (ancestors of the scope are readable under row-level security).
    code : str
        12-digit jurisdiction code.

    Returns
    -------
    list of dict
        ``code``, ``name``, ``level`` and ``level_label`` of each existing unit, top first.
    """
    level = division_level(code)
    codes = [enclosing_code(code, above) for above in range(1, level + 1)]
    rows = session.execute(
        text("SELECT code, name, level FROM jurisdictions WHERE code = ANY(:codes) ORDER BY level"),
        {"codes": codes},
    ).all()
    return [
        {"code": r.code, "name": r.name, "level": r.level, "level_label": Level(r.level).label}
        for r in rows
    ]


RETIRED_MARK = "（已撤销）"
"""Appended to the name of a unit a re-division retired where a record's own unit is shown."""


def record_units(
    session: Session, *, area_code: str, grid_code: str | None
) -> dict[str, dict[str, Any] | None]:
    """Return the jurisdiction and grid a record names, retired or not (history).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader (the record is in scope, and so are its units).
    area_code : str
        The record's 12-digit jurisdiction code.
    grid_code : str or None
        The record's 15-digit grid code.

    Returns
    -------
    dict
        ``area`` and ``grid``: ``code``, ``name``, ``retired_on`` (ISO date or None) and
        ``label`` (the name, followed by :data:`RETIRED_MARK` for a retired unit); None for a
        unit not on record (or no grid).
    """
    rows = session.execute(
        text(
            "SELECT 'area' AS kind, code, name, retired_on FROM jurisdictions WHERE code = :area"
            " UNION ALL"
            " SELECT 'grid', code, name, retired_on FROM grids WHERE code = :grid"
        ),
        {"area": area_code, "grid": grid_code},
    ).all()
    found: dict[str, dict[str, Any] | None] = {"area": None, "grid": None}
    for r in rows:
        found[r.kind] = {
            "code": r.code,
            "name": r.name,
            "retired_on": r.retired_on.isoformat() if r.retired_on else None,
            "label": r.name + (RETIRED_MARK if r.retired_on else ""),
        }
    return found


def counties_held(session: Session, code: str, level: int) -> list[dict[str, str]]:
    """Return the counties this platform holds under a province or city.

    A county's centre holds its own county alone, with the province and the city above it
    (``zongzhi divisions``): a province's or city's figures are then those counties', and the
    views say which they are, so that they are not read as the whole province's or city's.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    code : str
        The unit's 12-digit code.
    level : int
        Its level (1 province … 5 village).

    Returns
    -------
    list of dict
        ``code`` and ``name`` of each live county (区、县级市) under the unit, by code; empty
        below the city level.
    """
    if level > 2:
        return []
    lo, hi = scope_range(code)
    rows = session.execute(
        text(
            "SELECT code, name FROM jurisdictions WHERE level = 3 AND retired_on IS NULL"
            " AND code >= :lo AND code < :hi ORDER BY code"
        ),
        {"lo": lo, "hi": hi},
    ).all()
    return [{"code": r.code, "name": r.name} for r in rows]


def held_counties_note(counties: list[dict[str, str]], figures: str = "本页") -> str:
    """Return what a province's or city's view says of the counties its figures cover.

    Parameters
    ----------
    counties : list of dict
        :func:`counties_held`.
    figures : str
        Whose figures they are (本页, 本简报, 本报告).

    Returns
    -------
    str
        The sentence, empty when no county is listed (a county's or lower unit's view).

    Examples
    --------
    >>> held_counties_note([{"code": "530424000000", "name": "华宁县"}], "本报告")[:29]
    '本平台接入的县（市、区）：华宁县（1 个）。本报告数字只含'
    >>> held_counties_note([])
    ''
    """
    if not counties:
        return ""
    names = "、".join(c["name"] for c in counties)
    return (
        f"本平台接入的县（市、区）：{names}（{len(counties)} 个）。{figures}数字只含这些"
        "县（市、区）的数据，未接入的县（市、区）不在统计之内。"
    )


def feed(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    window_days: int = WINDOW_DAYS,
    window: tuple[datetime, datetime] | None = None,
    queue_limit: int = 50,
    alert_limit: int = 200,
    limits_config: dict[str, Any] | None = None,
    parts: str = "all",
) -> dict[str, Any]:
    """Return the command feed of the unit ``code``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Whose scope applies.
    now : datetime
        Reference time (overdue, windows).
    window_days : int
        Window of the reported / resolved / escalations / repeats KPIs: so many days up to
        ``now``.
    window : tuple of datetime, optional
        That window as ``[start, end)`` instead (a brief of a past month,
        :mod:`layers.work_brief`).
    queue_limit, alert_limit : int
        Lengths of the queue and alert lists.
    limits_config : dict, optional
        Deadline configuration (:func:`layers.deadlines.for_deployment`) whose
        ``warn_fraction`` sets each queued case's ``deadline_status`` and ``deadline_warn_at``;
        default the built-in.

    Returns
    -------
    dict
        ``{"unit", "children", "counties", "ancestors", "queue", "tasks", "recalled", "alerts",
        "alerts_total", "supervisions", "supervisions_total", "hotspot_runs", "window_days",
        "generated_at"}``; ``counties`` are the counties the
        platform holds under a province or city (:func:`counties_held`); ``alerts_total`` is
        how many alerts are not closed (``alerts`` lists at most ``alert_limit`` of them, the
        most severe first, each with its hot cell's figures under ``cell``: ``own`` 本格,
        ``around`` 本格及相邻格, ``bin``, ``z``, ``p``, as the cell's popup gives them);
        ``unit`` and each child carry ``code``, ``name``, ``kind``, ``level``, ``level_label``
        and ``kpis``, the unit also ``overdue_visits_below``: where its 走访逾期 withheld is
        given in parts (the level, :func:`_suppress_person_counts`); ``ancestors`` runs from
        the province down to the unit (breadcrumbs); each
        queued case carries the ``allowed_actions`` of the actor, the ``reminders`` (催办)
        standing on it (:mod:`layers.case_reminders`) and ``awaiting``, its dispatch not
        受理'd yet (:meth:`layers.urgency.Waiting.as_json`, else ``None``), the queue listing
        what needs action now first (:func:`layers.urgency.queue_order`); ``tasks`` are the
        cases dispatched to a grid worker's own worker record and not finished (我的任务, empty
        for other roles),
        wherever their handling level, each with its reminders, its ``contact_deadline``
        (联系时限) and the dispatcher's ``dispatch_note`` and ``dispatched_by``; ``recalled``
        are the dispatches to him taken back in the last days (最近撤回,
        :func:`layers.dispatch.recent_recalls`: who, why, when). A queued case or task also
        carries its standing ``supervision`` (督办: ``at``, ``by``, ``note``, ``deadline``, and
        ``new`` when nobody at the unit's level or below has acted on it since), ``None``
        without one, its ``summon`` (吹哨: each department named and whether it answered,
        :meth:`layers.cases.Latest.summon_json`), ``None`` without one, and its ``extension``
        (申请延期 of its current round, ``status`` ``pending`` while it waits:
        :mod:`layers.deadline_extensions`);
        ``supervisions`` lists the new 督办 of the unit's range (:func:`new_supervisions`, at
        most :data:`SUPERVISIONS_LISTED`, ``supervisions_total`` counts them);
        ``hotspot_runs`` says the window, period and cell size of the runs the 近期热点 card
        counts (:func:`hotspot_runs_shown`); ``late_dispatches`` the area's dispatches of every
        level waiting for their 受理 past the limit (辖区派单超时未受理,
        :func:`layers.late_dispatches.as_json`; none with ``window``); ``parts`` says which
        parts it holds.
    parts : str
        ``all``, or ``cases`` (:data:`PARTS`): only what a case event can change, which the
        command page reads again on each live case event (trial BC M4): the ``kpis`` of
        :data:`CASE_KPIS`, with the same figures as a full read, and neither
        ``overdue_visits_below``, ``counties``, ``hotspot_runs``, ``alerts`` nor
        ``alerts_total`` (走访逾期, the cameras, the hot cells and the alerts change with
        their own writes: a visit, an import, a run, an alert's notice).

    Raises
    ------
    NotFound
        ``code`` is not a jurisdiction inside the actor's scope.
    """
    if parts not in PARTS:
        raise InvalidInput("parts 只能是 all（全部）或 cases（案件部分）")
    only_cases = parts == "cases"
    lo, hi, level = cases.unit_range(code, actor)
    path = ancestors(session, code)  # the unit itself is the last one
    if not path or path[-1]["code"] != code:
        raise no_jurisdiction(code)
    unit_row = path[-1]
    n: int | None = None  # children's key: code prefix, or (grids) the whole code
    if level < 5:
        child_rows = session.execute(
            text(
                "SELECT code, name, level, min(level) OVER () AS child_level FROM jurisdictions "
                "WHERE parent_code = :code AND retired_on IS NULL ORDER BY code"
            ),
            {"code": code},
        ).all()
        # by the children's own level: a city without counties (东莞) has townships as children
        n = prefix_length(child_rows[0].child_level if child_rows else level + 1)
        kind = "jurisdiction"
    else:
        child_rows = session.execute(
            text(
                "SELECT code, name, NULL AS level FROM grids"
                " WHERE area_code = :code AND retired_on IS NULL ORDER BY code"
            ),
            {"code": code},
        ).all()
        kind = "grid"
    params: dict[str, Any] = {
        "lo": lo,
        "hi": hi,
        "now": now,
        "today": now.astimezone(CHINA).date(),  # the centre's day, not the session's zone's
        "since": window[0] if window else now - timedelta(days=window_days),
        "until": window[1] if window else None,
        "unit": code,
        "runs": [] if only_cases else hotspot_current.shown_runs(session, code),
        "unit_level": level,
        # a grid counts its village's 上报 (grids do not escalate)
        "child_level": child_rows[0].child_level if kind == "jurisdiction" and child_rows else 5,
    }
    unit_kpis = _empty_kpis()
    by_key: dict[str, dict[str, Any]] = {row.code[:n]: _empty_kpis() for row in child_rows}
    statements = _statements(n, window is not None, params)
    from layers import trends  # layers.trends imports this module

    min_count = trends.min_count_for(actor)
    if min_count > 1 or actor.role == Role.DEPARTMENT or only_cases:
        # read as the trends page reads them, or not at all (_suppress_person_counts)
        del statements["visits"]
    if only_cases:  # what no case event changes (trial BC M4)
        del statements["cameras"], statements["hotspots"]
    for name, sql in statements.items():
        for row in session.execute(text(sql), params):
            if row.total:
                _fold(unit_kpis, name, row)
            elif row.k in by_key:
                _fold(by_key[row.k], name, row)
    children = [
        {
            "code": row.code,
            "name": row.name,
            "kind": kind,
            "level": row.level,
            "level_label": Level(row.level).label if row.level else "网格",
            "kpis": by_key[row.code[:n]],
        }
        for row in child_rows
    ]
    visits_below = None
    if not only_cases:
        visits_below = _suppress_person_counts(
            session,
            code,
            unit_kpis,
            [(row.code, by_key[row.code[:n]]) for row in child_rows],
            actor=actor,
            now=now,
        )
    waiting = cases.queue(session, actor=actor, code=code, limit=queue_limit, now=now)
    mine = cases.tasks_of(session, actor=actor, limit=queue_limit, now=now)
    # 辖区派单超时未受理 (trial AZ M7): one statement; none in a brief of a past window
    late = None if window else late_dispatches.read(session, lo, hi, actor=actor, now=now)
    marks = case_reminders.marks(session, [c.id for c in [*waiting, *mine]])
    facts = cases.latest(session, [*waiting, *mine])  # the 督办 standing: who, when, 督办意见
    extended = deadline_extensions.latest(session, [c.id for c in [*waiting, *mine]])
    elsewhere = address_townships.for_cases(session, [c.id for c in [*waiting, *mine]])
    fresh = new_supervisions(session, code, level)
    fresh_ids = {f["case_id"] for f in fresh}
    body: dict[str, Any] = {
        "parts": parts,
        "unit": {
            "code": unit_row["code"],
            "name": unit_row["name"],
            "kind": "jurisdiction",
            "level": unit_row["level"],
            "level_label": unit_row["level_label"],
            "kpis": unit_kpis,
        },
        "children": children,
        "ancestors": path,
        "queue": [
            _case_json(c, now, actor, limits_config)
            | case_reminders.as_json(marks[c.id], task=False)
            | _supervision_json(facts[c.id], c.id in fresh_ids)
            | deadline_extensions.as_json(extended[c.id], c)  # 待审延期 (trial AX S5)
            | address_townships.as_json(elsewhere, c.id)  # 地址与位置不符 (trial AX M4)
            for c in waiting
        ],
        "tasks": [
            _case_json(c, now, actor, limits_config)
            | case_reminders.as_json(marks[c.id], task=True)
            | _supervision_json(facts[c.id], c.id in fresh_ids)
            | deadline_extensions.as_json(extended[c.id], c)
            | address_townships.as_json(elsewhere, c.id)
            for c in mine
        ],
        "recalled": dispatch.recent_recalls(session, actor=actor, now=now),
        "late_dispatches": late_dispatches.as_json(
            late, lambda c: _case_json(c, now, actor, limits_config)
        ),
        "supervisions": fresh[:SUPERVISIONS_LISTED],
        "supervisions_total": len(fresh),
        "window_days": window_days,
        "generated_at": now.isoformat(),
    }
    if only_cases:
        for kpis in (unit_kpis, *by_key.values()):
            for name in set(kpis) - set(CASE_KPIS):
                del kpis[name]
        return body
    # a hot cell's case figures: withheld only from who may not list its cases (trial AM M4)
    cell_min = trends.min_count_for(actor, of="cases")
    unclosed = alerts.listed(
        session, (lo, hi), limit=max(1, min(alert_limit, 500)), min_count=cell_min
    )
    _with_cell_figures(session, unclosed, cell_min)
    body["unit"]["overdue_visits_below"] = visits_below
    return body | {
        "counties": counties_held(session, code, level),
        "hotspot_runs": hotspot_runs_shown(session, params["runs"]),
        "alerts": unclosed.alerts,
        "alerts_total": unclosed.matched,
    }
