"""The brief over a night shift or any span, and a past window's alerts, through the API.

``GET /api/command/{code}/brief.xlsx?shift=night&date=…`` is the night that begins on that day,
18:00 to 08:00 the next morning in Beijing time (夜班简报), compared with the night before;
``?start=…&end=…`` any span (时段简报). Both hand over the open cases (交班在办案件) except to an
analyst. Mixing ways of choosing the window, or a span without its end, is refused in Chinese.
An alert issued in a past day and closed the next morning is listed in that day's brief as it
stood at the day's end (trial AU M5: it was in neither list). The alert is removed afterwards.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import brief_cases
from layers.china_time import CHINA
from layers.database import apply_scope
from tests.api_fixtures import COUNTY_A, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]


def _sheets(body: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def _brief(client: TestClient, headers: dict[str, str], **params: str) -> Any:
    return client.get(f"/api/command/{COUNTY_A}/brief.xlsx", params=params, headers=headers)


def test_the_brief_of_a_night_shift_or_a_span(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
) -> None:
    got = _brief(api_client, auth_headers("cmd_a"), shift="night", date="2025-09-16")
    assert got.status_code == 200, got.text
    assert "夜班简报_" in unquote(got.headers["content-disposition"])
    sheets = _sheets(got.content)
    summary = {row[0]: row[1] for row in sheets["概况"]}
    assert (summary["简报"], summary["统计时段"]) == (
        "夜班简报",
        "2025-09-16 18:00 至 2025-09-17 08:00",
    )
    assert summary["环比时段"].startswith("2025-09-15 18:00 至 2025-09-16 08:00（前一夜班）")
    assert summary["交班"].startswith("截至 ")
    assert sheets["交班在办案件"][0][:4] == ["案件编号", "标题", "类别", "风险等级"]
    assert "承办" in sheets["新登记案件"][0]

    got = _brief(
        api_client,
        auth_headers("cmd_a"),
        start="2025-09-16T20:00",
        end="2025-09-17T07:30",
    )
    assert got.status_code == 200, got.text
    summary = {row[0]: row[1] for row in _sheets(got.content)["概况"]}
    assert (summary["简报"], summary["统计时段"]) == (
        "时段简报",
        "2025-09-16 20:00 至 2025-09-17 07:30",
    )
    # an analyst reads no case, a night's brief included
    got = _brief(api_client, auth_headers("analyst_a"), shift="night", date="2025-09-16")
    assert got.status_code == 200, got.text
    assert "交班在办案件" not in _sheets(got.content)


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"shift": "night", "days": "1"}, "只能给出一个"),
        ({"start": "2025-09-16T20:00"}, "须同时给出开始时间 start 和结束时间 end"),
        ({"start": "2025-09-17T07:00", "end": "2025-09-16T20:00"}, "结束时间须晚于开始时间"),
        ({"shift": "night", "date": "2099-01-01"}, "尚未开始"),
    ],
)
def test_a_wrong_shift_or_span_is_refused_in_chinese(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
    params: dict[str, str],
    said: str,
) -> None:
    got = _brief(api_client, auth_headers("cmd_a"), **params)
    assert got.status_code == 422 and said in got.json()["detail"], got.text


@pytest.fixture
def late_closed(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[None]:  # noqa: F811
    """An alert issued on 2025-09-17, signed that night, closed the next morning."""
    moments = {
        "created": datetime(2025, 9, 17, 10, tzinfo=CHINA),
        "acknowledged": datetime(2025, 9, 17, 22, tzinfo=CHINA),
        "closed": datetime(2025, 9, 18, 9, tzinfo=CHINA),
    }
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        alert_id = owner.execute(
            text(
                "INSERT INTO alerts (area_code, kind, level, title, unit_id, state, created_at,"
                " acknowledged_at, closed_at, close_note) VALUES (:a, 'hotspot_persistent_hot',"
                " 2, '持续热点：次日关闭测试一带 30 起案件', 'brief-late-closed', 'closed',"
                " :created, :acknowledged, :closed, '已处置') RETURNING id"
            ),
            {"a": VILLAGES[0], **moments},
        ).scalar_one()
    try:
        yield
    finally:
        with Session(database.owner) as owner, owner.begin():
            apply_scope(owner, None)
            owner.execute(text("DELETE FROM alerts WHERE id = :id"), {"id": alert_id})


@pytest.mark.usefixtures("late_closed")
def test_an_alert_closed_after_the_day_is_open_in_its_brief(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
) -> None:
    got = _brief(api_client, auth_headers("cmd_a"), period="day", date="2025-09-17")
    assert got.status_code == 200, got.text
    rows = {r[1]: r for r in _sheets(got.content)["风险预警"][1:]}
    row = rows["持续热点：次日关闭测试一带 30 起案件"]
    assert row[0] == "已签收（统计时段后关闭）"
    assert row[7] == "2025-09-18 09:00"  # 关闭时间
    # the next day's brief lists it as closed in its window
    got = _brief(api_client, auth_headers("cmd_a"), period="day", date="2025-09-18")
    rows = {r[1]: r for r in _sheets(got.content)["风险预警"][1:]}
    assert rows["持续热点：次日关闭测试一带 30 起案件"][0] == "已关闭"


def test_the_handover_view_lists_who_holds_each_open_case(
    api_client: TestClient,  # noqa: F811
    auth_headers: Headers,  # noqa: F811
) -> None:
    got = api_client.get(f"/api/command/{COUNTY_A}/handover", headers=auth_headers("cmd_a"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["open_cases"] >= body["matters"] == len(body["rows"]) > 0
    risks = [r["risk_level"] for r in body["rows"]]
    assert risks == sorted(risks)  # the highest risk first
    for row in body["rows"]:
        assert row["holder"] and row["progress"], row
        assert not [key for key in row if key.startswith("reporter")]
    # an analyst reads aggregates only
    refused = api_client.get(f"/api/command/{COUNTY_A}/handover", headers=auth_headers("analyst_a"))
    assert refused.status_code == 403
    assert refused.json()["detail"] == brief_cases.NO_ANALYST_HANDOVER
