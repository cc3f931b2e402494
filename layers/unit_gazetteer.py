"""The jurisdictions a name may mean, read into a gazetteer: one reader for the console and imports.

An importer's rows (:class:`importers.names.Directories`) and a person registered in the console
(:mod:`layers.person_village`) name their village in words; both find it in a
:class:`geo.places.Gazetteer` of the database's jurisdictions, read here. Retired units are read
too, with the day they were retired and the live unit their chain of successors leads to
(:func:`layers.import_checks.live_successors`): a file of years names them, and a registration
naming one is refused with the unit that took it over. The importer holds a psycopg connection
in its load's transaction, the console a SQLAlchemy session: either is taken.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from geo.codes import scope_range
from geo.places import Gazetteer, Place
from layers.import_checks import live_successors

Readable = Session | Connection | psycopg.Connection[Any]
"""What the gazetteer is read through: a session, a SQLAlchemy connection or a psycopg one."""


def _psycopg(conn: Readable) -> psycopg.Connection[Any]:
    """Return the psycopg connection under ``conn``, in its transaction."""
    if isinstance(conn, psycopg.Connection):
        return conn
    if isinstance(conn, Session):
        conn = conn.connection()
    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("a psycopg 3 connection is needed")
    return raw


def unit_places(conn: Readable, scope_code: str | None = None) -> list[Place]:
    """Return the jurisdictions, live and retired, each with its live successor.

    Parameters
    ----------
    conn : Session, sqlalchemy.Connection or psycopg.Connection
        Connection in the caller's transaction (row-level security applies).
    scope_code : str, optional
        Only the units of this scope and those above it (the county and city above too, so
        that ``华宁县宁州街道…`` is read as written); ``None``: every unit.

    Returns
    -------
    list of Place
        By code; a retired unit carries its ``retired_on`` and the live unit its chain of
        successors leads to (``None`` when none does, or row-level security hides it).
    """
    lo, hi = scope_range(scope_code) if scope_code is not None else ("", "")
    above = [lo[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(lo)]
    rows = (
        _psycopg(conn)
        .execute(
            sql.SQL(
                "SELECT j.code, j.name, j.level, j.parent_code, j.retired_on, s.live"
                " FROM jurisdictions AS j LEFT JOIN ({chain}) AS s ON s.code = j.code"
                " WHERE %(all)s OR (j.code >= %(lo)s AND j.code < %(hi)s)"
                " OR j.code = ANY(%(above)s) ORDER BY j.code"
            ).format(chain=live_successors("jurisdictions")),
            {"all": scope_code is None, "lo": lo, "hi": hi, "above": above},
        )
        .fetchall()
    )
    return [
        Place(
            str(code), str(name), int(level), parent, retired, None if live is None else str(live)
        )
        for code, name, level, parent, retired, live in rows
    ]


def read_gazetteer(conn: Readable, scope_code: str | None = None) -> Gazetteer:
    """Return the gazetteer of the jurisdictions (of a scope and those above it).

    Parameters
    ----------
    conn : Session, sqlalchemy.Connection or psycopg.Connection
        Connection in the caller's transaction.
    scope_code : str, optional
        The scope (a registrar's); ``None``: every unit (an import's).

    Returns
    -------
    Gazetteer
        The units of :func:`unit_places`, found by name.
    """
    return Gazetteer(unit_places(conn, scope_code))
