"""The 调度台 asks before it dispatches and takes back a dispatch nobody 受理'd (trial M11), the
county's desk offers 上报 and 交办 on its own case (trial AK M2), and the county's overdue list
says 「已督办，时限 …」 instead of offering a second 督办, in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from layers import workflow
from layers.china_time import CHINA
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _free_worker, _register, _token


def _tasks(client: httpx2.Client, headers: dict[str, str], village: str) -> list[int]:
    """The case ids of the worker's 我的任务 (the command feed's tasks his phone shows)."""
    feed = client.get(f"/api/command/{village}", headers=headers)
    assert feed.status_code == 200, feed.text
    return [task["id"] for task in feed.json()["tasks"]]


@contextmanager
def supervised_overdue_case(
    demo: ConsoleDemo, *, days: int, note: str, latest: bool = False
) -> Iterator[tuple[int, datetime]]:
    """Have the county's commander 督办 an overdue township case under no 督办 until ``days`` from
    now; yield its id and 督办时限, and put its 督办时限 back afterwards.

    ``latest`` takes the county's last such case, not its first (two tests, two cases).
    """
    county = demo.data.county_code.ljust(12, "0")
    with demo.owner.connect() as conn:
        chosen, saved = conn.execute(
            text(
                "SELECT id, supervision_deadline FROM cases WHERE area_code LIKE :county"
                " AND handling_level = 4 AND state = ANY(:open) AND deadline < now()"
                " AND (supervision_deadline IS NULL OR supervision_deadline < now())"
                f" ORDER BY id {'DESC' if latest else ''} LIMIT 1"
            ),
            {"county": county[:6] + "%", "open": sorted(workflow.OPEN_STATES)},
        ).one()
    until = (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0)
    try:
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            me = _token(client, demo.username("commander", county))
            seen = client.get(f"/api/cases/{chosen}", headers=me).json()
            assert "supervise" in seen["allowed_actions"]
            done = client.post(
                f"/api/cases/{chosen}/actions/supervise",
                json={
                    "version": seen["version"],
                    "note": note,
                    "params": {"deadline": until.isoformat()},
                },
                headers=me,
            )
            assert done.status_code == 200, done.text
        yield chosen, until
    finally:
        with demo.owner.begin() as conn:
            conn.execute(
                text("UPDATE cases SET supervision_deadline = :d WHERE id = :id"),
                {"d": saved, "id": chosen},
            )


def open_overdue_list(page: RecordedPage, demo: ConsoleDemo) -> None:
    """Log the county's commander in on his command page and open the area's overdue cases."""
    county = demo.data.county_code.ljust(12, "0")
    login(page, demo.origin, demo.username("commander", county), next_path=f"/console/{county}")
    page.wait_for_function("window.zzReady === true")
    page.locator('#zz-kpis .zz-kpi[data-kpi="overdue"]').click()
    expect(page.locator("#zz-queue-scope")).to_have_value("overdue")


@pytest.mark.browser
def test_the_desk_confirms_a_dispatch_and_recalls_it_until_the_worker_accepts(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    worker_login, worker_id, village, status, dispatcher, spot = _desk(demo)
    township = village[:9] + "000"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        as_worker = _token(client, worker_login)
        me = _token(client, dispatcher)
        _free_worker(client, as_worker, demo, worker_id, status)
        moved = client.post(
            f"/api/workers/{worker_id}/position",
            json={"lon": spot.lon + 0.0002, "lat": spot.lat},
            headers=as_worker,
        )
        assert moved.status_code == 200, moved.text
        case = _register(client, me, spot, "撤回测试：楼道堆物堵塞消防通道", "neighbours", 0.0001)
        case_id = case["id"]
        _act(client, me, case_id, "triage")
        with demo.owner.connect() as conn:
            name = conn.execute(
                text("SELECT name FROM workers WHERE id = :w"), {"w": worker_id}
            ).scalar_one()

        def dispatch_rows() -> list[str]:
            with demo.owner.connect() as conn:
                return list(
                    conn.execute(
                        text("SELECT status FROM dispatches WHERE case_id = :c ORDER BY id"),
                        {"c": case_id},
                    ).scalars()
                )

        login(page, demo.origin, dispatcher, next_path=f"/dispatch/{township}?case={case_id}")
        expect(page.locator("#dz-state")).to_have_text("已分流")
        # beneath the ranking, the workers with an account: he is listed there wherever the
        # ranking puts him (the day's earlier dispatches weigh on it), with his distance
        ours = page.locator(f"#dz-picks tr[data-worker-id='{worker_id}']")
        expect(ours.locator(".dz-pick-assign")).to_be_visible()

        # 1. 派单 asks first: whom, how far, which case; 取消 sends nothing
        ours.locator(".dz-pick-assign").click()
        confirm = page.locator("#dz-confirm")
        expect(confirm).to_contain_text(f"派给网格员 {name}（距案件 ")
        expect(confirm).to_contain_text("近24小时任务")
        expect(confirm).to_contain_text(f"将案件 {case['code']}「{case['title']}」")
        page.screenshot_step("1-confirm-dispatch")
        page.click("#dz-confirm-cancel")
        expect(confirm).to_have_count(0)
        expect(page.locator("#dz-state")).to_have_text("已分流")
        assert dispatch_rows() == []
        ours.locator(".dz-pick-assign").click()
        page.click("#dz-confirm-assign")
        expect(page.locator("#dz-state")).to_have_text("已派单")
        expect(page.locator("#dz-assigned")).to_contain_text(name)
        assert dispatch_rows() == ["assigned"]
        assert case_id in _tasks(client, as_worker, village)

        # 2. 撤回派单: a reason asked (the browser first), then the case is 已分流 again
        recall = page.locator("#dz-recall")
        expect(recall).to_be_visible()
        recall.click()
        expect(page.locator("#dz-act-title")).to_have_text("撤回派单")
        expect(page.locator("#dz-act-note-label")).to_have_text("撤回原因（必填）")
        expect(page.locator("#dz-act-lead")).to_contain_text(f"撤回派给 {name} 的派单")
        page.click("#dz-act-submit")
        assert page.locator("#dz-act-note").evaluate("(n) => n.validity.valueMissing")
        page.fill("#dz-act-note", "误派：该事项应由社区物业先行处理")
        page.screenshot_step("2-recall")
        page.click("#dz-act-submit")
        expect(page.locator("#dz-state")).to_have_text("已分流")
        expect(page.locator("#dz-act-form")).to_be_hidden()
        expect(recall).to_be_hidden()
        # on duty again: he may be sent the next dispatch
        expect(ours.locator(".dz-pick-assign")).to_be_visible()
        assert dispatch_rows() == ["cancelled"]
        assert case_id not in _tasks(client, as_worker, village)
        page.screenshot_step("3-recalled")

        # 3. dispatched again and 受理'd on the worker's phone: no 撤回派单 any more
        ours.locator(".dz-pick-assign").click()
        page.click("#dz-confirm-assign")
        expect(page.locator("#dz-state")).to_have_text("已派单")
        expect(recall).to_be_visible()
        _act(client, as_worker, case_id, "accept")
        expect(page.locator("#dz-state")).to_have_text("已受理")
        expect(recall).to_be_hidden()
        assert dispatch_rows() == ["cancelled", "accepted"]

        # the case page's timeline names the 撤回派单 and its reason
        page.goto(f"{demo.origin}/cases/{case_id}")
        row = page.locator("#cz-timeline tbody tr[data-action=recall]")
        expect(row).to_contain_text("撤回派单")
        expect(row).to_contain_text("已派单 → 已分流")
        expect(row).to_contain_text("误派：该事项应由社区物业先行处理")
        page.assert_clean(demo.origin)
        _act(client, as_worker, case_id, "return", "测试结束，退回")
        with demo.owner.begin() as conn:  # the day's workload of the next tests as it was
            conn.execute(
                text(
                    "UPDATE dispatches SET assigned_at = assigned_at - interval '2 days'"
                    " WHERE case_id = :c"
                ),
                {"c": case_id},
            )


@pytest.mark.browser
def test_the_countys_desk_escalates_and_hands_down_its_own_case(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county = demo.data.county_code.ljust(12, "0")
    commander = demo.username("commander", county)
    _, _, village_code, _, _, spot = _desk(demo)
    with demo.owner.connect() as conn:
        town = conn.execute(
            text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": village_code[:9] + "000"}
        ).scalar_one()
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, commander)
        up = _register(client, me, spot, "上报测试：跨县水源地纠纷", "neighbours", 0.0004)
        down = _register(client, me, spot, "交办测试：村道占用纠纷", "neighbours", 0.0005)
    assert up["handling_level"] == down["handling_level"] == 3

    login(page, demo.origin, commander, next_path=f"/dispatch/{county}?case={up['id']}")
    expect(page.locator("#dz-state")).to_have_text("已登记")
    for shown in ("#dz-triage", "#dz-escalate", "#dz-hand-down"):
        expect(page.locator(shown)).to_be_visible()
    expect(page.locator("#dz-recall")).to_be_hidden()

    # 上报至市级, as the case page words it, with the note the API asks for
    page.click("#dz-escalate")
    expect(page.locator("#dz-act-title")).to_have_text("上报至市级")
    expect(page.locator("#dz-act-lead")).to_have_text(
        "上报后由市级办理（现由县级办理），本级跟踪办理进度。"
    )
    required = workflow.NOTE_REQUIRED.get("escalate")
    expect(page.locator("#dz-act-note-label")).to_have_text(
        f"{required}（必填）" if required else "办理说明（选填）"
    )
    page.fill("#dz-act-note", "涉及两县水源，需市级协调")
    page.screenshot_step("1-escalate")
    page.click("#dz-act-submit")
    expect(page.locator("#dz-state")).to_have_text("已上报")
    expect(page.locator("#dz-case-next")).to_contain_text("现由市级办理")
    expect(page.locator("#dz-escalate")).to_be_hidden()

    # 交办至 the township, not only its level (trial BC)
    page.goto(f"{demo.origin}/dispatch/{county}?case={down['id']}")
    expect(page.locator("#dz-case-title")).to_have_text(down["title"])
    page.click("#dz-hand-down")
    expect(page.locator("#dz-act-title")).to_have_text(f"交办至{town}")
    expect(page.locator("#dz-act-lead")).to_have_text(f"交办后由{town}（乡镇（街道）级）办理。")
    expect(page.locator("#dz-act-note-label")).to_have_text("交办意见（必填）")
    page.fill("#dz-act-note", "请属地乡镇先行调处")
    page.click("#dz-act-submit")
    expect(page.locator("#dz-state")).to_have_text("已分流")
    moved = f"县级 → {town}），现由乡镇（街道）级办理"
    expect(page.locator("#dz-case-next")).to_contain_text(moved)
    assert page.latin_words(".dz-detail") == []
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_overdue_list_says_already_supervised_instead_of_offering_it_again(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    with supervised_overdue_case(demo, days=2, note="两日内化解并报告") as (chosen, until):
        open_overdue_list(page, demo)
        row = page.locator(f"#zz-queue-body tr[data-case-id='{chosen}']")
        shown = until.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        expect(row.locator(".zz-supervised-note")).to_have_text(f"已督办，时限 {shown}")
        expect(row.locator(".zz-act[data-action=supervise]")).to_have_count(0)
        expect(row.locator(".zz-act[data-action=remind]")).to_have_count(1)
        # another overdue township case, under no 督办, is offered it
        others = page.locator("#zz-queue-body tr:not(:has(.zz-supervised-note))")
        expect(others.locator(".zz-act[data-action=supervise]").first).to_be_visible()
        row.scroll_into_view_if_needed()
        page.screenshot_step("1-already-supervised")
        page.assert_clean(demo.origin)
