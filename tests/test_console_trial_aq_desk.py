"""The case page and the 调度台 after usability trial AQ (M3, m1–m5), in headless Chromium.

* M3: a case the worker 退回'd after 受理 in time no longer says 联系时限 … 超期: it says when the
  contact was made, on time, and that the case went back.
* m4: 办结 preselects no 办结结果: the operator must choose one.
* m3: the toast says what happened (已办结), not 「办结：已完成」.
* m1: a note box says 已输入 N/2000 and what a paste over the limit lost.
* m2: a long 上报 reason folds after four lines with 展开全文.
* m5: selecting a case shows about 500 m around it, not 100 m.
"""

from __future__ import annotations

import json

import httpx2
import pytest
from playwright.sync_api import expect

from layers import workflow
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _dispatch_to_worker, _register, _token
from web.render import code_tables_json

PASTE = """
(text) => {
  const box = document.getElementById("cz-action-note");
  box.focus();
  const data = new DataTransfer();
  data.setData("text", text);
  box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
  box.value = text.slice(0, box.maxLength);  // what the browser keeps of a real paste
  box.dispatchEvent(new Event("input", { bubbles: true }));
}
"""


def test_every_action_says_what_happened_once_done() -> None:
    """m3: one table of what the toasts say, one entry for every action, none 「已完成」."""
    assert set(workflow.DONE_LABELS) == set(workflow.RULES)
    assert not any("完成" in said for said in workflow.DONE_LABELS.values())
    done = json.loads(code_tables_json())["case_action_done"]
    assert (done["feedback"], done["return"], done["resolve"]) == ("反馈已提交", "已退回", "已办结")


@pytest.mark.browser
def test_a_returned_case_was_contacted_in_time_and_its_resolve_asks_for_an_outcome(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    case_id = _dispatch_to_worker(demo, "联系时限测试：楼道堆放杂物", accept=True)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        worker = _token(client, desk.worker_login)
        _act(client, worker, case_id, "return", "不属本网格，请改派")

    login(page, demo.origin, desk.dispatcher, next_path=f"/cases/{case_id}")
    contact = page.locator("#cz-contact-deadline")
    expect(contact).to_contain_text("受理，按时；已退回")
    expect(contact).not_to_contain_text("超期")
    expect(contact).not_to_contain_text("剩余")

    # dispatched again and 受理'd: the desk closes it on the worker's behalf
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        dispatcher = _token(client, desk.dispatcher)
        seen = client.get(f"/api/cases/{case_id}", headers=dispatcher).json()
        sent = client.post(
            f"/api/cases/{case_id}/dispatch",
            json={"worker_id": desk.worker_id, "version": seen["version"]},
            headers=dispatcher,
        )
        assert sent.status_code == 200, sent.text
        _act(client, _token(client, desk.worker_login), case_id, "accept")
    page.reload()
    page.locator("#cz-actions button[data-action='resolve']").click()
    outcome = page.locator("#cz-p-outcome")
    expect(outcome).to_have_value("")
    expect(outcome.locator("option:checked")).to_have_text("请选择办结结果")

    page.evaluate(PASTE, "调" * 2100)
    count = page.locator("#cz-action-note + .zz-note-count")
    expect(count).to_have_text("已输入 2000/2000；粘贴的内容超过 2000 字，已截去末尾 100 字")
    page.fill("#cz-action-note", "已协调物业清理楼道杂物，当事双方无异议")
    expect(count).to_have_text("已输入 19/2000")

    page.click("#cz-action-submit")
    expect(page.locator(".zz-field-problem")).to_have_text("请选择办结结果")
    expect(page.locator("#cz-state")).not_to_have_text("已办结")
    outcome.select_option("resolved")
    page.screenshot_step("1-resolve")
    page.click("#cz-action-submit")
    expect(page.locator("#zz-toasts")).to_contain_text("已办结")
    expect(page.locator("#zz-toasts")).not_to_contain_text("已完成")
    expect(page.locator("#cz-timeline")).to_contain_text("已解决")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_a_long_escalation_reason_folds_and_the_map_shows_the_cases_surroundings(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    reason = "社区调解两次未果，双方分歧较大。" * 110  # 1,760 characters
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        village = _token(client, demo.username("commander", desk.village))
        made = _register(client, village, desk.spot, "折叠测试：宅基地边界纠纷", "land", 0.0006)
        assert made["handling_level"] == 5
        _act(client, village, made["id"], "escalate", reason)

    login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}?case={made['id']}")
    moved = page.locator("#dz-moved-here")
    expect(moved).to_contain_text("上报来：")
    unfold = moved.locator(".dz-unfold")
    expect(unfold).to_be_visible()
    folded = moved.bounding_box()
    assert folded is not None and folded["height"] < 140  # four lines, not the whole reason
    page.screenshot_step("1-folded")
    unfold.click()
    expect(unfold).to_be_hidden()
    opened = moved.bounding_box()
    assert opened is not None and opened["height"] > 3 * folded["height"]
    # selected again from the queue: about 500 m around the case, not zoom 17 (100 m)
    page.locator(f'.dz-case-item[data-case-id="{made["id"]}"]').click()
    page.wait_for_function(
        "([lat, lon]) => window.zzMap.getCenter().distanceTo([lat, lon]) < 50"
        " && window.zzMap.getZoom() <= 16",
        arg=[made["lat"], made["lon"]],
    )
    span = page.evaluate(
        "(() => { const b = window.zzMap.getBounds();"
        " return b.getNorthWest().distanceTo(b.getSouthWest()); })()"
    )
    assert span >= 900
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_worker_a_recall_took_the_case_from_is_marked_when_it_is_sent_again(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """M4: 原承办人（已撤回：<原因>） in his row and in the 确认派单 box."""
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    case_id = _dispatch_to_worker(demo, "原承办人测试：小区门口占道经营")
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _act(client, _token(client, desk.dispatcher), case_id, "recall", "改派本网格专职网格员")

    login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}?case={case_id}")
    expect(page.locator("#dz-state")).to_have_text("已分流")
    ours = page.locator(f"#dz-picks tr[data-worker-id='{desk.worker_id}']")
    expect(ours.locator(".dz-withdrawn")).to_have_text("原承办人（已撤回：改派本网格专职网格员）")
    ours.locator(".dz-pick-assign").click()
    expect(page.locator("#dz-confirm")).to_contain_text(
        "注意：该网格员为原承办人（已撤回：改派本网格专职网格员）。"
    )
    page.screenshot_step("1-confirm")
    page.click("#dz-confirm-cancel")
    page.assert_clean(demo.origin)
