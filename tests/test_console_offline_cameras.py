"""指挥调度's 离线 N on 视频在线率 lists the offline cameras and marks one on the map (华宁县 demo).

Screenshots go to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login


@pytest.mark.browser
def test_the_county_lists_its_offline_cameras_and_locates_one(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county = demo.data.county_code.ljust(12, "0")
    with demo.owner.connect() as conn:
        offline = conn.execute(
            text(
                "SELECT name, ST_X(point) AS lon, ST_Y(point) AS lat FROM video_points"
                " WHERE area_code LIKE :prefix AND retired_on IS NULL AND status = 'offline'"
                " ORDER BY last_heartbeat NULLS LAST, area_code, name, id"
            ),
            {"prefix": county[:6] + "%"},
        ).all()
    assert len(offline) > 0  # the demo has some
    login(page, demo.origin, demo.username("commander", county))
    page.wait_for_url(f"{demo.origin}/console/{county}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    link = page.locator("#zz-offline-link")
    expect(link).to_have_text(f"离线 {len(offline)} ›")
    link.click()
    dialog = page.locator("#zz-offline")
    expect(dialog).to_be_visible()
    expect(page.locator("#zz-offline-summary")).to_contain_text(
        f"在用视频点位中离线 {len(offline)} 个，最久未在线的在前"
    )
    rows = page.locator("#zz-offline-body tr")
    expect(rows).to_have_count(min(len(offline), 50))
    expect(rows.first).to_contain_text(offline[0].name)
    expect(rows.first).to_contain_text("天前")
    page.screenshot_step("1-listed")
    rows.first.locator(".zz-offline-locate").click()
    expect(dialog).to_be_hidden()
    page.wait_for_function("window.zzMap.getZoom() >= 16", timeout=10_000)
    centre = page.evaluate(
        "(() => { const c = window.zzMap.getCenter(); return [c.lng, c.lat]; })()"
    )
    assert abs(centre[0] - offline[0].lon) < 1e-4 and abs(centre[1] - offline[0].lat) < 1e-4
    expect(page.locator(".leaflet-tooltip", has_text=f"{offline[0].name}（离线）")).to_be_visible()
    page.screenshot_step("2-located")
    assert page.latin_words() == []
    page.assert_clean(demo.origin)
