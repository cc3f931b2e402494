"""A grid worker holds up to three cases (trial AZ M3), on the phone and on the desk.

The trial's worker on site at the landslide could not be sent the second report from the same
spot: one open case a worker. Now his phone's 我的任务 lists each case sent to him with its own
actions and says 处置中（在办 N 件）; the desk offers him while he holds fewer than three, and
once he holds three his row under 选派其他网格员 reads 在办 3 件，已达上限 with 暂不可派.
Uses the 华宁县 demo's grid worker; every case made here is deleted and he is left as he was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_arrival import _worker_kept
from tests.test_console_dispatch import Desk, _act, _desk, _free_worker, _register, _token

pytestmark = pytest.mark.browser

#: Dispute kinds of the code table, one a case: none is a repeat of another at the same spot.
KINDS = ("neighbours", "land", "labour_wages", "property_management")


@contextmanager
def _cases_to_him(demo: ConsoleDemo, desk: Desk, sent: int) -> Iterator[list[int]]:
    """Four cases at the spot, all triaged, the first ``sent`` dispatched to the demo's worker
    (freed first, at the spot with a fresh position); all deleted afterwards."""
    made: list[int] = []
    with _worker_kept(demo, desk.worker_id, made):
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            worker = _token(client, desk.worker_login)
            dispatcher = _token(client, desk.dispatcher)
            _free_worker(client, worker, demo, desk.worker_id, desk.status)
            here = client.post(
                f"/api/workers/{desk.worker_id}/position",
                json={"lon": desk.spot.lon, "lat": desk.spot.lat},
                headers=worker,
            )
            assert here.status_code == 200, here.text
            for i, kind in enumerate(KINDS):
                case = _register(
                    client, dispatcher, desk.spot, f"暴雨测试：第 {i + 1} 报", kind, 0.00005 * i
                )
                made.append(int(case["id"]))
                triaged = _act(client, dispatcher, case["id"], "triage")
                if i < sent:
                    answer = client.post(
                        f"/api/cases/{case['id']}/dispatch",
                        json={"worker_id": desk.worker_id, "version": triaged["version"]},
                        headers=dispatcher,
                    )
                    assert answer.status_code == 200, answer.text
        yield made


def _state(demo: ConsoleDemo, case_id: int) -> str:
    with demo.owner.connect() as conn:
        return str(
            conn.execute(text("SELECT state FROM cases WHERE id = :c"), {"c": case_id}).scalar_one()
        )


@pytest.mark.browser_viewport(360, 780)
def test_the_phone_lists_two_tasks_and_each_is_acted_on(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    with _cases_to_him(demo, desk, sent=2) as made:
        first, second = made[:2]
        login(page, demo.origin, desk.worker_login)
        page.wait_for_url(f"{demo.origin}/console/{desk.village}")
        page.wait_for_function("window.zzReady === true", timeout=60_000)
        tasks = page.locator("#zz-tasks-body tr")
        expect(tasks).to_have_count(2)
        expect(page.locator("#zz-tasks-count")).to_have_text("2")
        hint = page.locator("#zz-duty-hint")
        expect(hint).to_contain_text("处置中（在办 2 件）")
        expect(hint).to_contain_text("在办不足 3 件时调度员仍可向您派单")
        page.screenshot_step("1-two-tasks")

        # 受理 the first: the second keeps its own 受理
        one = page.locator(f"#zz-tasks-body tr[data-case-id='{first}']")
        two = page.locator(f"#zz-tasks-body tr[data-case-id='{second}']")
        one.locator("button[data-action='accept']").tap()
        page.locator("#zz-action-submit").tap()
        expect(one.locator(".zz-case-state")).to_have_text("已受理")
        expect(two.locator(".zz-case-state")).to_have_text("已派单")
        expect(two.locator("button[data-action='accept']")).to_be_visible()

        # 退回 the second, with its reason: the first stays his, and he stays 处置中
        two.locator("button[data-action='return']").tap()
        page.locator("#zz-action-note").fill("该纠纷涉及土地确权，需乡镇国土所处理")
        page.locator("#zz-action-submit").tap()
        expect(two).to_have_count(0)
        expect(tasks).to_have_count(1)
        expect(one.locator("button[data-action='arrive']")).to_be_visible()
        expect(hint).to_contain_text("处置中（在办 1 件")
        page.screenshot_step("2-one-left")
        assert (_state(demo, first), _state(demo, second)) == ("accepted", "triaged")
        page.assert_clean(demo.origin)


def test_the_desk_offers_a_worker_below_the_cap_and_refuses_the_fourth(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    with _cases_to_him(demo, desk, sent=2) as made:
        third, fourth = made[2:]
        login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}?case={third}")
        expect(page.locator("#dz-state")).to_have_text("已分流")
        expect(page.locator("#dz-candidates-note")).to_contain_text("按距离、在办件数、")
        expect(page.locator("#dz-candidates-note")).to_contain_text("每人最多同时办理 3 件")
        # holding two, at the spot: offered (在办 2 件, 派单), and sent the third
        held = page.locator(f"#dz-picks tr[data-worker-id='{desk.worker_id}']")
        expect(held).to_contain_text("在办 2 件")
        expect(held.locator("button.dz-pick-refused")).to_have_count(0)
        held.locator("button.dz-pick-assign").click()
        expect(page.locator("#dz-confirm")).to_contain_text("在办 2 件")
        page.click("#dz-confirm-assign")
        expect(page.locator("#dz-state")).to_have_text("已派单")
        page.screenshot_step("1-third-sent")

        # the fourth: he is not ranked, and his row says why, with no 派单 to press
        page.goto(f"{demo.origin}/dispatch/{township}?case={fourth}")
        expect(page.locator("#dz-state")).to_have_text("已分流")
        full = page.locator(f"#dz-picks tr[data-worker-id='{desk.worker_id}']")
        expect(full.locator(".dz-pick-why")).to_contain_text("忙碌：在办 3 件，已达上限")
        refused = full.locator("button.dz-pick-refused")
        expect(refused).to_have_text("暂不可派")
        expect(refused).to_be_disabled()
        expect(refused).to_have_attribute("title", re.compile("在办 3 件，已达上限"))
        expect(page.locator(f"#dz-candidates tr[data-worker-id='{desk.worker_id}']")).to_have_count(
            0
        )
        page.screenshot_step("2-fourth-refused")
        # sent anyway (another desk's stale list): refused in Chinese, naming his 在办 3 件
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            dispatcher = _token(client, desk.dispatcher)
            version = client.get(f"/api/cases/{fourth}", headers=dispatcher).json()["version"]
            answer = client.post(
                f"/api/cases/{fourth}/dispatch",
                json={"worker_id": desk.worker_id, "version": version},
                headers=dispatcher,
            )
        assert answer.status_code == 409, answer.text
        assert "在办 3 件，已达上限" in answer.json()["detail"]
        page.assert_clean(demo.origin)
