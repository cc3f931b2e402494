"""The big screen (大屏模式) on a wall, in headless Chromium over the served demo county.

Trial AR M3: at 3840×2160 only the KPI tiles grew; the queue, the alerts, the legend and the
header stayed at their 1080p size, and the 待办队列 showed 5½ rows and never moved. Now every
text grows with the screen, and the queue and the alerts show whole rows, a page at a time,
turning by themselves with 「第 1/3 页」 beside their title. Trial AR M4: left open, the wall
became the login page when its login ended; now it says half an hour before when it ends, and
after that keeps its last figures under 「已断开：登录已过期」.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypedDict

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from api.auth import issue_token
from layers.china_time import CHINA
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login

COUNTY = "530424000000"
VILLAGE = "530424001001"
QUEUE_LINK = "#zz-queue-body .zz-case-link"
"""A queued case's title (not another box's link: a 督办 an earlier test left shows one first)."""
SCALED = [
    QUEUE_LINK,
    ".zz-case-sub",
    ".zz-pane-title",
    ".zz-legend",
    "#zz-unit-title",
    ".zz-alert-title",
]
"""What was left at its 1080p size at 3840×2160: the queue, the alerts, the legend, the header."""


def _sizes(page: RecordedPage) -> dict[str, float]:
    """The font size in px of the first element of each of :data:`SCALED`."""
    sizes: dict[str, float] = page.evaluate(
        "(selectors) => Object.fromEntries(selectors.map((s) =>"
        " [s, parseFloat(getComputedStyle(document.querySelector(s)).fontSize)]))",
        SCALED,
    )
    return sizes


class QueuePage(TypedDict):
    """The queue as the wall shows it now."""

    ids: list[str]
    all: int
    whole: bool
    mark: str


PAGE_SECONDS = 10
"""How long the wall shows a page of its queue before the next (``command.js``)."""
ALL_ROWS = "[...document.querySelectorAll('#zz-queue-body > tr')].map((r) => r.dataset.caseId)"
MARK = "document.getElementById('zz-queue-page').textContent"


def _queue_page(page: RecordedPage) -> QueuePage:
    """The queue's rows shown, all its rows, and whether every row shown is whole."""
    shown: QueuePage = page.evaluate(
        """() => {
          const pane = document.getElementById('zz-queue-pane').getBoundingClientRect();
          const rows = [...document.querySelectorAll('#zz-queue-body > tr')];
          const shown = rows.filter((r) => r.getClientRects().length > 0);
          return {
            ids: shown.map((r) => r.dataset.caseId),
            all: rows.length,
            whole: shown.every((r) => r.getBoundingClientRect().bottom <= pane.bottom + 0.5),
            mark: document.getElementById('zz-queue-page').textContent,
          };
        }"""
    )
    return shown


def _page_of(shown: QueuePage) -> tuple[int, int]:
    """The page shown and the number of pages, as 「第 2/3 页」 says them."""
    said = re.fullmatch(r"第 (\d+)/(\d+) 页", shown["mark"])
    assert said is not None, shown["mark"]
    return int(said.group(1)), int(said.group(2))


