"""China's time, which every centre keeps: its zone in Python and its day in SQL.

A case reported at 23:30 in 华宁县 belongs to that day there, not to UTC's; dates a user
reads or an import stamps are taken in :data:`CHINA`.

Every ``zongzhi`` command loads this module (for :data:`CHINA`), so psycopg is imported only
when :data:`TODAY` is first read or :func:`import_day` runs, that is by the modules that query
the database with it (``tests/test_cli_start_lazy.py``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql

    TODAY: sql.SQL
    """The day in China when the transaction started, as SQL."""

CHINA = ZoneInfo("Asia/Shanghai")
"""China's one time zone (北京时间)."""

_TODAY_SQL = "(now() AT TIME ZONE 'Asia/Shanghai')::date"
""":data:`TODAY`'s text."""


def __getattr__(name: str) -> Any:
    """Make :data:`TODAY` on first use, so that importing this module imports no psycopg."""
    if name != "TODAY":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _today()


def _today() -> sql.SQL:
    """Return :data:`TODAY`, made (and kept as the module's attribute) on the first call."""
    made: sql.SQL | None = globals().get("TODAY")
    if made is None:
        from psycopg import sql

        made = globals()["TODAY"] = sql.SQL(_TODAY_SQL)
    return made


def import_day(conn: psycopg.Connection[Any]) -> date:
    """Return the day in China when the connection's transaction started (:data:`TODAY`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.

    Returns
    -------
    datetime.date
        The import's day, as a retirement or a roster end without a day is dated.
    """
    from psycopg import sql

    row = conn.execute(sql.SQL("SELECT {}").format(_today())).fetchone()
    assert row is not None
    day: date = row[0]
    return day
