"""The aggregates beside the trend maps.

Counts by category and period, by child unit and period, each village's last months against
as many before (:func:`village_changes`, 变化对比), hot spots no camera covers, overdue
special-population visits by grid, and the kernel density of a period.

Every function reads through the caller's scoped session (row-level security applies) and
returns aggregates only. The case counts read the cases :func:`layers.trends.cases_in` gives
(the window, the source filter; located or not) and are exact for every role; counts of
persons and per map cell below the actor's minimum (:func:`layers.trends.min_count_for`: of
``cases`` for a cell, of ``persons`` for the visits) are ``None``. The overdue visits by grid
list only the grids of at least that many overdue, and give a unit's totals only where they
tell nothing of the grids not listed (:func:`shown_totals`, trials AI M1 and AJ M3).

The children-by-period table (:func:`child_counts`) puts each case in the child unit its code
lies in, retired or not (history stays in the unit where it happened): the children in use, the
retired ones with cases (marked 已撤销 with their successor) and a row for the unit itself
(乡镇本级 …) when cases are recorded on it, so that the rows add up to the unit's total.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.cameras import coverage_share, view_cones
from geo.codes import CodeError, division_level, enclosing_code, scope_range
from geo.kde import kernel_density, to_png
from layers import visits_due
from layers.china_time import CHINA
from layers.errors import InvalidInput
from layers.model import Category, DisputeType
from layers.model.cases import SUBTYPES
from layers.trends import (
    ALL_CASES,
    CHILD_LABELS,
    GRANULARITIES,
    CaseFilter,
    Period,
    Series,
    cases_in,
    child_key_sql,
    children,
    pattern_label,
    patterns_judged,
    retired_label,
    suppress,
    window,
    window_label,
)
from layers.video import camera_view

DEFAULT_MIN_SHARE = 0.05
"""A hot cell counts as covered when at least this share of it lies in some camera's view."""
UNTYPED = ""
"""The ``subcategories`` code of the disputes recorded without a type."""
UNTYPED_LABEL = "未注明类型"
BANDWIDTH_BY_RESOLUTION = {6: 4000.0, 7: 2000.0, 8: 800.0, 9: 400.0}
KDE_PIXELS = 256


def category_counts(
    session: Session,
    code: str,
    periods: tuple[Period, ...],
    *,
    case_filter: CaseFilter = ALL_CASES,
) -> dict[str, Any]:
    """Return the cases of unit ``code`` by category and period, and by sub-category.

    All cases count (located or not), repeats excluded; the counts are exact.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The unit (already checked to be in scope).
    periods : tuple of Period
        The periods (consecutive, same length).
    case_filter : CaseFilter
        Which cases count (channels, origin).

    Returns
    -------
    dict
        ``periods`` (keys), ``categories`` (code, label, counts per period, total),
        ``subcategories`` (code, label, counts per period) of disputes, the disputes recorded
        without a type last (code :data:`UNTYPED`, when there are any), so that they add up
        to the disputes; ``totals`` (all categories, per period) and ``total``.
    """
    rows = _by_period(session, code, periods, case_filter, ("category", "subcategory"))
    by_category = {c.value: [0] * len(periods) for c in Category}
    by_sub = {d.value: [0] * len(periods) for d in DisputeType}
    untyped = [0] * len(periods)
    for t, row in rows:
        by_category.setdefault(row.category, [0] * len(periods))[t] += row.n
        if row.category == Category.DISPUTE.value:
            counts = (
                by_sub.setdefault(row.subcategory, [0] * len(periods))
                if row.subcategory
                else untyped
            )
            counts[t] += row.n
    if any(untyped):
        by_sub[UNTYPED] = untyped
    cat_labels = Category.labels()
    sub_labels = DisputeType.labels() | {UNTYPED: UNTYPED_LABEL}
    totals = [sum(counts[t] for counts in by_category.values()) for t in range(len(periods))]
    return {
        "periods": [p.key for p in periods],
        "categories": [
            {
                "code": cat,
                "label": cat_labels.get(cat, cat),
                "counts": counts,
                "total": sum(counts),
            }
            for cat, counts in by_category.items()
        ],
        "subcategories": [
            {"code": sub, "label": sub_labels.get(sub, sub), "counts": counts}
            for sub, counts in by_sub.items()
        ],
        "totals": totals,
        "total": sum(totals),
    }


