"""解除关联 on the case page (trial AK M4): beside the link, confirmed, with its reason."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _desk, _token
from tests.workflow_data import delete_cases

REASON = "22 米外另一栋楼的水管漏水，不是同一处"


def _register(
    client: httpx2.Client, headers: dict[str, str], lon: float, lat: float, title: str, **extra: Any
) -> Any:
    made = client.post(
        "/api/cases",
        json={
            "channel": "phone",
            "category": "dispute",
            "subcategory": "consumer",
            "title": title,
            "lon": lon,
            "lat": lat,
            **extra,
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return made.json()


@pytest.mark.browser
def test_the_operator_unlinks_a_wrong_repeat_beside_the_link(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    # reported in 2020 and 250 m off the desk's spot: no other case of the demo is near in time
    lon, lat = desk.spot.lon + 0.0025, desk.spot.lat
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        me = _token(client, desk.dispatcher)
        leak = _register(
            client,
            me,
            lon,
            lat,
            "解除关联测试：商铺漏水",
            risk_level=3,
            reported_at="2020-06-01T09:00:00+08:00",
        )
        other = _register(
            client,
            me,
            lon + 0.0002,
            lat,
            "解除关联测试：隔壁商铺漏水",
            reported_at="2020-06-01T10:00:00+08:00",
        )
        assert other["linked_to"] == leak["id"]
        assert client.get(f"/api/cases/{leak['id']}", headers=me).json()["risk_level"] == 2

    try:
        login(page, demo.origin, desk.dispatcher, next_path=f"/cases/{other['id']}")
        original = page.locator("#cz-original")
        expect(original).to_contain_text(leak["code"])
        unlink = original.locator("#cz-unlink")
        expect(unlink).to_have_text("解除关联")
        unlink.click()
        dialog = page.locator("#cz-unlink-dialog")
        expect(dialog).to_be_visible()
        expect(page.locator("#cz-unlink-lead")).to_contain_text(f"案件 {leak['code']} 不是同一事项")
        # the reason is required: the browser holds an empty one back, nothing is sent
        page.click("#cz-unlink-submit")
        assert page.evaluate("!document.getElementById('cz-unlink-reason').checkValidity()")
        expect(dialog).to_be_visible()
        page.screenshot_step("1-confirm-unlink")
        page.fill("#cz-unlink-reason", REASON)
        page.click("#cz-unlink-submit")
        expect(dialog).to_be_hidden()
        result = page.locator("#cz-unlink-result")
        expect(result).to_contain_text(f"已解除关联：本案不再是案件 {leak['code']} 的重复反映")
        expect(result).to_contain_text("原案件风险等级由橙色恢复为黄色")
        expect(page.locator("#cz-original")).to_have_count(0)
        last = page.locator("#cz-timeline tbody tr").last
        expect(last).to_have_attribute("data-action", "repeat_unlinked")
        expect(last).to_contain_text(REASON)
        page.screenshot_step("2-unlinked")

        # the original's page: its timeline says so, its risk is yellow again
        page.goto(f"{demo.origin}/cases/{leak['id']}")
        last = page.locator("#cz-timeline tbody tr").last
        expect(last).to_contain_text(REASON)
        expect(last).to_contain_text(other["code"])
        expect(page.locator("#cz-repeats")).to_contain_text("无重复反映记录")
        with demo.owner.connect() as conn:
            row = conn.execute(
                text("SELECT risk_level, repeat_count FROM cases WHERE id = :id"),
                {"id": leak["id"]},
            ).one()
        assert (row.risk_level, row.repeat_count) == (3, 0)
        page.assert_clean(demo.origin)
    finally:  # the demo's other tests read its earliest case: no 2020 case may stay
        with demo.owner.begin() as conn:
            delete_cases(Session(bind=conn), [leak["id"], other["id"]])
