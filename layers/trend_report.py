"""A period's trend report: every aggregate of the trends page in one object, and its XLSX.

:func:`report` gathers, for one period of a unit's series (its window, its source filter), what
the exports carry (the HTML map built by ``web`` and the workbook built here by
:func:`workbook`). Scoping and small-count suppression are those of :mod:`layers.trends` and
:mod:`layers.trend_tables`: case counts are exact, counts per map cell and of persons are
suppressed for analysts, and the summary says so. The 案件数 of the summary is every case of
the period; the summary says how many of them have a location (the hot spots' cases) and how
many have none. Beside the categories by period, the workbook has the children by period
(:func:`layers.trend_tables.child_counts`), both with a 合计 row and column, and each
village's last months against as many before (变化对比,
:func:`layers.trend_tables.village_changes`), and each 承办部门's figures period by period and
over the window (部门办理情况, :func:`layers.department_figures.figures`: the 部门考核 dialog's
and the brief's figures, a month of theirs is a month's row here). No count includes
the repeats (重复反映, cases marked as the duplicate of an earlier one), which the command view's
briefs count: the summary's 说明 says so.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from geo.codes import division_level
from layers import department_figures, trend_tables, trends, visit_history
from layers.china_time import CHINA
from layers.command import counties_held, held_counties_note
from layers.trends import BIN_LEGEND, NOT_JUDGED, PATTERN_LABELS, Series, pattern_label
from layers.workbooks import Percent, PercentChange, print_setup, table_sheet
from layers.workflow import Actor

SUPPRESSED = f"<{trends.ANALYST_MIN_COUNT}"
"""How a suppressed count is written in the workbook."""
HOT_AND_PATTERN_SHEET = "热点及模式单元"
"""The workbook's sheet of the hot cells and of those with an emerging pattern only."""
REPEATS_SHEET = "重复反映"
"""The workbook's sheet of repeat reports by place, kind and period (:func:`_repeats_sheet`)."""
REPEATS_NOTE = (
    "重复反映为登记为重复前案的案件（同一事项再次反映），按反映地点的村（社区）、事项类型和统计期"
    "计数；其余各表每件事项只计一次，不含重复反映"
)
"""Said under the 重复反映 sheet, and on the page where to find it."""
HIDDEN = "*"
"""How a total of the overdue visits not given is written (:func:`layers.trend_tables.shown_totals`:
it would tell what the grids not listed add up to)."""
HIDDEN_NOTE = (
    f"{HIDDEN} 为不予显示的合计：合计小于{trends.ANALYST_MIN_COUNT}，"
    + "或由它减去已显示的数即可推算出人数较少的单位或未列出网格的人数"
    + "（互补隐藏，保护小数；数字本身不一定小）"
)
"""Said under a table of overdue visits that leaves a total out."""
VISITS_AS_OF = "走访逾期人数（截至报告生成时）"
"""The overdue visits stand when the report is made, not at the end of the period shown."""


def units_text(visits: dict[str, Any]) -> str:
    """Return the 走访逾期 of the units directly inside the report's, as one line (or ``""``).

    The same totals as the 月总结's 简报 (trial AT M3), withheld ones as :data:`HIDDEN`.

    Examples
    --------
    >>> units_text({"units": [{"name": "宁州街道", "overdue": 251},
    ...                       {"name": "通红甸乡", "overdue": None}]})
    '宁州街道 251 人；通红甸乡 *'
    >>> units_text({"units": []}), units_text({"withheld": True, "units": [{"name": "a"}]})
    ('', '')
    """
    if visits.get("withheld"):
        return ""
    return "；".join(
        f"{u['name']} {u['overdue']} 人" if u["overdue"] is not None else f"{u['name']} {HIDDEN}"
        for u in visits.get("units") or []
    )


VISITS_WHEN = "走访逾期为报告生成时的情况，与所选统计期无关"
"""Said under every table of overdue visits."""
VISITS_NOTE = f"注：{VISITS_WHEN}；合计的列管人数含无人逾期的网格。"
"""Under the workbook's 走访逾期: when its counts stand, why 合计's persons exceed the rows'."""


def unlisted_note(visits: dict[str, Any]) -> str:
    """Return what a table of overdue visits says of the grids it does not list (or nothing).

    Examples
    --------
    >>> unlisted_note({"listed_from": 3})
    '逾期不足3人的网格不列出，也不计入网格数'
    >>> unlisted_note({"listed_from": 1})
    ''
    """
    floor = int(visits.get("listed_from") or 1)
    return f"逾期不足{floor}人的网格不列出，也不计入网格数" if floor > 1 else ""


def visits_empty(visits: dict[str, Any]) -> str:
    """Return what a table of overdue visits without a grid says.

    Examples
    --------
    >>> visits_empty({"listed_from": 3}), visits_empty({"listed_from": 1})
    ('没有逾期不少于3人的网格', '无走访逾期')
    >>> visits_empty({"withheld": True})
    '不显示'
    """
    if visits.get("withheld"):
        return "不显示"
    floor = int(visits.get("listed_from") or 1)
    return f"没有逾期不少于{floor}人的网格" if floor > 1 else "无走访逾期"


