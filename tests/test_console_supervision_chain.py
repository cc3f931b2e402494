"""A superior's 督办 and orders followed from above, in headless Chromium (usability trial AU).

M1: the township the county dispatched its case to lists the city's 督办 under 被督办 on its
调度台 and in 新督办 on its command page. M2, M3: the city's 指挥调度 「我督办的」 says of each
case 已回复（…）：… or 未回复, and keeps a case once 办结, saying who closed it and when, after
the open ones, counting the open ones. m2: on the 调度台 at 1920×1080 a row with five badges
keeps its whole title, the badges going under it. m6: the timeline's 督办 row says its 督办时限.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, log_out, login
from tests.test_console_dispatch import _act, _desk, _register, _token

BEIJING = ZoneInfo("Asia/Shanghai")
NOTE = "市督办：请县市场监管局会同街道12月8日前办结并回复。"
REPLY = "县综治中心已收到市督办，已约谈县市场监管局，12月8日前办结。"


def _codes(demo: ConsoleDemo) -> tuple[str, str, str]:
    county = demo.data.county_code.ljust(12, "0")
    return demo.data.county_code[:2].ljust(12, "0"), county[:4].ljust(12, "0"), county


def _post(
    client: httpx2.Client, headers: dict[str, str], case_id: int, path: str, **body: Any
) -> Any:
    version = client.get(f"/api/cases/{case_id}", headers=headers).json()["version"]
    done = client.post(
        f"/api/cases/{case_id}/{path}", json={"version": version, **body}, headers=headers
    )
    assert done.status_code == 200, done.text
    return done.json()


def _supervise(client: httpx2.Client, headers: dict[str, str], case_id: int) -> datetime:
    until = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    _post(
        client,
        headers,
        case_id,
        "actions/supervise",
        note=NOTE,
        params={"deadline": until.isoformat()},
    )
    return until


def _county_case(
    client: httpx2.Client, county: dict[str, str], spot: Any, title: str, dx: float
) -> int:
    made = _register(client, county, spot, title, "neighbours", dx)
    assert made["handling_level"] == 3
    _act(client, county, made["id"], "triage")
    return int(made["id"])


@pytest.mark.browser
def test_the_township_sees_the_citys_supervision_of_the_countys_case_sent_to_it(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    _, city, county = _codes(demo)
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        below = _token(client, demo.username("commander", county))
        above = _token(client, demo.username("commander", city))
        case_id = _county_case(client, below, desk.spot, "督办链测试：复安社区消费维权", 0.0004)
        _post(client, below, case_id, "dispatch", unit_code=township)
        until = _supervise(client, above, case_id)
    said_until = until.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")

    login(page, demo.origin, desk.dispatcher, next_path=f"/dispatch/{township}")
    expect(page.locator("#dz-supervision-notice")).to_be_visible()
    page.click('[data-filter="under_supervision"]')
    item = page.locator(f'.dz-case-item[data-case-id="{case_id}"]')
    expect(item.locator(".dz-supervised")).to_have_text("督办")
    expect(item.locator(".dz-under-supervision-note")).to_contain_text("督办意见：" + NOTE)
    expect(item.locator(".dz-under-supervision-note")).to_contain_text(said_until)
    page.screenshot_step("1-township-desk")
    page.assert_clean(demo.origin)

    page.goto(f"{demo.origin}/console/{township}")
    new = page.locator(f'#zz-supervisions .zz-supervision[data-case-id="{case_id}"]')
    expect(new).to_contain_text(NOTE)
    expect(page.locator("#zz-supervision-count")).to_be_visible()
    page.screenshot_step("2-township-console")

    # the timeline's 督办 row says its 督办时限 (m6)
    page.goto(f"{demo.origin}/cases/{case_id}")
    row = page.locator('#cz-timeline tr[data-action="supervise"]')
    expect(row).to_contain_text("督办时限：" + said_until)
    expect(row).to_contain_text(NOTE.rstrip("。"))
    page.screenshot_step("3-timeline")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_citys_supervised_list_says_replied_and_keeps_the_settled(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    _, city, county = _codes(demo)
    desk = _desk(demo)
    township = desk.village[:9] + "000"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        below = _token(client, demo.username("commander", county))
        above = _token(client, demo.username("commander", city))
        town = _token(client, desk.dispatcher)
        replied = _county_case(client, below, desk.spot, "督办链测试：已回复的督办", 0.0005)
        silent = _county_case(client, below, desk.spot, "督办链测试：未回复的督办", 0.0006)
        closed = _county_case(client, below, desk.spot, "督办链测试：街道已办结", 0.0007)
        for case_id in (replied, silent, closed):
            _supervise(client, above, case_id)
        _post(client, below, replied, "actions/supervision_reply", note=REPLY)
        _post(client, below, closed, "dispatch", unit_code=township)
        _act(client, town, closed, "accept")
        _post(
            client,
            town,
            closed,
            "actions/resolve",
            note="已调解，商家退款",
            params={"outcome": "mediated"},
        )
        listed = client.get(
            f"/api/cases?stage=supervised&code={city}&limit=300", headers=above
        ).json()
    open_ones = [
        c for c in listed if c["state"] not in ("resolved", "evaluated", "visited", "archived")
    ]

    login(page, demo.origin, demo.username("commander", city), next_path=f"/console/{city}")
    page.select_option("#zz-queue-scope", "supervised")
    row = page.locator(f'#zz-queue-body tr[data-case-id="{replied}"]')
    expect(row.locator(".zz-reply-note")).to_contain_text(
        re.compile(r"已回复（\d{4}-\d\d-\d\d \d\d:\d\d）：" + REPLY)
    )
    expect(
        page.locator(f'#zz-queue-body tr[data-case-id="{silent}"] .zz-reply-note')
    ).to_contain_text("未回复")
    done = page.locator(f'#zz-queue-body tr[data-case-id="{closed}"]')
    expect(done.locator(".zz-settled-note")).to_contain_text("已办结：")
    expect(done.locator(".zz-settled-note")).to_contain_text("办结（已调解，商家退款）")
    expect(done.locator(".zz-reply-note")).to_have_count(0)
    # after the open ones, and not counted with them
    ids = [
        int(i)
        for i in page.locator("#zz-queue-body tr").evaluate_all(
            "rs => rs.map(r => r.dataset.caseId)"
        )
    ]
    assert ids.index(silent) < ids.index(closed) and ids.index(replied) < ids.index(closed)
    expect(page.locator("#zz-queue-count")).to_have_text(str(len(open_ones)))
    page.screenshot_step("1-city-supervised")
    page.assert_clean(demo.origin)

    # the 调度台's 我督办的 the same way
    page.goto(f"{demo.origin}/dispatch/{city}")
    page.click('[data-filter="supervised"]')
    item = page.locator(f'.dz-case-item[data-case-id="{closed}"]')
    expect(item.locator(".dz-settled-note")).to_contain_text("已办结：")
    expect(page.locator("#dz-count-supervised")).to_have_text(str(len(open_ones)))
    page.screenshot_step("2-city-desk-supervised")
    page.assert_clean(demo.origin)


@pytest.mark.browser
@pytest.mark.browser_viewport(1920, 1080)
def test_a_row_with_five_badges_keeps_its_whole_title(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    province, city, county = _codes(demo)
    desk = _desk(demo)
    title = "团结村农民工工资拖欠集体讨薪"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        town = _token(client, desk.dispatcher)
        below = _token(client, demo.username("commander", county))
        above = _token(client, demo.username("commander", city))
        top = _token(client, demo.username("commander", province))
        made = _register(client, town, desk.spot, title, "labour_wages", 0.0008)
        _act(client, town, made["id"], "escalate", "涉及多个用工单位，乡镇协调不了")
        _act(client, below, made["id"], "escalate", "涉及两县，县级协调不了")
        _act(client, above, made["id"], "triage")
        _supervise(client, top, made["id"])
        _act(client, top, made["id"], "remind", "请尽快办理")
    with demo.owner.begin() as conn:
        conn.execute(
            text("UPDATE cases SET deadline = now() - interval '1 day' WHERE id = :i"),
            {"i": made["id"]},
        )

    login(page, demo.origin, demo.username("commander", city), next_path=f"/dispatch/{city}")
    page.click("[data-filter='from_below']")
    item = page.locator(f"#dz-queue-list [data-case-id='{made['id']}']")
    for mark in (".dz-supervised", ".dz-reminded", ".dz-from-below", ".dz-due", ".dz-state"):
        expect(item.locator(mark)).to_be_visible()
    name = item.locator(".dz-item-title")
    expect(name).to_have_text(title)
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth"), "the title is cut"
    box = item.bounding_box()
    badges = item.locator(".dz-item-badges").bounding_box()
    assert box is not None and badges is not None
    assert badges["x"] + badges["width"] <= box["x"] + box["width"] + 0.5  # inside the row
    page.screenshot_step("1-five-badges")
    page.assert_clean(demo.origin)
    log_out(page)