def child_counts(
    session: Session,
    code: str,
    periods: tuple[Period, ...],
    *,
    case_filter: CaseFilter = ALL_CASES,
) -> dict[str, Any]:
    """Return the cases of unit ``code`` by child unit and period, with totals.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The unit (already checked to be in scope).
    periods : tuple of Period
        The periods (consecutive, same length).
    case_filter : CaseFilter
        Which cases count (channels, origin).

    Returns
    -------
    dict
        ``periods`` (keys), ``child_label`` (``村（社区）`` …; None for a village, which has
        no child unit), ``rows`` (code, name, label, retired_on, successor_code,
        successor_name, ``own``: the row of the unit itself, counts per period, total),
        ``totals`` per period and ``total``. The children in use are listed even without
        cases; the retired ones and the unit's own row only with cases.
    """
    found = _by_period(
        session, code, periods, case_filter, (f"{child_key_sql(code)} AS child",), unit=code
    )
    counts: dict[str, list[int]] = {}
    for t, row in found:
        counts.setdefault(row.child, [0] * len(periods))[t] += row.n
    units = children(session, code, with_cases=counts)
    own = session.execute(text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": code})
    own_name = own.scalar() or code
    listed = {u["code"] for u in units}
    extra = sorted(set(counts) - listed - {code})
    units += [_unlisted(child) for child in extra]
    if code in counts:
        units.append({**_unlisted(code), "name": own_name, "label": f"{own_name}本级"})
    rows = []
    for unit in units:
        series = counts.get(unit["code"], [0] * len(periods))
        rows.append({**unit, "own": unit["code"] == code, "counts": series, "total": sum(series)})
    totals = [sum(r["counts"][t] for r in rows) for t in range(len(periods))]
    return {
        "periods": [p.key for p in periods],
        "child_label": CHILD_LABELS.get(division_level(code)),
        "rows": rows,
        "totals": totals,
        "total": sum(totals),
    }


CHANGE_MONTHS = (3, 6, 12)
"""The lengths (months) :func:`village_changes` sets against the same length before."""
CHANGE_TOP = 2
"""How many of a village's rising case types :func:`village_changes` names."""


def change_periods(now: datetime, months: int, end: str | None) -> tuple[Period, ...]:
    """Return the ``2 * months`` months that :func:`village_changes` compares, oldest first.

    Parameters
    ----------
    now : datetime
        Reference instant (aware).
    months : int
        One of :data:`CHANGE_MONTHS`.
    end : str, optional
        The last month (``2026-10``), or a quarter (``2026Q3``: its last month); the latest
        complete month when omitted.

    Returns
    -------
    tuple of Period
        The earlier ``months`` months, then the recent ``months``.

    Raises
    ------
    InvalidInput
        A length not in :data:`CHANGE_MONTHS`, or a bad or unfinished ``end``.

    Examples
    --------
    >>> from datetime import UTC
    >>> ps = change_periods(datetime(2026, 12, 6, tzinfo=UTC), 3, "2026Q3")
    >>> [p.key for p in ps]
    ['2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09']
    """
    if months not in CHANGE_MONTHS:
        raise InvalidInput(f"对比时长应为 {'、'.join(str(m) for m in CHANGE_MONTHS)} 个月")
    return window(now, "month", 2 * months, end=end)


def village_changes(
    session: Session,
    code: str,
    periods: tuple[Period, ...],
    *,
    min_count: int,
    case_filter: CaseFilter = ALL_CASES,
    top: int = CHANGE_TOP,
) -> dict[str, Any]:
    """Return each village's cases in the recent half of ``periods`` against the earlier half.

    Per village (社区/村) of unit ``code`` with a case in either half (the cases recorded on a
    township or the unit itself as its own row, 本级), the recent and the earlier count, the
    change (件数 and %; no % on a small base, :func:`small_base`), and the case types (dispute
    types, hazard types …; a category where no type is recorded) that rose most in it. The rows
    are sorted by the rise, the largest first (trial AO M1: which places got worse over the
    last months, and in what).

    The villages' counts are exact, as every count per unit is (:func:`child_counts` gives them
    per month). A type's counts in one village are the finest figures here and are withheld
    below ``min_count`` (``None``; :func:`layers.trends.min_count_for` with ``of="cases"``); for
    such a reader the rise of a type is judged on the counts shown, a withheld one counting as
    1, so that the order does not tell 1 from 2.

    One query over the cases (the unit's code range and the window's time range, both indexed).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The unit (already checked to be in scope).
    periods : tuple of Period
        An even number of consecutive months (:func:`change_periods`).
    min_count : int
        Smallest non-zero count of a type in a village shown.
    case_filter : CaseFilter
        Which cases count (channels, origin, category).
    top : int
        How many rising types to name per village.

    Returns
    -------
    dict
        ``months``; ``recent`` and ``earlier`` (first, last, label of each half); ``min_count``;
        ``rows`` (code, name, township_name, label, recent, earlier, change, ``change_pct``:
        a percentage rounded to one decimal, None when the earlier half had none or on a
        small base; ``small_base``: both halves below :data:`SMALL_BASE`; ``rising``:
        up to ``top`` of (code, label, recent, earlier) with counts below ``min_count``
        None); ``totals`` (recent, earlier, change, change_pct, small_base); ``small_base``
        (:data:`SMALL_BASE`).
    """
    half = len(periods) // 2
    if half == 0 or len(periods) != 2 * half:
        raise ValueError("village_changes compares two halves of an even number of months")
    where, params = cases_in(code, periods, case_filter)
    found = session.execute(
        text(
            "SELECT area_code, category, coalesce(subcategory, '') AS subcategory,"
            " count(*) FILTER (WHERE reported_at >= :mid) AS recent,"
            f" count(*) FILTER (WHERE reported_at < :mid) AS earlier {where}"
            " GROUP BY 1, 2, 3"
        ),
        {**params, "mid": periods[half].start},
    ).all()
    kinds: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}
    for row in found:
        kinds.setdefault(row.area_code, {})[(row.category, row.subcategory)] = (
            int(row.recent),
            int(row.earlier),
        )
    names = _place_names(session, sorted(kinds))
    rows: list[dict[str, Any]] = []
    for area, by_kind in kinds.items():
        recent = sum(n for n, _ in by_kind.values())
        earlier = sum(n for _, n in by_kind.values())
        name, township, label = names.get(area, (area, "", f"未登记的辖区（{area}）"))
        rows.append(
            {
                "code": area,
                "name": name,
                "township_name": township,
                "label": label,
                "recent": recent,
                "earlier": earlier,
                "change": recent - earlier,
                "change_pct": None if small_base(recent, earlier) else change_pct(recent, earlier),
                "small_base": small_base(recent, earlier),
                "rising": _rising(by_kind, min_count, top),
            }
        )
    rows.sort(key=lambda r: (-r["change"], -r["recent"], r["code"]))
    recent = sum(r["recent"] for r in rows)
    earlier = sum(r["earlier"] for r in rows)

    def span(part: tuple[Period, ...]) -> dict[str, str]:
        return {"first": part[0].key, "last": part[-1].key, "label": window_label(part)}

    return {
        "months": half,
        "recent": span(periods[half:]),
        "earlier": span(periods[:half]),
        "min_count": min_count,
        "rows": rows,
        "totals": {
            "recent": recent,
            "earlier": earlier,
            "change": recent - earlier,
            "change_pct": None if small_base(recent, earlier) else change_pct(recent, earlier),
            "small_base": small_base(recent, earlier),
        },
        "small_base": SMALL_BASE,
    }


