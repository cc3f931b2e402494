"""地址与位置不符 before 登记 on a phone (390×844, touch), on the 华宁县 demo (trial BC).

The phone registers through the 调度台's own form (dispatch.js), below the map, which stays on
top of the screen (sticky) while the form scrolls. A township's dispatcher, and a grid worker
through 上报事件, type an address naming another township at a point of their own and are
warned before 登记, within the screen. A 登记 without choosing is held and said why, but the
focus it gave 按现位置登记 scrolled the warning and both its buttons under the map: the phone
read 「请重新点选位置，或点“按现位置登记”」 with neither in sight. The warning now comes below the
map; 重新点选位置 takes a tap on the map, and 按现位置登记 registers the case marked.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk
from tests.test_console_phone import HEIGHT, WIDTH, _box
from tests.workflow_data import case_ids_titled, unit_names

TITLE = "手机地址核对测试：工业园区大门口聚集"


def _in_view(box: dict[str, float]) -> bool:
    """Whether a rectangle is displayed and lies within the phone's screen."""
    return (
        box["height"] > 0
        and box["top"] >= -1
        and box["bottom"] <= HEIGHT + 1
        and box["left"] >= 0
        and box["right"] <= WIDTH
    )


def _uncovered(page: RecordedPage, selector: str) -> bool:
    """Whether the centre of the first match is its own to a tap (nothing lies over it)."""
    hit: bool = page.evaluate(
        """(selector) => {
            const e = document.querySelector(selector), r = e.getBoundingClientRect();
            const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return at !== null && (at === e || e.contains(at));
        }""",
        selector,
    )
    return hit


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
@pytest.mark.parametrize("role", ["dispatcher", "grid_worker"])
def test_a_phone_warns_of_an_address_naming_another_township_before_registering(
    page: RecordedPage, console_demo: ConsoleDemo, role: str
) -> None:
    """The township's dispatcher on the desk, and the grid worker through 上报事件 (the form
    opened at once on his village's desk)."""
    demo = console_demo
    desk = _desk(demo)
    town = desk.village[:9] + "000"
    county = demo.data.county_code.ljust(12, "0")
    here, village_name = unit_names(demo.owner, town, desk.village)
    with demo.owner.connect() as conn:
        other = str(
            conn.execute(
                text(
                    "SELECT name FROM jurisdictions WHERE level = 4 AND code LIKE :county"
                    " AND code <> :town AND retired_on IS NULL"
                    " AND strpos(:here, name) = 0 AND strpos(name, :here) = 0"
                    " ORDER BY code LIMIT 1"
                ),
                {"county": county[:6] + "%", "town": town, "here": here},
            ).scalar_one()
        )
    if role == "dispatcher":
        login(page, demo.origin, desk.dispatcher)
        page.wait_for_url(f"{demo.origin}/dispatch/{town}")
        expect(page.locator("#dz-unit-name")).not_to_have_text("本级")
        page.locator("#dz-new").scroll_into_view_if_needed()
        page.locator("#dz-new").tap()
    else:
        login(page, demo.origin, desk.worker_login)
        page.wait_for_url(f"{demo.origin}/console/{desk.village}")
        report = page.locator("#zz-report-case")
        report.scroll_into_view_if_needed()
        report.tap()
        page.wait_for_url(f"{demo.origin}/dispatch/{desk.village}?new=1")
    expect(page.locator("#dz-register")).to_be_visible()
    page.fill("#dz-lon", str(desk.spot.lon))
    page.fill("#dz-lat", str(desk.spot.lat))
    page.dispatch_event("#dz-lat", "change")
    page.fill("#dz-title", TITLE)
    warning = page.locator("#dz-address-warning")
    expect(warning).to_be_hidden()
    page.fill("#dz-address", f"{other}老堡村工业园区大门口")
    expect(warning).to_be_visible()
    expect(page.locator("#dz-address-warning-text")).to_have_text(
        f"地址写的是{other}，位置在{here}{village_name}"
    )
    warning.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    for part in ("#dz-address-warning", "#dz-address-move", "#dz-address-keep"):
        box = _box(page, part)
        assert box["left"] >= 0 and box["right"] <= WIDTH, (part, box)
    for button in ("#dz-address-move", "#dz-address-keep"):
        assert _box(page, button)["height"] >= 30, button  # a finger can take it
    page.screenshot_step("1-warned")

    # 登记 without choosing: held, said why, the choice in view
    page.locator("#dz-register-submit").scroll_into_view_if_needed()
    page.locator("#dz-register-submit").tap()
    expect(page.locator("#dz-register-error")).to_have_text(
        "地址与位置不符：请重新点选位置，或点“按现位置登记”"
    )
    expect(page.locator("#dz-address-keep")).to_be_focused()
    page.wait_for_timeout(300)  # a smooth scroll settled
    page.screenshot_step("2-held")
    assert _in_view(_box(page, "#dz-address-keep"))
    assert _uncovered(page, "#dz-address-keep"), "the map lies over 按现位置登记"
    assert _uncovered(page, "#dz-address-warning"), "the map lies over the warning"
    assert case_ids_titled(demo.owner, TITLE) == []

    # 重新点选位置: the map on top of the screen takes the tap of the new point
    page.locator("#dz-address-move").tap()
    expect(page.locator("#dz-map-hint")).to_be_visible()
    page.wait_for_function(
        """() => {
            const r = document.querySelector('.dz-map .folium-map').getBoundingClientRect();
            return r.top >= -1 && r.top < window.innerHeight / 2;
        }""",
        timeout=5_000,
    )
    page.screenshot_step("3-map-in-view")
    lon, lat = desk.spot.lon + 0.0001, desk.spot.lat + 0.0001  # in the village still
    spot = page.evaluate(
        """([lat, lon]) => {
            const p = window.zzMap.latLngToContainerPoint([lat, lon]);
            return {x: p.x, y: p.y};
        }""",
        [lat, lon],
    )
    page.locator(".dz-map .folium-map").tap(position=spot)
    expect(page.locator("#dz-lon")).not_to_have_value(str(desk.spot.lon))
    # the address still names the other township: still warned, below the map
    expect(warning).to_be_visible()
    assert _uncovered(page, "#dz-address-keep"), "the map lies over 按现位置登记"
    page.screenshot_step("4-point-moved")

    # 按现位置登记: registered as it is, marked
    page.locator("#dz-address-keep").tap()
    if role == "grid_worker":  # his registration opens on its case page
        page.wait_for_url(re.compile(r"/cases/\d+$"))
        expect(page.locator("h1")).to_have_text(TITLE)
    else:
        expect(page.locator("#dz-case-title")).to_have_text(TITLE)
    ids = case_ids_titled(demo.owner, TITLE)
    assert len(ids) == 1, ids
    mark = "#cz-address-mismatch" if role == "grid_worker" else "#dz-case-address-mismatch"
    expect(page.locator(mark)).to_contain_text(f"地址与位置不符：地址写{other}，点位在{here}")
    page.screenshot_step("5-registered-marked")
    page.assert_clean(demo.origin)
