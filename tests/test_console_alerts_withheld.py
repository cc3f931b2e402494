"""An analyst's hot-spot alert says why its 本格及相邻格 is withheld beside 本格 (trial AT M7).

Trial AT M7: an alert read 「本格案件数 68 起」 and 「本格及相邻格案件数 不予显示」, which looked
absurd: the sum can only be larger. It is withheld because a neighbouring cell holds a small
count that the sum, less the counts shown, would give back
(:meth:`layers.hotspot_cases.CellFigures.shown_around`); showing it would weaken that, so the
card now says so.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login


@pytest.mark.browser
def test_a_withheld_neighbourhood_figure_says_why(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    county = console_demo.data.county_code.ljust(12, "0")
    login(
        page, console_demo.origin, console_demo.username("analyst"), next_path=f"/console/{county}"
    )
    page.wait_for_url(f"**/console/{county}")
    page.wait_for_function("window.zzReady === true")
    feed = page.evaluate(f"zz.api('/api/command/{county}')")
    withheld = [
        a
        for a in feed["alerts"]
        if a["cell"] and a["cell"]["around"] is None and a["cell"]["own"] is not None
    ]
    assert withheld, "the demo has an alert whose neighbourhood figure is withheld"
    page.locator(".zz-tab[data-pane=alerts]").click()
    pane = page.locator("#zz-alerts")
    alert = withheld[0]
    item = pane.locator(f"li.zz-alert[data-alert-id='{alert['id']}']")
    group = pane.locator("li.zz-alert-group").filter(has=item)
    if group.count():
        group.first.locator("summary").click()
    detail = item.locator(".zz-alert-detail")
    expect(detail).to_contain_text(f"本格案件数 {alert['cell']['own']} 起")
    expect(detail).to_contain_text(
        "本格及相邻格案件数 不予显示（相邻格中有少于 3 起的，合计会透露其数）"
    )
