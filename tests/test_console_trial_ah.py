"""Trial AH on the 调度台 and the case page, in headless Chromium on the 华宁县 demo.

The county's and the village's own registrations wait on their own desks and are not said to
be 已交办 or 已上报 (M1, M2); the township's desk shows who returned a case and why (M3), the
worker's 办结结果 and note before 评价、回访、销号 or 重新办理, which keeps the time limits and
asks why (S2, M4, M5), and a superior's 督办意见 and 督办时限 (M6); the case page's 上报 names the
level it goes to and the timeline where it went (S1), and a case without a reporter says
nothing of masking (N4).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login
from tests.test_console_dispatch import (
    _act,
    _desk,
    _free_worker,
    _register,
    _resolved_by_housing,
    _token,
)


def _post(
    client: httpx2.Client, headers: dict[str, str], case_id: int, action: str, **body: Any
) -> Any:
    version = client.get(f"/api/cases/{case_id}", headers=headers).json()["version"]
    path = "dispatch" if action == "dispatch" else f"actions/{action}"
    response = client.post(
        f"/api/cases/{case_id}/{path}", json={"version": version, **body}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def _login_of(demo: ConsoleDemo, role: str, scope_code: str) -> str | None:
    for account in demo.report.logins:
        if account.role == role and account.scope_code == scope_code:
            return account.username
    return None


@pytest.mark.browser
def test_own_registrations_stay_on_their_desks_unsaid_moved(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    county = demo.data.county_code.ljust(12, "0")
    title = "县级登记测试：征地补偿款分配不均"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        made = _register(
            client,
            _token(client, demo.username("commander", county)),
            desk.spot,
            title,
            "demolition",
            0.0012,
        )
    assert made["handling_level"] == 3
    login(page, demo.origin, demo.username("commander", county), next_path=f"/dispatch/{county}")
    page.wait_for_url(f"{demo.origin}/dispatch/{county}")
    item = page.locator("#dz-queue-list .dz-case-item", has_text=title)  # 待派单, the default
    expect(item).to_be_visible()
    item.click()
    expect(page.locator("#dz-case-title")).to_have_text(title)
    expect(page.locator("#dz-triage")).to_be_visible()
    expect(page.locator("#dz-case-next")).to_be_hidden()  # not 已交办: nobody handed it down
    page.screenshot_step("1-county-own-case")
    page.assert_clean(demo.origin)
    village_login = _login_of(demo, "commander", desk.village)
    assert village_login is not None, "the demo has a commander of the worker's village"
    log_out(page)
    small = "村级登记测试：楼上漏水影响楼下住户"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        kept = _register(
            client, _token(client, village_login), desk.spot, small, "neighbours", -0.0012
        )
    assert kept["handling_level"] == 5
    login(page, demo.origin, village_login, next_path=f"/dispatch/{desk.village}")
    page.wait_for_url(f"{demo.origin}/dispatch/{desk.village}")
    page.locator("#dz-queue-list .dz-case-item", has_text=small).click()
    expect(page.locator("#dz-case-title")).to_have_text(small)
    expect(page.locator("#dz-case-next")).to_be_hidden()  # not 已上报
    expect(page.locator("#dz-triage")).to_be_visible()
    expect(page.locator("#dz-moved-here")).to_be_hidden()  # registered here, nobody sent it
    page.screenshot_step("2-village-own-case")
    page.assert_clean(demo.origin)
    # 上报 to the township: its desk reads who sent it and why (trial AK M1: a bare badge)
    why = "涉及供电线路改造，村里协调不了"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _post(client, _token(client, village_login), kept["id"], "escalate", note=why)
    log_out(page)
    township = desk.village[:9] + "000"
    login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}")
    page.wait_for_url(f"{demo.origin}/dispatch/{township}")
    page.locator("#dz-queue-list .dz-case-item", has_text=small).click()
    moved = page.locator("#dz-moved-here")
    expect(moved).to_contain_text("上报来：")
    expect(moved).to_contain_text("村（社区）级 → 乡镇（街道）级")
    expect(moved).to_contain_text(f"说明：{why}")
    page.screenshot_step("3-township-reads-the-report-up")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_township_desk_reads_returns_supervision_and_the_workers_result(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    county = demo.data.county_code.ljust(12, "0")
    returned_title = "退回测试：电线老化存在隐患"
    settled_title = "结案测试：漏水纠纷已协调"
    until = datetime.now(UTC) + timedelta(days=3)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, desk.dispatcher)
        worker = _token(client, desk.worker_login)
        _free_worker(client, worker, demo, desk.worker_id, desk.status)
        sent = _register(client, me, desk.spot, returned_title, "neighbours", 0.0021)
        _act(client, me, sent["id"], "triage")
        _post(client, me, sent["id"], "dispatch", worker_id=desk.worker_id)
        back = _act(client, worker, sent["id"], "return", "该处电线属供电所产权")
        worker_name = client.get("/api/me", headers=worker).json()["display_name"]
        _post(
            client,
            _token(client, demo.username("commander", county)),
            sent["id"],
            "supervise",
            note="于三日内协调供电所处理",
            params={"deadline": until.isoformat()},
        )
        settled = _register(client, me, desk.spot, settled_title, "property_management", -0.0021)
        triaged = _act(client, me, settled["id"], "triage")
        _resolved_by_housing(client, demo, me, settled["id"], triaged["version"], "已协调赔偿")
    assert back["state"] == "triaged"
    login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}")
    page.wait_for_url(f"{demo.origin}/dispatch/{township}")
    item = page.locator("#dz-queue-list .dz-case-item", has_text=returned_title)
    expect(item.locator(".dz-returned-mark")).to_have_text("已退回")
    item.click()
    returned = page.locator("#dz-returned")
    expect(returned).to_contain_text(f"{worker_name}于")
    expect(returned).to_contain_text("原因：该处电线属供电所产权")
    supervision = page.locator("#dz-supervision")
    expect(supervision).to_contain_text("督办意见：于三日内协调供电所处理")
    expect(supervision).to_contain_text("督办时限")
    page.screenshot_step("1-returned-and-supervised")
    # 待结案: the worker's result before the desk decides
    page.click("[data-filter='closing']")
    page.locator("#dz-queue-list .dz-case-item", has_text=settled_title).click()
    resolved = page.locator("#dz-resolved")
    expect(resolved).to_contain_text("调解成功")
    expect(resolved).to_contain_text("办结说明：已协调赔偿")
    page.click("#dz-closing-actions [data-closing='reopen']")
    expect(page.locator("#dz-closing-note-label")).to_have_text("重新办理原因（必填）")
    expect(page.locator("#dz-closing-lead")).to_contain_text("时限不变")
    page.screenshot_step("2-reopen-dialog")
    page.fill("#dz-closing-note", "当事人称仍漏水")
    page.click("#dz-closing-submit")
    expect(page.locator("#dz-reopened")).to_contain_text("当事人称仍漏水")
    expect(page.locator("#dz-candidates-note")).not_to_have_text("案件已办结，无需派单。")
    page.screenshot_step("3-reopened")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_case_page_names_where_a_report_up_goes_and_went(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    title = "上报去向测试：山林权属争议"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        made = _register(client, _token(client, desk.dispatcher), desk.spot, title, "land", 0.0031)
    assert made["reporter_name"] is None
    login(page, demo.origin, desk.dispatcher, next_path=f"/cases/{made['id']}")
    page.wait_for_url(f"{demo.origin}/cases/{made['id']}")
    expect(page.locator("#cz-title")).to_have_text(title)
    expect(page.locator("#cz-masked-note")).to_be_hidden()  # nobody to mask (N4)
    page.locator("#cz-actions button[data-action=escalate]").click()
    expect(page.locator("#cz-action-title")).to_have_text("上报至县级")
    expect(page.locator("#cz-action-lead")).to_contain_text("上报后由县级办理")
    # the county reads why it is sent up: the reason is asked, and without it nothing is sent
    expect(page.locator("#cz-action-note-label")).to_have_text("上报原因（必填）")
    page.screenshot_step("1-escalate-dialog")
    page.click("#cz-action-submit")
    assert page.evaluate("!document.getElementById('cz-action-note').checkValidity()")
    expect(page.locator("#cz-action-error")).to_be_hidden()
    expect(page.locator("#cz-level")).to_have_text("乡镇（街道）级")
    page.fill("#cz-action-note", "涉及两镇山林，请县级协调")
    page.click("#cz-action-submit")
    row = page.locator("#cz-timeline tbody tr[data-action=escalate]")
    expect(row).to_contain_text("乡镇（街道）级 → 县级")
    expect(row).to_contain_text("涉及两镇山林，请县级协调")
    expect(page.locator("#cz-level")).to_have_text("县级")
    page.screenshot_step("2-timeline")
    page.assert_clean(demo.origin)
