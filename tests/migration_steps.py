"""Run one migration's ``downgrade`` and ``upgrade`` on a test's session, then roll them back."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from layers.migrate import MIGRATIONS


@contextmanager
def migration_steps(session: Session, filename: str) -> Iterator[tuple[ModuleType, Connection]]:
    """Yield the migration module ``filename`` and the connection its steps run on.

    Inside the block, ``module.downgrade()`` and ``module.upgrade()`` run as Alembic would, in a
    savepoint of the session's transaction that is rolled back when the block ends.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The test's session (the ``db`` fixture).
    filename : str
        The file in ``layers/migrations/versions``, e.g. ``0023_alert_handling.py``.

    Yields
    ------
    tuple of (module, sqlalchemy.Connection)
        The migration and the connection.
    """
    spec = importlib.util.spec_from_file_location(
        f"migration_{filename.split('_')[0]}", MIGRATIONS / "versions" / filename
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    conn = session.connection()
    savepoint = conn.begin_nested()
    try:
        with Operations.context(MigrationContext.configure(conn)):
            yield module, conn
    finally:
        savepoint.rollback()


def table_exists(conn: Connection, table: str) -> bool:
    """Return whether ``to_regclass`` finds ``table`` (on a :func:`migration_steps` connection)."""
    return conn.scalar(text("SELECT to_regclass(:t)"), {"t": table}) is not None


def app_privileges(conn: Connection, table: str) -> dict[str, bool]:
    """Which of SELECT, INSERT, UPDATE and DELETE the application's role holds on ``table``.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        The connection of :func:`migration_steps`.
    table : str
        The table's name.

    Returns
    -------
    dict of str to bool
        Each privilege, in that order, and whether ``zongzhi_app`` has it.
    """
    privileges = ("SELECT", "INSERT", "UPDATE", "DELETE")
    held = conn.execute(
        text("SELECT has_table_privilege('zongzhi_app', :t, p) FROM unnest(CAST(:ps AS text[])) p"),
        {"t": table, "ps": list(privileges)},
    ).scalars()
    return dict(zip(privileges, held, strict=True))


def function_executors(conn: Connection | Session, name: str) -> list[bool]:
    """Whether ``zongzhi_app`` and ``public``, in that order, may run the function ``name``.

    Parameters
    ----------
    conn : sqlalchemy.Connection or sqlalchemy.orm.Session
        The test's session, or the connection of :func:`migration_steps`.
    name : str
        The function's name (one function of that name).

    Returns
    -------
    list of bool
        Empty when no such function exists; ``[True, False]`` where only the app role may run it.
    """
    return list(
        conn.execute(
            text(
                "SELECT has_function_privilege(r, p.oid, 'EXECUTE')"
                " FROM pg_proc p, unnest(ARRAY['zongzhi_app', 'public']) r"
                " WHERE p.proname = :f ORDER BY r DESC"
            ),
            {"f": name},
        ).scalars()
    )
