"""What the console's pages ask the server on opening, before the operator asks anything.

Session 48: every read of a page waited for ``/api/me`` (the 「请先修改密码」 check of common.js)
before it started; every page asked ``/api/imports/kinds`` for the top bar's 数据导入 link alone;
the command page asked ``/api/persons/fields`` for the 登记人员 form nobody had opened; and a
township's command map, fitted at zoom 11.75, asked the cases' and cameras' tiles of zoom 12
for its hexagons, which the server answers with points. Now the reads start beside ``/api/me``
(but on the page a login lands on, and while this browser knows a password change is due), the
link follows the role, the form reads its fields when it opens and the hexagons take tiles of
zoom 11 at most. The figures the pages show are the same: checked here against the API.
Headless Chromium on the 华宁县 demo (``console_demo``); the account made here is removed
afterwards.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Response, expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.demo.plan import DEMO_PASSWORD
from layers import accounts
from layers.accounts import IMPORT_KINDS, may_import
from layers.database import apply_scope
from tests.browser import RecordedPage, held_requests
from tests.console_fixtures import ConsoleDemo, login

COUNTY = "530424000000"
TOWN = "530424001000"  # 宁州街道: its dispatcher's command map fits at zoom 11.75 in 1280×800
DEFERRED = ("/api/imports/kinds", "/api/persons/fields")
"""Reads made when their dialog or page is used, never on opening."""
LIVE_OPEN = "!!window.zzCommand && !!zzCommand.live && zzCommand.live.readyState === 1"
TILE = re.compile(r"/tiles/(cases|video_points)/(\d+)/\d+/\d+\.mvt")
PREFIX = "open_reads_"


def _api_paths(page: RecordedPage) -> Counter[str]:
    """The paths of the page's API requests recorded so far."""
    return Counter(urlsplit(u).path for u in page.requests if "/api/" in u)


def _open_command(page: RecordedPage, origin: str, code: str) -> Counter[str]:
    """Open the command page of ``code`` (not from the login page); its API reads on opening."""
    page.goto("about:blank")
    page.requests.clear()
    page.goto(f"{origin}/console/{code}")
    page.wait_for_function("window.zzReady === true")
    page.wait_for_function("zzCommand.layers.hotspots.group.getLayers().length > 0")
    page.wait_for_function(LIVE_OPEN)
    expect(page.locator("#zz-visits-count")).to_be_visible()  # the last read on opening
    return _api_paths(page)


