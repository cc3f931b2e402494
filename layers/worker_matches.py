"""Workers a staged file names by 工号 or by name: persons' responsible workers, visits' visitors.

A 工号 (``external_id``) names one worker anywhere, and so does a 手机号 (a worker without a 工号
is known by it, as the roster template says); a name, the worker of that name whose unit lies
in the staged row's township (:func:`match_workers`). A person's roster names the workers
who follow the person up (:func:`resolve_responsibles`, :func:`add_responsibles`); a file of
visits, its visitors (:mod:`layers.visit_checks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import ROW_COLUMN

_ROW = sql.Identifier(ROW_COLUMN)


@dataclass(frozen=True)
class UnmatchedWorkers:
    """Workers named in staged rows (by 工号 or name) that the database could not tell.

    Attributes
    ----------
    unknown : list of (int, str)
        Row and the 工号 or name no worker has (by name: in the row's township).
    ambiguous : list of (int, str, int)
        Row, the name, and how many workers of the row's township bear it.
    """

    unknown: list[tuple[int, str]]
    ambiguous: list[tuple[int, str, int]]


PHONE_FORM = sql.SQL(
    "regexp_replace(regexp_replace(normalize(t.token, NFKC), '[[:space:]()-]', '', 'g'),"
    " '^(\\+|00)?86(?=1[3-9][0-9]{9}$)', '')"
)
"""A token written as a phone number (``138-0000-0000``, ``+8613800000000``, full-width digits)
in the form workers' phones are stored in (:func:`importers.values.phone_numbers`)."""

RESPONSIBLE = "_responsible"
"""Staging column of persons: their responsible workers (工号 or names) joined by U+001F."""


def _responsibles_table(staging: str) -> sql.Identifier:
    return sql.Identifier(f"{staging}_responsibles")


def _persons_before(staging: str) -> sql.Identifier:
    """Return the TEMP table of the staged persons on record before the upsert, and their place.

    :func:`add_responsibles` tells by it the persons the upsert left as they were.
    """
    return sql.Identifier(f"{staging}_persons_before")


def match_workers(
    conn: psycopg.Connection[Any], staging: str, column: str, matches: sql.Identifier
) -> None:
    """Keep in TEMP table ``matches`` the workers each 工号 or name of ``column`` may be.

    One row per staged row and token (tokens joined by U+001F): ``row``, ``token`` and ``ids``,
    the workers of that 工号 (``external_id``) anywhere, else of that 手机号 anywhere (written
    as a roster writes it, :data:`PHONE_FORM`; trial AV M7: a worker imported without a 工号
    has none to write), else of that name whose unit lies in the staged row's township
    (``NULL`` when none).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table (with ``area_code`` and ``column``).
    column : str
        Its column of 工号 or names.
    matches : psycopg.sql.Identifier
        The TEMP table to (re)create.
    """
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(matches))
    conn.execute(  # hash joins: one pass over the workers, not one per token
        sql.SQL(
            "CREATE TEMP TABLE {m} AS WITH t AS ("
            " SELECT s.{row} AS row, t.token, left(s.area_code, 9) AS town, {phone} AS phone"
            " FROM {s} AS s CROSS JOIN LATERAL unnest(string_to_array(s.{r}, chr(31))) AS t(token)"
            " WHERE s.{r} IS NOT NULL),"
            " by_id AS (SELECT w.external_id AS token, array_agg(w.id ORDER BY w.id) AS ids"
            " FROM workers AS w WHERE w.external_id IN (SELECT token FROM t) GROUP BY 1),"
            " by_phone AS (SELECT w.phone, array_agg(w.id ORDER BY w.id) AS ids"
            " FROM workers AS w WHERE w.phone IN (SELECT phone FROM t) GROUP BY 1),"
            " by_name AS (SELECT w.name AS token, left(w.area_code, 9) AS town,"
            " array_agg(w.id ORDER BY w.id) AS ids FROM workers AS w"
            " WHERE w.name IN (SELECT token FROM t) GROUP BY 1, 2)"
            " SELECT t.row, t.token, coalesce(i.ids, p.ids, n.ids) AS ids FROM t"
            " LEFT JOIN by_id AS i ON i.token = t.token"
            " LEFT JOIN by_phone AS p ON p.phone = t.phone"
            " LEFT JOIN by_name AS n ON n.token = t.token AND n.town = t.town"
        ).format(
            m=matches,
            row=_ROW,
            s=sql.Identifier(staging),
            r=sql.Identifier(column),
            phone=PHONE_FORM,
        )
    )


def unmatched_workers(conn: psycopg.Connection[Any], matches: sql.Identifier) -> UnmatchedWorkers:
    """Return the tokens of :func:`match_workers` that name no worker, or several.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    matches : psycopg.sql.Identifier
        The TEMP table :func:`match_workers` filled.

    Returns
    -------
    UnmatchedWorkers
        The 工号 or names no worker has, and the names several workers share.
    """
    unknown = conn.execute(
        sql.SQL("SELECT row, token FROM {} WHERE ids IS NULL ORDER BY row, token").format(matches)
    ).fetchall()
    ambiguous = conn.execute(
        sql.SQL(
            "SELECT row, token, cardinality(ids) FROM {} WHERE cardinality(ids) > 1"
            " ORDER BY row, token"
        ).format(matches)
    ).fetchall()
    return UnmatchedWorkers(
        [(int(r), str(t)) for r, t in unknown],
        [(int(r), str(t), int(n)) for r, t, n in ambiguous],
    )


