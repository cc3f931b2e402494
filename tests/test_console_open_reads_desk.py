"""What the case, trends and 走访 views ask the server on opening, and in which order.

Session 48: the case page read the account (``/api/me``) before the case, then the case, its
timeline, detail and photos, and only once they were drawn the actions allowed and the cameras
near it, three round trips one after the other; the trends page read the 走访 history, the
density and the uncovered hot spots only after its first reads were drawn; the command page's
走访 tab read the list of 外辖区登记 notices on opening only to count them on its badge. Now the
case page asks its reads beside ``/api/me`` and the cameras as soon as the account and the case
have answered, the trends page asks the 走访 history with its first reads and the density and
coverage as soon as the series has answered (before it is drawn), and the badge takes its count
from the badge's own read (``cross_scope_total``), the notices being read when the tab opens.
Session 49: the trends page asks the density and coverage beside the series, the server
computing the analysis the three read once (tests/test_trends_single_flight.py). The reads are
held here to show the order without timing anything; what the pages show is checked against
the API. Headless Chromium on the 华宁县 demo (``console_demo``); the notice made here is removed.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import RecordedPage, held_requests
from tests.console_fixtures import ConsoleDemo, login

COUNTY = "530424000000"
TOWN = "530424001000"
ME = re.compile(r".*/api/me$")
NOTICES = "/api/persons/cross-scope-notices"


def _api_paths(page: RecordedPage) -> Counter[str]:
    """The paths of the page's API requests recorded so far, the live events aside."""
    paths = (urlsplit(u).path for u in page.requests if "/api/" in u)
    return Counter(p for p in paths if p != "/api/events")


def _wait_asked(page: RecordedPage, paths: set[str]) -> None:
    """Wait until the page has asked every path of ``paths`` (held or not)."""
    deadline = time.monotonic() + 15
    while not paths <= set(_api_paths(page)):
        assert time.monotonic() < deadline, sorted(_api_paths(page))
        page.wait_for_timeout(20)  # the requests are recorded meanwhile


def _case_with_place(page: RecordedPage) -> dict[str, Any]:
    """A case of the county with a point (its cameras are read) and actions for a commander."""
    listed = page.evaluate(f"zz.api('/api/cases?limit=50&code={COUNTY}')")
    return next(c for c in listed if c["lon"] is not None and c["allowed_actions"])


