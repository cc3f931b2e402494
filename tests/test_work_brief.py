"""日汇总、周研判、月总结: the command feed's figures over a window, as a workbook.

The brief of a unit has the unit's KPIs (本级合计) and each child's, as the feed over the same
window gives them to the same reader, in the console's words; its alerts sheet lists those not
closed yet and those closed in the window with the note; outside the reader's scope it is 404.
A calendar brief (``period``) counts the cases of its day, week or month in Beijing time, by
default the period before the current one; a day after today is refused. Its 环比同比 sheet sets
the window's counts beside those of the window before (the days before a rolling window, the
month before a month) and of the same window a year before, which the world (cases from 2026)
has no data for: 无上年同期数据, not a change; its 新登记案件 lists the cases 近期受理 counts; an
analyst's brief lists no case. The lists themselves, and 同比 over real figures, are tested in
``tests/test_brief_cases.py``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from geo.codes import scope_range
from layers.china_time import CHINA
from layers.command import KPI_LABELS
from layers.work_brief import WINDOW_KPIS, change, kpi_text
from tests.api_fixtures import CITY, COUNTY_A, TOWN_A1, TOWN_A2
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]


def _sheets(body: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


@pytest.mark.parametrize(
    ("user", "code", "days", "name"),
    [
        ("cmd_a", COUNTY_A, 7, "近7日简报"),
        ("disp_a1", TOWN_A1, 1, "近24小时简报"),
        ("analyst_a", COUNTY_A, 30, "近30日简报"),
    ],
)
def test_the_brief_is_the_feed_over_its_window(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    user: str,
    code: str,
    days: int,
    name: str,
) -> None:
    got = api_client.get(f"/api/command/{code}/brief.xlsx?days={days}", headers=auth_headers(user))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = unquote(got.headers["content-disposition"])
    feed = api_client.get(
        f"/api/command/{code}?window_days={days}", headers=auth_headers(user)
    ).json()
    assert f"{name}_{feed['unit']['name']}_" in disposition
    sheets = _sheets(got.content)
    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert summary["简报"] == name and summary["辖区"] == f"{feed['unit']['name']}（{code}）"
    table = sheets["简报"]
    assert table[0] == ["单位", "级别", "区划代码", *KPI_LABELS.values()]
    expected = [("本级合计", feed["unit"])] + [(c["level_label"], c) for c in feed["children"]]
    assert [row[:3] for row in table[1:]] == [[u["name"], lvl, u["code"]] for lvl, u in expected]
    for row, (_, unit) in zip(table[1:], expected, strict=True):
        assert row[3:] == [kpi_text(k, unit["kpis"][k]) for k in KPI_LABELS], unit["code"]
    # each 「—」 in the table is explained in the 说明, KPI by KPI
    dashes = {KPI_LABELS[k] for _, unit in expected for k in KPI_LABELS if unit["kpis"][k] is None}
    assert dashes or user != "analyst_a"  # an analyst's small 走访逾期 is withheld
    said = next(line for line in summary["说明"].splitlines() if line.startswith("简报："))
    assert all(f"{label}为" in said.split("写「—」的：")[1] for label in dashes), said
    assert sheets["风险预警"][0][:2] == ["状态", "预警"]
    case_lists = [t for t in ("新登记案件", "超期案件", "督办案件", "上报案件") if t in sheets]
    assert case_lists or user == "analyst_a"  # an analyst reads no single case
    for listed in case_lists:  # never headers alone
        rows = sheets[listed][1:]
        assert rows and (rows[0][0] != f"无{listed}" or len(rows) == 1), listed
    alerts = sheets["风险预警"][1:]  # none closed in the world; none at all: said so
    if feed["alerts"]:
        assert [row[1] for row in alerts] == [a["title"] for a in feed["alerts"]]
    else:
        assert [row[0] for row in alerts] == ["无风险预警"]
    # 环比: the window's counts beside those of the days before it, unit by unit
    assert summary["环比时段"].endswith(f"（此前{days}日）")
    assert summary["同比时段"].startswith(f"{datetime.now(CHINA).year - 1}-")
    assert "（上年同期）" in summary["同比时段"]
    comparison = sheets["环比同比"]
    # a brief of the last days ends now: each window's 办结率 as it stood at its end
    labels = {**KPI_LABELS, "resolved_share": "办结率（截至各期末）"}
    assert [row[:4] for row in comparison[1:]] == [
        [u["name"], lvl, u["code"], labels[k]] for lvl, u in expected for k in WINDOW_KPIS
    ]
    assert [row[4] for row in comparison[1:]] == [
        kpi_text(k, u["kpis"][k]) for _, u in expected for k in WINDOW_KPIS
    ]
    lists = ("新登记案件", "超期案件", "督办案件", "上报案件")
    if user == "analyst_a":  # aggregates only
        assert not set(lists) & set(sheets)
    else:
        assert set(lists) <= set(sheets)


def test_a_city_brief_says_which_counties_its_figures_hold(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
) -> None:
    got = api_client.get(f"/api/command/{CITY}/brief.xlsx?days=7", headers=auth_headers("cmd_city"))
    assert got.status_code == 200, got.text
    summary = {row[0]: row[1] for row in _sheets(got.content)["概况"]}
    assert summary["接入范围"].startswith("本平台接入的县（市、区）：甲区、乙区（2 个）。本简报")
    county = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx?days=7", headers=auth_headers("cmd_a")
    )
    assert "接入范围" not in {row[0] for row in _sheets(county.content)["概况"]}


def test_the_brief_outside_the_scope_is_not_found(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
) -> None:
    got = api_client.get(f"/api/command/{COUNTY_A}/brief.xlsx", headers=auth_headers("cmd_b"))
    assert got.status_code == 404 and "不在您的管辖范围内" in got.json()["detail"]
    assert (
        api_client.get(
            f"/api/command/{COUNTY_A}/brief.xlsx?days=0", headers=auth_headers("cmd_a")
        ).status_code
        == 422
    )


def _reported(database: SuiteDatabase, code: str, first: date, after: date) -> int:
    """Cases of the unit reported from ``first`` up to ``after`` (days in Beijing time)."""
    lo, hi = scope_range(code)
    with database.owner.connect() as conn:
        times = conn.execute(
            text("SELECT reported_at FROM cases WHERE area_code >= :lo AND area_code < :hi"),
            {"lo": lo, "hi": hi},
        ).scalars()
        return sum(first <= t.astimezone(CHINA).date() < after for t in times)


def test_a_calendar_brief_counts_the_cases_of_its_month_in_beijing_time(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    database: SuiteDatabase,
) -> None:
    # the world's cases are reported every 30 days from 2026-01-01 (UTC): 2 March, 1 April …
    got = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx?period=month&date=2026-03-15",
        headers=auth_headers("cmd_a"),
    )
    assert got.status_code == 200, got.text
    assert unquote(got.headers["content-disposition"]).endswith("月总结_甲区_202603.xlsx")
    sheets = _sheets(got.content)
    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert (summary["简报"], summary["统计时段"]) == (
        "月总结",
        "2026-03-01 00:00 至 2026-04-01 00:00",
    )
    column = 3 + list(KPI_LABELS).index("reported")
    counted = {row[2]: row[column] for row in sheets["简报"][1:]}
    march = {c: _reported(database, c, date(2026, 3, 1), date(2026, 4, 1)) for c in counted}
    assert counted == march and march[COUNTY_A] > 0
    assert march[COUNTY_A] == march[TOWN_A1] + march[TOWN_A2]
    year = _reported(database, COUNTY_A, date(2026, 1, 1), date(2027, 1, 1))
    assert march[COUNTY_A] < year, "the month's cases, not all of them"


def test_a_calendar_brief_compares_with_the_month_before_and_lists_its_cases(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    database: SuiteDatabase,
) -> None:
    # the world's cases of May (1 and 31 May) against those of April (1 April), in Beijing time
    got = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx?period=month&date=2026-05-20",
        headers=auth_headers("cmd_a"),
    )
    assert got.status_code == 200, got.text
    sheets = _sheets(got.content)
    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert summary["环比时段"] == "2026-04-01 00:00 至 2026-05-01 00:00（上月）"
    # May 2025: before the world's first case, and the brief says so rather than show changes
    assert summary["同比时段"] == (
        "2025-05-01 00:00 至 2025-06-01 00:00（上年同月）：本级此前无案件记录，无上年同期数据"
    )
    counted = {(row[2], row[3]): row[4:] for row in sheets["环比同比"][1:]}
    for code in (COUNTY_A, TOWN_A1, TOWN_A2):
        may = _reported(database, code, date(2026, 5, 1), date(2026, 6, 1))
        april = _reported(database, code, date(2026, 4, 1), date(2026, 5, 1))
        assert _reported(database, code, date(2000, 1, 1), date(2025, 6, 1)) == 0
        assert counted[(code, "近期受理")] == [
            may,
            april,
            *change("reported", may, april),
            "无上年同期数据",
            "—",
            "—",
        ]
        assert may > april > 0, "two cases a village in May, one in April"
    lo, hi = scope_range(COUNTY_A)
    with database.owner.connect() as conn:
        in_may = conn.execute(
            text(
                "SELECT code FROM cases WHERE area_code >= :lo AND area_code < :hi"
                " AND reported_at >= :first AND reported_at < :after ORDER BY reported_at, id"
            ),
            {
                "lo": lo,
                "hi": hi,
                "first": datetime(2026, 5, 1, tzinfo=CHINA),
                "after": datetime(2026, 6, 1, tzinfo=CHINA),
            },
        ).scalars()
        assert [row[0] for row in sheets["新登记案件"][1:]] == list(in_may)


def test_a_calendar_brief_is_by_default_of_the_period_before_this_one(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
) -> None:
    today = datetime.now(CHINA).date()
    monday = today - timedelta(days=today.weekday() + 7)
    month_end = today.replace(day=1) - timedelta(days=1)
    expected = {
        "day": ("日汇总", f"{today - timedelta(days=1):%Y%m%d}", today - timedelta(days=1)),
        "week": ("周研判", f"{monday:%Y%m%d}-{monday + timedelta(days=6):%Y%m%d}", monday),
        "month": ("月总结", f"{month_end:%Y%m}", month_end.replace(day=1)),
    }
    for period, (name, tag, first) in expected.items():
        got = api_client.get(
            f"/api/command/{TOWN_A1}/brief.xlsx?period={period}", headers=auth_headers("disp_a1")
        )
        assert got.status_code == 200, got.text
        assert unquote(got.headers["content-disposition"]).endswith(f"{name}_甲一街道_{tag}.xlsx")
        span = {row[0]: row[1] for row in _sheets(got.content)["概况"]}["统计时段"]
        start = datetime.combine(first, time(), CHINA)
        assert span.startswith(f"{start:%Y-%m-%d} 00:00 至 "), (period, span)
        assert "至今" not in span
    this_week = api_client.get(
        f"/api/command/{TOWN_A1}/brief.xlsx?period=week&date={today.isoformat()}",
        headers=auth_headers("disp_a1"),
    )
    assert "（至今）" in {row[0]: row[1] for row in _sheets(this_week.content)["概况"]}["统计时段"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=month&date=2099-01-01", "晚于今天"),
        ("period=month&days=30", "只能给出一个"),
        ("date=2026-03-01", "须同时给出简报周期"),
        ("period=year", "period"),
        ("period=day&date=2026-02-30", "date"),
    ],
)
def test_a_calendar_brief_of_a_wrong_period_or_day_is_refused(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    query: str,
    message: str,
) -> None:
    got = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx?{query}", headers=auth_headers("cmd_a")
    )
    assert got.status_code == 422 and message in got.text, got.text
