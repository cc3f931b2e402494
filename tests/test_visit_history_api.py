"""The 走访 history over HTTP, and the 月总结 of a past month gives its 走访逾期 at its end.

Trial AY S2: ``/api/trends/{code}/visits`` gave the current 走访逾期 only, and a September
月总结 made in December reported December's. ``/api/trends/{code}/visit-history`` gives the
figures per period and unit (none to a department, small counts withheld from an analyst), and
the brief of a past month heads its 走访逾期 「截至月末」 with the month's figure. The API world's
persons (刑满释放, 二级: every 60 days, never visited) are on record since the day it was built;
the clock of the brief's route is set 200 days later, when all of them are overdue, while none
was at the end of the month they were put on record in. Nothing is written.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

import api.routers.command as command_route
from layers import trends, visit_history
from layers.china_time import CHINA
from layers.database import apply_scope
from tests.api_fixtures import COUNTY_A, TOWN_A1, TOWN_A2, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]


def test_the_history_over_http(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    api_world: ApiWorld,  # noqa: F811
    database: SuiteDatabase,
) -> None:
    url = f"/api/trends/{COUNTY_A}/visit-history?granularity=month&periods=6"
    got = api_client.get(url, headers=auth_headers("cmd_a"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert len(body["periods"]) == 6 and body["units_label"] == "乡镇（街道）"
    assert [f["key"] for f in body["figures"]] == [
        "persons", "visits", "met", "contacted", "absent", "missing", "overdue",
    ]  # fmt: skip
    spans = trends.window(datetime.now(UTC), "month", 6)
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        exact = visit_history.visit_series(session, COUNTY_A, spans, min_count=1)
    assert body["units"] == exact["units"] and body["totals"] == exact["totals"]
    analyst = api_client.get(url, headers=auth_headers("analyst_a")).json()
    assert analyst["min_count"] == trends.ANALYST_MIN_COUNT
    for unit in analyst["units"]:
        for counts in unit["figures"].values():
            assert all(n is None or n == 0 or n >= 3 for n in counts)
    department = api_client.get(url, headers=auth_headers("dept_a"))
    assert department.status_code == 403 or department.json()["units"] == []


def test_a_past_month_brief_gives_the_overdue_at_the_month_end(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    api_world: ApiWorld,  # noqa: F811
    database: SuiteDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        since = session.execute(
            text("SELECT max(on_record_since) FROM persons WHERE area_code LIKE '460105%'")
        ).scalar_one()
    made = datetime.combine(since + timedelta(days=200), time(10), tzinfo=CHINA)
    monkeypatch.setattr(command_route, "utcnow", lambda: made)
    month = since.replace(day=1)
    got = api_client.get(
        f"/api/command/{COUNTY_A}/brief.xlsx?period=month&date={month}",
        headers=auth_headers("cmd_a"),
    )
    assert got.status_code == 200, got.text
    book = load_workbook(io.BytesIO(got.content), read_only=True)
    header, *rows = [list(r) for r in book["简报"].iter_rows(values_only=True)]
    assert "走访逾期（截至月末）" in header and "走访逾期（生成时）" not in header
    column = header.index("走访逾期（截至月末）")
    figures = {r[2]: r[column] for r in rows if r[2]}
    next_month = (month + timedelta(days=32)).replace(day=1)
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        end = visit_history.overdue_at_end(
            session, COUNTY_A, [TOWN_A1, TOWN_A2], next_month - timedelta(days=1), min_count=1
        )
        now_overdue = session.execute(
            text("SELECT count(*) FROM persons WHERE area_code LIKE '460105%' AND ended_on IS NULL")
        ).scalar_one()
    assert figures[COUNTY_A] == end[COUNTY_A]
    assert figures[TOWN_A1] == end[TOWN_A1] and figures[TOWN_A2] == end[TOWN_A2]
    assert now_overdue > 0 and figures[COUNTY_A] < now_overdue  # not the figure of the day made
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True)}
    assert "走访逾期为统计时段末的人数" in summary["说明"]
