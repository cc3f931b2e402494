"""The 调度台 asks its lists and its unit's outline beside ``/api/me``, and draws them only then.

Session 49: the desk waited for the account (``/api/me``), whose scope its refusal of another
unit's desk needs, before it asked its lists (``/api/cases/stages``) and outline. Now both go
out beside ``/api/me``; their answers are drawn once the account's scope holds the unit, and
dropped when it does not: another township's dispatcher still sees the refusal alone, without a
toast, a list or the desk's other reads. ``/api/me`` is held with a Playwright route to show the
order without timing anything. Headless Chromium on the 华宁县 demo (``console_demo``).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage, held_requests
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch_returned import TOASTS_SEEN

TOWN = "530424001000"
ME = re.compile(r".*/api/me$")
STAGES = "/api/cases/stages"
OUTLINE = f"/api/console/{TOWN}/outline"
NOTICES = "/api/persons/cross-scope-notices"
COUNTS = "[id^=dz-count-]"


def _api_paths(page: RecordedPage) -> Counter[str]:
    """The paths of the page's API requests recorded so far."""
    return Counter(urlsplit(u).path for u in page.requests if "/api/" in u)


def _wait_answered(page: RecordedPage, paths: set[str]) -> None:
    """Wait until the page has the answers of ``paths`` (held reads are not answered)."""
    deadline = time.monotonic() + 15
    script = (
        "(paths) => paths.every((p) => performance.getEntriesByType('resource')"
        ".some((e) => new URL(e.name).pathname === p && e.responseEnd > 0))"
    )
    while not page.evaluate(script, sorted(paths)):
        assert time.monotonic() < deadline, sorted(_api_paths(page))
        page.wait_for_timeout(20)


@pytest.mark.browser
def test_the_desk_asks_its_lists_and_outline_beside_the_account(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("dispatcher", TOWN))
    page.wait_for_url(f"{origin}/dispatch/{TOWN}")
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
    page.requests.clear()
    with held_requests(page, ME) as me:
        page.goto(f"{origin}/dispatch/{TOWN}", wait_until="commit")
        me.wait_held()
        # the lists and the outline answered while /api/me is held, and not drawn yet
        _wait_answered(page, {STAGES, OUTLINE})
        assert len(me.held) == 1
        assert set(page.locator(COUNTS).all_inner_texts()) == {"0"}  # the template's
        expect(page.locator("#dz-unit-name")).to_have_text("本级")
        assert _api_paths(page)[NOTICES] == 0  # the account's role says whether
    # drawn once the account has answered, each read made once
    expect(page.locator("#dz-visits-link")).to_be_visible()
    page.locator('[data-filter="all"]').click()
    rows = page.locator("#dz-queue-list li.dz-case-item")
    expect(rows.first).to_be_visible()
    assert set(page.locator(COUNTS).all_inner_texts()) != {"0"}
    page.wait_for_load_state("networkidle")
    asked = _api_paths(page)
    assert asked.pop("/api/events", 0) <= 1  # the live stream, opened once the desk starts
    assert asked == Counter({"/api/me", STAGES, OUTLINE, NOTICES}), sorted(asked.items())

    # what it draws is the API's: the unit's name and the cases of its lists
    outline = page.evaluate(f"zz.api('{OUTLINE}')")
    unit = next(f for f in outline["features"] if f["properties"]["role"] == "unit")
    expect(page.locator("#dz-unit-name")).to_have_text(unit["properties"]["name"])
    listed = page.evaluate(
        f"zz.api('{STAGES}?code={TOWN}&limit=200&stage=queue&stage=closing&stage=escalated')"
    )
    ids = {c["id"] for stage in listed.values() for c in stage}
    drawn = {int(i) for i in rows.evaluate_all("(li) => li.map((x) => x.dataset.caseId)")}
    assert drawn and drawn <= ids, (drawn - ids, len(ids))
    page.assert_clean(origin)


@pytest.mark.browser
def test_another_townships_dispatcher_sees_the_refusal_and_nothing_of_its_desk(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    other = next(
        account
        for account in demo.report.logins
        if account.role == "dispatcher"
        and account.scope_code[9:] == "000"
        and account.scope_code != TOWN
    )
    page.add_init_script(TOASTS_SEEN)  # every red toast, kept once it has faded
    login(page, demo.origin, other.username)
    page.wait_for_url(f"{demo.origin}/dispatch/{other.scope_code}")
    page.goto("about:blank")
    page.requests.clear()
    with held_requests(page, ME) as me:
        page.goto(f"{demo.origin}/dispatch/{TOWN}", wait_until="commit")
        me.wait_held()
        # asked beside /api/me, and refused by the API before the account has answered
        _wait_answered(page, {STAGES, OUTLINE})
        assert len(me.held) == 1
    said = page.locator("#zz-refused-text")
    expect(said).to_have_text(f"辖区 {TOWN} 不存在或不在您的管辖范围内")
    expect(page.locator("#zz-refused-home")).to_have_attribute(
        "href", f"/dispatch/{other.scope_code}"
    )
    page.wait_for_load_state("networkidle")
    # nothing of the desk: no list, no toast, no 本级, no live stream nor notices asked
    assert page.locator("#dz-queue-list li").count() == 0
    expect(page.locator(".zz-main > :not(#zz-refused)").first).to_be_hidden()
    expect(page.locator(".breadcrumb")).not_to_contain_text("本级")
    assert page.evaluate("window.zzDangerToasts") == []
    assert _api_paths(page) == Counter({"/api/me", STAGES, OUTLINE}), sorted(_api_paths(page))
    page.assert_clean(demo.origin, expected_errors=(r"status of 404",))
