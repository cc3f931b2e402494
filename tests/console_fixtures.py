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
database each process loaded before; :func:`console_cases_cleaned` undoes after each test
what it wrote (the cases it registered, the events and dispatches it added, the accounts it
made, the demo's cases, dispatches, workers and accounts it changed), so that no test meets
another's (``ZONGZHI_CONSOLE_LEFTOVERS=1`` names what each test leaves).

:func:`login` logs a demo user in through the login page.

Register as a plugin in ``tests/conftest.py``: ``pytest_plugins = ["tests.console_fixtures"]``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import Connection, Engine, text
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
from tests.workflow_data import delete_cases

CONSOLE_DATABASE = "zongzhi_console"
CONSOLE_TEMPLATE = "zongzhi_console_template"
KEYS = keys_from_master(b"zongzhi console test master key!")
LEFTOVERS = "ZONGZHI_CONSOLE_LEFTOVERS"
"""Set, a console test fails that leaves a case or changes what other tests read (a survey)."""
_SURVEYED = ("case_events", "dispatches", "users", "persons", "person_visits", "alerts")
"""Tables whose new rows :data:`LEFTOVERS` reports (events and dispatches of the demo's cases)."""


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


_DELETED = ("case_events", "dispatches", "alerts", "users")
"""Tables whose rows a test added are deleted when it ends (events and dispatches of the
demo's cases: those of its own cases go with them)."""
_RESTORED = ("cases", "dispatches", "workers", "users")
"""Tables whose demo rows a test changed are set back as they were before it (from
:data:`_BEFORE`)."""
_BEFORE = "console_test_before"
"""Schema of the console database holding a copy of :data:`_RESTORED` as before the test."""
_UNNOTICED = {"users": ("login_address",)}
"""Columns :data:`LEFTOVERS` does not report changed (each login writes the account's)."""


@dataclass
class _Before:
    """The copy of :data:`_RESTORED` in :data:`_BEFORE`: the columns set back, and the
    transaction id after which a row was written since the copy was last brought up to date."""

    columns: dict[str, list[str]]
    synced: int


@pytest.fixture(scope="session")
def _demo_before(console_demo: ConsoleDemo) -> _Before:
    """Copy the demo's :data:`_RESTORED` tables into :data:`_BEFORE` (once a process)."""
    with console_demo.owner.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {_BEFORE} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {_BEFORE}"))
        columns = {}
        for table in _RESTORED:
            conn.execute(text(f"CREATE TABLE {_BEFORE}.{table} AS TABLE {table}"))
            conn.execute(text(f"ALTER TABLE {_BEFORE}.{table} ADD PRIMARY KEY (id)"))
            columns[table] = list(
                conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_schema = 'public' AND table_name = :t"
                        " AND is_generated = 'NEVER' AND column_name <> 'id'"
                        " ORDER BY ordinal_position"
                    ),
                    {"t": table},
                ).scalars()
            )
    with console_demo.owner.begin() as conn:
        synced = int(conn.execute(text("SELECT txid_current()")).scalar_one())
    return _Before(columns, synced)


@pytest.fixture(autouse=True)
def console_cases_cleaned(request: pytest.FixtureRequest) -> Iterator[None]:
    """Undo, after each test on the served demo, what it wrote there: cases, events, accounts.

    The tests of a process share one demo, and register cases at the same few spots of the same
    village: a repeat report links to an open case of its type within 200 m, so a case one test
    left was taken for the original of a later test's report (test_console_department_desk after
    test_console_dispatch: its repeat's ``duplicate_of`` was the other test's case, not its own);
    and a 催办 one test made on a demo case showed as 催办×2 in a later one. When the test ends,
    the cases of ids above the highest before it are deleted, with their events, dispatches and
    photos (:func:`tests.workflow_data.delete_cases`); so are the events and dispatches it added
    to the demo's own cases and the accounts it created; and the rows of :data:`_RESTORED` it
    changed (a case's state, version and repeat count, a worker left busy, an account's
    password) are set back as they were before it, from a copy :data:`_BEFORE` brought up to
    date before each test with the rows written since the last one (a module's fixture). A row
    counts as changed whose ``xmin`` is a transaction after the mark: the check reads no copy
    when nothing was written. With :data:`LEFTOVERS` set, a test fails that left cases or new
    rows of :data:`_SURVEYED` (accounts, persons, visits, alerts; events and dispatches of the
    demo's cases) or changed rows of :data:`_RESTORED`, naming them (before they are undone).
    """
    if "console_demo" not in request.fixturenames:
        yield
        return
    demo: ConsoleDemo = request.getfixturevalue("console_demo")
    before: _Before = request.getfixturevalue("_demo_before")
    survey = bool(os.environ.get(LEFTOVERS))
    tables = ("cases", *_SURVEYED) if survey else ("cases", *_DELETED)
    with demo.owner.begin() as conn:
        last, written, mark = _marks(conn, tables, before.synced)
        for table in written:  # by a module's fixture, say: as it was before the test
            _bring_up_to_date(conn, table, before.synced)
    yield
    with demo.owner.begin() as conn:
        top, written, synced = _marks(conn, ("cases", *_DELETED), mark)
        left = []
        if top["cases"] > last["cases"]:
            left = conn.execute(
                text("SELECT id, state, title FROM cases WHERE id > :last ORDER BY id"),
                {"last": last["cases"]},
            ).all()
        found = []
        if survey:
            found = [f"case {row.id} {row.state} {row.title}" for row in left]
            found += _new_rows(conn, last)
            found += _changed_rows(conn, last, mark)
        if left:
            delete_cases(Session(bind=conn), [int(row.id) for row in left])
        _undo(conn, [t for t in _DELETED if top[t] > last[t]], written, last, mark, before.columns)
        if survey:  # and what of it stays undone (none: each leftover is named once)
            kept = _new_rows(conn, last, _DELETED) + _changed_rows(conn, last, mark)
            found += [f"not undone: {kept}"] if kept else []
    before.synced = synced  # what this transaction wrote is as before the test: not copied
    if found:
        pytest.fail("left on the shared demo: " + "; ".join(found), pytrace=False)


