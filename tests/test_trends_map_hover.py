"""The trends map answers the mouse on every layer (usability trial of 研判分析): hovering a hot
cell shows its tooltip, hovering a child unit's outline outside the cells shows its name, and
the dashed circles of the hot spots without camera coverage keep theirs. The circles drew on a
canvas of their own on top of the cells' one and took every mouse event."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from playwright.sync_api import expect
from shapely.geometry import Polygon, shape

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, open_trends_as_analyst

# the screen point of (lon, lat) in the page, and whether the map itself is there (not a card
# floating over it); null when the point is hidden or closer than 14 px to an uncovered circle
_ON_SCREEN = """([lon, lat, circles]) => {
  const map = window.zzMap;
  const p = map.latLngToContainerPoint([lat, lon]);
  const near = circles.some(function (c) {
    return map.latLngToContainerPoint([c[1], c[0]]).distanceTo(p) < 14;
  });
  const box = map.getContainer().getBoundingClientRect();
  const x = box.left + p.x, y = box.top + p.y;
  const there = document.elementFromPoint(x, y);
  const onMap = there && there.tagName === "CANVAS" && map.getContainer().contains(there);
  return near || !onMap ? null : [x, y];
}"""


def _api(page: RecordedPage, path: str) -> Any:
    return page.evaluate("path => zz.api(path)", path)


def _hover(page: RecordedPage, point: list[float]) -> None:
    page.mouse.move(point[0] + 0.5, point[1] + 0.5)
    page.mouse.move(point[0], point[1])


def _in_view(
    page: RecordedPage, cells: list[dict[str, Any]], circles: list[list[float]]
) -> tuple[dict[str, Any] | None, list[float] | None]:
    """Return the first cell whose centre is on the map, away from the circles, and its point."""
    for candidate in cells:
        centre = Polygon(candidate["ring"]).centroid
        point = page.evaluate(_ON_SCREEN, [centre.x, centre.y, circles])
        if point:
            return candidate, point
    return None, None


@pytest.mark.browser
def test_hovering_a_hot_cell_and_a_township_shows_their_tooltips(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin, county = open_trends_as_analyst(page, console_demo)
    # the coverage circles are drawn once the period's coverage has arrived
    page.wait_for_function("document.getElementById('uncovered-count').textContent !== ''")
    series = _api(page, f"/api/trends/{county}?granularity=month")
    last = series["periods"][-1]["key"]
    coverage = _api(page, f"/api/trends/{county}/coverage?granularity=month&period={last}")
    outlines = _api(page, f"/api/trends/{county}/outlines")
    circles = [c["centre"] for c in coverage["uncovered"]]
    uncovered = {c["id"] for c in coverage["uncovered"]}

    # a hot cell of the last period that has no circle of its own, in view
    hot = [c for c in series["cells"] if c["bins"][-1] > 0 and c["id"] not in uncovered]
    assert hot, "the demo has no hot cell with camera coverage in the last period"
    cell, point = _in_view(page, hot, circles)
    assert cell is not None and point is not None, "no hot cell in view"
    _hover(page, point)
    tooltip = page.locator(".leaflet-tooltip").filter(has_text="本期案件数")
    expect(tooltip).to_contain_text(cell["area_name"] or "—")
    assert "新兴热点模式" in tooltip.inner_text()
    # a pattern says it is judged on the whole window, not the period shown (trial AA)
    judged = f"（按全部 {len(series['periods'])} 个月及相邻单元判定）"  # months, not 期
    assert (judged in tooltip.inner_text()) == (cell["pattern"] != "no_pattern")
    assert ("本格本期无案件" in tooltip.inner_text()) == (cell["counts"][-1] == 0)
    page.screenshot_step("1-hot-cell-tooltip")

    # a hot cell without a case of its own says why it is hot
    empty, point = _in_view(page, [c for c in hot if c["counts"][-1] == 0], circles)
    assert empty is not None and point is not None, "no hot cell without cases in view"
    _hover(page, point)
    tooltip = page.locator(".leaflet-tooltip").filter(has_text="本期案件数：0")
    expect(tooltip).to_contain_text("本格本期无案件，因相邻单元案件集中而显著")
    page.screenshot_step("1b-hot-cell-without-cases")

    # a township's name, over a part of it no cell of the window covers
    cells = shapely.union_all([Polygon(c["ring"]) for c in series["cells"]]).buffer(0.002)
    named = None
    for feature in outlines["features"]:
        if feature["properties"]["role"] != "child":
            continue
        free = shape(feature["geometry"]).difference(cells)
        if free.is_empty:
            continue
        spot = free.representative_point()
        point = page.evaluate(_ON_SCREEN, [spot.x, spot.y, circles])
        if point:
            named = feature["properties"]["name"]
            break
    assert named is not None, "no part of a township outside the cells in view"
    _hover(page, point)
    expect(page.locator(".leaflet-tooltip").filter(has_text=named)).to_be_visible()
    expect(page.locator(".leaflet-tooltip").filter(has_text="本期案件数")).to_have_count(0)
    page.screenshot_step("2-township-tooltip")

    # the uncovered hot spots' circles keep their tooltips
    if circles:
        centre = circles[0]
        point = page.evaluate(_ON_SCREEN, [centre[0], centre[1], []])
        if point:
            _hover(page, point)
            expect(page.locator(".leaflet-tooltip").filter(has_text="无摄像机覆盖")).to_be_visible()
            page.screenshot_step("3-uncovered-tooltip")
    page.assert_clean(origin)
