"""The console on a grid worker's phone (390×844, touch), on the 华宁县 demo.

A user trial logged the demo's grid worker in on a phone and found the command view unusable:
the map 0 px wide, the page 854 px wide, the legend over 我的任务, 退出 off screen, the name
(修改密码) 0 px wide, 受理 and 退回 19 px high, the KPI labels cut to one character; on the
调度台 the map 0 px wide and 登记案件's form off screen. These tests measure the pages in the
phone's browser: no horizontal scrolling, the map in view, the top bar's buttons reachable, the
task buttons a finger high, the legend and the layer panel folded behind buttons; the task
settled (办结) on its case page says what was done (办结说明), an empty note held back on the
phone. Screenshots of every step are written to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login, unit_on_map
from tests.test_console_dispatch import _act, _desk, _dispatch_to_worker, _token, free_spot

WIDTH, HEIGHT = 390, 844
TITLE = "手机测试：小区楼道电线私拉乱接"
DISPATCH_NOTE = "请先联系物业，确认电线走向"
REMINDER = "请今天上午到场"
ARRIVAL_NOTE = "已到场，楼道电线已拍照取证，正在联系物业断电整改，预计今日下午完成"
SETTLED_NOTE = "物业已断电，私拉电线已拆除并重新规范布线，拍照留存"


def _box(page: RecordedPage, selector: str) -> dict[str, float]:
    """The first match's rectangle in the viewport (all 0 when it is not displayed)."""
    box: dict[str, float] = page.evaluate(
        """(selector) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                    width: r.width, height: r.height};
        }""",
        selector,
    )
    return box


def _boxes(page: RecordedPage, selector: str) -> list[dict[str, Any]]:
    """Every match's text and rectangle."""
    boxes: list[dict[str, Any]] = page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector), (e) => {
            const r = e.getBoundingClientRect();
            return {text: e.textContent.trim(), left: r.left, right: r.right,
                    width: r.width, height: r.height};
        })""",
        selector,
    )
    return boxes


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two rectangles share any area."""
    across = min(a["right"], b["right"]) > max(a["left"], b["left"])
    down = min(a["bottom"], b["bottom"]) > max(a["top"], b["top"])
    return across and down


def _assert_fits(page: RecordedPage) -> None:
    """No horizontal scrolling; 退出 and the account button (修改密码) within reach."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    for button in ("#zz-logout", "#zz-user"):
        box = _box(page, button)
        assert box["width"] >= 32 and box["height"] >= 24, (button, box)
        assert box["left"] >= 0 and box["right"] <= WIDTH, (button, box)
    # both on the top bar, seen without scrolling
    assert _box(page, "#zz-logout")["top"] >= 0 and _box(page, "#zz-logout")["bottom"] <= HEIGHT


def _assert_map_shown(page: RecordedPage, selector: str) -> None:
    page.locator(selector).scroll_into_view_if_needed()
    box = _box(page, selector)
    assert box["width"] >= WIDTH - 10 and box["height"] >= 250, box
    assert box["left"] >= 0 and box["right"] <= WIDTH, box


def _task_of_worker(demo: ConsoleDemo) -> tuple[int, str, str]:
    """A case dispatched to the demo's grid worker with a note, then reminded (催办) by the
    township; its id, the worker's login and village."""
    worker_login, _worker_id, village, _status, dispatcher, _spot = _desk(demo)
    case_id = _dispatch_to_worker(demo, TITLE, note=DISPATCH_NOTE)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _act(client, _token(client, dispatcher), case_id, "remind", REMINDER)
    return case_id, worker_login, village


