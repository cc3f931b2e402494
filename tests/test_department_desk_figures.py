"""A department's own figures on its desk, and the departments' sheet of the trend report.

Closing note s44, p2: the department's desk (本部门待办) showed no figures of its own, though
the API gave them, and the trends page's report.xlsx had no department sheet. The desk reads
its month from ``GET /api/figures/departments`` (a department account gets its own rows there),
and report.xlsx has the sheet 部门办理情况 over its window, both from
:func:`layers.department_figures.figures`, as the county's 部门考核 dialog and its brief.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.china_time import CHINA
from layers.database import apply_scope
from tests.api_fixtures import COUNTY_A, VILLAGES, ApiWorld, act
from tests.conftest import SuiteDatabase
from tests.test_department_figures import OWN, Headers, _dispatched, _ok


def _bureau_took_one(
    client: TestClient, county: dict[str, str], bureau: dict[str, str], made: list[int]
) -> None:
    """The county sends two orders to the bureau; it 受理s one and 退回s the other."""
    taken = _dispatched(client, county, made, VILLAGES[0], OWN)
    _ok(act(client, bureau, taken, "accept"))
    sent_back = _dispatched(client, county, made, VILLAGES[0], OWN)
    _ok(act(client, bureau, sent_back, "return", note="不属本部门职责"))


def _by_department(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["department"]: r for r in body["rows"]}


def test_the_desk_s_month_is_the_county_s_row_of_the_department(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, made: list[int]
) -> None:
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    _bureau_took_one(api_client, county, bureau, made)
    this_month = datetime.now(CHINA).date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    for first in (this_month, last_month):
        # what the desk asks for 本月 and 上月 (department.js), and the county's 部门考核
        query = {"period": "month", "date": first.isoformat()}
        desk = _ok(api_client.get("/api/figures/departments", params=query, headers=bureau))
        rated = _ok(api_client.get("/api/figures/departments", params=query, headers=county))
        assert desk["window"]["text"] == rated["window"]["text"]
        for row in desk["rows"]:
            assert rated_row(rated, row["department"]) == row
        if first == this_month:
            mine = _by_department(desk)[OWN]
            assert (mine["received"], mine["accepted"], mine["returned"]) == (2, 1, 1)
        else:
            assert OWN not in _by_department(desk)


def rated_row(body: dict[str, Any], department: str) -> dict[str, Any]:
    """The county's row of ``department`` (the desk reads the rows of the bureaus it acts for)."""
    return _by_department(body)[department]


def test_the_trend_report_has_the_departments_of_each_period_and_of_its_window(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    made: list[int],
    database: SuiteDatabase,
) -> None:
    """Period by period as the report's other sheets and the 部门考核 dialog's month, then the
    window (the sheet had counted the whole window only)."""
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    _bureau_took_one(api_client, county, bureau, made)
    # 受理'd 35 days ago, 退回'd 75 days ago: two months of the window (its last month is the
    # last one ended), at least 40 days apart, so never one month
    taken, sent_back = made[-2:]
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        for case_id, days in ((taken, 35), (sent_back, 75)):
            session.execute(
                text(
                    "UPDATE dispatches SET assigned_at = assigned_at - make_interval(days => :d),"
                    " accepted_at = accepted_at - make_interval(days => :d),"
                    " finished_at = finished_at - make_interval(days => :d)"
                    " WHERE case_id = :id"
                ),
                {"id": case_id, "d": days},
            )
    series = "granularity=month&periods=4"
    xlsx = api_client.get(f"/api/trends/{COUNTY_A}/report.xlsx?{series}", headers=county)
    assert xlsx.status_code == 200, xlsx.text
    sheet = load_workbook(io.BytesIO(xlsx.content))["部门办理情况"]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = table[0]
    assert header[:3] == ["统计期", "承办部门", "所属区县"]
    rows = [dict(zip(header, r, strict=True)) for r in table[1:] if not str(r[0]).startswith("注")]
    periods = _ok(api_client.get(f"/api/trends/{COUNTY_A}?{series}", headers=county))["periods"]
    assert list(dict.fromkeys(r["统计期"] for r in rows)) == [
        *(p["label"] for p in periods),
        "统计时段合计",
    ]
    # each month's rows are the 部门考核 dialog's of that month, the window's the API's over it
    last = date.fromisoformat(periods[-1]["end"])
    asked = [
        *({"period": "month", "date": p["start"]} for p in periods),
        {"from": f"{periods[0]['start']}T00:00:00", "to": f"{last + timedelta(days=1)}T00:00:00"},
    ]
    mine = []
    for label, query in zip([*(p["label"] for p in periods), "统计时段合计"], asked, strict=True):
        body = _ok(api_client.get("/api/figures/departments", params=query, headers=county))
        shown = [r for r in rows if r["统计期"] == label]
        _same_figures(shown, body)
        mine.append(next((r for r in shown if r["承办部门"] == OWN), None))
    received = [None if r is None else (r["收到"], r["受理"], r["退回"]) for r in mine]
    assert sorted(received, key=str) == sorted(
        [None, None, (1, 1, 0), (1, 0, 1), (2, 1, 1)], key=str
    ), received
    assert received[-1] == (2, 1, 1)  # the window: both
    # the periods and the window, and what is counted, are said under the table
    said = str(table[-1][0])
    assert said.startswith("注：按统计期（月）分列各期内派出的派单"), said
    assert f"统计时段 {periods[0]['label']} 至 {periods[-1]['label']}" in said
    assert "按时受理以案件联系时限计" in said


def _same_figures(shown: list[dict[str, Any]], body: dict[str, Any]) -> None:
    """The sheet's rows of one period are the API's rows and 合计, cell by cell."""
    labels = {c["key"]: c["label"] for c in body["columns"]}
    expected = [*body["rows"], body["total"]]
    assert [r[labels["department"]] for r in shown] == [f["department"] for f in expected]
    for row, figures in zip(shown, expected, strict=True):
        for key, label in labels.items():
            if key == "satisfied_share" and figures[key] is not None:
                assert abs(row[label] - figures[key]) < 1e-4, label
            elif key == "satisfied_share":
                assert row[label] == "无", label
            elif key != "county_name" or figures["department"] != "合计":
                assert row[label] == figures[key], label
