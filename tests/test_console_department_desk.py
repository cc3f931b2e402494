"""A department lands on its own desk, 本部门待办, led by what waits for its 受理 (trial AQ M1).

The trial's department account landed on the county's command console, where the case just
sent to it was row 15 of the county's 本级待办, and was offered the centre's 回访.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from layers.model.cases import RiskLevel
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _register, _token
from tests.workflow_data import delete_cases

TITLE = "部门待办测试：工地拖欠农民工工资"
DEMAND = "请县人社局3日内办结并书面回复"


@pytest.mark.browser
def test_a_department_lands_on_its_desk_led_by_what_waits_for_its_受理(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county = demo.data.county_code
    _, _, _, _, dispatcher, spot = _desk(demo)
    department = demo.username("department", county)
    made: dict[str, Any] = {}
    repeat: dict[str, Any] = {}
    try:
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            me = _token(client, dispatcher)
            # with a reporter, whose contact the department may read (its note says why)
            called = client.post(
                "/api/cases",
                json={"channel": "walk_in", "category": "dispute", "subcategory": "labour_wages"}
                | {"title": TITLE, "lon": spot.lon + 0.0007, "lat": spot.lat}
                | {"reporter_name": "李秀英", "reporter_phone": "13887712345"},
                headers=me,
            )
            assert called.status_code == 201, called.text
            made = called.json()
            _act(client, me, made["id"], "triage")
            sent = client.post(
                f"/api/cases/{made['id']}/dispatch",
                json={"department": "县人社局", "version": made["version"] + 1},
                headers=me,
            )
            assert sent.status_code == 200, sent.text
            # called again about it, and the county's 督办 of it (trial BA S5, m5)
            repeat = _register(client, me, spot, TITLE, "labour_wages", 0.0007)
            assert repeat["duplicate_of"] == made["id"], repeat
            county_desk = _token(client, demo.username("commander", county))
            seen = client.get(f"/api/cases/{made['id']}", headers=county_desk).json()
            due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
            supervised = client.post(
                f"/api/cases/{made['id']}/actions/supervise",
                json={"version": seen["version"], "params": {"deadline": due}, "note": DEMAND},
                headers=county_desk,
            )
            assert supervised.status_code == 200, supervised.text
        _desk_and_case(page, demo, department, made, seen["risk_level"])
    finally:
        with Session(demo.owner) as session, session.begin():
            delete_cases(session, [c["id"] for c in (repeat, made) if c])


def _desk_and_case(
    page: RecordedPage, demo: ConsoleDemo, department: str, made: dict[str, Any], risk: int
) -> None:
    county = demo.data.county_code
    login(page, demo.origin, department)
    page.wait_for_url(f"**/desk/{county}")
    page.wait_for_function("window.zzReady === true")
    expect(page.locator("#dk-department")).to_have_text("县人社局")
    # its own card, under 待受理: another test of the shared demo may leave an older one first
    first = page.locator("#dk-list-to_accept .dk-case", has_text=TITLE)
    expect(first).to_contain_text("县人社局")
    expect(first.locator(".dk-supervised")).to_contain_text("督办时限 ")
    expect(first.locator(".dk-supervised")).to_contain_text(f"）：{DEMAND}")
    expect(first.locator(".dk-supervised")).to_contain_text("被督办（")
    # what the case page knows: risk, repeat calls, 联系时限 (trial BA m5)
    expect(first.locator(".dk-risk")).to_have_text(RiskLevel.label_of(str(risk)))
    expect(first.locator(".dk-repeats")).to_have_text("重复反映 1 次")
    expect(first.locator(".dk-contact")).to_contain_text("联系时限：")
    # its own month, as the county's 部门考核 counts it: this order at least (closing s44 p2)
    received = page.locator("#dk-figures-values [data-key='received'] .dk-figure-value")
    expect(received).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(page.locator("#dk-figures-window")).to_contain_text("统计时段 ")
    # a 督办 not answered yet is listed before every case without one
    before = page.eval_on_selector_all(
        "#dk-list-to_accept .dk-case",
        "(rows, t) => rows.slice(0, rows.findIndex((r) => r.textContent.includes(t)))"
        ".filter((r) => !r.querySelector('.dk-supervision-todo')).length",
        TITLE,
    )
    assert before == 0
    # no way to the command console's views
    for link in ("#zz-trends-link", "#zz-screen-link", "#dz-new"):
        expect(page.locator(link)).to_have_count(0)
    page.screenshot_step("1-desk")
    first.locator("a").click()
    page.wait_for_url(f"**/cases/{made['id']}")
    actions = page.locator("#cz-actions button")
    expect(actions.first).to_be_visible()
    offered = set(actions.all_inner_texts())
    # and it answers the 督办 itself (trial BA S5)
    assert offered == {"受理", "退回", "督办回复"}, offered
    # the 督办 it answers, as the township reads it, and whose the order is (closing s44 p1)
    banner = page.locator("#cz-supervision-banner")
    expect(banner).to_contain_text(f"督办意见：{DEMAND}")
    expect(banner).to_contain_text("督办时限 ")
    expect(banner).to_contain_text("尚未回复：请办理后用“督办回复”报送办理情况。")
    expect(page.locator("#cz-masked-note")).to_contain_text("本案件已派给本部门（县人社局）办理")
    expect(page.locator("#zz-trends-link")).to_be_hidden()
    expect(page.locator("#zz-screen-link")).to_be_hidden()
    # the command console sends it back to its desk
    page.goto(f"{demo.origin}/console/{county}")
    page.wait_for_url(f"**/desk/{county}")
    page.wait_for_function("window.zzReady === true")
    # the console's own requests the API refuses a department, before it is sent on
    page.assert_clean(demo.origin, expected_errors=(r"status of 403 .*/api/(command|console)/",))


@pytest.mark.browser
def test_a_summons_reaches_the_department_s_desk_and_it_answers(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial AQ S3: 县人设局 was taken, and the real 县人社局 never saw its 吹哨."""
    demo = console_demo
    county = demo.data.county_code
    _, _, _, _, dispatcher, spot = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, dispatcher)
        made = _register(client, me, spot, "吹哨待办测试：劳资欠薪纠纷", "labour_wages", 0.0009)
    case_id = made["id"]
    # the township's 吹哨 form refuses the typo and asks which bureau was meant
    login(page, demo.origin, dispatcher, next_path=f"/cases/{case_id}")
    page.click("#cz-actions [data-action='summon']")
    expect(page.locator("#cz-p-new-departments")).not_to_be_checked()
    page.fill("#cz-p-departments", "县人设局")
    page.click("#cz-action-submit")
    expect(page.locator("#cz-action-error")).to_contain_text("是否为“县人社局”？")
    page.fill("#cz-p-departments", "县人社局")
    page.fill("#cz-action-note", "请人社局派员参与欠薪调处")
    page.click("#cz-action-submit")
    expect(page.locator("#cz-action-form")).to_be_hidden()
    # the department's clerk, in another browser: the case page left first, so that its reads,
    # refused once the cookies are gone, do not send it to /login while the test goes there
    page.goto("about:blank")
    page.context.clear_cookies()

    login(page, demo.origin, demo.username("department", county))
    page.wait_for_url(f"**/desk/{county}")
    page.wait_for_function("window.zzReady === true")
    row = page.locator("#dk-list-summoned .dk-case", has_text="吹哨待办测试：劳资欠薪纠纷")
    expect(row).to_contain_text("吹哨说明：请人社局派员参与欠薪调处")
    row.locator("a").click()
    page.wait_for_url(f"**/cases/{case_id}")
    page.click("#cz-actions [data-action='summon_reply']")
    page.fill("#cz-action-note", "已约谈用工单位，周五前付清")
    page.click("#cz-action-submit")
    expect(page.locator("#cz-action-form")).to_be_hidden()
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        events = client.get(f"/api/cases/{case_id}/events", headers=_token(client, dispatcher))
    last = events.json()[-1]
    assert (last["action"], last["actor_name"], last["note"]) == (
        "summon_reply",
        "县人社局",
        "已约谈用工单位，周五前付清",
    )
    # the typo's refusal, and the live stream the change of account cut
    page.assert_clean(demo.origin, expected_errors=(r"status of 422 .*/summon\)", r"/api/events"))