NO_REPEATS = "不含重复反映"
"""What the trend views leave out of their case counts (cases marked ``duplicate_of``)."""
NO_REPEATS_NOTE = "案件数不含重复反映（同一事项再次反映的案件）"
"""The remark saying so: the command view's briefs (近期受理) count the repeats."""


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
    children : dict
        :func:`layers.trend_tables.child_counts`.
    coverage : dict
        :func:`layers.trend_tables.uncovered_hotspots` of the period.
    visits : dict
        :func:`layers.trend_tables.overdue_visits`.
    density : Density or None
        The period's kernel density overlay.
    outlines : dict
        Boundaries of the unit and its children (GeoJSON).
    counties : list of dict
        The counties a province's or city's figures cover (:func:`layers.command.counties_held`).
    generated_at : datetime
        When the report was made.
    min_count : int
        Smallest special-population count shown (:func:`layers.trends.min_count_for`).
    cell_min_count : int
        Smallest case count of a map cell shown (:func:`layers.trends.min_count_for` with
        ``of="cases"``: 1 for a city's commander, who may list the cell's cases, as on the
        command map; 3 for an analyst).
    history_note : str
        What the report says of the window's periods before the unit's first case.
    changes : dict
        Each village's recent months against as many before
        (:func:`layers.trend_tables.village_changes`; empty when not asked for).
    departments : list of DepartmentRow
        Each 承办部门's figures over the window, the most received first: the sums of
        ``department_periods``, each dispatch counted in the period it was received in.
    department_periods : list of list of DepartmentRow
        Each period's (:func:`layers.department_figures.figures_by_period`), in the order
        of the series' periods.
    """

    unit: dict[str, Any]
    series: Series
    index: int
    series_json: dict[str, Any]
    categories: dict[str, Any]
    children: dict[str, Any]
    coverage: dict[str, Any]
    visits: dict[str, Any]
    density: trend_tables.Density | None
    outlines: dict[str, Any]
    counties: list[dict[str, str]]
    generated_at: datetime
    min_count: int
    cell_min_count: int
    history_note: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    repeats: list[dict[str, Any]] = field(default_factory=list)
    visit_history: dict[str, Any] = field(default_factory=dict)
    departments: list[department_figures.DepartmentRow] = field(default_factory=list)
    department_periods: list[list[department_figures.DepartmentRow]] = field(default_factory=list)

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
    end: str | None = None,
    case_filter: trends.CaseFilter = trends.ALL_CASES,
    change_months: int = 6,
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
        Key of the reported period; the last of the window when omitted.
    end : str, optional
        The last period of the window (:func:`layers.trends.window`).
    case_filter : layers.trends.CaseFilter
        Which cases count (channels, origin).
    change_months : int
        The months of the villages' change (变化对比), ending at the window's last month
        (:func:`layers.trend_tables.change_periods`).

    Returns
    -------
    Report
        The aggregates.

    Raises
    ------
    NotFound
        Unit outside the actor's scope.
    InvalidInput
        Bad granularity, length, end or period key, or an unknown filter.
    """
    result = trends.series(
        session,
        code,
        actor=actor,
        now=now,
        granularity=granularity,
        periods=periods,
        end=end,
        case_filter=case_filter,
    )
    unit = trends.unit_of(
        session, code, actor=actor, periods=result.periods, case_filter=case_filter
    )
    t = result.period_index(period)
    min_count = trends.min_count_for(actor)
    cell_min_count = trends.min_count_for(actor, of="cases")
    # the departments' dispatches period by period, as the 部门考核 dialog counts a month
    # (calendar periods, each ending where the next begins)
    bounds = [p.start for p in result.periods] + [result.periods[-1].end]
    by_period = department_figures.figures_by_period(
        session, code, actor=actor, bounds=bounds, now=now
    )
    return Report(
        unit=unit,
        series=result,
        index=t,
        series_json=trends.series_json(result, min_count=cell_min_count),
        categories=trend_tables.category_counts(
            session, code, result.periods, case_filter=case_filter
        ),
        children=trend_tables.child_counts(session, code, result.periods, case_filter=case_filter),
        coverage=trend_tables.uncovered_hotspots(session, result, t, min_count=cell_min_count),
        visits=(
            trend_tables.overdue_visits(session, code, now=now, min_count=min_count, limit=None)
            if trends.counts_persons(actor)
            else trend_tables.WITHHELD_VISITS
        ),
        density=trend_tables.density(session, result, t),
        outlines=trends.outlines(session, code, actor=actor),
        counties=counties_held(session, code, division_level(code)),
        generated_at=now,
        min_count=min_count,
        cell_min_count=cell_min_count,
        history_note=history_note(
            result.periods, trends.history_start(session, code, actor=actor), granularity
        ),
        changes=trend_tables.village_changes(
            session,
            code,
            # ending with the period reported, as the page's follows its time slider (trial AT m6)
            trend_tables.change_periods(now, change_months, result.periods[t].key),
            min_count=cell_min_count,
            case_filter=case_filter,
        ),
        repeats=trend_tables.repeat_reports(
            session, code, result.periods, min_count=cell_min_count, case_filter=case_filter
        ),
        visit_history=(
            visit_history.visit_series(session, code, result.periods, min_count=min_count)
            if trends.counts_persons(actor)
            else {}
        ),
        departments=window_departments(by_period),
        department_periods=by_period,
    )