@pytest.mark.browser
def test_the_case_page_asks_its_reads_beside_the_account(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", COUNTY))
    page.wait_for_function("window.zzReady === true")
    case = _case_with_place(page)
    base = f"/api/cases/{case['id']}"
    at_once = {base, f"{base}/events", f"{base}/detail", f"{base}/photos", f"{base}/allowed"}

    page.goto("about:blank")
    page.requests.clear()
    detail = re.compile(rf".*{base}/detail$")
    with held_requests(page, ME) as me, held_requests(page, detail) as held_detail:
        page.goto(f"{origin}/cases/{case['id']}", wait_until="commit")
        # the case, its timeline, detail, photos and the actions allowed: while /api/me is held
        _wait_asked(page, at_once)
        assert len(me.held) == 1
        assert _api_paths(page)[f"{base}/cameras"] == 0  # the account's role says whether
        me.release()
        # the cameras once the account and the case have answered, not after the detail
        _wait_asked(page, {f"{base}/cameras"})
        assert len(held_detail.held) == 1
    expect(page.locator("#cz-content")).to_be_visible()
    expect(page.locator("#cz-camera-list li.cz-camera").first).to_be_visible()
    expect(page.locator("#cz-actions button").first).to_be_visible()
    asked = _api_paths(page)
    assert asked == Counter(at_once | {"/api/me", f"{base}/cameras"}), sorted(asked.items())

    # what the page shows of them is the API's
    allowed = page.evaluate(f"zz.api('{base}/allowed')")["allowed"]
    expect(page.locator("#cz-actions button")).to_have_text([a["label"] for a in allowed])
    cameras = page.evaluate(f"zz.api('{base}/cameras?limit=5')")["cameras"]
    expect(page.locator("#cz-camera-list li.cz-camera strong")).to_have_text(
        [c["name"] for c in cameras]
    )
    expect(page.locator("#cz-title")).to_have_text(case["title"])

    # the 调度台 asks its lists, outline and notices once each, beside one another
    page.goto("about:blank")
    page.requests.clear()
    page.goto(f"{origin}/dispatch/{COUNTY}")
    expect(page.locator("#dz-count-waiting")).not_to_have_text("0")
    expect(page.locator("#dz-visits-link")).to_be_visible()
    page.wait_for_load_state("networkidle")
    desk = {"/api/me", "/api/cases/stages", f"/api/console/{COUNTY}/outline", NOTICES}
    assert _api_paths(page) == Counter(desk), sorted(_api_paths(page).items())
    page.assert_clean(origin)


@pytest.mark.browser
def test_the_trends_page_asks_its_second_reads_beside_the_series(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("dispatcher", TOWN))
    page.wait_for_url(f"{origin}/dispatch/{TOWN}")
    page.goto("about:blank")
    page.requests.clear()
    trends = f"/api/trends/{TOWN}"
    series = re.compile(rf".*{trends}\?.*")
    with held_requests(page, series) as held_series:
        page.goto(f"{origin}/trends/{TOWN}", wait_until="commit")
        held_series.wait_held()
        # the 走访 history, the density and the coverage with the first reads, while the series
        # is held: the server computes the analysis they read once for the three
        _wait_asked(page, {f"{trends}/{read}" for read in ("visit-history", "kde", "coverage")})
        assert len(held_series.held) == 1
        assert page.evaluate("document.body.dataset.ready") is None
        assert _api_paths(page)[f"{trends}/kde.png"] == 0  # drawn once the series is
    page.wait_for_function("document.body.dataset.ready === '1'")
    expect(page.locator("#legend-kde")).not_to_be_empty()
    expect(page.locator("#table-visit-history")).not_to_be_empty()
    page.wait_for_load_state("networkidle")
    asked = _api_paths(page)
    # each once: the density and coverage started early are the ones drawn, not read again
    assert set(asked.values()) == {1}, sorted(asked.items())
    assert len(asked) == 11 if asked[f"{trends}/kde.png"] else 10, sorted(asked)
    shown, last = page.evaluate(
        "['value', 'max'].map((k) => document.getElementById('period-slider')[k])"
    )
    periods = page.evaluate(f"zz.api('{trends}?granularity=month')")["periods"]
    key = periods[int(last)]["key"]
    # asked of no period, the API's window's last, which the page opens on
    assert shown == last
    kde_url = next(u for u in page.requests if f"{trends}/kde?" in u)
    assert "period=" not in kde_url, kde_url

    # what the page shows of them is the API's
    query = f"granularity=month&period={key}"
    coverage = page.evaluate(f"zz.api('{trends}/coverage?{query}')")
    expect(page.locator("#uncovered-count")).to_have_text(str(len(coverage["uncovered"])))
    kde = page.evaluate(f"zz.api('{trends}/kde?{query}')")
    if kde["bounds"]:
        expect(page.locator("#legend-kde")).to_contain_text(
            f"{kde['peak_per_km2']:.1f}，带宽 {kde['bandwidth_m']} 米"
        )
    else:
        expect(page.locator("#legend-kde")).to_have_text("本期定位案件过少，无核密度")

    # a period the address names: its density and coverage, asked beside the series too
    earlier = periods[-3]
    page.goto("about:blank")
    page.requests.clear()
    with held_requests(page, series) as held_series:
        page.goto(f"{origin}/trends/{TOWN}?period={earlier['key']}", wait_until="commit")
        held_series.wait_held()
        _wait_asked(page, {f"{trends}/kde", f"{trends}/coverage"})
    page.wait_for_function("document.body.dataset.ready === '1'")
    expect(page.locator("#period-label")).to_have_text(earlier["label"])
    page.wait_for_load_state("networkidle")
    second = [u for u in page.requests if re.search(rf"{trends}/(kde|coverage)\?", u)]
    assert len(second) == 2 and all(f"period={earlier['key']}" in u for u in second), second
    page.assert_clean(origin)


@pytest.mark.browser
def test_the_visits_badge_counts_the_notices_which_wait_for_the_tab(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    origin = demo.origin
    with demo.owner.begin() as conn:
        person, masked = conn.execute(
            text("SELECT id, id_masked FROM persons WHERE area_code LIKE :p ORDER BY id LIMIT 1"),
            {"p": TOWN[:9] + "%"},
        ).one()
        notice = conn.scalar(
            text(
                "INSERT INTO cross_scope_attempts (area_code, person_id, id_masked, actor_id,"
                " actor_name, actor_unit, actor_unit_name)"
                " VALUES (:t, :p, :m, 0, 'open_reads.other', '530424999000', '别的镇')"
                " RETURNING id"
            ),
            {"t": TOWN, "p": person, "m": masked},
        )
    try:
        login(page, origin, demo.username("commander", COUNTY))
        page.wait_for_function("window.zzReady === true")
        page.goto("about:blank")
        page.requests.clear()
        page.goto(f"{origin}/console/{COUNTY}")
        badge = page.locator("#zz-cross-scope-count")
        expect(page.locator("#zz-visits-count")).to_be_visible()
        expect(badge).to_be_visible()
        asked = _api_paths(page)
        assert asked[NOTICES] == 0 and asked["/api/persons/visits"] == 1, sorted(asked.items())
        listed = page.evaluate(f"zz.api('{NOTICES}')")
        assert listed["total"] >= 1
        expect(badge).to_have_text(f"外辖区登记 {listed['total']}")
        counted = page.evaluate("zz.api('/api/persons/visits?status=overdue&limit=1&offset=1')")
        assert counted["cross_scope_total"] is None  # the first page's alone

        # the tab opened: the notices are read, once, and listed over the 走访 list
        page.locator("#zz-visits-tab").click()
        items = page.locator("#zz-cross-scope li")
        expect(items).to_have_text([n["text"] for n in listed["notices"]])
        expect(badge).to_have_text(f"外辖区登记 {listed['total']}")
        page.locator('.zz-tab[data-pane="queue"]').click()
        page.locator("#zz-visits-tab").click()
        expect(page.locator("#zz-visits-list .zz-visit").first).to_be_visible()
        assert _api_paths(page)[NOTICES] == 2  # the tab's and the check's
        page.assert_clean(origin)
    finally:
        page.goto("about:blank")
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM cross_scope_attempts WHERE id = :n"), {"n": notice})
