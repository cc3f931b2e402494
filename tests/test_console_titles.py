"""The hover titles of every map page are Chinese too (user trial W found Leaflet's Zoom in and
Zoom out on the maps): the visible labels are checked page by page elsewhere, these are the
``title`` and ``aria-label`` attributes an operator reads on hover or hears read out."""

from __future__ import annotations

import pytest

from tests.browser import LATIN_WORD, RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login

# the method's name, as Chinese GIS texts write it (热点分析（Getis-Ord Gi*）)
PROPER_NAMES = {"Getis", "Ord", "Gi"}

_TITLES = """() => Array.from(document.querySelectorAll("[title], [aria-label]"))
  .flatMap((e) => [e.getAttribute("title"), e.getAttribute("aria-label")])
  .filter((t) => t)"""


def _latin_titles(page: RecordedPage) -> list[str]:
    titles: list[str] = page.evaluate(_TITLES)
    return sorted({t for t in titles for w in LATIN_WORD.findall(t) if w not in PROPER_NAMES})


@pytest.mark.browser
def test_the_map_pages_titles_are_chinese(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    demo = console_demo
    county = demo.data.county_code.ljust(12, "0")
    township = demo.username("dispatcher", county[:6] + "001000")
    for username, ready in (
        (demo.username("commander", county), "window.zzReady === true"),
        (township, "window.zzMap !== undefined"),
        (demo.username("analyst"), "document.body.dataset.ready === '1'"),
    ):
        login(page, demo.origin, username)
        page.wait_for_function(ready, timeout=60_000)
        assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "放大"
        assert page.locator(".leaflet-control-zoom-out").get_attribute("title") == "缩小"
        assert _latin_titles(page) == [], page.url
        log_out(page)
    page.assert_clean(demo.origin)
