"""查找 on 指挥调度's map and on the 调度台 finds a village, a camera and a case (trial BB M7).

The operator asked to look at a village or at a camera by its 国标编码 had no box to type it
in: a village was three page loads away and a camera could be found only by panning. Typing
lists what the text names (map_search.js, ``GET /api/search``), grouped 辖区/网格/摄像头/案件;
a pick moves the map to it and opens its popup (the camera layer's on the command page) or, on
the desk, the case as from its queue. At 1366×768 the box stays clear of the zoom buttons, the
layer panel and the legend. Screenshots go to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

CENTRE = "(() => { const c = window.zzMap.getCenter(); return [c.lng, c.lat, zzMap.getZoom()]; })()"


def _apart(page: RecordedPage, one: str, other: str) -> bool:
    a, b = page.locator(one).bounding_box(), page.locator(other).bounding_box()
    assert a is not None and b is not None
    return bool(
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_the_map_and_the_desk_find_a_village_a_camera_and_a_case(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county = demo.data.county_code.ljust(12, "0")
    prefix = {"prefix": county[:6] + "%"}
    with demo.owner.connect() as conn:
        village = conn.execute(
            text(
                "SELECT v.code, v.name, t.name AS township, ST_XMin(v.boundary) AS w,"
                " ST_YMin(v.boundary) AS s, ST_XMax(v.boundary) AS e, ST_YMax(v.boundary) AS n"
                " FROM jurisdictions v JOIN jurisdictions t ON t.code = v.parent_code"
                " WHERE v.level = 5 AND v.code LIKE :prefix AND v.retired_on IS NULL"
                " AND v.boundary IS NOT NULL ORDER BY v.code LIMIT 1"
            ),
            prefix,
        ).one()
        camera = conn.execute(
            text(
                "SELECT device_id, name, ST_X(point) AS lon, ST_Y(point) AS lat FROM video_points"
                " WHERE area_code LIKE :prefix AND retired_on IS NULL ORDER BY device_id LIMIT 1"
            ),
            prefix,
        ).one()
        case = conn.execute(
            text(
                "SELECT code, title, ST_X(point) AS lon, ST_Y(point) AS lat FROM cases"
                " WHERE area_code LIKE :prefix AND point IS NOT NULL ORDER BY id LIMIT 1"
            ),
            prefix,
        ).one()
    login(page, demo.origin, demo.username("commander", county), next_path=f"/console/{county}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    box = page.locator("#zz-map-search")
    # at 1366×768 beside the zoom buttons, the layer panel and the legend, over none of them
    for other in (".leaflet-control-zoom", "#zz-layer-panel", "#zz-legend"):
        assert _apart(page, ".zz-map-search", other), other

    # 1. a village by its name: listed under 辖区 with its township, outlined and fitted
    box.fill(village.name)
    item = page.locator(f'.zz-search-item[data-kind="unit"][data-id="{village.code}"]')
    expect(item).to_contain_text(village.township)
    expect(page.locator(".zz-search-kind").first).to_have_text("辖区")
    page.screenshot_step("1-village-listed")
    item.click()
    expect(page.locator("#zz-map-search-results")).to_be_hidden()
    lon, lat, _ = page.evaluate(CENTRE)
    assert village.w < lon < village.e and village.s < lat < village.n
    outlined = page.evaluate(
        "(() => { let n = 0; zzMap.eachLayer((l) => { if (l.feature && l.options.color"
        " === '#00e5ff') n++; }); return n; })()"
    )
    assert outlined >= 1

    # 2. a camera by its 国标编码, chosen with the keyboard: centred at z17, the layer's popup
    box.fill(camera.device_id)
    expect(page.locator('.zz-search-item[data-kind="camera"]').first).to_contain_text(
        camera.device_id
    )
    box.press("ArrowDown")
    box.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(camera.name)
    expect(popup).to_contain_text(f"设备编码{camera.device_id}")  # the camera layer's own popup
    lon, lat, zoom = page.evaluate(CENTRE)
    assert zoom == 17 and abs(lon - camera.lon) < 1e-6 and abs(lat - camera.lat) < 1e-6
    expect(page.locator('.zz-layer-row[data-layer="video_points"] input')).to_be_checked()
    page.screenshot_step("2-camera-found")
    assert page.latin_words() == []

    # 3. the 调度台's 查找 lists them as typed too: a case picked opens as from its queue
    page.goto(f"{demo.origin}/dispatch/{county}")
    search = page.locator("#dz-search-input")
    search.fill(case.code)
    found = page.locator('.zz-search-item[data-kind="case"]').first
    expect(found).to_contain_text(case.title)
    found.click()
    expect(page.locator("#dz-case-title")).to_contain_text(case.title)
    page.wait_for_function(
        f"Math.abs(zzMap.getCenter().lng - {case.lon}) < 1e-4"
        f" && Math.abs(zzMap.getCenter().lat - {case.lat}) < 1e-4"
    )
    # and a camera: centred at z17 with its popup (the desk draws only a case's cameras)
    search.fill(camera.device_id)
    page.locator('.zz-search-item[data-kind="camera"]').first.click()
    expect(popup).to_contain_text(f"国标编码：{camera.device_id}")
    lon, lat, zoom = page.evaluate(CENTRE)
    assert zoom == 17 and abs(lon - camera.lon) < 1e-6 and abs(lat - camera.lat) < 1e-6
    page.screenshot_step("3-desk-camera-found")
    assert page.latin_words() == []
    page.assert_clean(demo.origin)