@pytest.mark.browser
def test_pages_open_without_the_reads_of_their_dialogs(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", COUNTY))
    page.wait_for_function(LIVE_OPEN)

    asked = _open_command(page, origin, COUNTY)
    for deferred in DEFERRED:
        assert asked[deferred] == 0, sorted(asked)
    # me, the feed, the outline, the hot cells, the 走访 badge and its cross-scope notices, the
    # live events: 9 reads before (imports/kinds and persons/fields)
    assert sum(asked.values()) <= 7, sorted(asked)
    # what the page shows of them is the same: the link, the 走访 tab's red count
    expect(page.locator("#zz-imports-link")).to_be_visible()
    badge = page.evaluate("zz.api('/api/persons/visits?status=overdue&limit=1&choices=false')")
    expect(page.locator("#zz-visits-count")).to_have_text(str(badge["overdue"]))
    assert page.eval_on_selector("#zz-person-new", "b => !b.hidden")  # in the 走访 tab

    # the other pages: the link shows as the account is read, and no page asks the kinds for it
    case_id = page.evaluate(f"zz.api('/api/cases?limit=1&code={COUNTY}')")[0]["id"]
    for path in (f"/dispatch/{COUNTY}", f"/trends/{COUNTY}", f"/cases/{case_id}"):
        page.goto("about:blank")
        page.requests.clear()
        page.goto(origin + path)
        expect(page.locator("#zz-imports-link")).to_be_visible()
        assert _api_paths(page)["/api/me"] == 1
        assert _api_paths(page)["/api/imports/kinds"] == 0, path
    page.assert_clean(origin)


@pytest.mark.browser
def test_the_dialogs_read_what_they_need_when_opened(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("commander", COUNTY))
    page.wait_for_function("window.zzReady === true")
    page.locator("#zz-visits-tab").click()
    assert _api_paths(page)["/api/persons/fields"] == 0

    # 登记人员: the category's own fields follow once the form has read them
    dialog = page.locator("#zz-person-dialog")
    page.locator("#zz-person-new").click()
    dialog.locator("#zz-person-category").select_option("released")
    expect(dialog.locator("#zz-person-attrs-title")).to_have_text(
        "刑满释放人员信息（释放日期必填，司法所的到期提醒按此计算；其余选填）"
    )
    fields = page.evaluate("zz.api('/api/persons/fields')")
    shown = dialog.locator("#zz-person-attrs label").all_inner_texts()
    assert [s.replace(" *", "").strip() for s in shown] == [f["label"] for f in fields["released"]]
    page.locator("#zz-person-cancel").click()
    page.locator("#zz-person-new").click()  # opened again: read once per page
    dialog.locator("#zz-person-category").select_option("correction")
    expect(dialog.locator("#zz-person-attrs-title")).to_contain_text("社区矫正人员信息")
    assert _api_paths(page)["/api/persons/fields"] == 2  # the form's one and the check's
    page.locator("#zz-person-cancel").click()

    # 数据导入: the link goes to the page, which reads the kinds and offers them
    page.locator("#zz-imports-link").click()
    page.wait_for_url(f"{origin}/imports")
    expect(page.locator("#im-work")).to_be_visible()
    kinds = page.evaluate("zz.api('/api/imports/kinds')")["kinds"]
    offered = page.locator("#im-kind option").all_inner_texts()
    assert [k["label"] for k in kinds] == [o for o in offered if o in {k["label"] for k in kinds}]
    assert len(kinds) >= 5
    page.assert_clean(origin)


@pytest.mark.browser
def test_a_townships_hexagons_ask_no_tiles_of_points(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("dispatcher", TOWN))
    page.wait_for_url(f"{origin}/dispatch/{TOWN}")
    _open_command(page, origin, TOWN)
    zoom = float(page.evaluate("zzMap.getZoom()"))
    # between 11.5 and 12 Leaflet rounds to tiles of zoom 12, where the server sends points
    assert 11.5 <= zoom < 12, zoom
    page.wait_for_function("zzCommand.layers.cases.group.getLayers().length > 0")
    tiles = [m.groups() for m in map(TILE.search, page.requests) if m]
    zooms = {(layer, int(z)) for layer, z in tiles}
    assert zooms == {("cases", 11), ("video_points", 11)}, sorted(zooms)
    # zoomed in to 12 the cases are points read for the view, no tile of theirs
    page.requests.clear()
    page.evaluate("zzMap.setZoom(12)")
    page.wait_for_function("zzCommand.layers.cases.mode === 'features'")
    page.wait_for_function("zzCommand.layers.cases.group.getLayers().length > 0")
    assert not [u for u in page.requests if TILE.search(u)]
    page.assert_clean(origin)


@pytest.mark.browser
def test_the_reads_start_beside_api_me(page: RecordedPage, console_demo: ConsoleDemo) -> None:
    origin = console_demo.origin
    login(page, origin, console_demo.username("dispatcher", TOWN))
    page.wait_for_url(f"{origin}/dispatch/{TOWN}")
    page.goto("about:blank")
    with held_requests(page, re.compile(r".*/api/me$")) as me:
        page.goto(f"{origin}/console/{TOWN}", wait_until="commit")
        me.wait_held()
        # the feed, its outline and hot cells are asked while /api/me is not answered yet
        wanted = {f"/api/command/{TOWN}", f"/api/console/{TOWN}/outline"}
        deadline = time.monotonic() + 15
        while not wanted <= set(_api_paths(page)):
            assert time.monotonic() < deadline, sorted(_api_paths(page))
            page.wait_for_timeout(20)  # the requests are recorded meanwhile
        assert len(me.held) == 1  # still unanswered
        me.release()
    page.wait_for_function("window.zzReady === true")
    page.assert_clean(origin)


def _must_change(demo: ConsoleDemo) -> str:
    """Add a township dispatcher whose password an administrator set; its username."""
    username = PREFIX + "dispatcher"
    with Session(demo.owner) as owner, owner.begin():
        apply_scope(owner, None)
        accounts.create_user(
            owner,
            username=username,
            password=DEMO_PASSWORD,
            role="dispatcher",
            scope_code=TOWN,
            display_name="新调度员",
            must_change_password=True,
        )
    return username


@pytest.mark.browser
def test_a_password_to_change_still_holds_the_pages_reads(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    origin = demo.origin
    username = _must_change(demo)
    refused: list[str] = []

    def on_response(response: Response) -> None:
        if response.status == 403:
            refused.append(response.url)

    page.on("response", on_response)
    try:
        # logged in elsewhere than the login page (this browser does not know yet): the page's
        # reads go at once, the first refused opens the dialog, the page waits behind it
        answer = page.request.post(
            f"{origin}/api/auth/token", form={"username": username, "password": DEMO_PASSWORD}
        )
        assert answer.ok
        page.goto(f"{origin}/console/{TOWN}")
        expect(page.locator("#zz-password-dialog")).to_be_visible()
        expect(page.locator("#zz-password-title")).to_have_text("请先修改密码")
        page.wait_for_load_state("networkidle")
        assert refused, "the reads went beside /api/me"
        expect(page.locator("#zz-loading-text")).to_have_text("加载中…")
        expect(page.locator("#zz-queue-empty")).not_to_contain_text("加载失败")

        # the next page of this browser asks nothing before the password is changed
        refused.clear()
        page.requests.clear()
        page.goto(f"{origin}/trends/{TOWN}")
        expect(page.locator("#zz-password-dialog")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert refused == []
        assert set(_api_paths(page)) == {"/api/me"}, sorted(_api_paths(page))
        # logged in on the login page: its landing asks nothing else either
        page.goto(f"{origin}/login")
        page.evaluate("localStorage.clear()")
        login(page, origin, username)
        expect(page.locator("#zz-password-dialog")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert refused == []
        page.assert_clean(origin, expected_errors=(r"status of 403",))
    finally:
        page.goto("about:blank")
        with demo.owner.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE username = :u"), {"u": username})


def test_the_import_link_follows_the_role() -> None:
    """Each role the link is shown to imports some kind at every level of scope."""
    scopes = ("530000000000", "530400000000", "530424000000", "530424100000", "530424100001")
    roles = set(IMPORT_KINDS)
    assert roles == {"admin", "commander", "dispatcher"}  # common.js IMPORT_ROLES
    for role in roles:
        for scope in scopes:
            assert any(may_import(role, scope, kind) for kind in IMPORT_KINDS[role]), (role, scope)


@pytest.mark.browser
def test_logging_out_ends_the_pages_reads_and_stream_before_the_login(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    # clean-clone runs: a read in flight at 退出 came back 401 once the server ended the login and
    # sent the page to 「登录已过期」 (3eec388); and each such read, and the live stream the server
    # closed and the browser opened again, logged 「Failed to load resource … 401」 (CI of de05324)
    origin = console_demo.origin
    login(page, origin, console_demo.username("dispatcher", TOWN))
    page.wait_for_url(f"{origin}/dispatch/{TOWN}")
    page.wait_for_function("!!window.zzDispatchLive && zzDispatchLive.readyState === 1")
    reads: list[str] = []
    cut: list[str] = []
    me = re.compile(r".*/api/me$")
    page.page.on("request", lambda r: reads.append(r.url) if me.match(r.url) else None)
    page.page.on("requestfailed", lambda r: cut.append(r.url) if me.match(r.url) else None)
    logout = re.compile(r".*/api/auth/logout$")
    with held_requests(page, me) as read, held_requests(page, logout) as out:
        page.evaluate("void zz.api('/api/me')")
        read.wait_held()
        page.click("#zz-logout")
        out.wait_held()  # 退出 asked the server to end the login: the page's own are ended first
        assert page.evaluate("zzDispatchLive.readyState") == 2, "the live stream is closed"
        deadline = time.monotonic() + 5  # the browser's report of the cut read, delivered
        while not cut and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        assert cut == [f"{origin}/api/me"], "the read in flight is cut short"
        ended = page.page.request.post(f"{origin}/api/auth/logout")  # the server's side done
        assert ended.ok, ended.status
        asked = len(reads)
        page.evaluate("void zz.api('/api/me')")  # asked after 退出: not sent at all
        read.release()
        assert len(reads) == asked
        out.release()
    page.wait_for_url(f"{origin}/login")
    page.assert_clean(origin)
