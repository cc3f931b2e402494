"""Hot-spot runs over stored cases: Gi* on H3 cells, emerging classes, alerts to command.

A run reads the located cases of a scope and time window, counts them per H3 cell (with a ring
of empty cells so the statistic sees the zeros), computes Getis-Ord Gi* (``geo.hotspots``) and,
when the window holds at least three time bins, the emerging hot spot class of each cell
(``geo.emerging``). Cells are stored in ``hotspot_cells`` with their polygon and the area code of
the deepest live jurisdiction (not one a re-division retired) containing the cell centre (the
OGC ``hotspots`` collection and the command feed read that table). New, consecutive,
intensifying and persistent hot spots become ``alerts`` addressed to that jurisdiction: a new
hot spot that stays hot is *consecutive* on the following nights (hot in an unbroken run of the
last periods), and its alert is refreshed, not left to read 已消退.

An alert names the cases behind the hot spot, not the cell's own count: Gi* weighs a cell with
the six cells around it, so an empty cell next to a dense one is hot too (and used to read
"0 起案件"). Its title counts the cases of the cell and its neighbours over the whole window and
says in how many of the window's periods the cell was hot, e.g.
``持续热点（按周判定）：新复社区一带 114 起案件，近 12 周中 11 周为热点``; the class names the
periods it was judged on (the trends page and its report judge the same classes on 24 months:
trial AO M3, a village 加剧热点 here and 持续热点 there); its detail says what the class means
(:data:`MEANINGS`), gives Gi* z and p, the cell's own count and the window's dates. A listed
alert carries its basis in full (:func:`basis_text`: the periods, the window, the cells).

A cell is hot or cold by the normal p-value of its Gi* z-score (two-sided; 90, 95 or 99 %
confidence), as ArcGIS's Hot Spot Analysis bins its ``Gi_Bin`` and as the emerging classes
judge each period. The cell's own count is part of Gi*, and of its significance. A run asked
for ``permutations`` uses the conditional permutations' pseudo p-values instead, which hold the
cell's own count fixed and so judge its neighbours alone. On the demo county's last year
(2,040 cases, 1,371 cells) they called a cell of 114 cases and an empty cell of z 0.39 alike
95 % hot, seven of the ten densest cells 95 % only, and 12 empty cells hot (the normal p-value:
all ten 99 %, 3 empty cells hot).

One hot spot raises one alert. Gi* makes the ring around a dense cell hot with it, and every
cell of such a clump used to raise its own (51 alerts in the demo county, seven for the cells
around 复安社区's densest one). Of adjacent alerting cells only the most severe class alerts,
and of equally severe ones the cell of the highest z-score (:func:`_peaks`): the demo county
gets 6, each at a cell of 44 to 114 cases of its own.

A run over a window that ended more than one time bin before it is made is a *historic
analysis* (:mod:`layers.hotspot_current`): stored and read by its number (:func:`run_cells`),
it raises no alert and never becomes the run the console shows.

So is a *trial run* (试算) over any window: an analyst's run always (研判分析员 try out cell sizes
and time bins: trial AY S1, whose three runs took the county's board from 6 open alerts to 20
and replaced the hot spots the command map, the 大屏 and the township console's legend drew),
and an operator's asked with ``trial`` (``POST /api/hotspots/runs``) or ``--no-alerts``. It is
stored with ``"trial": true`` in its ``params`` (:func:`list_runs` says ``trial``) and read by its
number. A window that starts after today is refused: it holds no case yet.

Runs are made on demand (``POST /api/hotspots/runs``) or from cron with the CLI command
``zongzhi hotspots run --scope CODE`` (the last :data:`NIGHTLY_DAYS` days), for a past period
with ``--start`` and ``--end``, and without touching the console or the alerts with
``--no-alerts`` (:mod:`layers.hotspots_cli`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from geo.emerging import EmergingClass, emerging_hotspots
from geo.hotspots import MIN_INCIDENTS, PSource, getis_ord_gi_star
from geo.spacetime import build_cube
from geo.units import count_in_h3
from geo.weights import h3_ring
from layers import accounts, audit, cases
from layers import alerts as alerts_layer
from layers.cell_places import cell_units
from layers.china_time import CHINA
from layers.errors import Forbidden, InvalidInput, NotFound
from layers.hotspot_current import aware, is_historic, window_dates
from layers.model import Alert, HotspotRun, Role
from layers.workflow import Actor

#: Emerging classes that raise an alert, with the alert level (1 highest) and title prefix.
ALERTING: dict[EmergingClass, tuple[int, str]] = {
    EmergingClass.NEW_HOT: (2, "新增热点"),
    EmergingClass.CONSECUTIVE_HOT: (2, "连续热点"),
    EmergingClass.INTENSIFYING_HOT: (1, "加剧热点"),
    EmergingClass.PERSISTENT_HOT: (2, "持续热点"),
    # hot again now after an earlier spell (e.g. a site that was hot once a year ago and has been
    # for the last weeks): a place the operators must look at as much as a new one
    EmergingClass.SPORADIC_HOT: (3, "零星热点"),
}
MEANINGS: dict[EmergingClass, str] = {
    EmergingClass.NEW_HOT: "只在最近一期成为热点",
    EmergingClass.CONSECUTIVE_HOT: "最近连续几期为热点，此前不是，为热点的期数不到九成",
    EmergingClass.INTENSIFYING_HOT: "九成以上的统计期为热点（含最近一期），且一期比一期集中",
    EmergingClass.PERSISTENT_HOT: "九成以上的统计期为热点，集中程度没有明显升降",
    EmergingClass.SPORADIC_HOT: "时而为热点、时而不是（为热点的期数不到九成），最近一期为热点",
}
"""What each alerting class means, as an alert's detail says it (trial AF: 零星热点 read as
"sporadic, minor" for a place hot in 42 of 53 weeks; the planners' monthly view called it 连续)."""
PATTERN_CODES = {c: c.name.lower() for c in EmergingClass}
RUN_ROLES = frozenset({Role.COMMANDER, Role.DISPATCHER, Role.ANALYST})
MIN_CASES = MIN_INCIDENTS
"""Fewest located cases a run analyses (:data:`geo.hotspots.MIN_INCIDENTS`); fewer: ``too_few``."""
NIGHTLY_DAYS = 365
"""Days the scheduled run analyses up to now (weeks over about a year), as the demo's run does
(``importers.demo``): ``zongzhi hotspots run`` without dates analyses as many, so that a run by
hand replaces the console's hot spots and alerts with ones judged on the same basis (trial AT M6:
a 90-day run by hand turned 「近 53 周中 52 周」 alerts into 「近 13 周中 13 周」 ones)."""


