"""The case page offers the reporter's contact to those who must phone him (trial AS, M2).

In trial AS the grid worker a case was dispatched to (no unmask right) and the township's
dispatcher (who had typed the number in himself) both read 「李** 138****2345 — 个人信息已脱敏显示。
查看完整信息需由管理员授予查看明文权限。」 while the task card asked for contact within two days.
Now the case page offers them 「查看反映人联系方式」 with the reason box: the clear name and phone
come with a reason, recorded in the audit log. Someone else without the right (the village
below the township handling the case) is still told to ask an administrator.
"""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.demo.plan import DEMO_PASSWORD
from layers import accounts
from layers.database import apply_scope
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login
from tests.test_console_dispatch import _act, _desk, _token

NAME, PHONE = "李秀英", "13887712345"
MASKED_NAME, MASKED_PHONE = "李**", "138****2345"
WORKER_LOGIN = "fixw.gridworker.noright"


def _audited(demo: ConsoleDemo, case_id: int, login_name: str) -> list[tuple[str, str]]:
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT outcome, reason FROM audit_log WHERE action = 'case.reporter.unmask'"
                " AND object_id = :id AND actor_name = :who ORDER BY id"
            ),
            {"id": str(case_id), "who": login_name},
        )
        return [(r.outcome, r.reason) for r in rows]


