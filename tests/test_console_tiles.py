"""The command map's tile reads keep to their layer's zooms and end with their tile (trial BC M5).

A county's command page asked for the vector tiles of every zoom a wheel passed through and let
each read run to its end, the tiles of a zoom already left among them, holding the browser's six
connections while the wanted tiles waited; and a layer asked for tiles below its catalog zoom
(grids below 11) until the page took it off 250 ms later. The tile layers now carry the
catalog's ``min_zoom``/``max_zoom`` and abort the fetch of a tile that left the view or zoom
(``web/static/console/common.js`` ``vectorTiles``).
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from layers.catalog import COLLECTIONS
from tests.browser import RecordedPage, held_requests
from tests.console_fixtures import ConsoleDemo, login

TILE = re.compile(r"/tiles/(\w+)/(\d+)/\d+/\d+\.mvt")


def _tile(url: str) -> tuple[str, int] | None:
    match = TILE.search(urlsplit(url).path)
    return (match.group(1), int(match.group(2))) if match else None


def _settle(page: RecordedPage, zoom: int) -> None:
    """Wait until the page has set its layers for ``zoom`` (its 250 ms debounce has run)."""
    page.wait_for_function(
        "([z]) => zzMap.getZoom() === z && Object.values(zzCommand.layers).every("
        "(e) => !e.def || e.mode === null || e.def.min_zoom <= z)",
        arg=[zoom],
    )
    page.wait_for_timeout(400)  # the debounced update of the layers after moveend


@pytest.mark.browser
def test_no_tile_below_a_layers_zoom_and_the_tiles_of_a_zoom_left_are_aborted(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    county = console_demo.data.county_code.ljust(12, "0")
    asked: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if _tile(r.url) else None)
    page.on("requestfailed", lambda r: failed.append(r.url) if _tile(r.url) else None)
    login(page, origin, console_demo.username("commander", county))
    page.wait_for_url(f"**/console/{county}")
    page.wait_for_function("window.zzReady === true && window.zzTilesAt !== undefined")

    # a wheel out from the grids' zoom, step by step as fast as the map takes them
    grids_from = COLLECTIONS["grids"].min_zoom
    page.evaluate(f"void zzMap.setZoom({grids_from}, {{animate: false}})")
    _settle(page, grids_from)
    assert (
        "grids",
        grids_from,
    ) in {_tile(url) for url in asked}, "the grids' tiles at their first zoom were asked"
    for zoom in range(grids_from - 1, grids_from - 4, -1):
        page.evaluate(f"void zzMap.setZoom({zoom}, {{animate: false}})")
    _settle(page, grids_from - 3)
    below = [url for url in asked if (t := _tile(url)) and t[1] < COLLECTIONS[t[0]].min_zoom]
    assert below == [], below

    # back in, then two zooms further in fast, every tile read held until the map has moved on
    page.evaluate(f"void zzMap.setZoom({grids_from}, {{animate: false}})")
    _settle(page, grids_from)
    left = grids_from + 1
    with held_requests(page, TILE) as held:
        page.evaluate(f"void zzMap.setZoom({left}, {{animate: false}})")
        held.wait_held()
        page.evaluate(f"void zzMap.setZoom({left + 1}, {{animate: false}})")
        deadline = time.monotonic() + 10
        while True:
            of_left = {url for url in asked if (t := _tile(url)) and t[1] == left}
            if (of_left and of_left <= set(failed)) or time.monotonic() > deadline:
                break
            page.wait_for_timeout(50)
        assert ("grids", left) in {_tile(url) for url in of_left}, of_left
        assert of_left <= set(failed), sorted(of_left - set(failed))  # none left to be answered
        # the grids' tiles of the zoom the map is at were not aborted: they wait their answer
        kept = {url for url in asked if _tile(url) == ("grids", left + 1)}
        assert kept and not kept & set(failed), kept
    page.wait_for_function(
        "([z]) => { const g = zzCommand.layers.grids.group.getLayers()[0];"
        " return g && Object.values(g._tiles).every((t) => t.coords.z === z && t.loaded); }",
        arg=[left + 1],
    )

    # Leaflet's default marker finds its images under their versions (web.maps)
    icon = page.evaluate("new L.Icon.Default()._getIconUrl('icon')")
    assert re.fullmatch(r"/static/vendor/leaflet/images/marker-icon\.png\?v=[0-9a-f]{12}", icon)
    assert page.evaluate("(u) => fetch(u).then((r) => r.status)", icon) == 200
    page.assert_clean(origin)
