"""Database side of loading a demo county: clear its earlier rows, then write the new ones.

Every function runs in the caller's transaction and never commits. :func:`delete_county` removes
a county's rows in dependency order (the append-only trigger of ``case_events`` is disabled for
that delete only, which needs the table owner's role). The writers take plain values: geometry
as hex EWKB with SRID 4490, rows in the order of the columns named. :func:`reserve_ids` hands
out row ids from a table's identity sequence first, so that foreign keys can be written in the
same pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from psycopg import sql
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers.database import psycopg_connection

JurisdictionRow = tuple[str, str, int, str | None, str, str]
"""``(code, name, level, parent_code, boundary as hex EWKB, source)`` of one jurisdiction."""

#: Tables with an ``area_code``, children first: the order of the county delete.
_SCOPED_DELETE = (
    "alerts",
    "hotspot_cells",
    "hotspot_runs",
    "case_events",
    "dispatches",
    "cases",
    "person_visits",
    "person_responsibles",
    "persons",
    "erased_persons",
    "worker_positions",
    "video_points",
)


def delete_county(session: Session, county_code: str, usernames: Sequence[str] = ()) -> None:
    """Delete every row of a county (and the named demo users), children first.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session inside a transaction, scope = all.
    county_code : str
        12-digit county code.
    usernames : sequence of str
        Accounts to remove as well (the demo's province- and city-level logins).
    """
    conn = psycopg_connection(session)
    lo, hi = scope_range(county_code)
    rng = {"lo": lo, "hi": hi}
    area = "area_code >= %(lo)s AND area_code < %(hi)s"
    # every foreign-key column has an index (migration 0004): deleting parents finds children fast
    doomed_users = (
        "(SELECT id FROM users WHERE (scope_code >= %(lo)s AND scope_code < %(hi)s) "
        "OR username = ANY(%(names)s))"
    )
    params = {**rng, "names": list(usernames)}
    for table, column in (
        ("dispatches", "assigned_by"),
        ("hotspot_runs", "created_by"),
        ("alerts", "acknowledged_by"),
    ):
        conn.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} IN {doomed_users}", params)
    has_events = conn.execute(f"SELECT 1 FROM case_events WHERE {area} LIMIT 1", rng).fetchone()
    if has_events:
        conn.execute("ALTER TABLE case_events DISABLE TRIGGER append_only")
        conn.execute(f"DELETE FROM case_events WHERE {area}", rng)
        conn.execute("ALTER TABLE case_events ENABLE TRIGGER append_only")
    for table in _SCOPED_DELETE:
        if table != "case_events":
            conn.execute(f"DELETE FROM {table} WHERE {area}", rng)
    conn.execute(f"DELETE FROM users WHERE id IN {doomed_users}", params)
    conn.execute(f"UPDATE grids SET leader_id = NULL WHERE {area}", rng)
    conn.execute(f"DELETE FROM workers WHERE {area}", rng)
    conn.execute(f"DELETE FROM grids WHERE {area}", rng)
    conn.execute(
        "DELETE FROM jurisdictions WHERE code >= %(lo)s AND code < %(hi)s AND level > 3", rng
    )


def upsert_jurisdictions(session: Session, rows: Iterable[JurisdictionRow]) -> None:
    """Insert jurisdictions one by one, or overwrite the ones already there.

    For the few units other counties share (province, city) and the county itself.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session inside a transaction.
    rows : iterable of JurisdictionRow
        ``(code, name, level, parent_code, boundary as hex EWKB, source)``, written in order.
    """
    conn = psycopg_connection(session)
    for row in rows:
        conn.execute(
            "INSERT INTO jurisdictions (code, name, level, parent_code, boundary, source) "
            "VALUES (%s, %s, %s, %s, ST_GeomFromEWKB(decode(%s, 'hex')), %s) "
            "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, "
            "parent_code = EXCLUDED.parent_code, boundary = EXCLUDED.boundary, "
            "source = EXCLUDED.source",
            row,
        )


def copy_rows(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write rows into a table with ``COPY … FROM STDIN``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session inside a transaction.
    table : str
        Table name.
    columns : sequence of str
        Columns written, in the order of each row's values.
    rows : iterable of sequence
        One value per column (geometry as hex EWKB with its SRID).

    Returns
    -------
    int
        Number of rows written.
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    n = 0
    with psycopg_connection(session).cursor() as cur, cur.copy(statement) as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def reserve_ids(session: Session, table: str, n: int) -> list[int]:
    """Take ``n`` ids from a table's ``id`` sequence, for rows written later with those ids.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session inside a transaction.
    table : str
        Table whose ``id`` column owns the sequence.
    n : int
        How many ids.

    Returns
    -------
    list of int
        The reserved ids.
    """
    if n == 0:
        return []
    rows = (
        psycopg_connection(session)
        .execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table, n),
        )
        .fetchall()
    )
    return [int(r[0]) for r in rows]


def set_grid_leaders(session: Session, leaders: Mapping[str, int]) -> None:
    """Make a worker the leader of every grid of a village.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session inside a transaction.
    leaders : mapping of str to int
        Worker id of the leader per 12-digit village code.
    """
    psycopg_connection(session).execute(
        "UPDATE grids SET leader_id = v.leader FROM (SELECT unnest(%s::text[]) AS village, "
        "unnest(%s::bigint[]) AS leader) v WHERE grids.area_code = v.village::bpchar",
        (list(leaders), list(leaders.values())),
    )


def upsert_visit_rules(session: Session, rules: Mapping[tuple[str, int], int]) -> None:
    """Set the visit interval of each special-population category and management level.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session inside a transaction.
    rules : mapping of (str, int) to int
        Days between visits per ``(category, management_level)``.
    """
    psycopg_connection(session).execute(
        "INSERT INTO visit_rules (category, management_level, interval_days) "
        "SELECT * FROM unnest(%s::text[], %s::smallint[], %s::smallint[]) "
        "ON CONFLICT (category, management_level) DO UPDATE SET "
        "interval_days = EXCLUDED.interval_days",
        (
            [c for c, _ in rules],
            [lv for _, lv in rules],
            list(rules.values()),
        ),
    )


def counties_with_townships_from(session: Session, source: str) -> list[tuple[str, str]]:
    """Return the counties whose townships carry ``source`` (the demo's mark), by code.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session, scope = all.
    source : str
        Provenance written on the townships (:data:`importers.demo.territory` writes its own).

    Returns
    -------
    list of (str, str)
        ``(12-digit code, name)`` of each such county.
    """
    rows = (
        psycopg_connection(session)
        .execute(
            "SELECT c.code, c.name FROM jurisdictions c WHERE c.level = 3 AND EXISTS "
            "(SELECT 1 FROM jurisdictions t WHERE t.parent_code = c.code AND t.level = 4 "
            "AND t.source = %s) ORDER BY c.code",
            (source,),
        )
        .fetchall()
    )
    return [(str(code), str(name)) for code, name in rows]
