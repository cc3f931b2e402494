"""Engines, sessions and the jurisdiction scope of a transaction.

Two URLs matter: the *owner* URL runs migrations; the *app* URL is how the platform serves
users. The app role owns no table, so PostgreSQL's row-level security applies to every query
it makes; :func:`scoped_session` sets the scope with ``SET LOCAL`` at the start of each
transaction.

Every connection of :func:`make_engine` starts with :data:`SESSION_SETTINGS` (libpq
``options``), so no transaction spends a round trip on them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, String, bindparam, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from geo.codes import scope_range
from layers.embedded import APP_ROLE, OWNER_ROLE, EmbeddedCluster
from layers.settings import Settings

log = logging.getLogger(__name__)

#: Scope of a transaction that may see every row (migrations, importers run by an operator).
ALL = ("", "~")

SESSION_SETTINGS: Mapping[str, str] = {
    "jit": "off",
    "plan_cache_mode": "force_custom_plan",
    "max_parallel_workers_per_gather": "0",
}
"""Settings of every connection, given to the server when it connects.

* ``jit = off``: PostGIS's high function costs make the planner JIT-compile tile and page
  queries, which then spend longer compiling (hundreds of milliseconds at city scale,
  ``bench/api.py``) than running.
* ``plan_cache_mode = force_custom_plan``: psycopg prepares a statement after its fifth run and
  PostgreSQL may then switch to a generic plan, which loses the tile's box and the scope range
  (measured 4x slower for a city's items page, 100x for the dispatch candidates: it sorts every
  worker instead of walking the KNN index).
* ``max_parallel_workers_per_gather = 0``: many small concurrent requests gain nothing from
  parallel workers and pay for starting them.
"""

LEAKPROOF_BBOX_FUNCTIONS = (
    "geometry_overlaps(geometry, geometry)",
    "geometry_within(geometry, geometry)",
    "geometry_contains(geometry, geometry)",
)
"""PostGIS's 2-D bounding-box predicates (``&&``, ``@``, ``~``) that must be ``LEAKPROOF`` for the
app role's bbox conditions to use the GiST indexes under row-level security (see migration
``0005_leakproof_bbox`` for why this is safe)."""


@dataclass(frozen=True)
class DatabaseUrls:
    """Owner and app URLs (SQLAlchemy form, psycopg driver).

    Attributes
    ----------
    owner : str
        Owns the schema; runs migrations and imports.
    app : str
        Serves users; subject to row-level security.
    set_role : bool
        Whether the app connection must ``SET ROLE zongzhi_app`` (external server without an
        app URL).
    """

    owner: str
    app: str
    set_role: bool = False


def resolve_urls(settings: Settings, *, start: bool = False) -> DatabaseUrls:
    """Return the database URLs for ``settings``, starting the embedded cluster if asked.

    Parameters
    ----------
    settings : Settings
        The configuration.
    start : bool
        Start the embedded cluster when it is the one in use.

    Returns
    -------
    DatabaseUrls
        The URLs.
    """
    if settings.database_url is not None:
        owner = _sqlalchemy_url(settings.database_url)
        if settings.app_database_url is not None:
            return DatabaseUrls(owner, _sqlalchemy_url(settings.app_database_url))
        return DatabaseUrls(owner, owner, set_role=True)
    cluster = EmbeddedCluster(settings.pg_dir)
    info = cluster.start() if start else cluster.info()
    driver = "postgresql+psycopg"
    return DatabaseUrls(info.url(OWNER_ROLE, driver), info.url(APP_ROLE, driver))


def _sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def gather_statistics(engine: Engine, tables: Sequence[str] = ()) -> None:
    """Gather the planner's statistics now (``ANALYZE``), of every table or of those named.

    After a bulk load, before autovacuum comes round: without them the planner may read every
    visit of a scope once per person under row-level security (the command feed took 2 s in a
    fresh demo).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An owner-role engine.
    tables : sequence of str, optional
        Table names; every table if empty.
    """
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        conn.execute(text(f"ANALYZE {', '.join(quote(table) for table in tables)}".rstrip()))


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine with the platform's pool settings.

    Parameters
    ----------
    url : str
        SQLAlchemy URL.
    **kwargs
        Passed to :func:`sqlalchemy.create_engine`.

    Returns
    -------
    sqlalchemy.Engine
        The engine.

    Notes
    -----
    Connections start with :data:`SESSION_SETTINGS` (an engine for long analytic batch jobs
    that want JIT or parallel workers can pass
    ``connect_args={"options": connection_options(url, {...})}``). The pool does not ping a
    connection before lending it (that was a round trip per request); connections are recycled
    after 30 minutes and, after a server restart, the pool is emptied at the first
    disconnection error (that request fails; the next ones reconnect).
    """
    options: dict[str, object] = {
        "pool_pre_ping": False,
        "pool_recycle": 1800,
        "pool_size": 10,
        "max_overflow": 20,
        "connect_args": {"options": connection_options(url)},
    }
    options.update(kwargs)
    return create_engine(url, **options)


