"""The 走访 tab counts and lists the persons with no point or no grid (trial AV M1), and exports
the overdue list masked (trial AW M3).

Headless Chromium on the 华宁县 demo, as the township's commander: with one person of the
township made to have no residence point and another no grid, the tab's summary says
「未落图/未划入网格 2 人」, a tap lists the two, each card saying what is missing and what to
do, masked; 导出逾期名单 downloads the township's 走访逾期名单 (XLSX). The two persons get their
point and grid back afterwards, so the other console tests see the demo as loaded.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import text

from geo.codes import scope_range
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_visits import _township, _township_login


@pytest.mark.browser
def test_the_township_lists_its_persons_off_the_map_and_exports_the_overdue(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    township = _township(demo)
    lo, hi = scope_range(township)
    with demo.owner.begin() as conn:
        kept = conn.execute(
            text(
                "SELECT id, name, residence, grid_code FROM persons WHERE ended_on IS NULL"
                " AND area_code >= :lo AND area_code < :hi ORDER BY id LIMIT 2"
            ),
            {"lo": lo, "hi": hi},
        ).all()
        (no_point, name_a, _, _), (no_grid, name_b, _, _) = kept
        conn.execute(text("UPDATE persons SET residence = NULL WHERE id = :p"), {"p": no_point})
        conn.execute(text("UPDATE persons SET grid_code = NULL WHERE id = :p"), {"p": no_grid})
    try:
        login(page, demo.origin, _township_login(demo).username)
        page.wait_for_url(f"{demo.origin}/console/{township}")
        page.locator("#zz-visits-tab").click()
        summary = page.locator("#zz-visits-summary")
        flag = summary.locator(".zz-visits-flag[data-status=unplaced]")
        expect(flag).to_have_text("未落图/未划入网格 2 人")
        flag.click()
        items = page.locator("#zz-visits-list[data-status=unplaced] .zz-visit")
        expect(items).to_have_count(2)
        by_id = {
            int(items.nth(i).get_attribute("data-person-id") or 0): items.nth(i) for i in range(2)
        }
        assert set(by_id) == {no_point, no_grid}
        expect(by_id[no_point].locator(".zz-visit-notice")).to_contain_text("未落图（没有居住位置")
        expect(by_id[no_grid].locator(".zz-visit-notice")).to_contain_text("未划入网格（")
        expect(by_id[no_point].locator(".zz-visit-notice")).to_contain_text("补填居住位置")
        # a grid is set from the card (划入网格), which the card's notice says
        expect(by_id[no_grid].locator(".zz-visit-notice")).to_contain_text("点“划入网格”")
        # no 定位 for the person with no point; masked, as every list is
        expect(by_id[no_point].get_by_role("button", name="定位")).to_have_count(0)
        listed = page.locator("#zz-visits-list").inner_text()
        assert name_a not in listed and name_b not in listed
        expect(page.locator("#zz-visits-status")).to_have_value("unplaced")
        page.screenshot_step("1-unplaced")
        # 导出逾期名单: the township's overdue persons, masked
        link = page.locator("#zz-visits-export")
        expect(link).to_be_visible()
        with page.expect_download() as started:
            link.click()
        download = started.value
        assert download.suggested_filename.startswith("走访逾期名单-")
        path = download.path()
        book = load_workbook(io.BytesIO(path.read_bytes()))
        rows = list(book["走访逾期名单"].iter_rows(values_only=True))
        assert rows[0][:3] == ("序号", "姓名", "证件号码")
        assert all(str(r[1]).endswith("*") for r in rows[1:])
        page.assert_clean(demo.origin)
    finally:
        with demo.owner.begin() as conn:
            for pid, _, residence, grid_code in kept:
                conn.execute(
                    text(
                        "UPDATE persons SET residence = CAST(:r AS geometry), grid_code = :g"
                        " WHERE id = :p"
                    ),
                    {"r": residence, "g": grid_code, "p": pid},
                )