@dataclass(frozen=True)
class RunResult:
    """Summary of a run.

    Attributes
    ----------
    run_id : int
        The stored run.
    cases : int
        Cases analysed.
    cells : int
        Cells stored.
    hot_cells : int
        Cells hot at 95 % confidence or more.
    alerts : int
        Alerts raised (new ones).
    status : str
        ``done``, or ``too_few`` when there were fewer than :data:`MIN_CASES` cases.
    historic : bool
        A look at a past window (:mod:`layers.hotspot_current`): no alerts, not the console's.
    window_start, window_end : datetime or None
        The window analysed.
    refreshed : int
        Unclosed alerts of earlier runs brought up to date instead of raised again
        (:func:`layers.alerts.raise_or_refresh`).
    look : bool
        A trial run (``current=False``, ``zongzhi hotspots run --no-alerts``, or an analyst's)
        over a window up to now, stored as a historic analysis is (no alerts, not the
        console's).
    trial : bool
        Made as a trial run (试算), whatever its window: asked with ``current=False`` or made
        by an analyst (:func:`is_trial`).
    """

    run_id: int
    cases: int
    cells: int
    hot_cells: int
    alerts: int
    status: str
    historic: bool = False
    window_start: datetime | None = None
    window_end: datetime | None = None
    refreshed: int = 0
    look: bool = False
    trial: bool = False


def is_trial(actor: Actor, *, current: bool = True) -> bool:
    """Return whether a run the actor makes is a trial run (试算): no alert, not the console's.

    Parameters
    ----------
    actor : Actor
        Who makes the run.
    current : bool
        False when asked as a trial (``trial`` of the API, ``--no-alerts``).

    Returns
    -------
    bool
        True when asked, and always for an analyst: a planner's runs never feed command.

    Examples
    --------
    >>> from layers.workflow import Actor
    >>> is_trial(Actor(user_id=1, name="a", role="analyst", scope_code="530424000000"))
    True
    >>> commander = Actor(user_id=2, name="c", role="commander", scope_code="530424000000")
    >>> is_trial(commander), is_trial(commander, current=False)
    (False, True)
    """
    return not current or actor.role == Role.ANALYST