def connection_options(url: str, settings: Mapping[str, str] = SESSION_SETTINGS) -> str:
    """Return the libpq ``options`` of a connection: ``settings`` after the URL's own options.

    Parameters
    ----------
    url : str
        SQLAlchemy URL; an ``options`` query parameter in it is kept (and wins).
    settings : mapping
        Server settings to give every connection.

    Returns
    -------
    str
        ``-c name=value`` words.

    Examples
    --------
    >>> connection_options("postgresql+psycopg://h/db", {"jit": "off"})
    '-c jit=off'
    >>> connection_options("postgresql+psycopg://h/db?options=-c%20work_mem%3D64MB", {"jit": "off"})
    '-c jit=off -c work_mem=64MB'
    """
    words = [f"-c {name}={value}" for name, value in settings.items()]
    own = make_url(url).query.get("options")
    if own:
        words.extend([own] if isinstance(own, str) else own)
    return " ".join(words)


def apply_scope(session: Session | Connection, code: str | None, *, set_role: bool = False) -> None:
    """Restrict the current transaction to the jurisdiction ``code`` (``None``: everything).

    Parameters
    ----------
    session : sqlalchemy.orm.Session or sqlalchemy.Connection
        Session or connection inside a transaction.
    code : str or None
        12-digit jurisdiction code of the user's scope.
    set_role : bool
        Also switch to the app role for this transaction.
    """
    lo, hi = ALL if code is None else scope_range(code)
    if set_role:
        session.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    session.execute(
        text(
            "SELECT set_config('zongzhi.scope_lo', :lo, true),"
            " set_config('zongzhi.scope_hi', :hi, true)"
        ),
        {"lo": lo, "hi": hi},
    )


def psycopg_connection(session: Session) -> psycopg.Connection[Any]:
    """Return the psycopg connection under a session, in the session's transaction.

    For what SQLAlchemy does not do: COPY, and :func:`layers.audit.record_each`.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session of an engine made by :func:`make_engine` (psycopg 3).

    Returns
    -------
    psycopg.Connection
        The session's connection, its transaction begun.

    Raises
    ------
    TypeError
        The session's driver is not psycopg 3.
    """
    conn = session.connection().connection.driver_connection
    if not isinstance(conn, psycopg.Connection):
        raise TypeError("a psycopg 3 connection is needed")
    return conn


def switch_to_app_role(connection: Connection) -> None:
    """Act as the app role for the rest of the current transaction (``SET LOCAL ROLE``).

    For an app that shares the owner's connection (an external server without an app URL):
    row-level security then applies as it does to the app role's own connections.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        Connection inside a transaction.
    """
    connection.exec_driver_sql(f"SET LOCAL ROLE {APP_ROLE}")


@contextmanager
def scoped_session(
    factory: sessionmaker[Session], code: str | None, *, set_role: bool = False
) -> Iterator[Session]:
    """Open a session whose single transaction is scoped to ``code``; commit on success.

    Parameters
    ----------
    factory : sqlalchemy.orm.sessionmaker
        Session factory bound to the app engine.
    code : str or None
        Jurisdiction code of the scope, ``None`` for all.
    set_role : bool
        Switch to the app role (external server without a dedicated app URL).

    Yields
    ------
    sqlalchemy.orm.Session
        The session; rolled back if the block raises.
    """
    with factory() as session, session.begin():
        apply_scope(session, code, set_role=set_role)
        yield session


_SCOPE_PREFIX = (
    "CASE WHEN substr(u.scope_code, 3) = '0000000000' THEN 2"
    " WHEN substr(u.scope_code, 5) = '00000000' THEN 4"
    " WHEN substr(u.scope_code, 7) = '000000' THEN 6"
    " WHEN substr(u.scope_code, 10) = '000' THEN 9 ELSE 12 END"
)
_ACCOUNT_IN_SCOPE = text(
    f"""
    SELECT u.id, u.username, u.display_name, u.role, u.scope_code, u.can_unmask, u.worker_id,
           u.active, u.password_changed_at, u.must_change_password, u.sessions_ended_at,
           EXISTS (SELECT FROM ended_sessions e WHERE e.token_id = :token_id) AS session_ended,
           set_config('zongzhi.scope_lo', r.lo, true) AS scope_lo,
           set_config('zongzhi.scope_hi', r.hi, true) AS scope_hi
      FROM users u,
           LATERAL (SELECT left(u.scope_code, {_SCOPE_PREFIX}) AS lo) p,
           LATERAL (SELECT p.lo AS lo, left(p.lo, -1) || chr(ascii(right(p.lo, 1)) + 1) AS hi) r
     WHERE u.id = :user_id
    """
).bindparams(bindparam("token_id", None, type_=String))  # no token named: not ended
"""An account and, in the same statement, the transaction's scope set to the account's
(:func:`geo.codes.scope_range` written in SQL: prefix lengths 2, 4, 6, 9, 12 by level), and
whether the request's token was ended (logout: a primary-key look-up in ``ended_sessions``)."""


