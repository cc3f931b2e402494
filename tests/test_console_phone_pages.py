"""研判分析, 数据导入, 账号管理 and 审计日志 on a phone (390×844, touch), on the 华宁县 demo.

The command view, the 调度台 and the case page were made to work on a phone first
(``tests/test_console_phone.py``). On the four other console pages a phone's browser found: on
研判分析 the panel 470 px wide beside a map squeezed to the left (the page 470 px wide), the
legend and the time slider over one another and over the map; on 数据导入 the form and the list
of imports 416 px wide inside a box that scrolled sideways, their 选择文件 and 上传 31 px high;
on 账号管理 the table squeezed until each name stood one character to a line; on 审计日志 the
身份证号 field and its 查找 cut off at the right, the entries' columns cut. These tests measure
each page in the phone's browser as a user meets it: one scrolling column (the map first on
研判分析), the top bar's account and 退出 in reach, nothing wider than the screen but a table
in a box of its own that scrolls, every button and field a finger high. The last test measures
the pages at 1280×800: their desktop layout as it was. Screenshots of every step are written
to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login, open_trends_as_analyst
from tests.test_console_imports import (
    RUN_TIMEOUT,
    _choose_and_upload,
    _dispatcher,
    _one_case_file,
    _open_imports,
)
from tests.test_console_phone import HEIGHT, WIDTH, _assert_fits, _box

FINGER = 40  # px: the least height of a button or a field a finger taps

# Whether an element lies in a box that scrolls sideways (or in the map, which clips its panes).
IN_SCROLLER = """(e, root) => {
    for (let a = e.parentElement; a && a !== root.parentElement; a = a.parentElement) {
        if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return a;
        if (a.classList.contains('leaflet-container')) return a;
    }
    return null;
}"""


def _layout(page: RecordedPage, root: str) -> dict[str, Any]:
    """How the page under ``root`` lies on the screen.

    ``wide`` lists what reaches past the screen's edges outside a box that scrolls sideways;
    ``root`` is the page's box: its scroll and client sizes and its overflow (a box of its own
    that scrolls, where the document should).
    """
    found: dict[str, Any] = page.evaluate(
        f"""(selector) => {{
            const inScroller = {IN_SCROLLER};
            const root = document.querySelector(selector);
            const wide = Array.from(root.querySelectorAll('*')).filter((e) => {{
                const r = e.getBoundingClientRect();
                if (r.width === 0 || r.height === 0) return false;
                if (r.left >= -1 && r.right <= innerWidth + 1) return false;
                return inScroller(e, root) === null;
            }}).map((e) => e.tagName + '#' + e.id + '.' + e.className);
            const style = getComputedStyle(root);
            return {{
                page: document.documentElement.scrollWidth,
                wide: wide.slice(0, 10),
                root: {{scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
                        scrollHeight: root.scrollHeight, clientHeight: root.clientHeight,
                        overflowY: style.overflowY}},
            }};
        }}""",
        root,
    )
    return found


def _assert_one_column(page: RecordedPage, root: str) -> None:
    """No sideways scrolling: not the page's, not its box's; the document scrolls, not a box."""
    found = _layout(page, root)
    assert found["page"] <= WIDTH, found
    assert found["wide"] == [], found
    box = found["root"]
    assert box["scrollWidth"] <= box["clientWidth"] + 1, box
    # the page's box does not scroll on its own: all of it is the document's one column
    assert box["scrollHeight"] <= box["clientHeight"] + 1, box


def _controls(page: RecordedPage, root: str) -> list[dict[str, Any]]:
    """Every button and field shown under ``root``: its name, rectangle, whether it scrolls."""
    found: list[dict[str, Any]] = page.evaluate(
        f"""(selector) => {{
            const inScroller = {IN_SCROLLER};
            const root = document.querySelector(selector);
            const fields = 'button, .btn, select, textarea, ' +
                'input:not([type=checkbox]):not([type=radio]):not([type=range])' +
                ':not([type=file]):not([type=hidden])';
            return Array.from(root.querySelectorAll(fields)).filter((e) => {{
                const r = e.getBoundingClientRect();
                return r.width > 0 && r.height > 0 && !e.closest('.leaflet-control');
            }}).map((e) => {{
                const r = e.getBoundingClientRect();
                return {{name: e.id || e.textContent.trim() || e.getAttribute('aria-label'),
                         left: r.left, right: r.right, height: r.height,
                         scrolls: inScroller(e, root) !== null}};
            }});
        }}""",
        root,
    )
    return found


def _assert_finger_sized(page: RecordedPage, root: str) -> None:
    """Every button and field under ``root`` a finger high, within the screen unless it scrolls."""
    controls = _controls(page, root)
    assert controls
    for control in controls:
        assert control["height"] >= FINGER - 0.5, control
        if not control["scrolls"]:
            assert control["left"] >= 0 and control["right"] <= WIDTH, control


def _assert_table_scrolls_in_its_box(page: RecordedPage, table: str) -> None:
    """A table wider than the screen scrolls in a box of its own that fits the screen."""
    found = page.evaluate(
        f"""(selector) => {{
            const inScroller = {IN_SCROLLER};
            const table = document.querySelector(selector);
            const box = inScroller(table, document.body);
            const r = box && box.getBoundingClientRect();
            return box && {{left: r.left, right: r.right, scrollWidth: box.scrollWidth,
                             clientWidth: box.clientWidth,
                             table: table.getBoundingClientRect().width}};
        }}""",
        table,
    )
    assert found, f"{table} lies in no box of its own that scrolls"
    assert found["left"] >= 0 and found["right"] <= WIDTH, found
    assert found["scrollWidth"] > found["clientWidth"], found  # wider than the screen: scrolls
    before = page.evaluate("window.scrollX")
    page.evaluate(
        f"""(selector) => ({IN_SCROLLER})(document.querySelector(selector), document.body)
            .scrollLeft = 10000""",
        table,
    )
    assert page.evaluate("window.scrollX") == before == 0  # the box scrolled, not the page


def _assert_fits_at_top(page: RecordedPage) -> None:
    """Back at the top of the page (not smoothly): it fits the screen, 退出 in reach."""
    page.evaluate("window.scrollTo({top: 0, left: 0, behavior: 'instant'})")
    _assert_fits(page)


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_an_analyst_reads_the_trends_on_a_phone(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    origin, _county = open_trends_as_analyst(page, demo)
    page.screenshot_step("1-trends")
    _assert_fits(page)
    _assert_one_column(page, ".zz-trends")

    # the map first, under the top bar, the screen's width and at least 260 px high
    top_bar = _box(page, ".zz-topbar")
    map_box = _box(page, ".zz-trends-map .folium-map")
    assert abs(map_box["top"] - top_bar["bottom"]) <= 1, (top_bar, map_box)
    assert map_box["left"] >= 0 and map_box["right"] <= WIDTH, map_box
    assert map_box["width"] >= WIDTH - 10 and map_box["height"] >= 260, map_box
    # the unit all in view, not fitted beside a 470 px panel the phone does not have
    held = page.evaluate(
        """() => {
            const shown = zzMap.getBounds();
            const parts = [];
            zzMap.eachLayer((l) => {
                if (l.feature && l.feature.properties.role === 'unit') parts.push(l.getBounds());
            });
            return parts.length > 0 && parts.every((b) => shown.contains(b));
        }"""
    )
    assert held
    # the time slider under the map, not over it; 播放 a finger high
    slider = _box(page, "#trend-slider-box")
    assert slider["top"] >= map_box["bottom"] - 1, (map_box, slider)
    side = _box(page, ".zz-trends-side")
    assert side["top"] >= slider["bottom"] - 1 and side["left"] >= 0, side
    assert side["right"] <= WIDTH, side

    # the tools and the legend folded behind 图层 and 图例 on the map, one at a time
    expect(page.locator("#trend-tools")).to_be_hidden()
    expect(page.locator("#trend-legend")).to_be_hidden()
    page.locator(".zz-trends-map [data-zz-toggle='legend']").tap()
    expect(page.locator("#trend-legend")).to_be_visible()
    legend = _box(page, "#trend-legend")
    assert legend["left"] >= 0 and legend["right"] <= WIDTH, legend
    assert legend["top"] >= map_box["top"] and legend["bottom"] <= map_box["bottom"], legend
    page.screenshot_step("2-legend-open")
    page.locator(".zz-trends-map [data-zz-toggle='layers']").tap()
    expect(page.locator("#trend-legend")).to_be_hidden()
    expect(page.locator("#trend-tools")).to_be_visible()
    tools = _box(page, "#trend-tools")
    assert tools["left"] >= 0 and tools["right"] <= WIDTH, tools
    assert tools["top"] >= map_box["top"], tools
    page.screenshot_step("3-tools-open")
    _assert_finger_sized(page, "#trend-tools")
    # a choice in the tools works as on a desktop: the quarters' trends, the page still fits
    page.select_option("#granularity", "quarter")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    expect(page.locator("#period-label")).to_contain_text("季度")
    page.locator(".zz-trends-map [data-zz-toggle='layers']").tap()
    expect(page.locator("#trend-tools")).to_be_hidden()

    # the panel under the map: every button a finger high, the tables scroll in their boxes
    _assert_finger_sized(page, ".zz-trends")
    _assert_one_column(page, ".zz-trends")
    page.locator("#table-children").scroll_into_view_if_needed()
    page.screenshot_step("4-children-table")
    _assert_table_scrolls_in_its_box(page, "#table-children table")
    page.screenshot_step("5-trends-all", full_page=True)
    _assert_fits_at_top(page)
    page.assert_clean(origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_a_dispatcher_dry_runs_an_import_on_a_phone(
    page: RecordedPage, console_demo: ConsoleDemo, tmp_path: Path
) -> None:
    demo = console_demo
    username, _number, path = _one_case_file(demo, tmp_path, f"手机导入{uuid.uuid4().hex[:6]}.csv")
    _open_imports(page, demo, username)
    expect(page.locator("#im-work")).to_be_visible()
    page.screenshot_step("1-form")
    _assert_fits(page)
    _assert_one_column(page, ".im-page")
    # the form the screen's width: its fields and 上传 a finger high, the hints whole
    form = _box(page, "#im-form")
    assert form["left"] >= 0 and form["right"] <= WIDTH, form
    _assert_finger_sized(page, "#im-form")

    # 试运行 of a file: the job's panel below the form and the list, in the one column
    _choose_and_upload(page, path)
    panel = page.locator("#im-job")
    expect(panel.locator("#im-job-state")).to_have_text("试运行通过", timeout=RUN_TIMEOUT)
    expect(page.locator("#im-output")).to_contain_text(path.name)
    panel.scroll_into_view_if_needed()
    page.screenshot_step("2-dry-run")
    _assert_one_column(page, ".im-page")
    job = _box(page, "#im-job")
    assert job["left"] >= 0 and job["right"] <= WIDTH, job
    assert job["top"] >= _box(page, "#im-list")["bottom"] - 1, job
    _assert_finger_sized(page, ".im-page")
    # the command's output readable (a terminal's 110 columns do not fit: it scrolls instead)
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#im-output')).fontSize)"
    )
    assert size >= 10, size
    output = _box(page, "#im-output")
    assert output["left"] >= 0 and output["right"] <= WIDTH, output

    # 我的导入: the list scrolls in its box
    page.locator("#im-list").scroll_into_view_if_needed()
    page.screenshot_step("3-list")
    _assert_table_scrolls_in_its_box(page, "#im-jobs")
    page.screenshot_step("4-all", full_page=True)
    _assert_fits_at_top(page)
    page.assert_clean(demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_an_administrator_manages_the_accounts_on_a_phone(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    login(page, demo.origin, demo.username("admin"))
    page.wait_for_url(f"{demo.origin}/accounts")
    commander = page.locator(f"#ac-rows tr[data-username='{demo.username('commander')}']")
    expect(commander).to_be_visible()
    page.screenshot_step("1-accounts")
    _assert_fits(page)
    _assert_one_column(page, ".ac-page")
    _assert_finger_sized(page, ".ac-page")
    # each account's name and role read whole (the phone's table stood them a character a line)
    name = commander.locator("td").nth(1)
    assert name.evaluate("(e) => e.getBoundingClientRect().width") >= 100
    # its buttons within reach without scrolling sideways
    buttons = commander.locator("td.ac-actions .btn")
    expect(buttons.first).to_be_visible()
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box

    # the filter narrows the list, on the screen's width
    page.locator("#ac-filter").fill("commander")
    expect(page.locator("#ac-rows tr").first).to_contain_text("commander")
    _assert_one_column(page, ".ac-page")
    page.locator("#ac-filter").fill("")

    # ＋ 新建账号: the dialog and its fields within the screen, its buttons a finger high
    page.locator("#ac-new").tap()
    dialog = page.locator("#ac-form-dialog")
    expect(dialog).to_be_visible()
    page.screenshot_step("2-new-account")
    box = _box(page, "#ac-form-dialog")
    assert box["left"] >= 0 and box["right"] <= WIDTH, box
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    _assert_finger_sized(page, "#ac-form-dialog")
    page.locator("#ac-form-cancel").tap()
    expect(dialog).to_be_hidden()
    page.screenshot_step("3-all", full_page=True)
    page.assert_clean(demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_auditor_reads_the_audit_log_on_a_phone(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    login(page, demo.origin, demo.username("auditor"))
    page.wait_for_url(f"{demo.origin}/audit")
    expect(page.locator("#az-entries tbody tr").first).to_be_visible()
    expect(page.locator("#az-chain")).not_to_have_attribute("data-state", "checking")
    page.screenshot_step("1-audit")
    _assert_fits(page)
    _assert_one_column(page, ".az-page")
    # the filters and the 身份证号 lookup fit the screen, a finger high
    for form in ("#az-filters", "#az-lookup"):
        box = _box(page, form)
        assert box["left"] >= 0 and box["right"] <= WIDTH, (form, box)
        _assert_finger_sized(page, form)
    # a filter applied: the log still one column
    page.select_option("#az-action", "login")
    page.locator("#az-apply").tap()
    expect(page.locator("#az-entries tbody tr").first).to_contain_text("登录")
    _assert_one_column(page, ".az-page")

    # the entries scroll in their box; 上一页 / 下一页 a finger high
    page.locator("#az-results").scroll_into_view_if_needed()
    page.screenshot_step("2-entries")
    _assert_table_scrolls_in_its_box(page, "#az-entries")
    _assert_finger_sized(page, "#az-results .card-footer")
    page.screenshot_step("3-all", full_page=True)
    _assert_fits_at_top(page)
    page.assert_clean(demo.origin)


def _desktop_boxes(page: RecordedPage, selectors: list[str]) -> dict[str, list[float]]:
    """Left, top, width and height of each selector's first match, to a tenth of a pixel."""
    boxes: dict[str, list[float]] = page.evaluate(
        """(selectors) => Object.fromEntries(selectors.map((s) => {
            const r = document.querySelector(s).getBoundingClientRect();
            return [s, [r.left, r.top, r.width, r.height].map((v) => Math.round(v * 10) / 10)];
        }))""",
        selectors,
    )
    return boxes