def future_refusal(window_start: datetime, now: datetime) -> str | None:
    """Return why a window that starts after today (in China) is refused, or None.

    Parameters
    ----------
    window_start : datetime
        Start of the window (without a time zone: the centre's clock).
    now : datetime
        When the run is made.

    Returns
    -------
    str or None
        The Chinese message, or None for a window that starts today or earlier.

    Examples
    --------
    >>> from layers.china_time import CHINA
    >>> now = datetime(2026, 12, 6, 15, tzinfo=UTC)  # 23:00 in China
    >>> print(future_refusal(datetime(2027, 1, 1), now))  # doctest: +ELLIPSIS
    分析时间范围始于 2027-01-01，晚于今天（2026-12-06）：还没有案件可以分析，...
    >>> future_refusal(datetime(2026, 12, 6, 22, tzinfo=CHINA), now) is None
    True
    """
    first = aware(window_start).astimezone(CHINA).date()
    today = aware(now).astimezone(CHINA).date()
    if first <= today:
        return None
    return (
        f"分析时间范围始于 {first.isoformat()}，晚于今天（{today.isoformat()}）："
        "还没有案件可以分析，请选择今天或更早开始的时间范围"
    )


def run_note(result: RunResult) -> str:
    """Return what the API says a run changed (Chinese): a trial or history, or the console.

    Parameters
    ----------
    result : RunResult
        The run.

    Returns
    -------
    str
        One sentence.

    Examples
    --------
    >>> print(run_note(RunResult(7, 120, 85, 3, 0, "done", True, look=True, trial=True)))
    ... # doctest: +ELLIPSIS
    试算：结果已保存（热点分析 7），可按编号查看；未发出或更新风险预警，指挥台、大屏...
    >>> print(run_note(RunResult(8, 120, 85, 3, 2, "done")))  # doctest: +ELLIPSIS
    本次结果已成为指挥台、大屏和各级指挥调度页面的最近一次热点分析...
    """
    if result.look:
        return (
            f"试算：结果已保存（热点分析 {result.run_id}），可按编号查看；未发出或更新风险预警，"
            "指挥台、大屏和各级指挥调度页面仍显示原来的最近一次热点分析"
        )
    if result.historic:
        return (
            f"历史分析：结果已保存（热点分析 {result.run_id}），可按编号查看；未发出风险预警，"
            "指挥台、大屏和各级指挥调度页面仍显示原来的最近一次热点分析"
        )
    if result.status != "done":
        return f"热点分析 {result.run_id}：有位置的案件太少，未作分析，指挥台的热点未变"
    return (
        "本次结果已成为指挥台、大屏和各级指挥调度页面的最近一次热点分析，并据此发出或更新了"
        '风险预警；只想试算时，请求中加 "trial": true'
    )