@dataclass(frozen=True)
class Account:
    """The facts of an account that authenticate and scope a request.

    Attributes
    ----------
    id : int
        User id.
    username, display_name, role : str
        Login name, shown name, role code.
    scope_code : str
        12-digit jurisdiction code of the user's scope.
    can_unmask : bool
        May read sealed personal data with a reason.
    worker_id : int or None
        The worker record of a grid-worker account.
    active : bool
        Whether the account may be used.
    password_changed_at : datetime
        Last password change (tokens issued before it are refused).
    must_change_password : bool
        The password was set by an administrator: its owner must change it first.
    sessions_ended_at : datetime or None
        Tokens issued up to then are refused (the account was disabled).
    session_ended : bool
        The token named to :func:`read_account_and_scope` was ended (logout).
    """

    id: int
    username: str
    display_name: str
    role: str
    scope_code: str
    can_unmask: bool
    worker_id: int | None
    active: bool
    password_changed_at: datetime
    must_change_password: bool = False
    sessions_ended_at: datetime | None = None
    session_ended: bool = False


def read_account_and_scope(
    session: Session | Connection, user_id: int, token_id: str | None = None
) -> Account | None:
    """Read account ``user_id`` and scope the current transaction to it, in one statement.

    One round trip instead of two for every authenticated request. The range PostgreSQL
    computed is checked against :func:`geo.codes.scope_range` and set again from Python if
    they ever differ, so Python stays the one definition of a scope.

    Parameters
    ----------
    session : sqlalchemy.orm.Session or sqlalchemy.Connection
        Session or connection inside a transaction.
    user_id : int
        Account id.
    token_id : str, optional
        The id of the request's token: :attr:`Account.session_ended` says whether it was ended.

    Returns
    -------
    Account or None
        The account (active or not), or ``None`` when there is no such account (the scope is
        then left as it was).
    """
    params = {"user_id": user_id, "token_id": token_id}
    row = session.execute(_ACCOUNT_IN_SCOPE, params).one_or_none()
    if row is None:
        return None
    account = Account(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        scope_code=row.scope_code,
        can_unmask=row.can_unmask,
        worker_id=row.worker_id,
        active=row.active,
        password_changed_at=row.password_changed_at,
        must_change_password=row.must_change_password,
        sessions_ended_at=row.sessions_ended_at,
        session_ended=row.session_ended,
    )
    if (row.scope_lo, row.scope_hi) != scope_range(account.scope_code):
        apply_scope(session, account.scope_code)
    return account


def missing_leakproof_bbox(connection: Connection) -> list[str]:
    """Return which of :data:`LEAKPROOF_BBOX_FUNCTIONS` are not ``LEAKPROOF`` (or absent).

    Parameters
    ----------
    connection : sqlalchemy.Connection
        Any connection to the database.

    Returns
    -------
    list of str
        Function signatures still to be marked.
    """
    rows = connection.execute(
        text(
            "SELECT sig FROM unnest(CAST(:sigs AS text[])) AS sig"
            " LEFT JOIN pg_proc p ON p.oid = to_regprocedure(sig)"
            " WHERE p.proleakproof IS NOT TRUE"
        ),
        {"sigs": list(LEAKPROOF_BBOX_FUNCTIONS)},
    )
    return [str(sig) for sig in rows.scalars()]


def ensure_leakproof_bbox(connection: Connection) -> list[str]:
    """Mark PostGIS's bounding-box predicates ``LEAKPROOF`` if they are not; idempotent.

    Needs a superuser (the embedded cluster's owner is one). Without one it logs a warning
    with the statements a DBA must run and changes nothing. Run it again after
    ``ALTER EXTENSION postgis UPDATE``, which re-creates the functions unmarked.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        Connection of the migrating role, in a transaction.

    Returns
    -------
    list of str
        Signatures still not leakproof afterwards (empty when all are).
    """
    missing = missing_leakproof_bbox(connection)
    if not missing:
        return []
    superuser = connection.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    statements = [f"ALTER FUNCTION {sig} LEAKPROOF" for sig in missing]
    if not superuser:
        log.warning(
            "PostGIS bounding-box operators are not LEAKPROOF and the migrating role is no "
            "superuser: under row-level security the app role's map tiles and bbox queries "
            "cannot use the spatial indexes (every tile reads the whole table). A DBA should "
            "run, as a superuser, in this database: %s",
            "; ".join(statements),
        )
        return missing
    for statement in statements:
        connection.execute(text(statement))
    return missing_leakproof_bbox(connection)
