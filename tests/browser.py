"""Pytest plugin: headless Debian Chromium driven by Playwright, with a recording ``page``.

Register it in ``tests/conftest.py`` with ``pytest_plugins = ["tests.browser"]``.

Fixtures
--------
``chromium``  one headless Chromium per test process (``/usr/bin/chromium``; Playwright starts it
              with a new, empty temporary profile, i.e. user-data-dir, and removes it afterwards).
``page``      a fresh browser context and page per test (zh-CN locale, Asia/Shanghai unless
              marked ``browser_timezone``; 1280×800 unless marked ``browser_viewport``: a width
              under 800 is a phone's, with touch), wrapped in
              :class:`RecordedPage`: every request URL and every console error / uncaught page
              error is recorded; ``page.screenshot_step(name)`` marks a step of the test;
              ``page.assert_clean(origin)`` fails if the page requested anything outside
              ``origin`` or logged a console error. Any other attribute is the Playwright
              ``Page``'s (``page.goto``, ``page.locator``...).

Screenshots
-----------
A test that fails leaves ``test-artifacts/screenshots/<test>/failed.png``, the page as it was
at the failure. The pictures of every step, ``test-artifacts/screenshots/<test>/<name>.png``,
are taken when the environment sets ``ZONGZHI_SCREENSHOTS=1`` (to look through a run's steps),
since each costs the browser about 0.15 s of CPU and nothing reads them in a normal run.

Held requests
-------------
:func:`held_requests` holds a page's requests to one URL back until the test releases them
(what the page shows while an answer is slow), or answers them with an error status.

Servers
-------
:func:`serve_directory` (``http.server`` in a thread) starts a server on a free local port and
yields its origin, ``http://127.0.0.1:<port>``; the platform's app is served the same way by
:func:`api.cli.served_in_thread`.
"""

from __future__ import annotations

import functools
import os
import re
import socket
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
RECORD_STEPS = os.environ.get("ZONGZHI_SCREENSHOTS", "") not in ("", "0")
FAILED = pytest.StashKey[bool]()
INTERNAL_SCHEMES = ("data:", "blob:", "about:")
LATIN_WORD = re.compile(r"[A-Za-z]+")
UNITS = ("KB", "MB")
"""Units Chinese software writes in Latin letters (「每张不超过 8 MB」): no word to translate."""


