"""案件范围 at county zoom: the case-count hexagons follow the choice, and the legend says so.

A county's duty operator (the 华宁县 demo, served by ``console_demo``) opens the command view: the
cases layer is hexagon counts from vector tiles there. Choosing 已超期 must ask for the overdue
cases' tiles, draw other hexagons, and name what they count in the map's legend (#zz-legend).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from layers.workflow import OPEN_STATES
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

COUNTY = "530424000000"

# what the cases layer has drawn: its tiles' URL, whether every tile is in, and per tile (in
# key order) the painted pixels and a checksum of their colours
DRAWN_JS = """() => {
    const entry = zzCommand.layers.cases;
    const layer = entry && entry.group.getLayers()[0];
    if (!layer || entry.mode !== "hexagons") return null;
    const tiles = Object.keys(layer._tiles).sort().map((k) => layer._tiles[k]);
    const loaded = tiles.length > 0 && tiles.every((t) => t.loaded);
    let painted = 0, checksum = 0;
    tiles.forEach((t) => {
        const data = t.el.getContext("2d").getImageData(0, 0, t.el.width, t.el.height).data;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] === 0) continue;
            painted += 1;
            checksum = (checksum * 31 + data[i] * 7 + data[i + 1] * 3 + data[i + 2]) % 1000000007;
        }
    });
    return {url: layer._url, loaded: loaded, painted: painted, checksum: checksum};
}"""


def _drawn(page: RecordedPage, state: str) -> dict[str, Any]:
    """Wait until the case hexagons of ``state`` are all in and painted; return what is drawn."""
    page.wait_for_function(
        f"(() => {{ const d = ({DRAWN_JS})(); return d && d.loaded"
        f" && d.url.endsWith('?state={state}'); }})()"
    )
    # the canvas renderer paints on the next animation frames; the tiles fade in (screenshots)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_function(
        "[...document.querySelectorAll('.leaflet-zzCaseCounts-pane .leaflet-tile')]"
        ".every((t) => getComputedStyle(t).opacity === '1')"
    )
    drawn: dict[str, Any] = page.evaluate(DRAWN_JS)
    return drawn


def _case_tile_requests(page: RecordedPage) -> list[str]:
    return [url for url in page.requests if "/tiles/cases/" in url]


def _legend(page: RecordedPage) -> str:
    text_: str = page.locator("#zz-legend").inner_text()
    return text_


@pytest.mark.browser
def test_case_scope_redraws_the_county_hexagons_and_names_them_in_the_legend(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    with console_demo.owner.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE state = ANY(:open)) AS open,"
                " count(*) FILTER (WHERE state = ANY(:open) AND deadline < now()) AS overdue"
                " FROM cases WHERE area_code LIKE '530424%' AND point IS NOT NULL"
            ),
            {"open": sorted(OPEN_STATES)},
        ).one()
    assert row.open > row.overdue > 0  # the demo county has both, and not all open are overdue

    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", COUNTY), next_path=f"/console/{COUNTY}")
    page.wait_for_url(f"**/console/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    # the hot cells drawn are in the legend, by confidence, while they are drawn
    expect(page.locator("#zz-hot-legend")).to_contain_text("热点，置信度 99%")
    # the case hexagons alone on the units (the cameras' hexagons and the hot cells off)
    # the layer panel starts folded up to 1366 px wide and on the big screen (trial AM N6, N7)
    page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
    page.locator('[data-layer="hotspots"] input').uncheck()
    expect(page.locator("#zz-hot-legend")).to_have_text("")
    page.locator('[data-layer="video_points"] input').uncheck()
    assert page.locator("#zz-case-state").input_value() == "open"
    opened = _drawn(page, "open")
    requested = _case_tile_requests(page)
    assert requested and all(url.endswith("?state=open") for url in requested)
    legend = _legend(page)
    assert "未办结案件数（每格）" in legend and "20 以上" in legend and "2 – 4" in legend
    page.screenshot_step("1-open")

    page.select_option("#zz-case-state", "overdue")
    overdue = _drawn(page, "overdue")
    assert [u for u in _case_tile_requests(page) if u.endswith("?state=overdue")]
    # the overdue cases are some of the open ones: fewer hexagons, and not the same picture
    assert 0 < overdue["painted"] < opened["painted"]
    legend = _legend(page)
    assert "已超期案件数（每格）" in legend and "未办结案件数" not in legend
    page.screenshot_step("2-overdue")

    page.select_option("#zz-case-state", "recent")
    recent = _drawn(page, "recent")
    assert (recent["painted"], recent["checksum"]) != (opened["painted"], opened["checksum"])
    assert "近30天案件数（每格）" in _legend(page)
    page.screenshot_step("3-recent")

    page.select_option("#zz-case-state", "open")  # back: the same hexagons as at first
    again = _drawn(page, "open")
    assert (again["painted"], again["checksum"]) == (opened["painted"], opened["checksum"])

    # zoomed in, the cases are points coloured by risk: the count legend leaves
    page.evaluate("zzMap.setView(zzMap.getCenter(), 13, {animate: false}); null")
    page.wait_for_function("zzCommand.layers.cases.mode === 'features'")
    page.wait_for_function(
        "!document.querySelector('#zz-legend').innerText.includes('案件数（每格）')"
    )
    page.assert_clean(origin)


@pytest.mark.browser
def test_an_analysts_hexagon_legend_starts_at_the_smallest_count_shown(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("analyst"), next_path=f"/console/{COUNTY}")
    page.wait_for_url(f"**/console/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    legend = page.locator("#zz-case-legend")
    expect(legend).to_contain_text("少于 3 件的格不显示")
    classes = legend.locator("div:has(i)").all_inner_texts()
    assert classes[0] == "3 – 4", classes  # not 1, nor 2 – 4: cells under 3 are never drawn
    page.assert_clean(origin)
