"""The console's ways on, its loading state and the city's fit, on the served 华宁县 demo.

* Trial AM N12: the case page and the 调度台 offer 研判分析 and 大屏模式 (and the case page
  调度台) as the command page does, to the roles it offers them to.
* Trial AN N3: the command page says 加载中… until its feed is drawn, and 加载失败 if it fails;
  its legend shows no empty box meanwhile (trial AP m10).
* Trial AN N4: at 1366×768 with the layer panel opened, the city's one county is not under it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage, held_requests
from tests.console_fixtures import ConsoleDemo, element_on_map, log_out, login, unit_on_map
from tests.test_console_dispatch import _desk

COUNTY = "530424000000"
CITY = "530400000000"
FEED = re.compile(rf"/api/command/{CITY}$")


def _county_case(demo: ConsoleDemo, township: str | None = None) -> int:
    """A demo case of the county (of ``township`` if given), by SQL."""
    prefix = (township or COUNTY)[: 9 if township else 6]
    with demo.owner.connect() as conn:
        case_id = conn.execute(
            text("SELECT min(id) FROM cases WHERE area_code LIKE :prefix"),
            {"prefix": prefix + "%"},
        ).scalar_one()
    assert case_id is not None
    return int(case_id)


def _assert_ways(page: RecordedPage, code: str, *, desk: bool) -> None:
    """研判分析 and 大屏模式 of ``code`` shown, 调度台 too if ``desk``."""
    expect(page.locator("#zz-trends-link")).to_be_visible()
    expect(page.locator("#zz-trends-link")).to_have_attribute("href", f"/trends/{code}")
    expect(page.locator("#zz-screen-link")).to_be_visible()
    expect(page.locator("#zz-screen-link")).to_have_attribute("href", f"/screen/{code}")
    if desk:
        expect(page.locator("#zz-dispatch-link")).to_be_visible()
        expect(page.locator("#zz-dispatch-link")).to_have_attribute("href", f"/dispatch/{code}")


@pytest.mark.browser
def test_the_case_page_offers_the_command_pages_ways_on(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    case_id = _county_case(demo)
    login(page, demo.origin, demo.username("commander", COUNTY), next_path=f"/cases/{case_id}")
    page.wait_for_url(f"**/cases/{case_id}")
    expect(page.locator("#cz-content")).to_be_visible()
    _assert_ways(page, COUNTY, desk=True)
    page.screenshot_step("1-case-county-commander")
    page.click("#zz-trends-link")
    page.wait_for_url(f"{demo.origin}/trends/{COUNTY}")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_desk_and_its_cases_offer_the_ways_on_and_not_to_a_grid_worker(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    worker_login, _worker_id, village, _status, dispatcher, _spot = _desk(demo)
    township = village[:9] + "000"
    login(page, demo.origin, dispatcher, next_path=f"/dispatch/{township}")
    page.wait_for_url(f"**/dispatch/{township}")
    _assert_ways(page, township, desk=False)
    assert page.locator("#zz-dispatch-link").count() == 0  # it is the 调度台
    page.screenshot_step("1-desk")
    case_id = _county_case(demo, township)
    page.goto(f"{demo.origin}/cases/{case_id}")
    expect(page.locator("#cz-content")).to_be_visible()
    _assert_ways(page, township, desk=False)
    expect(page.locator("#zz-dispatch-link")).to_be_hidden()  # his breadcrumb is the 调度台
    expect(page.locator("#cz-back")).to_have_attribute("href", f"/dispatch/{township}")
    page.screenshot_step("2-case-dispatcher")

    log_out(page)
    login(page, demo.origin, worker_login, next_path=f"/dispatch/{village}?new=1")
    page.wait_for_url(f"**/dispatch/{village}?new=1")
    expect(page.locator("#dz-register-title")).to_contain_text("上报事件")  # his account read
    expect(page.locator("#zz-trends-link")).to_be_hidden()
    expect(page.locator("#zz-screen-link")).to_be_hidden()
    page.assert_clean(demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_the_city_page_says_it_is_loading_until_its_feed_is_drawn_and_fits_beside_its_panel(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial AN N3 and N4 on one city page at 1366×768 (one login and page load for both).

    加载中… until the feed is drawn, no empty legend meanwhile (AP m10); then, drawn, the layer
    panel folded at 1366 (AM N6) and, opened, the city's one county beside it, not under it;
    folded again, the map fitted to the room it has.
    """
    demo = console_demo
    loading = page.locator("#zz-loading")
    with held_requests(page, FEED) as feed:
        login(page, demo.origin, demo.username("commander", CITY), next_path=f"/console/{CITY}")
        page.wait_for_url(f"**/console/{CITY}")
        feed.wait_held()
        expect(loading).to_be_visible()
        expect(loading).to_contain_text("加载中…")
        expect(page.locator("#zz-kpis .zz-kpi-value").first).to_have_text("—")
        # the legend, empty until the feed is drawn, is no white box at the map's corner (AP m10)
        expect(page.locator("#zz-legend")).to_be_hidden()
        page.screenshot_step("1-loading")
        feed.release()
        page.wait_for_function("window.zzReady === true")
    expect(loading).to_be_hidden()
    expect(page.locator("#zz-legend")).to_be_visible()
    expect(page.locator("#zz-kpis .zz-kpi-value").first).not_to_have_text("—")
    page.assert_clean(demo.origin)

    # trial AN N4: the city's county beside the opened layer panel
    fold = page.locator("#zz-layer-fold")
    expect(fold).to_have_attribute("aria-expanded", "false")  # folded at 1366 (trial AM N6)
    fold.click()
    expect(page.locator("#zz-layer-body")).to_be_visible()
    county, panel = unit_on_map(page, demo, COUNTY), element_on_map(page, "#zz-layer-panel")
    page.screenshot_step("1-panel-open")
    assert county["left"] >= 0 and county["top"] >= 0, county
    assert county["right"] <= county["width"] and county["bottom"] <= county["height"], county
    beside = county["right"] <= panel["left"] or county["top"] >= panel["bottom"]
    assert beside, (county, panel)
    # folded again, the map is fitted to the room it has
    fold.click()
    expect(page.locator("#zz-layer-body")).to_be_hidden()
    folded = element_on_map(page, "#zz-layer-panel")
    county = unit_on_map(page, demo, COUNTY)
    assert county["right"] <= folded["left"] or county["top"] >= folded["bottom"], county
    page.assert_clean(demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_the_city_page_says_in_chinese_that_its_feed_failed(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    page.route(FEED, lambda route: route.fulfill(status=503, body=""))
    login(page, demo.origin, demo.username("commander", CITY), next_path=f"/console/{CITY}")
    page.wait_for_url(f"**/console/{CITY}")
    loading = page.locator("#zz-loading")
    expect(loading).to_contain_text("加载失败：请求失败（503）")
    expect(loading).to_have_attribute("role", "alert")
    expect(loading.locator(".spinner-border")).to_be_hidden()
    expect(page.locator("#zz-loading-retry")).to_have_text("重新加载")
    expect(page.locator("#zz-legend")).to_be_hidden()  # nothing drawn: no empty box (AP m10)
    page.screenshot_step("1-failed")
    page.unroute(FEED)
    page.click("#zz-loading-retry")
    page.wait_for_function("window.zzReady === true")
    expect(loading).to_be_hidden()
    page.assert_clean(demo.origin, expected_errors=(r"status of 503",))