def window_departments(
    by_period: list[list[department_figures.DepartmentRow]],
) -> list[department_figures.DepartmentRow]:
    """Return each department's figures over the window: its periods' figures summed.

    Every figure counts dispatches by the period they were received in, whatever became of
    them later, so a dispatch counts in one period and the sums are the window's figures.

    Parameters
    ----------
    by_period : list of list of DepartmentRow
        Each period's rows (:func:`layers.department_figures.figures`).

    Returns
    -------
    list of DepartmentRow
        One row per department and county, the most received first (as
        :func:`layers.department_figures.figures` orders them).

    Examples
    --------
    >>> from layers.department_figures import DepartmentRow
    >>> a = DepartmentRow("县住建局", "530424", "华宁县", 2, *([1] * 11))
    >>> b = DepartmentRow("县人社局", "530424", "华宁县", 3, *([0] * 11))
    >>> [(r.department, r.received, r.accepted) for r in window_departments([[a], [a, b], []])]
    [('县住建局', 4, 2), ('县人社局', 3, 0)]
    """
    groups: dict[tuple[str, str], list[department_figures.DepartmentRow]] = {}
    for rows in by_period:
        for row in rows:
            groups.setdefault((row.department, row.county), []).append(row)
    summed = [
        replace(
            department_figures.total(rows),
            department=department,
            county=county,
            county_name=rows[0].county_name,
        )
        for (department, county), rows in groups.items()
    ]
    return sorted(summed, key=lambda r: (-r.received, r.county, r.department))


def history_note(
    periods: tuple[trends.Period, ...], earliest: datetime | None, granularity: str
) -> str:
    """Return what the report says of the window's periods before the unit's first case.

    The page warns of them; the exports showed them as zeros with no word (trial AF).

    Parameters
    ----------
    periods : tuple of Period
        The window.
    earliest : datetime or None
        When the unit's earliest case was reported (:func:`layers.trends.history_start`).
    granularity : str
        ``month`` or ``quarter``.

    Returns
    -------
    str
        ``本辖区案件记录始于 2025年1月，此前 2 期无数据（记为 0）``, or empty.
    """
    if earliest is None:
        return ""
    first = trends.period_key(earliest, granularity)
    empty = sum(p.key < first for p in periods)
    if not empty:
        return ""
    label = next((p.label for p in periods if p.key == first), first)
    return f"本辖区案件记录始于 {label}，此前 {empty} 期无数据（记为 0）"


def _shown(value: int | None) -> int | str:
    return SUPPRESSED if value is None else value


def hidden(value: int | None) -> int | str:
    """Return a figure of the overdue visits as written, :data:`HIDDEN` when blanked.

    Examples
    --------
    >>> hidden(None), hidden(7)
    ('*', 7)
    """
    return HIDDEN if value is None else value


def visits_hidden(visits: dict[str, Any]) -> bool:
    """Return whether the overdue visits leave a total out (so that :data:`HIDDEN_NOTE` is said)."""
    figures = [visits["total"], visits["overdue"]]
    figures += [g[key] for g in visits["grids"] for key in ("persons", "overdue")]
    figures += [u["overdue"] for u in visits.get("units") or []]
    return not visits.get("withheld") and any(f is None for f in figures)


def suppression_note(min_count: int, cell_min_count: int | None = None) -> str:
    """Return what a view says of the counts it suppresses (empty when none are).

    Parameters
    ----------
    min_count : int
        Smallest special-population count shown (:func:`layers.trends.min_count_for`); 1 where
        the report gives no person at all (a department's).
    cell_min_count : int, optional
        Smallest case count of a map cell shown (:func:`layers.trends.min_count_for` with
        ``of="cases"``); ``min_count`` when not given.

    Returns
    -------
    str
        The sentence.

    Examples
    --------
    >>> suppression_note(1)
    ''
    >>> suppression_note(3)
    '案件数按实数显示；地图六边形单元的案件数和特殊人群人数小于3的不予显示（记为<3），走访逾期表只列出逾期不少于3人的网格，合计小于3或可据以推算未列出网格的人数时不予显示（记为*）'
    >>> suppression_note(3, 1)
    '案件数（含地图六边形单元的案件数）按实数显示；走访逾期表只列出逾期不少于3人的网格，合计小于3或可据以推算未列出网格的人数时不予显示（记为*）'
    """
    cells = min_count if cell_min_count is None else cell_min_count
    visits = (
        f"走访逾期表只列出逾期不少于{min_count}人的网格，"
        f"合计小于{min_count}或可据以推算未列出网格的人数时不予显示（记为{HIDDEN}）"
    )
    if cells > 1 and min_count > 1:
        return (
            f"案件数按实数显示；地图六边形单元的案件数和特殊人群人数小于{min_count}的"
            f"不予显示（记为{SUPPRESSED}），{visits}"
        )
    if cells > 1:
        return f"案件数按实数显示；地图六边形单元的案件数小于{cells}的不予显示（记为{SUPPRESSED}）"
    if min_count > 1:
        return f"案件数（含地图六边形单元的案件数）按实数显示；{visits}"
    return ""


def notes(rep: Report) -> str:
    """Return the report's remarks: repeats left out, cases without a location, suppressed counts.

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    str
        The remarks joined with ``；``; the first says that the case counts leave the repeats
        (重复反映) out, as every count of the trend views does, where the briefs count them;
        then the period's (too few to judge, without a location), the window's emerging
        patterns not told or the periods they left out, the counts suppressed.
    """
    info = rep.series_json["periods"][rep.index]
    patterns = rep.series_json["patterns_note"] or rep.series_json["patterns_from_note"]
    told = (NO_REPEATS_NOTE, rep.history_note, info["note"], patterns)
    persons = 1 if rep.visits.get("withheld") else rep.min_count  # none given, none withheld
    suppressed = suppression_note(persons, rep.cell_min_count)
    return "；".join(n for n in (*told, suppressed) if n)


