"""China's time, which every centre keeps: its zone in Python and its day in SQL.

A case reported at 23:30 in 华宁县 belongs to that day there, not to UTC's; dates a user
reads or an import stamps are taken in :data:`CHINA`.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

CHINA = ZoneInfo("Asia/Shanghai")
"""China's one time zone (北京时间)."""

TODAY = sql.SQL("(now() AT TIME ZONE 'Asia/Shanghai')::date")
"""The day in China when the transaction started, as SQL."""


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
    row = conn.execute(sql.SQL("SELECT {}").format(TODAY)).fetchone()
    assert row is not None
    day: date = row[0]
    return day
