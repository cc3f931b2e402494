"""The trends page after trial AT, in a real browser against the demo county.

* M3: the overdue visits are named 走访逾期 and give the townships' totals the 月总结 gives,
  a withheld one said to protect a small unit's count;
* M4: the page says where the repeat reports (重复反映) are counted;
* m6: 变化对比 ends with the period the time slider shows;
* m5: a first period holding part of its months only is marked so;
* m10: the uncovered hot spots' tile says why the cells without a case are left out.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, open_trends_as_analyst


@pytest.mark.browser
def test_the_trends_page_after_trial_at(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    _origin, county = open_trends_as_analyst(page, console_demo)
    # M3: one name, and the townships' totals of the 月总结 (the command feed's children)
    visits = page.locator("#table-visits")
    expect(visits).to_contain_text("走访逾期")
    expect(visits).not_to_contain_text("逾期未走访")
    feed = page.evaluate(f"zz.api('/api/command/{county}')")
    given = [c for c in feed["children"] if c["kpis"]["overdue_visits"] is not None]
    assert given, "the brief gives some township's total"
    units = page.locator("#visits-units")
    expect(units).to_contain_text("各乡镇（街道）走访逾期人数（与月总结相同）")
    for child in given:
        expect(units).to_contain_text(f"{child['name']} {child['kpis']['overdue_visits']} 人")
    if feed["unit"]["kpis"]["overdue_visits"] is None:  # the tile points to the parts given
        tile = page.locator("#kpis .zz-kpi", has_text="走访逾期人数")
        expect(tile).to_contain_text("各乡镇（街道）合计见走访逾期表")
    if any(c["kpis"]["overdue_visits"] is None for c in feed["children"]):
        expect(page.locator("#visits-unlisted")).to_contain_text("互补隐藏")
    # M4: where the repeat reports are
    expect(page.locator("#repeats-where")).to_contain_text("「导出统计表」的「重复反映」表")
    # m10: the tile says why the cells without a case of their own are left out
    page.wait_for_function("document.getElementById('uncovered-count').textContent !== ''")
    tile = page.locator("#kpis .zz-kpi", has_text="无摄像机覆盖热点")
    if "另" in tile.inner_text():
        expect(tile).to_contain_text("个本格无案件、因相邻格而显著，未计入")
    # m6: 变化对比 follows the slider
    series = page.evaluate(f"zz.api('/api/trends/{county}')")
    periods = series["periods"]
    last = periods[-1]["label"]
    expect(page.locator("#changes-range")).to_contain_text(f"至 {last}")
    earlier = len(periods) - 4
    page.evaluate(
        "(i) => { const s = document.getElementById('period-slider'); s.value = String(i);"
        " s.dispatchEvent(new Event('input')); }",
        earlier,
    )
    expect(page.locator("#period-label")).to_have_text(periods[earlier]["label"])
    expect(page.locator("#changes-range")).to_contain_text(f"至 {periods[earlier]['label']}")
    assert f"period={periods[earlier]['key']}" in (
        page.locator("#export-xlsx").get_attribute("href") or ""
    )
    page.screenshot_step("at-slider")
    # m5: by quarter, a first quarter holding part of its months is marked
    page.select_option("#granularity", "quarter")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    quarters = page.evaluate(f"zz.api('/api/trends/{county}?granularity=quarter')")
    first = next((p for p in quarters["periods"] if p["key"] == quarters["first_period"]), None)
    assert first is not None
    if quarters["first_day"] > first["start"]:
        expect(page.locator("#window-warning")).to_contain_text(first["label"])
        expect(page.locator("#table-children th .zz-partial")).to_have_count(1)
    page.screenshot_step("at-quarters")