def run(
    session: Session,
    *,
    actor: Actor,
    scope_code: str,
    window_start: datetime,
    window_end: datetime,
    resolution: int = 8,
    bin_days: int = 7,
    permutations: int = 0,
    seed: int = 0,
    now: datetime | None = None,
    current: bool = True,
) -> RunResult:
    """Run the hot-spot analysis for ``scope_code`` over ``[window_start, window_end)``.

    A window that ended more than one bin before ``now`` makes a historic analysis: stored,
    without alerts, never the console's current run (:mod:`layers.hotspot_current`). So does
    a trial run (:func:`is_trial`) over any window: one with ``current=False`` (figures for a
    report that leave the command centre's picture and its alerts as they are) and every
    analyst's run.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    actor : Actor
        Who runs it (commander, dispatcher or analyst).
    scope_code : str
        Jurisdiction analysed (inside the actor's scope).
    window_start, window_end : datetime
        Time window of the cases' ``reported_at`` (without a time zone: the centre's clock).
    resolution : int
        H3 resolution (8 ≈ 0.74 km² per cell).
    bin_days : int
        Time bin of the emerging analysis.
    permutations : int
        0 (the default): a cell's significance is the normal p-value of its Gi* z-score.
        More: that many conditional permutations, and their pseudo p-values.
    seed : int
        Seed of the permutations.
    now : datetime, optional
        When the run is made (default: the clock): whether it is historic, and when the alerts
        it refreshes were refreshed.
    current : bool
        False: a trial run, stored as a historic one whatever its window (no alert raised or
        refreshed, the console keeps its current run). An analyst's run is one whatever this
        says.

    Returns
    -------
    RunResult
        What was stored.

    Raises
    ------
    Forbidden
        Role not permitted or scope outside the actor's.
    InvalidInput
        Empty or inverted window, one that starts after today, bad resolution, or a scope a
        re-division retired (the message names its successor).
    """
    if actor.role not in RUN_ROLES:
        raise Forbidden(f"{Role.label_of(actor.role)}不能运行热点分析")
    if not cases.in_scope(actor.scope_code, scope_code):
        raise Forbidden("分析范围不在您的辖区内")
    retired = accounts.retired_unit_refusal(session, scope_code)
    if retired is not None:
        raise InvalidInput(retired)
    window_start, window_end = aware(window_start), aware(window_end)
    if window_end <= window_start:
        raise InvalidInput("分析时间范围的结束时间须晚于开始时间")
    made = now or datetime.now(UTC)
    future = future_refusal(window_start, made)
    if future is not None:
        raise InvalidInput(future)
    if not 5 <= resolution <= 10:
        raise InvalidInput(f"网格分辨率应为 5 至 10（现为 {resolution}；8 约每格 0.74 平方千米）")
    lo, hi = scope_range(scope_code)
    rows = list(
        session.execute(
            text(
                "SELECT ST_X(point) AS lon, ST_Y(point) AS lat, reported_at FROM cases "
                "WHERE area_code >= :lo AND area_code < :hi AND point IS NOT NULL "
                "AND reported_at >= :s AND reported_at < :e AND duplicate_of IS NULL"
            ),
            {"lo": lo, "hi": hi, "s": window_start, "e": window_end},
        ).all()
    )
    params: dict[str, Any] = {
        "resolution": resolution,
        "bin_days": bin_days,
        "permutations": permutations,
        "seed": seed,
    }
    trial = is_trial(actor, current=current)
    if trial:
        params["trial"] = True
    record = HotspotRun(
        area_code=scope_code,
        method="gi_star_h3",
        params=params,
        window_start=window_start,
        window_end=window_end,
        created_by=actor.user_id,
        status="done" if len(rows) >= MIN_CASES else "too_few",
        historic=trial or is_historic(window_end, now=made, bin_days=bin_days),
    )
    session.add(record)
    session.flush()
    stored = hot = raised = refreshed = 0
    if len(rows) >= MIN_CASES:
        stored, hot, raised, refreshed = _analyse(session, record, rows, scope_code, params, made)
    audit.record(
        session,
        actor_id=actor.user_id,
        actor_name=actor.audit_name,
        action="hotspots.run",
        object_type="hotspot_run",
        object_id=str(record.id),
        detail={
            "cases": len(rows),
            "cells": stored,
            "alerts": raised,
            "refreshed": refreshed,
            "historic": record.historic,
            "trial": trial,
        },
    )
    return RunResult(
        record.id,
        len(rows),
        stored,
        hot,
        raised,
        record.status,
        record.historic,
        window_start,
        window_end,
        refreshed,
        look=trial and not is_historic(window_end, now=made, bin_days=bin_days),
        trial=trial,
    )


@dataclass(frozen=True)
class _Emerging:
    """Emerging classes of a run's cells and how many of the window's periods each was hot."""

    classes: list[EmergingClass]
    hot_steps: np.ndarray[Any, Any]
    steps: int


def _analyse(
    session: Session,
    record: HotspotRun,
    rows: list[Any],
    scope_code: str,
    params: dict[str, Any],
    made: datetime,
) -> tuple[int, int, int, int]:
    lon = np.array([r.lon for r in rows], dtype=float)
    lat = np.array([r.lat for r in rows], dtype=float)
    counts = count_in_h3(lon, lat, params["resolution"], fill="ring")
    weights = h3_ring(list(counts.cells), 1)
    gi = getis_ord_gi_star(
        counts.counts.astype(float),
        weights,
        permutations=params["permutations"],
        seed=params["seed"],
    )
    source: PSource = "sim" if params["permutations"] else "norm"
    bins = gi.confidence_bins(source=source)
    pvalues = gi.pvalues(source)
    emerging = _emerging(counts.cells, lon, lat, rows, weights, record, params)
    polygons = counts.polygons()
    units = cell_units(session, scope_code, polygons)
    area_of = [unit for unit, _name in units]
    place_of = [name for _unit, name in units]
    cell_rows = [
        {
            "run": record.id,
            "area": area_of[i],
            "unit": cell,
            "wkt": polygons[i].wkt,
            "count": int(counts.counts[i]),
            "z": float(gi.Zs[i]),
            "p": float(pvalues[i]),
            "bin": int(bins[i]),
            "pattern": PATTERN_CODES[emerging.classes[i]] if emerging is not None else None,
        }
        for i, cell in enumerate(counts.cells)
    ]
    ids = [
        session.execute(
            text(
                "INSERT INTO hotspot_cells (run_id, area_code, unit_id, geom, count, z, p, bin,"
                " pattern) VALUES (:run, :area, :unit, ST_GeomFromText(:wkt, 4490), :count, :z,"
                " :p, :bin, :pattern) RETURNING id"
            ),
            row,
        ).scalar_one()
        for row in cell_rows
    ]
    if emerging is None or record.historic:
        return len(ids), int((bins >= 2).sum()), 0, 0
    around = counts.counts + weights.sparse @ counts.counts
    levels = {  # a cell without a case of its own, hot for its neighbours', alerts for none
        i: ALERTING[cls][0]
        for i, cls in enumerate(emerging.classes)
        if cls in ALERTING and bins[i] >= 2 and counts.counts[i] > 0
    }
    peaks = _peaks(levels, gi.Zs, weights.sparse)
    alerts = [
        _alert(
            record,
            cls,
            _Spot(
                cell_id=ids[i],
                unit_id=str(cell),
                area_code=area_of[i],
                place=place_of[i],
                own=int(counts.counts[i]),
                around=int(around[i]),
                hot_steps=int(emerging.hot_steps[i]),
                steps=emerging.steps,
                z=float(gi.Zs[i]),
                p=float(pvalues[i]),
            ),
        )
        for i, (cls, cell) in enumerate(zip(emerging.classes, counts.cells, strict=True))
        if i in peaks
    ]
    refreshed = alerts_layer.raise_or_refresh(session, alerts, now=made)
    return len(ids), int((bins >= 2).sum()), len(alerts) - refreshed, refreshed


