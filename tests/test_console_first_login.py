"""The first screen of an account whose password must change first (trials AS m9, AT m9).

While the 「请先修改密码」 dialog is open the API answers everything else 403 「请先修改密码：…」.
The page behind the dialog used to show that refusal: 「加载失败：请先修改密码…」 in the map's
loading box and the queue of a grid worker's phone, and an empty red 督办 bar with its 查看 on a
new dispatcher's 调度台. Now the page's reads wait for the change (common.js api) and the page
loads once it is made; a password that must change while a page is open (the API refuses a
read) opens the dialog there too. Headless Chromium on the 华宁县 demo; the accounts made here
are removed afterwards.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from importers.demo.plan import DEMO_PASSWORD
from layers import accounts
from layers.database import apply_scope
from tests.browser import RecordedPage
from tests.console_fixtures import ConsoleDemo, login
from tests.test_console_dispatch import _worker_of
from tests.test_console_visits import _township

NEW_PASSWORD = "Zz-First-Login-2027?"
PREFIX = "first_login_"

_SHOWN_TEXT = """() => Array.from(document.querySelectorAll('body *'))
    .filter((e) => !e.closest('#zz-password-dialog') && e.checkVisibility()
        && Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim()))
    .map((e) => Array.from(e.childNodes).filter((n) => n.nodeType === 3)
        .map((n) => n.textContent).join('').trim())
    .join('|')"""
"""JS: the text the page shows outside the password dialog."""

_RED_TOASTS = (
    "window.zzRed = []; new MutationObserver((changes) => changes.forEach((c) =>"
    " c.addedNodes.forEach((n) => c.target.id === 'zz-toasts'"
    " && n.classList.contains('alert-danger')"
    " && window.zzRed.push(n.textContent)))).observe(document, {childList: true,"
    " subtree: true});"
)
"""Every red toast the page shows, however briefly, in ``window.zzRed``."""


def _account(
    demo: ConsoleDemo, name: str, role: str, scope_code: str, worker_id: int | None = None
) -> None:
    """Add the account ``PREFIX + name`` whose password an administrator set (change first)."""
    display_name = {"grid_worker": "新网格员", "dispatcher": "新调度员"}[role]
    with Session(demo.owner) as owner, owner.begin():
        apply_scope(owner, None)
        accounts.create_user(
            owner,
            username=PREFIX + name,
            password=DEMO_PASSWORD,
            role=role,
            scope_code=scope_code,
            display_name=display_name,
            worker_id=worker_id,
            must_change_password=True,
        )


def _remove(demo: ConsoleDemo, name: str) -> None:
    with demo.owner.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE username = :u"), {"u": PREFIX + name})


def _behind_the_dialog(page: RecordedPage) -> str:
    """Wait until the page's reads were answered (refused), then return what it shows."""
    dialog = page.locator("#zz-password-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#zz-password-title")).to_have_text("请先修改密码")
    page.wait_for_load_state("networkidle")
    shown = str(page.evaluate(_SHOWN_TEXT))
    assert page.evaluate("window.zzRed") == [], "the dialog says why: no red toasts behind it"
    return shown


def _change_password(page: RecordedPage) -> None:
    page.fill("#zz-password-current", DEMO_PASSWORD)
    page.fill("#zz-password-new", NEW_PASSWORD)
    page.fill("#zz-password-again", NEW_PASSWORD)
    page.click("#zz-password-submit")
    # a password hash: slow on a busy machine
    expect(page.locator("#zz-password-dialog")).to_be_hidden(timeout=20_000)


@pytest.mark.browser
@pytest.mark.browser_viewport(390, 844)
def test_a_new_workers_phone_waits_behind_the_password_dialog_then_loads(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    worker_id, village, _ = _worker_of(demo, demo.username("grid_worker"))
    _account(demo, "worker", "grid_worker", village, worker_id)
    try:
        page.add_init_script(_RED_TOASTS)
        login(page, demo.origin, PREFIX + "worker")
        page.wait_for_url(f"{demo.origin}/console/{village}")
        shown = _behind_the_dialog(page)
        page.screenshot_step("1-asked")
        assert "加载失败" not in shown and "请先修改密码" not in shown, shown
        expect(page.locator("#zz-loading-text")).to_have_text("加载中…")
        expect(page.locator("#zz-queue-empty")).not_to_contain_text("加载失败")

        _change_password(page)
        # the page loads again, its data answered now: the map, the tasks, the visits' count
        expect(page.locator("#zz-loading")).to_be_hidden()
        expect(page.locator("#zz-tasks-tab")).to_be_visible()
        expect(page.locator("#zz-visits-count")).to_be_visible()
        page.screenshot_step("2-changed")
        assert "加载失败" not in str(page.evaluate(_SHOWN_TEXT))

        # the password must change again while the page is open (an administrator reset it):
        # the next read is refused, the dialog opens at once, the page waits behind it
        with demo.owner.begin() as conn:
            conn.execute(
                text("UPDATE users SET must_change_password = true WHERE username = :u"),
                {"u": PREFIX + "worker"},
            )
        # the page's own refresh may be refused first and open the dialog before this click lands:
        # either way a read is refused, so the click is dispatched past any dialog already open
        page.locator("#zz-visits-tab").dispatch_event("click")
        shown = _behind_the_dialog(page)
        expect(page.locator("#zz-password-why")).to_have_text(
            "管理员设置或重设的密码须由本人修改后才能使用平台。"
        )
        expect(page.locator("#zz-password-cancel")).to_have_text("退出登录")
        assert "加载失败" not in shown and "请先修改密码" not in shown, shown
        page.screenshot_step("3-asked-again")
        page.assert_clean(demo.origin, expected_errors=(r"status of 403",))
    finally:
        page.goto("about:blank")
        _remove(demo, "worker")


@pytest.mark.browser
def test_a_new_dispatchers_desk_shows_no_red_bar_behind_the_password_dialog(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    town = _township(demo)
    _account(demo, "dispatcher", "dispatcher", town)
    try:
        page.add_init_script(_RED_TOASTS)
        login(page, demo.origin, PREFIX + "dispatcher")
        page.wait_for_url(f"{demo.origin}/dispatch/{town}")
        shown = _behind_the_dialog(page)
        page.screenshot_step("1-asked")
        assert "加载失败" not in shown and "请先修改密码" not in shown, shown
        expect(page.locator("#dz-supervision-notice")).to_be_hidden()
        page.assert_clean(demo.origin, expected_errors=(r"status of 403",))
    finally:
        page.goto("about:blank")
        _remove(demo, "dispatcher")
