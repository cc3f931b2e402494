"""Engines, sessions and the jurisdiction scope of a transaction.

Two URLs matter: the *owner* URL runs migrations; the *app* URL is how the platform serves
users. The app role owns no table, so PostgreSQL's row-level security applies to every query
it makes; :func:`scoped_session` sets the scope with ``SET LOCAL`` at the start of each
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from geo.codes import scope_range
from layers.embedded import APP_ROLE, OWNER_ROLE, EmbeddedCluster
from layers.settings import Settings

#: Scope of a transaction that may see every row (migrations, importers run by an operator).
ALL = ("", "~")


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
    """
    options: dict[str, object] = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
    options.update(kwargs)
    return create_engine(url, **options)


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