def _peaks(levels: dict[int, int], z: Any, adjacency: Any) -> set[int]:
    """Return the alerting cells that no adjacent alerting cell outranks.

    ``levels`` maps each alerting cell to its alert level (1 the most severe). A neighbour
    outranks a cell when its alert is more severe, or as severe with a higher z-score (on a
    tie, the lower index). Gi* makes the ring around a dense cell hot with it, and each of
    those cells would otherwise raise an alert of its own.
    """

    def rank(i: int) -> tuple[int, float, int]:
        return (-levels[i], float(z[i]), -i)

    kept = set()
    for i in levels:
        row = adjacency.indices[adjacency.indptr[i] : adjacency.indptr[i + 1]]
        if not any(j in levels and rank(j) > rank(i) for j in row):
            kept.add(i)
    return kept


@dataclass(frozen=True)
class _Spot:
    """What an alert says of one hot cell."""

    cell_id: int
    unit_id: str
    area_code: str
    place: str
    own: int
    around: int
    hot_steps: int
    steps: int
    z: float
    p: float


def _alert(record: HotspotRun, cls: EmergingClass, spot: _Spot) -> Alert:
    """Return the alert of a hot cell of class ``cls``, addressed to the unit it lies in."""
    level, prefix = ALERTING[cls]
    return Alert(
        area_code=spot.area_code,
        kind=f"hotspot_{PATTERN_CODES[cls]}",
        level=level,
        title=alert_title(
            prefix,
            spot.place,
            spot.around,
            spot.hot_steps,
            spot.steps,
            bin_days=int(record.params["bin_days"]),
        ),
        detail=(
            f"{prefix}：{MEANINGS[cls]}（{judged_by(int(record.params['bin_days']))}）；"
            f"热点得分 {spot.z:.2f}，显著性水平 {spot.p:.3f}；本单元 {spot.own} 起，"
            f"相邻单元 {spot.around - spot.own} 起；"
            f"分析时段 {window_dates(record.window_start, record.window_end)}，"
            f"每期 {record.params['bin_days']} 天"
        ),
        run_id=record.id,
        cell_id=spot.cell_id,
        unit_id=spot.unit_id,
        state="open",
    )


_SCORE = re.compile(r"热点得分\s*-?[\d.]+，显著性水平\s*[\d.]+；?")
_OLD_SCORE = re.compile(r"Gi\*?\s*z=-?[\d.]+,\s*p=[\d.]+[；;]?\s*")
_COUNTS = re.compile(r"本单元\s*\d+\s*起，相邻单元\s*\d+\s*起；?")


