"""The grid worker's phone view of 指挥调度 after trial AS, in headless Chromium on the 华宁县 demo.

The trial's phone was 360×780 with touch. It found that 我的任务 offered 受理, 到场, 退回 and a
link 办结… but no 处置反馈 and no photos: a worker who did everything from the card closed cases
without site photos (M1). The phone opened on the community's ten KPI cards and the map, the
worker's one task peeking in at the bottom, the community's 在办案件 read as his own (M3). His
position was sent only when he tapped 上报位置, so half an hour later he dropped out of the
dispatcher's 「定位 30 分钟内」 list with the page open (M7). The notice's 查看 / 知道了, a
task's title, 「离线 N ›」 and the map's ± were smaller than a finger, the count circles' numbers
small (m7).
Screenshots go to ``test-artifacts/screenshots/<test>/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from playwright.sync_api import Request, expect
from sqlalchemy import text

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_case_photos import _jpeg_with_gps, _png
from tests.test_console_dispatch import Desk, _act, _desk, _dispatch_to_worker, _free_worker, _token

WIDTH, HEIGHT = 360, 780  # the trial's phone
FINGER = 40  # px: the least side of what a finger taps

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_viewport(WIDTH, HEIGHT),
]


def _box(page: RecordedPage, selector: str) -> dict[str, float]:
    """The first match's rectangle in the viewport."""
    box: dict[str, float] = page.evaluate(
        """(selector) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                    width: r.width, height: r.height};
        }""",
        selector,
    )
    return box


def _buttons(page: RecordedPage, case_id: int) -> list[str]:
    """The task card's buttons, in order."""
    return page.locator(f"#zz-tasks-body tr[data-case-id='{case_id}'] .zz-act").all_inner_texts()


def _case_page_actions(demo: ConsoleDemo, desk: Desk, case_id: int) -> list[str]:
    """The labels of what the case page offers the worker (GET …/allowed, as case.js reads it)."""
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        allowed = client.get(
            f"/api/cases/{case_id}/allowed", headers=_token(client, desk.worker_login)
        )
    assert allowed.status_code == 200, allowed.text
    return [a["label"] for a in allowed.json()["allowed"]]


def _photos_by_action(demo: ConsoleDemo, case_id: int) -> dict[str, int]:
    with demo.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT e.action, count(*) AS n FROM case_photos p"
                " JOIN case_events e ON e.id = p.event_id WHERE p.case_id = :c GROUP BY e.action"
            ),
            {"c": case_id},
        ).all()
    return {str(r.action): int(r.n) for r in rows}


@contextmanager
def _workload_kept(demo: ConsoleDemo, case_id: int) -> Iterator[None]:
    """The worker free again and the day's workload of the next tests as it was."""
    try:
        yield
    finally:
        desk = _desk(demo)
        with demo.owner.connect() as conn:
            state = conn.execute(
                text("SELECT state FROM cases WHERE id = :c"), {"c": case_id}
            ).scalar_one()
        if state in ("dispatched", "accepted", "on_site"):
            with httpx2.Client(base_url=demo.origin, timeout=30) as client:
                _act(client, _token(client, desk.worker_login), case_id, "return", "测试结束，退回")
        with demo.owner.begin() as conn:
            conn.execute(
                text(
                    "UPDATE dispatches SET assigned_at = assigned_at - interval '2 days'"
                    " WHERE case_id = :c"
                ),
                {"c": case_id},
            )


def _open_phone(page: RecordedPage, demo: ConsoleDemo, desk: Desk) -> None:
    login(page, demo.origin, desk.worker_login)
    page.wait_for_url(f"{demo.origin}/console/{desk.village}")
    page.wait_for_function("window.zzReady === true", timeout=60_000)


