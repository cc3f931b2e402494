"""The browser harness works: an offline folium map loads in headless Chromium, all local."""

from __future__ import annotations

import json
from pathlib import Path

import folium
import pytest
from folium.plugins import Fullscreen, HeatMap, MarkerCluster

from api.app import create_app
from api.cli import served_in_thread
from api.settings import ApiSettings
from tests.api_fixtures import PASSWORD, TOWN_A1, ApiWorld
from tests.browser import RecordedPage, serve_directory
from web.folium_offline import VendoredLibraries, offline_map

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
TITLE = "综治态势一张图 · 离线地图自检"


def write_site(root: Path) -> None:
    (root / "static").symlink_to(STATIC, target_is_directory=True)
    map_ = offline_map(location=[30.27, 120.15], zoom_start=13)
    cluster = MarkerCluster(name="事件").add_to(map_)
    for i in range(30):
        folium.Marker(
            [30.26 + (i % 6) * 0.002, 120.14 + (i // 6) * 0.002],
            tooltip=f"事件 {i}",
            icon=folium.Icon(color="red", icon="info-sign"),
        ).add_to(cluster)
    folium.Marker(
        [30.275, 120.16],
        popup=folium.Popup("矛盾纠纷 · 邻里噪音 · 待分派", show=True),
        icon=folium.Icon(prefix="fa", icon="video", color="blue"),
    ).add_to(map_)
    HeatMap(
        [[30.265 + (i % 10) * 0.001, 120.15 + (i // 10) * 0.001, 1 + i % 3] for i in range(100)],
        name="热力",
    ).add_to(map_)
    Fullscreen(title="全屏", title_cancel="退出全屏").add_to(map_)
    folium.LayerControl(collapsed=False).add_to(map_)
    header = folium.Element(
        f'<div id="title" style="position:absolute;top:8px;left:60px;z-index:1000;'
        f'background:#fff;padding:4px 8px;font-size:18px">{TITLE}</div>'
    )
    map_.get_root().html.add_child(header)
    map_.get_root().header.add_child(folium.Element("<title>综治离线自检</title>"))
    map_.get_root().header.add_child(
        folium.Element('<link rel="icon" href="data:,">')  # no /favicon.ico request
    )
    map_.save(str(root / "index.html"))


@pytest.mark.browser
def test_offline_map_loads_without_outside_requests(page: RecordedPage, tmp_path: Path) -> None:
    write_site(tmp_path)
    with serve_directory(tmp_path) as origin:
        page.goto(f"{origin}/index.html", wait_until="networkidle")
        assert page.evaluate("typeof window.L") == "object"
        assert page.evaluate("L.version") == "1.9.4"
        assert page.locator(".leaflet-container").count() == 1
        page.locator(".marker-cluster").first.wait_for()
        assert page.locator(".leaflet-heatmap-layer").count() == 1
        popup = page.locator(".leaflet-popup-content")
        assert popup.inner_text().startswith("矛盾纠纷")
        box = popup.bounding_box()
        assert box is not None and box["width"] > 3 * box["height"]  # one line, not a column
        assert page.locator("#title").inner_text() == TITLE
        # the vendored icon fonts were loaded from our origin and are usable
        assert page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
        assert page.locator(".leaflet-control-attribution a").count() == 0  # no outside link
        shot = page.screenshot_step("map-loaded", always=True)
        page.assert_clean(origin)
    assert shot.stat().st_size > 10_000
    assert any(url.endswith("/static/vendor/leaflet/leaflet.js") for url in page.requests)


@pytest.mark.browser
def test_login_page_lands_dispatcher_on_dispatch_desk(
    page: RecordedPage, api_settings: ApiSettings, api_world: ApiWorld
) -> None:
    app = create_app(api_settings)  # the console is mounted through its entry point
    user = api_world.users["disp_a1"]
    with served_in_thread(app) as origin:
        page.goto(f"{origin}/")
        page.wait_for_url(f"{origin}/login")
        assert page.title() == "登录 · 综治态势一张图"
        assert page.locator("label[for=username]").inner_text() == "用户名"
        page.screenshot_step("1-login")

        page.fill("#username", "t46_no_such_user")
        page.fill("#password", "wrong-password")
        page.click("#login-submit")
        message = page.locator("#login-message")
        message.wait_for(state="visible")
        assert message.inner_text() == "用户名或密码错误"
        page.screenshot_step("2-wrong-password")

        page.fill("#username", user.username)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(f"{origin}/dispatch/{TOWN_A1}")
        assert page.locator("body").get_attribute("data-code") == TOWN_A1
        assert page.locator("#dz-queue-list").count() == 1  # the dispatch desk, not a stub
        page.screenshot_step("3-landed")

        cookie = next(c for c in page.context.cookies() if c["name"] == api_settings.cookie_name)
        assert cookie["httpOnly"] is True
        assert page.evaluate("document.cookie") == ""
        page.assert_clean(origin, expected_errors=(r"status of 401",))


@pytest.mark.browser
def test_vector_tile_libraries_load_and_draw(page: RecordedPage, tmp_path: Path) -> None:
    (tmp_path / "static").symlink_to(STATIC, target_is_directory=True)
    map_ = offline_map(location=[20.04, 110.04], zoom_start=12)
    VendoredLibraries(js=("leaflet.vectorgrid", "pmtiles", "protomaps-leaflet")).add_to(map_)
    grid = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "第一网格"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[110, 20], [110.08, 20], [110.08, 20.08], [110, 20.08], [110, 20]]
                    ],
                },
            }
        ],
    }
    script = f"""
    <script>
    window.addEventListener("load", function () {{
        var layer = L.vectorGrid.slicer({json.dumps(grid)}, {{
            rendererFactory: L.canvas.tile,
            vectorTileLayerStyles: {{sliced: {{color: "#c00", weight: 2, fill: true}}}}
        }});
        layer.addTo({map_.get_name()});
        window.zzVectorReady = true;
    }});
    </script>"""
    map_.get_root().html.add_child(folium.Element(script))
    map_.get_root().header.add_child(folium.Element('<link rel="icon" href="data:,">'))
    map_.save(str(tmp_path / "index.html"))
    with serve_directory(tmp_path) as origin:
        page.goto(f"{origin}/index.html", wait_until="networkidle")
        page.wait_for_function("window.zzVectorReady === true")
        assert page.evaluate("typeof L.vectorGrid.protobuf") == "function"
        assert page.evaluate("typeof pmtiles.PMTiles") == "function"
        assert page.evaluate("typeof protomapsL.leafletLayer") == "function"
        page.locator("canvas.leaflet-tile").first.wait_for(state="attached")
        page.screenshot_step("vector-grid")
        page.assert_clean(origin)