def shown_detail(detail: str | None, min_count: int) -> str | None:
    """Return a hot-spot alert's detail as a reader with ``min_count`` may read it.

    The detail (:func:`_alert`) gives the cell's Gi* z and p and its cases and its
    neighbours'. A reader who may not see small counts (``min_count`` > 1,
    :func:`layers.trends.min_count_for`) reads it without them: the z, a linear function of the
    ring's cases, and the neighbours' cases, their sum, gave back the counts the map blanks
    (trial AJ M4). What the class means and the window are kept.

    Parameters
    ----------
    detail : str or None
        The alert's detail as stored.
    min_count : int
        Smallest non-zero count shown to the reader.

    Returns
    -------
    str or None
        The detail, unchanged for ``min_count`` 1.

    Examples
    --------
    >>> d = "持续热点：…（按周判定）；热点得分 3.21，显著性水平 0.001；"
    >>> d += "本单元 2 起，相邻单元 9 起；分析时段 …"
    >>> shown_detail(d, 3)
    '持续热点：…（按周判定）；分析时段 …'
    >>> shown_detail(d, 1) == d
    True
    """
    if detail is None or min_count <= 1:
        return detail
    for pattern in (_SCORE, _OLD_SCORE, _COUNTS):
        detail = pattern.sub("", detail)
    return detail


_AROUND = re.compile(r"一带\s*(\d+)\s*起")


def shown_title(title: str, around: int | None) -> str:
    """Return a hot-spot alert's title as a reader who may not see small counts reads it.

    The title (:func:`alert_title`) gives the cases of the cell and of its neighbours
    (「新复社区一带 97 起案件」), the figure 本格及相邻格. A reader of counts only reads it
    only where that figure is shown to them (:meth:`layers.hotspot_cases.CellFigures.shown_around`:
    no cell of the ring holds 1 or 2 cases, or the sum less the counts shown gives a hidden one
    back) and is the title's; else the title says 「一带多起案件」.

    Parameters
    ----------
    title : str
        The alert's title as stored.
    around : int or None
        The cell's 本格及相邻格 as shown to the reader; ``None`` when withheld (or no cell).

    Returns
    -------
    str
        The title, its number kept only when it is ``around``.

    Examples
    --------
    >>> t = "持续热点（按周判定）：新复社区一带 14 起案件，近 12 周中 11 周为热点"
    >>> shown_title(t, None)
    '持续热点（按周判定）：新复社区一带多起案件，近 12 周中 11 周为热点'
    >>> shown_title(t, 14) == t
    True
    >>> shown_title(t, 15)
    '持续热点（按周判定）：新复社区一带多起案件，近 12 周中 11 周为热点'
    """

    def number(found: re.Match[str]) -> str:
        return (
            found.group(0) if around is not None and int(found.group(1)) == around else "一带多起"
        )

    return _AROUND.sub(number, title)


def period_word(bin_days: int) -> str:
    """Return what one period of a run is called: ``周`` for 7 days, ``天`` for one, else ``期``.

    Examples
    --------
    >>> period_word(7), period_word(1), period_word(14)
    ('周', '天', '期')
    """
    return {7: "周", 1: "天"}.get(bin_days, "期")


def judged_by(bin_days: int) -> str:
    """Return on which periods a run's classes are judged, as its alerts say it.

    Examples
    --------
    >>> judged_by(7), judged_by(1), judged_by(14)
    ('按周判定', '按天判定', '按每 14 天一期判定')
    """
    word = period_word(bin_days)
    return f"按{word}判定" if word != "期" else f"按每 {bin_days} 天一期判定"


def basis_text(
    bin_days: int, window_start: datetime, window_end: datetime, resolution: int | None
) -> str:
    """Return the basis of a run's classes in full: its periods, its window and its cells.

    An alert's class is judged on its run's periods (weeks, over about a year for the nightly
    run) for one hexagonal cell and the cells around it; the trends page and its report judge
    the same classes on months (all 24 of them) and count the cells of each class by village
    (trial AO M3: 新和社区 was 加剧热点 in the 月总结's 风险预警 and 持续热点 7 on the trends
    page). The brief's 风险预警 says this beside each alert (判定依据).

    Parameters
    ----------
    bin_days : int
        Days a period lasts.
    window_start, window_end : datetime
        The run's window (its periods end at ``window_end``; the first may start before
        ``window_start``, :func:`geo.spacetime.build_cube`).
    resolution : int or None
        The run's H3 resolution (None: not recorded, the cells' size is not given).

    Returns
    -------
    str
        E.g. ``按周判定，近 53 周（2025-12-01 至 2026-12-05），以六边形单元（每个约 0.74
        平方公里）及相邻单元计``.

    Examples
    --------
    >>> from layers.china_time import CHINA
    >>> start, end = datetime(2026, 9, 1, tzinfo=CHINA), datetime(2026, 11, 24, tzinfo=CHINA)
    >>> basis_text(7, start, end, None)
    '按周判定，近 12 周（2026-09-01 至 2026-11-23），以六边形单元及相邻单元计'
    >>> basis_text(14, start, end, 8).split("，")[1:]
    ['近 6 期（2026-09-01 至 2026-11-23）', '以六边形单元（每个约 0.74 平方公里）及相邻单元计']
    """
    steps = math.ceil((window_end - window_start) / timedelta(days=bin_days))
    word = period_word(bin_days)
    cells = "六边形单元"
    if resolution is not None:
        from layers.trends import cell_km2  # layers.trends reads the command feed, which reads runs

        cells += f"（每个约 {cell_km2(resolution):g} 平方公里）"
    return (
        f"{judged_by(bin_days)}，近 {steps} {word}（{window_dates(window_start, window_end)}），"
        f"以{cells}及相邻单元计"
    )


