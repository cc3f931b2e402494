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
from tests.run_templates import copy_database, lends_its_cluster, return_lent_clusters

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
        if lends_its_cluster():  # others' copies in it: removed once they are done with them
            _LENT_CLUSTERS.append(cluster)
        else:
            _remove(cluster)


_LENT_CLUSTERS: list[EmbeddedCluster] = []
"""This process's cluster, when its run template has copies of other processes in it
(:mod:`tests.run_templates`): removed at the session's end, not as its last test ends, so that
the wait for the other processes does not count as that test's teardown."""


def _remove(cluster: EmbeddedCluster) -> None:
    """Stop the cluster and remove its folder."""
    cluster.destroy()
    cluster.root.parent.rmdir() if cluster.root.parent.exists() else None


def separate_database(database: SuiteDatabase, name: str) -> DatabaseUrls:
    """Create (anew) the migrated database ``name`` in the suite's cluster; return its URLs.

    For tests whose committed writes must not meet the worlds other tests commit into the
    suite's main database (the served demo county, the schema fuzzer, the import commands).
    The database is a copy (``CREATE DATABASE … TEMPLATE``) of :data:`MIGRATED_TEMPLATE`, the
    suite's main database as it was once migrated, which no one connects to: a copy takes about
    0.1 s where creating PostGIS and running every migration took about 0.7 s, and the suite
    makes some fifty of these databases.
    """
    return copy_database(database.cluster.info(), name, MIGRATED_TEMPLATE)


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


@pytest.hookimpl(trylast=True)  # after the runner's teardown of the session's fixtures
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove a lent cluster once its borrowers are done; fail the run if a test was skipped."""
    return_lent_clusters()
    while _LENT_CLUSTERS:
        _remove(_LENT_CLUSTERS.pop())
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    skipped = len(reporter.stats.get("skipped", []))
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"{skipped} test(s) skipped: a skip is a failure", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
