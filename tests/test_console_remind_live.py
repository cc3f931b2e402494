"""A superior's 催办 reaches an open 调度台 live, and stays there (trial AZ S1).

The county pressed 宁州街道 (「面包车司机称车内还有老人，请立即派人！」): the open desk showed
nothing, after a reload the note was only the badge's tooltip, and the county's next change to
the case (吹哨) wiped the badge, since the desk read the case again from ``GET /api/cases/{id}``,
which had no ``reminders``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from layers.database import apply_scope
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk, _token
from tests.workflow_data import delete_cases

NOTE = "面包车司机称车内还有老人，请立即派人！"
TITLE = "催办实时测试：民文路积水车辆被困"


def _act(
    client: httpx2.Client, headers: dict[str, str], case_id: int, action: str, **body: object
) -> None:
    version = client.get(f"/api/cases/{case_id}", headers=headers).json()["version"]
    response = client.post(
        f"/api/cases/{case_id}/actions/{action}",
        json={"version": version, **body},
        headers=headers,
    )
    assert response.status_code == 200, response.text


@pytest.mark.browser
def test_the_desk_shows_a_superiors_reminder_live_and_keeps_it(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk_of = _desk(demo)
    township = desk_of.village[:9] + "000"
    county = demo.data.county_code.ljust(12, "0")
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        desk = _token(client, desk_of.dispatcher)
        superior = _token(client, demo.username("commander", county))
        made = client.post(
            "/api/cases",
            json={
                "channel": "walk_in",
                "category": "dispute",
                "title": TITLE,
                "area_code": desk_of.village,
            },
            headers=desk,
        )
        assert made.status_code == 201, made.text
        case = made.json()
        try:
            login(page, demo.origin, desk_of.dispatcher, next_path=f"/dispatch/{township}")
            page.wait_for_url(f"{demo.origin}/dispatch/{township}")
            page.click("[data-filter='all']")
            item = page.locator("#dz-queue-list .dz-case-item", has_text=case["code"])
            item.click()
            expect(page.locator("#dz-case-code")).to_have_text(case["code"])
            expect(page.locator("#dz-reminders")).to_be_hidden()
            page.wait_for_function("window.zzDispatchLive && zzDispatchLive.zzReady === true")
            # the county presses the township while its desk is open
            _act(client, superior, case["id"], "remind", note=NOTE)
            toast = page.locator("#zz-toasts .alert", has_text="上级催办")
            expect(toast).to_contain_text(f"案件 {case['code']}「{TITLE}」：{NOTE}", timeout=15_000)
            expect(item.locator(".dz-reminded")).to_have_text("催办")
            said = page.locator("#dz-reminders")
            expect(said).to_be_visible()
            expect(said).to_contain_text(f"催办意见：{NOTE}")
            expect(said).to_contain_text(re.compile(r"于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}.* 催办"))
            page.screenshot_step("1-reminded-live")
            # the county's next change (督办) keeps the 催办 mark: it answers nothing
            until = datetime.now(UTC) + timedelta(days=3)
            _act(
                client,
                superior,
                case["id"],
                "supervise",
                note="限期办结",
                params={"deadline": until.isoformat()},
            )
            expect(item.locator(".dz-supervised")).to_have_text("督办", timeout=15_000)
            expect(item.locator(".dz-reminded")).to_have_text("催办")
            expect(said).to_contain_text(f"催办意见：{NOTE}")
            page.screenshot_step("2-still-reminded")
            page.assert_clean(demo.origin)
        finally:
            with Session(demo.owner) as session, session.begin():
                apply_scope(session, None)
                delete_cases(session, [case["id"]])