def test_the_task_card_offers_the_case_pages_actions_with_their_photos(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """M1: 受理, 处置反馈 and 办结 on the card, each with the case page's photo field."""
    demo = console_demo
    desk = _desk(demo)
    case_id = _dispatch_to_worker(demo, "任务卡测试：楼道杂物堵塞消防通道")
    with _workload_kept(demo, case_id):
        _open_phone(page, demo, desk)
        task = page.locator(f"#zz-tasks-body tr[data-case-id='{case_id}']")
        expect(task).to_be_visible()
        assert _buttons(page, case_id) == ["受理", "退回"]
        assert sorted(_buttons(page, case_id)) == sorted(_case_page_actions(demo, desk, case_id))

        # 受理 with a photo of the scene
        task.locator("button[data-action='accept']").tap()
        dialog = page.locator("#zz-action-dialog")
        expect(dialog).to_be_visible()
        expect(page.locator("#zz-f-photos-label")).to_contain_text("现场照片（选填，最多 6 张")
        photos = page.locator("#zz-f-photos")
        expect(photos).to_have_attribute("accept", "image/*")
        expect(photos).to_have_attribute("capture", "environment")
        expect(page.locator("#zz-f-photos-add")).to_have_text("拍照或添加照片")
        photos.set_input_files(
            [{"name": "楼道.jpg", "mimeType": "image/jpeg", "buffer": _jpeg_with_gps()}]
        )
        expect(page.locator("#zz-f-photos-picked img")).to_have_count(1)
        page.screenshot_step("1-accept-with-photo")
        box = _box(page, "#zz-action-dialog")
        assert box["left"] >= 0 and box["right"] <= WIDTH, box
        page.locator("#zz-action-submit").tap()
        expect(page.locator("#zz-toasts")).to_contain_text("已受理（附现场照片 1 张）")
        expect(task.locator(".zz-case-state")).to_have_text("已受理")

        # the case page's actions, 处置反馈 among them, in the order of the work
        expect(task.locator("button[data-action='feedback']")).to_be_visible()
        assert _buttons(page, case_id) == ["到场", "处置反馈", "办结", "退回"]
        assert sorted(_buttons(page, case_id)) == sorted(_case_page_actions(demo, desk, case_id))
        sizes = page.evaluate(
            """(id) => Array.from(document.querySelectorAll(
                   `#zz-tasks-body tr[data-case-id='${id}'] .zz-act`),
                 (e) => { const r = e.getBoundingClientRect();
                          return {left: r.left, right: r.right, height: r.height}; })""",
            case_id,
        )
        assert len(sizes) == 4, sizes
        for size in sizes:
            assert size["height"] >= FINGER and size["left"] >= 0 and size["right"] <= WIDTH, size
        page.screenshot_step("2-accepted")

        # 处置反馈: its note asked, two photos, the form's photos of 受理 gone
        task.locator("button[data-action='feedback']").tap()
        expect(page.locator("#zz-action-note-label")).to_have_text("反馈内容（必填）")
        expect(page.locator("#zz-f-photos-picked img")).to_have_count(0)
        page.locator("#zz-f-photos").set_input_files(
            [
                {"name": "现场1.jpg", "mimeType": "image/jpeg", "buffer": _jpeg_with_gps()},
                {"name": "现场2.png", "mimeType": "image/png", "buffer": _png()},
            ]
        )
        expect(page.locator("#zz-f-photos-add")).to_have_text("再拍一张或添加（已选 2 张）")
        page.fill("#zz-action-note", "已通知住户清理，物业到场协助")
        page.screenshot_step("3-feedback-photos")
        page.locator("#zz-action-submit").tap()
        expect(page.locator("#zz-toasts")).to_contain_text("反馈已提交（附现场照片 2 张）")
        expect(dialog).to_be_hidden()

        # 办结: its 办结结果 chosen (none preselected), 办结说明 and a photo
        task.locator("button[data-action='resolve']").tap()
        outcome = page.locator("#zz-f-outcome")
        expect(outcome).to_have_value("")
        expect(page.locator("#zz-action-note-label")).to_have_text("办结说明（必填）")
        page.fill("#zz-action-note", "杂物已清理，消防通道畅通")
        page.locator("#zz-action-submit").tap()  # no 办结结果: held back, in Chinese
        expect(page.locator(".zz-field-problem")).to_have_text("请选择办结结果")
        expect(dialog).to_be_visible()
        outcome.select_option("resolved")
        page.locator("#zz-f-photos").set_input_files(
            [{"name": "清理后.jpg", "mimeType": "image/jpeg", "buffer": _jpeg_with_gps()}]
        )
        expect(page.locator("#zz-f-photos-picked img")).to_have_count(1)
        page.screenshot_step("4-resolve-form")
        page.locator("#zz-action-submit").tap()
        expect(page.locator("#zz-toasts")).to_contain_text("已办结（附现场照片 1 张）")
        expect(task).to_have_count(0)  # settled: no longer his task
        page.screenshot_step("5-resolved")

        assert _photos_by_action(demo, case_id) == {"accept": 1, "feedback": 2, "resolve": 1}
        with demo.owner.connect() as conn:
            settled = conn.execute(
                text(
                    "SELECT c.state, e.payload->>'outcome' AS outcome, e.note FROM cases c"
                    " JOIN case_events e ON e.case_id = c.id AND e.action = 'resolve'"
                    " WHERE c.id = :c"
                ),
                {"c": case_id},
            ).one()
        assert (settled.state, settled.outcome, settled.note) == (
            "resolved",
            "resolved",
            "杂物已清理，消防通道畅通",
        )
        assert page.latin_words("#zz-tasks-pane") == []
        page.assert_clean(demo.origin)


def test_the_phone_lands_on_the_workers_own_tasks_and_folds_the_communitys_figures(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """M3: 我的任务 first, the community's figures folded under a title saying whose they are;
    m7: what a finger taps there at least 40×40 px, the count circles' numbers readable."""
    demo = console_demo
    desk = _desk(demo)
    case_id = _dispatch_to_worker(demo, "落地页测试：路灯不亮")
    with demo.owner.begin() as conn:  # its 联系时限 passed: the count in red
        conn.execute(
            text("UPDATE cases SET contact_deadline = now() - interval '1 hour' WHERE id = :c"),
            {"c": case_id},
        )
    with _workload_kept(demo, case_id):
        _open_phone(page, demo, desk)
        page.screenshot_step("1-landing")
        tab = page.locator("#zz-tasks-tab")
        expect(tab).to_have_class("zz-tab active")
        count = page.locator("#zz-tasks-count")
        expect(count).to_have_text("1")
        expect(count).to_have_class("badge text-bg-danger zz-late")
        expect(count).to_have_attribute("title", "其中 1 件已超过时限")
        task = page.locator(f"#zz-tasks-body tr[data-case-id='{case_id}']")
        # his tabs on the first screen, his task above the figures and the map (below it only
        # the dispatches taken back from him, until he read them)
        assert _box(page, "#zz-tasks-tab")["bottom"] <= HEIGHT
        fold = page.locator("#zz-kpis-fold")
        expect(fold).to_be_visible()
        with demo.owner.connect() as conn:
            name = conn.execute(
                text("SELECT name FROM jurisdictions WHERE code = :c"), {"c": desk.village}
            ).scalar_one()
        own = "本村" if name.endswith("村") else "本社区"
        expect(page.locator("#zz-kpis-fold-title")).to_have_text(f"{own}态势")
        expect(fold).to_contain_text(f"{name}的全部数字，不是您个人的")
        expect(fold).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#zz-kpis")).to_be_hidden()
        row = _box(page, f"#zz-tasks-body tr[data-case-id='{case_id}']")
        fold_top = _box(page, "#zz-kpis-fold")["top"]
        assert row["bottom"] <= fold_top < _box(page, ".zz-cmd-map")["top"]

        # the figures open under their title, above the map
        fold.tap()
        expect(page.locator("#zz-kpis")).to_be_visible()
        expect(fold).to_have_attribute("aria-expanded", "true")
        assert _box(page, "#zz-kpis-fold")["bottom"] <= _box(page, "#zz-kpis")["top"] + 1
        assert _box(page, "#zz-kpis")["bottom"] <= _box(page, ".zz-cmd-map")["top"] + 1
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        page.locator("#zz-kpis").scroll_into_view_if_needed()
        page.screenshot_step("2-figures-open")

        # m7: a finger's size
        title = _box(page, f"#zz-tasks-body tr[data-case-id='{case_id}'] .zz-case-link")
        assert title["height"] >= FINGER, title
        offline = page.locator("#zz-offline-link")
        expect(offline).to_be_visible()  # the demo's village has cameras offline
        size = _box(page, "#zz-offline-link")
        assert size["height"] >= FINGER and size["width"] >= FINGER, size
        assert size["right"] <= WIDTH, size
        # every KPI's label whole still
        cut = page.evaluate(
            """Array.from(document.querySelectorAll('.zz-kpi-label'))
                 .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent)"""
        )
        assert cut == []
        for control in (".leaflet-control-zoom-in", ".leaflet-control-zoom-out"):
            size = _box(page, control)
            assert size["height"] >= FINGER and size["width"] >= FINGER, (control, size)
        page.wait_for_function(
            "document.querySelectorAll('.leaflet-marker-pane .zz-cluster span').length > 0"
        )
        fonts = page.evaluate(
            """Array.from(document.querySelectorAll('.leaflet-marker-pane .zz-cluster span'),
                 (e) => parseFloat(getComputedStyle(e).fontSize))"""
        )
        assert min(fonts) >= 13, fonts

        # the notice of a new dispatch: 查看 and 知道了 a finger's size
        page.evaluate(
            """() => zz.toast("新派单：案件 …0001「测试」，请尽快联系/受理", "primary",
                              {sticky: true, href: "/cases/1", link: "查看"})"""
        )
        notice = page.locator("#zz-toasts .zz-sticky").last
        expect(notice).to_be_visible()
        page.screenshot_step("3-notice")
        for link in (
            notice.locator("a", has_text="查看"),
            notice.locator("button", has_text="知道了"),
        ):
            size_ = link.bounding_box()
            assert size_ is not None, link
            assert size_["height"] >= FINGER and size_["width"] >= FINGER, size_
        notice.locator("button", has_text="知道了").tap()
        expect(task).to_be_visible()
        page.assert_clean(demo.origin)


def _position(demo: ConsoleDemo, worker_id: int) -> tuple[float, float, datetime]:
    with demo.owner.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_X(last_position) AS lon, ST_Y(last_position) AS lat, last_seen_at"
                " FROM workers WHERE id = :w"
            ),
            {"w": worker_id},
        ).one()
    return float(row.lon), float(row.lat), row.last_seen_at


