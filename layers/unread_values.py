"""Staged rows that left out an unreadable optional value: their record keeps its own.

A camera list's 摄像机类型 ``飞碟`` or 在线状态 ``坏了吗`` cannot be read; the row still loads
(:meth:`importers.rules.RowChecks.leave_out_unread`), staged with the field's default and the
names of the fields it left out in the helper column :data:`UNREAD`. Before the upsert, one
statement gives each such row that updates a record on file that record's values of those
fields: the record keeps what it had, and a new record gets the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

UNREAD = "_unread"
"""Helper column: the optional fields a staged row left out, comma-separated (NULL: none)."""


def keep_recorded(
    conn: psycopg.Connection[Any],
    staging: str,
    table: str,
    key: Sequence[str],
    fields: Sequence[str],
) -> int:
    """Give the staged rows the record's value of each field they left out.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table, with the helper column :data:`UNREAD`.
    table : str
        The real table.
    key : sequence of str
        Natural key columns, matched with ``=``.
    fields : sequence of str
        The staged columns a row may have left out.

    Returns
    -------
    int
        The staged rows given their record's values.
    """
    if not fields:
        return 0
    left = sql.SQL("string_to_array(s.{}, ',')").format(sql.Identifier(UNREAD))
    values = sql.SQL(", ").join(
        sql.SQL("CASE WHEN {name} = ANY({left}) THEN t.{c} ELSE s.{c} END").format(
            name=sql.Literal(f), left=left, c=sql.Identifier(f)
        )
        for f in fields
    )
    matched = sql.SQL(" AND ").join(
        sql.SQL("t.{k} = s.{k}").format(k=sql.Identifier(k)) for k in key
    )
    query = sql.SQL(
        "UPDATE {staging} AS s SET ({columns}) = ROW({values}) FROM {table} AS t"
        " WHERE s.{unread} IS NOT NULL AND {matched}"
    ).format(
        staging=sql.Identifier(staging),
        columns=sql.SQL(", ").join(map(sql.Identifier, fields)),
        values=values,
        table=sql.Identifier(table),
        unread=sql.Identifier(UNREAD),
        matched=matched,
    )
    return conn.execute(query).rowcount
