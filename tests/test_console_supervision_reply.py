"""The township's 调度台 shows the county's 督办 on landing and answers it (trial AQ M2).

盘溪镇's desk opened on 待派单 and showed nothing of the county's 督办 until 处置中 was opened,
and the only answer was a 处置反馈. The desk now says above its tabs how many of its cases a
superior 督办'd and it has not answered, lists them under 被督办 with their 督办时限 and 督办意见,
and offers 督办回复 on the case; the county's 我督办的 then shows the answer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login
from tests.test_console_dispatch import _desk, _register, _token

NOTE = "该案已超期3天，请于12月9日前办结并报送结果，逾期将通报。"
ANSWER = "已约谈用工方，承诺12月8日前兑付欠薪，办结后报送。"


@pytest.mark.browser
def test_the_township_desk_shows_the_countys_supervision_and_answers_it(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    county = demo.data.county_code.ljust(12, "0")
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        town = _token(client, desk.dispatcher)
        made = _register(
            client, town, desk.spot, "督办回复测试：老堡村劳资欠薪", "labour_wages", 0.0003
        )
        assert made["handling_level"] == 4
        boss = _token(client, demo.username("commander", county))
        until = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
        done = client.post(
            f"/api/cases/{made['id']}/actions/supervise",
            json={
                "version": made["version"],
                "note": NOTE,
                "params": {"deadline": until.isoformat()},
            },
            headers=boss,
        )
        assert done.status_code == 200, done.text

    login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}")
    notice = page.locator("#dz-supervision-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("上级督办本级案件")
    expect(notice).to_contain_text("尚未督办回复")
    page.screenshot_step("1-notice")
    page.click("#dz-supervision-notice-open")
    expect(page.locator('[data-filter="under_supervision"]')).to_have_class(
        re.compile(r"\bactive\b")
    )
    item = page.locator(f'.dz-case-item[data-case-id="{made["id"]}"]')
    expect(item.locator(".dz-under-supervision-note")).to_contain_text("督办意见：" + NOTE)
    listed = int(page.locator("#dz-count-under_supervision").inner_text().rstrip("+"))
    assert listed >= 1

    item.click()
    expect(page.locator("#dz-supervision")).to_contain_text("尚未回复")
    page.click("#dz-supervision-reply")
    expect(page.locator("#dz-act-title")).to_have_text("督办回复")
    expect(page.locator("#dz-act-note-label")).to_have_text("督办回复内容（必填）")
    page.fill("#dz-act-note", ANSWER)
    page.screenshot_step("2-reply")
    page.click("#dz-act-submit")
    expect(page.locator("#dz-supervision")).to_contain_text("督办回复：" + ANSWER.rstrip("。"))
    expect(page.locator("#dz-supervision-reply")).to_be_visible()  # a later progress report too
    expect(item).to_have_count(0)  # answered: off 被督办
    expect(page.locator("#dz-count-under_supervision")).to_have_text(str(listed - 1))
    assert page.latin_words(".dz-detail") == []
    page.assert_clean(demo.origin)

    log_out(page)
    login(page, demo.origin, demo.username("commander", county), next_path=f"/dispatch/{county}")
    page.click('[data-filter="supervised"]')
    answered = page.locator(f'.dz-case-item[data-case-id="{made["id"]}"] .dz-supervised-note')
    expect(answered).to_contain_text("已回复")
    expect(answered).to_contain_text(ANSWER)
    page.screenshot_step("3-county")
    page.assert_clean(demo.origin)
