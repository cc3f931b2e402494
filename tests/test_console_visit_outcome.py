"""The 走访 tab says what a visit found, and flags 失联 and ended corrections (trial AW S2, S4).

Headless Chromium on the 华宁县 demo:

* on the grid worker's phone (390×844), 记录走访 asks 走访结果 as four large taps (40 px and
  more), 见到本人 chosen; a visit that did not find the person (人户分离) is kept, the toast says
  the due day stays, and the card says 「最近一次走访（MM-DD）未见到本人：人户分离」 and stays
  overdue;
* his clear read of the person shows the visit's 走访结果; the village's persons he does not
  follow offer neither 记录走访 nor 查看身份信息;
* the township's 走访 tab counts 「失联 N 人」 and 「矫正期已满待解除 N 人」 after its summary, each
  a tap to the persons, whose cards say why.

The counts are checked against SQL written here; the visits added are removed afterwards, so the
other console tests see the demo as loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from geo.codes import scope_range
from layers.china_time import CHINA
from layers.visits_due import LATEST_VISIT
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import login_grid_worker
from tests.test_console_visits import _township, _township_login

_ENDED = (
    "SELECT count(*) FROM persons p WHERE p.ended_on IS NULL AND p.category = 'correction'"
    " AND p.area_code >= :lo AND p.area_code < :hi"
    " AND CAST(p.attributes->>'end_date' AS date) < :today"
)
"""The township's 社区矫正人员 on the register whose 矫正结束日期 has passed."""
_MISSING = (
    f"SELECT count(*) FROM persons p {LATEST_VISIT} WHERE p.ended_on IS NULL"
    " AND p.area_code >= :lo AND p.area_code < :hi AND lx.outcome = 'missing' AND p.id <> :p"
)
"""The township's persons on the register but ``p`` whose latest visit found them 失联 (the
demo's visits find a few so)."""


