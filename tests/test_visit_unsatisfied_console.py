"""The case page's 回访 不满意 asks 重新办理 or a reason, and the department's desk says why.

Trial BA M3: a 回访 with 不满意 went on to 已回访 like a 满意 one, and after 重新办理 the
department's desk showed the order as a plain new one. Now the 回访 form asks for the 满意度
(its first option, 不满意, was sent unless changed), and 不满意 shows the choice of 重新办理 or
说明原因后销号, which must be made; 重新办理 sends the order back to 县人社局, whose desk says
「重新办理（…）：回访不满意：…」; the 调度台's 回访 asks the same, here 销号 with its reason.
The case is made through the API in the demo and removed afterwards.
"""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.database import apply_scope
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk, _token
from tests.workflow_data import delete_cases

SAID = "来电人称只退了货款，没有赔偿，对处理结果不满意"
REASON = "诉求的赔偿超出法定标准，已向来电人解释"


@pytest.mark.browser
def test_an_unsatisfied_visit_on_the_case_page_reopens_to_the_department_s_desk(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county = demo.data.county_code
    village = _desk(demo).village
    commander = demo.username("commander", county)
    made: list[int] = []
    try:
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            me, bureau = (
                _token(client, commander),
                _token(client, demo.username("department", county)),
            )
            answer = client.post(
                "/api/cases",
                json={
                    "channel": "hotline_12345",
                    "category": "dispute",
                    "subcategory": "consumer",
                    "title": "回访不满意测试：过期牛奶",
                    "area_code": village,
                },
                headers=me,
            )
            assert answer.status_code == 201, answer.text
            made.append(answer.json()["id"])
            steps = (
                (me, "triage", {}, None),
                (me, "dispatch", {"department": "县人社局"}, None),
                (bureau, "accept", {}, None),
                (bureau, "resolve", {"outcome": "resolved"}, "已责令超市退货"),
            )
            for who, action, params, note in steps:
                version = client.get(f"/api/cases/{made[0]}", headers=who).json()["version"]
                done = client.post(
                    f"/api/cases/{made[0]}/actions/{action}",
                    json={"version": version, "params": params, "note": note},
                    headers=who,
                )
                assert done.status_code == 200, done.text

        login(page, demo.origin, commander, next_path=f"/cases/{made[0]}")
        page.locator("#cz-actions button[data-action='visit']").click()
        expect(page.locator("#cz-p-unsatisfied-box")).to_be_hidden()
        page.fill("#cz-action-note", SAID)
        page.click("#cz-action-submit")  # no 满意度 chosen: the browser holds it back
        assert page.evaluate("!document.getElementById('cz-p-satisfaction').checkValidity()")
        page.select_option("#cz-p-satisfaction", label="不满意")
        expect(page.locator("#cz-p-unsatisfied-box")).to_be_visible()
        page.click("#cz-action-submit")  # nor what follows
        assert page.evaluate("!document.getElementById('cz-p-then').checkValidity()")
        page.select_option("#cz-p-then", "archive")
        expect(page.locator("#cz-p-reason")).to_be_visible()
        page.select_option("#cz-p-then", "reopen")
        expect(page.locator("#cz-p-reason")).to_be_hidden()
        page.screenshot_step("1-unsatisfied-visit")
        page.click("#cz-action-submit")
        expect(page.locator("#cz-state")).to_have_text("已派单")

        # the department's clerk: the order came back, and why
        page.goto("about:blank")
        page.context.clear_cookies()
        login(page, demo.origin, demo.username("department", county))
        page.wait_for_url(f"**/desk/{county}")
        page.wait_for_function("window.zzReady === true")
        row = page.locator("#dk-list-to_accept .dk-case", has_text="回访不满意测试：过期牛奶")
        expect(row.locator(".dk-reopened")).to_contain_text("：回访不满意：" + SAID)
        page.screenshot_step("2-department-desk")
        assert page.latin_words() == []
        page.assert_clean(demo.origin)

        # handled again; the county's 调度台 closes it: 不太满意, then 销号 with its reason
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            bureau = _token(client, demo.username("department", county))
            for _, action, params, note in steps[2:]:
                version = client.get(f"/api/cases/{made[0]}", headers=bureau).json()["version"]
                done = client.post(
                    f"/api/cases/{made[0]}/actions/{action}",
                    json={"version": version, "params": params, "note": note},
                    headers=bureau,
                )
                assert done.status_code == 200, done.text
        page.goto("about:blank")
        page.context.clear_cookies()
        login(page, demo.origin, commander, next_path=f"/dispatch/{county}?case={made[0]}")
        page.click("#dz-closing-actions [data-closing='visit']")
        expect(page.locator("#dz-closing-unsatisfied")).to_be_hidden()
        page.select_option("#dz-closing-satisfaction", label="不太满意")
        expect(page.locator("#dz-closing-unsatisfied")).to_be_visible()
        page.select_option("#dz-closing-then", "archive")
        page.fill("#dz-closing-note", "来电人仍不太满意")
        page.click("#dz-closing-submit")  # no reason: the browser holds it back
        assert page.evaluate("!document.getElementById('dz-closing-reason').checkValidity()")
        page.fill("#dz-closing-reason", REASON)
        page.screenshot_step("3-desk-unsatisfied-archive")
        page.click("#dz-closing-submit")
        expect(page.locator("#dz-state")).to_have_text("已销号")
        with demo.owner.connect() as conn:
            last = conn.execute(
                text(
                    "SELECT action, note FROM case_events WHERE case_id = :i"
                    " ORDER BY id DESC LIMIT 1"
                ),
                {"i": made[0]},
            ).one()
        assert tuple(last) == ("archive", REASON)
    finally:
        with Session(demo.owner) as session, session.begin():
            apply_scope(session, None)
            delete_cases(session, made)
