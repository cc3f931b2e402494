"""The 联系超时 card opens the cases it counts, as 超期案件 opens the overdue ones.

A user trial read 超期案件 0 beside 8 imported 12345 orders marked red 「联系时限 … 已过」; the
联系超时 card now counts them, but clicking it only coloured the map. Over the served demo
county, with two orders of 宁州街道 reported three days ago (联系时限 2 days), the county's
commander clicks 联系超时: the queue pane shows 辖区联系超时案件（各级）, as many cases as the
card says, the two among them, each marked red; none is in the county's own queue. Clicking
超期案件 then shows the overdue ones again. Screenshots go to
``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo
from tests.test_overdue_contact_kpi_browser import PASSED, _open_console_with_late_orders

COUNTY = "530424000000"
CARD = "#zz-kpis .zz-kpi[data-kpi={}]"


@pytest.mark.browser
@pytest.mark.browser_viewport(1920, 1080)
def test_the_contact_overdue_card_opens_the_cases_it_counts(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    made, feed, figure = _open_console_with_late_orders(page, console_demo, COUNTY)
    assert not {c["id"] for c in feed["queue"]} & set(made)  # the township's, not the county's

    card = page.locator(CARD.format("overdue_contact"))
    expect(card.locator(".zz-kpi-value")).to_have_text(str(figure))
    card.click()
    scope = page.locator("#zz-queue-scope")
    expect(scope).to_have_value("overdue_contact")
    expect(scope.locator("option:checked")).to_have_text("辖区联系超时案件（各级）")
    rows = page.locator("#zz-queue-body > tr[data-case-id]")
    expect(rows).to_have_count(figure)
    expect(page.locator("#zz-queue-count")).to_have_text(str(figure))
    for case_id in made:
        row = page.locator(f"#zz-queue-body > tr[data-case-id='{case_id}']")
        expect(row.locator(".zz-contact-soon.zz-past")).to_have_text(PASSED)
    # every case listed is one the queue marks red: nobody took it up in its 联系时限
    expect(page.locator("#zz-queue-body .zz-contact-soon.zz-past")).to_have_count(figure)
    expect(page.locator("#zz-kpi-select")).to_have_value("overdue_contact")  # the map too
    page.screenshot_step("1-contact-overdue")

    # 超期案件 opens its own list again
    page.locator(CARD.format("overdue")).click()
    expect(scope).to_have_value("overdue")
    overdue = page.evaluate(f"zz.api('/api/cases?stage=overdue&limit=300&code={COUNTY}')")
    expect(rows).to_have_count(len(overdue))
    page.screenshot_step("2-overdue")
