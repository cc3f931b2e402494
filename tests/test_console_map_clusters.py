"""The numbered circles of the command map, in headless Chromium over the served demo county.

Trial AQ M5: a village's map showed purple numbered circles (the cameras, clustered) that the
legend did not name, read as case counts, and a click on one did nothing to be seen (the
cameras were spread a few pixels apart). The legend now names them and a click zooms in until
they spread. Trial AQ m8, AR m8: the legend says which hot cells are drawn, and why a hexagon
may cross the unit's outline.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

VILLAGE = "530424001001"


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_the_camera_clusters_are_named_and_a_click_spreads_them(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", VILLAGE))
    page.wait_for_url(f"**/console/{VILLAGE}")
    page.wait_for_function("window.zzReady === true")
    cameras = page.locator(".zz-cluster-video_points")
    cameras.first.wait_for()
    legend = page.locator("#zz-legend")
    expect(legend).to_contain_text("视频点位")
    expect(legend).to_contain_text("多个视频点位聚合（数字为点位数），点击放大")
    swatch = legend.locator(".zz-cluster-swatch").last
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('.zz-cluster-video_points span')).backgroundColor"
    )
    expect(swatch).to_have_css("background-color", colour)  # the legend's circle is the map's
    expect(legend.locator(".zz-hot-rule")).to_have_text(
        "只画格心在本辖区内的热点格；按整格画出，可越过边界，计数为整格的案件"
    )
    zoom = page.evaluate("zzMap.getZoom()")
    count = cameras.count()
    cameras.first.click()
    page.wait_for_function(f"zzMap.getZoom() > {zoom}")
    page.wait_for_function(
        f"document.querySelectorAll('.zz-cluster-video_points').length !== {count}"
    )
    page.screenshot_step("spread")
    page.assert_clean(origin)
