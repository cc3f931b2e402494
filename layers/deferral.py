"""Deferred index and constraint upkeep for a load at least as large as the table it goes into.

PostgreSQL's advice for populating a database ("Populating a Database" in its manual): drop the
indexes and foreign keys, load, and recreate them. A sorted index build and one set-based
foreign-key validation cost a fraction of maintaining them row by row, once the incoming rows
are as many as the rows already there. :func:`defer` does that inside the caller's transaction:

* it locks the tables the loaded tables' foreign keys reference (``SHARE ROW EXCLUSIVE``), then
  the loaded tables (``ACCESS EXCLUSIVE``, in the order given), before touching anything, so
  nobody reads a table without its indexes and no concurrent writer can slip a row past the
  dropped checks;
* it drops every index except the primary key and the ones named as kept (the ``ON CONFLICT``
  arbiter), and every foreign key of the loaded tables.

:meth:`Deferred.restore` recreates all of it from the definitions read from the catalog
(``pg_get_indexdef``, ``pg_get_constraintdef``), so the schema comes back exactly as it was and
the foreign keys are validated against every row. DDL is transactional: if the load fails or
its client is killed, the rollback restores the indexes and the constraints. (A load of a
million cases is not a million live events either: an import's case events are quiet, see
:func:`layers.live.quiet_case_events`.)

The price is that readers and writers of the locked tables wait for the load's commit; that is
why :func:`worth_deferring` asks for at least as many incoming rows as the table holds (an
initial or a historical load), never a small daily import into a large table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

DEFAULT_MIN_ROWS = 50_000
"""Below this many incoming rows row-by-row upkeep is cheap enough: nothing is deferred."""

MAINTENANCE_WORK_MEM = "256MB"
"""Sort memory of the index builds (``SET LOCAL``, this transaction only)."""


@dataclass(frozen=True)
class Deferred:
    """What :func:`defer` dropped, to be put back by :meth:`restore`.

    Attributes
    ----------
    indexes : list of psycopg.sql.Composed
        Statements recreating the dropped indexes and unique constraints.
    foreign_keys : list of psycopg.sql.Composed
        Statements re-adding the dropped foreign keys (each validates every row).
    """

    indexes: list[sql.SQL | sql.Composed]
    foreign_keys: list[sql.SQL | sql.Composed]

    def restore(self, conn: psycopg.Connection[Any]) -> None:
        """Rebuild the indexes, re-add and validate the foreign keys.

        Parameters
        ----------
        conn : psycopg.Connection
            The connection of the transaction that called :func:`defer`.
        """
        conn.execute(
            sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(MAINTENANCE_WORK_MEM))
        )
        for statement in [*self.indexes, *self.foreign_keys]:
            conn.execute(statement)


def worth_deferring(
    conn: psycopg.Connection[Any], table: str, incoming: int, min_rows: int = DEFAULT_MIN_ROWS
) -> bool:
    """Whether a load of ``incoming`` rows should defer ``table``'s index and key upkeep.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    table : str
        The table loaded.
    incoming : int
        Rows about to be inserted.
    min_rows : int
        Smallest load worth it.

    Returns
    -------
    bool
        True when ``incoming >= min_rows`` and the table holds fewer rows than ``incoming``
        (counted up to ``incoming`` only, so the question costs at most the load's size).
        Asking about a load of ``min_rows`` or more takes a transaction-level advisory lock
        per table, so that large loads of one table run one after the other.
    """
    if incoming <= 0 or incoming < min_rows:
        return False
    # Two large loads would each read the table, then each wait for the other's share of it
    # to take it whole: large loads of one table take turns instead.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"zongzhi.bulk_load.{table}",))
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT %s) AS existing").format(
            sql.Identifier(table)
        ),
        (incoming,),
    ).fetchone()
    return row is not None and int(row[0]) < incoming


_INDEXES = sql.SQL(
    """
    SELECT ci.relname, pg_get_indexdef(i.indexrelid), con.conname, con.contype,
           pg_get_constraintdef(con.oid),
           ARRAY(SELECT a.attname::text FROM unnest(i.indkey) AS k(attnum)
                 JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
      FROM pg_index AS i
      JOIN pg_class AS ci ON ci.oid = i.indexrelid
      LEFT JOIN pg_constraint AS con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
     WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
       AND NOT EXISTS (SELECT 1 FROM pg_constraint AS f
                        WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
     ORDER BY ci.relname
    """
)

_FOREIGN_KEYS = sql.SQL(
    """
    SELECT conname, pg_get_constraintdef(oid), confrelid::regclass::text
      FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname
    """
)


def defer(
    conn: psycopg.Connection[Any],
    tables: Sequence[str],
    *,
    keep: Mapping[str, Sequence[str]] | None = None,
) -> Deferred:
    """Lock ``tables``, drop their secondary indexes and foreign keys.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    tables : sequence of str
        Tables about to be loaded, in lock order.
    keep : mapping, optional
        Table → columns of a unique index to keep (the ``ON CONFLICT`` arbiter).

    Returns
    -------
    Deferred
        How to put everything back (call :meth:`Deferred.restore` before committing).
    """
    foreign: list[tuple[str, str, str, str]] = []
    for table in tables:
        for name, definition, referenced in conn.execute(_FOREIGN_KEYS, (table,)).fetchall():
            foreign.append((table, str(name), str(definition), str(referenced)))
    # Referenced tables first: transactions that write them (an import's run, a login) do so
    # before they touch the loaded tables, so taking them in this order cannot deadlock.
    others = sorted({r for *_, r in foreign} - set(tables))
    if others:
        conn.execute(
            sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(
                sql.SQL(", ").join(sql.SQL(r) for r in others)
            )
        )
    conn.execute(
        sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in tables)
        )
    )
    indexes: list[sql.SQL | sql.Composed] = []
    for table in tables:
        kept = sorted((keep or {}).get(table, ()))
        rows = conn.execute(_INDEXES, (table,)).fetchall()
        for name, index_def, constraint, kind, constraint_def, columns in rows:
            if kept and sorted(columns) == kept and kind in (None, "u"):
                continue
            if kind == "x":
                continue
            if constraint is not None:
                conn.execute(
                    sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                        sql.Identifier(table), sql.Identifier(constraint)
                    )
                )
                indexes.append(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        sql.Identifier(table), sql.Identifier(constraint), sql.SQL(constraint_def)
                    )
                )
            else:
                conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
                indexes.append(sql.SQL(index_def))
    foreign_keys: list[sql.SQL | sql.Composed] = []
    for table, name, definition, _ in foreign:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
        foreign_keys.append(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
            )
        )
    return Deferred(indexes, foreign_keys)