SMALL_BASE = 5
"""A change between two counts both below this is told in counts only, with
:data:`SMALL_BASE_NOTE` (trial AY M4: 「柳铺村 4 1 +3（+300%）」, 1 → 0 read 「环比 −100%」)."""
SMALL_BASE_NOTE = "基数小，仅供参考"
"""Said where a percentage is left out for a small base (:func:`small_base`)."""


def small_base(recent: int, earlier: int) -> bool:
    """Return whether a change from ``earlier`` to ``recent`` is on too small a base for a %.

    The one rule the page, the HTML report and the workbook follow: both counts below
    :data:`SMALL_BASE`; such a change is given in counts, without a percentage, and marked
    :data:`SMALL_BASE_NOTE`.

    Examples
    --------
    >>> small_base(4, 1), small_base(0, 1), small_base(5, 1), small_base(40, 30)
    (True, True, False, False)
    """
    return recent < SMALL_BASE and earlier < SMALL_BASE


def case_changes(totals: Sequence[int], granularity: str) -> list[list[dict[str, Any]]]:
    """Return each period's 环比 and 同比 of its cases, as far as the window holds them.

    Parameters
    ----------
    totals : sequence of int
        The cases per period of the window (:attr:`layers.trends.Series.totals`).
    granularity : {'month', 'quarter'}
        The periods' length: 同比 is 12 months or 4 quarters before.

    Returns
    -------
    list of list of dict
        Per period, 环比 (against the period before) then 同比 (the same period a year
        before), each only when the window holds it: ``kind``, ``column`` (上期, 上年同期),
        ``index`` of the compared period, ``before``, ``change`` (cases), ``change_pct``
        (None from 0 or on a small base) and ``small_base`` (:func:`small_base`).

    Examples
    --------
    >>> found = case_changes([403, 484, 465], "month")
    >>> [[(c["kind"], c["change_pct"]) for c in cs] for cs in found]
    [[], [('环比', 20.1)], [('环比', -3.9)]]
    >>> case_changes([0, 1, 0, 0, 2], "quarter")[4][1]["small_base"]
    True
    """
    year = 4 if granularity == "quarter" else 12
    out: list[list[dict[str, Any]]] = []
    for t, now in enumerate(totals):
        found = []
        for kind, column, i in (("环比", "上期", t - 1), ("同比", "上年同期", t - year)):
            if i < 0:
                continue
            before = int(totals[i])
            small = small_base(int(now), before)
            found.append(
                {
                    "kind": kind,
                    "column": column,
                    "index": i,
                    "before": before,
                    "change": int(now) - before,
                    "change_pct": None if small else change_pct(int(now), before),
                    "small_base": small,
                }
            )
        out.append(found)
    return out


def change_pct(recent: int, earlier: int) -> float | None:
    """Return the change from ``earlier`` to ``recent`` in percent (None from nothing).

    Examples
    --------
    >>> change_pct(9, 6), change_pct(2, 3), change_pct(4, 0)
    (50.0, -33.3, None)
    """
    return None if earlier == 0 else round((recent - earlier) * 100 / earlier, 1)


def kind_label(category: str, subcategory: str) -> str:
    """Return the Chinese name of a case type: its sub-category, or its category untyped.

    Examples
    --------
    >>> kind_label("dispute", "neighbours"), kind_label("safety_hazard", "")
    ('邻里纠纷', '安全隐患（未注明类型）')
    """
    labels = Category.labels()
    if category not in labels:
        return category
    if not subcategory:
        return f"{labels[category]}（{UNTYPED_LABEL}）"
    types = next(kinds for c, kinds in SUBTYPES.items() if c.value == category)
    return types.labels().get(subcategory, subcategory)


def _rising(
    by_kind: Mapping[tuple[str, str], tuple[int, int]], min_count: int, top: int
) -> list[dict[str, Any]]:
    def shown(n: int) -> int:
        return n if n == 0 or n >= min_count else 1

    rises = [
        (shown(recent) - shown(earlier), shown(recent), kind, recent, earlier)
        for kind, (recent, earlier) in by_kind.items()
    ]
    rises = [r for r in rises if r[0] > 0]
    rises.sort(key=lambda r: (-r[0], -r[1], kind_label(*r[2])))
    return [
        {
            "code": "/".join(p for p in kind if p),
            "label": kind_label(*kind),
            "recent": suppress(recent, min_count),
            "earlier": suppress(earlier, min_count),
        }
        for _, _, kind, recent, earlier in rises[:top]
    ]