def _is_position_post(request: Request) -> bool:
    return request.method == "POST" and request.url.endswith("/position")


HIDDEN = """(hidden) => {
    Object.defineProperty(document, 'visibilityState',
                          {configurable: true, get: () => (hidden ? 'hidden' : 'visible')});
    document.dispatchEvent(new Event('visibilitychange'));
}"""
# a round trip through what the page awaits before it sends (the permission's answer)
SETTLED = "() => navigator.permissions.query({name: 'geolocation'}).then(() => true)"


def test_the_phone_keeps_the_workers_position_fresh_while_it_is_open(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """M7: on duty, the open and shown phone page sends his position every 5 minutes."""
    demo = console_demo
    desk = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _free_worker(client, _token(client, desk.worker_login), demo, desk.worker_id, desk.status)
    with demo.owner.begin() as conn:  # on duty, his last position 40 minutes old
        conn.execute(
            text(
                "UPDATE workers SET status = 'on_duty', version = version + 1,"
                " last_seen_at = now() - interval '40 minutes' WHERE id = :w"
            ),
            {"w": desk.worker_id},
        )
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if _is_position_post(r) else None)
    spots = [(desk.spot.lon + 0.0002 * i, desk.spot.lat + 0.0001 * i) for i in range(3)]
    page.context.grant_permissions(["geolocation"], origin=demo.origin)
    page.context.set_geolocation({"longitude": spots[0][0], "latitude": spots[0][1]})
    page.clock.install()

    # the page opens: his 40-minute-old position is sent at once, and the card says so
    _open_phone(page, demo, desk)
    seen = page.locator("#zz-duty-seen")
    expect(seen).to_contain_text("自动上报")
    expect(seen).to_contain_text("刚刚")
    expect(page.locator("#zz-duty-auto")).to_have_text(
        "本页打开期间，每 5 分钟自动上报一次位置（离岗后停止）"
    )
    expect(page.locator("#zz-duty-hint")).to_be_hidden()
    lon, lat, at = _position(demo, desk.worker_id)
    assert abs(lon - spots[0][0]) < 1e-7 and abs(lat - spots[0][1]) < 1e-7
    assert abs((datetime.now(UTC) - at).total_seconds()) < 120
    assert len(posts) == 1
    page.locator("#zz-duty").scroll_into_view_if_needed()
    page.screenshot_step("1-sent-on-opening")

    # in the pocket, the screen off: nothing is sent, however long
    page.context.set_geolocation({"longitude": spots[1][0], "latitude": spots[1][1]})
    page.evaluate(HIDDEN, True)
    page.clock.fast_forward("10:00")
    assert page.evaluate(SETTLED)
    assert len(posts) == 1
    # shown again: sent at once
    with page.expect_request(_is_position_post):
        page.evaluate(HIDDEN, False)
    _wait_position(page, demo, desk.worker_id, spots[1])
    expect(seen).to_contain_text("自动上报")

    # 4 minutes on: not yet; 5 minutes on: sent again
    page.context.set_geolocation({"longitude": spots[2][0], "latitude": spots[2][1]})
    page.clock.fast_forward("04:00")
    assert page.evaluate(SETTLED)
    assert len(posts) == 2
    with page.expect_request(_is_position_post):
        page.clock.fast_forward("01:30")
    _wait_position(page, demo, desk.worker_id, spots[2])
    expect(page.locator("#zz-duty-hint")).to_be_hidden()
    assert len(posts) == 3
    assert page.latin_words("#zz-duty") == []
    page.assert_clean(demo.origin)


