"""A period's trend report: every aggregate of the trends page in one object, and its XLSX.

:func:`report` gathers, for one period of a unit's series, what the exports carry (the HTML map
built by ``web`` and the workbook built here by :func:`workbook`). Scoping and small-count
suppression are those of :mod:`layers.trends` and :mod:`layers.trend_tables`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy.orm import Session

from layers import trend_tables, trends
from layers.trends import BIN_LEGEND, PATTERN_LABELS, Series
from layers.workflow import Actor

SUPPRESSED = f"<{trends.ANALYST_MIN_COUNT}"
"""How a suppressed count is written in the workbook."""


@dataclass(frozen=True)
class Report:
    """Everything a period's report shows.

    Attributes
    ----------
    unit : dict
        The unit (:func:`layers.trends.unit_of`).
    series : Series
        The analysis.
    index : int
        Index of the reported period.
    series_json : dict
        :func:`layers.trends.series_json` of the analysis.
    categories : dict
        :func:`layers.trend_tables.category_counts`.
    coverage : dict
        :func:`layers.trend_tables.uncovered_hotspots` of the period.
    visits : dict
        :func:`layers.trend_tables.overdue_visits`.
    density : Density or None
        The period's kernel density overlay.
    outlines : dict
        Boundaries of the unit and its children (GeoJSON).
    generated_at : datetime
        When the report was made.
    min_count : int
        Smallest count shown.
    """

    unit: dict[str, Any]
    series: Series
    index: int
    series_json: dict[str, Any]
    categories: dict[str, Any]
    coverage: dict[str, Any]
    visits: dict[str, Any]
    density: trend_tables.Density | None
    outlines: dict[str, Any]
    generated_at: datetime
    min_count: int

    @property
    def period(self) -> trends.Period:
        """Return the reported period."""
        return self.series.periods[self.index]


def report(
    session: Session,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    granularity: str = "month",
    periods: int = 24,
    period: str | None = None,
) -> Report:
    """Gather the report of one period of unit ``code``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the actor.
    code : str
        12-digit jurisdiction code inside the actor's scope.
    actor : Actor
        Who asks (scope, suppression).
    now : datetime
        Reference instant.
    granularity : {"month", "quarter"}
        Period length.
    periods : int
        Length of the series.
    period : str, optional
        Key of the reported period; the latest when omitted.

    Returns
    -------
    Report
        The aggregates.

    Raises
    ------
    NotFound
        Unit outside the actor's scope.
    InvalidInput
        Bad granularity, length or period key.
    """
    unit = trends.unit_of(session, code, actor=actor)
    result = trends.series(
        session, code, actor=actor, now=now, granularity=granularity, periods=periods
    )
    t = result.period_index(period)
    min_count = trends.min_count_for(actor)
    return Report(
        unit=unit,
        series=result,
        index=t,
        series_json=trends.series_json(result, min_count=min_count),
        categories=trend_tables.category_counts(session, code, result.periods, min_count=min_count),
        coverage=trend_tables.uncovered_hotspots(session, result, t, min_count=min_count),
        visits=trend_tables.overdue_visits(session, code, now=now, min_count=min_count),
        density=trend_tables.density(session, result, t),
        outlines=trends.outlines(session, code, actor=actor),
        generated_at=now,
        min_count=min_count,
    )


def _shown(value: int | None) -> int | str:
    return SUPPRESSED if value is None else value


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        sheet.append(row)
    for i, name in enumerate(header):
        width = max([len(str(name)) * 2] + [len(str(r[i])) + 2 for r in rows[:200]])
        sheet.column_dimensions[sheet.cell(1, i + 1).column_letter].width = min(40, width + 2)
    sheet.freeze_panes = "A2"


def workbook(rep: Report) -> bytes:
    """Return the report as an XLSX workbook (one sheet per table, headers in Chinese).

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    book = Workbook()
    summary = book.active
    summary.title = "概况"
    p = rep.period
    t = rep.index
    info = rep.series_json["periods"][t]
    for key, value in (
        ("辖区", f"{rep.unit['name']}（{rep.unit['code']}）"),
        ("统计期", f"{p.label}（{info['start']} 至 {info['end']}）"),
        ("案件数", _shown(info["cases"])),
        ("热点单元（95%置信以上）", info["hot"]),
        ("冷点单元（95%置信以上）", info["cold"]),
        ("无摄像机覆盖的热点", len(rep.coverage["uncovered"])),
        ("走访逾期人数", _shown(rep.visits["overdue"])),
        ("分析单元", f"H3 第{rep.series.resolution}级六边形"),
        ("生成时间", rep.generated_at.astimezone(trends.CENTRE_TZ).strftime("%Y-%m-%d %H:%M")),
        (
            "说明",
            f"小于{rep.min_count}的计数不予显示（记为{SUPPRESSED}）" if rep.min_count > 1 else "",
        ),
    ):
        summary.append([key, value])
    summary.column_dimensions["A"].width = 26
    summary.column_dimensions["B"].width = 48
    for cell in summary["A"]:
        cell.font = Font(bold=True)
    bins = {b: label for b, (label, _) in BIN_LEGEND.items()}
    shown_cells = sorted(
        (c for c in rep.series_json["cells"] if c["bins"][t] != 0 or c["pattern"] != "no_pattern"),
        key=lambda c: (-c["bins"][t], c["pattern"] == "no_pattern", c["id"]),
    )
    hot_rows = [
        [
            c["id"],
            c["area_name"],
            _shown(c["counts"][t]),
            bins.get(c["bins"][t], "不显著"),
            PATTERN_LABELS[c["pattern"]],
        ]
        for c in shown_cells
    ]
    _sheet(
        book,
        "热点单元",
        ["H3单元", "所属辖区", "本期案件数", "本期Gi*热点", "新兴热点模式"],
        hot_rows,
    )
    cats = rep.categories
    _sheet(
        book,
        "分类月度统计",
        ["统计期"] + [c["label"] for c in cats["categories"]],
        [
            [period.label] + [_shown(c["counts"][i]) for c in cats["categories"]]
            for i, period in enumerate(rep.series.periods)
        ],
    )
    _sheet(
        book,
        "无覆盖热点",
        ["H3单元", "所属辖区", "本期案件数", "置信度", "新兴热点模式", "覆盖比例"],
        [
            [
                c["id"],
                c["area_name"],
                _shown(c["count"]),
                bins.get(c["bin"], ""),
                c["pattern_label"],
                c["share"],
            ]
            for c in rep.coverage["uncovered"]
        ],
    )
    _sheet(
        book,
        "走访逾期",
        ["网格", "所属村（社区）", "列管人数", "逾期人数", "逾期比例"],
        [
            [
                g["grid_name"],
                g["area_name"],
                _shown(g["persons"]),
                _shown(g["overdue"]),
                g["share"] if g["share"] is not None else "",
            ]
            for g in rep.visits["grids"]
        ],
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
