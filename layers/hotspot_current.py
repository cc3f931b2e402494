"""Which hot-spot run is today's: the latest current run, never a planner's historic analysis.

A run counts the cases of a window ``[window_start, window_end)`` in time bins of ``bin_days``
days. A run whose window ends **more than one bin before the moment it is made** is a
*historic analysis* (:func:`is_historic`): its last bin is not the last complete bin before
now, so its classes (new, intensifying, persistent hot spot) describe a past period, not today.
A planner makes one with ``zongzhi hotspots run --start 2023-01-01 --end 2024-12-31`` or
``POST /api/hotspots/runs`` with a past ``window_end``. It is stored (``hotspot_runs.historic``),
listed with the runs and read by its number (``GET /api/hotspots/runs/{id}``); it raises no
alert, and it never becomes the run the command console shows: the console's map, its
``active_hotspots`` KPI and the drill-down all read the latest run that is not historic
(:data:`LATEST_CURRENT_RUN`). A window that ends within one bin of now (the nightly run ends
now) or later is current. A current run refreshes the unclosed alerts of the hot spots it finds
again (:mod:`layers.alerts`); a historic one touches no alert.

This module is the rule alone, without the analysis's libraries, so that the command feed can
use it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
"""The centres' clock: dates a person writes or reads are dates there."""

LATEST_CURRENT_RUN = """(
    SELECT r.id FROM hotspot_runs r
     WHERE NOT r.historic
       AND EXISTS (SELECT 1 FROM hotspot_cells c
                    WHERE c.run_id = r.id AND c.area_code >= :lo AND c.area_code < :hi)
     ORDER BY r.id DESC LIMIT 1)"""
"""SQL of the latest run that is not historic with cells in the code range ``[:lo, :hi)``."""


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
