"""Bulk loading of any table: COPY into a TEMP staging table, then one INSERT … SELECT upsert.

All of it runs on the caller's psycopg connection inside the caller's transaction, so a load is
atomic: killed halfway, nothing of it remains (the staging table is dropped at commit or with
the session). Geometry travels through COPY as hex EWKB (SRID included), which PostGIS parses
on input into the staging table's geometry column.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from sqlalchemy import Table

ROW_COLUMN = "_row"
"""Staging column carrying the source row number (for reports and ordering)."""


@dataclass(frozen=True)
class UpsertCounts:
    """What an upsert did.

    Attributes
    ----------
    inserted : int
        New rows.
    updated : int
        Existing rows whose values changed.
    unchanged : int
        Staged rows that matched an existing row with the same values (or were skipped as
        already present in insert-only mode).
    """

    inserted: int
    updated: int
    unchanged: int


def _ident_list(names: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def create_staging(
    conn: psycopg.Connection[Any],
    table: Table,
    columns: Sequence[str],
    name: str,
    extra: Mapping[str, str] | None = None,
) -> str:
    """Create a TEMP staging table with ``columns`` of ``table`` (same types) plus ``_row``.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    table : sqlalchemy.Table
        The real table.
    columns : sequence of str
        Its columns to stage.
    name : str
        Name of the staging table (dropped at commit).
    extra : mapping, optional
        Helper columns to add (name → SQL type), e.g. ``{"_id_hash": "bytea"}``.

    Returns
    -------
    str
        ``name``.

    Raises
    ------
    KeyError
        If a column is not in ``table``.
    """
    for column in columns:
        if column not in table.c:
            raise KeyError(f"{table.name} has no column {column!r}")
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
        ).format(
            name=sql.Identifier(name), cols=_ident_list(columns), table=sql.Identifier(table.name)
        )
    )
    helpers = {ROW_COLUMN: "integer", **(extra or {})}
    conn.execute(
        sql.SQL("ALTER TABLE {name} {adds}").format(
            name=sql.Identifier(name),
            adds=sql.SQL(", ").join(
                sql.SQL("ADD COLUMN {} {}").format(sql.Identifier(c), sql.SQL(t))
                for c, t in helpers.items()
            ),
        )
    )
    return name


def copy_frame(
    conn: psycopg.Connection[Any],
    staging: str,
    frame: pd.DataFrame,
    *,
    batch_rows: int = 100_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """COPY a data frame into the staging table, in CSV batches.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    frame : pandas.DataFrame
        Columns named like the staging columns (``_row`` included); ``None``/NaN become NULL,
        geometry columns hold hex EWKB strings.
    batch_rows : int
        Rows per batch (memory bound; the whole COPY is one statement).
    progress : callable, optional
        Called with the number of rows of each batch once it is sent.

    Returns
    -------
    int
        Rows copied.
    """
    statement = sql.SQL("COPY {staging} ({cols}) FROM STDIN (FORMAT csv)").format(
        staging=sql.Identifier(staging), cols=_ident_list([str(c) for c in frame.columns])
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(frame), batch_rows):
            batch = frame.iloc[start : start + batch_rows]
            buffer = io.StringIO()
            batch.to_csv(buffer, header=False, index=False, na_rep="")
            copy.write(buffer.getvalue())
            if progress is not None:
                progress(len(batch))
    return len(frame)


def upsert(
    conn: psycopg.Connection[Any],
    table: Table,
    staging: str,
    columns: Sequence[str],
    key: Sequence[str],
    *,
    update: bool,
    conflict: bool = True,
    follow_up: sql.Composable | None = None,
) -> UpsertCounts:
    """Move the staged rows into ``table``, matching existing rows on their natural ``key``.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    table : sqlalchemy.Table
        The real table.
    staging : str
        Staging table name.
    columns : sequence of str
        Columns to write (the key included).
    key : sequence of str
        Natural key columns.
    update : bool
        Update matched rows whose values differ (reference data), or leave them as they are
        (records with a life of their own, such as cases).
    conflict : bool
        ``key`` has a unique index: use ``INSERT … ON CONFLICT``. Otherwise the match is made
        with ``IS NOT DISTINCT FROM`` (an ``UPDATE … FROM`` then ``INSERT … WHERE NOT EXISTS``).
    follow_up : psycopg.sql.Composable, optional
        A data-modifying statement run on the newly inserted rows, written against a CTE named
        ``inserted`` (all columns of ``table``), e.g. the first event of each imported case.
        Only with ``conflict=True``.

    Returns
    -------
    UpsertCounts
        Inserted, updated and unchanged rows.
    """
    staged = _count(conn, staging)
    if not conflict:
        return _upsert_by_match(conn, table, staging, columns, key, update=update, staged=staged)
    cols = _ident_list(columns)
    others = [c for c in columns if c not in key]
    action: sql.Composable
    if update and others:
        action = sql.SQL(
            "DO UPDATE SET ({others}) = ROW({excluded}) "
            "WHERE ({current}) IS DISTINCT FROM ({excluded})"
        ).format(
            others=_ident_list(others),
            excluded=sql.SQL(", ").join(
                sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in others
            ),
            current=sql.SQL(", ").join(
                sql.SQL("{}.{}").format(sql.Identifier(table.name), sql.Identifier(c))
                for c in others
            ),
        )
    else:
        action = sql.SQL("DO NOTHING")
    insert = sql.SQL(
        "INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} ORDER BY {row} "
        "ON CONFLICT ({key}) {action} RETURNING {returning}(xmax = 0) AS _inserted"
    ).format(
        table=sql.Identifier(table.name),
        cols=cols,
        staging=sql.Identifier(staging),
        row=sql.Identifier(ROW_COLUMN),
        key=_ident_list(key),
        action=action,
        returning=sql.SQL("*, " if follow_up is not None else ""),
    )
    ctes: list[sql.Composable] = [sql.SQL("upserted AS ({})").format(insert)]
    if follow_up is not None:
        ctes.append(sql.SQL("inserted AS (SELECT * FROM upserted WHERE _inserted)"))
        ctes.append(sql.SQL("follow_up AS ({})").format(follow_up))
    query = sql.SQL(
        "WITH {ctes} SELECT count(*) FILTER (WHERE _inserted), "
        "count(*) FILTER (WHERE NOT _inserted) FROM upserted"
    ).format(ctes=sql.SQL(", ").join(ctes))
    row = conn.execute(query).fetchone()
    inserted, updated = (int(row[0]), int(row[1])) if row else (0, 0)
    return UpsertCounts(inserted, updated, staged - inserted - updated)


def _count(conn: psycopg.Connection[Any], staging: str) -> int:
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(staging))
    ).fetchone()
    return int(row[0]) if row else 0


def _upsert_by_match(
    conn: psycopg.Connection[Any],
    table: Table,
    staging: str,
    columns: Sequence[str],
    key: Sequence[str],
    *,
    update: bool,
    staged: int,
) -> UpsertCounts:
    target = sql.Identifier(table.name)
    source = sql.Identifier(staging)
    match = sql.SQL(" AND ").join(
        sql.SQL("t.{c} IS NOT DISTINCT FROM s.{c}").format(c=sql.Identifier(c)) for c in key
    )
    others = [c for c in columns if c not in key]
    updated = 0
    if update and others:
        cursor = conn.execute(
            sql.SQL(
                "UPDATE {target} AS t SET ({others}) = ROW({new}) FROM {source} AS s "
                "WHERE {match} AND ({old}) IS DISTINCT FROM ({new})"
            ).format(
                target=target,
                source=source,
                others=_ident_list(others),
                new=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in others),
                old=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in others),
                match=match,
            )
        )
        updated = cursor.rowcount
    cursor = conn.execute(
        sql.SQL(
            "INSERT INTO {target} ({cols}) SELECT {scols} FROM {source} AS s "
            "WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {match}) ORDER BY s.{row}"
        ).format(
            target=target,
            source=source,
            cols=_ident_list(columns),
            scols=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in columns),
            match=match,
            row=sql.Identifier(ROW_COLUMN),
        )
    )
    inserted = cursor.rowcount
    return UpsertCounts(inserted, updated, staged - inserted - updated)
