"""The demo county served for the console's browser tests, in a database of its own.

``console_demo`` gives each test process (each xdist worker) a database of its own holding the
full 华宁县 demo (the data ``make demo`` loads, fixed seed, generated relative to the time the
run's first process asked for it: :func:`tests.demo_runs.demo_of_the_run` generates it once and
the other xdist worker reads it back) with the one-year hot-spot analysis run as ``zongzhi demo``
does, and serves the platform (API and console) over it on a free loopback port. The demo is
loaded and analysed once per run, into the template ``zongzhi_console_template`` in the
cluster of the first process that asks (:mod:`tests.run_templates`); each process's database,
``zongzhi_console`` (``zongzhi_console_gw0``, ``_gw1`` … under xdist), is a copy of it: the
same rows and statistics, and what one process's tests write no other process sees. Other
tests commit worlds of their own into the suite's main database; this one never meets them.
The fixture is session-scoped: the tests of one process share their copy, as they shared the
database each process loaded before.

:func:`login` logs a demo user in through the login page.

Register as a plugin in ``tests/conftest.py``: ``pytest_plugins = ["tests.console_fixtures"]``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.cli import served_in_thread
from api.settings import ApiSettings
from importers.demo.cli import analyse_last_year
from importers.demo.dataset import DEFAULT_SEED, DemoData
from importers.demo.load import LoadReport, load_demo
from importers.demo.plan import DEFAULT_COUNTY, DEMO_PASSWORD
from layers.database import DatabaseUrls, apply_scope, gather_statistics, make_engine
from layers.secrets import keys_from_master
from layers.settings import Settings
from tests.browser import RecordedPage
from tests.conftest import SuiteDatabase, separate_database
from tests.demo_runs import demo_of_the_run
from tests.run_templates import copy_of_run_template

CONSOLE_DATABASE = "zongzhi_console"
CONSOLE_TEMPLATE = "zongzhi_console_template"
KEYS = keys_from_master(b"zongzhi console test master key!")


@dataclass(frozen=True)
class ConsoleDemo:
    """The served demo county.

    Attributes
    ----------
    origin : str
        ``http://127.0.0.1:<port>`` of the platform.
    data : DemoData
        What was generated (territory, staff, persons, cases, cameras).
    report : LoadReport
        Row counts and the demo logins.
    owner : Engine
        Owner engine of the console database (for checks the UI cannot make).
    settings : ApiSettings
        Settings of the served app.
    now : datetime
        The instant the demo was generated for.
    """

    origin: str
    data: DemoData
    report: LoadReport
    owner: Engine
    settings: ApiSettings
    now: datetime

    def username(self, role: str, scope_code: str | None = None) -> str:
        """Return the demo login of ``role`` (at ``scope_code`` when several exist)."""
        for login in self.report.logins:
            if login.role == role and (scope_code is None or login.scope_code == scope_code):
                return login.username
        raise KeyError(f"no demo login {role} {scope_code}")


@pytest.fixture(scope="session")
def console_demo(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleDemo]:
    """Serve the platform over a copy of the run's loaded and analysed 华宁县 demo."""
    data = demo_of_the_run(tmp_path_factory, DEFAULT_COUNTY, seed=DEFAULT_SEED)
    now = data.now

    def load(urls: DatabaseUrls) -> LoadReport:
        engine = make_engine(urls.owner, pool_size=2)
        try:
            with Session(engine) as session, session.begin():
                apply_scope(session, None)
                report = load_demo(session, data, KEYS, password=DEMO_PASSWORD)
            gather_statistics(engine)  # as `zongzhi demo` does: a county's 走访 list took 40 s
            analyse_last_year(engine, county=data.county_code, now=now)
        finally:
            engine.dispose()  # the template is copied only with no session on it
        return report

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    copy = f"{CONSOLE_DATABASE}_{worker}" if worker else CONSOLE_DATABASE
    borrowed = copy_of_run_template(
        tmp_path_factory,
        database.cluster.info(),
        CONSOLE_TEMPLATE,
        copy,
        build=load,
        make_template=lambda name: separate_database(database, name),
    )
    urls, report = borrowed.urls, borrowed.made
    owner = make_engine(urls.owner, pool_size=2)
    settings = ApiSettings(
        database=Settings(
            home=tmp_path_factory.mktemp("console-home"),
            database_url=urls.owner,
            app_database_url=urls.app,
        ),
        urls=urls,
        jwt_secret="console-test-jwt-secret-0123456789abcdef",
        keys=KEYS,
        # the platform's pool (10): with 4, a page's burst of tile and feed requests opened
        # connections beyond it and closed them again, each a new backend with cold caches
    )
    try:
        with served_in_thread(create_app(settings)) as origin:
            yield ConsoleDemo(origin, data, report, owner, settings, now)
    finally:
        owner.dispose()
        borrowed.release()