def uncovered_empty(rep: Report) -> str:
    """Return what the table of hot spots without a camera says when it lists none.

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    str
        本期不作热点判断 (too few cases), 本期无热点, or 本期热点均有摄像机覆盖.
    """
    info = rep.series_json["periods"][rep.index]
    if not info["judged"]:
        return "本期不作热点判断"
    if not info["hot"]:
        return "本期无热点"
    return "本期有案件的热点单元均有摄像机覆盖" + neighbour_only_note(rep.coverage)


def patterns_by_place(rep: Report) -> tuple[list[str], list[list[Any]]]:
    """Return the headers and rows of where hot spots emerge, intensify or fade, by place.

    Each place (the unit a cell lies in) with its cells of each emerging class over the whole
    window, the places with the most rising cells (新增, 加剧, 连续, 零星, 振荡热点) first
    (trial AF: the places were found by hovering over the map's cells one by one); above a
    township, the township of each village first (trial AG: 77 villages, no township said).

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    tuple of (list of str, list of list)
        Headers (乡镇（街道） when some place is a village of a township of the unit, 所属辖区,
        then the classes present), and one row per place.
    """
    if not rep.series_json["patterns_judged"]:
        return ["所属辖区", "说明"], [["—", rep.series_json["patterns_note"] or NOT_JUDGED]]
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for cell in rep.series_json["cells"]:
        if cell["pattern"] != "no_pattern":
            key = (cell["township_name"], cell["area_name"] or "—")
            place = counts.setdefault(key, {})
            place[cell["pattern"]] = place.get(cell["pattern"], 0) + 1
    classes = [c for c in PATTERN_LABELS if any(c in p for p in counts.values())]
    townships = any(township for township, _ in counts)

    def rising(place: dict[str, int]) -> int:
        return sum(place.get(c, 0) for c in RISING)

    places = sorted(counts.items(), key=lambda item: (-rising(item[1]), item[0]))
    return (
        [
            *(["乡镇（街道）"] if townships else []),
            "所属辖区",
            *(PATTERN_LABELS[c] for c in classes),
        ],
        [
            [*([township or "—"] if townships else []), name, *(place.get(c, 0) for c in classes)]
            for (township, name), place in places
        ],
    )


RISING = ("new_hot", "intensifying_hot", "consecutive_hot", "sporadic_hot", "oscillating_hot")
"""The classes of hot spots that grow or come back, which order :func:`patterns_by_place`."""

NEIGHBOUR_ONLY = "另有 {n} 个无覆盖的热点单元本期本格无案件（因相邻单元案件集中而显著），未列入"
"""Said of the uncovered hot cells without a case of their own (:func:`neighbour_only_note`)."""


def neighbour_only_note(coverage: dict[str, Any]) -> str:
    """Return the note on the uncovered hot cells left out of the list, with its separator.

    Examples
    --------
    >>> neighbour_only_note({"neighbour_only": 0}), neighbour_only_note({"neighbour_only": 28})[:8]
    ('', '；另有 28 个')
    """
    n = int(coverage.get("neighbour_only") or 0)
    return f"；{NEIGHBOUR_ONLY.format(n=n)}" if n else ""


def unit_title(rep: Report) -> str:
    """Return the unit as the report names it: name, code and, when retired, 已撤销.

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    str
        E.g. ``华溪镇（530424102000）`` or ``黄坝村（530424102203，已撤销）``.
    """
    unit = rep.unit
    return f"{unit['name']}（{unit['code']}{'，已撤销' if unit['retired_on'] else ''}）"


def category_table(rep: Report) -> tuple[list[str], list[list[Any]]]:
    """Return the categories by period with a 合计 column and row: header and rows.

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    tuple of (list of str, list of list)
        ``统计期``, the categories and ``合计``; one row per period and the 合计 row.
    """
    cats = rep.categories
    header = ["统计期"] + [c["label"] for c in cats["categories"]] + ["合计"]
    rows = [
        [period.label] + [c["counts"][i] for c in cats["categories"]] + [cats["totals"][i]]
        for i, period in enumerate(rep.series.periods)
    ]
    rows.append(["合计"] + [c["total"] for c in cats["categories"]] + [cats["total"]])
    return header, rows


def _kind(rep: Report) -> str:
    return "季度" if "Q" in rep.period.key else "月度"


def dispute_type_table(rep: Report) -> tuple[str, list[str], list[list[Any]]] | None:
    """Return the disputes by type and period with a 合计 column and row: title, header, rows.

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    tuple of (str, list of str, list of list) or None
        ``纠纷类型月度统计`` (``季度`` for quarters); ``统计期``, the types found in the window
        (most disputes first, 未注明类型 last), ``合计``; one row per period and the 合计 row.
        None when the window holds no dispute.
    """
    subs = rep.categories["subcategories"]
    found = sorted(
        (s for s in subs if any(s["counts"])),
        key=lambda s: (s["code"] == trend_tables.UNTYPED, -sum(s["counts"]), s["code"]),
    )
    if not found:
        return None
    header = ["统计期"] + [s["label"] for s in found] + ["合计"]
    rows = [
        [period.label] + [s["counts"][i] for s in found] + [sum(s["counts"][i] for s in found)]
        for i, period in enumerate(rep.series.periods)
    ]
    rows.append(
        ["合计"] + [sum(s["counts"]) for s in found] + [sum(sum(s["counts"]) for s in found)]
    )
    return f"纠纷类型{_kind(rep)}统计", header, rows


