"""Folium maps built by web/folium_offline.py reference only the platform's own files."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import pytest
from folium.plugins import Draw, Fullscreen, HeatMap, MarkerCluster

from web.basemap import Basemap, BasemapKind
from web.folium_offline import LOCAL_ASSETS, UnvendoredAssetError, offline_map

VENDOR = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor"
DROPPED_FOLDERS = ("jquery", "leaflet.awesome-markers", "fontawesome-free", "bootstrap-glyphicons")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


class LinkCollector(HTMLParser):
    """Collect every src/href attribute and every url() in inline styles."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("src", "href"):
                self.urls.append(value)
            elif name == "style":
                self.urls += CSS_URL.findall(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls += CSS_URL.findall(data)


def busy_map(basemap: Basemap | None = None) -> folium.Map:
    map_ = offline_map(basemap, location=[30.27, 120.15], zoom_start=12)
    cluster = MarkerCluster(name="事件").add_to(map_)
    for i in range(20):
        folium.Marker(
            [30.27 + i * 0.001, 120.15 + i * 0.001],
            popup=f"事件 {i}",
            icon=folium.Icon(color="red", icon="info-sign"),
        ).add_to(cluster)
    folium.Marker([30.26, 120.14], icon=folium.Icon(prefix="fa", icon="video", angle=45)).add_to(
        map_
    )
    HeatMap([[30.27 + i * 0.002, 120.15, 1 + i] for i in range(30)], name="热力").add_to(map_)
    Fullscreen().add_to(map_)
    folium.LayerControl().add_to(map_)
    return map_


def links(html: str) -> list[str]:
    collector = LinkCollector()
    collector.feed(html)
    return collector.urls


def test_offline_map_references_only_local_static_files() -> None:
    html = busy_map().get_root().render()
    urls = links(html)
    assert len(urls) >= 14  # Leaflet, what its markers and popups use, the plugins' files
    outside = [u for u in urls if not u.startswith("/static/vendor/")]
    assert outside == []
    for url in urls:
        assert (VENDOR / url.removeprefix("/static/vendor/")).is_file(), url
    # nothing outside is mentioned anywhere else in the page either (scripts, inline CSS)
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html) == []


def vendor_links(map_: folium.Map) -> list[str]:
    return [u.removeprefix("/static/vendor/") for u in links(map_.get_root().render())]


def test_a_map_loads_of_folium_defaults_only_what_its_elements_use() -> None:
    # folium.Map lists jQuery, Bootstrap, awesome-markers and two icon fonts for every map
    assert vendor_links(offline_map()) == ["leaflet/leaflet.js", "leaflet/leaflet.css"]
    fa_only = offline_map()
    folium.Marker([30.0, 120.0], icon=folium.Icon(prefix="fa", icon="video")).add_to(fa_only)
    assert vendor_links(fa_only) == [
        "leaflet/leaflet.js",
        "leaflet.awesome-markers/leaflet.awesome-markers.min.js",
        "leaflet/leaflet.css",
        "fontawesome-free/css/all.min.css",
        "leaflet.awesome-markers/leaflet.awesome-markers.css",
        "leaflet.awesome-markers/leaflet.awesome.rotate.css",
    ]
    popup = offline_map()
    folium.CircleMarker([30.0, 120.0], popup="事件").add_to(popup)  # parsed by $(`…`)
    assert vendor_links(popup) == [
        "leaflet/leaflet.js",
        "jquery/jquery.min.js",
        "leaflet/leaflet.css",
    ]
    in_front = offline_map()
    layer = folium.FeatureGroup().add_to(in_front)
    in_front.keep_in_front(layer)  # $(document).ready(objects_in_front)
    assert "jquery/jquery.min.js" in vendor_links(in_front)
    glyph = offline_map()
    folium.GeoJson(
        {"type": "Point", "coordinates": [120.0, 30.0]}, marker=folium.Marker(icon=folium.Icon())
    ).add_to(glyph)
    assert "bootstrap-glyphicons/css/glyphicons.css" in vendor_links(glyph)
    assert "fontawesome-free/css/all.min.css" not in vendor_links(glyph)
    busy = vendor_links(busy_map())
    assert not [u for u in busy if u.startswith("bootstrap/")]  # nothing of folium uses it
    assert {"jquery/jquery.min.js", "bootstrap-glyphicons/css/glyphicons.css"} <= set(busy)


