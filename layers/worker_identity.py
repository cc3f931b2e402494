"""Which worker on record a roster row without a 工号 names.

A township's 网格员花名册 rarely has 工号: a row names its worker by name and phone. Next month's
roster gives the same worker a new phone number when it changed, and a match on name and phone
alone would register them again, beside themselves, in dispatch lists and responsibilities. So a
row that no worker matches by name and phone names the only worker of its name in its grid, if
there is one and no other row of the file names that worker.

:func:`recognise_workers` writes the worker's ``id`` into the staged row; the upsert then matches
on ``id`` (:data:`NEW_ID` gives the rows it leaves empty a new one), and a new phone number is an
update like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import ROW_COLUMN

NEW_ID = sql.SQL("coalesce(s.id, nextval(pg_get_serial_sequence('workers', 'id')::regclass))")
"""The id a staged worker is written with: the one recognised, else a new one."""


def recognise_workers(conn: psycopg.Connection[Any], staging: str) -> int:
    """Set each staged worker's ``id`` to the worker on record its row names.

    First by name and phone (the lowest id, should two workers share both); then, for the rows
    still unmatched, by name and grid: the only worker of that name in the row's grid, when no
    other row of the file is matched or could be matched to that worker.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of workers without 工号 (``id``, ``name``, ``phone``, ``home_grid``).

    Returns
    -------
    int
        Rows recognised by name and grid only (their worker's phone number changes).
    """
    staged = sql.Identifier(staging)
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET id = (SELECT min(w.id) FROM workers AS w"
            " WHERE w.name = s.name AND w.phone = s.phone)"
        ).format(s=staged)
    )
    return conn.execute(
        sql.SQL(
            "WITH candidates AS ("
            " SELECT s.{row} AS row, w.id,"
            " count(*) OVER (PARTITION BY s.{row}) AS per_row,"
            " count(*) OVER (PARTITION BY w.id) AS per_worker"
            " FROM {s} AS s JOIN workers AS w ON w.name = s.name AND w.home_grid = s.home_grid"
            " WHERE s.id IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM {s} AS named WHERE named.id = w.id))"
            " UPDATE {s} AS s SET id = c.id FROM candidates AS c"
            " WHERE s.{row} = c.row AND c.per_row = 1 AND c.per_worker = 1"
        ).format(s=staged, row=sql.Identifier(ROW_COLUMN))
    ).rowcount


@dataclass(frozen=True)
class Recognition:
    """How staged rows find the row on record they name by more than one natural key.

    Attributes
    ----------
    resolve : callable
        ``(conn, staging) -> int``: writes each staged row's ``id`` (the row on record it
        names, or NULL); returns how many were found only by the weaker key.
    new_id : psycopg.sql.Composable
        The ``id`` a staged row ``s`` is written with.
    note : str
        What the import's summary says of the rows found by the weaker key (``{n}``: their
        number).
    """

    resolve: Callable[[psycopg.Connection[Any], str], int]
    new_id: sql.Composable
    note: str


BY_NAME_OR_GRID = Recognition(
    recognise_workers,
    NEW_ID,
    "{n} 名网格员的手机号与库中不同，按姓名和所属网格认出是同一人，已改为本文件的手机号",
)
"""Workers without 工号: by name and phone, else by name and grid (a new phone number)."""
