"""Hot-spot trends of a jurisdiction: Gi* maps per period and the emerging hot spot classes.

The planners' page (``/trends/{code}``) looks at ``n`` complete calendar months or quarters
(in China's time, :data:`layers.china_time.CHINA`): by default the last ones, or those ending at
a chosen period (:func:`window`, ``end=2024-12``; a month given for quarters means the last whole
quarter that ends by the end of that month). A period that has not ended cannot end a window.
:func:`series` reads the non-duplicate cases of the unit in the window, optionally only those of
some channels (来源渠道) or of one origin (数据来源: registered on the platform, or brought in by
a file import) (:class:`CaseFilter`). It counts every case per period (:attr:`Series.totals`:
the 案件数 of the page and the reports), and the located ones per H3 cell and period (with a
ring of empty cells so the statistic sees the zeros); a case without a point counts in the
period but not in the hot spots, and the views say how many (:func:`unlocated_note`). Then

* for every period, the spatial Getis-Ord Gi* of the period's counts (``geo.hotspots``) and
  its confidence bin (±3 99 %, ±2 95 %, ±1 90 %) by the normal p-value of its z-score, as the
  command view's runs (:mod:`layers.hotspot_runs`) and the emerging classes judge a cell;
* over the whole window, the emerging hot spot class of every cell (``geo.emerging``: the
  space-time Gi* of each cell and period and the Mann–Kendall trend of its z-scores), so a
  past window gets the classes of its own periods. The space-time cube starts at the window's
  first period with a located case (:func:`first_with_data`): periods before the records
  start are no zeros of the places' history (trial AY M3: the demo county's 24 months gave
  持续热点 25 and 连续 8, the same places over 36 months 持续 0 and 连续 46), and the views say
  the periods left out (:func:`patterns_from_note`).

History stays in the unit where it happened: the children of a unit (:func:`unit_of`) are its
live ones and, for a window, those a re-division retired that have cases in it, marked
已撤销 with the unit that took them over; a retired unit's own page says so.

Nothing is stored: the analysis is computed on demand and kept in a small in-process cache
keyed by the unit, the window, the filter and a fingerprint of what it read: the cases (a case
added, moved, recategorised or marked duplicate changes it) and the jurisdictions under the unit
its labels come from (code, name, boundary, retirement and successor: a rename or a new
boundary changes it), so the command view's stored runs and alerts are left alone. One analysis
is computed once however many reads ask it together (the trends page asks the series, the
density and the uncovered hot spots at once): those that come while it is computed wait for
that computation and share its result, or its failure, which is not kept (:func:`series`).

Case counts are shown exactly to every role, analysts included: a count per unit and period
says nothing about a person. Only a count per H3 cell, which places cases within a few hundred
metres like the hexagons of the map's case layer (``api.routers.tiles``), is suppressed below
:data:`ANALYST_MIN_COUNT` (``None``) for every reader who may not list the cell's cases (an
analyst: :func:`min_count_for` with ``of="cases"``, as on the command map); the
special-population counts beside the trends are for every reader who may not see the persons
one by one (analysts, province and city accounts: :func:`min_count_for`;
:mod:`layers.trend_tables`). No function here returns an individual case.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

import h3
import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import division_level, prefix_length, scope_range
from geo.emerging import EmergingClass, emerging_hotspots
from geo.hotspots import MIN_INCIDENTS, getis_ord_gi_star
from geo.spacetime import SpaceTimeCube
from geo.trends import MIN_SERIES_LENGTH
from geo.units import count_in_h3
from geo.weights import h3_ring
from layers import cases, catalog, command, hotspot_cases
from layers.cell_places import cell_units
from layers.china_time import CHINA
from layers.errors import InvalidInput, no_jurisdiction
from layers.model import Category, Channel
from layers.shared_results import SharedResults
from layers.workflow import Actor

ANALYST_MIN_COUNT = 3
"""Counts below this (but above zero) are suppressed for analysts."""
GRANULARITIES = {"month": 1, "quarter": 3}
#: Chinese names of the granularities, as the console's 统计粒度 offers them.
GRANULARITY_LABELS = {"month": "月度", "quarter": "季度"}
RESOLUTION_BY_LEVEL = {1: 6, 2: 7, 3: 8, 4: 9, 5: 9}
MAX_PERIODS = 60

#: Pattern code (``new_hot`` …) -> Chinese label, in legend order (hot, cold, none).
PATTERN_LABELS: dict[str, str] = {
    **{c.name.lower(): c.label for c in sorted(EmergingClass) if c > 0},
    **{c.name.lower(): c.label for c in sorted(EmergingClass, reverse=True) if c < 0},
    "no_pattern": "无显著模式",
}
#: Pattern code -> map colour (reds for hot classes, blues for cold ones).
PATTERN_COLOURS: dict[str, str] = {
    "new_hot": "#b2182b",
    "consecutive_hot": "#e7298a",
    "intensifying_hot": "#67001f",
    "persistent_hot": "#d6604d",
    "diminishing_hot": "#f4a582",
    "sporadic_hot": "#fdae61",
    "oscillating_hot": "#bf812d",
    "historical_hot": "#8c6d31",
    "new_cold": "#2166ac",
    "consecutive_cold": "#7570b3",
    "intensifying_cold": "#053061",
    "persistent_cold": "#4393c3",
    "diminishing_cold": "#92c5de",
    "sporadic_cold": "#66c2a5",
    "oscillating_cold": "#35978f",
    "historical_cold": "#01665e",
    "no_pattern": "#bdbdbd",
}
#: Gi* confidence bin -> (label, colour).
BIN_LEGEND: dict[int, tuple[str, str]] = {
    3: ("热点（99%置信）", "#d7191c"),
    2: ("热点（95%置信）", "#f46d43"),
    1: ("热点（90%置信）", "#fdae61"),
    -1: ("冷点（90%置信）", "#abd9e9"),
    -2: ("冷点（95%置信）", "#74add1"),
    -3: ("冷点（99%置信）", "#4575b4"),
}
#: Origin code -> Chinese label (数据来源): registered on the platform, or brought in by an import.
ORIGINS: dict[str, str] = {"platform": "本平台登记", "imported": "导入的历史数据"}
_ORIGIN_SQL = {"platform": " AND import_id IS NULL", "imported": " AND import_id IS NOT NULL"}
#: What a level's children are called, by the parent's level.
CHILD_LABELS = {1: "市（州）", 2: "县（市、区）", 3: "乡镇（街道）", 4: "村（社区）"}


@dataclass(frozen=True)
class CaseFilter:
    """Which cases a trend view counts (built and checked by :func:`case_filter`).

    Attributes
    ----------
    channels : tuple of str
        Channel codes (``layers.model.Channel``, 来源渠道); empty: every channel.
    origin : str or None
        ``platform`` (registered on the platform: no import), ``imported`` (brought in by a
        file import), or None for both.
    category : str or None
        One case category (``layers.model.Category``: 矛盾纠纷, 安全隐患, 社情民意), or None
        for all (trial AF: a planner reviewing disputes alone had no way to).
    """

    channels: tuple[str, ...] = ()
    origin: str | None = None
    category: str | None = None

    def sql(self) -> tuple[str, dict[str, Any]]:
        """Return the SQL condition (``AND …``, on table ``cases``) and its parameters.

        Returns
        -------
        tuple of (str, dict)
            The condition, empty for no filter, and its bind parameters.

        Examples
        --------
        >>> CaseFilter(("walk_in",), "imported").sql()
        (' AND channel = ANY(:channels) AND import_id IS NOT NULL', {'channels': ['walk_in']})
        >>> CaseFilter(category="dispute").sql()
        (' AND category = :category', {'category': 'dispute'})
        """
        where = " AND channel = ANY(:channels)" if self.channels else ""
        params: dict[str, Any] = {"channels": list(self.channels)} if self.channels else {}
        if self.origin:
            where += _ORIGIN_SQL[self.origin]
        if self.category:
            where += " AND category = :category"
            params["category"] = self.category
        return where, params

    @property
    def label(self) -> str:
        """Chinese description, ``全部来源`` without a filter.

        Examples
        --------
        >>> CaseFilter().label, CaseFilter(("hotline_12345", "walk_in"), "platform").label
        ('全部来源', '12345热线、来访；本平台登记')
        >>> CaseFilter(category="dispute").label
        '矛盾纠纷'
        """
        labels = Channel.labels()
        parts = ["、".join(labels[c] for c in self.channels)] if self.channels else []
        parts += [ORIGINS[self.origin]] if self.origin else []
        parts += [Category.label_of(self.category)] if self.category else []
        return "；".join(parts) or "全部来源"


ALL_CASES = CaseFilter()
"""No filter: every channel, both origins."""


def case_filter(
    channels: list[str] | None = None, origin: str | None = None, category: str | None = None
) -> CaseFilter:
    """Return the filter of these channels, origin and category, checked.

    Parameters
    ----------
    channels : list of str, optional
        Channel codes; none or empty: every channel.
    origin : str, optional
        ``platform`` or ``imported``; None or empty: both.
    category : str, optional
        A case category code; None or empty: all.

    Returns
    -------
    CaseFilter
        Channels sorted and without repeats.

    Raises
    ------
    InvalidInput
        An unknown channel, origin or category.

    Examples
    --------
    >>> case_filter(["walk_in", "hotline_12345", "walk_in"], "platform")
    CaseFilter(channels=('hotline_12345', 'walk_in'), origin='platform', category=None)
    """
    known = Channel.labels()
    unknown = sorted({c for c in channels or () if c not in known})
    if unknown:
        choices = "、".join(f"{code}（{label}）" for code, label in known.items())
        raise InvalidInput(f"来源渠道 {'、'.join(unknown)} 无效，可选：{choices}")
    if origin and origin not in ORIGINS:
        choices = "、".join(f"{code}（{label}）" for code, label in ORIGINS.items())
        raise InvalidInput(f"数据来源 {origin} 无效，可选：{choices}")
    if category and category not in Category.labels():
        choices = "、".join(f"{code}（{label}）" for code, label in Category.labels().items())
        raise InvalidInput(f"案件类别 {category} 无效，可选：{choices}")
    return CaseFilter(tuple(sorted(set(channels or ()))), origin or None, category or None)


def filter_json(chosen: CaseFilter) -> dict[str, Any]:
    """Return the filter applied and the choices, for the page.

    Parameters
    ----------
    chosen : CaseFilter
        The filter applied.

    Returns
    -------
    dict
        ``channels``, ``origins`` and ``categories`` (choices: code, label), ``applied``
        (channels, origin, category) and ``label``.
    """
    return {
        "channels": [{"code": code, "label": label} for code, label in Channel.labels().items()],
        "origins": [{"code": code, "label": label} for code, label in ORIGINS.items()],
        "categories": [{"code": code, "label": label} for code, label in Category.labels().items()],
        "applied": {
            "channels": list(chosen.channels),
            "origin": chosen.origin,
            "category": chosen.category,
        },
        "label": chosen.label,
    }


def cell_size_label(resolution: int) -> str:
    """Return what an analysis cell is, for the reader of a hot-spot count.

    Each level analyses its own cell size, so "热点 N 处" counts cells of different sizes
    at different levels; the label says which.

    Parameters
    ----------
    resolution : int
        H3 resolution of the cells.

    Returns
    -------
    str
        The cell's kind and average area, two significant figures.

    Examples
    --------
    >>> cell_size_label(7)
    'H3 第7级六边形，每个约 5.2 平方公里'
    >>> cell_size_label(5)
    'H3 第5级六边形，每个约 250 平方公里'
    """
    return f"H3 第{resolution}级六边形，每个约 {cell_km2(resolution):g} 平方公里"


def cell_km2(resolution: int) -> float:
    """Return the average area of an H3 cell in square kilometres, two significant figures.

    Parameters
    ----------
    resolution : int
        H3 resolution.

    Returns
    -------
    float
        The area.

    Examples
    --------
    >>> cell_km2(8)
    0.74
    """
    return float(f"{h3.average_hexagon_area(resolution, 'km^2'):.2g}")


def judged_note(located: int, *, monthly: bool = False) -> str:
    """Return what the views say of a period with too few located cases to tell hot spots.

    Parameters
    ----------
    located : int
        The period's cases with a point.
    monthly : bool
        The period is a month: a quarter holds about three times its cases (a small
        township's 16 a month make 48 a quarter), which the sentence suggests.

    Returns
    -------
    str
        The sentence, or empty from :data:`geo.hotspots.MIN_INCIDENTS` cases on.

    Examples
    --------
    >>> judged_note(7)
    '本期有位置的案件只有 7 件（少于 30 件），样本太少，不作热点判断'
    >>> judged_note(16, monthly=True)
    '本期有位置的案件只有 16 件（少于 30 件），样本太少，不作热点判断，可改按季度查看'
    >>> judged_note(30)
    ''
    >>> judged_note(0, monthly=True)
    '本期没有有位置的案件，不作热点判断'
    """
    if located >= MIN_INCIDENTS:
        return ""
    if not located:  # nothing to show by quarter either (trial AF: a filter to no data)
        return "本期没有有位置的案件，不作热点判断"
    said = f"本期有位置的案件只有 {located} 件（少于 {MIN_INCIDENTS} 件），样本太少，不作热点判断"
    return said + ("，可改按季度查看" if monthly else "")


NOT_JUDGED = "不作判断"
"""The pattern of a cell where too few periods had enough located cases (:func:`patterns_note`):
not 无显著模式, which says the cell was judged (trial AF)."""


def patterns_judged(series: Series) -> bool:
    """Tell whether a unit's periods had enough located cases for emerging patterns.

    Parameters
    ----------
    series : Series
        The unit's analysis.

    Returns
    -------
    bool
        At least :data:`geo.trends.MIN_SERIES_LENGTH` periods had
        :data:`geo.hotspots.MIN_INCIDENTS` located cases or more.
    """
    if not series.cells:
        return False
    located = series.counts.sum(axis=0)
    return int((located >= MIN_INCIDENTS).sum()) >= MIN_SERIES_LENGTH


def pattern_label(pattern: str, *, judged: bool) -> str:
    """Return a cell's pattern as the views say it: :data:`NOT_JUDGED` where none was judged.

    Examples
    --------
    >>> pattern_label("no_pattern", judged=True), pattern_label("no_pattern", judged=False)
    ('无显著模式', '不作判断')
    >>> pattern_label("new_hot", judged=True)
    '新增热点'
    """
    if pattern == "no_pattern" and not judged:
        return NOT_JUDGED
    return PATTERN_LABELS[pattern]


def patterns_note(judged: int, periods: int) -> str:
    """Return what the views say when too few periods were judged for emerging patterns.

    Parameters
    ----------
    judged : int
        Periods of the window with :data:`geo.hotspots.MIN_INCIDENTS` located cases or more.
    periods : int
        Periods of the window.

    Returns
    -------
    str
        The sentence, or empty when the patterns were told.

    Examples
    --------
    >>> patterns_note(3, 24)
    '新兴热点模式需要至少 4 期各有 30 件以上有位置的案件，本时段 24 期中只有 3 期：不作判断'
    >>> patterns_note(4, 24)
    ''
    """
    if judged >= MIN_SERIES_LENGTH or periods < MIN_SERIES_LENGTH:
        return ""
    return (
        f"新兴热点模式需要至少 {MIN_SERIES_LENGTH} 期各有 {MIN_INCIDENTS} 件以上有位置的案件，"
        f"本时段 {periods} 期中只有 {judged} 期：不作判断"
    )


def first_with_data(located: npt.NDArray[np.int64]) -> int:
    """Return the index of the first period with a located case (0 when there is none).

    The emerging patterns are judged from it: the periods before the unit's records start (or
    before the first case the filter keeps) hold zeros that are no history of the places, and
    as zeros they made cells 连续 or 零星 hot spots by the window's length alone (trial AY M3).

    Parameters
    ----------
    located : numpy.ndarray
        Located cases per period.

    Returns
    -------
    int
        The index.

    Examples
    --------
    >>> first_with_data(np.array([0, 0, 3, 0, 5])), first_with_data(np.array([0, 0]))
    (2, 0)
    """
    found = np.flatnonzero(located > 0)
    return int(found[0]) if found.size else 0


def patterns_from_note(periods: tuple[Period, ...], start: int) -> str:
    """Return what the views say of the periods the emerging patterns left out.

    Parameters
    ----------
    periods : tuple of Period
        The window.
    start : int
        The first period the patterns were judged on (:attr:`Series.patterns_from`).

    Returns
    -------
    str
        The sentence, or empty when none was left out.

    Examples
    --------
    >>> from datetime import UTC
    >>> spans = window(datetime(2026, 12, 2, tzinfo=UTC), "quarter", 8, end="2025Q3")
    >>> patterns_from_note(spans, 4)
    '新兴热点模式从有案件的第一期（2024年第4季度）起判定，不计此前无数据的 4 期'
    >>> patterns_from_note(spans, 0)
    ''
    """
    if start <= 0:
        return ""
    return (
        f"新兴热点模式从有案件的第一期（{periods[start].label}）起判定，不计此前无数据的 {start} 期"
    )


def unlocated_note(unlocated: int) -> str:
    """Return what the views say of the cases without a location.

    Parameters
    ----------
    unlocated : int
        Cases counted without a point.

    Returns
    -------
    str
        The sentence, or empty when every case has a point.

    Examples
    --------
    >>> unlocated_note(32), unlocated_note(0)
    ('另有 32 件无位置，未参与热点分析', '')
    """
    return f"另有 {unlocated} 件无位置，未参与热点分析" if unlocated else ""


@dataclass(frozen=True)
class Period:
    """One calendar period of the series.

    Attributes
    ----------
    key : str
        ``2026-10`` (month) or ``2026Q3`` (quarter).
    label : str
        Chinese label, ``2026年10月`` or ``2026年第3季度``.
    start, end : datetime
        Half-open interval, aware, in :data:`layers.china_time.CHINA`.
    """

    key: str
    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Series:
    """The analysis of one unit over its periods (what :func:`series` caches).

    Attributes
    ----------
    code : str
        The unit.
    periods : tuple of Period
        Oldest first.
    resolution : int
        H3 resolution.
    cells : tuple of str
        H3 cells (occupied ones and their ring).
    counts : numpy.ndarray
        Cases per cell and period.
    z, p : numpy.ndarray
        Spatial Gi* z-score and pseudo p-value per cell and period.
    bins : numpy.ndarray
        Confidence bins per cell and period.
    patterns : tuple of str
        Emerging pattern code per cell (``no_pattern`` when the series is too short).
    areas : tuple of str
        Deepest live jurisdiction (not one a re-division retired) containing each cell's
        centre.
    area_names : dict
        Code -> name of those jurisdictions, and of the townships of those that are villages.
    located : int
        Located cases analysed.
    totals : numpy.ndarray
        Cases per period, located or not (the 案件数 of each period).
    case_filter : CaseFilter
        Which cases were read.
    fingerprint : tuple
        Unit, window, filter and a hash of the cases and of the jurisdictions read (what the
        cache is keyed by).
    patterns_from : int
        Index of the first period the emerging patterns were judged on: the window's first
        with a located case (:func:`first_with_data`); those before it are left out.
    """

    code: str
    periods: tuple[Period, ...]
    resolution: int
    cells: tuple[str, ...]
    counts: npt.NDArray[np.int64]
    z: npt.NDArray[np.float64]
    p: npt.NDArray[np.float64]
    bins: npt.NDArray[np.int8]
    patterns: tuple[str, ...]
    areas: tuple[str, ...]
    area_names: dict[str, str]
    located: int
    totals: npt.NDArray[np.int64]
    case_filter: CaseFilter = ALL_CASES
    fingerprint: tuple[Any, ...] = ()
    patterns_from: int = 0

    def period_index(self, key: str | None) -> int:
        """Return the index of period ``key`` (the latest when None).

        Parameters
        ----------
        key : str or None
            A period key of the series.

        Returns
        -------
        int
            Index into :attr:`periods`.

        Raises
        ------
        InvalidInput
            If the key is not a period of the series.
        """
        if key is None:
            return len(self.periods) - 1
        for i, period in enumerate(self.periods):
            if period.key == key:
                return i
        raise InvalidInput(
            f"统计期 {key} 不在所选时段（{window_label(self.periods)}）内，"
            "请选择时段内的统计期，或用“截止统计期”选择更早的时段"
        )


def min_count_for(actor: Actor, *, of: Literal["persons", "cases"] = "persons") -> int:
    """Return the smallest non-zero count per H3 cell, or of persons, shown to the actor.

    Case counts per unit and period are shown exactly to everyone. Two kinds of small counts
    are withheld, each from those who may not see what they count one by one:

    * ``of="persons"`` (the default): special-population counts (the trends page's 走访逾期).
      Every reader who may not see the persons one by one
      (:func:`layers.catalog.sees_persons_individually`) gets them suppressed: an analyst, a
      commander of a province or a city (hexagon counts only on the map), a department.
    * ``of="cases"``: a cell's case figures, on the command page (its map, its alerts: 本格,
      本格及相邻格, the Gi* z and p) and on the trends page (a hexagon's 本期案件数, the hot
      spots without a camera, the reports). They are withheld only from a reader who may not
      list the cell's cases (:func:`layers.hotspot_cases.lists_cases`: an analyst): a
      province's or a city's commander may list them with 查看案件, so a figure withheld from
      them beside the list told nothing but that the rule was at fault (trial AM M4), and the
      trends page gave them fewer than the command map did.

    Parameters
    ----------
    actor : Actor
        Who reads.
    of : {'persons', 'cases'}
        What the counts count.

    Returns
    -------
    int
        1 for those who may see them one by one, :data:`ANALYST_MIN_COUNT` for everyone else.

    Examples
    --------
    >>> min_count_for(Actor(None, "值班员", "commander", "530424000000"))
    1
    >>> min_count_for(Actor(None, "值班员", "commander", "530400000000"))
    3
    >>> min_count_for(Actor(None, "值班员", "commander", "530400000000"), of="cases")
    1
    >>> min_count_for(Actor(None, "分析员", "analyst", "530424000000"), of="cases")
    3
    """
    if of == "cases":
        return 1 if hotspot_cases.lists_cases(actor) else ANALYST_MIN_COUNT
    if catalog.sees_persons_individually(actor.role, actor.scope_code):
        return 1
    return ANALYST_MIN_COUNT


def counts_persons(actor: Actor) -> bool:
    """Return whether the actor may read special-population counts at all (visits included).

    A department reads nothing of the persons, not even counts (:func:`layers.catalog.readable`
    with ``aggregated``), as in the command view (:mod:`layers.command`).

    Examples
    --------
    >>> counts_persons(Actor(None, "部门", "department", "530424000000"))
    False
    >>> counts_persons(Actor(None, "分析员", "analyst", "530424000000"))
    True
    """
    persons = catalog.get_collection("persons")
    return catalog.readable(actor.role, persons, scope_code=actor.scope_code, aggregated=True)


def suppress(value: int, min_count: int) -> int | None:
    """Return ``value``, or None when it is a small non-zero count.

    Parameters
    ----------
    value : int
        A count.
    min_count : int
        Smallest non-zero count shown.

    Returns
    -------
    int or None
        The count or None.

    Examples
    --------
    >>> suppress(0, 3), suppress(2, 3), suppress(3, 3), suppress(2, 1)
    (0, None, 3, 2)
    """
    return None if 0 < value < min_count else int(value)


def periods_ending(now: datetime, granularity: str, count: int) -> tuple[Period, ...]:
    """Return the ``count`` complete periods before the one containing ``now``.

    Parameters
    ----------
    now : datetime
        Reference instant (aware).
    granularity : {"month", "quarter"}
        Period length.
    count : int
        Number of periods, 1 … :data:`MAX_PERIODS`.

    Returns
    -------
    tuple of Period
        Oldest first.

    Raises
    ------
    InvalidInput
        Unknown granularity or count out of range.

    Examples
    --------
    >>> from datetime import UTC
    >>> ps = periods_ending(datetime(2026, 12, 1, 9, tzinfo=UTC), "month", 2)
    >>> [(p.key, p.label) for p in ps]
    [('2026-10', '2026年10月'), ('2026-11', '2026年11月')]
    >>> periods_ending(datetime(2026, 12, 1, tzinfo=UTC), "quarter", 1)[0].label
    '2026年第3季度'
    """
    if granularity not in GRANULARITIES:
        raise InvalidInput(f"统计粒度无效，可选：{'、'.join(GRANULARITY_LABELS.values())}")
    if not 1 <= count <= MAX_PERIODS:
        raise InvalidInput(f"统计期数应为 1 至 {MAX_PERIODS}")
    months = GRANULARITIES[granularity]
    local = now.astimezone(CHINA)
    index = local.year * 12 + (local.month - 1) // months * months - months * count
    out = []
    for _ in range(count):
        start = _month_start(index)
        end = _month_start(index + months)
        if months == 1:
            key, label = f"{start:%Y-%m}", f"{start.year}年{start.month}月"
        else:
            q = (start.month - 1) // 3 + 1
            key, label = f"{start.year}Q{q}", f"{start.year}年第{q}季度"
        out.append(Period(key, label, start, end))
        index += months
    return tuple(out)


def _month_start(index: int) -> datetime:
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=CHINA)


def window(
    now: datetime, granularity: str, count: int, *, end: str | None = None
) -> tuple[Period, ...]:
    """Return the ``count`` complete periods ending at period ``end`` (default: the latest).

    Parameters
    ----------
    now : datetime
        Reference instant (aware): the window's periods have all ended by then.
    granularity : {"month", "quarter"}
        Period length.
    count : int
        Number of periods, 1 … :data:`MAX_PERIODS`.
    end : str, optional
        The last period, ``2024-12`` or ``2024Q4``. A month for quarters means the last whole
        quarter that ends by the end of that month; a quarter for months, its last month.

    Returns
    -------
    tuple of Period
        Oldest first.

    Raises
    ------
    InvalidInput
        A bad granularity, count or ``end``, or an ``end`` that has not ended by ``now``.

    Examples
    --------
    >>> from datetime import UTC
    >>> now = datetime(2026, 12, 2, tzinfo=UTC)
    >>> [p.key for p in window(now, "month", 3, end="2024Q4")]
    ['2024-10', '2024-11', '2024-12']
    >>> [p.key for p in window(now, "quarter", 2, end="2024-11")]
    ['2024Q2', '2024Q3']
    """
    if end is None:
        return periods_ending(now, granularity, count)
    after = _end_of(end)
    if after > now:
        latest = periods_ending(now, granularity, 1)[0]
        raise InvalidInput(f"截止统计期 {end} 尚未结束，最近的完整统计期是{latest.label}")
    return periods_ending(after, granularity, count)


def _end_of(key: str) -> datetime:
    year, sep, rest = key.partition("Q" if "Q" in key else "-")
    if not (year.isdigit() and rest.isdigit() and len(year) == 4):
        raise _bad_end(key)
    months = int(rest) * 3 if sep == "Q" else int(rest)
    if not (1 <= int(rest) <= (4 if sep == "Q" else 12)):
        raise _bad_end(key)
    return _month_start(int(year) * 12 + months)


def _bad_end(key: str) -> InvalidInput:
    return InvalidInput(f"截止统计期 {key} 无效，应写作 2024-12（月）或 2024Q4（季度）")


def last_complete(now: datetime, granularity: str) -> str:
    """Return the key of the latest complete period (where the default window ends).

    Parameters
    ----------
    now : datetime
        Reference instant (aware).
    granularity : {"month", "quarter"}
        Period length.

    Returns
    -------
    str
        ``2026-11`` or ``2026Q3``.

    Examples
    --------
    >>> from datetime import UTC
    >>> last_complete(datetime(2026, 12, 2, tzinfo=UTC), "quarter")
    '2026Q3'
    """
    return periods_ending(now, granularity, 1)[0].key


def period_key(moment: datetime, granularity: str) -> str:
    """Return the key of the period holding ``moment``, in the centre's time.

    Parameters
    ----------
    moment : datetime
        Any instant (aware).
    granularity : {"month", "quarter"}
        Period length.

    Returns
    -------
    str
        ``2026-11`` or ``2026Q4``.

    Examples
    --------
    >>> from datetime import UTC
    >>> period_key(datetime(2026, 11, 30, 17, tzinfo=UTC), "month")  # 12-01 01:00 in China
    '2026-12'
    >>> period_key(datetime(2026, 5, 2, tzinfo=UTC), "quarter")
    '2026Q2'
    """
    local = moment.astimezone(CHINA)
    if GRANULARITIES.get(granularity) == 1:
        return f"{local:%Y-%m}"
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def local_day(moment: datetime) -> date:
    """Return the day of ``moment`` in the centre's time zone.

    Parameters
    ----------
    moment : datetime
        An aware time.

    Returns
    -------
    datetime.date
        The day in China.

    Examples
    --------
    >>> from datetime import UTC
    >>> local_day(datetime(2024, 12, 4, 16, 30, tzinfo=UTC)).isoformat()
    '2024-12-05'
    """
    return moment.astimezone(CHINA).date()


def history_start(session: Session, code: str, *, actor: Actor) -> datetime | None:
    """Return when the unit's earliest case was reported: where its history starts.

    The page warns when the window starts before it (periods without data), or when the first
    period holds it past its middle (a quarter of December's cases alone, counted as a whole
    one: trial AA's 2024年第4季度 of 913 cases beside 2,219–2,956).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The user's scoped session.
    code : str
        A 12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        The user.

    Returns
    -------
    datetime or None
        None when the unit has no case.

    Raises
    ------
    NotFound
        Not a jurisdiction inside the actor's scope.
    """
    lo, hi, _ = cases.unit_range(code, actor)
    earliest: datetime | None = session.execute(
        text("SELECT min(reported_at) FROM cases WHERE area_code >= :lo AND area_code < :hi"),
        {"lo": lo, "hi": hi},
    ).scalar_one()
    return earliest


def window_label(periods: tuple[Period, ...]) -> str:
    """Return the window in Chinese: first and last period and how many.

    Parameters
    ----------
    periods : tuple of Period
        Consecutive periods of one granularity, oldest first.

    Returns
    -------
    str
        E.g. ``2023年1月 至 2024年12月（24个月）``.

    Examples
    --------
    >>> from datetime import UTC
    >>> window_label(window(datetime(2026, 12, 2, tzinfo=UTC), "quarter", 8, end="2024Q4"))
    '2023年第1季度 至 2024年第4季度（8个季度）'
    """
    unit = "个季度" if "Q" in periods[0].key else "个月"
    return f"{periods[0].label} 至 {periods[-1].label}（{len(periods)}{unit}）"


def unit_of(
    session: Session,
    code: str,
    *,
    actor: Actor,
    periods: tuple[Period, ...] | None = None,
    case_filter: CaseFilter = ALL_CASES,
) -> dict[str, Any]:
    """Return the unit ``code`` with its path from the actor's scope down to it.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor.
    code : str
        12-digit jurisdiction code.
    actor : Actor
        Whose scope applies.
    periods : tuple of Period, optional
        The window: the children a re-division retired are listed when they have cases in it.
    case_filter : CaseFilter
        Which cases count for that.

    Returns
    -------
    dict
        ``code``, ``name``, ``level``, ``level_label``, ``path`` (list of ``{code, name}``
        from the actor's scope to the unit), ``retired_on`` (ISO date, None for a unit in
        use), ``successor`` (``{code, name}`` or None), ``notice`` (a sentence for a retired
        unit, else None) and ``children`` (:func:`children`).

    Raises
    ------
    NotFound
        Not a jurisdiction inside the actor's scope.
    """
    cases.unit_range(code, actor)
    rows = command.ancestors(session, code)
    if not rows or rows[-1]["code"] != code:
        raise no_jurisdiction(code)
    unit = rows[-1]
    own = session.execute(
        text(
            "SELECT j.retired_on, j.successor_code, s.name AS successor_name FROM jurisdictions j"
            " LEFT JOIN jurisdictions s ON s.code = j.successor_code WHERE j.code = :code"
        ),
        {"code": code},
    ).one()
    with_cases = child_codes_with_cases(session, code, periods, case_filter) if periods else set()
    return {
        "code": unit["code"],
        "name": unit["name"],
        "level": unit["level"],
        "level_label": unit["level_label"],
        "path": [
            {"code": r["code"], "name": r["name"]}
            for r in rows
            if cases.in_scope(actor.scope_code, r["code"])
        ],
        "retired_on": own.retired_on.isoformat() if own.retired_on else None,
        "successor": (
            {"code": own.successor_code, "name": own.successor_name or own.successor_code}
            if own.successor_code
            else None
        ),
        "notice": _retired_notice(unit["name"], own.retired_on, own.successor_name),
        "children": children(session, code, with_cases=with_cases),
    }


def _retired_notice(name: str, retired_on: date | None, successor: str | None) -> str | None:
    if retired_on is None:
        return None
    heir = f"，由{successor}继承" if successor else ""
    return f"{name}已于 {retired_on.isoformat()} 撤销{heir}；本页统计记在{name}名下的案件。"


def retired_label(name: str, retired_on: date | None, successor: str | None) -> str:
    """Return a unit's name as the trend views list it: marked 已撤销 when retired.

    Parameters
    ----------
    name : str
        The unit's name.
    retired_on : date or None
        When a re-division retired it.
    successor : str or None
        Name of the unit that took it over.

    Returns
    -------
    str
        The name, or e.g. ``黄坝村（2024-06-28 已撤销，由黄寨村继承）``.

    Examples
    --------
    >>> retired_label("黄坝村", date(2024, 6, 28), "黄寨村"), retired_label("黄寨村", None, None)
    ('黄坝村（2024-06-28 已撤销，由黄寨村继承）', '黄寨村')
    """
    if retired_on is None:
        return name
    heir = f"，由{successor}继承" if successor else ""
    return f"{name}（{retired_on.isoformat()} 已撤销{heir}）"


def children(
    session: Session, code: str, *, with_cases: Collection[str] = ()
) -> list[dict[str, Any]]:
    """Return the children of unit ``code``: those in use, then retired ones with cases.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The unit (already checked to be in scope).
    with_cases : collection of str
        Child codes that have cases in the window (:func:`child_codes_with_cases`): the
        retired ones among them are listed after those in use.

    Returns
    -------
    list of dict
        ``code``, ``name``, ``label`` (:func:`retired_label`), ``retired_on`` (ISO date or
        None), ``successor_code`` and ``successor_name``.
    """
    rows = session.execute(
        text(
            "SELECT j.code, j.name, j.retired_on, j.successor_code, s.name AS successor_name"
            " FROM jurisdictions j LEFT JOIN jurisdictions s ON s.code = j.successor_code"
            " WHERE j.code <> :code AND ((j.parent_code = :code AND j.retired_on IS NULL)"
            " OR (j.retired_on IS NOT NULL AND j.code = ANY(:with_cases)))"
            " ORDER BY j.retired_on IS NOT NULL, j.code"
        ),
        {"code": code, "with_cases": sorted(with_cases)},
    ).all()
    return [
        {
            "code": r.code,
            "name": r.name,
            "label": retired_label(r.name, r.retired_on, r.successor_name),
            "retired_on": r.retired_on.isoformat() if r.retired_on else None,
            "successor_code": r.successor_code,
            "successor_name": r.successor_name,
        }
        for r in rows
    ]


def cases_in(
    code: str, periods: tuple[Period, ...], case_filter: CaseFilter = ALL_CASES
) -> tuple[str, dict[str, Any]]:
    """Return ``FROM cases WHERE …`` of the cases a trend view counts, and its parameters.

    The non-duplicate cases of unit ``code`` (its code range) reported in the window, located
    or not, that pass the filter.

    Parameters
    ----------
    code : str
        The unit.
    periods : tuple of Period
        The window.
    case_filter : CaseFilter
        Channels and origin.

    Returns
    -------
    tuple of (str, dict)
        The SQL and its bind parameters (``lo``, ``hi``, ``s``, ``e`` and the filter's).
    """
    lo, hi = scope_range(code)
    where, params = case_filter.sql()
    return (
        "FROM cases WHERE area_code >= :lo AND area_code < :hi AND duplicate_of IS NULL"
        " AND reported_at >= :s AND reported_at < :e" + where,
        {"lo": lo, "hi": hi, "s": periods[0].start, "e": periods[-1].end, **params},
    )


def child_key_sql(code: str) -> str:
    """Return the SQL expression of the unit's child a case's ``area_code`` lies in.

    The child is read from the code (the prefix of the next level, padded with zeros, as
    scoping reads it); a case recorded on the unit itself gives the unit's own code, bound as
    ``:unit``. Where a level is skipped (a city without counties), the next one is used.

    Parameters
    ----------
    code : str
        The unit's 12-digit code.

    Returns
    -------
    str
        The expression (for a village: ``area_code``).

    Examples
    --------
    >>> expression = child_key_sql("530424000000")
    >>> "rpad(left(area_code, 9), 12, '0')" in expression, "left(area_code, 12)" in expression
    (True, True)
    """
    keys = (
        f"rpad(left(area_code, {prefix_length(level)}), 12, '0')"
        for level in range(division_level(code) + 1, 6)
    )
    branches = "".join(f" WHEN {key} <> :unit THEN {key}" for key in keys)
    return f"CASE WHEN area_code = :unit THEN :unit{branches} ELSE area_code END"


def child_codes_with_cases(
    session: Session, code: str, periods: tuple[Period, ...], case_filter: CaseFilter
) -> set[str]:
    """Return the codes of the children of ``code`` that have cases in the window.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The unit.
    periods : tuple of Period
        The window.
    case_filter : CaseFilter
        Which cases count.

    Returns
    -------
    set of str
        Child codes (the unit's own code when cases are recorded on it).
    """
    where, params = cases_in(code, periods, case_filter)
    return set(
        session.execute(
            text(f"SELECT DISTINCT {child_key_sql(code)} AS child {where}"),
            {**params, "unit": code},
        ).scalars()
    )


ANALYSES: SharedResults[tuple[Any, ...], Series] = SharedResults(maxsize=16)
"""The analyses computed, by unit, window, filter and fingerprint: each once (:func:`series`)."""
_FINGERPRINT = (
    "SELECT count(*) AS n, coalesce(sum(hashtextextended(concat_ws('|', id, ST_AsEWKB(point),"
    " reported_at, category), 0)), 0) AS h, (SELECT coalesce(sum(hashtextextended(concat_ws('|',"
    " code, xmin::text, ctid::text), 0)), 0) FROM jurisdictions"
    " WHERE code >= :lo AND code < :hi) AS labels "
)
"""What the cache key reads: the cases of the window and the jurisdictions the labels come from.

A jurisdiction's row version (``xmin``, the transaction that wrote it, and ``ctid``, where it
lies) changes with any rename, new boundary or retirement, without reading the boundaries of a
province's thousands of units.
"""


def series(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    granularity: str = "month",
    periods: int = 24,
    end: str | None = None,
    case_filter: CaseFilter = ALL_CASES,
) -> Series:
    """Return the hot-spot analysis of unit ``code`` over ``periods`` periods.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor.
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Whose scope applies.
    now : datetime
        Reference instant; the periods are complete ones before it.
    granularity : {"month", "quarter"}
        Period length.
    periods : int
        Number of periods.
    end : str, optional
        The last period of the window (:func:`window`); the latest complete one when None.
    case_filter : CaseFilter
        Which cases are read.

    Returns
    -------
    Series
        Counts, Gi* per period and emerging patterns per cell.

    Raises
    ------
    NotFound
        Not a jurisdiction inside the actor's scope.
    InvalidInput
        Bad granularity, number of periods or end.

    Notes
    -----
    The analysis is read from :data:`ANALYSES` when its key is there. Otherwise the first read
    of a key computes it and the reads of the same key that come meanwhile, from the server's
    other worker threads, wait for that computation instead of doing it again: all get its
    result, or the exception it raised, which is not kept (:class:`layers.shared_results.
    SharedResults`).
    """
    level = cases.unit_range(code, actor)[2]
    spans = window(now, granularity, periods, end=end)
    exists = session.execute(
        text("SELECT 1 FROM jurisdictions WHERE code = :code"), {"code": code}
    ).first()
    if exists is None:
        raise no_jurisdiction(code)
    where, params = cases_in(code, spans, case_filter)
    read = session.execute(text(_FINGERPRINT + where), params).one()
    window_key = (code, granularity, spans[0].key, spans[-1].key, case_filter)
    key = (*window_key, read.n, str(read.h), str(read.labels))
    return ANALYSES.get(
        key, lambda: _compute(session, code, spans, level, where, params, case_filter, key)
    )


def _compute(
    session: Session,
    code: str,
    spans: tuple[Period, ...],
    level: int,
    where: str,
    params: dict[str, Any],
    case_filter: CaseFilter,
    key: tuple[Any, ...],
) -> Series:
    rows = session.execute(
        text("SELECT ST_X(point) AS lon, ST_Y(point) AS lat, reported_at " + where), params
    ).all()
    return replace(
        _analyse(session, code, spans, RESOLUTION_BY_LEVEL[level], list(rows)),
        case_filter=case_filter,
        fingerprint=key,
    )


def _steps(spans: tuple[Period, ...], when: list[datetime]) -> npt.NDArray[np.int64]:
    edges = np.array([p.start.timestamp() for p in spans] + [spans[-1].end.timestamp()])
    instants = np.array([w.timestamp() for w in when], dtype=float)
    return (np.searchsorted(edges, instants, side="right") - 1).astype(np.int64)


def _analyse(
    session: Session, code: str, spans: tuple[Period, ...], resolution: int, rows: list[Any]
) -> Series:
    n_periods = len(spans)
    totals = np.bincount(_steps(spans, [r.reported_at for r in rows]), minlength=n_periods)
    rows = [r for r in rows if r.lon is not None]
    if not rows:
        return Series(
            code, spans, resolution, (), np.zeros((0, n_periods), np.int64),
            np.zeros((0, n_periods)), np.ones((0, n_periods)), np.zeros((0, n_periods), np.int8),
            (), (), {}, 0, totals.astype(np.int64),
        )  # fmt: skip
    lon = np.array([r.lon for r in rows], dtype=float)
    lat = np.array([r.lat for r in rows], dtype=float)
    step = _steps(spans, [r.reported_at for r in rows])
    occupied = count_in_h3(lon, lat, resolution, fill="ring")
    cells = occupied.cells
    index = {cell: i for i, cell in enumerate(cells)}
    unit = np.array(
        [index[h3.latlng_to_cell(y, x, resolution)] for x, y in zip(lon, lat, strict=True)]
    )
    counts = np.bincount(unit * n_periods + step, minlength=len(cells) * n_periods).reshape(
        len(cells), n_periods
    )
    weights = h3_ring(list(cells), 1)
    z = np.zeros(counts.shape)
    p = np.ones(counts.shape)
    bins = np.zeros(counts.shape, dtype=np.int8)
    judged = counts.sum(axis=0) >= MIN_INCIDENTS  # too few: no hot spot is told (judged_note)
    for t in np.flatnonzero(judged):
        gi = getis_ord_gi_star(counts[:, t].astype(float), weights, permutations=0)
        z[:, t], p[:, t] = gi.Zs, gi.pvalues("norm")
        bins[:, t] = gi.confidence_bins(source="norm")
    start = first_with_data(counts.sum(axis=0))  # no zeros before the records start (AY M3)
    patterns = (
        _patterns(counts[:, start:], spans[start:], cells, weights.sparse)
        if judged.sum() >= MIN_SERIES_LENGTH
        else tuple("no_pattern" for _ in cells)
    )
    areas, names = _areas(session, code, occupied.polygons())
    outside = outside_cells(code, areas, counts)
    z[outside], p[outside], bins[outside] = 0.0, 1.0, 0
    patterns = tuple("no_pattern" if o else pt for o, pt in zip(outside, patterns, strict=True))
    return Series(
        code, spans, resolution, cells, counts.astype(np.int64), z, p, bins, patterns, areas,
        names, len(rows), totals.astype(np.int64), patterns_from=start,
    )  # fmt: skip


def outside_cells(
    code: str, areas: tuple[str, ...], counts: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Return which cells lie outside the data: no case ever, in or near no unit below ``code``.

    The ring of empty cells round the occupied ones weighs in each Gi*, but one in or near no
    unit below the analysed one (a province's 36 km² cell beyond its one connected county,
    placed at the province itself) is no hot spot of it: trial AA saw such a cell, 0 km²
    inside 甘州区 and 0 cases, reported 热点（99%置信）, 连续热点, 无摄像机覆盖, named 甘肃省.
    A village has no unit below it: its cells are all its own.

    Parameters
    ----------
    code : str
        The analysed unit.
    areas : tuple of str
        Each cell's unit (:func:`layers.cell_places.cell_units`).
    counts : numpy.ndarray
        Cases per cell and period.

    Returns
    -------
    numpy.ndarray of bool
        Per cell.

    Examples
    --------
    >>> counts = np.array([[0, 0], [3, 1], [0, 0]])
    >>> outside_cells("620000000000", ("620000000000", "620702001000", "620702001000"), counts)
    array([ True, False, False])
    >>> outside_cells("620702001001", ("620702001001",) * 3, counts)
    array([False, False, False])
    """
    if division_level(code) == 5:
        return np.zeros(len(areas), dtype=bool)
    placed_at_unit = np.array([a == code for a in areas], dtype=bool)
    never: npt.NDArray[np.bool_] = counts.sum(axis=1) == 0
    return placed_at_unit & never


def _patterns(
    counts: npt.NDArray[np.int64], spans: tuple[Period, ...], cells: tuple[str, ...], sparse: Any
) -> tuple[str, ...]:
    none = tuple("no_pattern" for _ in cells)
    if len(spans) < MIN_SERIES_LENGTH:
        return none
    edges = np.array(
        [p.start.replace(tzinfo=None) for p in spans] + [spans[-1].end.replace(tzinfo=None)],
        dtype="datetime64[us]",
    )
    cube = SpaceTimeCube(counts=counts, edges=edges, unit_ids=np.array(cells))
    try:
        result = emerging_hotspots(cube, sparse)
    except ValueError:
        return none
    return tuple(EmergingClass(int(c)).name.lower() for c in result.classes)


def _areas(session: Session, code: str, polygons: Any) -> tuple[tuple[str, ...], dict[str, str]]:
    units = cell_units(session, code, polygons)
    own = session.execute(
        text("SELECT name FROM jurisdictions WHERE code = :code"), {"code": code}
    ).scalar()
    names = dict(units)
    names.setdefault(code, own or code)
    townships = sorted({unit[:9] + "000" for unit, _ in units if unit[9:] != "000"} - names.keys())
    if townships:  # the townships of the villages, for a 乡镇（街道） column (trial AG)
        rows = session.execute(
            text("SELECT code, name FROM jurisdictions WHERE code = ANY(:codes)"),
            {"codes": townships},
        )
        names.update({str(code): str(name) for code, name in rows})
    return tuple(unit for unit, _name in units), names


def township_name(result: Series, area: str) -> str:
    """Return the name of the township a cell's village lies in, when the unit is above one.

    Parameters
    ----------
    result : Series
        From :func:`series`.
    area : str
        The cell's unit (:attr:`Series.areas`).

    Returns
    -------
    str
        The township's name for a village of a county's, a city's or a province's analysis;
        ``""`` otherwise (a township's own analysis, a cell of no village).
    """
    if result.code[6:9] != "000" or area[9:] == "000":
        return ""
    return result.area_names.get(area[:9] + "000", "")


def series_json(result: Series, *, min_count: int) -> dict[str, Any]:
    """Return the series as JSON for the page: periods, legend and the significant cells.

    Cells that are never significant and have no emerging pattern are left out (they draw
    nothing).

    Parameters
    ----------
    result : Series
        From :func:`series`.
    min_count : int
        Smallest non-zero count of a cell shown (:func:`min_count_for` with ``of="cases"``);
        the counts per period are exact.

    Returns
    -------
    dict
        ``periods`` (key, label, start, end, ``cases``: all the period's cases, ``located``:
        those with a point, analysed; ``unlocated``, ``judged``: enough located cases to tell
        hot spots, ``note`` (:func:`judged_note`, :func:`unlocated_note`), hot, cold),
        ``cases``, ``located_cases``, ``unlocated_cases`` and ``note`` over the window,
        ``patterns_note`` (:func:`patterns_note`), ``patterns_from`` (the key of the first
        period the patterns were judged on) and ``patterns_from_note``
        (:func:`patterns_from_note`, empty when they were not told),
        ``window`` (first, last, label), ``filter`` (:func:`filter_json`), ``cells`` (id,
        area_code, area_name, township_name (:func:`township_name`), ring, bins and counts per
        period, pattern), ``legend`` (patterns
        and bins), ``resolution`` and ``cell_km2`` (:func:`cell_km2`).
    """
    located = result.counts.sum(axis=0) if result.cells else np.zeros(len(result.periods))
    periods = [
        {
            "key": period.key,
            "label": period.label,
            "start": period.start.date().isoformat(),
            "end": (period.end - timedelta(days=1)).date().isoformat(),
            "cases": int(result.totals[t]),
            "located": int(located[t]),
            "unlocated": int(result.totals[t] - located[t]),
            "note": "；".join(
                n
                for n in (
                    judged_note(int(located[t]), monthly="Q" not in period.key),
                    unlocated_note(int(result.totals[t] - located[t])),
                )
                if n
            ),
            "judged": bool(located[t] >= MIN_INCIDENTS),
            "hot": int((result.bins[:, t] >= 2).sum()),
            "cold": int((result.bins[:, t] <= -2).sum()),
        }
        for t, period in enumerate(result.periods)
    ]
    cells = []
    for i, cell in enumerate(result.cells):
        pattern = result.patterns[i]
        if pattern == "no_pattern" and not result.bins[i].any():
            continue
        ring = [[round(lng, 5), round(lat, 5)] for lat, lng in h3.cell_to_boundary(cell)]
        cells.append(
            {
                "id": cell,
                "area_code": result.areas[i],
                "area_name": result.area_names.get(result.areas[i], ""),
                "township_name": township_name(result, result.areas[i]),
                "ring": ring + ring[:1],
                "bins": [int(b) for b in result.bins[i]],
                "counts": [suppress(int(c), min_count) for c in result.counts[i]],
                "pattern": pattern,
            }
        )
    pattern_counts = dict.fromkeys(PATTERN_LABELS, 0)
    for pattern in result.patterns:
        pattern_counts[pattern] += 1
    return {
        "resolution": result.resolution,
        "cell_km2": cell_km2(result.resolution),
        "cases": int(result.totals.sum()),
        "located_cases": result.located,
        "unlocated_cases": int(result.totals.sum()) - result.located,
        "note": unlocated_note(int(result.totals.sum()) - result.located),
        "patterns_note": patterns_note(int((located >= MIN_INCIDENTS).sum()), len(result.periods)),
        "patterns_judged": patterns_judged(result),
        "patterns_from": result.periods[result.patterns_from].key,
        "patterns_from_note": (
            patterns_from_note(result.periods, result.patterns_from)
            if patterns_judged(result)
            else ""
        ),
        "window": {
            "first": result.periods[0].key,
            "last": result.periods[-1].key,
            "label": window_label(result.periods),
        },
        "filter": filter_json(result.case_filter),
        "periods": periods,
        "cells": cells,
        "legend": {
            "patterns": [
                {
                    "code": code,
                    "label": label,
                    "colour": PATTERN_COLOURS[code],
                    "cells": pattern_counts[code],
                }
                for code, label in PATTERN_LABELS.items()
            ],
            "bins": [
                {"bin": b, "label": label, "colour": colour}
                for b, (label, colour) in BIN_LEGEND.items()
            ],
        },
    }


def outlines(session: Session, code: str, *, actor: Actor) -> dict[str, Any]:
    """Return the boundaries of unit ``code`` and its children as a GeoJSON collection.

    Simplified to about 50 m, for drawing only; units without a boundary are left out.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor.
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Whose scope applies.

    Returns
    -------
    dict
        A GeoJSON ``FeatureCollection``; each feature has ``code``, ``name`` and ``role``
        (``unit``, or ``child``: a live child, not one a re-division retired).

    Raises
    ------
    NotFound
        Not a jurisdiction inside the actor's scope.
    """
    cases.unit_range(code, actor)
    rows = session.execute(
        text(
            "SELECT code, name, CASE WHEN code = :code THEN 'unit' ELSE 'child' END AS role,"
            " ST_AsGeoJSON(ST_SimplifyPreserveTopology(boundary, 0.0005), 5) AS geom"
            " FROM jurisdictions WHERE code = :code"
            " OR (parent_code = :code AND retired_on IS NULL) ORDER BY code"
        ),
        {"code": code},
    ).all()
    if not any(r.role == "unit" for r in rows):
        raise no_jurisdiction(code)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": r.code, "name": r.name, "role": r.role},
                "geometry": json.loads(r.geom),
            }
            for r in rows
            if r.geom is not None
        ],
    }
