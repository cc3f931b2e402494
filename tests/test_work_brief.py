"""日汇总、周研判、月总结: the command feed's figures over a window, as a workbook.

The brief of a unit has the unit's KPIs (本级合计) and each child's, as the feed over the same
window gives them to the same reader, in the console's words; its alerts sheet lists those not
closed yet and those closed in the window with the note; outside the reader's scope it is 404.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from layers.command import KPI_LABELS
from layers.work_brief import kpi_text
from tests.api_fixtures import (  # noqa: F401
    COUNTY_A,
    TOWN_A1,
    api_client,
    api_settings,
    api_world,
    auth_headers,
)

Headers = Callable[[str], dict[str, str]]


def _sheets(body: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


@pytest.mark.parametrize(
    ("user", "code", "days", "name"),
    [
        ("cmd_a", COUNTY_A, 7, "周研判"),
        ("disp_a1", TOWN_A1, 1, "日汇总"),
        ("analyst_a", COUNTY_A, 30, "月总结"),
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
    assert sheets["风险预警"][0][:2] == ["状态", "预警"]
    assert len(sheets["风险预警"]) == 1 + len(feed["alerts"])  # none closed in the world


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
