# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""联系超时 beside 超期案件 in /api/command: the queue's red 「联系时限 … 已过」, counted.

A user trial (a township's commander) read 超期案件 0 on the command page and the big screen
while the queue showed 8 imported 12345 orders marked red 「联系时限 … 已过」: the card counts
the 办结时限 only. The feed now gives ``overdue_contact`` too, the cases nobody has taken up
whose 联系时限 passed, by the rule of the mark (:func:`layers.urgency.contact_passed`), scoped
as the other KPIs: the unit's whole area, every level. Figures are read before and after the
cases are made, so that other cases of the shared world do not matter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.settings import ApiSettings
from layers import urgency
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
    "dept": ("department", COUNTY),  # named oc_dept, as a dispatch names its department
}


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    with world_accounts(database, USERS, "oc") as ids:
        yield bearer_of(api_settings, ids)


def _kpis(client: TestClient, who: dict[str, str], code: str, parts: str = "all") -> Any:
    """The feed's unit and children KPIs by code."""
    response = client.get(f"/api/command/{code}", params={"parts": parts}, headers=who)
    assert response.status_code == 200, response.text
    feed = response.json()
    return {c["code"]: c["kpis"] for c in [feed["unit"], *feed["children"]]}, feed


def _register(
    client: TestClient, who: dict[str, str], area: str, subcategory: str, days_ago: float
) -> dict[str, Any]:
    """A 12345 dispute of ``area`` reported ``days_ago`` days ago."""
    made = client.post(
        "/api/cases",
        json={
            "channel": "hotline_12345",
            "category": "dispute",
            "subcategory": subcategory,
            "title": f"联系超时测试：{subcategory}",
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
        json={"department": "oc_dept", "version": triaged.json()["version"]},
        headers=who,
    )
    assert sent.status_code == 200, sent.text
    return sent.json()


def test_a_case_past_its_contact_deadline_counts_where_it_lies_and_one_taken_up_does_not(
    api_client: TestClient, users: Headers, database: SuiteDatabase
) -> None:
    client, disp, county = api_client, users("disp"), users("cmd_county")
    before, _ = _kpis(client, disp, TOWN)
    county_before, _ = _kpis(client, county, COUNTY)

    # the township's: one waiting for 分流 and one dispatched and not 受理'd, both reported
    # three days ago (联系时限 2 days); one reported now; one 受理'd in time, its limit passed since
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
    with database.owner.begin() as conn:  # its 联系时限 passes after the 受理, not waited for
        conn.execute(
            text("UPDATE cases SET contact_deadline = now() - interval '1 hour' WHERE id = :id"),
            {"id": taken["id"]},
        )
    # out of the township's scope: its neighbour's (in the county's), another county's (neither)
    _register(client, users("disp_other"), village(400, 1), "neighbours", days_ago=3)
    _register(client, users("disp_far"), village(100, 1, "520425"), "neighbours", days_ago=3)

    after, feed = _kpis(client, disp, TOWN)
    assert after[TOWN]["overdue_contact"] - before[TOWN]["overdue_contact"] == 2
    assert after[TOWN]["overdue"] == before[TOWN]["overdue"]  # the 办结时限 runs yet
    by_village = {
        code: after[code]["overdue_contact"] - before[code]["overdue_contact"]
        for code in (village(300, 1), village(300, 2))
    }
    assert by_village == {village(300, 1): 1, village(300, 2): 1}
    # the cases counted are those the queue marks: not taken up, the 联系时限 passed
    now = datetime.now(UTC)
    rows = {c["id"]: c for c in feed["queue"]}
    marked = {
        i
        for i, c in rows.items()
        if c["state"] in urgency.NOT_TAKEN_UP
        and c["contact_deadline"] is not None
        and datetime.fromisoformat(c["contact_deadline"]) <= now
    }
    assert {waiting["id"], sent["id"]} <= marked
    assert rows[sent["id"]]["state"] == "dispatched"
    assert fresh["id"] not in marked and rows[taken["id"]]["state"] == "accepted"
    assert taken["id"] not in marked
    # a live case event's read gives the same figure
    cases_only, _ = _kpis(client, disp, TOWN, parts="cases")
    assert cases_only[TOWN]["overdue_contact"] == after[TOWN]["overdue_contact"]

    county_after, _ = _kpis(client, county, COUNTY)
    changed = {
        code: county_after[code]["overdue_contact"] - county_before[code]["overdue_contact"]
        for code in (COUNTY, TOWN, OTHER_TOWN)
    }
    assert changed == {COUNTY: 3, TOWN: 2, OTHER_TOWN: 1}
