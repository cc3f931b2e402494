"""What the command page asks the server on opening, and that it still shows the same figures.

The county's command view (``console_demo``, the 华宁县 demo, served) reads the feed, the
outline and the hot cells once each and in parallel; the 待审延期 count and the first day of
the unit's history (往月) come with the feed rather than by reads of their own (trial BC M1:
answers of 60–100 ms waited seconds in the browser's queue of six connections).
"""
# ruff: noqa: F811

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

from tests.browser import RecordedPage, held_requests
from tests.console_fixtures import ConsoleDemo, login

COUNTY = "530424000000"
# what the page's scripts read of /api/ on opening, the live events included: the command
# view's own (me, feed, outline, hot cells, events) and the 走访 tab's (its badge and the
# cross-scope notices); imports/kinds and persons/fields wait for their page and form (s48)
API_READS_ON_OPENING = 7
# the page's live events are open (its last read on opening)
LIVE_OPEN = "!!window.zzCommand && !!zzCommand.live && zzCommand.live.readyState === 1"
MONTH_OPTION = re.compile(r'<option value="(\d{4}-\d{2}-01)">')


def test_county_command_page_opens_with_few_reads(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", COUNTY))
    page.wait_for_function(LIVE_OPEN)
    page.requests.clear()  # the landing (this same page) asked all it asks
    page.goto(f"{origin}/console/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    page.wait_for_function("zzCommand.layers.hotspots.group.getLayers().length > 0")
    page.wait_for_function("document.querySelector('#zz-brief-month').options.length > 0")
    page.wait_for_function(LIVE_OPEN)
    opening = [u for u in page.requests if "/api/" in u]  # before the checks' own reads

    # the figures, as the API gives them to the same account
    feed = page.evaluate(f"zz.api('/api/command/{COUNTY}')")
    for kpi in ("open", "overdue"):
        shown = page.locator(f'#zz-kpis .zz-kpi[data-kpi="{kpi}"] .zz-kpi-value').inner_text()
        assert shown == str(feed["unit"]["kpis"][kpi])
    assert page.locator("#zz-queue-body tr").count() == len(feed["queue"])
    assert page.locator("#zz-children-body tr").count() == len(feed["children"])
    pending = page.evaluate(f"zz.api('/api/cases?stage=extension_pending&limit=100&code={COUNTY}')")
    assert feed["extensions_pending"] == len(pending)
    option = page.locator("#zz-queue-scope [data-extensions]").inner_text()
    assert option == (f"待审延期（{len(pending)}）" if pending else "待审延期")
    history = page.evaluate(f"zz.api('/api/command/{COUNTY}/history')")
    assert feed["first_day"] == history["first_day"] is not None
    offered = MONTH_OPTION.findall(
        page.request.get(f"{origin}/console/{COUNTY}").text().split('id="zz-brief-month"')[1]
    )
    first_month = history["first_day"][:7] + "-01"
    kept = [m for m in offered if m >= first_month]
    assert kept and len(kept) < len(offered)  # the demo's months before its first case go
    months = page.eval_on_selector_all("#zz-brief-month option", "os => os.map(o => o.value)")
    assert months == kept
    cells = page.evaluate(f"zz.api('/api/console/{COUNTY}/hotspots')")
    drawn = page.evaluate("zzCommand.layers.hotspots.group.getLayers()[0].getLayers().length")
    assert drawn == len(cells["features"]) > 0

    # what it asked on opening
    asked = opening
    paths = Counter(urlsplit(u).path for u in asked)
    assert paths[f"/api/command/{COUNTY}"] == 1
    assert paths[f"/api/console/{COUNTY}/outline"] == 1
    assert paths[f"/api/console/{COUNTY}/hotspots"] == 1
    assert paths[f"/api/command/{COUNTY}/history"] == 0  # with the feed
    assert not [u for u in asked if "stage=extension_pending" in u]  # with the feed
    assert paths["/api/imports/kinds"] == paths["/api/persons/fields"] == 0  # when used
    assert len(asked) <= API_READS_ON_OPENING, sorted(asked)


def test_the_overdue_card_clicked_before_the_feed_shows_the_overdue_list(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    # a user trial (s48) clicked 超期案件 while the page was still loading: "Cannot read
    # properties of null (reading 'late_dispatches')", the queue drawn from a feed not there yet
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", COUNTY))
    page.wait_for_function(LIVE_OPEN)
    page.goto("about:blank")
    with held_requests(page, re.compile(rf".*/api/command/{COUNTY}$")) as feed:
        page.goto(f"{origin}/console/{COUNTY}", wait_until="commit")
        feed.wait_held()
        page.locator('#zz-kpis .zz-kpi[data-kpi="overdue"]').click()
        feed.release()
    page.wait_for_function("window.zzReady === true")
    overdue = page.evaluate(f"zz.api('/api/cases?stage=overdue&limit=300&code={COUNTY}')")
    assert page.locator("#zz-queue-scope").input_value() == "overdue"
    page.wait_for_function(
        f"document.querySelectorAll('#zz-queue-body tr').length === {len(overdue)}"
    )
    assert len(overdue) > 0
    page.assert_clean(origin)