def _register(client: httpx2.Client, headers: dict[str, str], demo: ConsoleDemo, title: str) -> int:
    spot = _desk(demo).spot
    made = client.post(
        "/api/cases",
        json={
            "channel": "phone",
            "category": "dispute",
            "subcategory": "neighbours",
            "title": title,
            "lon": spot.lon,
            "lat": spot.lat,
            "reporter_name": NAME,
            "reporter_phone": PHONE,
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _reveal(page: RecordedPage, reason: str) -> None:
    """Ask for the contact on the case page, with ``reason``, and see it in clear."""
    form = page.locator("#cz-unmask")
    expect(form).to_be_visible()
    expect(page.locator("#cz-unmask-submit")).to_have_text("查看反映人联系方式")
    # the reason box says what its button does (a user trial: 「查看完整信息的事由」 over it)
    expect(form.locator("label[for='cz-unmask-reason']")).to_have_text(
        "查看反映人联系方式的事由（将记入审计日志）"
    )
    expect(page.locator("#cz-reporter-name")).to_have_text(MASKED_NAME)
    expect(page.locator("#cz-reporter-phone")).to_have_text(MASKED_PHONE)
    assert PHONE not in page.content()
    page.fill("#cz-unmask-reason", reason)
    page.click("#cz-unmask-submit")
    expect(page.locator("#cz-reporter-name")).to_have_text(NAME)
    expect(page.locator("#cz-reporter-phone")).to_have_text(PHONE)
    expect(page.locator("#cz-masked-note")).to_have_text("已显示完整信息，本次查看已记入审计日志。")
    expect(form).to_be_hidden()


@pytest.mark.browser
def test_the_worker_a_case_is_dispatched_to_reads_its_reporter_without_the_right(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    with demo.owner.connect() as conn:
        # a worker of the desk's village with no account yet, free: 吴云琳 in trial AS
        worker_id = conn.execute(
            text(
                "SELECT w.id FROM workers w WHERE w.area_code = :v AND w.status = 'on_duty'"
                " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.worker_id = w.id)"
                " AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.worker_id = w.id"
                "   AND d.status IN ('assigned', 'accepted', 'arrived')) ORDER BY w.id LIMIT 1"
            ),
            {"v": desk.village},
        ).scalar_one()
    with Session(demo.owner) as owner, owner.begin():
        apply_scope(owner, None)
        accounts.create_user(
            owner,
            username=WORKER_LOGIN,
            password=DEMO_PASSWORD,
            role="grid_worker",
            scope_code=desk.village,
            display_name="吴云琳",
            worker_id=int(worker_id),
        )
    case_id = None
    try:
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            as_desk = _token(client, desk.dispatcher)
            case_id = _register(client, as_desk, demo, "联系方式测试：邻里噪音纠纷")
            triaged = _act(client, as_desk, case_id, "triage")
            sent = client.post(
                f"/api/cases/{case_id}/dispatch",
                json={"worker_id": int(worker_id), "version": triaged["version"]},
                headers=as_desk,
            )
            assert sent.status_code == 200, sent.text
        login(page, demo.origin, WORKER_LOGIN, next_path=f"/cases/{case_id}")
        page.wait_for_url(f"{demo.origin}/cases/{case_id}")
        assert page.evaluate("zz.me()")["can_unmask"] is False
        note = page.locator("#cz-masked-note")
        expect(note).to_contain_text("本案件派给您办理，需联系反映人时可查看其联系方式")
        expect(note).not_to_contain_text("需由管理员授予")
        page.screenshot_step("1-worker-offered-the-contact")
        _reveal(page, "联系反映人约定上门时间")
        page.screenshot_step("2-worker-reads-the-contact")
        assert _audited(demo, case_id, WORKER_LOGIN) == [("ok", "联系反映人约定上门时间")]
        # the desk takes the dispatch back (the page follows live): no longer his to phone
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            _act(client, _token(client, desk.dispatcher), case_id, "recall", "测试：撤回派单")
        expect(page.locator("#cz-state")).to_have_text("已分流")
        expect(page.locator("#cz-reporter-phone")).to_have_text(MASKED_PHONE)
        expect(page.locator("#cz-reporter-name")).to_have_text(MASKED_NAME)
        expect(note).to_have_text("个人信息已脱敏显示：网格员只能查看派给本人的案件的反映人信息。")
        expect(page.locator("#cz-unmask")).to_be_hidden()
        assert PHONE not in page.content()
        page.screenshot_step("3-masked-again-once-recalled")
        page.assert_clean(demo.origin)
    finally:
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            as_desk = _token(client, desk.dispatcher)
            if case_id is not None:
                state = client.get(f"/api/cases/{case_id}", headers=as_desk).json()["state"]
                if state == "dispatched":  # frees the worker
                    _act(client, as_desk, case_id, "recall", "测试结束，撤回派单")
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE username = :u"), {"u": WORKER_LOGIN})


@pytest.mark.browser
def test_the_township_desk_reads_the_reporter_it_must_phone_and_the_village_is_told_to_ask(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        case_id = _register(
            client, _token(client, desk.dispatcher), demo, "联系方式测试：楼上漏水纠纷"
        )
    login(page, demo.origin, desk.dispatcher, next_path=f"/cases/{case_id}")
    page.wait_for_url(f"{demo.origin}/cases/{case_id}")
    assert page.evaluate("zz.me()")["can_unmask"] is False  # the demo's dispatchers hold none
    expect(page.locator("#cz-masked-note")).to_contain_text(
        "本级负责办理本案件，需联系或回访反映人时可查看其联系方式"
    )
    _reveal(page, "回访反映人核实诉求")
    assert _audited(demo, case_id, desk.dispatcher) == [("ok", "回访反映人核实诉求")]
    page.screenshot_step("1-desk-reads-the-contact")
    page.assert_clean(demo.origin)

    # the village below the township handling it, without the right: no form, ask an admin
    log_out(page)
    village = demo.username("commander", desk.village)
    login(page, demo.origin, village, next_path=f"/cases/{case_id}")
    page.wait_for_url(f"{demo.origin}/cases/{case_id}")
    expect(page.locator("#cz-masked-note")).to_have_text(
        "个人信息已脱敏显示。查看完整信息需由管理员授予查看明文权限。"
    )
    expect(page.locator("#cz-unmask")).to_be_hidden()
    expect(page.locator("#cz-reporter-phone")).to_have_text(MASKED_PHONE)
    assert PHONE not in page.content()
    page.screenshot_step("2-village-told-to-ask")
    page.assert_clean(demo.origin)
