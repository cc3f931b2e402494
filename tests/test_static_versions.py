"""Every static file a console page loads comes under a content version, kept a year (trial BC M1).

The county's command page made 40-90 requests of static files (JS, CSS, fonts, Leaflet's
images) on each opening, files without a version or a ``Cache-Control``, each asked again.
Pages now link each file as ``/static/…?v=<version of its bytes>`` (:mod:`web.static_assets`),
answered ``Cache-Control: public, max-age=31536000, immutable``; stylesheets name their fonts
and images the same way. The walk enumerates the console's pages from its routers, so a new
page or a new ``<script>`` is checked without being listed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import import_module
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from web.app import PAGE_MODULES, mount_console
from web.static_assets import (
    LONG_CACHE,
    SHORT_CACHE,
    STATIC_DIR,
    VersionedStaticFiles,
    scan,
    static_manifest,
)

CODE = "530424000000"
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
STATIC_IN_TEXT = re.compile(r"""/static/[^"'\s)<>\\]+""")


@pytest.fixture(scope="module")
def console() -> Iterator[TestClient]:
    """The console alone (its pages need no database: their scripts load the data)."""
    with TestClient(mount_console(FastAPI())) as client:
        yield client


def _page_paths() -> list[str]:
    """Every console page: the routes of :data:`web.app.PAGE_MODULES`, the login page, a
    page of a wrong code (the error page) and the command page's big-screen query."""
    paths = ["/login", "/console/12345", f"/console/{CODE}?screen=1"]
    for module in PAGE_MODULES:
        for route in import_module(module).router.routes:
            if isinstance(route, APIRoute) and "GET" in route.methods:
                paths.append(route.path.replace("{code}", CODE).replace("{case_id}", "1"))
    return sorted(set(paths))