@dataclass
class RecordedPage:
    """A Playwright page and what it did."""

    page: Page
    test_name: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.page, name)

    def screenshot_step(self, step: str, *, full_page: bool = False, always: bool = False) -> Path:
        """Return ``test-artifacts/screenshots/<test>/<step>.png``, written if steps are recorded.

        Parameters
        ----------
        step : str
            The step's name.
        full_page : bool
            The whole page rather than the window.
        always : bool
            Write it even when ``ZONGZHI_SCREENSHOTS`` is not set (a test that reads the picture).
        """
        folder = ARTIFACTS / self.test_name
        path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', step)}.png"
        if RECORD_STEPS or always:
            folder.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def latin_words(self, selector: str = "body", allowed: tuple[str, ...] = ()) -> list[str]:
        """Words in Latin letters in the visible text of ``selector``, less ``allowed``.

        Labels are Simplified Chinese: codes and numbers are digits, so any Latin word shown to
        an operator but a unit (:data:`UNITS`) is a label someone forgot to translate.
        """
        text = self.page.locator(selector).inner_text()
        return [word for word in LATIN_WORD.findall(text) if word not in allowed + UNITS]

    def outside_requests(self, origin: str) -> list[str]:
        """Requests to anything but ``origin`` (data:, blob: and about: URLs are internal)."""
        prefix = origin.rstrip("/") + "/"
        return [
            url
            for url in self.requests
            if not url.startswith(prefix) and not url.startswith(INTERNAL_SCHEMES)
        ]

    def assert_clean(self, origin: str, *, expected_errors: tuple[str, ...] = ()) -> None:
        """Assert no request left ``origin`` and no console error was logged.

        ``expected_errors`` are regular expressions of errors a step provoked on purpose (e.g.
        Chromium logs ``status of 401`` when a wrong password is posted).
        """
        outside = self.outside_requests(origin)
        assert outside == [], f"requests outside {origin}: {outside}"
        errors = [
            error
            for error in self.console_errors
            if not any(re.search(pattern, error) for pattern in expected_errors)
        ]
        assert errors == [], f"console errors: {errors}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Note in the test's stash whether it failed, for :func:`page` to keep a picture."""
    report: pytest.TestReport = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Debian Chromium for this test process."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser, request: pytest.FixtureRequest) -> Iterator[RecordedPage]:
    """A fresh context and page that records requests and console errors.

    The browser runs in Asia/Shanghai unless the test is marked
    ``@pytest.mark.browser_timezone("…")``, at 1280×800 unless marked
    ``@pytest.mark.browser_viewport(width, height)`` (under 800 wide: a phone, with touch).
    """
    marker = request.node.get_closest_marker("browser_timezone")
    size = request.node.get_closest_marker("browser_viewport")
    width, height = size.args if size else (1280, 800)
    phone = width < 800  # a phone's browser: the meta viewport honoured, touch, no mouse
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id=marker.args[0] if marker else "Asia/Shanghai",
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(15_000)
    raw = context.new_page()
    recorded = RecordedPage(raw, re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))

    def on_request(req: Request) -> None:
        recorded.requests.append(req.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            recorded.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def on_page_error(error: Exception) -> None:
        recorded.console_errors.append(f"uncaught: {error}")

    raw.on("request", on_request)
    raw.on("console", on_console)
    raw.on("pageerror", on_page_error)
    try:
        yield recorded
    finally:
        if request.node.stash.get(FAILED, False):
            try:  # the page as the failure left it; a page already gone leaves none
                recorded.screenshot_step("failed", always=True)
            except Exception:  # noqa: BLE001, S110
                pass
        context.close()


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class QuietHandler(SimpleHTTPRequestHandler):
    """Static file handler that does not log every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on a free port in a thread; yield the origin."""
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class HeldRequests:
    """A page's requests to one URL, held back until :meth:`release` (see :func:`held_requests`).

    Attributes
    ----------
    held : list of playwright.sync_api.Route
        The requests waiting.
    released : bool
        Whether the requests go through now (the held ones were let go, later ones pass).
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.held: list[Route] = []
        self.released = False

    def hold(self, route: Route) -> None:
        """Route handler: keep the request waiting, or let it through once released."""
        if self.released:
            route.continue_()
        else:
            self.held.append(route)

    def wait_held(self, timeout_ms: float = 15_000) -> None:
        """Wait until the page has asked for the URL at least once.

        Raises
        ------
        AssertionError
            The page had not asked within ``timeout_ms``.
        """
        deadline = time.monotonic() + timeout_ms / 1000
        while not self.held:
            assert time.monotonic() < deadline, "the page never asked for the held URL"
            self.page.wait_for_timeout(20)  # Playwright hands the route to `hold` meanwhile

    def release(self) -> None:
        """Let the held requests (and any later ones) go on to the server."""
        self.released = True
        while self.held:
            self.held.pop(0).continue_()


@contextmanager
def held_requests(page: RecordedPage, url: str | re.Pattern[str]) -> Iterator[HeldRequests]:
    """Hold the page's requests to ``url`` until the test calls ``release()``.

    Parameters
    ----------
    page : RecordedPage
        The browser page.
    url : str or re.Pattern
        A Playwright URL glob or regular expression (matched against the whole URL).

    Yields
    ------
    HeldRequests
        ``wait_held()`` until the page asked, then ``release()``; those still held at the end
        are released too.
    """
    holder = HeldRequests(page.page)
    page.page.route(url, holder.hold)
    try:
        yield holder
    finally:
        holder.release()
        page.page.unroute(url, holder.hold)
