"""Hot-spot trends of a jurisdiction: Gi* maps per period and the emerging hot spot classes.

The planners' page (``/trends/{code}``) looks at the last ``n`` complete calendar months or
quarters (in the centre's time zone, :data:`CENTRE_TZ`). :func:`series` counts the located,
non-duplicate cases of the unit per H3 cell and period (with a ring of empty cells so the
statistic sees the zeros), then computes

* for every period, the spatial Getis-Ord Gi* of the period's counts (``geo.hotspots``, 199
  conditional permutations, fixed seed) and its confidence bin (±3 99 %, ±2 95 %, ±1 90 %).
  Ties between simulated and observed statistics count on both sides (``ties="inclusive"``):
  a month's counts are mostly zeros, and esda's one-sided tie rule would call every empty
  neighbourhood a significant cold spot;
* over the whole series, the emerging hot spot class of every cell (``geo.emerging``: the
  space-time Gi* of each cell and period and the Mann–Kendall trend of its z-scores).

Nothing is stored: the analysis is computed on demand and kept in a small in-process cache
keyed by the unit, the periods and a fingerprint of the cases it read (a case added, moved,
recategorised or marked duplicate changes the fingerprint) and of the units a re-division
retired (the cells are named after live units), so the command view's stored runs
and alerts are left alone. Analysts get counts of 1 … :data:`ANALYST_MIN_COUNT` − 1 as
``None`` (suppressed); no function here returns an individual case.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import h3
import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from geo.emerging import EmergingClass, emerging_hotspots
from geo.hotspots import getis_ord_gi_star
from geo.spacetime import SpaceTimeCube
from geo.trends import MIN_SERIES_LENGTH
from geo.units import count_in_h3
from geo.weights import h3_ring
from layers import cases, command
from layers.errors import InvalidInput, no_jurisdiction
from layers.model import Role
from layers.workflow import Actor

CENTRE_TZ = ZoneInfo("Asia/Shanghai")
ANALYST_MIN_COUNT = 3
"""Counts below this (but above zero) are suppressed for analysts."""
GRANULARITIES = {"month": 1, "quarter": 3}
#: Chinese names of the granularities, as the console's 统计粒度 offers them.
GRANULARITY_LABELS = {"month": "月度", "quarter": "季度"}
RESOLUTION_BY_LEVEL = {1: 6, 2: 7, 3: 8, 4: 9, 5: 9}
PERMUTATIONS = 199
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
        Half-open interval, aware, in :data:`CENTRE_TZ`.
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
        Code -> name of those jurisdictions.
    located : int
        Located cases analysed.
    fingerprint : tuple
        Unit, periods, a hash of the cases read and the number of retired units in the unit
        (what the cache is keyed by).
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
    fingerprint: tuple[Any, ...] = ()

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
        raise InvalidInput(f"统计期 {key} 不在所选的统计期数内，请重新选择统计期")


def min_count_for(actor: Actor) -> int:
    """Return the smallest count shown to the actor (analysts: :data:`ANALYST_MIN_COUNT`).

    Parameters
    ----------
    actor : Actor
        Who reads.

    Returns
    -------
    int
        1 for operational roles, :data:`ANALYST_MIN_COUNT` for analysts.
    """
    return ANALYST_MIN_COUNT if actor.role == Role.ANALYST else 1


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
    local = now.astimezone(CENTRE_TZ)
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
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=CENTRE_TZ)


def unit_of(session: Session, code: str, *, actor: Actor) -> dict[str, Any]:
    """Return the unit ``code`` with its path from the actor's scope down to it.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor.
    code : str
        12-digit jurisdiction code.
    actor : Actor
        Whose scope applies.

    Returns
    -------
    dict
        ``code``, ``name``, ``level``, ``level_label``, ``path`` (list of ``{code, name}``
        from the actor's scope to the unit) and ``children`` (``{code, name}``: the live ones,
        not those a re-division retired).

    Raises
    ------
    NotFound
        Not a jurisdiction inside the actor's scope.
    """
    cases.unit_range(code, actor)
    rows = command.ancestors(session, code)
    if not rows or rows[-1]["code"] != code:
        raise no_jurisdiction(code)
    children = session.execute(
        text(
            "SELECT code, name FROM jurisdictions"
            " WHERE parent_code = :code AND retired_on IS NULL ORDER BY code"
        ),
        {"code": code},
    ).all()
    unit = rows[-1]
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
        "children": [{"code": r.code, "name": r.name} for r in children],
    }


_CACHE: OrderedDict[tuple[Any, ...], Series] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16
_CASES = (
    "FROM cases WHERE area_code >= :lo AND area_code < :hi AND point IS NOT NULL"
    " AND duplicate_of IS NULL AND reported_at >= :s AND reported_at < :e"
)


def series(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    granularity: str = "month",
    periods: int = 24,
) -> Series:
    """Return the hot-spot analysis of unit ``code`` over its last ``periods`` periods.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor.
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Whose scope applies.
    now : datetime
        Reference instant; the periods are the complete ones before it.
    granularity : {"month", "quarter"}
        Period length.
    periods : int
        Number of periods.

    Returns
    -------
    Series
        Counts, Gi* per period and emerging patterns per cell.

    Raises
    ------
    NotFound
        Not a jurisdiction inside the actor's scope.
    InvalidInput
        Bad granularity or number of periods.
    """
    lo, hi, level = cases.unit_range(code, actor)
    spans = periods_ending(now, granularity, periods)
    exists = session.execute(
        text("SELECT 1 FROM jurisdictions WHERE code = :code"), {"code": code}
    ).first()
    if exists is None:
        raise no_jurisdiction(code)
    window = {"lo": lo, "hi": hi, "s": spans[0].start, "e": spans[-1].end}
    fingerprint = session.execute(
        text(
            "SELECT count(*) AS n, coalesce(sum(hashtextextended(concat_ws('|', id,"
            " ST_AsEWKB(point), reported_at, category), 0)), 0) AS h, (SELECT count(*)"
            " FROM jurisdictions WHERE code >= :lo AND code < :hi AND retired_on IS NOT NULL)"
            " AS retired " + _CASES
        ),
        window,
    ).one()
    read = (fingerprint.n, str(fingerprint.h), fingerprint.retired)
    key = (code, granularity, spans[0].key, spans[-1].key, *read)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    rows = list(
        session.execute(
            text("SELECT ST_X(point) AS lon, ST_Y(point) AS lat, reported_at " + _CASES), window
        ).all()
    )
    result = replace(
        _analyse(session, code, spans, RESOLUTION_BY_LEVEL[level], rows), fingerprint=key
    )
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _analyse(
    session: Session, code: str, spans: tuple[Period, ...], resolution: int, rows: list[Any]
) -> Series:
    n_periods = len(spans)
    if not rows:
        return Series(
            code, spans, resolution, (), np.zeros((0, n_periods), np.int64),
            np.zeros((0, n_periods)), np.ones((0, n_periods)), np.zeros((0, n_periods), np.int8),
            (), (), {}, 0,
        )  # fmt: skip
    lon = np.array([r.lon for r in rows], dtype=float)
    lat = np.array([r.lat for r in rows], dtype=float)
    edges = np.array([p.start.timestamp() for p in spans] + [spans[-1].end.timestamp()])
    when = np.array([r.reported_at.timestamp() for r in rows])
    step = np.searchsorted(edges, when, side="right") - 1
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
    for t in range(n_periods):
        if counts[:, t].sum() == 0:
            continue
        gi = getis_ord_gi_star(
            counts[:, t].astype(float), weights, permutations=PERMUTATIONS, seed=t, ties="inclusive"
        )
        z[:, t], p[:, t], bins[:, t] = gi.Zs, gi.pvalues(), gi.confidence_bins()
    patterns = _patterns(counts, spans, cells, weights.sparse)
    areas, names = _areas(session, code, occupied.polygons())
    return Series(
        code, spans, resolution, cells, counts.astype(np.int64), z, p, bins, patterns, areas,
        names, len(rows),
    )  # fmt: skip


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
    lo, hi = scope_range(code)
    centres = [poly.centroid for poly in polygons]
    rows = session.execute(
        text(
            "SELECT t.i, a.code, a.name FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[]))"
            " WITH ORDINALITY AS t(x, y, i) LEFT JOIN LATERAL (SELECT j.code, j.name"
            " FROM jurisdictions j WHERE j.code >= :lo AND j.code < :hi"
            " AND j.boundary IS NOT NULL AND j.retired_on IS NULL"
            " AND ST_Covers(j.boundary, ST_SetSRID(ST_MakePoint(t.x, t.y), 4490))"
            " ORDER BY j.level DESC LIMIT 1) a ON true ORDER BY t.i"
        ),
        {"lo": lo, "hi": hi, "xs": [c.x for c in centres], "ys": [c.y for c in centres]},
    ).all()
    names = {r.code: r.name for r in rows if r.code}
    own = session.execute(
        text("SELECT name FROM jurisdictions WHERE code = :code"), {"code": code}
    ).scalar()
    names.setdefault(code, own or code)
    return tuple(r.code or code for r in rows), names


def series_json(result: Series, *, min_count: int) -> dict[str, Any]:
    """Return the series as JSON for the page: periods, legend and the significant cells.

    Cells that are never significant and have no emerging pattern are left out (they draw
    nothing).

    Parameters
    ----------
    result : Series
        From :func:`series`.
    min_count : int
        Smallest non-zero count shown (see :func:`min_count_for`).

    Returns
    -------
    dict
        ``periods`` (key, label, start, end, cases, hot, cold), ``cells`` (id, area_code,
        area_name, ring, bins and counts per period, pattern), ``legend`` (patterns and bins),
        ``resolution``.
    """
    periods = [
        {
            "key": period.key,
            "label": period.label,
            "start": period.start.date().isoformat(),
            "end": (period.end - timedelta(days=1)).date().isoformat(),
            "cases": suppress(int(result.counts[:, t].sum()), min_count),
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
        "located_cases": suppress(result.located, min_count),
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
