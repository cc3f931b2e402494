"""What the complete lists of an area share: the area a file is compared with, and the day.

An office's export is the word on what exists in an area: the 雪亮工程 platform's cameras
(:mod:`layers.camera_retirement`), the 司法局's 社区矫正 persons, the 卫健局's 严重精神障碍
patients (:mod:`layers.person_roster`). With ``--within CODE --complete`` the file is the whole
list of CODE's area, and what is on record there that it does not list is ended on the import's
day (:data:`TODAY`, Asia/Shanghai). Without it, a note says what the file leaves out of its area:
the ``--within`` area, else the smallest unit holding the townships its rows lie in
(:func:`file_area`), compared township by township (:func:`in_townships_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg import sql

TODAY = sql.SQL("(now() AT TIME ZONE 'Asia/Shanghai')::date")
"""The import's day, as its transaction started, in China's time."""
_LEVELS = (9, 6, 4, 2)
"""Significant prefix lengths of township, county, city and province codes."""


@dataclass(frozen=True)
class Area:
    """The area a file is compared with: its code (12 digits) and name."""

    code: str
    name: str

    @property
    def label(self) -> str:
        """``华宁县（530424000000）``."""
        return f"{self.name}（{self.code}）"


def import_day(conn: psycopg.Connection[Any]) -> date:
    """Return the import's day (:data:`TODAY`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.

    Returns
    -------
    datetime.date
        The day in Asia/Shanghai when the transaction started.
    """
    row = conn.execute(sql.SQL("SELECT {}").format(TODAY)).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def file_area(conn: psycopg.Connection[Any], staging: str, within: str | None) -> Area | None:
    """Return the ``--within`` area, else the smallest unit holding the staged rows' townships.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of the file's rows (``area_code``).
    within : str or None
        12-digit code of the ``--within`` area.

    Returns
    -------
    Area or None
        ``None`` when no staged row has a place, or its townships lie in several provinces.
    """
    code = within or _common_unit(conn, staging)
    if code is None:
        return None
    row = conn.execute("SELECT name FROM jurisdictions WHERE code = %s", (code,)).fetchone()
    return Area(code, str(row[0]) if row else code)


def in_townships_of(staging: str, alias: str) -> sql.Composable:
    """Return the condition that ``alias``'s row lies in a township of a staged row.

    Parameters
    ----------
    staging : str
        Staging table of the file's rows (``area_code``).
    alias : str
        The compared table's alias in the query (its ``area_code``).

    Returns
    -------
    psycopg.sql.Composable
        ``left(alias.area_code, 9) IN (…)``, to ``AND`` into a ``WHERE``.
    """
    return sql.SQL(
        "left({alias}.area_code, 9) IN (SELECT left(s.area_code, 9) FROM {staging} AS s)"
    ).format(alias=sql.Identifier(alias), staging=sql.Identifier(staging))


def _common_unit(conn: psycopg.Connection[Any], staging: str) -> str | None:
    """Return the 12-digit code of the smallest unit holding every staged row's township."""
    rows = conn.execute(
        sql.SQL(
            "SELECT DISTINCT left(s.area_code, 9) FROM {staging} AS s WHERE s.area_code IS NOT NULL"
        ).format(staging=sql.Identifier(staging))
    ).fetchall()
    towns = {str(r[0]) for r in rows}
    if not towns:
        return None
    for length in _LEVELS:
        prefixes = {t[:length] for t in towns}
        if len(prefixes) == 1:
            return prefixes.pop().ljust(12, "0")
    return None
