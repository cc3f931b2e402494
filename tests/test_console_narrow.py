"""The console at 900×800: a tablet, a browser window half a screen wide, on the 华宁县 demo.

Between a phone (768 px and less) and a desktop (from 1100 px) the pages kept their desktop
panels over a map half the width or less: 研判分析's tools and legend covered the whole map and
its fit, padded for them, zoomed to 50 m with nothing in view; 调度台's three columns left the map
200 px wide; 指挥调度's clock ran into the breadcrumbs. There the legend and the layer panel now
fold behind 图层 and 图例 as on a phone, the map fits the unit to its width, and the desk sets
the map over the selected case beside the queue. Screenshots go to
``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login, open_trends_as_analyst, unit_on_map
from tests.test_console_dispatch import _desk
from tests.test_console_phone import _box, _overlap

WIDTH, HEIGHT = 900, 800


def _assert_fitted(box: dict[str, float]) -> None:
    """The unit wholly in the map, and filling a good part of it."""
    assert box["left"] >= 0 and box["top"] >= 0, box
    assert box["right"] <= box["width"] and box["bottom"] <= box["height"], box
    wide = (box["right"] - box["left"]) / box["width"]
    high = (box["bottom"] - box["top"]) / box["height"]
    assert max(wide, high) >= 0.5, box


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_trends_map_fits_the_county_with_its_panels_folded(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """研判分析: the county in view, the tools and the legend behind 图层 and 图例."""
    demo = console_demo
    _, county = open_trends_as_analyst(page, demo)
    page.wait_for_timeout(500)  # the fit's zoom settled
    expect(page.locator("#trend-tools")).to_be_hidden()
    expect(page.locator("#trend-legend")).to_be_hidden()
    _assert_fitted(unit_on_map(page, demo, county))
    page.screenshot_step("1-fitted")
    page.click(".zz-trends-map [data-zz-toggle='legend']")
    expect(page.locator("#trend-legend")).to_be_visible()
    legend, slider = _box(page, "#trend-legend"), _box(page, ".zz-trends-slider")
    assert not _overlap(legend, slider), (legend, slider)
    page.screenshot_step("2-legend-open")
    page.click(".zz-trends-map [data-zz-toggle='layers']")
    expect(page.locator("#trend-tools")).to_be_visible()
    expect(page.locator("#trend-legend")).to_be_hidden()
    page.assert_clean(demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_command_view_and_the_desk_leave_the_map_room(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """指挥调度: panels folded, the top bar on one line; 调度台: the map over the case."""
    demo = console_demo
    county = demo.data.county_code.ljust(12, "0")
    login(page, demo.origin, demo.username("commander", county))
    page.wait_for_url(f"{demo.origin}/console/{county}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    page.wait_for_timeout(500)
    expect(page.locator("#zz-layer-panel")).to_be_hidden()
    expect(page.locator("#zz-legend")).to_be_hidden()
    expect(page.locator("#zz-clock")).to_be_hidden()
    _assert_fitted(unit_on_map(page, demo, county))
    crumbs, links = _box(page, ".zz-topbar .breadcrumb"), _box(page, "#zz-trends-link")
    assert crumbs["right"] <= links["left"], (crumbs, links)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    page.screenshot_step("1-command")

    _, _, village, _, dispatcher, _spot = _desk(demo)
    township = village[:9] + "000"
    log_out(page)
    login(page, demo.origin, dispatcher, next_path=f"/dispatch/{township}")
    page.wait_for_url(f"{demo.origin}/dispatch/{township}")
    expect(page.locator("#dz-placeholder")).to_be_visible()
    expect(page.locator("#dz-legend")).to_be_hidden()
    # the desk lays out while its queue and map load: a loaded clean-clone run measured the case
    # 2.7 px below the map once; wait until the rows settle, then measure
    page.wait_for_function(
        """() => { const m = document.querySelector('.dz-map').getBoundingClientRect();
                   const d = document.querySelector('.dz-detail').getBoundingClientRect();
                   return d.top === m.bottom; }""",
        timeout=10_000,
    )
    queue, map_, detail = _box(page, ".dz-queue"), _box(page, ".dz-map"), _box(page, ".dz-detail")
    assert map_["width"] >= WIDTH / 2 and map_["left"] == queue["right"], (queue, map_)
    assert detail["top"] == map_["bottom"] and detail["left"] == map_["left"], (map_, detail)
    assert detail["bottom"] <= HEIGHT
    page.screenshot_step("2-desk")
    page.assert_clean(demo.origin)