def children_table(rep: Report) -> tuple[str, list[str], list[list[Any]]] | None:
    """Return the children by period with a 合计 column and row: title, header and rows.

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    tuple of (str, list of str, list of list) or None
        E.g. ``村（社区）月度统计``; the child's label (marked 已撤销 for a retired one) and
        code, one column per period and ``合计``; the 合计 row last. None for a village.
    """
    table = rep.children
    if table["child_label"] is None:
        return None
    header = [table["child_label"], "区划代码"] + [p.label for p in rep.series.periods] + ["合计"]
    rows = [[r["label"], r["code"], *r["counts"], r["total"]] for r in table["rows"]]
    rows.append(["合计", "", *table["totals"], table["total"]])
    return f"{table['child_label']}{_kind(rep)}统计", header, rows


CELL_ID_HEADER = "六边形单元编号"
"""The header of a hot cell's id (an H3 index: 8840625a01fffff), the last column of its sheets
(trial AO m4: headed 「H3单元」, it was the first and only way to tell the cells apart)."""
CENTRE_HEADER = "中心经纬度（经度, 纬度）"
"""The header of a cell's centre, in the CRS of the platform (CGCS2000)."""


def cell_place(result: Series, area: str) -> tuple[str, str]:
    """Return the village (社区/村) and township a cell's centre lies in (``—`` for none).

    Parameters
    ----------
    result : Series
        The analysis (:attr:`layers.trends.Series.area_names`).
    area : str
        The cell's unit (:attr:`layers.trends.Series.areas`).

    Returns
    -------
    tuple of (str, str)
        The village's name and the township's.
    """
    names = result.area_names
    level = division_level(area)
    village = names.get(area, "—") if level == 5 else "—"
    township = names.get(area[:9] + "000", "—") if level >= 4 else "—"
    return village or "—", township or "—"


def cell_centre(cell: str) -> str:
    """Return a cell's centre as ``经度, 纬度`` (five decimals, about a metre).

    Examples
    --------
    >>> cell_centre("8840625a01fffff")
    '102.96233, 24.08327'
    """
    import h3

    lat, lng = h3.cell_to_latlng(cell)
    return f"{lng:.5f}, {lat:.5f}"


def changes_table(changes: dict[str, Any]) -> tuple[str, list[str], list[list[Any]]]:
    """Return the villages' recent months against as many before: title, header and rows.

    Parameters
    ----------
    changes : dict
        :func:`layers.trend_tables.village_changes`.

    Returns
    -------
    tuple of (str, list of str, list of list)
        ``变化对比（近6个月）``, the headers (乡镇（街道） where the villages lie in several
        townships, 村（社区）, the two halves' counts, the change in 件 and %, the types that
        rose most) and one row per village, the largest rise first, then 合计.
    """
    months = changes["months"]
    rows = changes["rows"]
    townships = len({r["township_name"] for r in rows}) > 1
    header = [
        *(["乡镇（街道）"] if townships else []),
        "村（社区）",
        f"近{months}个月案件数（{changes['recent']['label']}）",
        f"前{months}个月案件数（{changes['earlier']['label']}）",
        "变化（件）",
        "变化（%）",
        "上升最多的案件类型",
    ]
    out = [
        [
            *([r["township_name"] or "—"] if townships else []),
            r["label"],
            r["recent"],
            r["earlier"],
            r["change"],
            _pct(r["change_pct"], r.get("small_base", False)),
            rising_text(r["rising"], changes["min_count"]),
        ]
        for r in rows
    ]
    if rows:
        totals = changes["totals"]
        out.append(
            [
                *([""] if townships else []),
                "合计",
                totals["recent"],
                totals["earlier"],
                totals["change"],
                _pct(totals["change_pct"], totals.get("small_base", False)),
                "",
            ]
        )
    return f"变化对比（近{months}个月）", header, out


def changes_note(changes: dict[str, Any]) -> str:
    """Return what the villages' change says of its counts (under its table).

    Examples
    --------
    >>> changes_note({"months": 6, "min_count": 3})
    '近6个月与其前6个月相比，按上升件数排列，不含重复反映；两段时间均不足5件的只比件数，不算变化率（基数小，仅供参考）；村（社区）的案件数按实数显示，某类案件数小于3的不予显示（记为<3）'
    """
    months, floor = changes["months"], changes["min_count"]
    recent, earlier = changes.get("recent"), changes.get("earlier")
    which = (
        f"（{recent['label']}，对比{earlier['label']}；截至所选统计期）"
        if isinstance(recent, dict) and isinstance(earlier, dict)
        else ""
    )
    said = f"近{months}个月{which}与其前{months}个月相比，按上升件数排列，不含重复反映"
    said += (
        f"；两段时间均不足{trend_tables.SMALL_BASE}件的只比件数，不算变化率"
        f"（{trend_tables.SMALL_BASE_NOTE}）"
    )
    if floor > 1:
        said += f"；村（社区）的案件数按实数显示，某类案件数小于{floor}的不予显示（记为<{floor}）"
    return said


