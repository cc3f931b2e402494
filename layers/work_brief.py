"""The command view's figures over a day, a week or a month as a workbook: 日汇总、周研判、月总结.

A centre reports its work daily, weekly and monthly. :func:`workbook` lays out what the command
feed (:func:`layers.command.feed`) computed over a window of ``days`` ending now: the unit's
KPIs and each child unit's on one sheet (简报, in the order and the words of the console's
cards: 近期受理, 办结率, 上报次数 and 重复反映 count over the window, the others are as they stand
now), and its risk alerts on another (风险预警): those not closed yet, then those closed in the
window with who closed them and what was done. Persons are counted as the feed counts them for
the reader (analysts' small counts withheld).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from layers.command import KPI_LABELS, SHARE_KPIS
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


def file_name(days: int, unit_name: str, now: datetime) -> str:
    """Return the name a brief is downloaded as: its kind, its unit and its day in China.

    Parameters
    ----------
    days : int
        The window.
    unit_name : str
        The unit's name.
    now : datetime
        When the window ends.

    Returns
    -------
    str
        ``周研判_华宁县_20261204.xlsx`` and the like.
    """
    return f"{brief_name(days)}_{unit_name}_{now.astimezone(CHINA):%Y%m%d}.xlsx"


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
    feed: dict[str, Any], closed: list[dict[str, Any]], *, days: int, now: datetime
) -> bytes:
    """Return the brief as an XLSX workbook.

    Parameters
    ----------
    feed : dict
        The unit's command feed over ``days`` (:func:`layers.command.feed`).
    closed : list of dict
        The unit's alerts closed in the window (:func:`layers.alerts.listed`).
    days : int
        The window.
    now : datetime
        When the window ends (the brief's time).

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    unit = feed["unit"]
    local = now.astimezone(CHINA)
    first = local - timedelta(days=days)
    book = Workbook()
    summary = book.active
    summary.title = "概况"
    for key, value in (
        ("辖区", f"{unit['name']}（{unit['code']}）"),
        ("简报", brief_name(days)),
        ("统计时段", f"{first:%Y-%m-%d %H:%M} 至 {local:%Y-%m-%d %H:%M}"),
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
