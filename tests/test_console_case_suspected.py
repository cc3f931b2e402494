"""疑似重复 on the case page (closing note s44, p3): listed, dismissed or merged, confirmed."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_case_unlink import _register
from tests.test_console_dispatch import _desk, _token
from tests.workflow_data import delete_cases

PLACES = [(0.0, "建设路92号商铺"), (0.0002, "南门街86号商铺"), (-0.0002, "朝阳路5号商铺")]
"""East of the first (degrees) and address of three shops' complaints: about 20 m apart."""


@pytest.mark.browser
def test_the_operator_dismisses_one_suspected_original_and_merges_another(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    # reported in 2021 and 350 m off the desk's spot: no other case of the demo is near in time
    lon, lat = desk.spot.lon + 0.0035, desk.spot.lat
    made: list[int] = []
    try:
        with httpx2.Client(base_url=demo.origin, timeout=30) as client:
            me = _token(client, desk.dispatcher)
            found = []
            for i, (east, address) in enumerate(PLACES):
                found.append(
                    _register(
                        client,
                        me,
                        lon + east,
                        lat,
                        "疑似重复测试：" + address,
                        address=address,
                        reported_at=f"2021-06-01T{9 + i:02d}:00:00+08:00",
                    )
                )
                made.append(found[-1]["id"])
            shop, other, third = found
            assert other["linked_to"] is None and third["linked_to"] is None

        # 不是同一事项: confirmed, then no longer listed, and the timeline says who and which
        login(page, demo.origin, desk.dispatcher, next_path=f"/cases/{other['id']}")
        listed = page.locator("#cz-suspected .cz-suspect")
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text(shop["code"])
        expect(listed).to_contain_text("相距约 2")  # about 20 m
        expect(listed).to_contain_text("地址：建设路92号商铺；本案地址：南门街86号商铺")
        expect(listed.locator("a")).to_have_attribute("href", f"/cases/{shop['id']}")
        listed.locator("[data-dismiss]").click()
        dialog = page.locator("#cz-suspect-dialog")
        expect(dialog).to_be_visible()
        lead = page.locator("#cz-suspect-lead")
        expect(lead).to_contain_text(f"案件 {shop['code']} 不是同一事项")
        page.screenshot_step("1-confirm-dismiss")
        page.click("#cz-suspect-submit")
        expect(dialog).to_be_hidden()
        expect(page.locator("#cz-suspect-result")).to_contain_text("不是同一事项")
        expect(page.locator("#cz-suspected")).to_have_count(0)
        last = page.locator("#cz-timeline tbody tr").last
        expect(last).to_have_attribute("data-action", "repeat_suspected")
        expect(last).to_contain_text(shop["code"])
        expect(last).to_contain_text("不是同一事项")

        # 合并为重复反映: confirmed, then shown as a repeat link, with 解除关联 beside it
        page.goto(f"{demo.origin}/cases/{third['id']}")
        page.locator("#cz-suspected [data-merge]").click()
        expect(lead).to_contain_text(f"案件 {shop['code']} 是同一事项")
        page.click("#cz-suspect-submit")
        expect(page.locator("#cz-suspect-dialog")).to_be_hidden()
        original = page.locator("#cz-original")
        expect(original).to_contain_text(shop["code"])
        expect(original.locator("#cz-unlink")).to_have_text("解除关联")
        expect(page.locator("#cz-suspect-result")).to_contain_text("已合并")
        expect(page.locator("#cz-suspected")).to_have_count(0)
        page.screenshot_step("2-merged")
        page.assert_clean(demo.origin)
    finally:  # the demo's other tests read its earliest case: no 2021 case may stay
        with demo.owner.begin() as conn:
            delete_cases(Session(bind=conn), made)
