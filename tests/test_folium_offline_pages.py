"""Every console map page draws with Leaflet alone of folium's default resources.

``folium.Map`` loads jQuery, the Bootstrap bundle, awesome-markers, Font Awesome and Glyphicons
for every map; the console's pages draw their layers with their own scripts and use none of
them, so :class:`web.folium_offline.OfflineMap` loads them only for elements that use them
(7 static files fewer on the first open of each map page). Each map page is opened here as the
account it is for: it draws its map and its layers, a popup of the command page opens, the
console's Bootstrap stylesheet still styles the top bar, none of the dropped files is asked for
and no script error is logged.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login

COUNTY = "530424000000"
TOWNSHIP = "530424001000"

DROPPED = (
    "/vendor/jquery/",
    "/vendor/bootstrap/js/",
    "/vendor/leaflet.awesome-markers/",
    "/vendor/fontawesome-free/",
    "/vendor/bootstrap-glyphicons/",
)
"""folium.Map's defaults no console page uses."""

LAYERS_DRAWN = """() => {
  let n = 0;
  window.zzMap.eachLayer((l) => { if (l instanceof L.Path || l instanceof L.GridLayer) n++; });
  return n > 0;
}"""


def _open(page: RecordedPage, origin: str, path: str, drawn: str, *, go: bool = True) -> None:
    """Open ``path`` (unless the login landed there), wait until its own script has drawn it,
    and check what it loaded."""
    first = 0 if not go else len(page.requests)
    if go:
        page.goto(origin + path)
    page.wait_for_function(drawn, timeout=60_000)
    page.wait_for_function(LAYERS_DRAWN, timeout=60_000)
    assert page.locator(".leaflet-container").count() == 1, path
    assert (
        page.evaluate("[typeof window.jQuery, typeof window.bootstrap, typeof L.AwesomeMarkers]")
        == ["undefined"] * 3
    ), path
    static = [url for url in page.requests[first:] if "/static/" in url]
    assert any("/vendor/leaflet/leaflet.js" in url for url in static), path
    assert [url for url in static if any(part in url for part in DROPPED)] == [], path
    # Bootstrap's stylesheet (the console's own, now declared by web.maps.page_map) applies
    assert page.evaluate(
        "getComputedStyle(document.getElementById('zz-logout')).borderTopLeftRadius"
    ) not in ("", "0px"), path
    page.screenshot_step(path.strip("/").replace("/", "-"))


@pytest.mark.browser
def test_every_map_page_draws_without_folium_defaults(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    with console_demo.owner.connect() as conn:
        case_id = conn.execute(
            text(
                "SELECT id FROM cases WHERE area_code LIKE :town AND point IS NOT NULL "
                "ORDER BY id LIMIT 1"
            ),
            {"town": TOWNSHIP[:9] + "%"},
        ).scalar_one()

    login(page, origin, console_demo.username("commander", COUNTY), next_path=f"/console/{COUNTY}")
    _open(page, origin, f"/console/{COUNTY}", "window.zzReady === true", go=False)
    # a popup of the page's own (a hot spot's, from the risk alerts) opens without jQuery
    page.locator(".zz-tab[data-pane=alerts]").click()
    page.locator("#zz-alerts li.zz-alert-locatable").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.inner_text().startswith("热点")
    _open(page, origin, f"/screen/{COUNTY}", "window.zzReady === true")
    _open(page, origin, f"/trends/{COUNTY}", "document.body.dataset.ready === '1'")
    log_out(page)

    login(
        page,
        origin,
        console_demo.username("dispatcher", TOWNSHIP),
        next_path=f"/dispatch/{TOWNSHIP}",
    )
    _open(
        page,
        origin,
        f"/dispatch/{TOWNSHIP}",
        "window.zzDispatchLive && window.zzDispatchLive.zzReady === true",
        go=False,
    )
    _open(
        page,
        origin,
        f"/cases/{case_id}",
        "document.querySelector('#cz-map .cz-case-pin') !== null",
    )
    _open(page, origin, f"/console/{TOWNSHIP}", "window.zzReady === true")
    page.assert_clean(origin)
