"""The 调度台 sends a case to a department as the command view does (user trial W: the case
page's 派单 opened the 调度台, which offered workers only, and a department's staff as
部门工作人员 · 无平台账号 without saying which department)."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _register, _token


@pytest.mark.browser
def test_the_dispatcher_sends_a_case_to_a_department_from_the_desk(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    _worker, _worker_id, village, _status, dispatcher, spot = _desk(demo)
    township = village[:9] + "000"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, dispatcher)
        case_id = _register(client, me, spot, "部门派单测试：违建纠纷", "neighbours", 0.0003)["id"]
        _act(client, me, case_id, "triage")
        # what the desk asks: the departments of the case's level, not a city bureau the area
        # named (the demo's city-level cases, another test's), which the township does not send to
        named = client.get(f"/api/departments?case={case_id}", headers=me).json()

    login(page, demo.origin, dispatcher, next_path=f"/dispatch/{township}?case={case_id}")
    expect(page.locator("#dz-state")).to_have_text("已分流")
    form = page.locator("#dz-department-form")
    expect(form).to_be_visible()
    form.locator("button[type=submit]").click()  # empty: the browser asks for a name first
    assert page.evaluate("!document.getElementById('dz-department').checkValidity()")
    expect(page.locator("#dz-state")).to_have_text("已分流")
    # the departments the area already named are offered, one click each (read once drawn:
    # they come with their own request)
    expect(page.locator("#dz-picks .zz-department").first).to_be_visible()
    offered = page.locator("#dz-picks .zz-department").all_inner_texts()
    assert offered and offered == named["departments"][: len(offered)]
    page.locator("#dz-picks .zz-department").first.click()
    expect(page.locator("#dz-department")).to_have_value(offered[0])
    form.scroll_into_view_if_needed()
    page.screenshot_step("1-department-named")
    form.locator("button[type=submit]").click()
    expect(page.locator("#dz-confirm")).to_contain_text(f"派给职能部门“{offered[0]}”")
    page.click("#dz-confirm-assign")  # 派单 asks first (trial M11)
    expect(page.locator("#dz-state")).to_have_text("已派单")
    with demo.owner.connect() as conn:
        sent = conn.execute(
            text("SELECT department, worker_id FROM dispatches WHERE case_id = :c"),
            {"c": case_id},
        ).one()
    assert (sent.department, sent.worker_id) == (offered[0], None)
    assert page.latin_words("#dz-picks") == []
    page.assert_clean(demo.origin)
