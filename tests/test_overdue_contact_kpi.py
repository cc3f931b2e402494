# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""联系超时 beside 超期案件 in /api/command, the cases behind it and the 简报's column.

A user trial (a township's commander) read 超期案件 0 on the command page and the big screen
while the queue showed 8 imported 12345 orders marked red 「联系时限 … 已过」: the card counts
the 办结时限 only. The feed now gives ``overdue_contact`` too, the cases nobody has taken up
whose 联系时限 passed, by the rule of the mark (:func:`layers.urgency.contact_passed`), scoped
as the other KPIs: the unit's whole area, every level. Figures are read before and after the
cases are made, so that other cases of the shared world do not matter.

Clicking 超期案件 opens the area's overdue cases; 联系超时 opened nothing an operator could act
on, and the brief (brief.xlsx) had no column for it. ``GET /api/cases?stage=overdue_contact``
holds the cases the card counts, as many as the figure for the township and for the county
(whose township rows each equal their list); the brief writes the figure beside 超期案件 and
says what it counts in its 说明. The cases are made once for the module
(:func:`tests.overdue_contact_world.make_cases`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.settings import ApiSettings
from layers import urgency
from layers.command import KPI_LABELS
from tests.api_fixtures import bearer_of
from tests.conftest import SuiteDatabase
from tests.overdue_contact_world import (
    FAR_TOWN,
    OTHER_TOWN,
    TOWN,
    USERS,
    Headers,
    kpis,
    make_cases,
)
from tests.workflow_data import COUNTY, village, world_accounts

Figures = dict[str, Any]


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    with world_accounts(database, USERS, "oc") as ids:
        yield bearer_of(api_settings, ids)


@pytest.fixture(scope="module")
def before(api_app_client: TestClient, users: Headers) -> tuple[Figures, Figures]:
    """The township's and the county's feed KPIs before the cases are made."""
    town, _ = kpis(api_app_client, users("disp"), TOWN)  # Bearer headers: no cookie is sent
    county, _ = kpis(api_app_client, users("cmd_county"), COUNTY)
    return town, county


@pytest.fixture(scope="module")
def made(
    api_app_client: TestClient,
    users: Headers,
    database: SuiteDatabase,
    before: tuple[Figures, Figures],  # read first
) -> dict[str, int]:
    """Cases of the township, its neighbour and another county, past their 联系时限 or not."""
    return make_cases(api_app_client, users, database, "oc")


def _listed(client: TestClient, who: dict[str, str], code: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/cases",
        params={"stage": "overdue_contact", "code": code, "limit": "1000"},
        headers=who,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_case_past_its_contact_deadline_counts_where_it_lies_and_one_taken_up_does_not(
    api_client: TestClient,
    users: Headers,
    before: tuple[Figures, Figures],
    made: dict[str, int],
) -> None:
    # made: the township's one waiting for 分流 and one dispatched and not 受理'd, both reported
    # three days ago (联系时限 2 days), one reported now, one 受理'd in time, its limit passed
    # since; out of the township's scope its neighbour's (in the county's), another county's
    # (neither)
    client, disp, county = api_client, users("disp"), users("cmd_county")
    town_before, county_before = before
    after, feed = kpis(client, disp, TOWN)
    assert after[TOWN]["overdue_contact"] - town_before[TOWN]["overdue_contact"] == 2
    assert after[TOWN]["overdue"] == town_before[TOWN]["overdue"]  # the 办结时限 runs yet
    by_village = {
        code: after[code]["overdue_contact"] - town_before[code]["overdue_contact"]
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
        and not c["taken_up"]
        and c["contact_deadline"] is not None
        and datetime.fromisoformat(c["contact_deadline"]) <= now
    }
    assert {made["waiting"], made["sent"]} <= marked
    assert rows[made["sent"]]["state"] == "dispatched"
    assert made["fresh"] not in marked and rows[made["taken"]]["state"] == "accepted"
    assert made["taken"] not in marked
    # 受理'd, then 退回'd: waiting again, its 联系时限 met once (a trial saw it counted)
    returned = rows[made["returned"]]
    assert (returned["state"], returned["taken_up"]) == ("triaged", True)
    assert made["returned"] not in marked
    detail = client.get(f"/api/cases/{made['returned']}", headers=disp).json()
    assert detail["latest"]["taken_up"] is True
    # a live case event's read gives the same figure
    cases_only, _ = kpis(client, disp, TOWN, parts="cases")
    assert cases_only[TOWN]["overdue_contact"] == after[TOWN]["overdue_contact"]

    county_after, _ = kpis(client, county, COUNTY)
    changed = {
        code: county_after[code]["overdue_contact"] - county_before[code]["overdue_contact"]
        for code in (COUNTY, TOWN, OTHER_TOWN)
    }
    assert changed == {COUNTY: 3, TOWN: 2, OTHER_TOWN: 1}


def test_the_list_holds_the_cases_the_contact_overdue_card_counts(
    api_client: TestClient, users: Headers, made: dict[str, int]
) -> None:
    client, disp, county = api_client, users("disp"), users("cmd_county")
    town_kpis, _ = kpis(client, disp, TOWN)
    town = _listed(client, disp, TOWN)
    assert len(town) == town_kpis[TOWN]["overdue_contact"] > 0
    ids = [c["id"] for c in town]
    assert {made["waiting"], made["sent"]} <= set(ids)
    assert not {made["fresh"], made["taken"], made["returned"], made["other"], made["far"]} & set(
        ids
    )
    # each by the queue's mark: nobody has taken it up and its 联系时限 passed; the longest first
    now = datetime.now(UTC)
    assert all(c["state"] in urgency.NOT_TAKEN_UP for c in town)
    deadlines = [datetime.fromisoformat(c["contact_deadline"]) for c in town]
    assert all(d <= now for d in deadlines) and deadlines == sorted(deadlines)

    # the county's: its own figure, and each township's from above, as many as their rows say
    county_kpis, _ = kpis(client, county, COUNTY)
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
    county_kpis, _ = kpis(api_client, county, COUNTY)
    figures = {row[2]: row[column] for row in table[1:]}
    assert figures[TOWN] > 0 and figures[OTHER_TOWN] > 0
    assert figures == {code: county_kpis[code]["overdue_contact"] for code in figures}
    assert set(figures) == set(county_kpis)
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True)}
    said = next(line for line in summary["说明"].splitlines() if line.startswith("简报："))
    assert "联系超时为尚未受理" in said and "联系时限 … 已过" in said
    assert "超期案件、联系超时、近期热点（按周）" in said  # as at generation
