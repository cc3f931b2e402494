"""A superior's 催办 reaches an open command console's queue live (trial AZ S1)."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from layers.database import apply_scope
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk, _token
from tests.workflow_data import delete_cases

NOTE = "请立即派人到场核实"
TITLE = "催办实时测试：兴复社区停电"


@pytest.mark.browser
def test_the_command_console_shows_a_superiors_reminder_live(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    county = demo.data.county_code.ljust(12, "0")
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        made = client.post(
            "/api/cases",
            json={
                "channel": "walk_in",
                "category": "dispute",
                "title": TITLE,
                "area_code": desk.village,
            },
            headers=_token(client, desk.dispatcher),
        )
        assert made.status_code == 201, made.text
        case = made.json()
        try:
            login(page, demo.origin, desk.dispatcher, next_path=f"/console/{township}")
            page.wait_for_url(f"{demo.origin}/console/{township}")
            row = page.locator(".zz-queue tbody tr", has_text=TITLE)
            expect(row.first).to_be_visible(timeout=15_000)
            page.wait_for_function("zzCommand.live && zzCommand.live.zzReady === true")
            superior = _token(client, demo.username("commander", county))
            version = client.get(f"/api/cases/{case['id']}", headers=superior).json()["version"]
            pressed = client.post(
                f"/api/cases/{case['id']}/actions/remind",
                json={"version": version, "note": NOTE},
                headers=superior,
            )
            assert pressed.status_code == 200, pressed.text
            toast = page.locator("#zz-toasts .alert", has_text="上级催办")
            expect(toast).to_contain_text(f"案件 {case['code']}「{TITLE}」：{NOTE}", timeout=15_000)
            expect(row.first.locator(".zz-reminded")).to_have_text("催办")
            page.screenshot_step("1-reminded-live")
            page.assert_clean(demo.origin)
        finally:
            with Session(demo.owner) as session, session.begin():
                apply_scope(session, None)
                delete_cases(session, [case["id"]])
