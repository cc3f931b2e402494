"""A department asks for more time on the case page, and the county approves it (trial AX S5).

县人社局 handling a 12345 order could not ask for more time. Now its case page offers 申请延期
(a date and a reason), its desk and the county's queue say 待审延期, and the county's 批准延期
moves the case's 办结时限, which both pages and the timeline show.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from layers.database import apply_scope
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login
from tests.test_console_dispatch import _act, _desk, _token
from tests.workflow_data import delete_cases

TITLE = "延期测试：工地拖欠农民工工资（12345）"
LABOUR = "县人社局"  # the demo county's department account (importers.demo.staff)
REASON = "需调取用工单位近六个月工资台账"
BEIJING = ZoneInfo("Asia/Shanghai")
CONDITION = "同意延期，但须提前三天办结并反馈到款凭证"


@pytest.mark.browser
def test_a_department_asks_for_more_time_and_the_county_approves_it_on_the_case_page(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    county = demo.data.county_code.ljust(12, "0")
    commander = demo.username("commander", county)
    department = demo.username("department", county)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        centre = _token(client, commander)
        made = client.post(
            "/api/cases",
            json={
                "channel": "hotline_12345",
                "category": "dispute",
                "subcategory": "labour_wages",
                "title": TITLE,
                "area_code": desk.village,
                "risk_level": 1,
            },
            headers=centre,
        )
        assert made.status_code == 201, made.text
        case = made.json()
        case_id = case["id"]
        try:
            # 分流 rates it orange: its limits are worked out again, and the timeline says so
            seen = client.get(f"/api/cases/{case_id}", headers=centre).json()["version"]
            triaged = client.post(
                f"/api/cases/{case_id}/actions/triage",
                json={"version": seen, "params": {"risk_level": 2}},
                headers=centre,
            )
            assert triaged.status_code == 200, triaged.text
            version = client.get(f"/api/cases/{case_id}", headers=centre).json()["version"]
            sent = client.post(
                f"/api/cases/{case_id}/actions/dispatch",
                json={"version": version, "params": {"department": LABOUR}},
                headers=centre,
            )
            assert sent.status_code == 200, sent.text
            _act(client, _token(client, department), case_id, "accept")
            deadline = datetime.fromisoformat(sent.json()["deadline"])
            wanted = (deadline + timedelta(days=10)).astimezone(BEIJING).replace(second=0)
            wanted = wanted.replace(microsecond=0)
            typed = wanted.strftime("%Y-%m-%dT%H:%M")
            shown = wanted.strftime("%Y-%m-%d %H:%M")
            short = (wanted - timedelta(days=3)).strftime("%Y-%m-%d %H:%M")

            # the department asks on the case page
            login(page, demo.origin, department, next_path=f"/cases/{case_id}")
            page.click("#cz-actions [data-action='extension_request']")
            expect(page.locator("#cz-action-title")).to_have_text("申请延期")
            expect(page.locator("#cz-action-note-label")).to_have_text("延期理由（必填）")
            expect(page.locator("#cz-action-lead")).to_contain_text("延期最多30天")
            page.fill("#cz-p-extend", typed)
            page.fill("#cz-action-note", REASON)
            page.click("#cz-action-submit")
            expect(page.locator("#cz-action-form")).to_be_hidden()
            expect(page.locator("#cz-extension")).to_have_text(
                f"待审延期：{LABOUR} 申请延期至 {shown}，理由：{REASON}"
            )
            asked = page.locator("#cz-timeline tbody tr[data-action='extension_request']")
            expect(asked.locator("td").nth(4)).to_have_text(f"申请延期至 {shown}，理由：{REASON}")
            # it is not offered again, nor its decision
            expect(page.locator("#cz-actions [data-action='extension_request']")).to_have_count(0)
            expect(page.locator("#cz-actions [data-action='extension_approve']")).to_have_count(0)
            # its desk says it waits
            page.goto(f"{demo.origin}/desk/{county}")
            page.wait_for_function("window.zzReady === true")
            row = page.locator("#dk-list-handling .dk-case", has_text=TITLE)
            expect(row.locator(".dk-extension")).to_have_text(
                f"待审延期：已申请延期至 {shown}，等待审批"
            )
            page.screenshot_step("1-desk-pending")
            log_out(page)

            # the county sees it in its queue, and approves it on the case page
            login(page, demo.origin, commander, next_path=f"/console/{county}")
            queued = page.locator(".zz-queue tbody tr", has_text=TITLE)
            expect(queued.locator(".zz-extension-mark")).to_have_text(
                f"待审延期：{LABOUR}申请延期至 {shown}", timeout=15_000
            )
            page.screenshot_step("2-queue-pending")
            # 待审延期 above the queue: the requests this level decides, a click away
            notice = page.locator("#zz-extension-notice")
            expect(notice).to_contain_text("待审延期")
            notice.click()
            expect(page.locator("#zz-queue-scope")).to_have_value("extension_pending")
            expect(page.locator(".zz-queue tbody tr", has_text=TITLE)).to_be_visible()
            # and on its 调度台, under 处置中
            page.goto(f"{demo.origin}/dispatch/{county}")
            page.wait_for_url(f"{demo.origin}/dispatch/{county}")
            page.click(".dz-tabs [data-filter='active']")
            item = page.locator(".dz-case-item", has_text=TITLE)
            expect(item.locator(".dz-extension-mark")).to_have_text("待审延期")
            expect(item.locator(".dz-extension-mark")).to_have_attribute(
                "title", f"{LABOUR}申请延期至 {shown}，理由：{REASON}；请在案件详情中批准或驳回"
            )
            # and under 待审延期, whose tab counts it (trial BA m10), with who asked until when
            expect(page.locator("#dz-count-extension_pending")).to_have_text(
                re.compile(r"^[1-9]\d*\+?$")
            )
            page.click(".dz-tabs [data-filter='extension_pending']")
            expect(item.locator(".dz-extension-note")).to_have_text(f"{LABOUR} 申请延期至 {shown}")
            page.goto(f"{demo.origin}/cases/{case_id}")
            page.click("#cz-actions [data-action='extension_approve']")
            expect(page.locator("#cz-p-extend")).to_have_value(typed)
            expect(page.locator("#cz-action-lead")).to_contain_text(f"申请延期至 {shown}")
            # approved shorter than asked, with a condition: both shown (trial BA m1)
            page.fill("#cz-p-extend", (wanted - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
            page.fill("#cz-action-note", CONDITION)
            page.click("#cz-action-submit")
            expect(page.locator("#cz-action-form")).to_be_hidden()
            expect(page.locator("#cz-deadline")).to_contain_text(short)
            expect(page.locator("#cz-extension")).to_contain_text(
                f"已批准延期至 {short}（申请 {shown}；"
            )
            expect(page.locator("#cz-extension")).to_contain_text(f"：{CONDITION}）")
            # decided: no decision is offered any more
            expect(page.locator("#cz-actions [data-action='extension_approve']")).to_have_count(0)
            expect(page.locator("#cz-actions [data-action='extension_refuse']")).to_have_count(0)
            approved = page.locator("#cz-timeline tbody tr[data-action='extension_approve']")
            expect(approved.locator("td").nth(4)).to_contain_text(f"已批准延期至 {short}")
            # each limit the 分流 moved, from and to, and why (trial BA M4)
            rated = page.locator("#cz-timeline tbody tr[data-action='triage'] td").nth(4)
            expect(rated).to_contain_text("办结时限 ")
            expect(rated).to_contain_text("（分流：按类别和风险等级重新计算）")
            page.screenshot_step("3-approved")
            read = client.get(f"/api/cases/{case_id}", headers=centre).json()
            assert datetime.fromisoformat(read["deadline"]) == wanted - timedelta(days=3)
            assert read["extension"]["status"] == "approved"
            # the account change cut the live stream
            page.assert_clean(demo.origin, expected_errors=(r"/api/events",))
        finally:
            with Session(demo.owner) as session, session.begin():
                apply_scope(session, None)
                delete_cases(session, [case_id])