def _assert_task_buttons(page: RecordedPage, case_id: int, names: list[str]) -> None:
    """The task's buttons: ``names`` in this order, a finger high, inside the screen."""
    buttons = _boxes(page, f"#zz-tasks-body tr[data-case-id='{case_id}'] .zz-act")
    assert [b["text"] for b in buttons] == names
    for button in buttons:
        assert button["height"] >= 40 and button["width"] >= 44, button
        assert button["left"] >= 0 and button["right"] <= WIDTH, button


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_a_grid_worker_works_their_tasks_on_a_phone(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    case_id, worker_login, village = _task_of_worker(demo)
    settled = False
    try:
        login(page, demo.origin, worker_login)
        page.wait_for_url(f"{demo.origin}/console/{village}")
        page.wait_for_function("window.zzReady === true", timeout=60_000)
        task = page.locator(f"#zz-tasks-body tr[data-case-id='{case_id}']")
        expect(task).to_contain_text(TITLE)
        page.screenshot_step("1-console")
        _assert_fits(page)
        # 研判分析 and 大屏模式 are not his tools (trial AH: a row of his top bar)
        expect(page.locator("#zz-trends-link")).to_be_hidden()
        expect(page.locator("#zz-screen-link")).to_be_hidden()
        _assert_map_shown(page, ".zz-cmd-map .folium-map")
        # every KPI's label whole (the trial read 近·, 办·, 视·)
        cut = page.evaluate(
            """Array.from(document.querySelectorAll('.zz-kpi-label'))
                 .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent)"""
        )
        assert cut == []
        # the legend and the layer panel folded behind buttons, never over the task list
        expect(page.locator("#zz-legend")).to_be_hidden()
        expect(page.locator("#zz-layer-panel")).to_be_hidden()
        page.locator("[data-zz-toggle='legend']").tap()
        expect(page.locator("#zz-legend")).to_be_visible()
        assert not _overlap(_box(page, "#zz-legend"), _box(page, "#zz-tasks-pane"))
        page.screenshot_step("2-legend-open")
        page.locator("[data-zz-toggle='legend']").tap()
        expect(page.locator("#zz-legend")).to_be_hidden()
        page.locator("[data-zz-toggle='layers']").tap()
        expect(page.locator("#zz-layer-panel")).to_be_visible()
        panel = _box(page, "#zz-layer-panel")
        assert panel["left"] >= 0 and panel["right"] <= WIDTH, panel
        assert not _overlap(panel, _box(page, "#zz-tasks-pane"))
        page.screenshot_step("3-layers-open")
        page.locator("[data-zz-toggle='layers']").tap()
        expect(page.locator("#zz-layer-panel")).to_be_hidden()

        # 我的任务: the case page's actions (trial AS M1: 处置反馈, 办结 there too), a finger high
        task.scroll_into_view_if_needed()
        page.screenshot_step("4-my-task")
        _assert_task_buttons(page, case_id, ["受理", "退回"])
        # what the dispatcher asked, and the township's 催办, on the task itself
        expect(task.locator(".zz-dispatch-note")).to_have_text(f"派单说明：{DISPATCH_NOTE}")
        reminded = task.locator(".zz-reminded")
        expect(reminded).to_have_text("催办")
        assert (reminded.get_attribute("title") or "").endswith(REMINDER)
        expect(task.locator(".zz-reminder-note")).to_contain_text(REMINDER)  # no hover on a phone
        note_box = _box(page, f"#zz-tasks-body tr[data-case-id='{case_id}'] .zz-dispatch-note")
        assert note_box["left"] >= 0 and note_box["right"] <= WIDTH, note_box
        task.locator("button[data-action='accept']").tap()
        page.locator("#zz-action-submit").tap()
        expect(task.locator(".zz-case-state")).to_have_text("已受理")
        expect(reminded).to_have_count(0)  # acted on: answered
        expect(task.locator(".zz-reminder-note")).to_have_count(0)
        _assert_task_buttons(page, case_id, ["到场", "处置反馈", "办结", "退回"])
        task.locator("button[data-action='arrive']").tap()
        page.locator("#zz-action-note").fill(ARRIVAL_NOTE)
        page.locator("#zz-action-submit").tap()
        expect(task.locator(".zz-case-state")).to_have_text("已到场")
        _assert_task_buttons(page, case_id, ["处置反馈", "办结", "退回"])
        page.screenshot_step("5-on-site")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

        # the account button opens 修改密码, within the screen
        page.locator("#zz-user").tap()
        expect(page.locator("#zz-password-dialog")).to_be_visible()
        dialog = _box(page, "#zz-password-dialog")
        assert dialog["left"] >= 0 and dialog["right"] <= WIDTH, dialog
        page.screenshot_step("6-password")
        page.locator("#zz-password-cancel").tap()

        # the case page (the task's title): one column, no horizontal scrolling
        task.locator(".zz-case-link").tap()
        page.wait_for_url(f"{demo.origin}/cases/{case_id}")
        expect(page.locator("#cz-title")).to_have_text(TITLE)
        expect(page.locator("#cz-actions button[data-action='resolve']")).to_be_visible()
        page.screenshot_step("7-case-page")
        _assert_fits(page)
        # what is wider than the screen (the tables) scrolls within its own card
        wide = page.evaluate(
            """Array.from(document.querySelectorAll('.cz-page *')).filter((e) => {
                if (e.getBoundingClientRect().right <= innerWidth + 1) return false;
                for (let a = e.parentElement; !a.matches('.cz-page'); a = a.parentElement) {
                    if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return false;
                }
                return true;
            }).map((e) => e.tagName + '#' + e.id + '.' + e.className)"""
        )
        assert wide == []
        # 办理记录 and 派单记录: each step whole on the screen, 说明 too (as tables, they put
        # 说明 and the times off the right edge)
        steps = page.evaluate(
            """Array.from(document.querySelectorAll('#cz-timeline tbody td, #cz-dispatches td'))
                 .filter((td) => td.textContent.trim())
                 .map((td) => { const r = td.getBoundingClientRect();
                                return {text: td.textContent, label: td.dataset.label || null,
                                        left: r.left, right: r.right}; })"""
        )
        # the note, then where the 到场 was registered (trial AZ M4: this phone gives no fix)
        arrival = [s["text"] for s in steps if s["text"].startswith(ARRIVAL_NOTE.rstrip("。"))]
        assert arrival and arrival[0].endswith(("；未获取位置", " 米")), steps
        assert {s["label"] for s in steps} >= {"派单", "受理", "到场"}  # each time named
        off = [s for s in steps if s["left"] < 0 or s["right"] > WIDTH]
        assert off == []
        page_box = page.evaluate(
            "(() => { const p = document.querySelector('.cz-page');"
            " return [p.scrollWidth, p.clientWidth]; })()"
        )
        assert page_box[0] <= page_box[1]
        for button in _boxes(page, "#cz-actions button"):
            assert button["height"] >= 40 and button["right"] <= WIDTH, button
        page.screenshot_step("8-case-page-bottom", full_page=True)

        # 办结: what was done (办结说明) is asked, an empty one held back, a filled one sent
        page.locator("#cz-actions button[data-action='resolve']").tap()
        form = page.locator("#cz-action-form")
        expect(form).to_be_visible()
        expect(page.locator("#cz-action-note-label")).to_have_text("办结说明（必填）")
        note = page.locator("#cz-action-note")
        assert (note.get_attribute("placeholder") or "").startswith("如：")
        # the form brought into view (the page scrolls smoothly: wait until it has arrived), the
        # note a few lines high across the screen, typed at 16 px (no zoom)
        page.wait_for_function(
            """() => {
              const r = document.querySelector('#cz-action-submit').getBoundingClientRect();
              return r.top >= 0 && r.bottom <= window.innerHeight;
            }""",
            timeout=5_000,
        )
        box = _box(page, "#cz-action-note")
        assert box["left"] >= 0 and box["right"] <= WIDTH and box["width"] >= WIDTH - 80, box
        assert box["height"] >= 80 and box["bottom"] <= HEIGHT, box
        assert note.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)") >= 16
        submit = _box(page, "#cz-action-submit")
        assert submit["height"] >= 40 and submit["right"] <= WIDTH, submit
        page.screenshot_step("9-settle-form")
        page.locator("#cz-action-submit").tap()  # empty: the phone's browser holds it back
        assert not note.evaluate("(e) => e.checkValidity()")
        expect(form).to_be_visible()
        expect(page.locator("#cz-action-error")).to_be_hidden()
        expect(page.locator("#cz-state")).to_have_text("已到场")
        note.fill(SETTLED_NOTE)
        page.locator("#cz-p-outcome").select_option("mediated")  # chosen, none preselected
        page.locator("#cz-action-submit").tap()
        expect(page.locator("#cz-state")).to_have_text("已办结")
        settled = True
        expect(form).to_be_hidden()
        done = page.locator("#cz-timeline tbody tr[data-action='resolve']")
        expect(done).to_contain_text(SETTLED_NOTE)
        row = _box(page, "#cz-timeline tbody tr[data-action='resolve']")
        assert row["left"] >= 0 and row["right"] <= WIDTH, row
        page.screenshot_step("10-settled")
        page.assert_clean(demo.origin)
    finally:
        if not settled:  # the demo's one worker free for the other tests
            worker_login, worker_id, _village, _status, _dispatcher, _spot = _desk(demo)
            with httpx2.Client(base_url=demo.origin, timeout=30) as client:
                _act(client, _token(client, worker_login), case_id, "return", "测试结束，退回")


