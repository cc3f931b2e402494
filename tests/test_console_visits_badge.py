"""The 走访 tab's badge reads the overdue count alone, without the places and workers to narrow to.

Headless Chromium on the 华宁县 demo. The badge is read as the command page opens (trial AS M3);
the places and the workers the list offers (counting the workers is most of the list's cost: at
a township about 0.16 s of the database's 0.22 s) are read only when the tab is opened.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

VISITS = "/api/persons/visits"


@pytest.mark.browser
def test_the_visits_badge_reads_the_count_without_the_lists_choices(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    township = next(
        item.scope_code
        for item in demo.report.logins
        if item.role == "commander"
        and item.scope_code.endswith("000")
        and item.scope_code[6:9] != "000"
    )
    login(page, demo.origin, demo.username("commander", township))
    page.wait_for_url(f"{demo.origin}/console/{township}")
    badge = page.locator("#zz-visits-count")
    expect(badge).to_be_visible(timeout=60_000)  # the page's first reads, on a busy machine
    # the full first page, as the tab reads it: the same count, and choices to offer
    full = page.evaluate(
        "(url) => fetch(url).then((r) => r.json())", VISITS + "?status=overdue&limit=1"
    )
    assert full["overdue"] > 0 and full["places"] and full["workers"]
    expect(badge).to_have_text(str(full["overdue"]))
    read = [url for url in page.requests if VISITS in url]
    assert len(read) == 2 and "choices=false" in read[0], read  # the badge's, then ours
    assert "choices" not in read[1]

    # the tab opened: its list offers the places and the workers
    page.click("#zz-visits-tab")
    expect(page.locator("#zz-visits-place option")).to_have_count(len(full["places"]) + 1)
    expect(page.locator("#zz-visits-worker option")).to_have_count(len(full["workers"]) + 1)
    listed = [url for url in page.requests if VISITS in url][2:]
    assert listed and all("choices" not in url for url in listed), listed
    expect(badge).to_have_text(str(full["overdue"]))
    page.assert_clean(demo.origin)
