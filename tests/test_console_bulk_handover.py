"""批量交办 on the 调度台 and 指挥调度, 交办并督办 on the case page and the queue (trial AZ M9, m8).

The county's hotline cases waited at the county until handed down one by one. Under 待派单 the
county ticks several, chooses a township (or 按属地交办), writes one 交办意见 and confirms once:
the cases of that township go, the one lying in another is listed with the reason and stays,
and a second 按属地交办 sends it to its own township. The city 交办s a case the county has just
上报'd and 督办s it in one dialog (交办并督办), in Headless Chromium on the 华宁县 demo.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _register, _token
from tests.workflow_data import delete_cases

pytestmark = pytest.mark.browser
NOTE = "暴雨夜集中来电，请属地立即核查处置"


@pytest.fixture
def made(console_demo: ConsoleDemo) -> Iterator[list[int]]:
    """The ids of the cases the test registers, deleted afterwards."""
    ids: list[int] = []
    try:
        yield ids
    finally:
        with console_demo.owner.begin() as conn:
            delete_cases(Session(bind=conn), ids)


def _other_township_point(demo: ConsoleDemo, township: str) -> tuple[str, float, float]:
    """A village of the county outside ``township``: its township and a point inside it."""
    with demo.owner.connect() as conn:
        row = conn.execute(
            text(
                "SELECT code, ST_X(ST_PointOnSurface(boundary)) AS lon,"
                " ST_Y(ST_PointOnSurface(boundary)) AS lat FROM jurisdictions"
                " WHERE level = 5 AND code LIKE :county AND code NOT LIKE :township"
                " ORDER BY code LIMIT 1"
            ),
            {"county": demo.data.county_code[:6] + "%", "township": township[:9] + "%"},
        ).one()
    return str(row.code)[:9] + "000", float(row.lon), float(row.lat)


def _levels(demo: ConsoleDemo, ids: list[int]) -> dict[int, tuple[int, str | None]]:
    """Each case's handling level and the unit of its latest 交办."""
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.id, c.handling_level, (SELECT e.payload->>'unit_code' FROM case_events e"
                "  WHERE e.case_id = c.id AND e.action = 'hand_down' ORDER BY e.id DESC LIMIT 1)"
                " AS unit FROM cases c WHERE c.id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        return {int(r.id): (int(r.handling_level), r.unit) for r in rows}


def test_the_county_hands_several_cases_down_at_once(
    page: RecordedPage, console_demo: ConsoleDemo, made: list[int]
) -> None:
    demo = console_demo
    desk = _desk(demo)
    county = demo.data.county_code.ljust(12, "0")
    township = desk.village[:9] + "000"
    other, lon, lat = _other_township_point(demo, township)
    titles = ["批量交办测试：下穿通道积水", "批量交办测试：电线落地", "批量交办测试：另一乡镇停电"]
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        hotline = _token(client, demo.username("commander", county))
        ours: list[dict[str, Any]] = [
            _register(client, hotline, desk.spot, titles[0], "neighbours", 0.0009),
            _register(client, hotline, desk.spot, titles[1], "neighbours", -0.0009),
        ]
        answer = client.post(
            "/api/cases",
            json={"channel": "hotline_12345", "category": "safety_hazard", "title": titles[2]}
            | {"subcategory": "power_outage", "lon": lon, "lat": lat},
            headers=hotline,
        )
        assert answer.status_code == 201, answer.text
        elsewhere = answer.json()
    made.extend([c["id"] for c in ours] + [elsewhere["id"]])
    assert {c["handling_level"] for c in (*ours, elsewhere)} == {3}
    login(page, demo.origin, demo.username("commander", county), next_path=f"/dispatch/{county}")
    page.wait_for_url(f"{demo.origin}/dispatch/{county}")
    items = [page.locator("#dz-queue-list .dz-case-item", has_text=t) for t in titles]
    for item in items:  # 待派单, the default tab: each with its box
        expect(item.locator(".dz-bulk-pick")).to_be_visible()
    expect(page.locator("#dz-bulk-open")).to_be_disabled()
    for item in items:
        item.locator(".dz-bulk-pick").check()
    expect(page.locator("#dz-bulk-count")).to_have_text("已选 3 件")
    expect(page.locator("#dz-case")).to_be_hidden()  # a tick selects no case
    page.locator("#dz-bulk-open").click()
    expect(page.locator("#dz-bulk-title")).to_have_text("批量交办 3 件")
    page.locator("#dz-bulk-unit").select_option(township)
    page.locator("#dz-bulk-note").fill(NOTE)
    page.screenshot_step("1-three-picked-one-township")
    page.locator("#dz-bulk-submit", has_text="确定交办 3 件").click()
    expect(page.locator("#dz-bulk-message")).to_have_text("已交办 2 件，1 件未交办：")
    refusal = page.locator("#dz-bulk-refused .dz-bulk-refusal")
    expect(refusal).to_have_count(1)
    expect(refusal).to_contain_text(f"{elsewhere['code']}「{titles[2]}」：")
    expect(refusal).to_contain_text("辖区内：请改为按属地交办")
    expect(items[0]).to_be_hidden()  # gone to the township's queue
    expect(items[1]).to_be_hidden()
    expect(items[2]).to_be_visible()
    expect(items[2].locator(".dz-bulk-pick")).not_to_be_checked()
    page.screenshot_step("2-two-handed-down-one-refused")
    levels = _levels(demo, made)
    assert levels[ours[0]["id"]] == (4, township) and levels[ours[1]["id"]] == (4, township)
    assert levels[elsewhere["id"]] == (3, None)
    # 按属地交办 on 指挥调度's queue, with the same boxes and bar: the one left goes to the
    # township it lies in
    page.goto(f"{demo.origin}/console/{county}")
    row = page.locator("#zz-queue-body tr.zz-queue-row", has_text=titles[2])
    row.locator(".dz-bulk-pick").check()
    expect(page.locator("#dz-bulk-count")).to_have_text("已选 1 件")
    page.locator("#dz-bulk-open").click()
    expect(page.locator("#dz-bulk-unit")).to_have_value("")
    expect(page.locator("#dz-bulk-unit option").first).to_have_text(
        "按属地交办（各案件交所在乡镇（街道）级单位）"
    )
    page.locator("#dz-bulk-note").fill(NOTE)
    page.locator("#dz-bulk-submit").click()
    expect(page.locator("#dz-bulk-message")).to_have_text("已交办 1 件")
    expect(row).to_be_hidden(timeout=15_000)  # the feed read again
    assert _levels(demo, [elsewhere["id"]])[elsewhere["id"]] == (4, other)
    page.screenshot_step("3-the-last-to-its-own-township-on-the-console")
    page.assert_clean(demo.origin)


def test_the_city_hands_an_escalated_case_down_and_supervises_it_in_one_step(
    page: RecordedPage, console_demo: ConsoleDemo, made: list[int]
) -> None:
    """交办并督办 on the case page (trial AZ m8): one dialog, one 督办意见, both steps done."""
    demo = console_demo
    desk = _desk(demo)
    county = demo.data.county_code.ljust(12, "0")
    city = demo.data.county_code[:4].ljust(12, "0")
    order = "请华宁县于明日8时前报送处置情况"
    queued = "交办并督办测试：园区厂房漏电"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        below = _token(client, demo.username("commander", county))
        up = _register(
            client, below, desk.spot, "交办并督办测试：工业园区欠薪", "labour_wages", 0.0015
        )
        made.append(up["id"])
        _act(client, below, up["id"], "escalate", "涉及多家企业，县级协调不了")
        other = _register(client, below, desk.spot, queued, "neighbours", -0.0015)
        made.append(other["id"])
        _act(client, below, other["id"], "escalate", "涉及多家企业，县级协调不了")
    # on 指挥调度's queue, the row offers it: one dialog, the 督办时限 and the 督办意见
    login(page, demo.origin, demo.username("commander", city), next_path=f"/console/{city}")
    row = page.locator("#zz-queue-body tr.zz-queue-row", has_text=queued)
    row.locator(".zz-act[data-action='hand_down_supervise']").click()
    expect(page.locator("#zz-action-title")).to_have_text(f"交办并督办：{queued}")
    expect(page.locator("#zz-action-note-label")).to_have_text("督办意见（必填）")
    page.locator("#zz-action-note").fill(order)
    page.locator("#zz-action-submit").click()
    expect(page.locator("#zz-action-dialog")).to_be_hidden()
    expect(row).to_be_hidden(timeout=15_000)  # handed down to the county: the feed read again
    with demo.owner.connect() as conn:
        done = conn.execute(
            text("SELECT handling_level, supervision_deadline FROM cases WHERE id = :id"),
            {"id": other["id"]},
        ).one()
    assert done.handling_level == 3 and done.supervision_deadline is not None
    page.goto(f"{demo.origin}/cases/{up['id']}")
    expect(page.locator("#cz-actions [data-action='supervise']")).to_have_count(0)
    step = page.locator("#cz-actions [data-action='hand_down_supervise']")
    expect(step).to_have_text("交办并督办")
    step.click()
    # the unit it goes to, not only its level (trial BC)
    expect(page.locator("#cz-action-title")).to_have_text("交办并督办：交办至华宁县，同时督办")
    expect(page.locator("#cz-action-note-label")).to_have_text("督办意见（必填）")
    expect(page.locator("#cz-p-deadline")).not_to_have_value("")
    page.locator("#cz-action-note").fill(order)
    page.screenshot_step("1-hand-down-and-supervise")
    page.locator("#cz-action-submit").click()
    timeline = page.locator("#cz-timeline")
    expect(timeline.locator("tr", has_text="交办")).to_contain_text(order)
    expect(timeline.locator("tr", has_text="督办").last).to_contain_text(order)
    expect(page.locator("#cz-actions [data-action='hand_down_supervise']")).to_have_count(0)
    with demo.owner.connect() as conn:
        row = conn.execute(
            text("SELECT handling_level, supervision_deadline FROM cases WHERE id = :id"),
            {"id": up["id"]},
        ).one()
    assert row.handling_level == 3 and row.supervision_deadline is not None
    page.screenshot_step("2-handed-down-and-supervised")
    page.assert_clean(demo.origin)
