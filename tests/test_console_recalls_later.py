"""The grid worker's phone after trial AN, in headless Chromium on the 华宁县 demo (390×844).

A dispatch of his recalled (撤回派单) while his phone was closed is shown when he opens it later:
under 我的任务, 最近撤回的派单 says which case, who took it back, why and when, until he taps
知道了, and then not again on that phone (M1: the 撤回原因 stood only in the case's timeline).
On the map, the village's grid names stand clear of the cases' count circles (N9: 「复安第3网格」
was half hidden under one).
"""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from layers.china_time import CHINA
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import Desk, _act, _desk, _dispatch_to_worker, _token

WIDTH, HEIGHT = 390, 844


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_a_dispatch_recalled_while_the_phone_was_closed_shows_when_it_opens(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    title = "撤回补告测试：小区门口共享单车堆放堵路"
    case_id = _dispatch_to_worker(demo, title)
    reason = "改派本网格专职网格员"
    # the dispatcher takes it back before the worker opens his phone
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _act(client, _token(client, desk.dispatcher), case_id, "recall", reason)
    with demo.owner.connect() as conn:
        recalled = conn.execute(
            text(
                "SELECT d.id, c.code, e.actor_name, e.at FROM dispatches d"
                " JOIN cases c ON c.id = d.case_id"
                " JOIN case_events e ON e.case_id = c.id AND e.action = 'recall'"
                " WHERE d.case_id = :c"
            ),
            {"c": case_id},
        ).one()
    try:
        login(page, demo.origin, desk.worker_login)
        page.wait_for_url(f"{demo.origin}/console/{desk.village}")
        page.wait_for_function("window.zzReady === true", timeout=60_000)
        item = page.locator(f"#zz-recalls .zz-recall[data-dispatch-id='{recalled.id}']")
        expect(item).to_contain_text(
            f"案件 …{recalled.code[-4:]}「{title}」的派单已被{recalled.actor_name}撤回"
        )
        expect(item).to_contain_text(f"撤回原因：{reason}")
        when = recalled.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        expect(item).to_contain_text(f"撤回时间：{when}")
        expect(page.locator("#zz-recalls")).to_contain_text("最近撤回的派单")
        # in 我的任务, above the tasks, whole on the screen
        assert page.evaluate(
            """() => {
                const box = document.getElementById('zz-recalls');
                const tasks = document.getElementById('zz-tasks-body').closest('table');
                return box.closest('#zz-tasks-pane') !== null
                    && (box.compareDocumentPosition(tasks) & Node.DOCUMENT_POSITION_FOLLOWING) > 0;
            }"""
        )
        item.scroll_into_view_if_needed()
        page.screenshot_step("1-recalled-while-closed")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

        item.get_by_role("button", name="知道了").tap()
        expect(item).to_have_count(0)
        page.screenshot_step("2-read")

        # read on this phone: not shown again when the page is opened anew, though still listed
        page.reload()
        page.wait_for_function("window.zzReady === true", timeout=60_000)
        page.wait_for_function(
            "(id) => (window.zzCommand.feed.recalled || []).some((r) => r.dispatch_id === id)",
            arg=recalled.id,
        )
        expect(item).to_have_count(0)
        page.assert_clean(demo.origin)
    finally:
        with demo.owner.begin() as conn:  # the day's workload of the next tests as it was
            conn.execute(
                text(
                    "UPDATE dispatches SET assigned_at = assigned_at - interval '2 days'"
                    " WHERE case_id = :c"
                ),
                {"c": case_id},
            )


# the grid names' spans that share more than a pixel each way with a count circle, and how many
# names and circles the map shows
OVERLAPS = """() => {
    const boxes = (s) => Array.from(document.querySelectorAll(s), (e) => {
        const r = e.getBoundingClientRect();
        return {text: e.textContent.trim(), left: r.left, top: r.top, right: r.right,
                bottom: r.bottom, shown: r.width > 0};
    }).filter((b) => b.shown);
    const names = boxes('.leaflet-marker-pane .zz-unit-label span');
    const circles = boxes('.leaflet-marker-pane .zz-cluster');
    const hits = [];
    names.forEach((n) => circles.forEach((c) => {
        const w = Math.min(n.right, c.right) - Math.max(n.left, c.left);
        const h = Math.min(n.bottom, c.bottom) - Math.max(n.top, c.top);
        if (w > 1 && h > 1) hits.push(n.text + ' / ' + c.text);
    }));
    return {names: names.length, circles: circles.length, hits: hits};
}"""


def open_phone_map(page: RecordedPage, demo: ConsoleDemo) -> Desk:
    """Log the demo's grid worker in on his phone and wait for his village's map.

    Returns once at least three grids are named and three count circles drawn on it, with the
    map scrolled into view; the desk (:func:`tests.test_console_dispatch._desk`) is returned.
    """
    desk = _desk(demo)
    login(page, demo.origin, desk.worker_login)
    page.wait_for_url(f"{demo.origin}/console/{desk.village}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-marker-pane .zz-unit-label').length >= 3"
        " && document.querySelectorAll('.leaflet-marker-pane .zz-cluster').length >= 3"
    )
    page.locator(".zz-cmd-map .folium-map").scroll_into_view_if_needed()
    return desk


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_the_grid_names_on_the_phone_map_stand_clear_of_the_count_circles(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    open_phone_map(page, demo)
    # once the circles are placed (they spread out after the map is fitted), no name under one
    page.wait_for_function(f"({OVERLAPS})().hits.length === 0", timeout=15_000)
    page.screenshot_step("1-names-clear")
    shown = page.evaluate(OVERLAPS)
    assert shown["hits"] == [] and shown["names"] >= 3 and shown["circles"] >= 3, shown
    # every circle still says its count
    counts = page.locator(".leaflet-marker-pane .zz-cluster span").all_inner_texts()
    assert counts and all(c.strip().isdigit() for c in counts), counts
    # the names are drawn above the markers, where no circle's edge cuts into them
    above = page.evaluate(
        """() => {
            const z = (s) => Array.from(document.querySelectorAll(s),
                (e) => Number(getComputedStyle(e).zIndex) || 0);
            return Math.min(...z('.leaflet-marker-pane .zz-unit-label'))
                > Math.max(...z('.leaflet-marker-pane .zz-cluster'));
        }"""
    )
    assert above
    page.assert_clean(demo.origin)