def log_out(page: RecordedPage) -> None:
    """Leave the page, then forget the session, so the next login starts from nothing.

    Leaving first matters: a request the page still had under way (a map tile) would otherwise
    be answered 401 once the cookie is gone, and logged as a console error.

    Parameters
    ----------
    page : RecordedPage
        The browser page.
    """
    page.goto("about:blank")
    page.context.clear_cookies()


def login(page: RecordedPage, origin: str, username: str, *, next_path: str = "") -> None:
    """Log ``username`` in through the login page and wait until it has left it.

    Parameters
    ----------
    page : RecordedPage
        The browser page.
    origin : str
        The platform's origin.
    username : str
        A demo login (password :data:`importers.demo.plan.DEMO_PASSWORD`).
    next_path : str
        Where to go after logging in (``?next=``); default the role's landing page.
    """
    query = f"?next={next_path}" if next_path else ""
    page.goto(f"{origin}/login{query}")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login" not in url)


def open_trends_as_analyst(page: RecordedPage, demo: ConsoleDemo) -> tuple[str, str]:
    """Log the demo's analyst in, on the county's 研判分析 (their landing page), loaded.

    Returns
    -------
    tuple of str
        The platform's origin and the county's 12-digit code.
    """
    county = demo.data.county_code.ljust(12, "0")
    login(page, demo.origin, demo.username("analyst"))
    page.wait_for_url(f"{demo.origin}/trends/{county}")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    return demo.origin, county


def unit_on_map(page: RecordedPage, demo: ConsoleDemo, code: str) -> dict[str, float]:
    """Return the unit's bounding box in the map's pixels (``window.zzMap``), and the map's size.

    Parameters
    ----------
    page : RecordedPage
        A console page showing a map.
    demo : ConsoleDemo
        The served demo (its database gives the unit's boundary).
    code : str
        The unit's 12-digit code.

    Returns
    -------
    dict
        ``left``, ``top``, ``right``, ``bottom`` in the map container's pixels; ``width`` and
        ``height`` of the map.
    """
    with demo.owner.connect() as conn:
        west, south, east, north = conn.execute(
            text(
                "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)"
                " FROM (SELECT boundary::box2d AS b FROM jurisdictions WHERE code = :code) j"
            ),
            {"code": code},
        ).one()
    box: dict[str, float] = page.evaluate(
        """([w, s, e, n]) => {
            const m = window.zzMap, a = m.latLngToContainerPoint([n, w]);
            const b = m.latLngToContainerPoint([s, e]), size = m.getSize();
            return {left: a.x, top: a.y, right: b.x, bottom: b.y, width: size.x, height: size.y};
        }""",
        [west, south, east, north],
    )
    return box


def element_on_map(page: RecordedPage, selector: str) -> dict[str, float]:
    """Return the element's box in the pixels of the map's container (``window.zzMap``).

    What :func:`unit_on_map` measures a unit in: a unit under a panel on the map overlaps it.

    Parameters
    ----------
    page : RecordedPage
        A console page showing a map.
    selector : str
        CSS selector of one element over the map (a layer panel, a legend).

    Returns
    -------
    dict
        ``left``, ``top``, ``right``, ``bottom``.
    """
    box: dict[str, float] = page.evaluate(
        """(selector) => {
            const m = window.zzMap.getContainer().getBoundingClientRect();
            const e = document.querySelector(selector).getBoundingClientRect();
            return {left: e.left - m.left, top: e.top - m.top,
                    right: e.right - m.left, bottom: e.bottom - m.top};
        }""",
        selector,
    )
    return box
