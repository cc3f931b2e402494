"""The grid worker's open phone after trial AO, in headless Chromium on the 华宁县 demo (390×844).

A dispatch to him while his page is open is announced in a notice that stays until 知道了
(新派单: case, title, 联系时限; 查看 opens the case) and the phone vibrates (M5: only 我的任务's
count changed); the tasks listed when the page opened are not announced. A case recalled and
dispatched to him again takes the recall's notice 「…撤回：…请勿前往」 away and says 已重新派给您
(M6: the recall's notice stood under the new task).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
import pytest
from playwright.sync_api import Locator, expect
from sqlalchemy import text

from layers.china_time import CHINA
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import Desk, _act, _desk, _dispatch_to_worker, _token

WIDTH, HEIGHT = 390, 844

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_viewport(WIDTH, HEIGHT),
]

# navigator.vibrate as the page calls it, kept for the test to read (headless Chromium has no
# vibrator to ask)
VIBRATIONS = """
navigator.vibrate = function (pattern) {
    (window.zzVibrations = window.zzVibrations || []).push(pattern);
    return true;
};
"""


def _case(demo: ConsoleDemo, case_id: int) -> tuple[str, str]:
    """The case's number and its 联系时限 as the page writes it (北京时间)."""
    with demo.owner.connect() as conn:
        row = conn.execute(
            text("SELECT code, contact_deadline FROM cases WHERE id = :c"), {"c": case_id}
        ).one()
    return row.code, row.contact_deadline.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _open_phone(page: RecordedPage, demo: ConsoleDemo) -> None:
    desk = _desk(demo)
    page.add_init_script(VIBRATIONS)
    login(page, demo.origin, desk.worker_login)
    page.wait_for_url(f"{demo.origin}/console/{desk.village}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)
    # the live stream listens before the dispatcher acts
    page.wait_for_function("window.zzCommand.live && window.zzCommand.live.zzReady === true")


@contextmanager
def _workload_kept(demo: ConsoleDemo, case_ids: list[int]) -> Iterator[None]:
    """Put the day's workload of the next tests back as it was (their dispatches 2 days ago)."""
    try:
        yield
    finally:
        with demo.owner.begin() as conn:
            conn.execute(
                text(
                    "UPDATE dispatches SET assigned_at = assigned_at - interval '2 days'"
                    " WHERE case_id = ANY(:c)"
                ),
                {"c": case_ids},
            )


@contextmanager
def _new_task_on_the_phone(
    page: RecordedPage, demo: ConsoleDemo, title: str
) -> Iterator[tuple[Desk, int, str, str]]:
    """Open the worker's phone, then dispatch him a case titled ``title``.

    Yields the desk, the case's id, its number and its 联系时限; on leaving puts the day's
    workload back as it was.
    """
    desk = _desk(demo)
    cases: list[int] = []
    with _workload_kept(demo, cases):
        _open_phone(page, demo)
        cases.append(_dispatch_to_worker(demo, title))
        yield (desk, cases[0], *_case(demo, cases[0]))


def _recall(demo: ConsoleDemo, desk: Desk, case_id: int, reason: str) -> None:
    """The desk's dispatcher recalls the case's dispatch, saying why."""
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _act(client, _token(client, desk.dispatcher), case_id, "recall", reason)


def _dispatch_again(demo: ConsoleDemo, desk: Desk, case_id: int) -> None:
    """The desk's dispatcher sends the recalled case to the desk's worker once more."""
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        as_dispatcher = _token(client, desk.dispatcher)
        version = client.get(f"/api/cases/{case_id}", headers=as_dispatcher).json()["version"]
        sent = client.post(
            f"/api/cases/{case_id}/dispatch",
            json={"worker_id": desk.worker_id, "version": version, "note": None},
            headers=as_dispatcher,
        )
        assert sent.status_code == 200, sent.text


def _recall_notice(page: RecordedPage, code: str) -> Locator:
    """The notice that the dispatch of the case numbered ``code`` was recalled."""
    return page.locator("#zz-toasts .zz-sticky", has_text=f"案件 …{code[-4:]} 的派单已被")


def test_a_dispatch_to_the_open_phone_is_announced_until_read(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    cases: list[int] = []
    with _workload_kept(demo, cases):
        cases.append(_dispatch_to_worker(demo, "派单提醒测试：楼道堆放纸箱杂物"))
        _open_phone(page, demo)
        # the task he had when the page opened is listed, not announced
        expect(page.locator(f"#zz-tasks-body tr[data-case-id='{cases[0]}']")).to_be_visible()
        expect(page.locator("#zz-toasts .zz-new-task")).to_have_count(0)

        # he turns to 走访; the dispatcher sends him a new case (his old one returned first)
        page.locator(".zz-tab[data-pane=visits]").tap()
        title = "派单提醒测试：小区消防通道被车辆占用"
        cases.append(_dispatch_to_worker(demo, title))
        code, contact = _case(demo, cases[1])
        notice = page.locator("#zz-toasts .zz-sticky.zz-new-task")
        expect(notice).to_have_count(1)
        expect(notice).to_contain_text(
            f"新派单：案件 …{code[-4:]}「{title}」，请于 {contact} 前联系/受理"
        )
        expect(notice.get_by_role("link", name="查看")).to_have_attribute(
            "href", f"/cases/{cases[1]}"
        )
        assert notice.get_attribute("data-case-id") == str(cases[1])
        expect(notice).to_be_in_viewport()
        assert page.evaluate("window.zzVibrations.length") == 1
        page.screenshot_step("1-new-dispatch")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

        # it stays until read; the task is in 我的任务
        expect(page.locator(f"#zz-tasks-body tr[data-case-id='{cases[1]}']")).to_be_attached()
        notice.get_by_role("button", name="知道了").tap()
        expect(notice).to_have_count(0)
        page.assert_clean(demo.origin)


def test_a_case_dispatched_again_after_its_recall_withdraws_the_recall_notice(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    title = "重新派单测试：单元门禁损坏无法关闭"
    with _new_task_on_the_phone(page, demo, title) as (desk, case_id, code, contact):
        task = page.locator(f"#zz-tasks-body tr[data-case-id='{case_id}']")
        expect(task).to_be_attached()
        expect(page.locator("#zz-toasts .zz-new-task")).to_have_count(1)
        page.locator("#zz-toasts .zz-new-task").get_by_role("button", name="知道了").tap()

        reason = "改派本网格专职网格员，请勿前往"
        _recall(demo, desk, case_id, reason)
        recall = _recall_notice(page, code)
        expect(recall).to_contain_text(f"撤回：{reason}")
        expect(task).to_have_count(0)
        # this case's entry: an earlier test's recall may still be unread in the box
        recalled = page.locator("#zz-recalls .zz-recall", has_text=f"案件编号 {code}")
        expect(recalled).to_have_count(1)
        page.screenshot_step("1-recalled")

        # the dispatcher thinks again and sends it to him once more
        _dispatch_again(demo, desk, case_id)
        again = page.locator("#zz-toasts .zz-new-task")
        expect(again).to_contain_text(
            f"新派单：案件 …{code[-4:]}「{title}」已重新派给您，此前的撤回不再适用，"
            f"请于 {contact} 前联系/受理"
        )
        expect(task).to_be_attached()
        # no notice and no 最近撤回 left that tells him not to go
        expect(recall).to_have_count(0)
        expect(page.locator("#zz-toasts")).not_to_contain_text("请勿前往")
        expect(recalled).to_have_count(0)
        page.screenshot_step("2-dispatched-again")
        page.assert_clean(demo.origin)


def test_one_notice_a_case_and_the_task_row_gives_its_contact_limit(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial AP M1: unread, the 新派单 notice stood above the recall's 「请勿前往」, and after a
    re-dispatch two 新派单 notices of the case covered its 受理; m3: the task row gave only the
    办结 limit, not the 联系时限."""
    demo = console_demo
    title = "单条提醒测试：楼道堆物引发邻里争吵"
    with _new_task_on_the_phone(page, demo, title) as (desk, case_id, code, contact):
        task = page.locator(f"#zz-tasks-body tr[data-case-id='{case_id}']")
        mine = page.locator(f"#zz-toasts .zz-new-task[data-case-id='{case_id}']")
        expect(mine).to_have_count(1)
        # not yet 受理'd: the row says by when to contact, beside the 办结 countdown
        expect(task.locator(".zz-contact-due")).to_have_text(f"联系时限 {contact[5:]} 前")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

        reason = "地址有误，改派社区民警，请勿前往"
        _recall(demo, desk, case_id, reason)
        recall = _recall_notice(page, code)
        expect(recall).to_contain_text(reason)
        # the unread 新派单 of the case went with the recall: no "go" beside "do not go"
        expect(mine).to_have_count(0)
        expect(page.locator("#zz-toasts")).not_to_contain_text("前联系/受理")
        page.screenshot_step("1-recalled-unread-notice-gone")

        _dispatch_again(demo, desk, case_id)
        expect(mine).to_contain_text("已重新派给您")
        expect(mine).to_have_count(1)  # one notice of the case, the latest dispatch's
        expect(recall).to_have_count(0)
        expect(task.locator(".zz-contact-due")).to_have_text(f"联系时限 {contact[5:]} 前")
        page.screenshot_step("2-dispatched-again-one-notice")

        # once 受理'd, the 联系时限 is met: the row no longer gives it
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            _act(client, _token(client, desk.worker_login), case_id, "accept")
        expect(task.locator(".zz-contact-due")).to_have_count(0)
        expect(task).to_be_attached()
        page.assert_clean(demo.origin)