@pytest.mark.browser
@pytest.mark.browser_viewport(1920, 1080)
def test_wall_text_grows_with_the_screen_and_the_queue_turns_pages(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    user = console_demo.username("commander", COUNTY)
    # the page's clock runs as the real one until the pages are cut, then stands, and is moved
    # on a page's time at a time: each turn in turn, without waiting 10 s for it
    page.clock.install()
    login(page, origin, user, next_path=f"/screen/{COUNTY}")
    page.wait_for_url(f"**/screen/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    page.locator("#zz-alerts .zz-alert-title").first.wait_for()
    small = _sizes(page)
    assert small[QUEUE_LINK] >= 15  # readable across the room at 1080p too

    page.set_viewport_size({"width": 3840, "height": 2160})
    page.wait_for_function(
        f"parseFloat(getComputedStyle(document.querySelector('{QUEUE_LINK}')).fontSize) > 30"
    )
    large = _sizes(page)
    for selector in SCALED:
        assert large[selector] >= 1.9 * small[selector], (selector, small, large)

    # the queue: whole rows only, in pages that together hold every row, each turned to in turn
    page.wait_for_function(f"/^第 \\d+\\/\\d+ 页$/.test({MARK})")
    # no turn but those made here: the clock stands from a moment ahead (10 s, not 1: on a
    # loaded machine the order came after that second and Playwright refused the past)
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=10))
    shown = _queue_page(page)
    pages = _page_of(shown)[1]
    assert pages >= 2
    page.screenshot_step("wall-3840")
    seen: dict[int, list[str]] = {}
    while len(seen) < pages:  # every page in turn, each whole, together every row once
        at = _page_of(shown)[0]
        assert shown["whole"] and 0 < len(shown["ids"]) < shown["all"]
        seen[at] = shown["ids"]
        page.clock.fast_forward(PAGE_SECONDS * 1000)  # the next turn, which comes every 10 s
        page.wait_for_function(f"{MARK} === '第 {at % pages + 1}/{pages} 页'", timeout=25_000)
        shown = _queue_page(page)
    rows = [case for ids in seen.values() for case in ids]
    assert sorted(rows) == sorted(page.evaluate(ALL_ROWS))
    # a category is read whole in the narrow column: never 「矛盾纠 / 纷」 (trial AR m7)
    broken = page.evaluate(
        "[...document.querySelectorAll('#zz-queue-body .zz-category')]"
        ".filter((s) => s.getClientRects().length > 1).map((s) => s.textContent)"
    )
    assert broken == []
    page.assert_clean(origin)