@pytest.mark.browser
@pytest.mark.browser_viewport(WIDTH, HEIGHT)
def test_a_township_dispatcher_registers_a_case_on_a_phone(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    _, _, village, _, dispatcher, spot = _desk(demo)
    township = village[:9] + "000"
    walk_in = "手机调度测试：菜市场摊位纠纷"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        made = client.post(
            "/api/cases",
            json={"channel": "walk_in", "category": "dispute", "title": walk_in}
            | {"lon": spot.lon, "lat": spot.lat},
            headers=_token(client, dispatcher),
        )
        assert made.status_code == 201, made.text
    login(page, demo.origin, dispatcher)
    page.wait_for_url(f"{demo.origin}/dispatch/{township}")
    expect(page.locator("#dz-unit-name")).not_to_have_text("本级")
    expect(page.locator("#dz-queue-list li").first).to_be_attached()
    page.screenshot_step("1-desk")
    _assert_fits(page)
    _assert_map_shown(page, ".dz-map .folium-map")
    # the legend and the layer switcher folded behind a button, over neither the queue nor 登记案件
    expect(page.locator("#dz-legend")).to_be_hidden()
    page.locator("[data-zz-toggle='legend']").tap()
    expect(page.locator("#dz-legend")).to_be_visible()
    legend = _box(page, "#dz-legend")
    assert legend["left"] >= 0 and legend["right"] <= WIDTH, legend
    page.screenshot_step("2-legend-open")
    page.locator("[data-zz-toggle='layers']").tap()  # closes the legend, opens the switcher
    expect(page.locator("#dz-legend")).to_be_hidden()
    switcher = page.locator(".dz-map .leaflet-control-layers")
    expect(switcher).to_be_visible()
    box = _box(page, ".dz-map .leaflet-control-layers")
    assert box["left"] >= 0 and box["right"] <= WIDTH, box
    page.screenshot_step("2-layers-open")
    page.locator("[data-zz-toggle='layers']").tap()
    expect(switcher).to_be_hidden()
    new = page.locator("#dz-new")
    new.scroll_into_view_if_needed()
    box = _box(page, "#dz-new")
    assert box["height"] >= 36 and box["right"] <= WIDTH, box
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('#dz-new') !== null",
        [box["left"] + box["width"] / 2, box["top"] + box["height"] / 2],
    )
    assert hit  # nothing lies over the button

    # ＋ 登记案件: the form within the screen, the map in view to tap the spot
    new.tap()
    form = page.locator("#dz-register")
    expect(form).to_be_visible()
    expect(page.locator("#dz-map-hint")).to_be_visible()
    page.screenshot_step("3-register-opened")
    box = _box(page, "#dz-register")
    assert box["left"] >= 0 and box["right"] <= WIDTH and box["top"] < HEIGHT, box
    hint = _box(page, "#dz-map-hint")
    assert hint["left"] >= 0 and hint["right"] <= WIDTH, hint
    map_box = _box(page, ".dz-map .folium-map")
    assert map_box["bottom"] > 100 and map_box["top"] < HEIGHT  # the map is on screen too
    page.locator(".dz-map .folium-map").tap(position=free_spot(page))
    expect(page.locator("#dz-lon")).not_to_have_value("")
    expect(page.locator("#dz-lat")).not_to_have_value("")
    page.locator("#dz-title").scroll_into_view_if_needed()
    page.screenshot_step("4-spot-tapped")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    page.locator("#dz-register-cancel").tap()

    # a case tapped in the queue under the map: its panel comes into view below the map
    item = page.locator("#dz-queue-list li", has_text=walk_in)
    item.scroll_into_view_if_needed()
    item.tap()
    expect(page.locator("#dz-case-title")).to_have_text(walk_in)
    # the page scrolls there smoothly (Bootstrap's scroll-behavior): wait until it has arrived
    page.wait_for_function(
        """() => {
          const map = document.querySelector('.dz-map .folium-map').getBoundingClientRect();
          const top = document.querySelector('#dz-case').getBoundingClientRect().top;
          return map.bottom - 1 <= top && top < window.innerHeight;
        }""",
        timeout=5_000,
    )
    case_box = _box(page, "#dz-case")
    map_box = _box(page, ".dz-map .folium-map")
    assert map_box["bottom"] - 1 <= case_box["top"] < HEIGHT, (map_box, case_box)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    page.screenshot_step("5-case-selected")

    # the township's command view: 调度台 reachable, the map shown
    page.goto(f"{demo.origin}/console/{township}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    page.screenshot_step("6-console")
    _assert_fits(page)
    desk = _box(page, "#zz-dispatch-link")
    assert desk["width"] >= 32 and desk["left"] >= 0 and desk["right"] <= WIDTH, desk
    _assert_map_shown(page, ".zz-cmd-map .folium-map")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_desktop_layout_stays_as_it_was(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    """At 1280×800 nothing of the phone's: the side panel beside the map, the panels open."""
    demo = console_demo
    _, _, village, _, dispatcher, _spot = _desk(demo)
    township = village[:9] + "000"
    login(page, demo.origin, dispatcher, next_path=f"/console/{township}")
    page.wait_for_url(f"{demo.origin}/console/{township}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    expect(page.locator(".zz-m-toggles")).to_be_hidden()
    expect(page.locator("#zz-legend")).to_be_visible()
    expect(page.locator("#zz-layer-panel")).to_be_visible()
    assert _box(page, ".zz-topbar")["height"] < 50  # one line
    side, map_ = _box(page, ".zz-side"), _box(page, ".zz-cmd-map")
    assert side["width"] == 430 and side["top"] == map_["top"] and side["left"] == map_["right"]
    assert map_["bottom"] == 800 and page.evaluate("document.documentElement.scrollHeight") == 800
    # the township fitted right of the legend (bottom left), which covered its western villages
    page.wait_for_timeout(500)  # the fit's zoom settled
    unit, legend = unit_on_map(page, demo, township), _box(page, "#zz-legend")
    assert map_["left"] + unit["left"] >= legend["right"], (unit, legend)
    page.goto(f"{demo.origin}/dispatch/{township}")
    expect(page.locator("#dz-placeholder")).to_be_visible()
    expect(page.locator("#dz-legend")).to_be_visible()
    expect(page.locator(".dz-map .leaflet-control-layers")).to_be_visible()
    expect(page.locator(".zz-m-toggles")).to_be_hidden()
    queue, map_ = _box(page, ".dz-queue"), _box(page, ".dz-map")
    assert queue["right"] == map_["left"] and queue["top"] == map_["top"]
    page.assert_clean(demo.origin)
