"""The trends page gives 走访 per month and quarter, and the analyst reads the county's 走访逾期.

Trial AY S2: every 走访 figure of the page was the current one, the visit outcomes added up
nowhere. The page now has a table 走访情况（按月）: per period, newest first, the persons on the
register and overdue at its end and the visits by outcome, of the county (合计) or a township
chosen. Trial AY M1: the analyst read 「不予显示」 for the county's 走访逾期 the commander reads.
In a real browser against the demo county (its register and their visits).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, open_trends_as_analyst


@pytest.mark.browser
def test_the_page_gives_visits_per_period(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    _origin, county = open_trends_as_analyst(page, console_demo)
    table = page.locator("#visit-history-table")
    expect(table).to_be_visible()
    expect(page.locator("#visit-history-title")).to_have_text("走访情况（按月）")
    headers = table.locator("thead th").all_inner_texts()
    assert headers == [
        "统计期", "期末在册人数", "本期走访次数", "见到本人", "电话/视频联系", "人户分离", "失联",
        "期末走访逾期人数",
    ]  # fmt: skip
    body = page.evaluate(f"zz.api('/api/trends/{county}/visit-history')")
    newest = table.locator("tbody tr").first.locator("td").all_inner_texts()
    assert newest[0] == body["periods"][-1]["label"]
    totals = body["totals"]
    shown = [str(totals[f["key"]][-1]) for f in body["figures"]]
    assert newest[1:] == [s if s != "None" else "*" for s in shown]
    assert int(newest[1]) > 1000 and int(newest[2]) > 0  # the demo county's register and visits
    expect(page.locator("#visit-history-note")).to_contain_text("现行走访周期规则")
    # one township's rows
    township = body["units"][0]
    page.select_option("#visit-history-unit", township["code"])
    first = table.locator("tbody tr").first.locator("td").all_inner_texts()
    overdue = township["figures"]["overdue"][-1]
    assert first[-1] == (f"<{body['min_count']}" if overdue is None else str(overdue))
    # M1: the county's 走访逾期 is a figure for the analyst too
    tile = page.locator("#kpis .zz-kpi", has_text="走访逾期人数")
    expect(tile).not_to_contain_text("不予显示")
    feed = page.evaluate(f"zz.api('/api/command/{county}')")
    assert feed["unit"]["kpis"]["overdue_visits"] is not None
    # quarters
    page.select_option("#granularity", "quarter")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    expect(page.locator("#visit-history-title")).to_have_text("走访情况（按季度）")
    expect(table.locator("tbody tr").first.locator("td").first).to_contain_text("季度")
