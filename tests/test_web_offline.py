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
    assert len(urls) >= 15
    outside = [u for u in urls if not u.startswith("/static/vendor/")]
    assert outside == []
    for url in urls:
        assert (VENDOR / url.removeprefix("/static/vendor/")).is_file(), url
    # nothing outside is mentioned anywhere else in the page either (scripts, inline CSS)
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html) == []


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