def _place_names(session: Session, codes: list[str]) -> dict[str, tuple[str, str, str]]:
    """Return code -> (name, township name, label) of the units cases were recorded on."""
    found = session.execute(
        text(
            "SELECT j.code, j.name, j.retired_on, s.name AS successor_name, t.name AS township"
            " FROM jurisdictions j LEFT JOIN jurisdictions s ON s.code = j.successor_code"
            " LEFT JOIN jurisdictions t ON t.code = rpad(left(j.code, 9), 12, '0')"
            " AND t.code <> j.code"
            " WHERE j.code = ANY(:codes)"
        ),
        {"codes": codes},
    ).all()
    out = {}
    for r in found:
        label = retired_label(r.name, r.retired_on, r.successor_name)
        if r.code[9:] == "000":  # recorded on a township (or above) itself
            label = f"{label}本级"
        out[r.code] = (r.name, r.township or "", label)
    return out


def _unlisted(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": code,
        "label": f"未登记的辖区（{code}）",
        "retired_on": None,
        "successor_code": None,
        "successor_name": None,
    }


def _by_period(
    session: Session,
    code: str,
    periods: tuple[Period, ...],
    case_filter: CaseFilter,
    columns: tuple[str, ...],
    **extra: Any,
) -> list[tuple[int, Any]]:
    """Return ``(period index, row)`` of the cases counted by period and ``columns`` (as ``n``)."""
    months = _months_per_period(periods)
    where, params = cases_in(code, periods, case_filter)
    rows = session.execute(
        text(
            f"SELECT date_trunc(:bucket, reported_at AT TIME ZONE :tz) AS start,"
            f" {', '.join(columns)}, count(*) AS n {where}"
            f" GROUP BY {', '.join(str(i) for i in range(1, len(columns) + 2))}"
        ),
        {**params, **extra, "bucket": "quarter" if months == 3 else "month", "tz": str(CHINA)},
    ).all()
    index = {(p.start.year, p.start.month): t for t, p in enumerate(periods)}
    return [
        (index[(row.start.year, row.start.month)], row)
        for row in rows
        if (row.start.year, row.start.month) in index
    ]


def repeat_reports(
    session: Session,
    code: str,
    periods: tuple[Period, ...],
    *,
    min_count: int,
    case_filter: CaseFilter = ALL_CASES,
) -> list[dict[str, Any]]:
    """Return the repeat reports (重复反映) of unit ``code`` per village, kind and period.

    The trends page counts each matter once and leaves its repeats out (trial AT M4: no view of
    where they come from, of which types, or how they trend). These are the cases recorded as
    repeating another (``duplicate_of``), where they were reported, by the kind of the matter
    (:func:`kind_label`) and period: aggregates only. A count below ``min_count`` is None; a
    row's total is exact unless, less the counts shown, it would tell one of those withheld
    (:func:`row_total_shown`; trial AY S3: 3, 9, 11, 5 and one withheld read 合计 「<3」).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The unit (already checked to be in scope).
    periods : tuple of Period
        The periods (consecutive, same length).
    min_count : int
        Smallest count shown (:func:`layers.trends.min_count_for` with ``of="cases"``).
    case_filter : CaseFilter
        Which cases count (channels, origin).

    Returns
    -------
    list of dict
        ``township``, ``village`` (names, ``""`` when the case lies above), ``kind``,
        ``counts`` (per period, None when withheld) and ``total`` (None when withheld:
        :func:`row_total_shown`), the largest total first.
    """
    lo, hi = scope_range(code)
    where, params = case_filter.sql()
    months = _months_per_period(periods)
    rows = session.execute(
        text(
            "SELECT date_trunc(:bucket, c.reported_at AT TIME ZONE :tz) AS start, c.area_code,"
            " c.category, c.subcategory, count(*) AS n,"
            " min(t.name) AS township, min(v.name) AS village"
            " FROM (SELECT area_code, category, subcategory, reported_at FROM cases"
            "  WHERE area_code >= :lo AND area_code < :hi AND duplicate_of IS NOT NULL"
            f"  AND reported_at >= :s AND reported_at < :e{where}) c"
            " LEFT JOIN jurisdictions t ON t.code = left(c.area_code, 9) || '000'"
            " LEFT JOIN jurisdictions v ON v.code = c.area_code AND v.level = 5"
            " GROUP BY 1, 2, 3, 4"
        ),
        {
            "lo": lo,
            "hi": hi,
            "s": periods[0].start,
            "e": periods[-1].end,
            **params,
            "bucket": "quarter" if months == 3 else "month",
            "tz": str(CHINA),
        },
    ).all()
    index = {(p.start.year, p.start.month): t for t, p in enumerate(periods)}
    found: dict[tuple[str, str, str], list[int]] = {}
    for row in rows:
        t = index.get((row.start.year, row.start.month))
        if t is None:
            continue
        key = (row.township or "", row.village or "", kind_label(row.category, row.subcategory))
        found.setdefault(key, [0] * len(periods))[t] += int(row.n)
    ordered = sorted(found.items(), key=lambda item: (-sum(item[1]), item[0]))
    out = []
    for (township, village, kind), counts in ordered:
        shown = [suppress(n, min_count) for n in counts]
        total = sum(counts)
        out.append(
            {
                "township": township,
                "village": village,
                "kind": kind,
                "counts": shown,
                "total": total if row_total_shown(counts, min_count) else None,
            }
        )
    return out


