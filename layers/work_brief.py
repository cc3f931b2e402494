"""The command view's figures over a day, a week or a month as a workbook: 日汇总、周研判、月总结.

A centre reports its work daily, weekly and monthly. A brief's window (:class:`BriefWindow`) is
either the last ``days`` up to now (:func:`rolling`) or a calendar day, week (Monday to Sunday)
or month in Beijing time (:func:`calendar`: yesterday's 日汇总, last week's 周研判, last month's
月总结 or any earlier one). :func:`workbook` lays out what the command feed
(:func:`layers.command.feed`) computed over that window: the unit's KPIs and each child unit's
on one sheet (简报, in the order and the words of the console's cards: 近期受理, 办结率, 上报次数
and 重复反映 count over the window, the others are as they stand now), and its risk alerts on
another (风险预警): those not closed yet, then those closed in the window with who closed them
and what was done. Persons are counted as the feed counts them for the reader (analysts' small
counts withheld).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font

from layers.command import KPI_LABELS, SHARE_KPIS
from layers.errors import InvalidInput
from layers.hotspot_current import CHINA
from layers.model import AlertState
from layers.workbooks import table_sheet

BRIEF_NAMES = {1: "日汇总", 7: "周研判", 30: "月总结"}
"""What a brief over so many days is called; another window is 「N日简报」."""


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
    >>> brief_name(7), brief_name(90)
    ('周研判', '90日简报')
    """
    return BRIEF_NAMES.get(days, f"{days}日简报")


Period = Literal["day", "week", "month"]
"""A calendar brief's period."""
PERIOD_NAMES: dict[Period, str] = {"day": "日汇总", "week": "周研判", "month": "月总结"}
LAST_PERIOD_NAMES: dict[Period, str] = {"day": "昨日汇总", "week": "上周研判", "month": "上月总结"}
"""The console's links to the brief of the period before the current one."""


@dataclass(frozen=True)
class BriefWindow:
    """The window of a brief: what it is called and the times it runs between.

    Attributes
    ----------
    name : str
        日汇总, 周研判, 月总结 or 「N日简报」.
    start, end : datetime
        The window ``[start, end)`` (aware).
    tag : str
        The window in the file's name: the day it ends (``20261204``), the month (``202611``)
        or the week (``20261123-20261129``).
    to_date : bool
        A calendar period still running: it ends now, not at the period's end (至今).
    """

    name: str
    start: datetime
    end: datetime
    tag: str
    to_date: bool = False

    def file_name(self, unit_name: str) -> str:
        """Return the name the brief is downloaded as: its kind, its unit and its window.

        Parameters
        ----------
        unit_name : str
            The unit's name.

        Returns
        -------
        str
            ``周研判_华宁县_20261204.xlsx``, ``月总结_华宁县_202611.xlsx`` and the like.
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


def calendar(period: Period, day: date | None, now: datetime) -> BriefWindow:
    """Return the calendar day, week or month holding ``day``, in Beijing time.

    Parameters
    ----------
    period : {'day', 'week', 'month'}
        日汇总 of a day, 周研判 of a week (Monday to Sunday), 月总结 of a month.
    day : date, optional
        Any day of the period; default the period before the current one (yesterday, last
        week, last month): the brief a centre files.
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
    """
    if period not in PERIOD_NAMES:
        raise InvalidInput("简报周期只能是 day（日汇总）、week（周研判）或 month（月总结）")
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
    else:
        some = day or today.replace(day=1) - timedelta(days=1)
        first = some.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        tag = f"{first:%Y%m}"
    start = datetime.combine(first, time(), CHINA)
    end = datetime.combine(after, time(), CHINA)
    running = end > now
    return BriefWindow(PERIOD_NAMES[period], start, min(end, now), tag, to_date=running)


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
    int, float or str
        The cell's value.

    Examples
    --------
    >>> kpi_text("resolved_share", 0.7571), kpi_text("open", 70), kpi_text("overdue_visits", None)
    ('75.7%', 70, '—')
    """
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if name in SHARE_KPIS else value


def workbook(
    feed: dict[str, Any], closed: list[dict[str, Any]], *, window: BriefWindow, now: datetime
) -> bytes:
    """Return the brief as an XLSX workbook.

    Parameters
    ----------
    feed : dict
        The unit's command feed over the window (:func:`layers.command.feed`).
    closed : list of dict
        The unit's alerts closed in the window (:func:`layers.alerts.listed`).
    window : BriefWindow
        The window.
    now : datetime
        When the brief is made (the figures that are not counted over the window stand then).

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    unit = feed["unit"]
    book = Workbook()
    summary = book.active
    summary.title = "概况"
    for key, value in (
        ("辖区", f"{unit['name']}（{unit['code']}）"),
        ("简报", window.name),
        ("统计时段", window.span_text()),
        ("生成时间", f"{now.astimezone(CHINA):%Y-%m-%d %H:%M}"),
        (
            "说明",
            "近期受理、办结率、上报次数、重复反映为统计时段内的数；其余为生成时的现状。"
            "办结率为时段内受理的案件中已办结的比例。",
        ),
    ):
        summary.append([key, value])
    summary.column_dimensions["A"].width = 12
    summary.column_dimensions["B"].width = 70
    for cell in summary["A"]:
        cell.font = Font(bold=True)
    rows = [_kpi_row(unit, "本级合计")] + [_kpi_row(c, c["level_label"]) for c in feed["children"]]
    table_sheet(book, "简报", ["单位", "级别", "区划代码", *KPI_LABELS.values()], rows)
    table_sheet(
        book,
        "风险预警",
        ["状态", "预警", "所在单位", "发出时间", "签收人", "关闭人", "关闭时间", "处置情况"],
        [_alert_row(a) for a in feed["alerts"]] + [_alert_row(a) for a in closed],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _kpi_row(unit: dict[str, Any], level: str) -> list[Any]:
    kpis = unit["kpis"]
    return [unit["name"], level, unit["code"], *(kpi_text(k, kpis[k]) for k in KPI_LABELS)]


def _alert_row(alert: dict[str, Any]) -> list[Any]:
    def moment(value: str | None) -> str:
        if value is None:
            return ""
        return datetime.fromisoformat(value).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")

    return [
        AlertState.label_of(alert["state"]) + ("（热点已消退）" if alert["faded"] else ""),
        alert["title"],
        alert.get("area_name") or alert["area_code"],
        moment(alert["created_at"]),
        alert["acknowledged_by_name"] or "",
        alert["closed_by_name"] or "",
        moment(alert["closed_at"]),
        alert["close_note"] or "",
    ]