def test_console_page_maps_load_leaflet_their_libraries_and_the_console_stylesheet() -> None:
    from web.pages import case, command, dispatch

    for page_module in (case, command, dispatch):
        header = str(page_module._map().header)
        urls = [u.split("?")[0].removeprefix("/static/vendor/") for u in links(header)]
        assert urls[:2] == ["leaflet/leaflet.js", "leaflet/leaflet.css"], urls
        assert "bootstrap/css/bootstrap.min.css" in urls, urls
        assert not [u for u in urls if u.split("/")[0] in DROPPED_FOLDERS], urls
    assert len(links(str(command._map().header))) == 8  # vectorgrid, cluster (3), heat


def test_folium_class_lists_are_left_untouched() -> None:
    busy_map().get_root().render()
    assert MarkerCluster.default_js[0][1].startswith("https://")
    assert folium.Map.default_js[0][1].startswith("https://")


def test_static_prefix_is_configurable() -> None:
    map_ = offline_map(static_prefix="/zz/assets/")
    urls = links(map_.get_root().render())
    assert urls and all(u.startswith("/zz/assets/") for u in urls)


def test_unvendored_plugin_is_refused() -> None:
    map_ = offline_map()
    Draw().add_to(map_)
    with pytest.raises(UnvendoredAssetError, match="not vendored"):
        map_.get_root().render()


def test_every_registered_asset_exists() -> None:
    for name, path in LOCAL_ASSETS.items():
        assert (VENDOR / path).is_file(), name


def test_vendored_css_resolves_its_own_urls() -> None:
    for css in VENDOR.rglob("*.css"):
        for url in CSS_URL.findall(css.read_text(encoding="utf-8")):
            if url.startswith(("data:", "#")):
                continue
            assert not url.startswith(("http:", "https:", "//")), (css, url)
            target = (css.parent / url.split("?")[0].split("#")[0]).resolve()
            if target.suffix == ".ttf":  # fallback after woff2, which must be there
                target = target.with_suffix(".woff2")
            assert target.is_file(), (css, url)


def test_every_vendored_folder_has_a_licence_and_is_recorded() -> None:
    recorded = (VENDOR / "VENDORED.md").read_text(encoding="utf-8")
    folders = [p for p in VENDOR.iterdir() if p.is_dir()]
    assert len(folders) >= 10
    for folder in folders:
        assert (folder / "LICENSE").is_file(), folder.name
        assert f"`{folder.name}/`" in recorded
    assert not list(VENDOR.rglob("*.map"))


def test_local_tile_basemap() -> None:
    html = busy_map(Basemap.from_env({"ZONGZHI_BASEMAP": "tiles"})).get_root().render()
    assert '"/basemap/{z}/{x}/{y}.png"' in html
    assert re.findall(r"https?://", html) == []


def test_pmtiles_basemap_loads_vendored_library() -> None:
    basemap = Basemap(BasemapKind.PMTILES, url="/basemap/city.pmtiles")
    html = offline_map(basemap).get_root().render()
    assert "/static/vendor/pmtiles/pmtiles.js" in links(html)
    assert "pmtiles.leafletRasterLayer" in html
    vector = Basemap(BasemapKind.PMTILES_VECTOR, url="/basemap/city.pmtiles")
    html = offline_map(vector).get_root().render()
    assert "/static/vendor/protomaps-leaflet/protomaps-leaflet.js" in links(html)


def test_tianditu_is_the_only_outside_address_and_needs_a_key() -> None:
    basemap = Basemap.from_env({"ZONGZHI_BASEMAP": "tianditu", "ZONGZHI_TIANDITU_KEY": "abc123"})
    html = offline_map(basemap).get_root().render()
    hosts = set(re.findall(r"https?://([^/\"]+)", html))
    assert hosts == {"t{s}.tianditu.gov.cn"}
    assert "tk=abc123" in html
    with pytest.raises(ValueError, match="key"):
        Basemap.from_env({"ZONGZHI_BASEMAP": "tianditu"})
    with pytest.raises(ValueError, match="not one of"):
        Basemap.from_env({"ZONGZHI_BASEMAP": "osm"})


def test_console_mount_serves_login_and_vendored_files() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from web.app import landing_path, mount_console

    client = TestClient(mount_console(FastAPI()))
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    login = client.get("/login")
    assert login.status_code == 200 and "用户名" in login.text and "密码" in login.text
    assert "http://" not in login.text and "https://" not in login.text
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/console/login.js").status_code == 200
    assert client.get("/static/nothing.js").status_code == 404
    assert "460105001000" in client.get("/dispatch/460105001000").text
    assert landing_path("commander", "460100000000") == "/console/460100000000"
    assert landing_path("unknown-role", "46") == "/console/46"
