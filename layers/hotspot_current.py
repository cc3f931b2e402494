"""Which hot-spot run is today's: the latest current run, never a planner's historic analysis.

A run counts the cases of a window ``[window_start, window_end)`` in time bins of ``bin_days``
days. A run whose window ends **more than one bin before the moment it is made** is a
*historic analysis* (:func:`is_historic`): its last bin is not the last complete bin before
now, so its classes (new, intensifying, persistent hot spot) describe a past period, not today.
A planner makes one with ``zongzhi hotspots run --start 2023-01-01 --end 2024-12-31`` or
``POST /api/hotspots/runs`` with a past ``window_end``. It is stored (``hotspot_runs.historic``),
listed with the runs and read by its number (``GET /api/hotspots/runs/{id}``); it raises no
alert, and it never becomes a run the command console shows. A window that ends within one bin
of now (the nightly run ends now) or later is current.

Which current runs a unit's console shows (its map, its ``active_hotspots`` KPI and those of
its children: :func:`shown_runs`): the latest current run over the whole unit (of the unit
itself or of a unit above it), so that a county keeps its own analysis when a township of it
analyses itself at a finer resolution, and the township sees its own run once it has one.
A unit above every run (a city whose counties each run nightly) shows the latest run of each
area inside it that no other run's area inside it contains.

A current run refreshes the unclosed alerts of the hot spots it finds again
(:mod:`layers.alerts`); a historic one touches no alert.

This module is the rule alone, without the analysis's libraries, so that the command feed can
use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import parent_code, scope_range
from layers.china_time import CHINA

_LATEST_BY_AREA = text(
    """
    SELECT DISTINCT ON (area_code) area_code, id FROM hotspot_runs
     WHERE NOT historic AND status = 'done'
       AND (area_code = ANY(:above) OR (area_code >= :lo AND area_code < :hi))
     ORDER BY area_code, id DESC
    """
)


def shown_runs(session: Session, code: str) -> list[int]:
    """Return the current hot-spot runs whose cells the console of unit ``code`` shows.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (the rows it may see: a unit sees the runs of the units above it).
    code : str
        The unit's 12-digit code.

    Returns
    -------
    list of int
        The run ids (:func:`pick_runs` over the latest current run of each area).
    """
    lo, hi = scope_range(code)
    above = [code]
    while (parent := parent_code(above[-1])) is not None:
        above.append(parent)
    rows = session.execute(_LATEST_BY_AREA, {"above": above, "lo": lo, "hi": hi})
    return pick_runs(code, {row.area_code: row.id for row in rows})


def pick_runs(code: str, latest: Mapping[str, int]) -> list[int]:
    """Return the runs unit ``code`` shows, from the latest current run of each area.

    Parameters
    ----------
    code : str
        The unit's 12-digit code.
    latest : mapping of str to int
        Area code of a run (the unit, a unit above or one inside it) to its latest current run.

    Returns
    -------
    list of int
        The latest of the runs over the whole unit; without one, the run of each area inside
        the unit that no other area of ``latest`` inside it contains.

    Examples
    --------
    >>> county, township = "530424000000", "530424001000"
    >>> pick_runs(county, {county: 7, township: 9})  # the county's own, not the township's
    [7]
    >>> pick_runs(township, {county: 7, township: 9})  # the township's own, the latest
    [9]
    >>> pick_runs(township, {county: 11, township: 9})  # the county's, run since
    [11]
    >>> pick_runs("530400000000", {county: 7, township: 9, "530402000000": 8})
    [8, 7]
    >>> pick_runs(county, {})
    []
    """
    lo, _ = scope_range(code)
    over = [run for area, run in latest.items() if lo.startswith(scope_range(area)[0])]
    if over:
        return [max(over)]
    prefixes = {area: scope_range(area)[0] for area in latest}

    def contained(prefix: str) -> bool:
        return any(other != prefix and prefix.startswith(other) for other in prefixes.values())

    return [run for area, run in sorted(latest.items()) if not contained(prefixes[area])]


def aware(moment: datetime) -> datetime:
    """Return ``moment`` with a time zone: one written without is the centre's clock.

    Parameters
    ----------
    moment : datetime
        A time, with or without ``tzinfo``.

    Returns
    -------
    datetime
        The same time, timezone-aware.

    Examples
    --------
    >>> aware(datetime(2024, 12, 31)).isoformat()
    '2024-12-31T00:00:00+08:00'
    """
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA)


def is_historic(window_end: datetime, *, now: datetime, bin_days: int) -> bool:
    """Return whether a run ending at ``window_end`` is a historic analysis at ``now``.

    Parameters
    ----------
    window_end : datetime
        End of the run's window (excluded); without a time zone, the centre's clock.
    now : datetime
        When the run is made.
    bin_days : int
        The run's time bin in days.

    Returns
    -------
    bool
        True when the window ends more than one bin before ``now``.

    Examples
    --------
    >>> from datetime import UTC
    >>> now = datetime(2026, 12, 2, tzinfo=UTC)
    >>> is_historic(datetime(2025, 1, 1, tzinfo=UTC), now=now, bin_days=30)
    True
    >>> is_historic(now - timedelta(days=6), now=now, bin_days=7)
    False
    """
    return aware(window_end) < aware(now) - timedelta(days=bin_days)


def window_dates(window_start: datetime, window_end: datetime) -> str:
    """Return a window as the dates a person reads: its first and its last day, in China.

    Parameters
    ----------
    window_start, window_end : datetime
        The half-open window ``[window_start, window_end)``.

    Returns
    -------
    str
        ``YYYY-MM-DD 至 YYYY-MM-DD``, the last day being the one ``window_end`` closes.

    Examples
    --------
    >>> window_dates(datetime(2023, 1, 1, tzinfo=CHINA), datetime(2025, 1, 1, tzinfo=CHINA))
    '2023-01-01 至 2024-12-31'
    """
    first = aware(window_start).astimezone(CHINA).date()
    last = (aware(window_end) - timedelta(microseconds=1)).astimezone(CHINA).date()
    return f"{first.isoformat()} 至 {last.isoformat()}"
