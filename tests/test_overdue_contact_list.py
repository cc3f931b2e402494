# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""The cases behind 联系超时: ``GET /api/cases?stage=overdue_contact`` and the 简报's column.

The 联系超时 card (``kpis.overdue_contact`` of /api/command) counts the open cases of the
unit's area, at every level, nobody has taken up whose 联系时限 passed, by the rule of the
queue's red 「联系时限 … 已过」 (:func:`layers.urgency.contact_passed`). Clicking 超期案件 opens
the area's overdue cases; 联系超时 opened nothing an operator could act on, and the brief
(brief.xlsx) had no column for it. The list holds the cases the card counts, as many as the
figure for the township and for the county (whose township rows each equal their list); the
brief writes the figure beside 超期案件 and says what it counts in its 说明.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from api.settings import ApiSettings
from layers import urgency
from layers.command import KPI_LABELS
from tests.api_fixtures import bearer_of
from tests.conftest import SuiteDatabase
from tests.workflow_data import COUNTY, township, village, world_accounts

TOWN, OTHER_TOWN, FAR_TOWN = township(300), township(400), township(100, "520425")
Headers = Callable[[str], dict[str, str]]

USERS = {
    "disp": ("dispatcher", TOWN),
    "disp_other": ("dispatcher", OTHER_TOWN),
    "disp_far": ("dispatcher", FAR_TOWN),
    "cmd_county": ("commander", COUNTY),
    "dept": ("department", COUNTY),  # named ocl_dept, as a dispatch names its department
}


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    with world_accounts(database, USERS, "ocl") as ids:
        yield bearer_of(api_settings, ids)


@pytest.fixture(scope="module")
def made(api_app_client: TestClient, users: Headers, database: SuiteDatabase) -> dict[str, int]:
    """Cases of the township, its neighbour and another county, past their 联系时限 or not."""
    client, disp = api_app_client, users("disp")  # Bearer headers: no cookie is sent
    waiting = _register(client, disp, village(300, 1), "neighbours", days_ago=3)
    sent = _dispatch_to_department(
        client, disp, _register(client, disp, village(300, 2), "land", days_ago=3)
    )
    fresh = _register(client, disp, village(300, 1), "labour_wages", days_ago=0)
    taken = _dispatch_to_department(
        client, disp, _register(client, disp, village(300, 2), "marriage_family", days_ago=0)
    )
    accepted = client.post(
        f"/api/cases/{taken['id']}/actions/accept",
        json={"version": taken["version"]},
        headers=users("dept"),
    )
    assert accepted.status_code == 200, accepted.text
    with database.owner.begin() as conn:  # its 联系时限 passes after the 受理: not counted
        conn.execute(
            text("UPDATE cases SET contact_deadline = now() - interval '1 hour' WHERE id = :id"),
            {"id": taken["id"]},
        )
    other = _register(client, users("disp_other"), village(400, 1), "neighbours", days_ago=3)
    far = _register(client, users("disp_far"), village(100, 1, "520425"), "land", days_ago=3)
    return {
        "waiting": waiting["id"],
        "sent": sent["id"],
        "fresh": fresh["id"],
        "taken": taken["id"],
        "other": other["id"],
        "far": far["id"],
    }


def _register(
    client: TestClient, who: dict[str, str], area: str, subcategory: str, days_ago: float
) -> dict[str, Any]:
    """A 12345 dispute of ``area`` reported ``days_ago`` days ago (联系时限 2 days)."""
    made = client.post(
        "/api/cases",
        json={
            "channel": "hotline_12345",
            "category": "dispute",
            "subcategory": subcategory,
            "title": f"联系超时名单测试：{subcategory}",
            "area_code": area,
            "reported_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
        },
        headers=who,
    )
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def _dispatch_to_department(client: TestClient, who: dict[str, str], case: dict[str, Any]) -> Any:
    url = f"/api/cases/{case['id']}"
    triaged = client.post(f"{url}/actions/triage", json={"version": case["version"]}, headers=who)
    assert triaged.status_code == 200, triaged.text
    sent = client.post(
        f"{url}/dispatch",
        json={"department": "ocl_dept", "version": triaged.json()["version"]},
        headers=who,
    )
    assert sent.status_code == 200, sent.text
    return sent.json()


