"""指挥调度's 交班: the night shift's brief, a span's, and who holds each open case (trial AZ M8).

The township's console offers 夜班简报（18:00–次日08:00）, a span whose fields start at last
night's shift, and 交班视图: the open cases one row a matter, each with who holds it (here the
village centre it was dispatched to) since when. The case is made through the API in the demo
and removed afterwards. Screenshots go to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.china_time import CHINA
from layers.database import apply_scope
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk, _token
from tests.workflow_data import delete_cases

TITLE = "交班视图测试：桥下积水"


@pytest.mark.browser
def test_the_console_hands_over_who_holds_each_case_and_offers_the_night_shift(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    with demo.owner.connect() as conn:
        village_name = conn.execute(
            text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": desk.village}
        ).scalar_one()
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        headers = _token(client, desk.dispatcher)
        made = client.post(
            "/api/cases",
            json={
                "channel": "walk_in",
                "category": "dispute",
                "title": TITLE,
                "area_code": desk.village,
                "risk_level": 1,
            },
            headers=headers,
        )
        assert made.status_code == 201, made.text
        case = made.json()
        try:
            for action, params in (("triage", {}), ("dispatch", {"unit_code": desk.village})):
                version = client.get(f"/api/cases/{case['id']}", headers=headers).json()["version"]
                done = client.post(
                    f"/api/cases/{case['id']}/actions/{action}",
                    json={"version": version, "params": params},
                    headers=headers,
                )
                assert done.status_code == 200, done.text
            login(page, demo.origin, desk.dispatcher, next_path=f"/console/{township}")
            page.wait_for_url(f"{demo.origin}/console/{township}")
            page.wait_for_function("window.zzReady === true", timeout=60_000)

            # the layer panel starts folded up to 1366 px wide (trial AM N6)
            page.evaluate("document.querySelector('#zz-layer-fold[aria-expanded=false]')?.click()")
            # the night shift's brief, and a span starting at last night's shift
            night = page.locator("#zz-brief-night")
            expect(night).to_have_text("夜班简报（18:00–次日08:00）")
            assert night.get_attribute("href") == f"/api/command/{township}/brief.xlsx?shift=night"
            today = datetime.now(CHINA).date()
            yesterday = today - timedelta(days=1)
            expect(page.locator("#zz-brief-start")).to_have_value(f"{yesterday}T18:00")
            expect(page.locator("#zz-brief-end")).to_have_value(f"{today}T08:00")
            page.locator("#zz-brief-start").fill(f"{yesterday}T20:00")
            span = page.locator("#zz-brief-span-link")
            expect(span).to_have_attribute(
                "href",
                f"/api/command/{township}/brief.xlsx?start={yesterday}T20%3A00&end={today}T08%3A00",
            )
            page.screenshot_step("0-briefs")
            with page.expect_download() as got:
                night.click()
            assert got.value.suggested_filename.startswith("夜班简报_")

            # 交班视图: who holds the case, since when
            page.locator("#zz-handover-open").click()
            dialog = page.locator("#zz-handover")
            expect(dialog).to_be_visible()
            expect(page.locator("#zz-handover-summary")).to_contain_text("在办 ")
            row = page.locator("#zz-handover-body tr", has_text=TITLE)
            expect(row).to_have_count(1)
            expect(row.locator(".zz-handover-holder")).to_have_text(f"{village_name}（下级单位）")
            expect(row.locator(".zz-handover-when")).to_have_text(
                re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
            )
            expect(row).to_contain_text("已派单")
            expect(row.locator(".zz-handover-departments")).to_have_text("无")
            page.screenshot_step("1-handover")
            page.locator("#zz-handover-close").click()
            expect(dialog).to_be_hidden()
            assert page.latin_words() == []
            page.assert_clean(demo.origin)
        finally:
            with Session(demo.owner) as session, session.begin():
                apply_scope(session, None)
                delete_cases(session, [case["id"]])