def row_total_shown(counts: Sequence[int], min_count: int) -> bool:
    """Return whether a row's total may be given beside its counts, the small ones withheld.

    A count below ``min_count`` (not 0) is withheld; the total less the counts shown is what
    the withheld ones add up to. The total is given when it is at least ``min_count`` and
    that sum leaves each withheld count open (it could be more than one value, each between
    1 and ``min_count - 1``): one withheld count is told by the total, two that add up to 2
    are both 1.

    Parameters
    ----------
    counts : sequence of int
        The row's exact counts.
    min_count : int
        Smallest non-zero count shown (1: every count and total is shown).

    Returns
    -------
    bool
        The total may be given.

    Examples
    --------
    >>> row_total_shown([3, 9, 11, 5, 1], 3)  # 29 less 28 tells the 1
    False
    >>> row_total_shown([5, 1, 4, 3, 2, 6], 3), row_total_shown([5, 1, 4, 3, 1, 6], 3)
    (True, False)
    >>> row_total_shown([3, 9, 0], 3), row_total_shown([1, 2], 1)
    (True, True)
    """
    small = [n for n in counts if 0 < n < min_count]
    total = sum(counts)
    if total < min_count:
        return min_count <= 1
    if not small:
        return True
    k, rest, cap = len(small), sum(small), min_count - 1
    lowest = max(1, rest - (k - 1) * cap)
    highest = min(cap, rest - (k - 1))
    return highest > lowest


def _months_per_period(periods: tuple[Period, ...]) -> int:
    first = periods[0]
    months = (first.end.year - first.start.year) * 12 + first.end.month - first.start.month
    if months not in GRANULARITIES.values():
        raise ValueError(f"periods of {months} months are not supported")
    return months


WITHHELD_VISITS: dict[str, Any] = {
    "total": None,
    "overdue": None,
    "grid_count": None,
    "grids": [],
    "withheld": True,
}
"""The overdue visits of a reader who may not count special-population persons (a department)."""


def overdue_visits(
    session: Session, code: str, *, now: datetime, min_count: int, limit: int | None = 200
) -> dict[str, Any]:
    """Return special-population persons due a visit and those overdue, per grid of ``code``.

    A person is overdue when their last visit is older than the interval of their
    ``visit_rules`` row, as in the command KPIs (:mod:`layers.visits_due`). A person never
    visited is due one interval after being put on record; a newcomer (a 刑满释放人员 released,
    a 社区矫正人员 whose correction began, at most one interval before that) is first due 7 days
    after the later of that day and the day put on record, or one interval when shorter
    (:data:`layers.visits_due.FIRST_VISITS`). A person who left the register (``ended_on``) is
    followed no more and not counted. Rows are ordered by overdue count.

    A grid is listed when its overdue count is at least ``min_count`` (1: every grid with an
    overdue person), with its figures exact; the others are not listed at all, so that a
    reader with ``min_count`` > 1 learns neither a small figure nor that one exists (trial AJ
    M3: grids listed as ``*`` told each village's 4 blanked grids were 1 each). ``grid_count``
    counts the grids listed. The unit's totals are given as :func:`shown_totals` decides: a
    total less the grids listed is what the unlisted grids add up to, and it is given only
    when that does not tell any of them, on this unit's page or another's.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The unit (already checked to be in scope).
    now : datetime
        Reference instant.
    min_count : int
        Smallest count shown (:func:`layers.trends.min_count_for`): the smallest overdue count
        of a grid listed, and of a total given.
    limit : int or None
        Most grids returned (None: all).

    Returns
    -------
    dict
        ``total`` (persons followed) and ``overdue`` (None when not given), ``grid_count``
        (grids listed, whether or not the list is cut at ``limit``), ``listed_from`` (the
        smallest overdue count of a grid listed), ``grids`` (grid_code, grid_name,
        township_name, area_name, persons, overdue, share, centre: a point inside the grid or
        None) and ``units`` (code, name and overdue, None when withheld, of each unit directly
        inside ``code`` holding persons: the totals the 月总结 gives of them), ``units_label``
        what they are called.
    """
    lo, hi = scope_range(code)
    rows = session.execute(
        text(
            "SELECT p.grid_code, g.name AS grid_name,"
            " min(p.area_code) AS area_code,"
            " t.name AS township_name, j.name AS area_name,"
            " ST_X(ST_PointOnSurface(g.boundary)) AS lon,"
            " ST_Y(ST_PointOnSurface(g.boundary)) AS lat,"
            " count(*) AS persons,"
            f" count(*) FILTER (WHERE {visits_due.overdue('today')}) AS overdue"
            " FROM persons p"
            " JOIN visit_rules r ON r.category = p.category"
            "  AND r.management_level = p.management_level"
            f" {visits_due.LAST_VISIT}"
            " LEFT JOIN grids g ON g.code = p.grid_code"
            " LEFT JOIN jurisdictions j ON j.code = p.area_code"
            " LEFT JOIN jurisdictions t ON t.code = left(p.area_code, 9) || '000'"
            " WHERE p.area_code >= :lo AND p.area_code < :hi AND p.ended_on IS NULL"
            " GROUP BY p.grid_code, g.name, g.boundary, t.name, j.name"
            " ORDER BY overdue DESC, p.grid_code"
        ),
        {"lo": lo, "hi": hi, "today": now.astimezone(CHINA).date()},
    ).all()
    floor = max(1, min_count)
    listed = [int(r.overdue) >= floor for r in rows]
    units = [r.area_code or code for r in rows]
    persons = [int(r.persons) for r in rows]
    overdue = [int(r.overdue) for r in rows]
    grids = [
        {
            "grid_code": row.grid_code,
            "grid_name": row.grid_name or "未划网格",
            "township_name": row.township_name or "",
            "area_name": row.area_name or "",
            "persons": int(row.persons),
            "overdue": int(row.overdue),
            "share": round(row.overdue / row.persons, 4),
            "centre": None if row.lon is None else [round(row.lon, 5), round(row.lat, 5)],
        }
        for row, shown in zip(rows, listed, strict=True)
        if shown
    ]
    live: dict[str, set[str]] = {}
    for parent, child in session.execute(
        text(
            "SELECT parent_code, code FROM jurisdictions"
            " WHERE code >= :lo AND code < :hi AND retired_on IS NULL AND parent_code IS NOT NULL"
        ),
        {"lo": lo, "hi": hi},
    ):
        live.setdefault(parent, set()).add(child)
    persons_shown = shown_totals(persons, listed, units, code, min_count, children=live)
    # an unlisted grid has fewer than min_count overdue: a reader knows that much of each
    overdue_shown = shown_totals(
        overdue, listed, units, code, min_count, cap=floor - 1, children=live
    )
    return {
        "total": sum(persons) if persons_shown.get(code, min_count <= 1) else None,
        "overdue": sum(overdue) if overdue_shown.get(code, min_count <= 1) else None,
        "grid_count": len(grids),
        "listed_from": floor,
        "grids": grids if limit is None else grids[: max(1, limit)],
        "units": _child_totals(session, code, units, overdue, overdue_shown),
        "units_label": _units_label(code),
    }


