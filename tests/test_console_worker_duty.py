"""The grid worker goes on duty and reports his position from 我的任务; the township dispatcher
finds and picks him when the ranking leaves him out. Headless Chromium on the 华宁县 demo.

The township trial (dispatcher and the demo's grid worker, the only worker with an account) found
that the worker had no way to go on duty or report his position but posting to the API by hand,
and that the desk's 推荐网格员 never showed him (处置中, position 8 hours old) with no other list.
Screenshots go to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _act, _desk, _free_worker, _token


def _stored(demo: ConsoleDemo, worker_id: int) -> tuple[str, float, float, datetime]:
    with demo.owner.connect() as conn:
        row = conn.execute(
            text(
                "SELECT status, ST_X(last_position) AS lon, ST_Y(last_position) AS lat,"
                " last_seen_at FROM workers WHERE id = :w"
            ),
            {"w": worker_id},
        ).one()
    return str(row.status), float(row.lon), float(row.lat), row.last_seen_at


@pytest.mark.browser
def test_a_grid_worker_goes_on_duty_and_reports_his_position_from_my_tasks(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    origin = demo.origin
    desk = _desk(demo)
    with httpx2.Client(base_url=origin, timeout=30) as client:
        as_worker = _token(client, desk.worker_login)
        _free_worker(client, as_worker, demo, desk.worker_id, desk.status)
        if _stored(demo, desk.worker_id)[0] == "on_duty":
            off = client.post(
                f"/api/workers/{desk.worker_id}/status",
                json={"status": "off_duty"},
                headers=as_worker,
            )
            assert off.status_code == 200, off.text
    with demo.owner.begin() as conn:  # his last position: 8 hours old, as in the trial
        conn.execute(
            text("UPDATE workers SET last_seen_at = now() - interval '8 hours' WHERE id = :w"),
            {"w": desk.worker_id},
        )
    # the phone is at the spot (WGS84 degrees, as a phone's positioning gives them)
    lon, lat = desk.spot.lon + 0.0003, desk.spot.lat + 0.0001
    page.context.grant_permissions(["geolocation"], origin=origin)
    page.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 12})

    login(page, origin, desk.worker_login)
    page.wait_for_url(f"{origin}/console/{desk.village}")
    status = page.locator("#zz-duty-status")
    expect(status).to_have_text("离岗")
    expect(page.locator("#zz-duty-seen")).to_contain_text("8 小时前")
    expect(page.locator("#zz-duty-hint")).to_contain_text("离岗期间调度员不会向您派单")
    expect(page.locator("#zz-duty-off")).to_be_hidden()
    page.screenshot_step("1-off-duty")

    page.click("#zz-duty-on")
    expect(status).to_have_text("在岗")
    expect(page.locator("#zz-duty-on")).to_be_hidden()
    assert _stored(demo, desk.worker_id)[0] == "on_duty"
    # on duty with an old position: the dispatcher's suggestions skip him, and he is told so
    expect(page.locator("#zz-duty-hint")).to_contain_text("位置超过 30 分钟未更新")
    expect(page.locator("#zz-duty-hint")).to_contain_text("推荐名单中不会出现您")
    page.screenshot_step("2-on-duty-stale")

    page.click("#zz-duty-locate")
    expect(page.locator("#zz-duty-seen")).to_contain_text("刚刚")
    expect(page.locator(".zz-toasts .alert", has_text="已上报位置")).to_contain_text("精度约 12 米")
    expect(page.locator("#zz-duty-hint")).to_be_hidden()
    state, stored_lon, stored_lat, seen = _stored(demo, desk.worker_id)
    assert state == "on_duty"
    assert abs(stored_lon - lon) < 1e-7 and abs(stored_lat - lat) < 1e-7  # CGCS2000 = WGS84
    assert abs((datetime.now(UTC) - seen).total_seconds()) < 120
    page.screenshot_step("3-position-reported")

    page.click("#zz-duty-off")
    expect(status).to_have_text("离岗")
    assert _stored(demo, desk.worker_id)[0] == "off_duty"
    assert page.latin_words("#zz-duty") == []
    page.assert_clean(origin)


@pytest.mark.browser
def test_the_worker_is_told_in_chinese_when_the_browser_refuses_his_location(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    desk = _desk(demo)
    before = _stored(demo, desk.worker_id)
    page.context.clear_permissions()  # the worker said no to the browser's question
    login(page, demo.origin, desk.worker_login)
    page.wait_for_url(f"{demo.origin}/console/{desk.village}")
    expect(page.locator("#zz-duty-status")).not_to_have_text("…")
    page.click("#zz-duty-locate")
    error = page.locator("#zz-duty-error")
    expect(error).to_contain_text("浏览器拒绝了定位权限")
    expect(error).to_contain_text("允许本网站获取位置")
    expect(page.locator("#zz-duty-locate")).to_have_text("上报位置")
    assert _stored(demo, desk.worker_id)[1:] == before[1:]  # nothing was sent
    page.screenshot_step("refused")
    page.assert_clean(demo.origin)


@pytest.mark.browser
def test_the_dispatcher_picks_the_worker_with_an_account_the_ranking_leaves_out(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    origin = demo.origin
    desk = _desk(demo)
    with httpx2.Client(base_url=origin, timeout=30) as client:
        as_worker = _token(client, desk.worker_login)
        as_dispatcher = _token(client, desk.dispatcher)
        _free_worker(client, as_worker, demo, desk.worker_id, _stored(demo, desk.worker_id)[0])
        with demo.owner.begin() as conn:  # on duty, his last position 8 hours old
            conn.execute(
                text(
                    "UPDATE workers SET last_seen_at = now() - interval '8 hours',"
                    " status = 'on_duty', version = version + 1 WHERE id = :w"
                ),
                {"w": desk.worker_id},
            )
        made = client.post(
            "/api/cases",
            json={
                "channel": "phone",
                "category": "safety_hazard",
                "title": "来电反映：路口护栏倒伏",
                "lon": desk.spot.lon - 0.0004,
                "lat": desk.spot.lat,
            },
            headers=as_dispatcher,
        )
        assert made.status_code == 201, made.text
        case_id = made.json()["id"]
        _act(client, as_dispatcher, case_id, "triage")

        login(
            page,
            origin,
            desk.dispatcher,
            next_path=f"/dispatch/{desk.village[:9]}000?case={case_id}",
        )
        expect(page.locator("#dz-state")).to_have_text("已分流")
        ranked = page.locator("#dz-candidates tbody tr")
        expect(ranked.first).to_be_visible()
        expect(page.locator(f"#dz-candidates tr[data-worker-id='{desk.worker_id}']")).to_have_count(
            0
        )
        # beneath the ranking: the workers with an account, he among them, and why he is left out
        ours = page.locator(f"#dz-picks tr[data-worker-id='{desk.worker_id}']")
        expect(page.locator("#dz-picks-note")).to_contain_text("有平台账号的网格员")
        expect(ours).to_contain_text("位置已过时 8 小时")
        expect(ours).to_contain_text("在岗")
        expect(ours).to_contain_text("8 小时前")
        ours.scroll_into_view_if_needed()
        page.screenshot_step("1-picks")
        assert page.latin_words("#dz-picks") == []

        # 查找网格员: the first suggested worker, found by name, says where the ranking put him
        first_id = ranked.first.get_attribute("data-worker-id")
        first_name = ranked.first.locator("td").nth(1).inner_text().split("\n")[0]
        page.fill("#dz-pick-q", first_name)
        page.click("#dz-pick-search button[type=submit]")
        found = page.locator(f"#dz-picks tr[data-worker-id='{first_id}']")
        expect(found).to_contain_text("已在上方推荐第 1 位")
        expect(page.locator("#dz-picks-note")).to_contain_text(f"姓名含“{first_name}”")
        page.fill("#dz-pick-q", "查无此人")
        page.click("#dz-pick-search button[type=submit]")
        expect(page.locator("#dz-picks-note")).to_have_text("辖区内没有姓名含“查无此人”的网格员。")
        page.click("#dz-pick-accounts")
        expect(ours).to_be_visible()

        ours.locator("button").click()
        page.click("#dz-confirm-assign")  # 派单 asks first (trial M11)
        expect(page.locator("#dz-state")).to_have_text("已派单")
        expect(page.locator("#dz-assigned")).to_contain_text("已派给")
        expect(page.locator("#dz-picks")).to_be_hidden()
        with demo.owner.connect() as conn:
            sent_to = conn.execute(
                text(
                    "SELECT worker_id FROM dispatches WHERE case_id = :c"
                    " AND status IN ('assigned', 'accepted', 'arrived')"
                ),
                {"c": case_id},
            ).scalar_one()
        assert sent_to == desk.worker_id
        page.screenshot_step("2-picked")
        page.assert_clean(origin)
        _act(client, as_worker, case_id, "return", "测试结束，退回")