def _pct(value: float | None, small: bool = False) -> PercentChange | str:
    if small:  # both halves under SMALL_BASE: counts only (trial AY M4)
        return trend_tables.SMALL_BASE_NOTE
    return "前期无案件" if value is None else PercentChange(value / 100)


def case_change_text(rep: Report) -> str:
    """Return the 环比 and 同比 of the reported period's cases, as the page's KPI gives them.

    Against the period before and the same period a year before, as far as the window holds
    them (:func:`layers.trend_tables.case_changes`); on a small base the change in cases,
    marked :data:`layers.trend_tables.SMALL_BASE_NOTE` (trial AY M2: the report of 2026Q3 had
    neither, the page 「环比 −4% · 同比 +15%」).

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    str
        E.g. ``环比 −4%（上期 2026年第2季度 484 件）；同比 +15%（上年同期 2025年第3季度 403 件）``;
        empty when the window holds neither.
    """
    granularity = "quarter" if "Q" in rep.period.key else "month"
    found = trend_tables.case_changes([int(n) for n in rep.series.totals], granularity)
    periods = rep.series.periods
    return "；".join(change_text(c, periods[c["index"]].label) for c in found[rep.index])


def change_text(change: dict[str, Any], label: str) -> str:
    """Return one 环比 or 同比 (:func:`layers.trend_tables.case_changes`) as a sentence.

    Examples
    --------
    >>> c = {"kind": "环比", "column": "上期", "before": 484, "change": -19,
    ...      "change_pct": -3.9, "small_base": False}
    >>> change_text(c, "2026年第2季度")
    '环比 −4%（上期 2026年第2季度 484 件）'
    >>> change_text({**c, "before": 1, "change": -1, "change_pct": None, "small_base": True}, "5月")
    '环比 −1 件（上期 5月 1 件；基数小，仅供参考）'
    >>> change_text({**c, "before": 0, "change": 6, "change_pct": None}, "5月")
    '环比 —（上期 5月 0 件）'
    >>> change_text({**c, "before": 77, "change": 25, "change_pct": 32.5}, "5月")  # 32.47%
    '环比 +32%（上期 5月 77 件）'
    >>> change_text({**c, "before": 8, "change": -1, "change_pct": -12.5}, "5月")  # halves up
    '环比 −12%（上期 5月 8 件）'
    """
    before = f"{change['column']} {label} {change['before']} 件"
    kind = change["kind"]
    if change["small_base"]:
        return f"{kind} {_signed(change['change'])} 件（{before}；{trend_tables.SMALL_BASE_NOTE}）"
    if change["change_pct"] is None:
        return f"{kind} —（{before}）"
    # whole percent, halves up as the page's Math.round, from the counts: change_pct is already
    # rounded to 0.1, and rounding it again gives 33% for 32.47%
    whole = (200 * change["change"] + change["before"]) // (2 * change["before"])
    return f"{kind} {_signed(whole)}%（{before}）"


def _signed(n: int) -> str:
    """Write a change as the page does: +3, −4 (a minus sign), ±0."""
    return f"+{n}" if n > 0 else f"−{-n}" if n < 0 else "±0"


