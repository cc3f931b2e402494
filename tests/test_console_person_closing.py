"""注销 of one person from the 走访 list's card (trial AW M1).

Headless Chromium on the 华宁县 demo. A township's operator closes a person out: the reason from
the list, the 去向, the day (today by default); 确定 stays disabled while the request is out;
the toast says what it means and the card leaves the list. The map's popup of a 社区矫正 past its
end says so and offers the same 注销. The person is read back from the database and removed
afterwards, so the other console tests see the demo as loaded.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from layers.china_time import CHINA
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_unmask import _open_popup
from tests.test_console_visits import _township_login

NAME = "测注销"

#: Hold the 注销 request until the test lets it go (window.zzRelease), to see 确定 meanwhile.
_HOLD = """() => {
    const sent = window.fetch;
    window.zzHeld = new Promise((go) => { window.zzRelease = go; });
    window.fetch = async (...args) => {
        if (String(args[0]).endsWith("/end")) await window.zzHeld;
        return sent(...args);
    };
}"""


@pytest.mark.browser
def test_a_township_closes_a_person_out_from_the_visit_list(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    login_ = _township_login(demo)
    township = login_.scope_code
    with demo.owner.begin() as conn:
        pid = conn.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, grid_code, residence,"
                " on_record_since) SELECT 'drug', :name, :h, '530424********0019', :s, 1, '{}',"
                " g.area_code, g.code, ST_PointOnSurface(g.boundary), DATE '2020-01-01'"
                " FROM grids g WHERE g.area_code LIKE :prefix ORDER BY g.code LIMIT 1"
                " RETURNING id"
            ),
            {"name": NAME, "h": os.urandom(32), "s": os.urandom(40), "prefix": township[:9] + "%"},
        ).scalar_one()
    try:
        login(page, demo.origin, login_.username)
        page.wait_for_url(f"{demo.origin}/console/{township}")
        # a grid worker's account is offered no 注销 (the server refuses it too)
        offered = page.evaluate(
            "zzPersonClosing.button({role: 'grid_worker', sees_persons: true}, {}, null)"
        )
        assert offered is None
        page.locator("#zz-visits-tab").click()
        card = page.locator(f'#zz-visits-list .zz-visit[data-person-id="{pid}"]')
        expect(card).to_be_visible()  # never visited since 2020: the most overdue, first
        card.locator(".zz-visit-end").click()
        dialog = page.locator("#zz-end-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator(".zz-end-who")).to_have_text("测**（吸毒人员）")
        today = datetime.now(CHINA).date()
        expect(dialog.locator("#zz-end-day")).to_have_value(today.isoformat())
        expect(dialog.locator("#zz-end-reason option")).to_have_text(
            ["请选择注销原因", "解除矫正", "期满解除帮教", "死亡", "迁出", "其他"]
        )
        # 其他 needs its 说明: refused in Chinese, the dialog stays
        dialog.locator("#zz-end-reason").select_option("其他")
        dialog.locator(".zz-end-submit").click()
        expect(dialog.locator(".zz-end-error")).to_have_text(
            "注销原因为“其他”时，请在“说明”中写明原因"
        )
        expect(dialog).to_be_visible()
        dialog.locator("#zz-end-reason").select_option("迁出")
        dialog.locator("#zz-end-detail").fill("迁往昆明市官渡区")
        page.screenshot_step("1-dialog")
        page.evaluate(_HOLD)
        dialog.locator(".zz-end-submit").click()
        expect(dialog.locator(".zz-end-submit")).to_be_disabled()  # while it is sent
        page.evaluate("window.zzRelease()")
        expect(page.locator("#zz-toasts")).to_contain_text(
            "已注销 测**（迁出）：不再显示在地图上，不计入走访统计，走访记录保留"
        )
        expect(dialog).to_be_hidden()
        expect(card).to_have_count(0)  # the list read again: off it
        page.screenshot_step("2-ended")
        with demo.owner.connect() as conn:
            ended = conn.execute(
                text("SELECT ended_on, ended_reason FROM persons WHERE id = :id"), {"id": pid}
            ).one()
        assert tuple(ended) == (today, "迁出（迁往昆明市官渡区）")
        assert isinstance(ended.ended_on, date)
        page.assert_clean(demo.origin, expected_errors=(r"status of 422",))
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM persons WHERE id = :id"), {"id": pid})


@pytest.mark.browser
def test_a_correction_past_its_end_opens_on_解除矫正_on_its_end_date(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """The close-out half of trial AW S4: a 待解除矫正 card is struck off in two clicks."""
    demo = console_demo
    login_ = _township_login(demo)
    township = login_.scope_code
    end = datetime.now(CHINA).date() - timedelta(days=6)
    with demo.owner.begin() as conn:
        pid = conn.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, grid_code, residence,"
                " on_record_since) SELECT 'correction', :name, :h, '530424********0027', :s, 1,"
                " jsonb_build_object('end_date', CAST(:end AS text)),"
                " g.area_code, g.code, ST_PointOnSurface(g.boundary), DATE '2025-06-01'"
                " FROM grids g WHERE g.area_code LIKE :prefix ORDER BY g.code LIMIT 1"
                " RETURNING id"
            ),
            {
                "name": NAME,
                "h": os.urandom(32),
                "s": os.urandom(40),
                "end": end.isoformat(),
                "prefix": township[:9] + "%",
            },
        ).scalar_one()
    try:
        login(page, demo.origin, login_.username)
        page.wait_for_url(f"{demo.origin}/console/{township}")
        # the card as the list reads it (its 待解除矫正 list: status=correction_over)
        opened = page.evaluate(
            """async (pid) => {
                const read = await zz.api("/api/persons/visits?status=correction_over&limit=1000");
                const p = read.persons.find((one) => one.id === pid);
                if (p) zzPersonClosing.open(p, null);
                return Boolean(p);
            }""",
            pid,
        )
        assert opened
        dialog = page.locator("#zz-end-dialog")
        expect(dialog.locator("#zz-end-reason")).to_have_value("解除矫正")
        expect(dialog.locator("#zz-end-day")).to_have_value(end.isoformat())
        dialog.locator(".zz-end-submit").click()
        expect(page.locator("#zz-toasts")).to_contain_text(
            "已注销 测**（解除矫正）：不再显示在地图上，不计入走访统计，走访记录保留"
        )
        expect(dialog).to_be_hidden()
        with demo.owner.connect() as conn:
            ended = conn.execute(
                text("SELECT ended_on, ended_reason FROM persons WHERE id = :id"), {"id": pid}
            ).one()
        assert tuple(ended) == (end, "解除矫正")
        page.assert_clean(demo.origin)
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM persons WHERE id = :id"), {"id": pid})


@pytest.mark.browser
def test_the_map_popup_of_a_correction_past_its_end_says_so_and_closes_it_out(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """The popup showed an 应访日期 for a correction past its end, and had no 注销 (session 40)."""
    demo = console_demo
    login_ = _township_login(demo)
    township = login_.scope_code
    end = datetime.now(CHINA).date() - timedelta(days=3)
    with demo.owner.begin() as conn:
        placed = conn.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, grid_code, residence,"
                " on_record_since) SELECT 'correction', :name, :h, '530424********0035', :s, 1,"
                " jsonb_build_object('end_date', CAST(:end AS text)),"
                " g.area_code, g.code, ST_PointOnSurface(g.boundary), DATE '2025-06-01'"
                " FROM grids g WHERE g.area_code LIKE :prefix ORDER BY g.code LIMIT 1"
                " RETURNING id, area_code, ST_Y(ST_SnapToGrid(residence, 0.005)) AS lat,"
                " ST_X(ST_SnapToGrid(residence, 0.005)) AS lon"
            ),
            {
                "name": NAME,
                "h": os.urandom(32),
                "s": os.urandom(40),
                "end": end.isoformat(),
                "prefix": township[:9] + "%",
            },
        ).one()
    try:
        login(page, demo.origin, login_.username)
        page.wait_for_url(f"{demo.origin}/console/{township}")
        # its marker stands at the centre of its home's 500 m cell (trial AW M8)
        _open_popup(page, demo.origin, township, placed.lat, placed.lon, person_id=placed.id)
        popup = page.locator(f'.zz-person-popup[data-person-id="{placed.id}"]')
        expect(popup.locator(".zz-correction-cell")).to_have_text(
            f"已满（{end.isoformat()}），请办理解除矫正"
        )
        expect(popup.locator(".zz-visit-due-cell")).to_have_text("矫正期已满，不再走访")
        # 调整网格 beside 注销, as on the 走访 card: the dialog opens on the person's grid
        popup.locator(".zz-visit-grid").click()
        grid_dialog = page.locator("#zz-grid-dialog")
        expect(grid_dialog.locator("#zz-grid-title")).to_have_text("调整网格")
        expect(grid_dialog.locator("#zz-grid-village")).to_have_value(placed.area_code)
        grid_dialog.get_by_role("button", name="取消").click()
        page.screenshot_step("1-popup")
        popup.locator(".zz-visit-end").click()
        dialog = page.locator("#zz-end-dialog")
        expect(dialog.locator("#zz-end-reason")).to_have_value("解除矫正")
        expect(dialog.locator("#zz-end-day")).to_have_value(end.isoformat())
        dialog.locator(".zz-end-submit").click()
        expect(page.locator("#zz-toasts")).to_contain_text("已注销 测**（解除矫正）")
        expect(popup).to_have_count(0)
        # the persons read again: the marker left the map
        page.wait_for_function(
            "(pid) => !(pid in zzCommand.layers.persons.markers)", arg=str(placed.id)
        )
        with demo.owner.connect() as conn:
            ended = conn.execute(
                text("SELECT ended_on, ended_reason FROM persons WHERE id = :id"),
                {"id": placed.id},
            ).one()
        assert tuple(ended) == (end, "解除矫正")
        page.assert_clean(demo.origin)
    finally:
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM persons WHERE id = :id"), {"id": placed.id})