@pytest.mark.browser
def test_wall_says_when_its_login_ends_and_keeps_its_figures_after(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial AR M4: the wall warns before its login ends, then stays, marked 已断开.

    The wall's clock (Playwright's, running as the real one) is moved past the login's end
    rather than waited for (20 s); the read after it is refused as the server refuses an
    ended login, its cookie then one whose end has passed.
    """
    origin = console_demo.origin
    user = console_demo.username("commander", COUNTY)
    with console_demo.owner.connect() as connection:
        user_id, changed = connection.execute(
            text("SELECT id, password_changed_at FROM users WHERE username = :u"), {"u": user}
        ).one()
    settings = console_demo.settings
    # a login that ends in a minute (made here: the served app's logins last 8 hours): one of
    # a minute issued now, or when the password was set if that was later (a token issued
    # before it is refused)
    issued_at = max(datetime.now(UTC), changed + timedelta(seconds=1))
    issued = issue_token(replace(settings, token_minutes=1), user_id, now=issued_at)
    page.context.add_cookies([{"name": settings.cookie_name, "value": issued.token, "url": origin}])
    page.clock.install()
    page.goto(f"{origin}/screen/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    note = page.locator("#zz-session-note")
    expect(note).to_be_visible()
    ends = issued.expires_at.astimezone(CHINA).strftime("%H:%M")
    expect(note).to_contain_text(f"登录将于 {ends} 过期，请重新登录")
    value = page.locator('#zz-kpis .zz-kpi[data-kpi="open"] .zz-kpi-value').inner_text()
    assert value.isdigit()

    gone = page.locator("#zz-disconnected")
    expect(gone).to_be_hidden()  # not before the login's end
    left = issued.expires_at - datetime.now(UTC)
    page.clock.fast_forward(int(left.total_seconds() * 1000) + 2_000)  # past the end
    expect(gone).to_be_visible()
    expect(gone).to_contain_text("已断开：登录已过期")
    expect(note).to_be_hidden()
    # a read refused now (the next refresh's) leaves the wall where it is, its figures shown:
    # the server refuses the login, ended (signed, but long past its end)
    ended = issue_token(
        replace(settings, token_minutes=1), user_id, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    page.context.add_cookies([{"name": settings.cookie_name, "value": ended.token, "url": origin}])
    refused = page.evaluate(
        "zz.api('/api/command/" + COUNTY + "').then(() => 'answered', (e) => e.status)"
    )
    assert refused == 401
    expect(gone).to_be_visible()
    assert page.url == f"{origin}/screen/{COUNTY}"
    assert page.locator('#zz-kpis .zz-kpi[data-kpi="open"] .zz-kpi-value').inner_text() == value
    assert page.locator("#zz-queue-body > tr").count() > 0
    page.screenshot_step("disconnected")
    page.assert_clean(origin, expected_errors=(r"status of 401",))


@pytest.mark.browser
def test_a_withheld_visits_figure_points_to_where_the_figures_are(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial AR M2: the city's 「—」 sent it to the county, whose 「—」 sent it back down again."""
    origin = console_demo.origin
    city = "530400000000"
    login(page, origin, console_demo.username("commander", city), next_path=f"/console/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    visits = page.locator(".zz-kpi[data-kpi=overdue_visits]")
    feed = page.evaluate(f"zz.api('/api/command/{COUNTY}')")
    if feed["unit"]["kpis"]["overdue_visits"] is not None:
        # trial AY M1: a county's total not small itself is given (the demo county's is)
        expect(visits.locator(".zz-kpi-value")).to_have_text(re.compile(r"^\d+$"))
        page.assert_clean(origin)
        return
    expect(visits.locator(".zz-kpi-value")).to_have_text("—")
    expect(visits).to_have_attribute("title", re.compile("请进入各乡镇（街道）查看$"))
    # where it points, the figures are: the townships' column of the shading
    visits.click()  # the card colours the map by it and adds its column to 下级单位
    expect(page.locator("#zz-children-body tr").first.locator("td").last).to_have_text(
        re.compile(r"^\d+$")
    )
    page.goto(f"{origin}/console/{city}")
    page.wait_for_function("window.zzReady === true")
    expect(visits).to_have_attribute("title", re.compile("请经下级单位进入各乡镇（街道）查看$"))
    # on the wall the reason stands under the 「—」
    page.goto(f"{origin}/screen/{COUNTY}")
    page.wait_for_function("window.zzReady === true")
    note = visits.locator(".zz-kpi-withheld")
    expect(note).to_be_visible()
    expect(note).to_have_text("保护个人信息，本级不显示，见各乡镇（街道）")
    page.screenshot_step("withheld-on-the-wall")
    page.assert_clean(origin)


def _marks(page: RecordedPage, marks: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Each of ``marks``: the first shown's width on the village's wall at zoom 14, and how far it
    is off its icon's centre."""
    page.wait_for_function("window.zzReady === true")
    page.evaluate(
        "() => { zzMap.setZoom(14); }"
    )  # the village's cases, some counted in circles, some not
    found: dict[str, dict[str, float]] = {}
    for mark in marks:
        page.locator(mark).first.wait_for()
        found[mark] = page.evaluate(
            """(selector) => {
              const mark = [...document.querySelectorAll(selector)]
                .find((m) => m.getClientRects().length > 0);
              const box = mark.getBoundingClientRect();
              const icon = mark.parentElement.getBoundingClientRect();
              return {
                width: box.width,
                off: Math.hypot(box.x + box.width / 2 - icon.x - icon.width / 2,
                                box.y + box.height / 2 - icon.y - icon.height / 2),
              };
            }""",
            mark,
        )
    return found


@pytest.mark.browser
@pytest.mark.browser_viewport(1920, 1080)
def test_wall_markers_grow_with_the_screen_and_stay_on_their_points(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    """Trial AR: at 3840×2160 the text doubled but the dots and count circles kept 1080p's size."""
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", COUNTY), next_path=f"/screen/{VILLAGE}")
    marks = (".zz-dot span", ".zz-cluster span")
    small = _marks(page, marks)
    page.set_viewport_size({"width": 3840, "height": 2160})
    page.goto(f"{origin}/screen/{VILLAGE}")  # the wall opened at that size
    large = _marks(page, marks)
    page.screenshot_step("wall-3840-markers")
    for mark in marks:
        assert large[mark]["width"] >= 1.9 * small[mark]["width"], (mark, small, large)
        # drawn on its point: centred on the icon Leaflet placed, at either size
        assert small[mark]["off"] <= 1 and large[mark]["off"] <= 1, (mark, small, large)
    page.assert_clean(origin)
