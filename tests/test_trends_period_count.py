"""The planner chooses the window's number of periods on the trends page (trial AY M3).

The API takes ``periods`` 4 to 60, the page offered 24 months or 8 quarters only: no way to
leave out the demo's first quarter (2024-12-07 onward, not half a quarter), nor to look at
three years. 统计期数 now offers lengths of months or quarters, and names the one that starts
the window at the unit's first period with cases; the exports and the page's address follow
it. A longer window reaching before the records says the periods left out of the emerging
patterns.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, open_trends_as_analyst


def _months_between(first: str, last: str) -> int:
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1


def _choose(page: RecordedPage, selector: str, value: str) -> None:
    if page.locator("#trend-tools.zz-folded").count():  # the tools folded to their title
        page.click("#trend-tools-fold")
    page.select_option(selector, value)
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)


@pytest.mark.browser
def test_the_planner_chooses_the_number_of_periods(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin, county = open_trends_as_analyst(page, console_demo)
    count = page.locator("#period-count")
    expect(count).to_have_value("24")
    offered = count.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert {"12", "24", "36", "60"} <= set(offered), offered
    answer = page.evaluate(f"zz.api('/api/trends/{county}?granularity=month')")
    since = _months_between(answer["first_period"], answer["periods"][-1]["key"])
    assert 4 <= since <= 60
    expect(count.locator(f"option[value='{since}']")).to_have_text(f"{since}个月（自有案件起）")

    # three years: the window, the exports and the patterns' basis follow
    _choose(page, "#period-count", "36")
    expect(count).to_have_value("36")
    assert "（36个月）" in page.locator("#window-range").inner_text()
    assert "periods=36" in (page.locator("#export-xlsx").get_attribute("href") or "")
    assert "periods=36" in (page.locator("#export-html").get_attribute("href") or "")
    long = page.evaluate(f"zz.api('/api/trends/{county}?granularity=month&periods=36')")
    keys = [p["key"] for p in long["periods"]]
    left_out = keys.index(long["patterns_from"])
    assert left_out == 36 - since and long["patterns_from"] == answer["first_period"]
    first = long["periods"][left_out]["label"]
    expect(page.locator("#window-warning")).to_have_text(
        f"本统计时段始于 {long['periods'][0]['label']}，而本辖区案件记录始于 {first}："
        f"前 {left_out} 期无数据（图表中记为 0）；"
        f"新兴热点模式从有案件的第一期（{first}）起判定，不计此前无数据的 {left_out} 期。"
    )
    basis = f"按有数据的 {since} 个月判定，单位为六边形单元数"
    expect(page.locator("#patterns-basis")).to_have_text(basis)
    page.screenshot_step("1-thirty-six-months")

    # quarters: their own default, and seven of them (without the demo's first, short quarter)
    _choose(page, "#granularity", "quarter")
    expect(count).to_have_value("8")
    _choose(page, "#period-count", "7")
    assert "（7个季度）" in page.locator("#window-range").inner_text()
    quarters = page.evaluate(f"zz.api('/api/trends/{county}?granularity=quarter&periods=7')")
    assert len(quarters["periods"]) == 7
    assert page.locator("#period-slider").get_attribute("max") == "6"
    page.screenshot_step("2-seven-quarters")
    # in the address too: the bookmark opens seven quarters again
    assert "periods=7" in page.url and "granularity=quarter" in page.url, page.url
    page.goto(page.url)
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    expect(count).to_have_value("7")
    assert page.locator("#period-slider").get_attribute("max") == "6"
    assert page.latin_words() == []
    page.assert_clean(origin)