def rising_text(rising: list[dict[str, Any]], min_count: int) -> str:
    """Return a village's rising case types as text: ``邻里纠纷 5（前期 1）；…``.

    Examples
    --------
    >>> rising_text([{"label": "邻里纠纷", "recent": 5, "earlier": None}], 3)
    '邻里纠纷 5（前期 <3）'
    >>> rising_text([], 1)
    '—'
    """
    if not rising:
        return "—"

    def shown(n: int | None) -> str:
        return f"<{min_count}" if n is None else str(n)

    return "；".join(
        f"{k['label']} {shown(k['recent'])}（前期 {shown(k['earlier'])}）" for k in rising
    )


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
        ("辖区", unit_title(rep)),
        ("辖区状态", rep.unit["notice"] or "在用"),
        *([("接入范围", held_counties_note(rep.counties, "本报告"))] if rep.counties else []),
        ("统计时段", trends.window_label(rep.series.periods)),
        ("统计期", f"{p.label}（{info['start']} 至 {info['end']}）"),
        ("案件范围", rep.series.case_filter.label),
        ("案件数", info["cases"]),
        ("案件数环比、同比", case_change_text(rep) or "统计时段内无可比的上期"),
        ("其中有位置（参与热点分析）", info["located"]),
        ("热点单元（95%置信以上）", info["hot"] if info["judged"] else "不作判断"),
        ("冷点单元（95%置信以上）", info["cold"] if info["judged"] else "不作判断"),
        ("无摄像机覆盖的热点（本格有案件）", len(rep.coverage["uncovered"])),
        ("无覆盖、本格无案件的热点单元（因相邻单元显著）", rep.coverage.get("neighbour_only", 0)),
        (
            VISITS_AS_OF,
            "不显示" if rep.visits.get("withheld") else hidden(rep.visits["overdue"]),
        ),
        *(
            [
                (
                    f"各{rep.visits.get('units_label') or '下级单位'}走访逾期人数",
                    units_text(rep.visits),
                )
            ]
            if units_text(rep.visits)
            else []
        ),
        ("分析单元", trends.cell_size_label(rep.series.resolution)),
        ("生成时间", rep.generated_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")),
        ("说明", notes(rep)),
    ):
        summary.append([key, value])
    summary.column_dimensions["A"].width = 26
    summary.column_dimensions["B"].width = 60
    print_setup(summary)
    for cell in summary["A"]:
        cell.font = Font(bold=True)
    bins = {b: label for b, (label, _) in BIN_LEGEND.items()}
    shown_cells = sorted(
        (c for c in rep.series_json["cells"] if c["bins"][t] != 0 or c["pattern"] != "no_pattern"),
        key=lambda c: (-c["bins"][t], c["pattern"] == "no_pattern", c["id"]),
    )
    judged = bool(rep.series_json["patterns_judged"])
    table_sheet(  # hot cells and pattern-only ones (trial AT m7: 「热点单元」 held both)
        book,
        HOT_AND_PATTERN_SHEET,
        [
            "所在村（社区）",
            "所在乡镇（街道）",
            "本期案件数",
            "本期Gi*热点",
            "新兴热点模式",
            CENTRE_HEADER,
            CELL_ID_HEADER,
        ],
        [
            [
                *cell_place(rep.series, c["area_code"]),
                _shown(c["counts"][t]),
                bins.get(c["bins"][t], "不显著"),
                pattern_label(c["pattern"], judged=judged),
                cell_centre(c["id"]),
                c["id"],
            ]
            for c in shown_cells
        ],
        empty="本期不作热点判断" if not info["judged"] else "本期无热点，也无新兴热点模式",
    )
    table_sheet(book, "热点变化（按辖区）", *patterns_by_place(rep))
    if rep.changes:
        sheet = table_sheet(book, *changes_table(rep.changes), empty="两段时间内均无案件")
        sheet.append([f"注：{changes_note(rep.changes)}"])
    table_sheet(book, f"分类{_kind(rep)}统计", *category_table(rep))
    by_type = dispute_type_table(rep)
    if by_type is not None:
        table_sheet(book, *by_type)
    by_child = children_table(rep)
    if by_child is not None:
        table_sheet(book, *by_child)
    table_sheet(
        book,
        "无覆盖热点",
        [
            "所在村（社区）",
            "所在乡镇（街道）",
            "本期案件数",
            "置信度",
            "新兴热点模式",
            "覆盖比例",
            CENTRE_HEADER,
            CELL_ID_HEADER,
        ],
        [
            [
                *cell_place(rep.series, c["area_code"]),
                _shown(c["count"]),
                bins.get(c["bin"], ""),
                c["pattern_label"],
                Percent(c["share"]),
                cell_centre(c["id"]),
                c["id"],
            ]
            for c in rep.coverage["uncovered"]
        ],
        empty=uncovered_empty(rep),
    )
    _visits_sheet(book, rep.visits)
    _visit_history_sheet(book, rep.visit_history)
    _repeats_sheet(book, rep)
    _departments_sheet(book, rep)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _repeats_sheet(book: Workbook, rep: Report) -> None:
    """Add 重复反映: repeat reports per township, village and kind of matter, by period.

    The other sheets leave repeats out (each matter counts once); this one counts them alone
    (trial AT M4), aggregates only, a small count written :data:`SUPPRESSED` as on the map
    and a row's total withheld (:func:`layers.trend_tables.row_total_shown`) :data:`HIDDEN`,
    as the 走访逾期 sheet writes one: never 「<3」 for 29 (trial AY S3).
    """
    labels = [p.label for p in rep.series.periods]
    sheet = table_sheet(
        book,
        REPEATS_SHEET,
        ["所在乡镇（街道）", "所在村（社区）", "类型", *labels, "合计"],
        [
            [
                r["township"],
                r["village"],
                r["kind"],
                *(_repeat_count(n) for n in r["counts"]),
                hidden(r["total"]),
            ]
            for r in rep.repeats
        ],
        empty="本统计时段内无重复反映",
    )
    sheet.append([f"注：{REPEATS_NOTE}"])
    if rep.cell_min_count > 1:
        sheet.append(
            [
                f"注：小于{rep.cell_min_count}的数记为{SUPPRESSED}；合计按实数显示，"
                f"但由合计减去已显示的数即可推算出记为{SUPPRESSED}的数时，合计不予显示"
                f"（记为{HIDDEN}，数字本身不一定小）"
            ]
        )


WINDOW_ROWS = "统计时段合计"
"""The 统计期 of the 部门办理情况 rows over the whole window, after the periods' rows."""


def departments_note(rep: Report) -> str:
    """Return what the sheet 部门办理情况 says of its periods and of the report's case filter.

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    str
        The periods and the window (its days), and that the case filter does not apply.
    """
    first, last = rep.series_json["periods"][0], rep.series_json["periods"][-1]
    unit = "季度" if "Q" in rep.series.periods[0].key else "月"
    told = (
        f"按统计期（{unit}）分列各期内派出的派单，与部门考核的逐月统计相同；"
        f"“{WINDOW_ROWS}”为统计时段 {trends.window_label(rep.series.periods)}"
        f"（{first['start']} 至 {last['end']}）内派出的派单"
    )
    if rep.series.case_filter != trends.ALL_CASES:
        told += f"，不按本报告的案件范围（{rep.series.case_filter.label}）筛选"
    return told