_BARE_CLASS = re.compile(r"^([^：（]*热点)：")


def with_basis(title: str, bin_days: int) -> str:
    """Return an alert's title with the periods its class was judged on, if it has none.

    Titles written before they named it (``持续热点：新复社区一带…``) read as those written since
    (:func:`alert_title`), wherever alerts are listed.

    Examples
    --------
    >>> with_basis("持续热点：新复社区一带 14 起案件，近 12 周中 11 周为热点", 7)
    '持续热点（按周判定）：新复社区一带 14 起案件，近 12 周中 11 周为热点'
    >>> with_basis("持续热点（按周判定）：新复社区一带多起案件", 7)
    '持续热点（按周判定）：新复社区一带多起案件'
    """
    return _BARE_CLASS.sub(lambda m: f"{m.group(1)}（{judged_by(bin_days)}）：", title, count=1)


def alert_title(
    prefix: str, place: str, cases: int, hot_steps: int, steps: int, *, bin_days: int
) -> str:
    """Return the title of a hot-spot alert: the cases behind the hot spot and its hot periods.

    The class says on which periods it was judged (``持续热点（按周判定）``) and the periods are
    named by their length (``53 周中 42 周``): the planners' view judges the classes on months,
    and the two classes of one place differ by it (trials AF, AO M3).

    Parameters
    ----------
    prefix : str
        The class, e.g. ``持续热点``.
    place : str
        The jurisdiction the cell's centre lies in.
    cases : int
        Cases of the cell and the cells around it (what Gi* weighs) over the window.
    hot_steps, steps : int
        Periods of the window in which the cell was hot, and all of them.
    bin_days : int
        Days a period lasts (:func:`period_word`, :func:`judged_by`).

    Returns
    -------
    str
        One line for the alert list.

    Examples
    --------
    >>> alert_title("持续热点", "新复社区", 114, 11, 12, bin_days=7)
    '持续热点（按周判定）：新复社区一带 114 起案件，近 12 周中 11 周为热点'
    """
    word = period_word(bin_days)
    return (
        f"{prefix}（{judged_by(bin_days)}）：{place}一带 {cases} 起案件，"
        f"近 {steps} {word}中 {hot_steps} {word}为热点"
    )


