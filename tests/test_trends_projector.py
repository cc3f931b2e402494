"""The trends page and its report on a 1280×720 projector and on paper (trial AY).

* m1: the report's 变化对比 table fits its card, cells wrapped, no sideways scrolling;
* m2: printed, the report's map shows neither Leaflet's zoom nor the layer box, and carries a
  north arrow and the data source with the window;
* m5: the trends page reads its choices from its address and writes them back, so a view is
  bookmarked and shared;
* m6: the trends page's tools fold to their title (the map no longer 40 % covered), the wall's
  zoom buttons leave its legend's title alone, and the city page's table of counties shows no
  column half under its first one;
* M5: beside the cell size, the page and the report say the classes are not compared across
  levels.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage, serve_directory
from tests.console_fixtures import ConsoleDemo, login, open_trends_as_analyst

CELLS_DIFFER = "各级页面格网大小不同，热点类别不宜跨级比较"
READY = "document.body.dataset.ready === '1'"


def _box(page: RecordedPage, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return w * h if w > 0 and h > 0 else 0.0


def _query(page: RecordedPage) -> dict[str, str]:
    return dict(page.evaluate("Object.fromEntries(new URLSearchParams(location.search))"))


@pytest.mark.browser
@pytest.mark.browser_viewport(1280, 720)
def test_the_trends_page_keeps_its_view_in_its_address_and_its_report_fits_a_projector(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    """The page leaves the map free and keeps its view in its address; then, on the same
    login, its report fits a projector and prints without map controls.

    (The report was a test of its own that logged the analyst in and loaded the county's page
    only to read report.html with that login.)
    """
    origin, county = open_trends_as_analyst(page, console_demo)
    # m6: the tools fold to their title at 1280×720; with the legend they cover far less of the map
    tools = page.locator("#trend-tools")
    expect(tools).to_have_class(re.compile(r"\bzz-folded\b"))
    expect(page.locator("#granularity")).to_be_hidden()
    area = _box(page, ".zz-map-area")
    covered = sum(
        _box(page, s)["width"] * _box(page, s)["height"] for s in ("#trend-tools", "#trend-legend")
    )
    assert covered < 0.25 * area["width"] * area["height"], covered / (
        area["width"] * area["height"]
    )
    page.click("#trend-tools-fold")  # opened again, as the command page's panel
    expect(page.locator("#granularity")).to_be_visible()
    page.click("#trend-legend-fold")
    expect(page.locator("#legend-bins")).to_be_hidden()
    page.click("#trend-legend-fold")
    expect(page.locator("#legend-bins")).to_be_visible()
    # M5: beside the cell size
    expect(page.locator("#period-range")).to_contain_text(CELLS_DIFFER)

    # m5: an address asking for quarters opens the quarters
    page.goto(f"{origin}/trends/{county}?granularity=quarter")
    page.wait_for_function(READY, timeout=60_000)
    expect(page.locator("#granularity")).to_have_value("quarter")
    expect(page.locator("#period-label")).to_have_text(re.compile(r"\d{4}年第[1-4]季度"))
    assert page.locator("#period-slider").get_attribute("max") == "7"
    # the choices made are written back: a category, 变化对比's length, an earlier quarter
    page.click("#trend-tools-fold")
    category = page.locator("#source-category option").nth(1).get_attribute("value")
    assert category
    page.select_option("#source-category", category)
    page.wait_for_function(READY, timeout=60_000)
    page.select_option("#change-months", "3")
    page.evaluate(
        "() => { const s = document.getElementById('period-slider'); s.value = '5';"
        " s.dispatchEvent(new Event('input')); }"
    )
    label = page.locator("#period-label").inner_text()
    said = _query(page)
    assert said["granularity"] == "quarter" and said["category"] == category
    assert said["months"] == "3" and "Q" in said["period"], said
    # the address opened anew gives the same view
    page.goto(page.url)
    page.wait_for_function(READY, timeout=60_000)
    expect(page.locator("#granularity")).to_have_value("quarter")
    expect(page.locator("#source-category")).to_have_value(category)
    expect(page.locator("#change-months")).to_have_value("3")
    expect(page.locator("#period-label")).to_have_text(label)
    assert page.locator("#period-slider").input_value() == "5"
    expect(page.locator("#changes-range")).to_contain_text("近3个月")
    # back to months: the address says so (the default left out)
    page.click("#trend-tools-fold")
    page.select_option("#granularity", "month")
    page.wait_for_function(READY, timeout=60_000)
    assert "granularity" not in _query(page) and _query(page)["category"] == category
    page.screenshot_step("trends-1280x720")
    page.assert_clean(origin)

    # The report fits a projector and prints without map controls.
    answer = page.request.get(
        f"{origin}/api/trends/{county}/report.html?granularity=quarter&months=6"
    )
    assert answer.ok
    html = answer.text()
    assert CELLS_DIFFER in html  # M5, beside the cell size in the footer
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    with serve_directory(tmp_path) as local:
        page.goto("about:blank")
        page.requests.clear()
        page.goto(f"{local}/report.html", wait_until="load")
        page.wait_for_selector(".leaflet-overlay-pane path")
        # m1: 变化对比 within its card, nothing scrolled sideways
        fit: dict[str, Any] = page.evaluate(
            "(() => { const box = document.querySelector('.fit');"
            " const t = box.querySelector('table');"
            " const s = box.closest('section');"
            " return {table: t.scrollWidth, box: box.clientWidth, section: s.scrollWidth,"
            " sectionBox: s.clientWidth,"
            " heads: [...t.querySelectorAll('th')].map((h) => h.textContent)}; })()"
        )
        assert any("上升最多的案件类型" in h for h in fit["heads"]), fit["heads"]
        assert fit["table"] <= fit["box"], fit
        assert fit["section"] <= fit["sectionBox"], fit
        page.screenshot_step("report-1280x720")
        # m2: on paper, no zoom and no layer box; a north arrow and the source with the window
        page.emulate_media(media="print")
        expect(page.locator(".leaflet-control-zoom")).to_be_hidden()
        expect(page.locator(".leaflet-control-layers")).to_be_hidden()
        expect(page.locator(".north")).to_be_visible()
        expect(page.locator(".north")).to_contain_text("北")
        source = page.locator(".folium-map .source")
        expect(source).to_be_visible()
        expect(source).to_contain_text("数据来源：")
        expect(source).to_contain_text("统计时段")
        expect(page.locator(".legend")).to_be_visible()
        page.screenshot_step("report-print")
        page.emulate_media(media="screen")
        expect(source).to_be_hidden()  # on the screen the header says it
        page.assert_clean(local)


@pytest.mark.browser
@pytest.mark.browser_viewport(1280, 720)
def test_the_wall_zoom_leaves_the_legend_alone_at_1280(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    county = console_demo.data.county_code.ljust(12, "0")
    login(page, origin, console_demo.username("commander", county), next_path=f"/screen/{county}")
    page.wait_for_url(f"**/screen/{county}")
    page.wait_for_function("window.zzReady === true")
    page.wait_for_function("document.querySelector('#zz-legend .zz-legend-title') !== null")
    zoom = _box(page, ".leaflet-control-zoom")
    legend = _box(page, "#zz-legend")
    assert _overlap(zoom, legend) == 0, (zoom, legend)
    title = _box(page, "#zz-legend .zz-legend-title")
    assert title["y"] >= legend["y"] and _overlap(zoom, title) == 0
    page.screenshot_step("wall-1280x720")
    page.assert_clean(origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(1280, 720)
def test_the_city_table_shows_no_column_half_under_its_first(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    city = console_demo.data.county_code[:4].ljust(12, "0")
    login(page, origin, console_demo.username("commander", city), next_path=f"/trends/{city}")
    page.wait_for_url(f"{origin}/trends/{city}")
    page.wait_for_function(READY, timeout=60_000)
    script = (
        "(() => { const box = document.getElementById('table-children');"
        " const heads = [...box.querySelectorAll('thead th')];"
        " const edge = heads[0].getBoundingClientRect().right;"
        " return {scrolled: box.scrollLeft, cut: heads.slice(1).filter((th) => {"
        " const r = th.getBoundingClientRect();"
        " return r.left < edge - 1 && r.right > edge + 1; })"
        ".map((th) => th.textContent)}; })()"
    )
    shown: dict[str, Any] = page.evaluate(script)
    assert shown["scrolled"] > 0  # the latest month brought into view
    assert shown["cut"] == [], shown
    # an earlier month chosen: still whole columns
    page.evaluate(
        "() => { const s = document.getElementById('period-slider'); s.value = '9';"
        " s.dispatchEvent(new Event('input')); }"
    )
    shown = page.evaluate(script)
    assert shown["cut"] == [], shown
    expect(page.locator("#period-range")).to_contain_text(CELLS_DIFFER)
    page.screenshot_step("city-1280x720")
    page.assert_clean(origin)
