"""A page of a unit outside the account's scope says so (trial AQ m6), in headless Chromium.

A village's commander who opened the township's 调度台 saw an empty desk titled 「本级」, and
its 指挥调度 「加载失败：辖区 530424…」 under cards of 「—」; the trends page said it plainly.
Both pages now say what the trends page says, with a link to the same page of the account's
own unit.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

TOWNSHIP = "530424001000"
VILLAGE = "530424001001"


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["dispatch", "console"])
def test_a_unit_outside_the_scope_is_refused_with_a_way_back(
    page: RecordedPage, console_demo: ConsoleDemo, kind: str
) -> None:
    origin = console_demo.origin
    user = console_demo.username("commander", VILLAGE)
    login(page, origin, user, next_path=f"/{kind}/{TOWNSHIP}")
    page.wait_for_url(f"**/{kind}/{TOWNSHIP}")
    said = page.locator("#zz-refused-text")
    expect(said).to_have_text(f"辖区 {TOWNSHIP} 不存在或不在您的管辖范围内")
    expect(page.locator(".zz-main > :not(#zz-refused)").first).to_be_hidden()
    home = page.locator("#zz-refused-home")
    expect(home).to_have_attribute("href", f"/{kind}/{VILLAGE}")
    page.screenshot_step(f"refused-{kind}")
    home.click()
    page.wait_for_url(f"**/{kind}/{VILLAGE}")
    expect(said).to_have_count(0)
    page.assert_clean(origin, expected_errors=(r"status of 404",))