def _units_label(code: str) -> str:
    """Return what the units directly inside ``code`` are called (``乡镇（街道）``), or ``""``."""
    try:
        return CHILD_LABELS.get(division_level(code), "")
    except CodeError:
        return ""


def _child_totals(
    session: Session,
    code: str,
    units: Sequence[str],
    overdue: Sequence[int],
    shown: Mapping[str, bool],
) -> list[dict[str, Any]]:
    """Return the 走访逾期 of each unit directly inside ``code`` that holds persons.

    The totals :func:`shown_totals` gives are those the command feed gives of the same units
    (:func:`layers.command._suppress_person_counts`, the 月总结's 简报): a county whose own total
    is withheld still gives its townships' (trial AT M3: the page gave none, the brief four).
    ``overdue`` is None where withheld.
    """
    try:
        level = division_level(code)
    except CodeError:
        return []
    totals: dict[str, int] = {}
    for unit, n in zip(units, overdue, strict=True):
        try:
            if division_level(unit) <= level:
                continue
        except CodeError:
            continue
        child = enclosing_code(unit, level + 1)
        totals[child] = totals.get(child, 0) + n
    if not totals:
        return []
    names: dict[str, str] = dict(
        session.execute(
            text("SELECT code, name FROM jurisdictions WHERE code = ANY(:codes)"),
            {"codes": list(totals)},
        ).all()
    )
    return [
        {
            "code": child,
            "name": names.get(child, child),
            "overdue": total if shown.get(child, False) else None,
        }
        for child, total in sorted(totals.items())
    ]