@pytest.mark.browser
@pytest.mark.browser_viewport(390, 844)
def test_a_visit_that_found_nobody_is_said_and_leaves_the_person_overdue(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    worker_id, _village = login_grid_worker(page, demo)
    today = datetime.now(UTC).astimezone(CHINA).date()
    page.locator("#zz-visits-tab").click()
    page.locator("#zz-visits-status").select_option("overdue")
    first = page.locator("#zz-visits-list[data-status=overdue] .zz-visit").first
    expect(first).to_be_visible()
    person_id = int(first.get_attribute("data-person-id") or 0)
    item = page.locator(f"#zz-visits-list .zz-visit[data-person-id='{person_id}']")
    due_before = item.locator(".zz-visit-due").inner_text()
    assert due_before.startswith("逾期"), due_before
    try:
        item.locator(".zz-visit-record").click()
        form = item.locator(".zz-visit-form")
        choices = form.locator(".zz-visit-outcome-choice")
        expect(choices).to_have_text(
            ["见到本人", "电话/视频联系", "未见到本人（人户分离）", "失联（去向不明）"]
        )
        expect(form.get_by_label("见到本人", exact=True)).to_be_checked()
        heights = choices.evaluate_all("els => els.map((e) => e.getBoundingClientRect().height)")
        assert min(heights) >= 40, heights
        rights = form.locator(".zz-visit-outcome-choice, textarea").evaluate_all(
            "els => els.map((e) => e.getBoundingClientRect().right)"
        )
        assert max(rights) <= 390, rights
        choices.nth(2).click()
        form.locator("textarea").fill("上门未见到本人，家中无人，邻居称其外出务工")
        page.screenshot_step("1-outcome")
        form.locator("button[type=submit]").click()
        toast = page.locator("#zz-toasts")
        expect(toast).to_contain_text("未见到本人（人户分离），仍按原应访日期")
        expect(toast).not_to_contain_text("下次应访")
        with demo.owner.connect() as conn:
            outcome = conn.scalar(
                text(
                    "SELECT outcome FROM person_visits WHERE person_id = :p AND visitor_id = :w"
                    " AND visited_on = :d"
                ),
                {"p": person_id, "w": worker_id, "d": today},
            )
        assert outcome == "absent"
        # the list read again: still overdue, and the card says why
        expect(item.locator(".zz-visit-notice")).to_have_text(
            f"最近一次走访（{today:%m-%d}）未见到本人：人户分离"
        )
        expect(item.locator(".zz-visit-due")).to_have_text(due_before)
        page.screenshot_step("2-still-overdue")
        # his clear read of the person (his own, trial AW M4): the visit says whom it reached
        item.locator(".zz-visit-unmask").click()
        reason = item.locator(".zz-unmask-form")
        reason.locator(".zz-unmask-reason").fill("核实走访对象身份")
        reason.locator(".zz-unmask-submit").click()
        expect(item.locator(".zz-person-visits li").first).to_contain_text(
            "未见到本人（人户分离） · 上门未见到本人"
        )
        # the village's persons he does not follow: no 记录走访 nor 查看身份信息 (trial AW M4)
        page.locator("#zz-visits-mine").uncheck()
        page.locator("#zz-visits-status").select_option("all")
        others = page.locator("#zz-visits-list[data-status=all] .zz-visit").filter(
            has=page.locator(".zz-visit-notyours")
        )
        expect(others.first).to_contain_text("非您负责：走访请由其责任人登记")
        expect(others.first.locator(".zz-visit-record, .zz-visit-unmask")).to_have_count(0)
        # and every other person listed is his, to visit
        items = page.locator("#zz-visits-list[data-status=all] .zz-visit")
        listed, theirs = items.count(), others.count()
        assert theirs > 0, "the demo's village has no person of another worker"
        expect(items.locator(".zz-visit-record")).to_have_count(listed - theirs)
    finally:
        with demo.owner.begin() as conn:
            conn.execute(
                text(
                    "DELETE FROM person_visits WHERE person_id = :p AND visitor_id = :w"
                    " AND visited_on = :d AND import_id IS NULL"
                ),
                {"p": person_id, "w": worker_id, "d": today},
            )


@pytest.mark.browser
def test_the_township_sees_its_missing_persons_and_ended_corrections_apart(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    township = _township(demo)
    lo, hi = scope_range(township)
    today = datetime.now(UTC).astimezone(CHINA).date()
    with demo.owner.begin() as conn:
        ended = int(conn.scalar(text(_ENDED), {"lo": lo, "hi": hi, "today": today}) or 0)
        # a 严重精神障碍患者 of the township found 失联 today
        missing_id = conn.scalar(
            text(
                "SELECT id FROM persons WHERE ended_on IS NULL AND category = 'mental'"
                " AND area_code >= :lo AND area_code < :hi ORDER BY id LIMIT 1"
            ),
            {"lo": lo, "hi": hi},
        )
        lost = int(conn.scalar(text(_MISSING), {"lo": lo, "hi": hi, "p": missing_id}) or 0)
        visit_id = conn.scalar(
            text(
                "INSERT INTO person_visits (person_id, area_code, visited_on, note, outcome)"
                " SELECT id, area_code, :d, '上门无人，电话停机', 'missing' FROM persons"
                " WHERE id = :p RETURNING id"
            ),
            {"p": missing_id, "d": today},
        )
    assert ended > 0, "the demo's township has no correction past its end"
    try:
        login(page, demo.origin, _township_login(demo).username)
        page.wait_for_url(f"{demo.origin}/console/{township}")
        page.locator("#zz-visits-tab").click()
        summary = page.locator("#zz-visits-summary")
        flags = summary.locator(".zz-visits-flag")
        expect(flags).to_have_text([f"失联 {lost + 1} 人", f"矫正期已满待解除 {ended} 人"])
        page.screenshot_step("1-flags")
        flags.first.click()
        items = page.locator("#zz-visits-list[data-status=missing] .zz-visit")
        expect(items).to_have_count(min(lost + 1, 200))
        found = page.locator(
            f"#zz-visits-list[data-status=missing] .zz-visit[data-person-id='{missing_id}']"
        )
        expect(found.locator(".zz-visit-notice")).to_have_text(
            f"最近一次走访（{today:%m-%d}）失联：去向不明"
        )
        page.locator("#zz-visits-status").select_option("due")
        summary.locator(".zz-visits-flag[data-status=correction_over]").click()
        over = page.locator("#zz-visits-list[data-status=correction_over] .zz-visit")
        expect(over).to_have_count(min(ended, 200))
        expect(over.first.locator(".zz-visit-notice")).to_contain_text("矫正期已满（")
        expect(over.first.locator(".zz-visit-notice")).to_contain_text("请办理解除矫正")
        expect(over.first.locator(".zz-visit-due")).to_have_text("待解除矫正")
        page.screenshot_step("2-ended-corrections")
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM person_visits WHERE id = :v"), {"v": visit_id})
