"""The case page's 回访 and 销号 forms, and its 确定 sent once (trial AS, M5 and m2).

M5: the 回访 form read 「办理说明（选填）」, and 销号 straight after 评价 asked for nothing. Now the
回访 asks for 「回访情况（必填）」 and a 销号 without 回访 for 「不回访的原因（必填）」, saying why.
m2: 确定 stayed live while an action with photos was under way: a second tap sent the upload
again and met 409. Now it is disabled (「提交中…」) until the answer comes, and sends once.
"""

from __future__ import annotations

import re

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage, held_requests
from tests.console_fixtures import ConsoleDemo, login
from tests.test_case_photos import _png
from tests.test_console_dispatch import (
    _act,
    _desk,
    _dispatch_to_worker,
    _resolved_by_housing,
    _token,
)

NO_VISIT = "反映人匿名，无法回访"


@pytest.mark.browser
def test_the_case_page_asks_what_a_visit_learned_and_why_a_case_is_archived_unvisited(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, desk.dispatcher)
        made = client.post(
            "/api/cases",
            json={
                "channel": "walk_in",
                "category": "dispute",
                "subcategory": "property_management",
                "title": "销号测试：物业停车纠纷已调解",
                "lon": desk.spot.lon + 0.0012,
                "lat": desk.spot.lat,
            },
            headers=me,
        )
        assert made.status_code == 201, made.text
        case_id = int(made.json()["id"])
        triaged = _act(client, me, case_id, "triage")
        _resolved_by_housing(client, demo, me, case_id, triaged["version"])

    login(page, demo.origin, desk.dispatcher, next_path=f"/cases/{case_id}")
    page.wait_for_url(f"{demo.origin}/cases/{case_id}")
    # 回访 says what it learned
    page.locator("#cz-actions button[data-action='visit']").click()
    expect(page.locator("#cz-action-note-label")).to_have_text("回访情况（必填）")
    expect(page.locator("#cz-action-lead")).to_contain_text("回访由承办人以外的人员进行")
    page.screenshot_step("1-visit-asks-what-was-learned")
    page.click("#cz-action-cancel")
    # 评价, then 销号 with no 回访: the form asks why none was made
    page.locator("#cz-actions button[data-action='evaluate']").click()
    expect(page.locator("#cz-action-note-label")).to_have_text("办理说明（选填）")
    page.click("#cz-action-submit")
    expect(page.locator("#cz-state")).to_have_text("已评价")
    page.locator("#cz-actions button[data-action='archive']").click()
    expect(page.locator("#cz-action-note-label")).to_have_text("不回访的原因（必填）")
    expect(page.locator("#cz-action-lead")).to_have_text("本案尚未回访：销号须说明不回访的原因。")
    expect(page.locator("#cz-action-note")).to_have_attribute("placeholder", "如：" + NO_VISIT)
    page.click("#cz-action-submit")  # empty: the browser holds it back, nothing is sent
    assert page.evaluate("!document.getElementById('cz-action-note').checkValidity()")
    expect(page.locator("#cz-action-error")).to_be_hidden()
    expect(page.locator("#cz-state")).to_have_text("已评价")
    page.screenshot_step("2-archive-unvisited-asks-why")
    page.fill("#cz-action-note", NO_VISIT)
    page.click("#cz-action-submit")
    expect(page.locator("#cz-state")).to_have_text("已销号")
    expect(page.locator("#cz-timeline tbody tr").last).to_contain_text(NO_VISIT)
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_confirm_is_disabled_while_an_action_with_photos_is_under_way(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    case_id = _dispatch_to_worker(demo, "重复提交测试：路灯不亮")
    upload = re.compile(rf".*/api/cases/{case_id}/actions/accept/with-photos$")
    try:
        login(page, demo.origin, desk.worker_login, next_path=f"/cases/{case_id}")
        page.wait_for_url(f"{demo.origin}/cases/{case_id}")
        page.locator("#cz-actions button[data-action='accept']").click()
        page.locator("#cz-p-photos").set_input_files(
            [{"name": "路灯.png", "mimeType": "image/png", "buffer": _png()}]
        )
        expect(page.locator("#cz-p-photos-picked img")).to_have_count(1)
        submit = page.locator("#cz-action-submit")
        with held_requests(page, upload) as held:
            submit.click()
            held.wait_held()  # the upload is under way (a slow link: held here)
            expect(submit).to_be_disabled()
            expect(submit).to_have_text("提交中…")
            page.screenshot_step("1-confirm-disabled-while-sending")
            # a second tap (or Enter) meanwhile sends nothing
            page.evaluate("document.getElementById('cz-action-form').requestSubmit()")
            held.release()
        expect(page.locator("#cz-state")).to_have_text("已受理")
        expect(page.locator("#zz-toasts")).to_contain_text("已受理（附现场照片 1 张）")
        expect(page.locator("#cz-action-error")).to_be_hidden()
        sent = [url for url in page.requests if upload.match(url)]
        assert len(sent) == 1, sent
        expect(submit).to_be_enabled()
        expect(submit).to_have_text("确定")
        with demo.owner.connect() as conn:
            accepted = conn.execute(
                text("SELECT count(*) FROM case_events WHERE case_id = :id AND action = 'accept'"),
                {"id": case_id},
            ).scalar_one()
        assert accepted == 1
        page.assert_clean(demo.origin)
    finally:
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            as_worker = _token(client, desk.worker_login)
            _act(client, as_worker, case_id, "return", "测试结束，退回")  # free for the others
