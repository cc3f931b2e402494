"""A spot picked for 登记 on a case's dot is the dot's spot (the 调度台, 1280×800).

A repeat report at the same place as a case in the queue: the operator clicked the case's dot on
the map to place the new one there, and the click was swallowed (no point set, nothing selected,
nothing said). While a spot is picked, a click on a dot now sets the point there as a click on
the map does; otherwise it still opens the case.
"""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk, _token
from tests.workflow_data import delete_cases

TITLE = "点选测试：同一地点重复反映的噪音扰民"


@pytest.mark.browser
def test_a_click_on_a_cases_dot_while_picking_sets_the_point_there(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    # a few tens of metres off the spot the other tests register at: this test's case alone
    lon, lat = round(desk.spot.lon + 0.00037, 6), round(desk.spot.lat - 0.00041, 6)
    ids: list[int] = []
    try:
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            made = client.post(
                "/api/cases",
                json={"channel": "walk_in", "category": "dispute", "title": TITLE}
                | {"lon": lon, "lat": lat},
                headers=_token(client, desk.dispatcher),
            )
            assert made.status_code == 201, made.text
            ids.append(int(made.json()["id"]))
        login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}")
        page.wait_for_url(f"{demo.origin}/dispatch/{township}")
        expect(page.locator("#dz-queue-list li", has_text=TITLE)).to_be_attached()
        page.click("#dz-new")
        expect(page.locator("#dz-map-hint")).to_be_visible()
        # the case's dot, where the map draws it
        dot = page.evaluate(
            """([lat, lon]) => {
                const map = window.zzMap;
                map.setView([lat, lon], 17, {animate: false});
                let found = null;
                map.eachLayer((layer) => {
                    if (layer instanceof L.CircleMarker && layer.options.interactive !== false) {
                        const at = layer.getLatLng();
                        if (Math.abs(at.lat - lat) < 1e-7 && Math.abs(at.lng - lon) < 1e-7)
                            found = map.latLngToContainerPoint(at);
                    }
                });
                return found && {x: found.x, y: found.y};
            }""",
            [lat, lon],
        )
        assert dot is not None, "the case's dot is not on the map"
        page.locator(".dz-map .folium-map").click(position=dot)
        # the point is the dot's, the form stays, no case is opened
        expect(page.locator("#dz-lon")).to_have_value(f"{lon:.6f}")
        expect(page.locator("#dz-lat")).to_have_value(f"{lat:.6f}")
        expect(page.locator("#dz-register")).to_be_visible()
        expect(page.locator("#dz-case")).to_be_hidden()
        page.screenshot_step("1-point-on-the-dot")
        page.click("#dz-register-cancel")

        # not picking: the dot opens its case as before
        page.locator(".dz-map .folium-map").click(position=dot)
        expect(page.locator("#dz-case-title")).to_have_text(TITLE)
        page.assert_clean(demo.origin)
    finally:
        with Session(demo.owner) as session, session.begin():
            if ids:
                delete_cases(session, ids)
