"""The database checks of a file of visits (走访记录): whose visit, by whom, once.

Each staged visit finds its person by resident ID hash and category
(:func:`resolve_visit_people`), then its visitors (:func:`resolve_visitors`); a joint visit is
one visit per visitor (:func:`split_joint_visits`). A visit is a person's, on a day, by a visitor:
a file naming one twice, or a row matching two visits on record, is refused
(:func:`repeated_visits`, :func:`visits_matched_twice`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import ROW_COLUMN, staged_columns
from layers.import_checks import any_retired_bounded
from layers.worker_matches import UnmatchedWorkers, match_workers, unmatched_workers

_ROW = sql.Identifier(ROW_COLUMN)


def resolve_visit_people(conn: psycopg.Connection[Any], staging: str) -> None:
    """Fill staged visits' person (and area code) from the database.

    The person is the one with the visit's resident ID hash (``_id_hash``) and, when given, its
    category (``_category``), the lowest id first. Rows with no match keep ``person_id`` empty.
    The visitor is found afterwards, in the person's township (:func:`resolve_visitors`).

    A visit is recorded in the person's unit, unless it was made before a re-division: a visit
    dated before the retirement of a unit of that level of the county around its point (else
    the person's residence) is recorded in that unit, as it happened
    (:data:`layers.import_checks.EVENT_DAYS`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits.
    """
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET person_id = p.id, area_code = p.area_code FROM ("
            "SELECT DISTINCT ON (id_hash, category) id, id_hash, category, area_code "
            "FROM persons ORDER BY id_hash, category, id) AS p "
            "WHERE p.id_hash = s._id_hash AND (s._category IS NULL OR p.category = s._category)"
        ).format(s=sql.Identifier(staging))
    )
    if not any_retired_bounded(conn, "jurisdictions"):
        return
    point = sql.SQL(
        "coalesce(t.point, p.residence)" if _has_point(conn, staging) else "p.residence"
    )
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET area_code = f.code FROM ("
            " SELECT DISTINCT ON (t.{row}) t.{row} AS row, j.code FROM {s} AS t"
            " JOIN persons AS p ON p.id = t.person_id"
            " JOIN jurisdictions AS a ON a.code = p.area_code"
            " JOIN jurisdictions AS j ON j.retired_on > t.visited_on AND j.level = a.level"
            " AND left(j.code, 6) = left(a.code, 6) AND ST_Covers(j.boundary, {point})"
            " ORDER BY t.{row}, j.retired_on, j.code) AS f WHERE s.{row} = f.row"
        ).format(s=sql.Identifier(staging), row=_ROW, point=point)
    )


def categories_on_record(
    conn: psycopg.Connection[Any],
    staging: str,
    rows: Sequence[int],
    area: tuple[str, str] | None = None,
) -> dict[int, list[str]]:
    """Return, for staged visits that found no person, the categories their ID is on record in.

    A row whose 人员类别 is not the person's finds nobody; telling the clerk to import the
    person would register them a second time, under that category (trial AB). A file imported
    for a jurisdiction is told the categories on record inside it only (trial AJ S3).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits.
    rows : sequence of int
        The rows without a person.
    area : tuple of str, optional
        The jurisdiction the file is imported for, ``(lo, hi)``: only the persons in it count.

    Returns
    -------
    dict
        Row → category codes of the persons on record with its resident ID (rows with none
        are left out).
    """
    if not rows:
        return {}
    inside = (
        sql.SQL(" AND p.area_code >= {lo} AND p.area_code < {hi}").format(
            lo=sql.Literal(area[0]), hi=sql.Literal(area[1])
        )
        if area is not None
        else sql.SQL("")
    )
    found = conn.execute(
        sql.SQL(
            "SELECT s.{row}, array_agg(DISTINCT p.category ORDER BY p.category) FROM {s} AS s"
            " JOIN persons AS p ON p.id_hash = s._id_hash{inside}"
            " WHERE s.{row} = ANY(%(rows)s) GROUP BY s.{row}"
        ).format(s=sql.Identifier(staging), row=_ROW, inside=inside),
        {"rows": list(rows)},
    ).fetchall()
    return {int(row): list(categories) for row, categories in found}


def _has_point(conn: psycopg.Connection[Any], staging: str) -> bool:
    """Whether staged visits have a ``point`` (generated from the file's lon/lat)."""
    found = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = %s::regclass"
        " AND attname = 'point' AND NOT attisdropped)",
        (staging,),
    ).fetchone()
    return found == (True,)


VISITOR = "_visitor"
"""Staging column of visits: the visitor's 工号 or name (a joint visit's, joined by U+001F)."""


def joint_visit_counts(
    conn: psycopg.Connection[Any], staging: str, refused: Sequence[int] = ()
) -> tuple[int, int]:
    """Count the staged rows that still make several visits, and those visits.

    What the summary says of joint visits once the companions who are no worker are dropped
    (trial AL: 共 2 条 said of a row whose companion was no worker, one visit stored).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits, joint visits split (:func:`split_joint_visits`).
    refused : sequence of int
        Rows refused: not counted.

    Returns
    -------
    tuple of int
        Rows of several visits, and the visits they make.
    """
    row = conn.execute(
        sql.SQL(
            "SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {s}"
            " WHERE {row} <> ALL(%s::int[]) GROUP BY {row} HAVING count(*) > 1) AS j"
        ).format(s=sql.Identifier(staging), row=_ROW),
        (list(refused),),
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def split_joint_visits(conn: psycopg.Connection[Any], staging: str) -> tuple[int, int]:
    """Make each staged joint visit (several visitors in one row) one staged visit per visitor.

    The row's other visitors get copies of its staged row, under the same row number: a
    problem found on the row refuses all of its visits, and each visit is matched with those on
    record by its own visitor.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits (:data:`VISITOR` holding each row's visitors).

    Returns
    -------
    tuple of int
        Rows of several visitors, and the visits they now make.
    """
    s = sql.Identifier(staging)
    columns = list(staged_columns(conn, s.as_string(conn)))
    values = [
        sql.SQL("t.token") if c == VISITOR else sql.SQL("s.{}").format(sql.Identifier(c))
        for c in columns
    ]
    row = conn.execute(
        sql.SQL(
            "WITH added AS (INSERT INTO {s} ({cols}) SELECT {values} FROM {s} AS s"
            " CROSS JOIN LATERAL unnest(string_to_array(s.{v}, chr(31))) WITH ORDINALITY"
            " AS t(token, n) WHERE t.n > 1 RETURNING {row})"
            " SELECT count(DISTINCT {row}), count(*) FROM added"
        ).format(
            s=s,
            cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
            values=sql.SQL(", ").join(values),
            v=sql.Identifier(VISITOR),
            row=_ROW,
        )
    ).fetchone()
    conn.execute(
        sql.SQL(
            "UPDATE {s} SET {v} = split_part({v}, chr(31), 1) WHERE strpos({v}, chr(31)) > 0"
        ).format(s=s, v=sql.Identifier(VISITOR))
    )
    rows, added = (int(row[0]), int(row[1])) if row else (0, 0)
    return rows, rows + added


def resolve_visitors(conn: psycopg.Connection[Any], staging: str) -> UnmatchedWorkers:
    """Fill staged visits' visitor: the worker of the 工号 or name :data:`VISITOR` gives.

    As a person's responsible workers (:func:`resolve_responsibles`): a 工号 names one worker
    anywhere; a name, the worker of that name whose unit lies in the visited person's township
    (run after :func:`resolve_visit_people`). A name two workers of the township share gives no
    visitor.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits, persons found.

    Returns
    -------
    UnmatchedWorkers
        The visitors that could not be told.
    """
    matches = sql.Identifier(f"{staging}_visitors")
    match_workers(conn, staging, VISITOR, matches)
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET visitor_id = m.ids[1] FROM {m} AS m"
            " WHERE m.row = s.{row} AND m.token = s.{v} AND cardinality(m.ids) = 1"
        ).format(s=sql.Identifier(staging), m=matches, row=_ROW, v=sql.Identifier(VISITOR))
    )
    conn.execute(  # one worker named twice in a row (工号 and name) visited once
        sql.SQL(
            "DELETE FROM {s} AS a USING {s} AS b WHERE a.{row} = b.{row}"
            " AND a.visitor_id = b.visitor_id AND a.ctid > b.ctid"
        ).format(s=sql.Identifier(staging), row=_ROW)
    )
    unmatched = unmatched_workers(conn, matches)
    conn.execute(sql.SQL("DROP TABLE {}").format(matches))
    return unmatched


def drop_unknown_companions(
    conn: psycopg.Connection[Any], staging: str, unknown: Sequence[tuple[int, str]]
) -> list[tuple[int, str]]:
    """Drop the staged visits of a joint visit's companions who are no worker; return them.

    A 网格员 who visited with a 派出所 officer or a 司法所 clerk (no worker of the platform) made
    a visit all the same: the row's visits by workers stay, and only the companion's copy of
    the row goes. A row none of whose visitors is a worker keeps its copies (it is refused).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits, visitors found (:func:`resolve_visitors`).
    unknown : sequence of (int, str)
        Row number and visitor as written, of the visitors no worker is.

    Returns
    -------
    list of (int, str)
        Those dropped: companions of a worker on a joint visit.
    """
    dropped = conn.execute(
        sql.SQL(
            "DELETE FROM {s} AS s USING unnest(%s::int[], %s::text[]) AS u(r, token)"
            " WHERE s.{row} = u.r AND s.{v} = u.token AND s.visitor_id IS NULL"
            " AND EXISTS (SELECT 1 FROM {s} AS w WHERE w.{row} = s.{row}"
            " AND w.visitor_id IS NOT NULL) RETURNING s.{row}, s.{v}"
        ).format(s=sql.Identifier(staging), row=_ROW, v=sql.Identifier(VISITOR)),
        ([r for r, _ in unknown], [t for _, t in unknown]),
    ).fetchall()
    return sorted((int(r), str(t)) for r, t in dropped)


def repeated_visits(
    conn: psycopg.Connection[Any], staging: str, rejected: Sequence[int] = ()
) -> list[tuple[int, int]]:
    """Return the staged visits that are an earlier staged row's visit, with that row.

    Run once persons and visitors are found (:func:`resolve_visitors`): a visit is a person's,
    on a day, by a visitor (none: a visit of that day), whatever resident ID's writing, 工号 or
    name the file gives them. ``person_visits`` has no unique index on that key, so the
    import, which matches visits on it, refuses a file that names one visit twice.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits, persons and visitors found.
    rejected : sequence of int
        Rows already refused (they repeat nothing).

    Returns
    -------
    list of (int, int)
        Row number, and the number of the first row of the same visit.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT r, f FROM (SELECT {row} AS r, first_value({row}) OVER ("
            "PARTITION BY person_id, visited_on, visitor_id ORDER BY {row}) AS f FROM {s} "
            "WHERE person_id IS NOT NULL AND visited_on IS NOT NULL AND {row} <> ALL(%s)) AS v "
            "WHERE r <> f ORDER BY r"
        ).format(s=sql.Identifier(staging), row=_ROW),
        (list(rejected),),
    ).fetchall()
    return [(int(row), int(first)) for row, first in rows]


def visits_matched_twice(
    conn: psycopg.Connection[Any], staging: str, key: Sequence[str], rejected: Sequence[int] = ()
) -> list[tuple[int, int]]:
    """Return the staged visits whose ``key`` matches several visits on record, and how many.

    The import matches visits on a key no unique index enforces (person and day, and the
    visitor when the file names visitors: :func:`importers.kinds.persons.visit_key`). A row that
    matches two visits, a file without 走访人 correcting a day of two visitors, cannot say
    which one it corrects (and would overwrite both): it is refused.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name of visits, persons and visitors found.
    key : sequence of str
        The columns staged visits are matched on.
    rejected : sequence of int
        Rows already refused (they correct nothing).

    Returns
    -------
    list of (int, int)
        Row number, and the visits on record it matches (two or more).
    """
    match = sql.SQL(" AND ").join(
        sql.SQL("v.{c} IS NOT DISTINCT FROM s.{c}").format(c=sql.Identifier(c)) for c in key
    )
    rows = conn.execute(
        sql.SQL(
            "SELECT DISTINCT ON (r) r, n FROM (SELECT s.{row} AS r, count(*) AS n"
            " FROM {s} AS s JOIN person_visits AS v"
            " ON v.person_id = s.person_id AND v.visited_on = s.visited_on AND {match}"
            " WHERE s.{row} <> ALL(%s) GROUP BY s.ctid, s.{row} HAVING count(*) > 1) AS m"
            " ORDER BY r, n DESC"
        ).format(s=sql.Identifier(staging), row=_ROW, match=match),
        (list(rejected),),
    ).fetchall()
    return [(int(row), int(n)) for row, n in rows]
