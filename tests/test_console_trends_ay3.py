"""The trends page's changes on small bases, in a real browser against the demo county.

Trial AY M4: 「变化对比」 gave 「柳铺村 4 1 +3（+300%）」 and a village's page 「环比 −100%」 for
1 → 0. A change where both counts are under 5 now reads in cases with 「基数小，仅供参考」, no
percentage, in the table and in the KPI tile alike (the server flags it: one rule).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Route, expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, open_trends_as_analyst


@pytest.mark.browser
def test_changes_on_small_bases_are_told_in_counts(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin, county = open_trends_as_analyst(page, console_demo)
    body = page.evaluate(f"zz.api('/api/trends/{county}/changes?months=6')")
    small = [r for r in body["rows"] if r["small_base"]]
    assert small, "the demo county has villages of a few cases"
    if page.locator("#changes-all").count():
        page.click("#changes-all")
    for r in small[:5]:
        row = page.locator(f"#changes-table tr[data-code='{r['code']}']")
        expect(row).to_contain_text("基数小，仅供参考")
        expect(row).not_to_contain_text("%")
    expect(page.locator("#changes-note")).to_contain_text("基数小，仅供参考")
    # a village page whose month compares small counts only: its tile gives cases, no percentage
    village = None
    for r in small:
        if len(r["code"]) != 12 or r["code"].endswith("000"):
            continue
        series = page.evaluate(f"zz.api('/api/trends/{r['code']}')")
        last = series["case_changes"][-1]
        if last and all(c["small_base"] for c in last):
            village = r["code"]
            break
    assert village is not None
    page.goto(f"{origin}/trends/{village}")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    tile = page.locator("#kpis .zz-kpi", has_text="本期案件数").locator(".zz-kpi-change")
    expect(tile).to_contain_text("基数小，仅供参考")
    expect(tile).not_to_contain_text("%")
    page.screenshot_step("ay3-small-base")
    page.assert_clean(origin)


@pytest.mark.browser
def test_a_change_tile_rounds_the_counts_once(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    # 32.47% is 32.5 in the API (one decimal, for the tables) and was 33% on the tile: the tile
    # rounds the counts' change to a whole percent, as the report's sentence does
    origin, county = open_trends_as_analyst(page, console_demo)
    figures = {"环比": (77, 25, 32.5), "同比": (8, -1, -12.5)}  # 32.47%, −12.5% (halves up)

    def rewritten(route: Route) -> None:
        body = route.fetch().json()
        for change in body["case_changes"][-1]:
            before, delta, pct = figures[change["kind"]]
            change.update(before=before, change=delta, change_pct=pct, small_base=False)
        route.fulfill(json=body)

    page.page.route(re.compile(rf".*/api/trends/{county}\?.*"), rewritten)
    page.reload()
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    tile = page.locator("#kpis .zz-kpi", has_text="本期案件数").locator(".zz-kpi-change")
    expect(tile).to_have_text("环比 +32% · 同比 −12%")
    page.assert_clean(origin)