def _new_rows(
    conn: Connection, last: dict[str, int], tables: tuple[str, ...] = _SURVEYED
) -> list[str]:
    """Name the rows of ``tables`` above ``last`` (of the demo's own cases, for events)."""
    found = []
    for table in tables:
        of_demo = " AND case_id <= :cases" if table in ("case_events", "dispatches") else ""
        ids = (
            conn.execute(
                text(f"SELECT id FROM {table} WHERE id > :last{of_demo} ORDER BY id"),
                {"last": last[table], "cases": last["cases"]},
            )
            .scalars()
            .all()
        )
        if ids:
            found.append(f"{table} {', '.join(map(str, ids[:10]))}{' …' if len(ids) > 10 else ''}")
    return found


def _marks(
    conn: Connection, tables: tuple[str, ...], since: int
) -> tuple[dict[str, int], list[str], int]:
    """Return, in one query, the highest id of each of ``tables``, the tables of
    :data:`_RESTORED` with rows written after transaction ``since``, and the transaction's id
    (a row it writes has that ``xmin``; a row written later, a higher one)."""
    highest = [f"(SELECT coalesce(max(id), 0) FROM {t})" for t in tables]
    written = [f"EXISTS (SELECT 1 FROM {t} WHERE {_written_after(t)})" for t in _RESTORED]
    row = conn.execute(
        text(f"SELECT {', '.join([*highest, *written])}, txid_current()"), {"mark": since}
    ).one()
    tops = dict(zip(tables, map(int, row[: len(tables)]), strict=True))
    flags = row[len(tables) : len(tables) + len(_RESTORED)]
    return tops, [t for t, flag in zip(_RESTORED, flags, strict=True) if flag], int(row[-1])


def _written_after(table: str) -> str:
    """The SQL condition: a row of ``table`` written by a transaction after ``:mark``."""
    return f"age({table}.xmin) < age(CAST(CAST(:mark AS text) AS xid))"  # no xid comparison


def _bring_up_to_date(conn: Connection, table: str, synced: int) -> None:
    """Copy into :data:`_BEFORE` the rows of ``table`` written since ``synced``."""
    written = _written_after(table)
    conn.execute(
        text(
            f"DELETE FROM {_BEFORE}.{table} b USING {table} WHERE {table}.id = b.id AND {written}"
        ),
        {"mark": synced},
    )
    conn.execute(
        text(f"INSERT INTO {_BEFORE}.{table} SELECT * FROM {table} WHERE {written}"),
        {"mark": synced},
    )


def _undo(
    conn: Connection,
    added: list[str],
    written: list[str],
    last: dict[str, int],
    mark: int,
    columns: dict[str, list[str]],
) -> None:
    """Delete the rows above ``last`` of the tables ``added`` (of :data:`_DELETED`); set back
    the rows written after ``mark`` of the tables ``written`` (of :data:`_RESTORED`).

    Only those tables are written (``case_events``' trigger, turned off to delete, would wait
    for the readers of the table).
    """
    if "case_events" in added:
        conn.execute(text("ALTER TABLE case_events DISABLE TRIGGER append_only"))
        conn.execute(text("DELETE FROM case_events WHERE id > :e"), {"e": last["case_events"]})
        conn.execute(text("ALTER TABLE case_events ENABLE TRIGGER append_only"))
    for table in ("dispatches", "alerts"):
        if table in added:
            conn.execute(text(f"DELETE FROM {table} WHERE id > :last"), {"last": last[table]})
    for table in written:
        names = ", ".join(columns[table])
        taken = ", ".join(f"b.{name}" for name in columns[table])
        conn.execute(
            text(
                f"UPDATE {table} SET ({names}) = ({taken}) FROM {_BEFORE}.{table} b"
                f" WHERE b.id = {table}.id AND {_written_after(table)}"
            ),
            {"mark": mark},
        )
    if "users" in added:  # last: the events and dispatches deleted may name them
        conn.execute(text("DELETE FROM users WHERE id > :u"), {"u": last["users"]})


def _changed_rows(conn: Connection, last: dict[str, int], mark: int) -> list[str]:
    """Name the rows of :data:`_RESTORED` up to ``last`` whose values a test changed."""
    found = []
    for table in _RESTORED:
        ignored = "".join(f" - '{name}'" for name in _UNNOTICED.get(table, ()))
        upto = " AND t.id <= :last" if table in last else ""
        ids = (
            conn.execute(
                text(
                    f"SELECT t.id FROM {table} t JOIN {_BEFORE}.{table} b USING (id)"
                    f" WHERE {_written_after('t')}{upto}"
                    f" AND to_jsonb(t){ignored} IS DISTINCT FROM to_jsonb(b){ignored}"
                    " ORDER BY t.id"
                ),
                {"mark": mark, "last": last.get(table, 0)},
            )
            .scalars()
            .all()
        )
        if ids:
            listed = ", ".join(map(str, ids[:10]))
            found.append(f"{table} changed {listed}{' …' if len(ids) > 10 else ''}")
    return found


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