class _Links(HTMLParser):
    """The URLs of a page's ``<script src>``, ``<link href>``, ``<img src>`` and ``<source>``."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "source": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)
            if tag == "img" and name == "srcset" and value:
                self.urls += [part.split()[0] for part in value.split(",") if part.strip()]


def _local(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def _assert_versioned_and_kept(console: TestClient, url: str, where: str) -> None:
    parts = urlsplit(url)
    path = parts.path.removeprefix("/static/")
    assert parts.path.startswith("/static/"), f"{where} links {url} outside /static"
    asset = static_manifest().assets.get(path)
    assert asset is not None, f"{where} links {url}: no such file"
    assert parse_qs(parts.query).get("v") == [asset.version], f"{where} links {url} unversioned"
    response = console.get(url)
    assert response.status_code == 200, (where, url)
    assert response.headers["cache-control"] == LONG_CACHE, (where, url)


def test_every_page_links_each_local_file_under_its_version_kept_a_year(
    console: TestClient,
) -> None:
    pages = _page_paths()
    assert {"/login", f"/console/{CODE}", f"/dispatch/{CODE}", "/cases/1", "/audit"} <= set(pages)
    for path in pages:
        response = console.get(path, follow_redirects=False)
        assert response.status_code in (200, 422), path
        assert response.headers["content-type"].startswith("text/html"), path
        links = _Links()
        links.feed(response.text)
        local = [url for url in links.urls if _local(url)]
        for url in local:
            assert url.startswith("/static/"), f"{path} links {url}, not a static file"
            _assert_versioned_and_kept(console, url, path)
        # what the page's inline scripts name (Leaflet's marker images in the map's script)
        named = set(STATIC_IN_TEXT.findall(response.text)) - set(local)
        for url in named:
            _assert_versioned_and_kept(console, url.replace("&amp;", "&"), f"{path} (inline)")
        if path == f"/console/{CODE}":
            assert len(local) >= 20, local  # Leaflet and the layers' libraries, the console's files
            assert any("marker-icon.png?v=" in url for url in named), named


def test_the_stylesheets_name_their_fonts_and_images_by_version(console: TestClient) -> None:
    manifest = static_manifest()
    sheets = [path for path in manifest.assets if path.endswith(".css")]
    versioned_refs = set()
    for sheet in sheets:
        text = console.get(manifest.url(sheet)).text
        for _, ref in CSS_URL.findall(text):
            if ref.startswith(("data:", "#")):
                continue
            if _local(ref):
                _assert_versioned_and_kept(console, ref, sheet)
                versioned_refs.add(urlsplit(ref).path)
                continue
            # left as written only where the file is not shipped: Font Awesome's .ttf
            # fallbacks, which Chromium never loads (it takes the woff2 named first)
            missing = (STATIC_DIR / sheet).parent / ref
            assert ref.endswith(".ttf") and not missing.exists(), (sheet, ref)
    assert {
        "/static/vendor/leaflet/images/layers.png",
        "/static/vendor/fontawesome-free/webfonts/fa-solid-900.woff2",
        "/static/vendor/bootstrap-glyphicons/fonts/glyphicons-halflings-regular.woff2",
        "/static/vendor/leaflet.awesome-markers/images/markers-soft.png",
    } <= versioned_refs


def test_the_console_scripts_fetch_no_static_file_by_a_url_of_their_own() -> None:
    """What a page loads is what its template links: no script names a ``/static/`` path, loads
    a module (``import()``) or adds a ``<script>`` (their files would come unversioned)."""
    added = re.compile(r"""/static/|\bimport\s*\(|createElement\(\s*["']script""")
    for script in sorted((STATIC_DIR / "console").glob("*.js")):
        code = re.sub(r"^\s*(//|\*|/\*).*$", "", script.read_text("utf-8"), flags=re.M)
        assert added.search(code) is None, (script.name, added.search(code))


def test_other_urls_are_asked_again_each_time(console: TestClient) -> None:
    manifest = static_manifest()
    plain = console.get("/static/console/common.js")
    assert plain.status_code == 200 and plain.headers["cache-control"] == SHORT_CACHE
    stale = console.get("/static/console/common.js?v=000000000000")  # a page before a restart
    assert stale.status_code == 200 and stale.headers["cache-control"] == SHORT_CACHE
    again = console.get(
        "/static/console/common.js", headers={"If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 304 and again.headers["cache-control"] == SHORT_CACHE
    # a rewritten stylesheet is served from memory, with its version as its ETag
    sheet = manifest.url("vendor/leaflet/leaflet.css")
    first = console.get(sheet)
    assert first.headers["content-type"].startswith("text/css")
    assert first.headers["etag"] == f'"{manifest.assets["vendor/leaflet/leaflet.css"].version}"'
    unchanged = console.get(sheet, headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.headers["cache-control"] == LONG_CACHE
    assert console.get("/static/console/nothing.js").status_code == 404


def test_the_version_changes_with_the_bytes_and_reaches_the_stylesheet(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "app.js").write_text("zz.one = 1;", "utf-8")
    (tmp_path / "img" / "dot.png").write_bytes(b"\x89PNG one")
    (tmp_path / "style.css").write_text(".dot{background:url('img/dot.png')}", "utf-8")
    before = scan(tmp_path)
    (tmp_path / "img" / "dot.png").write_bytes(b"\x89PNG two")
    after = scan(tmp_path)
    assert after.assets["img/dot.png"].version != before.assets["img/dot.png"].version
    # the stylesheet's text names the image's version, so it has a new version too
    assert after.assets["style.css"].version != before.assets["style.css"].version
    assert after.assets["app.js"].version == before.assets["app.js"].version
    (tmp_path / "app.js").write_text("zz.one = 2;", "utf-8")
    assert scan(tmp_path).assets["app.js"].version != before.assets["app.js"].version

    app = FastAPI()
    app.mount("/static", VersionedStaticFiles(directory=tmp_path, manifest=after))
    with TestClient(app) as client:
        sheet = client.get(after.url("style.css"))
        image = after.url("img/dot.png")
        assert sheet.text == f'.dot{{background:url("{image}")}}'
        assert sheet.headers["cache-control"] == LONG_CACHE
        served = client.get(image)
        assert served.content == b"\x89PNG two" and served.headers["cache-control"] == LONG_CACHE
