"""The database session of a command that reads or writes as the owner, and its refusals.

Heavy imports (SQLAlchemy) stay inside the functions: every ``zongzhi`` invocation loads the
command modules (``tests/test_cli_startup.py``).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.text import Text

from layers.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

NOT_RUNNING = "连不上数据库：请先运行 zongzhi db start"
"""Said when the database does not answer."""


def os_user() -> str:
    """Return the operating-system user running the command, or ``unknown``.

    A command run at the console is audited as this user (``zongzhi user …``).

    Returns
    -------
    str
        The login name (``LOGNAME``, ``USER`` … or the password database).
    """
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def fail(message: str) -> typer.Exit:
    """Print ``错误：message`` (plain text, one line) and return the exit to raise.

    Parameters
    ----------
    message : str
        What went wrong, in Chinese.

    Returns
    -------
    typer.Exit
        Exit code 1.
    """
    Console().print(Text.assemble(("错误：", "bold red"), message), soft_wrap=True)
    return typer.Exit(code=1)


@contextmanager
def owner_session(*, read_only: bool = False) -> Iterator[Session]:
    """Open the owner session of a command, scope = all; a database not started is said.

    Parameters
    ----------
    read_only : bool
        Make the transaction read-only (a command that only lists).

    Yields
    ------
    sqlalchemy.orm.Session
        In a transaction, committed when the block ends without an error.

    Raises
    ------
    typer.Exit
        The database cannot be reached (said in Chinese, no traceback).
    """
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from layers.database import apply_scope, make_engine, resolve_urls
    from layers.embedded import EmbeddedError

    try:
        engine = make_engine(resolve_urls(Settings.from_env()).owner, pool_size=1)
    except EmbeddedError as exc:
        raise fail(str(exc)) from exc
    try:
        with Session(engine) as session, session.begin():
            try:
                if read_only:
                    session.execute(text("SET TRANSACTION READ ONLY"))
                apply_scope(session, None)
            except OperationalError as exc:
                raise fail(NOT_RUNNING) from exc
            yield session
    finally:
        engine.dispose()
