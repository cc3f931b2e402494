"""The 调度台 after usability trial AS (M6, M7, m3–m6), in headless Chromium on the 华宁县 demo.

* M6: the worker who 退回'd a case reads 原承办人（已退回：<原因>）, not 已撤回 (the dispatcher's
  own 撤回派单), is ranked after the other candidates, and sending it to him again asks with
  仍派给原承办人.
* M7: a busy worker's row under 选派其他网格员 has no 派单 to press: 暂不可派, disabled, the
  reason in its title; since trial AZ M3 only once he holds three cases
  (tests/test_console_open_cases_cap.py): busy with one, he is still offered, 在办 1 件.
* m3: another township's desk shows the refusal card only: no 加载失败 toasts, no 本级 crumb.
* m4: the 督办 banner says that the nearest 督办时限 has passed (已超期 N 天).
* m5: in 处置中 a case due within two days reads 即将到期, an overdue one 已超期.
* m6: the 交办 banner reads 「于 <time> 交办」, with its space.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _dispatch_to_worker, _register, _token

REASON = "该事项涉及企业欠薪，需劳动监察执法，网格员无权处理，建议转县人社局。"
TOASTS_SEEN = """
window.zzDangerToasts = [];
new MutationObserver(function (changes) {
  changes.forEach(function (change) {
    change.addedNodes.forEach(function (node) {
      if (node.classList && node.classList.contains("alert-danger") && node.parentNode
          && node.parentNode.id === "zz-toasts") window.zzDangerToasts.push(node.textContent);
    });
  });
}).observe(document, { childList: true, subtree: true });
"""


def _place(demo: ConsoleDemo, worker_id: int, lon: float, lat: float) -> Any:
    """Put the worker at (lon, lat) just now, on duty in the ranking; return what he had."""
    with demo.owner.begin() as conn:
        before = conn.execute(
            text("SELECT last_seen_at, last_position FROM workers WHERE id = :w"), {"w": worker_id}
        ).one()
        conn.execute(
            text(
                "UPDATE workers SET last_seen_at = now(),"
                " last_position = ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) WHERE id = :w"
            ),
            {"lon": lon, "lat": lat, "w": worker_id},
        )
    return before


def _rest(demo: ConsoleDemo, worker_id: int, case_id: int) -> list[int]:
    """Date the worker's other dispatches of the last day a day back; return their ids.

    The suite's earlier tests dispatch many cases to the demo's one grid worker with an account:
    his 24-hour load (part of the ranking) would push him out of the ten shown, whose order is
    what is tested here.
    """
    with demo.owner.begin() as conn:
        return list(
            conn.execute(
                text(
                    "UPDATE dispatches SET assigned_at = assigned_at - interval '1 day'"
                    " WHERE worker_id = :w AND case_id <> :c"
                    " AND assigned_at > now() - interval '1 day' RETURNING id"
                ),
                {"w": worker_id, "c": case_id},
            ).scalars()
        )


def _unrest(demo: ConsoleDemo, ids: list[int]) -> None:
    with demo.owner.begin() as conn:
        conn.execute(
            text(
                "UPDATE dispatches SET assigned_at = assigned_at + interval '1 day'"
                " WHERE id = ANY(:ids)"
            ),
            {"ids": ids},
        )


def _restore(demo: ConsoleDemo, worker_id: int, before: Any) -> None:
    with demo.owner.begin() as conn:
        conn.execute(
            text("UPDATE workers SET last_seen_at = :seen, last_position = :pos WHERE id = :w"),
            {"seen": before.last_seen_at, "pos": before.last_position, "w": worker_id},
        )


@pytest.mark.browser
def test_a_worker_who_returned_the_case_is_said_so_ranked_last_and_asked_for_again(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    returned = _dispatch_to_worker(demo, "退回测试：装修公司拖欠农民工工资", category="dispute")
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        worker = _token(client, desk.worker_login)
        _act(client, worker, returned, "return", REASON)
    # he stands at the spot: by distance alone he came first
    his = _place(demo, desk.worker_id, desk.spot.lon + 0.00005, desk.spot.lat)
    rested = _rest(demo, desk.worker_id, returned)
    try:
        login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}?case={returned}")
        expect(page.locator("#dz-state")).to_have_text("已分流")
        rows = page.locator("#dz-candidates tbody tr")
        ours = page.locator(f"#dz-candidates tr[data-worker-id='{desk.worker_id}']")
        expect(ours.locator(".dz-withdrawn")).to_have_text(f"原承办人（已退回：{REASON}）")
        assert rows.count() >= 2
        expect(rows.last).to_have_attribute("data-worker-id", str(desk.worker_id))
        expect(rows.last).to_have_class(re.compile(r"\bdz-candidate-returned\b"))
        expect(page.locator("#dz-candidates")).not_to_contain_text("已撤回")
        picked = page.locator(f"#dz-picks tr[data-worker-id='{desk.worker_id}']")
        expect(picked.locator(".dz-withdrawn")).to_have_text(f"原承办人（已退回：{REASON}）")

        ours.locator(".dz-assign").click()
        confirm = page.locator("#dz-confirm")
        expect(confirm).to_contain_text(f"注意：该网格员为原承办人（已退回：{REASON}），已于 ")
        expect(confirm).to_contain_text("退回本案；请确认确需再派给该网格员。")
        expect(page.locator("#dz-confirm-assign")).to_have_text("仍派给原承办人")
        page.screenshot_step("1-confirm-returned")
        page.click("#dz-confirm-assign")
        expect(page.locator("#dz-state")).to_have_text("已派单")

        # now busy with it, he may still be sent another case (up to three, trial AZ M3): his
        # row under 选派其他网格员 reads 在办 1 件 and offers 派单
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            dispatcher = _token(client, desk.dispatcher)
            made = _register(
                client, dispatcher, desk.spot, "忙碌测试：楼道堆放杂物", "neighbours", 0.0003
            )
            _act(client, dispatcher, made["id"], "triage")
        page.goto(f"{demo.origin}/dispatch/{township}?case={made['id']}")
        busy = page.locator(f"#dz-picks tr[data-worker-id='{desk.worker_id}']")
        expect(busy).to_contain_text("在办 1 件")
        expect(busy.locator("button.dz-pick-assign")).to_have_text("派单")
        expect(busy.locator("button.dz-pick-refused")).to_have_count(0)
        page.screenshot_step("2-busy-row")
        page.assert_clean(demo.origin)
    finally:
        _restore(demo, desk.worker_id, his)
        _unrest(demo, rested)
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            case = client.get(
                f"/api/cases/{returned}", headers=_token(client, desk.dispatcher)
            ).json()
            if case["state"] == "dispatched":  # free for the other tests
                _act(
                    client, _token(client, desk.worker_login), returned, "return", "测试结束，退回"
                )


@pytest.mark.browser
def test_another_townships_desk_shows_the_refusal_alone(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    other = next(
        account.username
        for account in demo.report.logins
        if account.role == "dispatcher" and account.scope_code != township
    )
    # every red toast the page ever shows, kept even once it has faded out
    page.add_init_script(TOASTS_SEEN)
    login(page, demo.origin, other, next_path=f"/dispatch/{township}")
    expect(page.locator("#zz-refused-text")).to_have_text(
        f"辖区 {township} 不存在或不在您的管辖范围内"
    )
    expect(page.locator("#zz-refused-home")).to_have_text("返回本辖区")
    page.wait_for_load_state("networkidle")
    # its lists asked beside /api/me (s49), refused by the API too, and nothing of them drawn
    assert [url for url in page.requests if "/api/cases" in url and "/stages?" not in url] == []
    assert page.locator("#dz-queue-list li").count() == 0
    assert page.evaluate("window.zzDangerToasts") == []
    expect(page.locator(".breadcrumb")).not_to_contain_text("本级")
    page.screenshot_step("1-refused")
    page.assert_clean(demo.origin, expected_errors=(r"status of 404",))


@pytest.mark.browser
def test_the_desk_says_passed_and_near_time_limits_and_the_hand_down_reads_well(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    county = demo.data.county_code.ljust(12, "0")
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        above = _token(client, demo.username("commander", county))
        dispatcher = _token(client, desk.dispatcher)
        # m6: the county hands a case down, and 督办s it; its 督办时限 then lies a month back
        made = _register(
            client, above, desk.spot, "交办测试：装修公司拖欠工资", "labour_wages", 0.0004
        )
        assert made["handling_level"] == 3
        _act(client, above, made["id"], "hand_down", "请宁州街道牵头，3日内反馈")
        seen = client.get(f"/api/cases/{made['id']}", headers=above).json()
        until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        supervised = client.post(
            f"/api/cases/{made['id']}/actions/supervise",
            json={"version": seen["version"], "note": "请加快办理", "params": {"deadline": until}},
            headers=above,
        )
        assert supervised.status_code == 200, supervised.text
        # m5: two cases at a department, one due in 1天15小时, one 2 hours overdue
        due = {}
        for title, left, dx in (
            ("临期测试：小区路灯损坏", "1 day 15 hours", 0.0005),
            ("超期测试：楼道堆放杂物", "-2 hours", 0.0006),
        ):
            case = _register(client, dispatcher, desk.spot, title, "neighbours", dx)
            triaged = _act(client, dispatcher, case["id"], "triage")
            sent = client.post(
                f"/api/cases/{case['id']}/dispatch",
                json={"department": "县住建局", "version": triaged["version"]},
                headers=dispatcher,
            )
            assert sent.status_code == 200, sent.text
            due[case["id"]] = left
    with demo.owner.begin() as conn:
        conn.execute(
            text(
                "UPDATE cases SET supervision_deadline = now() - interval '30 days 3 hours'"
                " WHERE id = :c"
            ),
            {"c": made["id"]},
        )
        for case_id, left in due.items():
            conn.execute(
                text("UPDATE cases SET deadline = now() + CAST(:left AS interval) WHERE id = :c"),
                {"left": left, "c": case_id},
            )

    login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}?case={made['id']}")
    expect(page.locator("#dz-moved-here")).to_contain_text("交办来：")
    expect(page.locator("#dz-moved-here")).to_contain_text(
        re.compile(r"于 \d{4}-\d\d-\d\d \d\d:\d\d 交办（县级 → 乡镇（街道）级）")
    )
    expect(page.locator("#dz-supervision-notice-text")).to_have_text(
        re.compile(r"；最近督办时限 \d{4}-\d\d-\d\d \d\d:\d\d（已超期 \d+ 天）$")
    )
    page.screenshot_step("1-handed-down-and-banner")

    page.click("[data-filter='active']")
    soon, late = (page.locator(f".dz-case-item[data-case-id='{i}'] .dz-due") for i in due)
    expect(soon).to_have_text("即将到期")
    expect(late).to_have_text("已超期")
    expect(soon).to_have_attribute("title", re.compile("剩余 1天"))
    page.screenshot_step("2-active-due")
    page.assert_clean(demo.origin)