def _naive_utc(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def _emerging(
    cells: tuple[str, ...],
    lon: np.ndarray[Any, Any],
    lat: np.ndarray[Any, Any],
    rows: list[Any],
    weights: Any,
    record: HotspotRun,
    params: dict[str, Any],
) -> _Emerging | None:
    """Return the emerging class per cell, or None when the window is too short or flat."""
    import h3

    span = record.window_end - record.window_start
    if span < timedelta(days=3 * params["bin_days"]):
        return None
    index = {cell: i for i, cell in enumerate(cells)}
    unit = np.array(
        [
            index[h3.latlng_to_cell(y, x, params["resolution"])]
            for x, y in zip(lon, lat, strict=True)
        ]
    )
    times = np.array([_naive_utc(r.reported_at) for r in rows], dtype="datetime64[us]")
    try:
        cube = build_cube(
            unit,
            times,
            len(cells),
            timedelta(days=params["bin_days"]),
            start=_naive_utc(record.window_start),
            end=_naive_utc(record.window_end),
        )
        result = emerging_hotspots(cube, weights.sparse)
    except ValueError:
        return None
    hot = (result.p <= result.alpha) & (result.z > 0)
    return _Emerging(
        [EmergingClass(int(c)) for c in result.classes], hot.sum(axis=1), int(hot.shape[1])
    )


_RUN_COLUMNS = (
    "r.id, r.area_code, r.method, r.params, r.window_start, r.window_end, r.created_at,"
    " r.status, r.historic, coalesce((r.params ->> 'trial')::boolean, false) AS trial,"
    " (SELECT count(*) FROM hotspot_cells c WHERE c.run_id = r.id) AS cells,"
    " (SELECT count(*) FROM hotspot_cells c WHERE c.run_id = r.id AND c.bin >= 2) AS hot"
)


def _run_json(row: Any) -> dict[str, Any]:
    item = dict(row)
    for key in ("window_start", "window_end", "created_at"):
        item[key] = item[key].isoformat()
    return item


def list_runs(session: Session, *, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """Return the latest runs visible to the actor.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    actor : Actor
        Whose scope applies.
    limit : int
        Maximum number of runs.

    Returns
    -------
    list of dict
        Newest first; ``historic`` tells a run that is not the console's (a look at a past
        window, :mod:`layers.hotspot_current`, or a trial run), ``trial`` a trial run (试算:
        an analyst's, or asked as one).
    """
    lo, hi = scope_range(actor.scope_code)
    rows = session.execute(
        text(
            f"SELECT {_RUN_COLUMNS} FROM hotspot_runs r"
            " WHERE r.area_code >= :lo AND r.area_code < :hi ORDER BY r.id DESC LIMIT :n"
        ),
        {"lo": lo, "hi": hi, "n": max(1, min(limit, 500))},
    ).mappings()
    return [_run_json(row) for row in rows]


def run_cells(session: Session, run_id: int, *, actor: Actor) -> dict[str, Any]:
    """Return one run, historic or current, with its cells in the actor's scope (GeoJSON).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the actor.
    run_id : int
        The run's number.
    actor : Actor
        Whose scope applies: a run over the scope or inside it, or over a unit the scope lies
        in (a township reads its part of the county's run).

    Returns
    -------
    dict
        A GeoJSON ``FeatureCollection`` of the cells (``unit_id``, ``area_code``, ``count``,
        ``z``, ``p``, ``bin``, ``pattern``; cold spots and cells of no significance too), with
        the run as in :func:`list_runs` under ``run`` and the smallest count shown as
        ``min_count``. A reader who may not list the cells' cases (an analyst:
        :func:`layers.trends.min_count_for` with ``of="cases"``; a province's or a city's
        commander lists them, trial AM M4) reads a ``count`` of 1 or 2 as
        null, as on the map and the trends page (trial AI M2: 302 cells of 1 and 143 of 2 were
        given exactly), and its ``z`` and ``p`` as null too, the confidence ``bin`` and the
        ``pattern`` only: a cell's z is a linear function of its ring's cases, from which the
        blanked counts were all worked out (trial AJ M4: 445 of 445); those who may open a
        cell's cases read them exactly.

    Raises
    ------
    NotFound
        No such run, or none the actor may read.
    """
    row = (
        session.execute(
            text(f"SELECT {_RUN_COLUMNS} FROM hotspot_runs r WHERE r.id = :id"), {"id": run_id}
        )
        .mappings()
        .first()
    )
    if row is None or not (
        cases.in_scope(actor.scope_code, row["area_code"])
        or cases.in_scope(row["area_code"], actor.scope_code)
    ):
        raise NotFound(f"没有编号为 {run_id} 的热点分析，或它不在您的辖区内")
    from layers import trends  # layers.trends reads the command feed, which reads the runs

    lo, hi = scope_range(actor.scope_code)
    min_count = trends.min_count_for(actor, of="cases")
    features = session.execute(
        text(
            "SELECT coalesce(json_agg(json_build_object("
            "    'type', 'Feature', 'id', h.id,"
            "    'properties', json_build_object('unit_id', h.unit_id,"
            "        'area_code', h.area_code,"
            "        'count', CASE WHEN h.count > 0 AND h.count < :min_count THEN NULL"
            "                      ELSE h.count END,"
            "        'z', CASE WHEN :exact THEN round(h.z::numeric, 2) END,"
            "        'p', CASE WHEN :exact THEN h.p END, 'bin', h.bin, 'pattern', h.pattern),"
            "    'geometry', ST_AsGeoJSON(h.geom, 5, 0)::json) ORDER BY h.id), '[]')::text"
            " FROM hotspot_cells h"
            " WHERE h.run_id = :id AND h.area_code >= :lo AND h.area_code < :hi"
        ),
        {"id": run_id, "lo": lo, "hi": hi, "min_count": min_count, "exact": min_count <= 1},
    ).scalar_one()
    return {
        "type": "FeatureCollection",
        "run": _run_json(row),
        "min_count": min_count,
        "features": json.loads(features),
    }
