"""A department's month counts the 办结 made in it, whenever the order reached the department.

The desk's 本部门办理情况 counted a month's 办结 among the orders received that month (by the
dispatch's date, 「按派给本部门的时间」): an order sent on the 30th and 办结'd on the 2nd was the
first month's 办结 and none of the second's, whose desk showed fewer 办结 than were made in it.
Its 办结 is now ``finished_in_window`` (:func:`layers.department_figures.finished_in`), by the
day of the 办结; the desk says so.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import httpx2
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.china_time import CHINA
from layers.database import apply_scope
from tests.api_fixtures import VILLAGES, ApiWorld, act
from tests.browser import RecordedPage
from tests.conftest import SuiteDatabase
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _token
from tests.test_department_figures import OWN, Headers, _dispatched, _ok


def _month(client: TestClient, headers: dict[str, str], first: str) -> tuple[int, int, int]:
    """The month's 收到 and 办结 of the bureau's row (as received), and its 办结 as made."""
    body = _ok(
        client.get(
            "/api/figures/departments", params={"period": "month", "date": first}, headers=headers
        )
    )
    row = next((r for r in body["rows"] if r["department"] == OWN), None)
    received, finished = (0, 0) if row is None else (row["received"], row["finished"])
    return int(received), int(finished), int(body["finished_in_window"])


def test_an_order_sent_in_one_month_and_finished_in_the_next_is_the_next_month_s_finished(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    made: list[int],
    database: SuiteDatabase,
) -> None:
    county, bureau = auth_headers("cmd_a"), auth_headers("dept_a")
    this_month = datetime.now(CHINA).date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    months = (last_month.isoformat(), this_month.isoformat())
    before = {m: _month(api_client, bureau, m) for m in months}
    case = _dispatched(api_client, county, made, VILLAGES[0], OWN)
    _ok(act(api_client, bureau, case, "accept"))
    _ok(act(api_client, bureau, case, "resolve", note="已协调支付", params={"outcome": "resolved"}))
    # sent and 受理'd on the last evening of last month (Beijing time), 办结'd today
    evening = datetime.combine(this_month - timedelta(days=1), time(20, 0), tzinfo=CHINA)
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        session.execute(
            text(
                "UPDATE dispatches SET assigned_at = :sent, accepted_at = :sent + interval '1 hour'"
                " WHERE case_id = :id"
            ),
            {"id": case, "sent": evening},
        )
    after = {m: _month(api_client, bureau, m) for m in months}
    change = {m: tuple(a - b for a, b in zip(after[m], before[m], strict=True)) for m in months}
    # received last month, and 办结 among last month's orders; 办结 in this month's count
    assert change[last_month.isoformat()] == (1, 1, 0)
    assert change[this_month.isoformat()] == (0, 0, 1)
    # the county's 部门考核 counts it alike (the desk's month is the county's row of the bureau)
    rated = _ok(
        api_client.get(
            "/api/figures/departments",
            params={"period": "month", "date": this_month.isoformat()},
            headers=county,
        )
    )
    assert rated["finished_in_window"] >= after[this_month.isoformat()][2]
    assert "办结按办结时间" in rated["finished_in_note"]


@pytest.mark.browser
def test_the_desk_says_its_finished_are_counted_by_the_day_of_the_finish(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county = demo.data.county_code
    department = demo.username("department", county)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        body = client.get("/api/figures/departments", headers=_token(client, department)).json()
    login(page, demo.origin, department)
    page.wait_for_url(f"**/desk/{county}")
    page.wait_for_function("window.zzReady === true")
    finished = page.locator("#dk-figures-values [data-key='finished']")
    expect(finished.locator(".dk-figure-value")).to_have_text(str(body["finished_in_window"]))
    expect(finished).to_contain_text("按办结时间计")
    expect(page.locator("#dk-figures-window")).to_have_text(
        re.compile(r"^统计时段 .+（办结按办结时间，其余按派给本部门的时间）$")
    )
    page.assert_clean(demo.origin)