def shown_totals(
    values: Sequence[int],
    listed: Sequence[bool],
    units: Sequence[str],
    root: str,
    min_count: int,
    *,
    cap: int | None = None,
    children: Mapping[str, Collection[str]] | None = None,
) -> dict[str, bool]:
    """Return which units' totals of a column may be given beside the rows listed.

    The rows are grids, each lying in a unit (a village, or a township …) inside ``root``; a
    row listed gives its figure, the others none. Each unit's total is given on its own page
    (the trends page of a village, of a township …), so a reader may take any unit's total
    less the rows listed in it and less the totals given of units inside it: what is left
    is the sum of the unlisted rows lying in the unit but in none of those units (its *rest*).
    A unit's total is given only when its rest is at least ``min_count`` and, where an unlisted
    row is known to hold at most ``cap`` (the overdue count of a grid not listed), less than
    its rows could hold at most with one row at 0 (``(n - 1) * cap``): then the rest tells
    neither a small sum nor that any one row is not 0, and no row's figure. A rest of 0 is
    not given either, or a total withheld would tell that some unlisted row is not 0, unless
    the reader knows the rest holds no row: every unit in use directly inside it
    (``children``) has its total given and no row lies in the unit outside them unlisted
    (a county whose townships' totals are all given: its total adds nothing).

    A township's or a county's total (:data:`TOTAL_LEVEL` and above) is a total of tens or
    hundreds, not a grid's figure: it is given when it is itself at least ``min_count``,
    unless its rest would give back one withheld piece (a single grid not listed, or the
    grids not listed of a single unit inside it withheld), which it then would tell exactly:
    whether it does depends on where grids lie, not on their figures (trial AY
    M1: the analyst read 「不予显示」 for the county's 448 and a township's 60). The rest it
    gives is then a sum over several grids or units, none of them told.

    The units are decided from the lowest up, each from the rows inside it only, so that a
    unit's total is given or not alike on every page that could give it.

    Parameters
    ----------
    values : sequence of int
        The figures (e.g. persons per grid), each of one row.
    listed : sequence of bool
        Per row: its figure is shown.
    units : sequence of str
        The 12-digit jurisdiction code each row lies in, inside ``root``.
    root : str
        The unit of the page: it and the units below it holding rows are decided.
    min_count : int
        Smallest count shown (:func:`layers.trends.min_count_for`); 1 gives every total.
    cap : int, optional
        Most an unlisted row can hold, as a reader knows it (None: no limit).
    children : mapping, optional
        Per unit, the codes of the units in use directly inside it (the jurisdictions a
        reader sees named).

    Returns
    -------
    dict
        Per unit code: whether its total is given. Every unit is given for ``min_count``
        1; a unit without rows is not in it.

    Examples
    --------
    A village of grids with 5, 1 and 1 overdue, the 5 listed: 7 less 5 tells 2 among the two
    unlisted grids, each 1; its total is not given.

    >>> v = "530424001035"
    >>> shown_totals([5, 1, 1], [True, False, False], [v] * 3, v, 3, cap=2)
    {'530424001035': False}

    Four unlisted grids holding 3 in all (each 0, 1 or 2, none of them told):

    >>> shown_totals([5, 1, 2, 0, 0], [True] + [False] * 4, [v] * 5, v, 3, cap=2)
    {'530424001035': True}
    >>> shown_totals([5, 1, 1], [True, False, False], [v] * 3, v, 1, cap=0)
    {'530424001035': True}
    """
    # once per unit, not per row: a county's 3,400 grids lie in 385 villages (trial BC m1)
    unit_chains = {unit: _chain(unit, root) for unit in dict.fromkeys(units)}
    chains = [unit_chains[unit] for unit in units]
    nodes = {node for chain in chains for node in chain}
    if min_count <= 1:
        return dict.fromkeys(nodes, True)
    direct: dict[str, list[int]] = {}
    below: dict[str, set[str]] = {}
    depth: dict[str, int] = {}
    for i, chain in enumerate(chains):
        direct.setdefault(chain[-1], []).append(i)
        for k, node in enumerate(chain):
            depth[node] = k
            if k + 1 < len(chain):
                below.setdefault(node, set()).add(chain[k + 1])
    whole: dict[str, int] = {}
    for i, chain in enumerate(chains):
        for node in chain:
            whole[node] = whole.get(node, 0) + values[i]
    shown: dict[str, bool] = {}
    rest: dict[str, list[int]] = {}  # the unlisted rows a unit's total would tell the sum of
    for node in sorted(nodes, key=lambda n: (-depth[n], n)):
        unknown = [i for i in direct.get(node, []) if not listed[i]]
        pieces = len(unknown)  # what the rest is shared among: rows, and units withheld
        for child in below.get(node, ()):
            if not shown[child]:
                unknown += rest[child]
                pieces += 1 if rest[child] else 0
        rest[node] = unknown
        total = sum(values[i] for i in unknown)
        known = (children or {}).get(node)
        if not unknown and known and all(shown.get(c, False) for c in known):
            shown[node] = True  # the totals inside it, all given, add up to it
            continue
        if _level(node) <= TOTAL_LEVEL:
            # trial AY M1: a township's or county's total is given when it is not small
            # itself and its rest does not give back one withheld piece
            shown[node] = whole[node] >= min_count and pieces != 1
            continue
        shown[node] = total >= min_count and (cap is None or total <= (len(unknown) - 1) * cap)
    return shown


TOTAL_LEVEL = 4
"""The lowest level (township) whose total :func:`shown_totals` gives when it is not small
itself, whatever the sum of the grids not listed in it (trial AY M1)."""


def _level(code: str) -> int:
    try:
        return division_level(code)
    except CodeError:
        return 6


def _chain(unit: str, root: str) -> list[str]:
    """Return the units from ``root`` down to ``unit`` (``[root]`` for one not below it)."""
    try:
        top, bottom = division_level(root), division_level(unit)
    except CodeError:
        return [root]
    if enclosing_code(unit, top) != root:
        return [root]
    chain = [root]
    for level in range(top + 1, bottom + 1):
        node = enclosing_code(unit, level)
        if node != chain[-1]:
            chain.append(node)
    return chain


