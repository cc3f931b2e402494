"""The department's desk shows a 吹哨 it answered as 已反馈, who handles each case and its time
limits; its case page leads back to the desk (trial AT M5, m9).

After 县住建局's 吹哨反馈 the desk still showed 「被吹哨 1」 with the same entry; each entry named
only the bureau itself, as if it handled a case dispatched to 县公安局, and no time limit; the
case page's breadcrumb led to 指挥调度, which a department may not open.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _register, _token

SUMMONED = "吹哨反馈测试：安置房项目欠薪"
LATE = "时限测试：工伤赔偿纠纷"
NOTE = "请县人社局核查项目工资专户，12月10日前反馈。"


def _summon(client: httpx2.Client, me: dict[str, str], case_id: int) -> None:
    version = client.get(f"/api/cases/{case_id}", headers=me).json()["version"]
    summoned = client.post(
        f"/api/cases/{case_id}/actions/summon",
        json={"version": version, "params": {"departments": ["县人社局"]}, "note": NOTE},
        headers=me,
    )
    assert summoned.status_code == 200, summoned.text


def _dispatch(client: httpx2.Client, me: dict[str, str], made: Any, department: str) -> None:
    sent = client.post(
        f"/api/cases/{made['id']}/dispatch",
        json={"department": department, "version": made["version"] + 1},
        headers=me,
    )
    assert sent.status_code == 200, sent.text


@pytest.mark.browser
def test_the_desk_marks_an_answered_summons_and_says_who_handles_each_case_and_by_when(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county = demo.data.county_code
    _, _, _, _, dispatcher, spot = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, dispatcher)
        summoned = _register(client, me, spot, SUMMONED, "labour_wages", 0.0011)
        _act(client, me, summoned["id"], "triage")
        _dispatch(client, me, summoned, "县公安局")
        _summon(client, me, summoned["id"])
        late = _register(client, me, spot, LATE, "labour_wages", 0.0013)
        _act(client, me, late["id"], "triage")
        _dispatch(client, me, late, "县人社局")
    with demo.owner.begin() as conn:  # its 办结时限 passed an hour ago
        conn.execute(
            text(
                "UPDATE cases SET reported_at = now() - interval '3 days',"
                " deadline = now() - interval '1 hour' WHERE id = :id"
            ),
            {"id": late["id"]},
        )

    login(page, demo.origin, demo.username("department", county))
    page.wait_for_url(f"**/desk/{county}")
    page.wait_for_function("window.zzReady === true")
    waiting = page.locator("#dk-list-summoned .dk-case", has_text=SUMMONED)
    # who handles it is 县公安局, not the bureau whose desk it is; when the 吹哨 was made
    expect(waiting.locator(".dk-meta")).to_contain_text("承办：县公安局")
    expect(waiting.locator(".dk-meta")).to_contain_text("向县人社局吹哨")
    expect(waiting.locator(".dk-when")).to_contain_text("吹哨 20")
    expect(waiting).to_contain_text("吹哨说明：" + NOTE)
    overdue = page.locator("#dk-list-to_accept .dk-case", has_text=LATE)
    expect(overdue.locator(".dk-meta")).to_contain_text("承办：县人社局")
    expect(overdue.locator(".dk-deadline")).to_contain_text("办结时限：20")
    flag = overdue.locator(".dk-deadline-flag")
    expect(flag).to_have_text("已超期")
    expect(flag).to_have_class("ms-2 fw-bold dk-deadline-flag text-danger")
    page.screenshot_step("1-desk")

    waiting.locator("a").click()
    page.wait_for_url(f"**/cases/{summoned['id']}")
    back = page.locator("#cz-back")
    expect(back).to_have_text("本部门待办")  # not 指挥调度, which a department may not open
    expect(back).to_have_attribute("href", f"/desk/{county}")
    page.click("#cz-actions [data-action='summon_reply']")
    page.fill("#cz-action-note", "已核查项目工资专户，总包单位周五前支付")
    page.click("#cz-action-submit")
    expect(page.locator("#cz-action-form")).to_be_hidden()
    back.click()
    page.wait_for_url(f"**/desk/{county}")
    page.wait_for_function("window.zzReady === true")
    answered = page.locator("#dk-list-answered .dk-case", has_text=SUMMONED)
    expect(answered.locator(".dk-answered")).to_contain_text("已反馈（20")
    expect(page.locator("#dk-list-summoned .dk-case", has_text=SUMMONED)).to_have_count(0)
    # 被吹哨 counts only the unanswered
    unanswered = page.locator("#dk-list-summoned .dk-case").count()
    expect(page.locator("#dk-count-summoned")).to_have_text(str(unanswered))
    page.screenshot_step("2-answered")

    # 吹哨'd again: unanswered again
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _summon(client, _token(client, dispatcher), summoned["id"])
    page.reload()
    page.wait_for_function("window.zzReady === true")
    expect(page.locator("#dk-list-summoned .dk-case", has_text=SUMMONED)).to_have_count(1)
    expect(page.locator("#dk-list-answered .dk-case", has_text=SUMMONED)).to_have_count(0)
    page.assert_clean(demo.origin)