def _wait_position(
    page: RecordedPage, demo: ConsoleDemo, worker_id: int, spot: tuple[float, float]
) -> None:
    """Wait until the stored position is ``spot`` (the POST answered)."""
    for _ in range(100):
        lon, lat, _at = _position(demo, worker_id)
        if abs(lon - spot[0]) < 1e-7 and abs(lat - spot[1]) < 1e-7:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the position {spot} was not stored: {_position(demo, worker_id)}")


def test_the_phone_asks_nothing_and_sends_nothing_without_the_workers_leave(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """M7: without the browser's leave to locate him, the page only says how to allow it."""
    demo = console_demo
    desk = _desk(demo)
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        _free_worker(client, _token(client, desk.worker_login), demo, desk.worker_id, desk.status)
    with demo.owner.begin() as conn:
        conn.execute(
            text(
                "UPDATE workers SET status = 'on_duty', version = version + 1,"
                " last_seen_at = now() - interval '40 minutes' WHERE id = :w"
            ),
            {"w": desk.worker_id},
        )
    before = _position(demo, desk.worker_id)
    posts: list[Any] = []
    page.on("request", lambda r: posts.append(r.url) if _is_position_post(r) else None)
    page.context.clear_permissions()
    _open_phone(page, demo, desk)
    auto = page.locator("#zz-duty-auto")
    expect(auto).to_contain_text("允许浏览器获取位置并点一次“上报位置”后")
    expect(page.locator("#zz-duty-hint")).to_contain_text("位置超过 30 分钟未更新")
    assert page.evaluate(SETTLED)
    assert posts == [] and _position(demo, desk.worker_id) == before
    page.assert_clean(demo.origin)