def departments_rows(rep: Report) -> tuple[list[str], list[list[Any]]]:
    """Return the sheet 部门办理情况: each period's departments and 合计, then the window's.

    A period without a dispatch to a department has its 合计 row of zeros, as the other
    sheets show every period of the window; a window without any has no row (the sheet says
    :data:`layers.department_figures.EMPTY`).

    Parameters
    ----------
    rep : Report
        From :func:`report`.

    Returns
    -------
    tuple of (list of str, list of list)
        统计期 and the headings of :data:`layers.department_figures.COLUMNS`, and the rows.
    """
    header, _ = department_figures.table([])
    rows: list[list[Any]] = []
    if not rep.departments:
        return ["统计期", *header], rows
    blocks = [
        *zip((p.label for p in rep.series.periods), rep.department_periods, strict=True),
        (WINDOW_ROWS, rep.departments),
    ]
    for label, figures in blocks:
        _, cells = department_figures.table(figures)
        rows += [[label, *c] for c in cells or [department_figures.total([]).cells()]]
    return ["统计期", *header], rows


def _departments_sheet(book: Workbook, rep: Report) -> None:
    """Add 部门办理情况: each 承办部门's dispatches period by period and over the window.

    The figures of :func:`layers.department_figures.figures`, which the 部门考核 dialog (a
    month) and the brief's sheet of the same name read: a period's rows, then its 合计, and
    last the window's (trial BA S1; per period as the report's other sheets).
    """
    sheet = table_sheet(
        book,
        department_figures.SHEET,
        *departments_rows(rep),
        empty=department_figures.EMPTY,
    )
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == "合计" or row[0].value == WINDOW_ROWS:
            for cell in row:
                cell.font = Font(bold=True)
    sheet.append([f"注：{departments_note(rep)}。{department_figures.NOTE}"])


VISIT_HISTORY_SHEET = "走访逐期统计"
"""The sheet of the 走访 figures per period and unit (:func:`layers.visit_history.visit_series`)."""


def visit_history_rows(history: dict[str, Any]) -> list[list[Any]]:
    """Return the rows of :data:`VISIT_HISTORY_SHEET`: per unit and figure, a count per period.

    A count withheld is written :data:`SUPPRESSED`, a total withheld :data:`HIDDEN` (trial AY
    S2: 走访 figures per month beside the case trends).

    Parameters
    ----------
    history : dict
        :func:`layers.visit_history.visit_series` (empty: none for this reader).

    Returns
    -------
    list of list
        单位, 指标, then the counts, 合计 last.
    """
    rows: list[list[Any]] = []
    for unit in history.get("units", []):
        for figure in history["figures"]:
            counts = unit["figures"][figure["key"]]
            rows.append([unit["name"], figure["label"], *(_repeat_count(n) for n in counts)])
    if rows:
        for figure in history["figures"]:
            totals = history["totals"][figure["key"]]
            rows.append(["合计", figure["label"], *(hidden(n) for n in totals)])
    return rows


def _visit_history_sheet(book: Workbook, history: dict[str, Any]) -> None:
    """Add :data:`VISIT_HISTORY_SHEET` (not for a reader who may not count the persons)."""
    if not history:
        return
    label = history.get("units_label") or "单位"
    sheet = table_sheet(
        book,
        VISIT_HISTORY_SHEET,
        [label, "指标", *(p["label"] for p in history["periods"])],
        visit_history_rows(history),
        empty="统计时段内无列管人员和走访记录",
    )
    note = f"注：{visit_history.RULES_NOTE}"
    if history["min_count"] > 1:
        note += (
            f"小于{history['min_count']}的数记为{SUPPRESSED}；合计由合计减去已显示的数即可"
            f"推算出记为{SUPPRESSED}的某一个数，或本身小于{history['min_count']}时不予显示"
            f"（记为{HIDDEN}）。"
        )
    sheet.append([note])


def _repeat_count(value: int | None) -> int | str:
    return SUPPRESSED if value is None else value


def _visits_sheet(book: Workbook, visits: dict[str, Any]) -> None:
    """Add 走访逾期: every grid listed, its township and village, and 合计.

    The grids are those :func:`layers.trend_tables.overdue_visits` lists; a reader who may not
    see small counts is told which are not listed.

    The counts stand when the report is made, whatever period it is of (trial AA read a
    report of 2024年11月 and took them for that month's).
    """
    rows: list[list[Any]] = [
        [
            g["grid_name"],
            g["township_name"],
            g["area_name"],
            hidden(g["persons"]),
            hidden(g["overdue"]),
            "" if g["share"] is None else Percent(g["share"]),
        ]
        for g in visits["grids"]
    ]
    if rows:
        total, overdue = visits["total"], visits["overdue"]
        share = Percent(round(overdue / total, 4)) if total and overdue else ""
        rows.append(["合计", "", "", hidden(total), hidden(overdue), share])
    sheet = table_sheet(
        book,
        "走访逾期",
        ["网格", "所属乡镇（街道）", "所属村（社区）", "列管人数", "逾期人数", "逾期比例"],
        rows,
        empty=visits_empty(visits),
    )
    told = "".join(f"{n}。" for n in (unlisted_note(visits),) if n)
    if visits_hidden(visits):
        told += f"{HIDDEN_NOTE}。"
    if rows:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        sheet.append([VISITS_NOTE + told])
    elif told and not visits.get("withheld"):
        sheet.append([f"注：{told}"])
    if units_text(visits):
        label = visits.get("units_label") or "下级单位"
        sheet.append([f"各{label}走访逾期人数（与月总结相同）：{units_text(visits)}"])