def uncovered_hotspots(
    session: Session, result: Series, t: int, *, min_count: int, min_share: float = 0.05
) -> dict[str, Any]:
    """Return the hot cells (95 % or more) of period ``t`` that no online camera in use covers.

    The cells holding the most cases of the period come first, then the more confident ones.
    A hot cell without a case of its own (hot because its neighbours' cases cluster) is only
    counted (``neighbour_only``): a camera goes where the cases are, and such cells made most
    of the list (trial AF: 28 of 46).

    A camera an import of the platform's export retired (:mod:`layers.camera_retirement`)
    covers nothing.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    result : Series
        The unit's analysis.
    t : int
        Period index.
    min_count : int
        Smallest non-zero count of a cell shown (:func:`layers.trends.min_count_for` with
        ``of="cases"``).
    min_share : float
        Covered share below which a cell is uncovered (``geo.cameras.uncovered``).

    Returns
    -------
    dict
        ``hot`` (hot cells), ``cameras`` (online cameras considered), ``uncovered`` (list of
        id, area_name, count, bin, pattern, pattern_label, share, centre: the cells with cases
        of their own), ``neighbour_only`` (uncovered hot cells without a case of their own).
    """
    hot = np.flatnonzero(result.bins[:, t] >= 2) if result.cells else np.zeros(0, np.int64)
    lo, hi = scope_range(result.code)
    cams = session.execute(
        text(
            "SELECT ST_X(point) AS lon, ST_Y(point) AS lat, azimuth_deg, fov_deg, range_m,"
            " direction_type, ptz_type"
            " FROM video_points WHERE area_code >= :lo AND area_code < :hi"
            " AND status = 'online' AND retired_on IS NULL"
        ),
        {"lo": lo, "hi": hi},
    ).all()
    out: list[dict[str, Any]] = []
    rank: list[int] = []
    neighbour_only = 0
    judged = patterns_judged(result)
    if hot.size:
        polygons = _cell_polygons([result.cells[i] for i in hot])
        if cams:
            # Each camera's view as drawn elsewhere (layers.video.camera_view: a dome all round,
            # else its recorded azimuth, else its 监视方位 sector's centre); a camera of unknown
            # view still counts as a full circle here.
            views = [
                camera_view(
                    c.azimuth_deg, c.fov_deg, direction_type=c.direction_type, ptz_type=c.ptz_type
                )
                for c in cams
            ]
            cones = view_cones(
                [c.lon for c in cams],
                [c.lat for c in cams],
                [0.0 if v is None else v.azimuth_deg for v in views],
                [360.0 if v is None else v.fov_deg for v in views],
                [c.range_m for c in cams],
            )
            shares = coverage_share(polygons, cones)
        else:
            shares = np.zeros(hot.size)
        for k, i in enumerate(hot):
            if shares[k] >= min_share:
                continue
            centre = polygons[k].centroid
            cases = int(result.counts[i, t])
            if cases == 0:  # hot through its neighbours: no place for a camera of its own
                neighbour_only += 1
                continue
            # Most cases first: a camera is placed where the cases are. A suppressed count
            # sorts as the smallest shown, so the order does not tell 1 from 2.
            rank.append(cases if cases >= min_count else 1)
            out.append(
                {
                    "id": result.cells[i],
                    "area_code": result.areas[i],
                    "area_name": result.area_names.get(result.areas[i], ""),
                    "count": suppress(int(result.counts[i, t]), min_count),
                    "bin": int(result.bins[i, t]),
                    "pattern": result.patterns[i],
                    "pattern_label": pattern_label(result.patterns[i], judged=judged),
                    "share": round(float(shares[k]), 4),
                    "centre": [round(centre.x, 5), round(centre.y, 5)],
                }
            )
    order = sorted(range(len(out)), key=lambda k: (-rank[k], -out[k]["bin"], out[k]["id"]))
    return {
        "hot": int(hot.size),
        "cameras": len(cams),
        "uncovered": [out[k] for k in order],
        "neighbour_only": neighbour_only,
    }


def _cell_polygons(cells: list[str]) -> Any:
    import h3

    return np.asarray(
        [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells],
        dtype=object,
    )


@dataclass(frozen=True)
class Density:
    """A rendered kernel density overlay.

    Attributes
    ----------
    png : bytes
        RGBA PNG, transparent where the density is about zero.
    bounds : list
        ``[[south, west], [north, east]]`` for Leaflet's ``imageOverlay``.
    bandwidth_m : float
        Gaussian bandwidth in metres.
    peak_per_km2 : float
        Density drawn with the top colour (cases per km² in the period; the 99th percentile
        of the drawn cells, so a single dense spot does not wash the rest out).
    """

    png: bytes
    bounds: list[list[float]]
    bandwidth_m: float
    peak_per_km2: float


_KDE_CACHE: OrderedDict[tuple[Any, ...], Density | None] = OrderedDict()
_KDE_LOCK = threading.Lock()


def density(session: Session, result: Series, t: int) -> Density | None:
    """Return the kernel density of the located cases of period ``t`` as a PNG overlay.

    The cases are those of the analysis (its filter).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    result : Series
        The unit's analysis (its periods and resolution; it is cached per case fingerprint,
        so the overlay is too).
    t : int
        Period index.

    Returns
    -------
    Density or None
        None when the period has fewer than two located cases.
    """
    key = (result.fingerprint, t)
    with _KDE_LOCK:
        if key in _KDE_CACHE:
            return _KDE_CACHE[key]
    where, params = cases_in(result.code, result.periods[t : t + 1], result.case_filter)
    rows = session.execute(
        text(f"SELECT ST_X(point) AS lon, ST_Y(point) AS lat {where} AND point IS NOT NULL"),
        params,
    ).all()
    out: Density | None = None
    if len(rows) >= 2:
        bandwidth = BANDWIDTH_BY_RESOLUTION.get(result.resolution, 500.0)
        raster = kernel_density(
            [r.lon for r in rows],
            [r.lat for r in rows],
            bandwidth_m=bandwidth,
            shape=(KDE_PIXELS, KDE_PIXELS),
        )
        values = raster.values
        strong = values[values > 0.01 * float(values.max())]
        top = float(np.quantile(strong, 0.99)) if strong.size else float(values.max())
        png, bounds = to_png(raster, "ylorrd", top, alpha=0.85, transparent_below=0.03)
        out = Density(png, bounds, bandwidth, round(top, 3))
    with _KDE_LOCK:
        _KDE_CACHE[key] = out
        while len(_KDE_CACHE) > 64:
            _KDE_CACHE.popitem(last=False)
    return out
