"""After the trial of 撤回派单, 督办 and the desk's 上报/交办 (usability trial AN), in headless
Chromium on the 华宁县 demo.

The command page's 「已督办，时限 …」 wraps inside the queue's 操作 cell at 1366 px (M3: the date
was cut off at the table's edge); a grid worker whose phone is open is told, in a notice that
stays until read, that a dispatch of his was recalled, by whom and why (M1: the task vanished
without a word); the desk's message after 上报 and 交办 names where the case went (M6), and its
撤回原因 and 上报原因 fields show an example (N1).
"""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from layers.china_time import CHINA
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _dispatch_to_worker, _register, _token
from tests.test_console_dispatch_recall import open_overdue_list, supervised_overdue_case


def _box(page: RecordedPage, selector: str) -> dict[str, float]:
    """The first match's rectangle in the viewport."""
    box: dict[str, float] = page.evaluate(
        """(selector) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
        }""",
        selector,
    )
    return box


@pytest.mark.browser
@pytest.mark.browser_viewport(1366, 768)
def test_the_supervised_note_wraps_inside_the_queue_at_1366(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    with supervised_overdue_case(demo, days=3, note="三日内化解并报告", latest=True) as (
        chosen,
        until,
    ):
        open_overdue_list(page, demo)
        row = f"#zz-queue-body tr[data-case-id='{chosen}']"
        note = page.locator(f"{row} .zz-supervised-note")
        shown = until.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        expect(note).to_have_text(f"已督办，时限 {shown}")
        note.scroll_into_view_if_needed()
        page.screenshot_step("1-supervised-note")
        box = _box(page, f"{row} .zz-supervised-note")
        cell = _box(page, f"{row} .zz-actions")
        pane = page.evaluate(
            """(selector) => {
                const r = document.querySelector(selector).closest('.zz-pane')
                    .getBoundingClientRect();
                return {left: r.left, right: r.right};
            }""",
            row,
        )
        # the whole note, date and time, inside its cell and inside the queue's pane
        assert cell["left"] - 1 <= box["left"] and box["right"] <= cell["right"] + 1, (box, cell)
        assert pane["left"] <= box["left"] and box["right"] <= pane["right"], (box, pane)
        assert box["right"] <= 1366
        page.assert_clean(demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(390, 844)
def test_the_workers_phone_says_a_dispatch_of_his_was_recalled_and_why(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    title = "撤回通知测试：楼道消防门被杂物堵住"
    case_id = _dispatch_to_worker(demo, title)
    with demo.owner.connect() as conn:
        code = conn.execute(
            text("SELECT code FROM cases WHERE id = :c"), {"c": case_id}
        ).scalar_one()
    login(page, demo.origin, desk.worker_login)
    page.wait_for_url(f"{demo.origin}/console/{desk.village}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    task = page.locator(f"#zz-tasks-body tr[data-case-id='{case_id}']")
    expect(task).to_contain_text(title)
    # the live stream listens before the dispatcher recalls
    page.wait_for_function("window.zzCommand.live && window.zzCommand.live.zzReady === true")

    reason = "改派本网格专职网格员"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _act(client, _token(client, desk.dispatcher), case_id, "recall", reason)
    notice = page.locator("#zz-toasts .zz-sticky", has_text=f"案件 …{code[-4:]} 的派单已被")
    expect(notice).to_contain_text(f"撤回：{reason}")
    expect(task).to_have_count(0)
    page.screenshot_step("1-recall-notice")
    # it stays until read
    notice.get_by_role("button", name="知道了").tap()
    expect(notice).to_have_count(0)
    page.assert_clean(demo.origin)
    with demo.owner.begin() as conn:  # the day's workload of the next tests as it was
        conn.execute(
            text(
                "UPDATE dispatches SET assigned_at = assigned_at - interval '2 days'"
                " WHERE case_id = :c"
            ),
            {"c": case_id},
        )


@pytest.mark.browser
def test_the_desk_says_where_an_escalated_or_handed_down_case_went(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    county = demo.data.county_code.ljust(12, "0")
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        own = _token(client, desk.dispatcher)
        up = _register(
            client, own, desk.spot, "上报去向测试：两镇交界河道纠纷", "neighbours", 0.0006
        )
        down = _register(
            client,
            _token(client, demo.username("commander", county)),
            desk.spot,
            "交办去向测试：村道占用纠纷",
            "neighbours",
            0.0007,
        )
    with demo.owner.connect() as conn:
        town_name = conn.execute(
            text("SELECT name FROM jurisdictions WHERE code = :c"),
            {"c": down["area_code"][:9] + "000"},
        ).scalar_one()

    # the township's desk: 上报's field shows an example, and the message says 已上报至县级
    login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}?case={up['id']}")
    expect(page.locator("#dz-case-title")).to_have_text(up["title"])
    page.click("#dz-escalate")
    expect(page.locator("#dz-act-note")).to_have_attribute(
        "placeholder", "如：涉及多个部门，本级协调不了，请上级统筹"
    )
    page.fill("#dz-act-note", "涉及两镇，需县级协调")
    page.click("#dz-act-submit")
    expect(page.locator("#zz-toasts")).to_contain_text(f"已上报至县级：{up['title']}")
    page.screenshot_step("1-escalated")

    # the county's desk: 交办 names the township it went to
    page.context.clear_cookies()
    login(
        page,
        demo.origin,
        demo.username("commander", county),
        next_path=f"/dispatch/{county}?case={down['id']}",
    )
    expect(page.locator("#dz-case-title")).to_have_text(down["title"])
    # the names of the county's townships come with its outline
    expect(page.locator("#dz-unit-name")).not_to_have_text("本级")
    page.click("#dz-hand-down")
    page.fill("#dz-act-note", "请属地乡镇先行调处")
    page.click("#dz-act-submit")
    expect(page.locator("#zz-toasts")).to_contain_text(f"已交办给{town_name}：{down['title']}")
    page.screenshot_step("2-handed-down")
    page.assert_clean(demo.origin)