def resolve_responsibles(conn: psycopg.Connection[Any], staging: str) -> UnmatchedWorkers:
    """Find each staged person's responsible workers (:data:`RESPONSIBLE`) in ``workers``.

    A 工号 (``external_id``) names one worker anywhere; a name, the worker of that name whose
    unit lies in the person's township. The matches are kept in a TEMP table beside the staging
    table for :func:`add_responsibles` (dropped by :func:`drop_responsibles`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of persons, area codes filled in.

    Returns
    -------
    UnmatchedWorkers
        What could not be told.
    """
    matches = _responsibles_table(staging)
    match_workers(conn, staging, RESPONSIBLE, matches)
    before = _persons_before(staging)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(before))
    conn.execute(  # each row version's place: a row the upsert rewrites moves
        sql.SQL(
            "CREATE TEMP TABLE {b} AS SELECT p.id, p.ctid AS place FROM persons AS p"
            " JOIN {s} AS s ON p.category = s.category AND p.id_hash = s.id_hash"
        ).format(b=before, s=sql.Identifier(staging))
    )
    return unmatched_workers(conn, matches)


def left_responsibles(conn: psycopg.Connection[Any], staging: str) -> list[tuple[int, str, bool]]:
    """Return the responsible workers named by the staged persons who have left.

    Run after :func:`resolve_responsibles`. A worker who left is not made responsible for a
    person (:func:`add_responsibles`); one already responsible for the person stays so until a
    roster names someone else.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of persons.

    Returns
    -------
    list of (int, str, bool)
        Row, the 工号 or name, and whether the worker is already responsible for the person.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT m.row, m.token, EXISTS (SELECT 1 FROM person_responsibles AS r"
            " JOIN persons AS p ON p.id = r.person_id JOIN {s} AS s ON s.{row} = m.row"
            " WHERE r.worker_id = w.id AND p.category = s.category AND p.id_hash = s.id_hash)"
            " FROM {m} AS m JOIN workers AS w ON w.id = m.ids[1]"
            " WHERE cardinality(m.ids) = 1 AND w.status = 'left' ORDER BY m.row, m.token"
        ).format(m=_responsibles_table(staging), s=sql.Identifier(staging), row=_ROW)
    ).fetchall()
    return [(int(row), str(token), bool(linked)) for row, token, linked in rows]


def add_responsibles(conn: psycopg.Connection[Any], staging: str, duty: str | None) -> int:
    """Record the workers found by :func:`resolve_responsibles` as responsible for the persons.

    Run after the persons are written (new or already there): a pair already recorded stays as
    it is, so re-importing adds nothing twice. A roster says who follows each person it names
    up: a worker it no longer names for a person, under the same duty, is no longer
    responsible for that person (an empty cell says nothing; a name several workers of the
    township share keeps whichever of them is on record, a name no worker has adds nothing).
    A worker who has left is not made responsible (:func:`left_responsibles`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of persons (rejected rows deleted).
    duty : str or None
        What the file calls the responsibility (its header, e.g. 帮教责任人).

    Returns
    -------
    int
        Persons on record whose responsible workers changed while the upsert left their row as
        it was (it counted them unchanged: they are updated).
    """
    duty = duty[:50] if duty else None
    row = conn.execute(
        sql.SQL(
            "WITH added AS (INSERT INTO person_responsibles (person_id, worker_id, area_code, duty)"
            " SELECT DISTINCT p.id, m.ids[1], p.area_code, %s FROM {m} AS m"
            " JOIN {s} AS s ON s.{row} = m.row"
            " JOIN persons AS p ON p.category = s.category AND p.id_hash = s.id_hash"
            " JOIN workers AS w ON w.id = m.ids[1]"
            " WHERE cardinality(m.ids) = 1 AND w.status <> 'left'"
            " ON CONFLICT DO NOTHING RETURNING person_id),"
            " removed AS (DELETE FROM person_responsibles AS r USING {s} AS s"
            " JOIN persons AS p ON p.category = s.category AND p.id_hash = s.id_hash"
            " WHERE r.person_id = p.id AND r.duty IS NOT DISTINCT FROM %s AND s.{named} IS NOT NULL"
            " AND r.worker_id <> ALL(ARRAY(SELECT unnest(m.ids) FROM {m} AS m"
            " WHERE m.row = s.{row})) RETURNING r.person_id)"
            " SELECT count(*) FROM (SELECT person_id FROM added"
            " UNION SELECT person_id FROM removed) AS c JOIN {b} AS b ON b.id = c.person_id"
            " JOIN persons AS p ON p.id = b.id AND p.ctid = b.place"
        ).format(
            m=_responsibles_table(staging),
            s=sql.Identifier(staging),
            row=_ROW,
            named=sql.Identifier(RESPONSIBLE),
            b=_persons_before(staging),
        ),
        (duty, duty),
    ).fetchone()
    return int(row[0]) if row else 0


def drop_responsibles(conn: psycopg.Connection[Any], staging: str) -> None:
    """Drop the matches :func:`resolve_responsibles` kept beside ``staging``.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of persons.
    """
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(_responsibles_table(staging)))
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(_persons_before(staging)))