def _kpis(client: TestClient, who: dict[str, str], code: str) -> dict[str, Any]:
    """The feed's KPIs of the unit and of each child, by code."""
    response = client.get(f"/api/command/{code}", headers=who)
    assert response.status_code == 200, response.text
    feed = response.json()
    return {c["code"]: c["kpis"] for c in [feed["unit"], *feed["children"]]}


def _listed(client: TestClient, who: dict[str, str], code: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/cases",
        params={"stage": "overdue_contact", "code": code, "limit": "1000"},
        headers=who,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_list_holds_the_cases_the_contact_overdue_card_counts(
    api_client: TestClient, users: Headers, made: dict[str, int]
) -> None:
    client, disp, county = api_client, users("disp"), users("cmd_county")
    kpis = _kpis(client, disp, TOWN)
    town = _listed(client, disp, TOWN)
    assert len(town) == kpis[TOWN]["overdue_contact"] > 0
    ids = [c["id"] for c in town]
    assert {made["waiting"], made["sent"]} <= set(ids)
    assert not {made["fresh"], made["taken"], made["other"], made["far"]} & set(ids)
    # each by the queue's mark: nobody has taken it up and its 联系时限 passed; the longest first
    now = datetime.now(UTC)
    assert all(c["state"] in urgency.NOT_TAKEN_UP for c in town)
    deadlines = [datetime.fromisoformat(c["contact_deadline"]) for c in town]
    assert all(d <= now for d in deadlines) and deadlines == sorted(deadlines)

    # the county's: its own figure, and each township's from above, as many as their rows say
    county_kpis = _kpis(client, county, COUNTY)
    whole = {c["id"] for c in _listed(client, county, COUNTY)}
    assert len(whole) == county_kpis[COUNTY]["overdue_contact"]
    assert {made["waiting"], made["sent"], made["other"]} <= whole and made["far"] not in whole
    for code in (TOWN, OTHER_TOWN):
        below = _listed(client, county, code)
        assert len(below) == county_kpis[code]["overdue_contact"] > 0, code
        assert {c["id"] for c in below} <= whole
    # out of scope: another county's dispatcher neither lists the township nor sees its cases
    far = users("disp_far")
    refused = client.get(
        "/api/cases", params={"stage": "overdue_contact", "code": TOWN}, headers=far
    )
    assert refused.status_code == 404, refused.text
    assert made["far"] in {c["id"] for c in _listed(client, far, FAR_TOWN)}
    assert not {made["waiting"], made["sent"]} & {c["id"] for c in _listed(client, far, FAR_TOWN)}


def test_the_brief_writes_the_contact_overdue_figure_beside_overdue(
    api_client: TestClient, users: Headers, made: dict[str, int]
) -> None:
    county = users("cmd_county")
    got = api_client.get(f"/api/command/{COUNTY}/brief.xlsx?days=7", headers=county)
    assert got.status_code == 200, got.text
    book = load_workbook(io.BytesIO(got.content), read_only=True)
    table = [list(r) for r in book["简报"].iter_rows(values_only=True)]
    header = table[0]
    column = header.index("联系超时")
    assert header[column - 1] == "超期案件" and column == 3 + list(KPI_LABELS).index(
        "overdue_contact"
    )
    kpis = _kpis(api_client, county, COUNTY)
    figures = {row[2]: row[column] for row in table[1:]}
    assert figures[TOWN] > 0 and figures[OTHER_TOWN] > 0
    assert figures == {code: kpis[code]["overdue_contact"] for code in figures}
    assert set(figures) == set(kpis)
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True)}
    said = next(line for line in summary["说明"].splitlines() if line.startswith("简报："))
    assert "联系超时为尚未受理" in said and "联系时限 … 已过" in said
    assert "超期案件、联系超时、近期热点（按周）" in said  # as at generation