@pytest.mark.browser
def test_the_desktop_layout_of_these_pages_stays_as_it_was(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """At 1280×800 nothing of the phone's: the boxes measured before the phone's layout."""
    demo = console_demo
    origin, _county = open_trends_as_analyst(page, demo)
    expect(page.locator(".zz-m-toggles")).to_be_hidden()
    expect(page.locator("#trend-tools")).to_be_visible()
    expect(page.locator("#trend-legend")).to_be_visible()
    boxes = _desktop_boxes(
        page,
        [".zz-topbar", ".zz-trends-map", ".zz-trends-side", ".zz-trends-tools", "#period-play"],
    )
    assert boxes[".zz-topbar"] == [0, 0, 1280, 48]
    assert boxes[".zz-trends-map"] == [0, 48, 810, 752]  # the map left of the 470 px panel
    assert boxes[".zz-trends-side"] == [810, 48, 470, 752]
    assert boxes[".zz-trends-tools"][:3] == [576, 58, 224]  # over the map, top right (AO m6)
    assert boxes["#period-play"][3] == 31
    slider = _box(page, "#trend-slider-box")
    assert (slider["left"], slider["width"], slider["bottom"]) == (10, 790, 788)  # over the map
    assert _box(page, "#trend-legend")["left"] == 10
    assert page.evaluate("zzMap.getZoom()") == 10  # the county fitted beside the tools
    assert page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    ) == [1280, 800]

    log_out(page)
    username, _township = _dispatcher(demo)
    _open_imports(page, demo, username)
    expect(page.locator("#im-work")).to_be_visible()
    boxes = _desktop_boxes(page, [".im-page", ".im-left", "#im-form", "#im-kind", "#im-submit"])
    assert boxes[".im-page"] == [0, 48, 1280, 752]
    # the form and the list left, all the width up to 64rem while no import is open (AR m4)
    assert boxes[".im-left"][:3] == [20, 96, 1024]
    assert boxes["#im-form"][:3] == [20, 96, 1024]
    assert boxes["#im-kind"][2:] == [352, 31]  # its 22rem at most
    assert boxes["#im-submit"][2:] == [46, 31]
    assert page.evaluate("getComputedStyle(document.querySelector('.im-page')).overflowY") == "auto"

    log_out(page)
    login(page, origin, demo.username("admin"))
    page.wait_for_url(f"{origin}/accounts")
    expect(page.locator("#ac-rows tr").first).to_be_visible()
    boxes = _desktop_boxes(page, ["#ac-table", "#ac-filter", "#ac-new", "#ac-rows tr"])
    assert boxes["#ac-table"][:3] == [16, 99, 1248]  # the table the page's width
    assert boxes["#ac-filter"] == [756.9, 60, 256, 31]
    assert boxes["#ac-new"] == [1172.9, 60, 91.1, 31]
    assert boxes["#ac-rows tr"][:2] == [16, 131.5] and boxes["#ac-rows tr"][3] == 48
    assert page.evaluate("document.documentElement.scrollWidth") == 1280

    log_out(page)
    login(page, origin, demo.username("auditor"))
    page.wait_for_url(f"{origin}/audit")
    expect(page.locator("#az-entries tbody tr").first).to_be_visible()
    boxes = _desktop_boxes(
        page,
        [".az-page", "#az-filters", "#az-action", "#az-resident-id", "#az-entries", "#az-apply"],
    )
    assert boxes[".az-page"] == [0, 48, 1280, 752]
    assert boxes["#az-filters"] == [20, 96, 1240, 104]  # the filters on two lines
    assert boxes["#az-action"][2:] == [256, 31]
    assert boxes["#az-resident-id"][2:] == [174, 31]
    assert boxes["#az-entries"][:3] == [21, 328, 1238]  # under the line saying what is shown
    assert boxes["#az-apply"][2:] == [46, 31]
    page.assert_clean(origin)
