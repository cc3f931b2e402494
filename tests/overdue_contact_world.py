"""12345 orders past their 联系时限, as the 联系超时 tests make them.

The 联系超时 card (``kpis.overdue_contact`` of /api/command), its list
(``GET /api/cases?stage=overdue_contact``) and the brief's column count the open cases nobody
has taken up whose 联系时限 (2 days for a 12345 dispute) passed. Their tests register such
orders through the API, in the test world (:mod:`tests.workflow_data`) or on the served demo,
and read the feed's figures; the set-up lives here once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from sqlalchemy import text

from tests.conftest import SuiteDatabase
from tests.workflow_data import COUNTY, township, village

TOWN, OTHER_TOWN, FAR_TOWN = township(300), township(400), township(100, "520425")
Headers = Callable[[str], dict[str, str]]

USERS = {
    "disp": ("dispatcher", TOWN),
    "disp_other": ("dispatcher", OTHER_TOWN),
    "disp_far": ("dispatcher", FAR_TOWN),
    "cmd_county": ("commander", COUNTY),
    "dept": ("department", COUNTY),  # named {prefix}_dept, as a dispatch names its department
}
"""The accounts of :func:`tests.workflow_data.world_accounts` the world's cases are made by."""


def register(
    client: httpx2.Client, who: dict[str, str], area: str, subcategory: str, days_ago: float
) -> dict[str, Any]:
    """Register a 12345 dispute of ``area`` reported ``days_ago`` days ago (联系时限 2 days)."""
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


def dispatch_to_department(
    client: httpx2.Client, who: dict[str, str], case: dict[str, Any], department: str
) -> Any:
    """Triage ``case`` and dispatch it to ``department`` as ``who``; return the case."""
    url = f"/api/cases/{case['id']}"
    triaged = client.post(f"{url}/actions/triage", json={"version": case["version"]}, headers=who)
    assert triaged.status_code == 200, triaged.text
    sent = client.post(
        f"{url}/dispatch",
        json={"department": department, "version": triaged.json()["version"]},
        headers=who,
    )
    assert sent.status_code == 200, sent.text
    return sent.json()


def make_cases(
    client: httpx2.Client, users: Headers, database: SuiteDatabase, prefix: str
) -> dict[str, int]:
    """Make the cases of the township, its neighbour and another county, late or not.

    Reported three days ago, their 联系时限 passed: ``waiting`` (for 分流, village 1) and
    ``sent`` (dispatched to the department, not 受理'd, village 2) of the township, ``other`` of
    its neighbour (in the county's area, not the township's) and ``far`` of another county (in
    neither). Not late: ``fresh`` (reported now), ``taken`` (受理'd in time, its 联系时限
    passed since, which is not waited for) and ``returned`` (受理'd in time, then 退回'd: back
    at 已分流, its 联系时限 met once all the same; a trial saw such cases counted).

    Parameters
    ----------
    client : httpx2.Client
        The API's client (Bearer headers: no cookie is sent).
    users : callable
        Bearer headers of :data:`USERS` by key, the accounts named ``{prefix}_{key}``.
    database : tests.conftest.SuiteDatabase
        The suite's database (the owner moves ``taken``'s 联系时限).
    prefix : str
        The module's prefix of account names.

    Returns
    -------
    dict of str to int
        Case id by the names above.
    """
    disp, department = users("disp"), f"{prefix}_dept"
    waiting = register(client, disp, village(300, 1), "neighbours", days_ago=3)
    sent = dispatch_to_department(
        client, disp, register(client, disp, village(300, 2), "land", days_ago=3), department
    )
    fresh = register(client, disp, village(300, 1), "labour_wages", days_ago=0)
    taken = dispatch_to_department(
        client,
        disp,
        register(client, disp, village(300, 2), "marriage_family", days_ago=0),
        department,
    )
    accepted = client.post(
        f"/api/cases/{taken['id']}/actions/accept",
        json={"version": taken["version"]},
        headers=users("dept"),
    )
    assert accepted.status_code == 200, accepted.text
    returned = dispatch_to_department(
        client, disp, register(client, disp, village(300, 1), "land", days_ago=0), department
    )
    for step, note in (("accept", None), ("return", "非本部门职责，请改派")):
        done = client.post(
            f"/api/cases/{returned['id']}/actions/{step}",
            json={"version": returned["version"], "note": note},
            headers=users("dept"),
        )
        assert done.status_code == 200, done.text
        returned = done.json()
    with database.owner.begin() as conn:  # their 联系时限 pass after the 受理: not counted
        conn.execute(
            text(
                "UPDATE cases SET contact_deadline = now() - interval '1 hour' WHERE id = ANY(:ids)"
            ),
            {"ids": [taken["id"], returned["id"]]},
        )
    other = register(client, users("disp_other"), village(400, 1), "neighbours", days_ago=3)
    far = register(client, users("disp_far"), village(100, 1, "520425"), "land", days_ago=3)
    return {
        "waiting": waiting["id"],
        "sent": sent["id"],
        "fresh": fresh["id"],
        "taken": taken["id"],
        "returned": returned["id"],
        "other": other["id"],
        "far": far["id"],
    }


def kpis(
    client: httpx2.Client, who: dict[str, str], code: str, parts: str = "all"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read the command feed of ``code``: the KPIs of the unit and each child by code, the feed."""
    response = client.get(f"/api/command/{code}", params={"parts": parts}, headers=who)
    assert response.status_code == 200, response.text
    feed = response.json()
    return {c["code"]: c["kpis"] for c in [feed["unit"], *feed["children"]]}, feed
