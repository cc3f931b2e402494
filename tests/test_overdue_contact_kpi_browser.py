"""联系超时 beside 超期案件 on the command page and the big screen, over the served demo county.

A user trial (宁州街道's commander): the page and the wall said 超期案件 0 while the queue showed
8 imported 12345 orders marked red 「联系时限 … 已过」. Now a 联系超时 card stands beside 超期案件
with the feed's figure, red when above 0, as many as the queue's red marks where the township
holds every such case; on the wall, where nobody hovers, 超期案件 says 超过办结时限 under its
figure. Two orders reported three days ago (联系时限 2 days) are registered through the API.
Screenshots go to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.overdue_contact_world import dispatch_to_department, register
from tests.test_console_dispatch import _token

TOWN = "530424001000"  # 宁州街道
VILLAGES = ("530424001002", "530424001003")
TILE = "#zz-kpis .zz-kpi[data-kpi=overdue_contact]"
PASSED = re.compile(r"^联系时限 .+ 已过$")
"""The queue's red mark of a 联系时限 passed (common.js contactDue)."""


def _register_late_orders(demo: ConsoleDemo) -> list[int]:
    """Two 12345 orders of the township reported three days ago, nobody has taken up."""
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        desk = _token(client, demo.username("dispatcher", TOWN))
        made = [
            register(client, desk, village, subcategory, days_ago=3)
            for village, subcategory in zip(VILLAGES, ("neighbours", "land"), strict=True)
        ]
    assert {case["handling_level"] for case in made} == {4}  # the township's to handle
    return [case["id"] for case in made]


def _register_returned_order(demo: ConsoleDemo) -> int:
    """A 12345 order of the township 受理'd by 县人社局 and 退回'd, its 联系时限 passed since."""
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        desk = _token(client, demo.username("dispatcher", TOWN))
        bureau = _token(client, demo.username("department", demo.data.county_code))
        case = register(client, desk, VILLAGES[0], "labour_wages", days_ago=0)
        case = dispatch_to_department(client, desk, case, "县人社局")
        for step, note in (("accept", None), ("return", "非本部门职责，请改派")):
            done = client.post(
                f"/api/cases/{case['id']}/actions/{step}",
                json={"version": case["version"], "note": note},
                headers=bureau,
            )
            assert done.status_code == 200, done.text
            case = done.json()
    with demo.owner.begin() as conn:
        conn.execute(
            text("UPDATE cases SET contact_deadline = now() - interval '1 hour' WHERE id = :id"),
            {"id": case["id"]},
        )
    return int(case["id"])


def _open_console_with_late_orders(
    page: RecordedPage, demo: ConsoleDemo, code: str
) -> tuple[list[int], dict[str, Any], int]:
    """Register the late orders and open the console of ``code`` as its commander.

    Returns the orders' ids, the command feed the page reads and its 联系超时 figure, which
    counts the orders.
    """
    made = _register_late_orders(demo)
    login(page, demo.origin, demo.username("commander", code), next_path=f"/console/{code}")
    page.wait_for_function("window.zzReady === true")
    feed = page.evaluate(f"zz.api('/api/command/{code}')")
    figure = feed["unit"]["kpis"]["overdue_contact"]
    assert figure >= len(made)
    return made, feed, figure


@pytest.mark.browser
@pytest.mark.browser_viewport(1920, 1080)
def test_the_contact_overdue_card_shows_the_feeds_figure_beside_the_queues_red_marks(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    returned = _register_returned_order(demo)
    made, feed, figure = _open_console_with_late_orders(page, demo, TOWN)

    # beside 超期案件, the feed's figure, red; what it counts when pointed at
    cards = page.locator("#zz-kpis .zz-kpi").evaluate_all("(cs) => cs.map((c) => c.dataset.kpi)")
    assert cards[cards.index("overdue") + 1] == "overdue_contact"
    tile = page.locator(TILE)
    expect(tile.locator(".zz-kpi-label")).to_have_text("联系超时")
    expect(tile.locator(".zz-kpi-value")).to_have_text(str(figure))
    expect(tile).to_have_class(re.compile("zz-kpi-alarm"))
    expect(tile).to_have_attribute("title", re.compile("联系时限"))
    expect(page.locator("#zz-kpis .zz-kpi[data-kpi=overdue]")).to_have_attribute(
        "title", re.compile("超过办结时限")
    )
    # the orders registered are marked red in the queue, and the township holds every case
    # counted: as many red marks as the figure (the trial's 0 beside 8)
    for case_id in made:
        row = page.locator(f"#zz-queue-body > tr[data-case-id='{case_id}']")
        expect(row.locator(".zz-contact-soon.zz-past")).to_have_text(PASSED)
    expect(page.locator("#zz-queue-body .zz-contact-soon.zz-past")).to_have_count(figure)
    # 受理'd, then 退回'd: waiting at 已分流 again, its 联系时限 met once (a trial saw it red)
    row = page.locator(f"#zz-queue-body > tr[data-case-id='{returned}']")
    expect(row).to_have_count(1)
    expect(row.locator(".zz-contact-soon")).to_be_hidden()
    page.screenshot_step("1-console")

    # the wall: the same figure, and what each of the two counts under it
    page.goto(f"{demo.origin}/screen/{TOWN}")
    page.wait_for_function("window.zzReady === true")
    expect(page.locator(f"{TILE} .zz-kpi-value")).to_have_text(str(figure))
    expect(page.locator(f"{TILE} .zz-kpi-note")).to_have_text("未受理，已过联系时限")
    overdue = page.locator("#zz-kpis .zz-kpi[data-kpi=overdue]")
    expect(overdue.locator(".zz-kpi-value")).to_have_text(str(feed["unit"]["kpis"]["overdue"]))
    expect(overdue.locator(".zz-kpi-note")).to_have_text("超过办结时限")
    page.screenshot_step("2-wall")
