"""The command view's figures and cases over a day, week, month or quarter: 日汇总 … 季度总结.

A centre reports its work daily, weekly and monthly. A brief's window (:class:`BriefWindow`) is
either the last ``days`` up to now (:func:`rolling`) or a calendar day, week (Monday to Sunday),
month or quarter in Beijing time (:func:`calendar`: yesterday's 日汇总, last week's 周研判, last
month's 月总结 or any earlier one, a quarter's 季度总结), a night shift, 18:00 to 08:00
(:func:`night`, 夜班简报, compared with the night before), or any span (:func:`span`, 时段简报);
the window before it
(:meth:`BriefWindow.previous`) is what its figures are compared with (环比): the ``days`` before
a rolling window, the day, week, month or quarter before a calendar one (the same stretch of
it, 同期, while the period is still running); the window a year before it
(:meth:`BriefWindow.year_before`) too (同比): the same days, the same day, month or quarter, or
the week 52 weeks before, a year earlier (again the same stretch of it while the period runs).

:func:`workbook` lays out what the command feed (:func:`layers.command.feed`) computed over
that window: the unit's KPIs and each child unit's on one sheet (简报, in the order and the words
of the console's cards: 近期受理, 办结率, 上报次数 and 重复反映 count over the window,
:data:`WINDOW_KPIS`, the others are as they stand now); those four beside the feed's over the
window before (环比) and over the same window a year before (同比), with the changes, on one
sheet (环比同比, :class:`Comparison`; a unit with no case before a compared window ends says
so instead of a change). Every window's 办结率 is read the same whole number of days after its
end (:meth:`BriefWindow.resolved_at`, :meth:`BriefWindow.measured_at`): a past period's at the
end of the day before the brief is made (月总结 made on 6 December: 截至各月末后第5日24时, the
brief's own at 5 December 24:00, October's at 5 November 24:00), so that an older window has not
had longer to close and the figures and their name do not change with the hour the brief is
made (trial AO m5: 「截至各期末后5天10小时」); a brief of the last days or of a period still
running at each window's end (截至各期末). 概况 gives each window's moment (办结率截至). Then
the cases behind them (:mod:`layers.brief_cases`: 交班在办案件, 新登记案件, 超期案件, 督办案件,
上报案件), titles and codes only, with who holds each case now (:mod:`layers.brief_holders`);
and its risk alerts (风险预警): those not closed yet, then those closed since the window's start
with who closed them and what was done (one closed after a past window's end as it stood at
its end, trial AU M5), each with the basis its class was judged on (判定依据: weeks, not the
trends page's months, trial AO M3). Persons are counted as the feed counts them for the reader
(analysts' small counts withheld); an analyst's brief lists no case.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, TypeVar

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from geo.codes import division_level
from layers import department_figures
from layers.brief_cases import NO_ANALYST, BriefCases, CaseList, ListedCase
from layers.china_time import CHINA
from layers.command import KPI_LABELS, SHARE_KPIS, held_counties_note
from layers.department_figures import DepartmentRow
from layers.errors import InvalidInput
from layers.model import AlertState, CaseState, Category, Channel, Level, RiskLevel
from layers.workbooks import (
    Percent,
    PercentagePoints,
    PercentChange,
    print_setup,
    table_sheet,
)
from layers.workflow import OPEN_STATES

BRIEF_NAMES = {1: "近24小时", 7: "近7日", 30: "近30日"}
"""The console's names of the briefs of the last so many days up to now (导出简报). 日汇总, 周研判
and 月总结 are the calendar day's, week's and month's (:data:`PERIOD_NAMES`): the two must not
read alike (a planner took the last 30 days for last month's 月总结)."""


def brief_name(days: int) -> str:
    """Return what a brief over ``days`` days is called.

    Parameters
    ----------
    days : int
        The window.

    Returns
    -------
    str
        The name.

    Examples
    --------
    >>> brief_name(7), brief_name(1), brief_name(90)
    ('近7日简报', '近24小时简报', '近90日简报')
    """
    return BRIEF_NAMES.get(days, f"近{days}日") + "简报"


Period = Literal["day", "week", "month", "quarter"]
"""A calendar brief's period."""
PERIOD_NAMES: dict[Period, str] = {
    "day": "日汇总",
    "week": "周研判",
    "month": "月总结",
    "quarter": "季度总结",
}
LAST_PERIOD_NAMES: dict[Period, str] = {
    "day": "昨日汇总",
    "week": "上周研判",
    "month": "上月总结",
    "quarter": "上季度总结",
}
"""The console's links to the brief of the period before the current one."""
PREVIOUS_NAMES: dict[Period, tuple[str, str]] = {
    "day": ("前一日", "昨日同期"),
    "week": ("上周", "上周同期"),
    "month": ("上月", "上月同期"),
    "quarter": ("上季度", "上季度同期"),
}
"""What the window before a calendar brief's is called: the whole period, or (the brief's period
still running) the same stretch of it."""
YEAR_BEFORE_NAMES: dict[Period, tuple[str, str]] = {
    "day": ("上年同日", "上年同日同期"),
    "week": ("上年同周", "上年同周同期"),
    "month": ("上年同月", "上年同月同期"),
    "quarter": ("上年同季度", "上年同季度同期"),
}
"""What the same calendar period a year before is called (同比): the whole period, or the same
stretch of it; a rolling window's is 上年同期."""
WINDOW_KPIS = ("reported", "resolved_share", "escalations", "repeats")
"""The KPIs the feed counts over its window (近期受理, 办结率, 上报次数, 重复反映): those compared
with the window before (环比) and with the same window a year before (同比); the others are as
they stand at generation. Of the four only 办结率 changes as time passes after a window (its
cases close): each window's is measured the same whole days after its end
(:meth:`BriefWindow.resolved_at`, :meth:`BriefWindow.measured_at`, :attr:`Comparison.resolved`);
the counts are of things that happened in the window (reports, 上报 events, repeats linked when
reported)."""
ComparisonKind = Literal["环比", "同比"]
"""A comparison: with the window before, with the same window a year before."""
COMPARED: dict[ComparisonKind, tuple[str, str, str]] = {
    "环比": ("环比时段", "上期", "无上期数据"),
    "同比": ("同比时段", "上年同期", "无上年同期数据"),
}
"""Each comparison's line in 概况, its column in the comparison sheet, and what that column says
for a unit with no case before the compared window ends (its figures would read as 0)."""


@dataclass(frozen=True)
class BriefWindow:
    """The window of a brief: what it is called and the times it runs between.

    Attributes
    ----------
    name : str
        日汇总, 周研判, 月总结 (a calendar period) or 「近N日简报」; the window before one
        (:meth:`previous`) is called 此前N日, 前一日, 上周, 上月, or 昨日同期, 上周同期, 上月同期.
    start, end : datetime
        The window ``[start, end)`` (aware).
    tag : str
        The window in the file's name: the day it ends (``20261204``), the month (``202611``)
        or the week (``20261123-20261129``).
    to_date : bool
        A calendar period still running: it ends now, not at the period's end (至今).
    period : {'day', 'week', 'month', 'quarter'} or None
        The calendar period (None: a rolling window of whole days, a night shift or a span
        chosen by its times).
    step : timedelta or None
        A night shift's or a chosen span's distance to the window before it (:meth:`previous`):
        a day for a night (the night before), the span's length for a span.
    before_name : str or None
        What that window before is called (前一夜班, 此前同样时长).
    """

    name: str
    start: datetime
    end: datetime
    tag: str
    to_date: bool = False
    period: Period | None = None
    step: timedelta | None = None
    before_name: str | None = None

    def previous(self) -> BriefWindow:
        """Return the window the brief's figures are compared with (环比).

        Returns
        -------
        BriefWindow
            A rolling window's days before it, as many; a calendar period's period before it
            (the previous day, week or month); while the period is still running, the same
            stretch of the previous one (上月同期: its first days up to the same hour, never
            past its end).

        Examples
        --------
        >>> now = datetime(2026, 12, 4, 9, 30, tzinfo=CHINA)
        >>> last = calendar("month", None, now).previous()
        >>> last.name, last.span_text()
        ('上月', '2026-10-01 00:00 至 2026-11-01 00:00')
        >>> running = calendar("month", date(2026, 12, 1), now).previous()
        >>> running.name, running.span_text()
        ('上月同期', '2026-11-01 00:00 至 2026-11-04 09:30')
        >>> calendar("week", date(2026, 11, 25), now).previous().span_text()
        '2026-11-16 00:00 至 2026-11-23 00:00'
        >>> week = rolling(7, now).previous()
        >>> week.name, week.span_text()
        ('此前7日', '2026-11-20 09:30 至 2026-11-27 09:30')
        """
        length = self.end - self.start
        if self.period is None and self.step is not None:  # a night shift, a chosen span
            start, end = self.start - self.step, self.end - self.step
            tag = f"{start.astimezone(CHINA):%Y%m%d%H%M}"
            return BriefWindow(self.before_name or "上一时段", start, end, tag)
        if self.period is None:
            tag = f"{self.start.astimezone(CHINA):%Y%m%d}"
            return BriefWindow(f"此前{length.days}日", self.start - length, self.start, tag)
        first = self.start.astimezone(CHINA).date()
        if self.period == "day":
            before = first - timedelta(days=1)
        elif self.period == "week":
            before = first - timedelta(days=7)
        else:  # a month or a quarter: the one holding the day before it
            before = first - timedelta(days=1)
        return self._period_like(before, PREVIOUS_NAMES[self.period])

    def year_before(self) -> BriefWindow:
        """Return the same window a year before, which the brief's figures are compared with (同比).

        Returns
        -------
        BriefWindow
            A rolling window's days up to the same moment a year before, as many (上年同期);
            a calendar day's or month's same day or month a year before (上年同日, 上年同月;
            29 February's is 28 February); a week's the week 52 weeks before, Monday to Sunday
            (上年同周, the same week of the year but for a year of 53 weeks); while the period is
            still running, the same stretch of that one (上年同月同期 and the like).

        Examples
        --------
        >>> now = datetime(2026, 12, 4, 9, 30, tzinfo=CHINA)
        >>> november = calendar("month", None, now).year_before()
        >>> november.name, november.span_text()
        ('上年同月', '2025-11-01 00:00 至 2025-12-01 00:00')
        >>> running = calendar("month", date(2026, 12, 1), now).year_before()
        >>> running.name, running.span_text()
        ('上年同月同期', '2025-12-01 00:00 至 2025-12-04 09:30')
        >>> week = calendar("week", date(2026, 11, 25), now).year_before()
        >>> week.name, week.span_text()
        ('上年同周', '2025-11-24 00:00 至 2025-12-01 00:00')
        >>> calendar("day", date(2028, 2, 29), datetime(2028, 3, 2, tzinfo=CHINA)).year_before().tag
        '20270228'
        >>> days = rolling(7, now).year_before()
        >>> days.name, days.span_text()
        ('上年同期', '2025-11-27 09:30 至 2025-12-04 09:30')
        """
        if self.period is None:
            end = _year_earlier(self.end.astimezone(CHINA))
            tag = f"{end:%Y%m%d}"
            return BriefWindow("上年同期", end - (self.end - self.start), end, tag)
        first = self.start.astimezone(CHINA).date()
        if self.period == "week":
            before = first - timedelta(weeks=52)
        else:
            before = _year_earlier(first)
        return self._period_like(before, YEAR_BEFORE_NAMES[self.period])

    def resolved_at(self, now: datetime) -> datetime:
        """Return when the brief's own 办结率 is read: whole days after its window's end.

        The share of the window's cases concluded by then. A past period's brief (月总结 made
        on 6 December at 10:05) reads it at the end of the day before it is made (5 December
        24:00, the 5th day after the month's end), not at the minute it is made: made at any
        hour of a day, it gives the same figures under the same name (trial AO m5: 「截至各
        期末后5天10小时」 changed with the hour). A brief of the last days, or of a period
        still running, ends now and reads it then (its window's end).

        Parameters
        ----------
        now : datetime
            When the brief is made (aware).

        Returns
        -------
        datetime
            The window's end plus the whole days from it to ``now``.

        Examples
        --------
        >>> now = datetime(2026, 12, 6, 10, 5, tzinfo=CHINA)
        >>> calendar("month", None, now).resolved_at(now).isoformat()
        '2026-12-06T00:00:00+08:00'
        >>> calendar("day", None, now).resolved_at(now).isoformat()
        '2026-12-06T00:00:00+08:00'
        >>> rolling(7, now).resolved_at(now) == now
        True
        """
        return self.end + timedelta(days=max((now - self.end) // timedelta(days=1), 0))

    def measured_at(self, brief: BriefWindow, now: datetime) -> datetime:
        """Return when this compared window's 办结率 is read: as long after its end as the brief's.

        The brief's own 办结率 is read at :meth:`resolved_at`; a window it is compared with
        (:meth:`previous`, :meth:`year_before`) as it stood the same time after its own end,
        so that the cases of both have had as long to close (like for like). A brief of the
        last days, or of a period still running, ends now: each window is read at its end
        (截至各期末).

        Parameters
        ----------
        brief : BriefWindow
            The brief's window.
        now : datetime
            When the brief is made (aware).

        Returns
        -------
        datetime
            This window's end plus the whole days from the brief's window's end to ``now``.

        Examples
        --------
        >>> now = datetime(2026, 12, 6, 10, 5, tzinfo=CHINA)
        >>> week = rolling(7, now)
        >>> week.previous().measured_at(week, now) == week.start
        True
        >>> november = calendar("month", None, now)
        >>> november.previous().measured_at(november, now).isoformat()
        '2026-11-06T00:00:00+08:00'
        """
        return self.end + (brief.resolved_at(now) - brief.end)

    def _period_like(self, day: date, names: tuple[str, str]) -> BriefWindow:
        """Return the earlier calendar period holding ``day``, as much of it as this one runs.

        ``names`` are the whole period's name and that of the same stretch of it (this period
        still running: its first days up to the same hour, never past its end).
        """
        assert self.period is not None
        whole = calendar(self.period, day, self.start)  # ends before this one starts
        end = min(whole.end, whole.start + (self.end - self.start)) if self.to_date else whole.end
        name = names[1 if self.to_date else 0]
        return BriefWindow(name, whole.start, end, whole.tag, period=self.period)

    def file_name(self, unit_name: str) -> str:
        """Return the name the brief is downloaded as: its kind, its unit and its window.

        Parameters
        ----------
        unit_name : str
            The unit's name.

        Returns
        -------
        str
            ``近7日简报_华宁县_20261204.xlsx``, ``月总结_华宁县_202611.xlsx`` and the like.
        """
        return f"{self.name}_{unit_name}_{self.tag}.xlsx"

    def span_text(self) -> str:
        """Return the window as the brief's 统计时段 says it, in Beijing time.

        Returns
        -------
        str
            ``2026-11-01 00:00 至 2026-12-01 00:00`` (至今 when the period is still running).
        """
        first, last = self.start.astimezone(CHINA), self.end.astimezone(CHINA)
        running = "（至今）" if self.to_date else ""
        return f"{first:%Y-%m-%d %H:%M} 至 {last:%Y-%m-%d %H:%M}{running}"


Day = TypeVar("Day", date, datetime)


def _year_earlier(day: Day) -> Day:
    """Return the same date a year earlier, 29 February's being 28 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Comparison:
    """A window the brief's figures are compared with, and the unit's feed over it.

    Attributes
    ----------
    kind : {'环比', '同比'}
        The comparison (:data:`COMPARED`).
    window : BriefWindow
        The compared window (:meth:`BriefWindow.previous`, :meth:`BriefWindow.year_before`).
    feed : dict
        The unit's command feed over it (:func:`layers.command.feed`): its
        :data:`WINDOW_KPIS` and its children's (its ``resolved_share``, as at generation, is
        not shown: ``resolved`` is).
    resolved : mapping of str to float or None
        The 办结率 over it of the unit and of each child, by code, as it stood as long after
        the window's end as the brief's own is after its window's end
        (:meth:`BriefWindow.measured_at`, :func:`layers.brief_cases.resolved_shares`).
    """

    kind: ComparisonKind
    window: BriefWindow
    feed: dict[str, Any]
    resolved: Mapping[str, float | None]

    def no_data(self, first: datetime | None) -> bool:
        """Return whether a unit whose first case was reported at ``first`` has no figures here.

        Parameters
        ----------
        first : datetime or None
            When the unit's earliest case was reported (None: it has none).

        Returns
        -------
        bool
            The window ends before (or as) the unit's history begins.

        Examples
        --------
        >>> w = calendar("month", date(2025, 11, 1), datetime(2026, 12, 4, tzinfo=CHINA))
        >>> c = Comparison("同比", w.year_before(), {}, {})
        >>> c.no_data(datetime(2024, 11, 30, tzinfo=CHINA)), c.no_data(w.start), c.no_data(None)
        (False, True, True)
        """
        return first is None or first >= self.window.end


def rolling(days: int, now: datetime) -> BriefWindow:
    """Return the window of the last ``days`` days up to ``now``.

    Parameters
    ----------
    days : int
        The window's length.
    now : datetime
        When it ends (aware).

    Returns
    -------
    BriefWindow
        Named by :func:`brief_name`, tagged with the day it ends in China.
    """
    return BriefWindow(
        brief_name(days), now - timedelta(days=days), now, f"{now.astimezone(CHINA):%Y%m%d}"
    )


NIGHT = (time(18), time(8))
"""A night shift (夜班): from 18:00 to 08:00 the next morning, Beijing time."""
NIGHT_NAME = "夜班简报"
SPAN_NAME = "时段简报"
LONGEST_SPAN = timedelta(days=366)


def night(day: date | None, now: datetime) -> BriefWindow:
    """Return the night shift that begins on ``day``: 18:00 to 08:00 the next morning.

    The day shift taking over reads what the night brought (trial AZ M8: only the last 24
    hours or a calendar day could be chosen). Compared with the night before (前一夜班) and
    the same night a year before.

    Parameters
    ----------
    day : date, optional
        The day the night begins, in Beijing time; default yesterday (this morning's handover).
    now : datetime
        The clock (aware). A night still running ends now (至今).

    Returns
    -------
    BriefWindow
        The night's window, 夜班简报.

    Raises
    ------
    InvalidInput
        The night has not begun.

    Examples
    --------
    >>> now = datetime(2026, 12, 6, 8, 20, tzinfo=CHINA)
    >>> w = night(None, now)
    >>> w.name, w.tag, w.span_text(), w.to_date
    ('夜班简报', '20261205-20261206', '2026-12-05 18:00 至 2026-12-06 08:00', False)
    >>> before = w.previous()
    >>> before.name, before.span_text()
    ('前一夜班', '2026-12-04 18:00 至 2026-12-05 08:00')
    >>> running = night(None, datetime(2026, 12, 6, 6, 30, tzinfo=CHINA))
    >>> running.span_text(), running.previous().name
    ('2026-12-05 18:00 至 2026-12-06 06:30（至今）', '前一夜班同期')
    """
    first = day or now.astimezone(CHINA).date() - timedelta(days=1)
    start = datetime.combine(first, NIGHT[0], CHINA)
    if start >= now:
        raise InvalidInput(f"{first.isoformat()} 的夜班（18:00 起）尚未开始")
    end = datetime.combine(first + timedelta(days=1), NIGHT[1], CHINA)
    running = end > now
    return BriefWindow(
        NIGHT_NAME,
        start,
        min(end, now),
        f"{first:%Y%m%d}-{first + timedelta(days=1):%Y%m%d}",
        to_date=running,
        step=timedelta(days=1),
        before_name="前一夜班同期" if running else "前一夜班",
    )


def span(start: datetime, end: datetime, now: datetime) -> BriefWindow:
    """Return a window chosen by its start and end (a shift of any hours: 时段简报).

    Parameters
    ----------
    start, end : datetime
        The window; a time without a zone is Beijing time. An end after ``now`` is now.
    now : datetime
        The clock (aware).

    Returns
    -------
    BriefWindow
        Compared with the same length of time just before it (此前同样时长).

    Raises
    ------
    InvalidInput
        The end is not after the start, the start is not before now, or the window is
        longer than a year.

    Examples
    --------
    >>> now = datetime(2026, 12, 6, 9, 0, tzinfo=CHINA)
    >>> w = span(datetime(2026, 12, 5, 20, 0), datetime(2026, 12, 6, 7, 30), now)
    >>> w.name, w.tag, w.span_text()
    ('时段简报', '202612052000-202612060730', '2026-12-05 20:00 至 2026-12-06 07:30')
    >>> w.previous().name, w.previous().span_text()
    ('此前同样时长', '2026-12-05 08:30 至 2026-12-05 20:00')
    """
    start, end = (t if t.tzinfo else t.replace(tzinfo=CHINA) for t in (start, end))
    if end <= start:
        raise InvalidInput("时段的结束时间须晚于开始时间")
    if start >= now:
        raise InvalidInput("时段的开始时间须早于现在")
    if end - start > LONGEST_SPAN:
        raise InvalidInput("时段最长 366 天，请缩短时段或选择月总结、季度总结")
    first, last = start.astimezone(CHINA), end.astimezone(CHINA)
    running = end > now
    end = min(end, now)
    return BriefWindow(
        SPAN_NAME,
        start,
        end,
        f"{first:%Y%m%d%H%M}-{last:%Y%m%d%H%M}",
        to_date=running,
        step=end - start,
        before_name="此前同样时长",
    )


def calendar(period: Period, day: date | None, now: datetime) -> BriefWindow:
    """Return the calendar day, week, month or quarter holding ``day``, in Beijing time.

    Parameters
    ----------
    period : {'day', 'week', 'month', 'quarter'}
        日汇总 of a day, 周研判 of a week (Monday to Sunday), 月总结 of a month, 季度总结 of a
        quarter (trial AY M2: the quarterly review had none).
    day : date, optional
        Any day of the period; default the period before the current one (yesterday, last
        week, last month, the last complete quarter): the brief a centre files.
    now : datetime
        The clock (aware). A period still running ends now.

    Returns
    -------
    BriefWindow
        The period's window.

    Raises
    ------
    InvalidInput
        ``period`` is none of the three, or ``day`` is after today.

    Examples
    --------
    >>> now = datetime(2026, 12, 4, 9, 30, tzinfo=CHINA)
    >>> w = calendar("month", None, now)
    >>> w.name, w.tag, w.span_text()
    ('月总结', '202611', '2026-11-01 00:00 至 2026-12-01 00:00')
    >>> calendar("week", date(2026, 12, 2), now).span_text()
    '2026-11-30 00:00 至 2026-12-04 09:30（至今）'
    >>> q = calendar("quarter", None, now)
    >>> q.name, q.tag, q.span_text()
    ('季度总结', '2026Q3', '2026-07-01 00:00 至 2026-10-01 00:00')
    >>> q.previous().span_text(), q.year_before().name
    ('2026-04-01 00:00 至 2026-07-01 00:00', '上年同季度')
    >>> calendar("quarter", date(2026, 11, 5), now).previous().name
    '上季度同期'
    """
    if period not in PERIOD_NAMES:
        raise InvalidInput(
            "简报周期只能是 day（日汇总）、week（周研判）、month（月总结）或 quarter（季度总结）"
        )
    today = now.astimezone(CHINA).date()
    if day is not None and day > today:
        raise InvalidInput(f"日期 {day.isoformat()} 晚于今天（{today.isoformat()}）")
    if period == "day":
        first = day or today - timedelta(days=1)
        after = first + timedelta(days=1)
        tag = f"{first:%Y%m%d}"
    elif period == "week":
        some = day or today - timedelta(days=7)
        first = some - timedelta(days=some.weekday())
        after = first + timedelta(days=7)
        tag = f"{first:%Y%m%d}-{after - timedelta(days=1):%Y%m%d}"
    elif period == "month":
        some = day or today.replace(day=1) - timedelta(days=1)
        first = some.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        tag = f"{first:%Y%m}"
    else:
        this_quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        some = day or this_quarter - timedelta(days=1)
        first = some.replace(month=(some.month - 1) // 3 * 3 + 1, day=1)
        after = (first + timedelta(days=95)).replace(day=1)
        tag = f"{first.year}Q{(first.month - 1) // 3 + 1}"
    start = datetime.combine(first, time(), CHINA)
    end = datetime.combine(after, time(), CHINA)
    running = end > now
    return BriefWindow(
        PERIOD_NAMES[period], start, min(end, now), tag, to_date=running, period=period
    )


def kpi_text(name: str, value: Any) -> Any:
    """Return a KPI as the brief writes it: shares as percentages, missing as 「—」.

    Parameters
    ----------
    name : str
        The KPI (:data:`layers.command.KPI_NAMES`).
    value : int, float or None
        Its value in the feed (None: no case to share, or withheld).

    Returns
    -------
    int, float, Percent or str
        The cell's value: a share as a :class:`~layers.workbooks.Percent`, a number the
        sheet shows as a percentage.

    Examples
    --------
    >>> share = kpi_text("resolved_share", 0.7571)
    >>> share, str(share), kpi_text("open", 70), kpi_text("overdue_visits", None)
    (0.7571, '75.7%', 70, '—')
    """
    if value is None:
        return "—"
    return Percent(value) if name in SHARE_KPIS else value


def change(name: str, current: Any, before: Any) -> tuple[Any, Any]:
    """Return how a window KPI changed from the window before (环比): the change and its rate.

    Parameters
    ----------
    name : str
        The KPI (:data:`WINDOW_KPIS`).
    current, before : int, float or None
        Its value over the brief's window and over the window before.

    Returns
    -------
    tuple
        增减: a count's difference, a share's in :class:`~layers.workbooks.PercentagePoints`;
        增减率: a count's change as a :class:`~layers.workbooks.PercentChange` of the window
        before, 「—」 when that was 0 and for shares; both 「—」 when either value is missing.
        Changes are rounded as shown (``+ 0.0`` turns ``-0.0`` into 0), so that none reads
        ``-0.0``.

    Examples
    --------
    >>> [(d, str(r)) for d, r in (change("reported", 12, 8), change("repeats", 1, 4))]
    [(4, '+50.0%'), (-3, '-75.0%')]
    >>> change("escalations", 3, 0), change("resolved_share", None, 0.5)
    ((3, '—'), ('—', '—'))
    >>> [str(change("resolved_share", a, b)[0]) for a, b in ((0.75, 0.8), (0.5, 0.5))]
    ['-5.0个百分点', '0.0个百分点']
    >>> str(change("reported", 5, 5)[1])
    '0.0%'
    """
    if current is None or before is None:
        return "—", "—"
    if name in SHARE_KPIS:
        return PercentagePoints(round((current - before) * 100, 1) + 0.0), "—"
    delta = current - before
    if not before:
        return delta, "—"
    return delta, PercentChange(round(delta / before, 3) + 0.0)


def overdue_text(late: timedelta) -> str:
    """Return how long a case is overdue as the console says it (超期时长).

    Parameters
    ----------
    late : timedelta
        From its deadline to the brief's generation.

    Returns
    -------
    str
        Days and hours, hours and minutes, or minutes.

    Examples
    --------
    >>> overdue_text(timedelta(days=3, hours=5, minutes=7)), overdue_text(timedelta(minutes=125))
    ('3天5小时', '2小时5分')
    >>> overdue_text(timedelta(seconds=30))
    '0分钟'
    """
    minutes = int(late.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    return f"{hours}小时{mins}分" if hours else f"{mins}分钟"


def level_text(level: int | None) -> str:
    """Return a handling level as the console writes it (办理层级).

    Parameters
    ----------
    level : int or None
        1 (province) … 5 (village); None: not recorded.

    Returns
    -------
    str
        :attr:`Level.handling_label <layers.model.Level.handling_label>`, 「—」 for None.

    Examples
    --------
    >>> level_text(3), level_text(4), level_text(None)
    ('县级', '乡镇（街道）级', '—')
    """
    return "—" if level is None else Level(level).handling_label


AFTER_WINDOW = "统计时段后"
"""What a brief of a past window calls what happened after its end and before it was made (a
督办, a 签收): never 「此前」 (trial AU M5)."""
AT_GENERATION = "生成时"
"""What the 简报 sheet's headers add to the KPIs that stand as at generation (在办案件 …) when
the window ended before the brief was made (trial AU M5)."""


def supervised_text(in_window: bool, after: bool = False) -> str:
    """Return a 督办 case's 本期督办: in the window, before it, or only after its end.

    Parameters
    ----------
    in_window : bool
        It was supervised in the window.
    after : bool, optional
        It was supervised only after the window's end
        (:attr:`layers.brief_cases.Supervised.after`).

    Returns
    -------
    str
        是, 否（此前督办） or 否（统计时段后督办）.

    Examples
    --------
    >>> supervised_text(True), supervised_text(False), supervised_text(False, after=True)
    ('是', '否（此前督办）', '否（统计时段后督办）')
    """
    if in_window:
        return "是"
    return f"否（{AFTER_WINDOW}督办）" if after else "否（此前督办）"


def kpi_headers(window: BriefWindow, now: datetime, *, visits_at_end: bool = False) -> list[str]:
    """Return the 简报 sheet's KPI headers: those standing as at generation say so.

    A brief of a past window (昨日汇总 made the next morning) counts 近期受理, 办结率, 上报次数
    and 重复反映 over the window (:data:`WINDOW_KPIS`), but 在办案件, 超期案件 and the others as
    they stand when it is made, not at the window's end: said in the header, where the reader
    of the sheet looks, not only in the 说明. A window ending when the brief is made needs no
    word.

    Parameters
    ----------
    window : BriefWindow
        The brief's window.
    now : datetime
        When the brief is made.
    visits_at_end : bool
        走访逾期 is counted at the window's end (:func:`overdue_end_label`), not at generation.

    Returns
    -------
    list of str
        The headers, in the order of :data:`layers.command.KPI_LABELS`.

    Examples
    --------
    >>> now = datetime(2026, 12, 6, 10, 5, tzinfo=CHINA)
    >>> kpi_headers(calendar("day", None, now), now)[:4]
    ['在办案件（生成时）', '超期案件（生成时）', '联系超时（生成时）', '近期受理']
    >>> kpi_headers(calendar("day", None, now), now)[7]
    '近期热点（按周，生成时）'
    >>> kpi_headers(rolling(7, now), now)[:2]
    ['在办案件', '超期案件']
    >>> kpi_headers(calendar("month", None, now), now, visits_at_end=True)[-1]
    '走访逾期（截至月末）'
    """
    if window.end >= now:
        return list(KPI_LABELS.values())
    at_end = {"overdue_visits": overdue_end_label(window)} if visits_at_end else {}

    def at_generation(label: str) -> str:
        if label.endswith("）"):
            return f"{label[:-1]}，{AT_GENERATION}）"
        return f"{label}（{AT_GENERATION}）"

    return [
        at_end.get(key) or (label if key in WINDOW_KPIS else at_generation(label))
        for key, label in KPI_LABELS.items()
    ]


def overdue_end_label(window: BriefWindow) -> str:
    """Return the header of 走访逾期 counted at a past window's end (trial AY S2).

    Examples
    --------
    >>> now = datetime(2026, 12, 6, 10, 5, tzinfo=CHINA)
    >>> overdue_end_label(calendar("month", date(2026, 9, 1), now))
    '走访逾期（截至月末）'
    """
    end = PERIOD_ENDS.get(window.period, "期末") if window.period is not None else "期末"
    return f"{KPI_LABELS['overdue_visits']}（截至{end}）"


VISITS_AT_END_NOTE = (
    "走访逾期为统计时段末的人数：届时在册、最近一次见到本人或电话/视频联系的走访（从未走访的"
    "自列管之日）加上走访周期早于统计时段结束的人员，按现行走访周期规则和人员现在的管理等级计算。"
)
"""Said in the 简报's 说明 when 走访逾期 is counted at the window's end (trial AY S2)."""


NOTES: dict[str, str] = {
    "简报": "本级合计及各下级单位的指标。近期受理、办结率、上报次数、重复反映为统计时段内的数；"
    "近期受理含重复反映（研判分析的案件数不含，故少于此数）；"
    "在办案件、超期案件、联系超时、近期热点（按周）、视频点位、视频在线率、走访逾期为生成时的现状。"
    "超期案件为已过办结时限的在办案件；联系超时为尚未受理（已登记、已分流、已上报，或已派单未受理）"
    "且已过联系时限的案件，即待办队列中标红「联系时限 … 已过」的；两者都计辖区各层级的案件。"
    "办结率为时段内受理的案件中截至{resolved}已办结的比例。"
    "写「—」的：办结率为时段内没有受理案件，视频在线率为没有视频点位，走访逾期为不予显示的人数"
    "（人数较少，或由合计减去已显示的数即可推算出人数较少的单位：互补隐藏，保护小数）。",
    "交班在办案件": "生成时辖区内未办结的案件，一个事项一行：原案与其在办的重复反映并为一行，"
    "「重复反映」写共反映几次及重复件编号；风险最高的在前，同级按登记时间从早到晚。"
    "承办为现在由谁办理：派给的网格员（及其网格）、下级单位或职能部门，未派单的为办理层级的单位"
    "（尚未派单）；承办起始为派单时间，未派单的为最近一次登记、分流、撤回派单、退回、上报、交办"
    "或重新办理的时间；承办状态为派单的进展（已派单、已受理、已到场）或案件状态；最近变动写此前"
    "派单如何结束（撤回派单、退回）及原承办人。吹哨/派往部门每个部门一行：已反馈、已受理、已办结、"
    "已退回，或未响应及至生成时已等的时长。",
    "新登记案件": "统计时段内登记的辖区案件（任何层级、任何状态），即近期受理所计的案件，"
    "按登记时间从早到晚；办理层级、当前状态、承办等为生成时的情况，各列的意思同交班在办案件。",
    "超期案件": "生成时辖区内未办结且已过办理时限的案件（任何层级），超期最久的在前；"
    "超期时长算至生成时；承办、承办起始、承办状态同交班在办案件。",
    "督办案件": "统计时段内被督办的辖区案件，及此前督办、生成时仍在办理的案件，"
    "督办时限最早的在前；督办时间、督办人、督办意见为统计时段结束前最近一次督办的，督办情况为"
    "生成时的。统计时段结束后生成的，也列出统计时段后才被督办、生成时仍在办理的案件，"
    "本期督办写「否（统计时段后督办）」，督办时间等为其最近一次督办的。承办、承办起始、承办状态为生成时的，同交班在办案件。",
    "上报案件": "统计时段内从辖区的每一次上报（上报次数所计），按上报时间从早到晚；"
    "当前状态为生成时的情况。",
    "风险预警": "生成时尚未关闭的预警，及统计时段开始后关闭的预警；统计时段结束后才发出的预警不列，"
    "统计时段结束后才签收或关闭的，状态为统计时段末的（待处置或已签收），注明「统计时段后签收」"
    "「统计时段后关闭」，关闭人、关闭时间照列。热点预警的类别（新增、连续、加剧、"
    "持续、零星热点）按最近一次热点分析判定：按周分期，看一个六边形单元及相邻单元，期数和时段见"
    "「判定依据」；研判分析页和研判报告的新兴热点模式按月分期（全部 24 个月）判定、按村（社区）"
    "统计六边形单元数，口径不同，同一村（社区）在两处的类别可能不同。",
}
"""The 说明 of 概况: what each sheet holds, as at when."""
COMPARISON_NOTES: dict[ComparisonKind, str] = {
    "环比": "与上期比（最近若干天的简报为此前同样天数，自然日、周、月、季度为前一日、上周、上月、"
    "上季度；"
    "本期尚未结束时为上期同期）",
    "同比": "与上年同期比（最近若干天的简报为上一年同一时刻止的同样天数，自然日、月、季度为上一年"
    "的同一日、同一月、同一季度，周为52周前的同一周；本期尚未结束时为其中同样的一段）",
}
COMPARISON_NOTE = (
    "近期受理、办结率、上报次数、重复反映本期的数，{compared}，及其增减；对比时段的计数不为零时"
    "另有增减率，办结率的增减以百分点计。{resolved}"
    "单位在对比时段结束前尚无任何案件记录的，写{none}，不计增减。"
)
"""The 说明 of the comparison sheet (环比同比, or 环比 or 同比 alone), of the comparisons it has."""
RESOLVED_NOTE = (
    "办结率各期均为截至各{point}的办结率，即该期登记的案件中届时已办结的比例（各期的时刻见概况"
    "「办结率截至」）：本期、{columns}都按办理记录回溯到各自的{point}（届时尚未办结、此后才办结的"
    "不计，届时已办结、此后又重新办理的仍计；无届时办理记录的导入案件按其办结时间），各期案件的"
    "办理时间一样长，较早的时段不因多办了一段时间而偏高。"
)
"""What 办结率 in the comparison sheet means: each window's as it stood the same whole days
after its end (:meth:`BriefWindow.resolved_at`, :meth:`BriefWindow.measured_at`)."""
RESOLVED_WHOLE_DAYS = "过去的统计期按整日计，同一天内任何时刻生成的简报办结率相同。"
"""Said of a past period's 办结率 read after its end (:meth:`BriefWindow.resolved_at`)."""
PERIOD_ENDS: dict[Period, str] = {"day": "期末", "week": "期末", "month": "月末", "quarter": "季末"}
"""What the end of a brief's window is called in the name of its 办结率 (各月末, 各期末)."""


LONG_LAG = timedelta(days=31)
"""Past this, a window's 办结率 is not named by the days after its end (「各月末后第1404日24时」
read as nonsense for a month of 2023, trial AY m4) but by the brief's own moment."""


def _lag_text(lag: timedelta, period: Period | None = None, own: datetime | None = None) -> str:
    """Say when each window's 办结率 is read: at its end (期末, 月末), or whole days after it.

    Long after it (:data:`LONG_LAG`, with the brief's own moment ``own``): the same days after
    each one's end, the brief's own moment named.
    """
    end = PERIOD_ENDS[period] if period is not None else "期末"
    days = lag // timedelta(days=1)
    if days <= 0:
        return end
    if own is not None and lag > LONG_LAG:
        return f"{end}后同样天数（本期为{moment_text(own)}）"
    return f"{end}后第{days}日24时"


def resolved_label(
    lag: timedelta, period: Period | None = None, own: datetime | None = None
) -> str:
    """Return what the brief calls 办结率 in its comparison: when each window's is read.

    Parameters
    ----------
    lag : timedelta
        From each window's end to when its 办结率 is read: whole days
        (:meth:`BriefWindow.resolved_at`; 0 for a brief of the last days or of a period still
        running).
    period : {'day', 'week', 'month', 'quarter'}, optional
        The brief's calendar period: a month's end is called 月末, a quarter's 季末, any other
        期末.
    own : datetime, optional
        When the brief's own 办结率 is read (:meth:`BriefWindow.resolved_at`): named instead
        of the days when they are many (:data:`LONG_LAG`).

    Returns
    -------
    str
        办结率 and when each window's is read, counted from that window's end.

    Examples
    --------
    >>> resolved_label(timedelta(0))
    '办结率（截至各期末）'
    >>> resolved_label(timedelta(days=5), "month"), resolved_label(timedelta(days=1), "week")
    ('办结率（截至各月末后第5日24时）', '办结率（截至各期末后第1日24时）')
    >>> resolved_label(timedelta(days=1404), "month", datetime(2026, 12, 6, tzinfo=CHINA))
    '办结率（本期截至2026年12月5日24时，对比期截至各自月末后同样天数）'
    """
    name = KPI_LABELS["resolved_share"]
    if own is not None and lag > LONG_LAG:
        end = PERIOD_ENDS[period] if period is not None else "期末"
        return f"{name}（本期截至{moment_text(own)}，对比期截至各自{end}后同样天数）"
    return f"{name}（截至各{_lag_text(lag, period)}）"


def resolved_note(
    lag: timedelta,
    columns: Sequence[str],
    period: Period | None = None,
    own: datetime | None = None,
) -> str:
    """Return the 说明's words on the comparison sheet's 办结率 (:data:`RESOLVED_NOTE`).

    Parameters
    ----------
    lag : timedelta
        From each window's end to when its 办结率 is read (:func:`resolved_label`).
    columns : sequence of str
        The compared columns (上期, 上年同期).
    period : {'day', 'week', 'month', 'quarter'}, optional
        The brief's calendar period (:func:`resolved_label`).
    own : datetime, optional
        When the brief's own 办结率 is read (:func:`resolved_label`).

    Returns
    -------
    str
        The sentence; for a past period read after its end, also that it counts whole days.

    Examples
    --------
    >>> now = resolved_note(timedelta(0), ["上期", "上年同期"])
    >>> now[:16], "本期、上期、上年同期都按办理记录回溯到各自的期末（" in now
    ('办结率各期均为截至各期末的办结率', True)
    >>> later = resolved_note(timedelta(days=3), ["上期"], "month")
    >>> "回溯到各自的月末后第3日24时（" in later, later.endswith("办结率相同。")
    (True, True)
    """
    point = _lag_text(lag, period, own)
    said = RESOLVED_NOTE.format(columns="、".join(columns), point=point)
    return said + (RESOLVED_WHOLE_DAYS if lag >= timedelta(days=1) else "")


def moment_text(moment: datetime) -> str:
    """Return when a 办结率 is read as a person says it: a midnight as the day before's 24时.

    Examples
    --------
    >>> moment_text(datetime(2026, 12, 6, tzinfo=CHINA))
    '2026年12月5日24时'
    >>> moment_text(datetime(2026, 12, 6, 10, 5, tzinfo=CHINA))
    '2026年12月6日 10:05'
    """
    local = moment.astimezone(CHINA)
    if local.time() == time():
        day = local.date() - timedelta(days=1)
        return f"{day.year}年{day.month}月{day.day}日24时"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


LIST_NOTE = (
    "每张案件清单至多列出 {limit} 件（次），超出时在表末注明总数；所在单位从本单位的下一级写起。"
    "清单只列案件编号、标题等办理信息，不含反映人、当事人的姓名和联系电话。"
    "地址所写乡镇与点位所在乡镇不符的案件，所在单位后注明「地址与位置不符」，请核对地址或点位。"
)
"""The 说明's last line when the brief lists cases."""


def workbook(
    feed: dict[str, Any],
    closed: list[dict[str, Any]],
    *,
    window: BriefWindow,
    now: datetime,
    comparisons: Sequence[Comparison] = (),
    first_cases: Mapping[str, datetime | None] | None = None,
    cases: BriefCases | None = None,
    resolved: Mapping[str, float | None] | None = None,
    overdue_at_end: Mapping[str, int | None] | None = None,
    departments: Sequence[DepartmentRow] | None = None,
) -> bytes:
    """Return the brief as an XLSX workbook.

    Sheets: 概况 (the unit, the window, what each sheet holds), 简报 (the KPIs), 环比同比 (with
    ``comparisons``: named after those given, 环比 or 同比 alone), 部门办理情况 (with
    ``departments``), 新登记案件, 超期案件, 督办案件
    and 上报案件 (with ``cases``), 风险预警.

    Parameters
    ----------
    feed : dict
        The unit's command feed over the window (:func:`layers.command.feed`).
    closed : list of dict
        The unit's alerts closed since the window's start (:func:`layers.alerts.listed`): those
        closed in it, and, for a past window, those closed after its end, which are listed as
        they stood at its end (trial AU M5: they were in neither list).
    window : BriefWindow
        The window.
    now : datetime
        When the brief is made (the figures that are not counted over the window stand then).
    comparisons : sequence of Comparison, optional
        The windows compared with and the unit's feed over each (环比: the window before,
        同比: the same window a year before): the comparison sheet sets the
        :data:`WINDOW_KPIS` of the unit and of each child beside theirs, with the change;
        their 办结率 is each one's :attr:`Comparison.resolved`, read as long after its end as
        ``now`` is after ``window``'s, and the sheet and its 说明 say so.
    first_cases : mapping of str to datetime or None, optional
        When the earliest case of the unit and of each child was reported, by code
        (:func:`layers.brief_cases.first_reported`): a unit with no case before a compared
        window ends gets 无上期数据 or 无上年同期数据 there instead of its zeros and a change;
        one whose cases begin inside it is named under the table. Without it, every compared
        figure is shown.
    cases : BriefCases, optional
        The lists of cases (:func:`layers.brief_cases.collect`); without them (an analyst's
        brief) 概况 says that the brief lists no case.
    resolved : mapping of str to float or None, optional
        The 办结率 over the window of the unit and of each child, by code, as it stood at
        ``window.resolved_at(now)`` (:func:`layers.brief_cases.resolved_shares`): 简报 and
        the comparison sheet show it instead of the feed's (read at ``now``); needed for a
        past period's brief, which reads it at the end of the day before ``now``. 概况 says
        when each window's is read (办结率截至).
    overdue_at_end : mapping of str to int or None, optional
        The 走访逾期 of the unit and of each child at the end of a past window, by code
        (:func:`layers.visit_history.overdue_at_end`): 简报 gives these instead of the
        feed's (at ``now``), under :func:`overdue_end_label` (trial AY S2: a September 月总结
        made in December gave December's count).
    departments : sequence of DepartmentRow, optional
        Each 承办部门's figures over the window (:func:`layers.department_figures.figures`):
        the sheet 部门办理情况, with a 合计 row (trial BA S1).

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    if resolved is not None:
        feed = _with_resolved(feed, resolved)
    at_end = overdue_at_end is not None and window.end < now
    if overdue_at_end is not None and at_end:
        feed = _with_kpi(feed, "overdue_visits", overdue_at_end)
    unit = feed["unit"]
    own = window.resolved_at(now)
    lag = own - window.end
    book = Workbook()
    summary = book.active
    summary.title = "概况"
    facts: list[tuple[str, str]] = [("辖区", f"{unit['name']}（{unit['code']}）")]
    if feed.get("counties"):  # a province's or city's figures are its connected counties'
        facts.append(("接入范围", held_counties_note(feed["counties"], "本简报")))
    facts += [
        ("简报", window.name),
        ("统计时段", window.span_text()),
    ]
    if first_cases is not None:
        history = history_text(first_cases.get(unit["code"]), window)
        if history:
            facts.append(("案件记录", history))
    for compared in comparisons:
        line, _, none = COMPARED[compared.kind]
        span = f"{compared.window.span_text()}（{compared.window.name}）"
        if first_cases is not None and compared.no_data(first_cases.get(unit["code"])):
            span += f"：本级此前无案件记录，{none}"
        facts.append((line, span))
    facts.append(("生成时间", f"{now.astimezone(CHINA):%Y-%m-%d %H:%M}"))
    read = [f"本期 {_read_text(own, now)}"] + [
        f"{c.window.name} {_read_text(c.window.measured_at(window, now), now)}" for c in comparisons
    ]
    facts.append(("办结率截至", "；".join(read)))
    if cases is None:
        facts.append(("案件清单", NO_ANALYST))
    else:
        facts.append(
            (
                "案件清单",
                f"新登记 {cases.reported.total} 件，超期 {cases.overdue.total} 件，"
                f"督办 {cases.supervised.total} 件，上报 {cases.escalations.total} 次",
            )
        )
        facts.append(("交班", handover_text(cases.open_cases, cases.open_now.total, now)))
    for key, value in facts:
        summary.append([key, value])
    rows = [_kpi_row(unit, "本级合计")] + [_kpi_row(c, c["level_label"]) for c in feed["children"]]
    headers = kpi_headers(window, now, visits_at_end=at_end)
    table_sheet(book, "简报", ["单位", "级别", "区划代码", *headers], rows)
    notes_of = dict(NOTES)
    notes_of["简报"] = NOTES["简报"].format(resolved=_read_text(own, now))
    if at_end:
        notes_of["简报"] = (
            notes_of["简报"].replace("、走访逾期为生成时的现状", "为生成时的现状")
            + VISITS_AT_END_NOTE
        )
    if comparisons:
        title = "".join(c.kind for c in comparisons)
        _comparison_sheet(book, title, feed, comparisons, first_cases, lag, window.period, own)
        notes_of[title] = COMPARISON_NOTE.format(
            compared="，".join(c.kind + COMPARISON_NOTES[c.kind] for c in comparisons),
            resolved=resolved_note(
                lag, [COMPARED[c.kind][1] for c in comparisons], window.period, own
            ),
            none="或".join(f"「{COMPARED[c.kind][2]}」" for c in comparisons),
        )
    if departments is not None:
        table_sheet(
            book,
            DEPARTMENT_SHEET,
            [label for _, label in department_figures.COLUMNS],
            [r.cells() for r in departments]
            + ([department_figures.total(departments).cells()] if departments else []),
            empty="统计时段内无派往职能部门的案件",
        )
        notes_of[DEPARTMENT_SHEET] = department_figures.NOTE
    if cases is not None:
        _case_sheets(book, cases, now)
    end = window.end  # a past window's brief: what came after its end is not its own
    # issued before its end: those still open, those closed since its start (closed only
    # after its end: as they stood at its end, trial AU M5)
    shown = [a for a in [*feed["alerts"], *closed] if _at(a["created_at"]) < end]
    table_sheet(
        book,
        "风险预警",
        [
            "状态",
            "预警",
            "判定依据",
            "所在单位",
            "发出时间",
            "签收人",
            "关闭人",
            "关闭时间",
            "处置情况",
        ],
        [_alert_row(a, end) for a in shown],
        empty="无风险预警",
    )
    notes = [f"{sheet}：{notes_of[sheet]}" for sheet in book.sheetnames if sheet in notes_of]
    if cases is not None:
        notes.append(LIST_NOTE.format(limit=cases.limit))
    summary.append(["说明", "\n".join(notes)])
    summary.column_dimensions["A"].width = 12
    summary.column_dimensions["B"].width = 90
    print_setup(summary)
    for cell in summary["A"]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top")
    for cell in summary["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _comparison_sheet(
    book: Workbook,
    title: str,
    feed: dict[str, Any],
    comparisons: Sequence[Comparison],
    first_cases: Mapping[str, datetime | None] | None,
    lag: timedelta,
    period: Period | None,
    own: datetime | None = None,
) -> Worksheet:
    """Add the comparison sheet: the window KPIs, this window's beside each compared one's.

    The unit's, then each child's, with the changes; under the table, the units whose cases
    begin inside a compared window (its figures cover part of it). 办结率 is named with when
    each window's is read, ``lag`` after its end (:func:`resolved_label`): the brief's as
    ``feed`` gives it, a compared window's from :attr:`Comparison.resolved`.
    """
    header = ["单位", "级别", "区划代码", "指标", "本期"]
    for compared in comparisons:
        header += [COMPARED[compared.kind][1], f"{compared.kind}增减", f"{compared.kind}增减率"]
    units = [(feed["unit"], "本级合计")] + [(c, c["level_label"]) for c in feed["children"]]
    earlier = [
        {
            u["code"]: {**u["kpis"], "resolved_share": c.resolved.get(u["code"])}
            for u in [c.feed["unit"], *c.feed["children"]]
        }
        for c in comparisons
    ]
    labels = {**KPI_LABELS, "resolved_share": resolved_label(lag, period, own)}
    rows: list[list[Any]] = []
    partly: dict[ComparisonKind, list[str]] = {c.kind: [] for c in comparisons}
    for unit, level in units:
        first = None if first_cases is None else first_cases.get(unit["code"])
        missing = [first_cases is not None and c.no_data(first) for c in comparisons]
        for compared, absent in zip(comparisons, missing, strict=True):
            if first is not None and not absent and first > compared.window.start:
                partly[compared.kind].append(f"{unit['name']}（{_moment(first)}）")
        for name in WINDOW_KPIS:
            current = unit["kpis"][name]
            row = [unit["name"], level, unit["code"], labels[name], kpi_text(name, current)]
            for compared, then, absent in zip(comparisons, earlier, missing, strict=True):
                if absent:
                    row += [COMPARED[compared.kind][2], "—", "—"]
                    continue
                past = then.get(unit["code"], {}).get(name)
                row += [kpi_text(name, past), *change(name, current, past)]
            rows.append(row)
    sheet = table_sheet(book, title, header, rows)
    for compared in comparisons:
        if partly[compared.kind]:
            column = COMPARED[compared.kind][1]
            sheet.append(
                [
                    f"注：{'、'.join(partly[compared.kind])}的案件记录始于{column}时段之中"
                    f"（括号内为最早的案件登记时间），其{column}数只含此后的案件。"
                ]
            )
            sheet.cell(sheet.max_row, 1).font = Font(bold=True, color="C00000")
    return sheet


def history_text(first: datetime | None, window: BriefWindow) -> str:
    """Return what 概况 says of a window reaching before the unit's first case (or ``""``).

    The trends page says where the records start; a 月总结 of a month before them gave its
    zeros with no word (trial AY m4).

    Parameters
    ----------
    first : datetime or None
        When the unit's earliest case was reported (None: it has none).
    window : BriefWindow
        The brief's window.

    Returns
    -------
    str
        The sentence, empty when the records start before the window.

    Examples
    --------
    >>> now = datetime(2026, 12, 6, 10, tzinfo=CHINA)
    >>> january = calendar("month", date(2023, 1, 1), now)
    >>> first = datetime(2024, 12, 7, 9, tzinfo=CHINA)
    >>> history_text(first, january)
    '本辖区案件记录始于 2024-12-07，本统计时段在此之前，无数据（各数记为 0）'
    >>> history_text(first, calendar("quarter", date(2024, 12, 1), now))
    '本辖区案件记录始于 2024-12-07，本统计时段只含此后的案件'
    >>> history_text(None, january), history_text(datetime(2020, 1, 1, tzinfo=CHINA), january)
    ('本辖区尚无案件记录', '')
    """
    if first is None:
        return "本辖区尚无案件记录"
    day = f"{first.astimezone(CHINA):%Y-%m-%d}"
    if first >= window.end:
        return f"本辖区案件记录始于 {day}，本统计时段在此之前，无数据（各数记为 0）"
    if first > window.start:
        return f"本辖区案件记录始于 {day}，本统计时段只含此后的案件"
    return ""


def _read_text(moment: datetime, now: datetime) -> str:
    """Say when a window's 办结率 is read: 生成时 for one read when the brief is made."""
    return "生成时" if moment >= now else moment_text(moment)


def _with_resolved(feed: dict[str, Any], resolved: Mapping[str, float | None]) -> dict[str, Any]:
    """Return the feed with the 办结率 of its unit and children as ``resolved`` gives them."""

    def unit(u: dict[str, Any]) -> dict[str, Any]:
        return {**u, "kpis": {**u["kpis"], "resolved_share": resolved.get(u["code"])}}

    return {**feed, "unit": unit(feed["unit"]), "children": [unit(c) for c in feed["children"]]}


def _with_kpi(feed: dict[str, Any], key: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the feed with KPI ``key`` of its unit and children as ``values`` gives them."""

    def unit(u: dict[str, Any]) -> dict[str, Any]:
        return {**u, "kpis": {**u["kpis"], key: values.get(u["code"])}}

    return {**feed, "unit": unit(feed["unit"]), "children": [unit(c) for c in feed["children"]]}


def _moment(value: datetime | None) -> str:
    """Return a time as the brief writes it, in Beijing time ("" for None)."""
    return "" if value is None else f"{value.astimezone(CHINA):%Y-%m-%d %H:%M}"


def _case_cells(case: ListedCase) -> list[Any]:
    """案件编号, 标题, 类别, 风险等级: the first columns of every list."""
    return [
        case.code,
        case.title,
        Category.label_of(case.category),
        RiskLevel.label_of(str(case.risk_level)),
    ]


DEPARTMENT_SHEET = "部门办理情况"
"""The sheet of each 承办部门's figures (:mod:`layers.department_figures`, trial BA S1)."""
HOLDING_HEADERS = ["承办", "承办起始", "承办状态", "吹哨/派往部门", "重复反映"]
"""The columns that say who holds a case now (:class:`layers.brief_holders.Holding`)."""
HANDOVER_SHEET = "交班在办案件"
"""The sheet of the open cases and who holds each (trial AZ M8)."""


def _place_cell(cases: BriefCases, case: ListedCase) -> str:
    """所在单位, with the 调度台's 地址与位置不符 when the address names another township."""
    mismatch = cases.mismatches.get(case.case_id) if case.case_id is not None else None
    return case.area_name if mismatch is None else f"{case.area_name}（{mismatch.text()}）"


def _holding_cells(cases: BriefCases, case: ListedCase, *, change: bool = False) -> list[Any]:
    """承办, 承办起始, 承办状态 (with 最近变动 when ``change``), 吹哨/派往部门, 重复反映."""
    held = cases.holdings.get(case.case_id) if case.case_id is not None else None
    if held is None:
        return ["", "", "", *([""] if change else []), "", ""]
    return [
        held.holder,
        _moment(held.since),
        held.progress,
        *([held.change] if change else []),
        "\n".join(held.departments) or "无",
        held.repeats,
    ]


def _case_sheets(book: Workbook, cases: BriefCases, now: datetime) -> None:
    """Add 交班在办案件, 新登记案件, 超期案件, 督办案件 and 上报案件."""
    head = ["案件编号", "标题", "类别", "风险等级"]
    _list_sheet(
        book,
        HANDOVER_SHEET,
        [
            *head,
            "所在单位",
            "登记时间",
            "当前状态",
            *HOLDING_HEADERS[:3],
            "最近变动",
            *HOLDING_HEADERS[3:],
        ],
        [
            [
                *_case_cells(c),
                _place_cell(cases, c),
                _moment(c.reported_at),
                CaseState.label_of(c.state),
                *_holding_cells(cases, c, change=True),
            ]
            for c in cases.open_now.rows
        ],
        cases.open_now,
        counted="个事项",
    )
    _wrap(book[HANDOVER_SHEET], "吹哨/派往部门")
    _list_sheet(
        book,
        "新登记案件",
        [*head, "来源渠道", "登记时间", "办理层级", "当前状态", "所在单位", *HOLDING_HEADERS],
        [
            [
                *_case_cells(c),
                Channel.label_of(c.channel),
                _moment(c.reported_at),
                level_text(c.handling_level),
                CaseState.label_of(c.state),
                _place_cell(cases, c),
                *_holding_cells(cases, c),
            ]
            for c in cases.reported.rows
        ],
        cases.reported,
    )
    _wrap(book["新登记案件"], "吹哨/派往部门")
    _list_sheet(
        book,
        "超期案件",
        [
            *head,
            "所在单位",
            "办理层级",
            "当前状态",
            "登记时间",
            "办理时限",
            "超期时长",
            "督办时限",
            *HOLDING_HEADERS[:3],
        ],
        [
            [
                *_case_cells(c),
                _place_cell(cases, c),
                level_text(c.handling_level),
                CaseState.label_of(c.state),
                _moment(c.reported_at),
                _moment(c.deadline),
                overdue_text(now - c.deadline) if c.deadline is not None else "",
                _moment(c.supervision_deadline),
                *_holding_cells(cases, c)[:3],
            ]
            for c in cases.overdue.rows
        ],
        cases.overdue,
    )

    def supervision_state(c: ListedCase) -> str:
        if c.state not in OPEN_STATES:
            return "已办结"
        late = c.supervision_deadline is not None and c.supervision_deadline < now
        return "已过督办时限" if late else "督办中"

    _list_sheet(
        book,
        "督办案件",
        [
            *head,
            "所在单位",
            "办理层级",
            "当前状态",
            "本期督办",
            "督办时间",
            "督办人",
            "督办意见",
            "督办时限",
            "督办情况",
            *HOLDING_HEADERS[:3],
        ],
        [
            [
                *_case_cells(s.case),
                _place_cell(cases, s.case),
                level_text(s.case.handling_level),
                CaseState.label_of(s.case.state),
                supervised_text(s.in_window, s.after),
                _moment(s.at),
                s.by or "",
                s.note or "",
                _moment(s.case.supervision_deadline),
                supervision_state(s.case),
                *_holding_cells(cases, s.case)[:3],
            ]
            for s in cases.supervised.rows
        ],
        cases.supervised,
    )
    _list_sheet(
        book,
        "上报案件",
        [
            *head,
            "所在单位",
            "上报时间",
            "上报人",
            "原办理层级",
            "上报至",
            "上报原因",
            "当前状态",
        ],
        [
            [
                *_case_cells(e.case),
                _place_cell(cases, e.case),
                _moment(e.at),
                e.by,
                level_text(e.from_level),
                level_text(e.to_level),
                e.reason or "",
                CaseState.label_of(e.case.state),
            ]
            for e in cases.escalations.rows
        ],
        cases.escalations,
        counted="次",
    )


def _wrap(sheet: Worksheet, header: str) -> None:
    """Wrap the cells of column ``header`` (one line a department) and align the rows on top."""
    names = [c.value for c in sheet[1]]
    if header not in names:
        return
    column = names.index(header) + 1
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column == column)


def handover_text(open_cases: int, matters: int, now: datetime) -> str:
    """Return what 概况 says of the open cases the day shift takes over (交班).

    Parameters
    ----------
    open_cases : int
        The area's open cases at generation, repeats included.
    matters : int
        The rows of 交班在办案件: open cases less the open repeats of open originals.
    now : datetime
        When the brief is made.

    Returns
    -------
    str
        The sentence.

    Examples
    --------
    >>> handover_text(97, 80, datetime(2026, 12, 6, 8, 5, tzinfo=CHINA))
    '截至 2026-12-06 08:05 在办 97 件，合 80 个事项（重复反映并入原案），承办人等见「交班在办案件」'
    >>> handover_text(3, 3, datetime(2026, 12, 6, 8, 5, tzinfo=CHINA))
    '截至 2026-12-06 08:05 在办 3 件，承办人等见「交班在办案件」'
    """
    merged = f"，合 {matters} 个事项（重复反映并入原案）" if matters != open_cases else ""
    return f"截至 {_moment(now)} 在办 {open_cases} 件{merged}，承办人等见「{HANDOVER_SHEET}」"


def _list_sheet(
    book: Workbook,
    title: str,
    header: list[str],
    rows: list[list[Any]],
    listed: CaseList[Any],
    *,
    counted: str = "件",
) -> Worksheet:
    """Add a list of cases; one that was capped says so under its last row, an empty one 无…."""
    sheet = table_sheet(book, title, header, rows, empty=f"无{title}")
    if listed.capped:
        sheet.append(
            [f"注：共 {listed.total} {counted}，本表只列出前 {len(listed.rows)} {counted}。"]
        )
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, color="C00000")
    return sheet


def _kpi_row(unit: dict[str, Any], level: str) -> list[Any]:
    kpis = unit["kpis"]
    return [unit["name"], level, unit["code"], *(kpi_text(k, kpis[k]) for k in KPI_LABELS)]


def _alert_place(alert: dict[str, Any]) -> str:
    """Say where an alert is: a village with its township (two villages may share a name)."""
    name = str(alert.get("area_name") or alert["area_code"])
    if alert.get("parent_name") and division_level(alert["area_code"]) == Level.VILLAGE:
        return str(alert["parent_name"]) + name
    return name


def _at(value: str) -> datetime:
    """Read an alert's time as the feed gives it (ISO 8601)."""
    return datetime.fromisoformat(value)


def _alert_row(alert: dict[str, Any], end: datetime) -> list[Any]:
    """Return an alert's row; one acknowledged or closed after ``end`` as it stood then.

    「待处置（统计时段后签收、关闭）」, with who closed it and when.
    """

    def moment(value: str | None) -> str:
        if value is None:
            return ""
        return _at(value).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")

    state = AlertState.label_of(alert["state"])
    acknowledged = alert.get("acknowledged_at")
    later = []  # what was done only after the window's end
    if acknowledged and _at(acknowledged) >= end:
        later.append("签收")
    if (
        alert["state"] == AlertState.CLOSED
        and alert["closed_at"]
        and _at(alert["closed_at"]) >= end
    ):
        later.append("关闭")
    if later:
        then = (
            AlertState.ACKNOWLEDGED if acknowledged and _at(acknowledged) < end else AlertState.OPEN
        )
        state = f"{then.label}（{AFTER_WINDOW}{'、'.join(later)}）"
    return [
        state + ("（热点已消退）" if alert["faded"] else ""),
        alert["title"],
        alert.get("basis") or "—",
        _alert_place(alert),
        moment(alert["created_at"]),
        alert["acknowledged_by_name"] or "",
        alert["closed_by_name"] or "",
        moment(alert["closed_at"]),
        alert["close_note"] or "",
    ]
