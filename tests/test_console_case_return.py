"""退回 says on the case page that its reason is required (user trial W: the field read
办理说明（选填）, then the server refused 请填写退回原因)."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _dispatch_to_worker, _token


@pytest.mark.browser
def test_the_worker_is_told_before_sending_that_a_return_needs_its_reason(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    worker_login = _desk(demo).worker_login
    case_id = _dispatch_to_worker(demo, "退回测试：路灯损坏")
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        as_worker = _token(client, worker_login)
        allowed = client.get(f"/api/cases/{case_id}/allowed", headers=as_worker).json()
        notes = {a["action"]: a["note_required"] for a in allowed["allowed"]}
        assert notes["return"] == "退回原因" and notes["accept"] is None

    login(page, demo.origin, worker_login, next_path=f"/cases/{case_id}")
    page.locator("#cz-actions button[data-action='accept']").click()
    expect(page.locator("#cz-action-note-label")).to_have_text("办理说明（选填）")
    page.click("#cz-action-cancel")
    page.locator("#cz-actions button[data-action='return']").click()
    expect(page.locator("#cz-action-note-label")).to_have_text("退回原因（必填）")
    page.click("#cz-action-submit")  # empty: the browser holds it back, nothing is sent
    assert page.evaluate("!document.getElementById('cz-action-note').checkValidity()")
    expect(page.locator("#cz-action-error")).to_be_hidden()
    expect(page.locator("#cz-action-form")).to_be_visible()
    page.screenshot_step("1-return-needs-its-reason")
    page.fill("#cz-action-note", "不在本网格，请改派")
    page.click("#cz-action-submit")
    expect(page.locator("#cz-actions button[data-action='return']")).to_have_count(0)
    expect(page.locator("#cz-timeline tbody tr").last).to_contain_text("不在本网格，请改派")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_worker_reports_progress_and_a_reload_keeps_his_unsent_note(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    worker_login = _desk(demo).worker_login
    case_id = _dispatch_to_worker(demo, "反馈测试：宅基地边界纠纷", category="dispute", accept=True)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        as_worker = _token(client, worker_login)
        login(page, demo.origin, worker_login, next_path=f"/cases/{case_id}")
        page.locator("#cz-actions button[data-action='feedback']").click()
        expect(page.locator("#cz-action-note-label")).to_have_text("反馈内容（必填）")
        note = "已到现场查看界桩，约定周五组织双方调解"
        page.fill("#cz-action-note", note)
        page.reload()  # the signal drops, the tab reloads: the note is still there
        expect(page.locator("#cz-action-form")).to_be_visible()
        expect(page.locator("#cz-action-title")).to_have_text("处置反馈")
        expect(page.locator("#cz-action-note")).to_have_value(note)
        page.screenshot_step("2-unsent-note-kept")
        page.click("#cz-action-submit")
        expect(page.locator("#cz-timeline tbody tr").last).to_contain_text(note)
        expect(page.locator("#cz-state")).to_have_text("已受理")  # a note, no change of state
        page.reload()
        expect(page.locator("#cz-actions button[data-action='feedback']")).to_be_visible()
        expect(page.locator("#cz-action-form")).to_be_hidden()  # sent: no draft left
        page.assert_clean(demo.origin)
        _act(client, as_worker, case_id, "return", "测试结束，退回")  # free for the other tests
