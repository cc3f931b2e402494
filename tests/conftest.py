"""The suite starts its own PostGIS (Debian's binaries, a throw-away cluster per test process).

Each test that takes ``db`` runs inside a transaction rolled back at the end; code under test
that commits only releases a savepoint. A skipped test fails the run: the contract is that
every database test runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from layers import migrate
from layers.database import DatabaseUrls, apply_scope, make_engine
from layers.embedded import APP_ROLE, OWNER_ROLE, EmbeddedCluster
from layers.settings import ARGON2_VARIABLE, ARGON2_WEAK_VARIABLE

pytest_plugins = ["tests.browser", "tests.api_fixtures", "tests.console_fixtures"]

LIGHTEST_ARGON2 = "m=8,t=1,p=1"
"""The lightest argon2id cost argon2 accepts: the suite's, as Django's docs advise a fast hasher
in tests. At the product's cost each login and each account a test makes spent about 0.17 s of
CPU on its hash (the suite: minutes). Set here, before any hash, for this process and the
commands it starts; ``ZONGZHI_ARGON2`` set already is kept (a run at the product's cost).
``tests/test_argon2_cost.py`` checks the product's default cost and the rehash at login, and
that a cost under OWASP's minimum is refused without ``ZONGZHI_ARGON2_WEAK_OK=1``, set here."""
os.environ.setdefault(ARGON2_VARIABLE, LIGHTEST_ARGON2)
os.environ.setdefault(ARGON2_WEAK_VARIABLE, "1")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


MIGRATED_TEMPLATE = "zongzhi_migrated"
"""A copy of the suite's main database made as soon as it is migrated: what
:func:`separate_database` copies."""


@dataclass(frozen=True)
class SuiteDatabase:
    """The suite's cluster: its URLs and engines."""

    cluster: EmbeddedCluster
    urls: DatabaseUrls
    owner: Engine
    app: Engine


@pytest.fixture(scope="session")
def database() -> Iterator[SuiteDatabase]:
    """Start a fresh cluster for this test process, migrate it, and remove it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="zongzhi-test-")) / "pg"
    cluster = EmbeddedCluster(root)
    info = cluster.start()
    driver = "postgresql+psycopg"
    urls = DatabaseUrls(info.url(OWNER_ROLE, driver), info.url(APP_ROLE, driver))
    owner = make_engine(urls.owner, pool_size=4)
    app = make_engine(urls.app, pool_size=4)
    try:
        # inside: a migration that fails (two heads, a bad step) must not leave the cluster up
        migrate.upgrade(owner)
        owner.dispose()  # a database is copied only with no session on it
        server, main = info.url(OWNER_ROLE).rsplit("/", 1)
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {MIGRATED_TEMPLATE} TEMPLATE {main}")
        yield SuiteDatabase(cluster, urls, owner, app)
    finally:
        owner.dispose()
        app.dispose()
        cluster.destroy()
        root.parent.rmdir() if root.parent.exists() else None


def separate_database(database: SuiteDatabase, name: str) -> DatabaseUrls:
    """Create (anew) the migrated database ``name`` in the suite's cluster; return its URLs.

    For tests whose committed writes must not meet the worlds other tests commit into the
    suite's main database (the served demo county, the schema fuzzer, the import commands).
    The database is a copy (``CREATE DATABASE … TEMPLATE``) of :data:`MIGRATED_TEMPLATE`, the
    suite's main database as it was once migrated, which no one connects to: a copy takes about
    0.1 s where creating PostGIS and running every migration took about 0.7 s, and the suite
    makes some fifty of these databases.
    """
    server = database.cluster.info().url(OWNER_ROLE).rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {MIGRATED_TEMPLATE}")
        conn.execute(f"GRANT CONNECT ON DATABASE {name} TO {APP_ROLE}")

    def swap(url: str) -> str:
        return url.rsplit("/", 1)[0] + "/" + name

    return DatabaseUrls(swap(database.urls.owner), swap(database.urls.app))


@pytest.fixture
def db(database: SuiteDatabase) -> Iterator[Session]:
    """A session of the owner role in a transaction that is rolled back after the test."""
    with database.owner.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        apply_scope(session, None)
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def app_db(database: SuiteDatabase) -> Iterator[Session]:
    """Like ``db`` but as the app role, subject to row-level security (scope unset)."""
    with database.app.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The project's real reference data folder (``../shared/data``)."""
    if not SHARED_DATA.exists():
        raise RuntimeError(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any test was skipped: a skip is a failure here."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    skipped = len(reporter.stats.get("skipped", []))
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"{skipped} test(s) skipped: a skip is a failure", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
