"""The numbered circles of the command map, in headless Chromium over the served demo county.

Trial AQ M5: a village's map showed purple numbered circles (the cameras, clustered) that the
legend did not name, read as case counts, and a click on one did nothing to be seen (the
cameras were spread a few pixels apart). The legend now names them and a click zooms in until
they spread. Trial AQ m8, AR m8: the legend says which hot cells are drawn, and why a hexagon
may cross the unit's outline.

Trial BB M1, m3, m11: a camera online and a grid worker on duty were the same green dot; the
cameras are now squares with a lens and the workers round dots, both named in the legend, a
camera cluster says how many of its cameras are offline, and the legend folds (收起图例) and
stays folded in the tab.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage, held_requests
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
    expect(legend).to_contain_text(
        "多个视频点位聚合（数字为点位数，灰色扇面为离线的比例），点击放大"
    )
    # how many of a cluster's cameras are offline (trial BB m3)
    expect(cameras.first.locator("span")).to_have_attribute(
        "title", re.compile(r"^\d+ 个视频点位(，其中离线 \d+ 个|，均在线)，点击放大$")
    )
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

    # a worker beside a camera, at the zoom where both are drawn one by one (trial BB M1)
    with console_demo.owner.connect() as db:
        lat, lon = db.execute(
            text(
                "SELECT (ST_Y(w.last_position) + ST_Y(v.point)) / 2,"
                " (ST_X(w.last_position) + ST_X(v.point)) / 2"
                " FROM workers w CROSS JOIN LATERAL (SELECT point FROM video_points"
                "  WHERE retired_on IS NULL ORDER BY point <-> w.last_position LIMIT 1) v"
                " WHERE w.area_code LIKE :village AND w.last_position IS NOT NULL"
                " ORDER BY ST_Distance(w.last_position::geography, v.point::geography) LIMIT 1"
            ),
            {"village": VILLAGE + "%"},
        ).one()
    page.locator("#zz-layer-fold").click()  # folded at 1366 px
    page.locator(".zz-layer-row[data-layer='workers'] input").check()
    page.evaluate(f"zzMap.setView([{lat}, {lon}], 17)")
    camera = page.locator(".zz-dot.zz-camera span").first
    worker = page.locator(".zz-dot.zz-worker span").first
    camera.wait_for()
    worker.wait_for()
    shape = "el => getComputedStyle(el).borderRadius"
    assert camera.evaluate(shape) == "3px" and worker.evaluate(shape) == "50%"
    expect(legend.locator(".zz-legend-title", has_text="视频点位（方形）")).to_be_visible()
    expect(legend.locator("i.zz-cam")).to_have_count(2)  # 在线, 离线（空心）
    expect(legend).to_contain_text("网格员（圆点）")
    expect(legend.locator(".zz-legend-indent i.round")).to_have_count(3)  # 在岗, 处置中, 离岗
    page.screenshot_step("camera-and-worker")

    # more workers in view than the page draws are counted per grid, not cut (trial BC S3);
    # the server's own answer, with a cap of 1 instead of the page's 2,000
    workers_read = "**/api/command/*/points/workers?*"
    page.route(
        workers_read,
        lambda route: route.continue_(url=route.request.url.replace("limit=2000", "limit=1")),
    )
    page.evaluate("zzMap.setZoom(14)")
    expect(page.locator(".zz-count-badge.zz-count-workers").first).to_be_visible()
    page.unroute(workers_read)
    # a read the next move superseded is cancelled, not left to hold a connection (trial BC M5)
    with held_requests(page, workers_read) as held:
        page.evaluate("zzMap.setZoom(13)")
        held.wait_held()
        first = held.held[0].request
        with page.expect_event("requestfailed", lambda r: r is first):
            page.evaluate("zzMap.setZoom(12)")

    # 收起图例 folds the legend to its button, and it stays folded in this tab (trial BB m11)
    page.locator("#zz-legend-fold").click()
    expect(page.locator("#zz-legend-body")).to_be_hidden()
    folded = legend.bounding_box()
    assert folded is not None and folded["height"] < 40, folded
    page.reload()
    page.wait_for_function("window.zzReady === true")
    expect(page.locator("#zz-legend-fold")).to_have_text("展开图例 ▴")
    expect(page.locator("#zz-legend-body")).to_be_hidden()
    # opened again, at county zoom the cameras' hexagons are named (trial BB m2)
    page.locator("#zz-legend-fold").click()
    page.evaluate("zzMap.setZoom(11)")
    expect(legend.locator(".zz-camera-hex-title")).to_have_text("视频点位（聚合）")
    expect(legend).to_contain_text("每格的视频点位数，颜色越深越多")
    page.screenshot_step("county-zoom")
    page.assert_clean(origin)
