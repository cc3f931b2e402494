"""The county's queue row says 「吹哨 已反馈 1/2」, its 被督办 who 督办'd, in headless Chromium.

A user trial: after the county's 吹哨 to 县人社局 and 县住建局 its queue row showed no mark while
县人社局's desk said 已反馈, and the 调度台's 被督办 cards did not say that 玉溪市 issued the 督办.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login
from tests.test_console_dispatch import _act, _desk, _register, _token

pytestmark = pytest.mark.browser
TITLE = "吹哨标记测试：工地欠薪两部门会商"
NOTE = "请于三日内办结并报送结果"


def _post(
    client: httpx2.Client, headers: dict[str, str], case_id: int, action: str, **body: object
) -> None:
    version = client.get(f"/api/cases/{case_id}", headers=headers).json()["version"]
    done = client.post(
        f"/api/cases/{case_id}/actions/{action}", json={"version": version, **body}, headers=headers
    )
    assert done.status_code == 200, done.text


def test_the_county_reads_its_summons_answers_and_who_supervised(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county = demo.data.county_code.ljust(12, "0")
    city = county[:4].ljust(12, "0")
    with demo.owner.connect() as conn:
        city_name = conn.execute(
            text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": city}
        ).scalar_one()
    desk = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        below = _token(client, demo.username("commander", county))
        above = _token(client, demo.username("commander", city))
        labour = _token(client, demo.username("department", county))  # 县人社局
        made = _register(client, below, desk.spot, TITLE, "labour_wages", 0.0009)
        assert made["handling_level"] == 3
        case_id = int(made["id"])
        _act(client, below, case_id, "triage")
        _post(
            client,
            below,
            case_id,
            "summon",
            note="请会商",
            params={"departments": ["县人社局", "县住建局"]},
        )
        _post(client, labour, case_id, "summon_reply", note="已核查，正在协调")
        until = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
        _post(
            client, above, case_id, "supervise", note=NOTE, params={"deadline": until.isoformat()}
        )

    login(page, demo.origin, demo.username("commander", county), next_path=f"/console/{county}")
    row = page.locator(f'#zz-queue-body tr[data-case-id="{case_id}"]')
    mark = row.locator(".zz-summoned")
    expect(mark).to_have_text("吹哨 已反馈 1/2")
    title = mark.get_attribute("title") or ""
    assert title.startswith("吹哨中：县人社局已反馈（") and title.endswith("县住建局未反馈"), title
    row.scroll_into_view_if_needed()
    page.screenshot_step("1-county-queue-row")
    page.assert_clean(demo.origin)

    page.goto(f"{demo.origin}/dispatch/{county}")
    page.click('[data-filter="under_supervision"]')
    item = page.locator(f'.dz-case-item[data-case-id="{case_id}"]')
    expect(item.locator(".dz-under-supervision-note")).to_contain_text(
        f"{city_name}督办 · 督办时限 "
    )
    expect(item.locator(".dz-under-supervision-note")).to_contain_text("督办意见：" + NOTE)
    item.click()
    expect(page.locator("#dz-supervision")).to_contain_text(f"{city_name}督办：督办时限 ")
    page.screenshot_step("2-county-under-supervision")
    page.assert_clean(demo.origin)
    log_out(page)
