"""Staging, the checks that need the database, and the upsert of one kind's rows.

Runs inside the caller's transaction: the caller commits or rolls back. The rows that passed
the row checks are COPYed into TEMP staging tables; the database checks (jurisdiction and grid
exist, point inside its jurisdiction within a tolerance, person and visitor found …) run there;
then, unless something was rejected and the load is all-or-nothing, one ``INSERT … SELECT … ON
CONFLICT`` per part moves the rows into the real table (for cases, the same statement appends
each new case's first event).

A load of more rows than its table holds (and at least
:data:`layers.deferral.DEFAULT_MIN_ROWS`) defers the table's index and foreign-key upkeep to
the end of the load (:mod:`layers.deferral`): the indexes are rebuilt by sorting, the foreign
keys validated by one join each, and the per-row live notifications of the case log are not
sent (a bulk load is not a live event).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from importers.kinds import Kind, Part
from importers.rules import Problem, RowChecks, shown_value
from layers import case_import
from layers.bulk import (
    LON_COLUMN,
    ROW_COLUMN,
    UpsertCounts,
    analyze_staging,
    copy_frame,
    create_staging,
    staged_rows,
    tune_transaction,
    upsert,
)
from layers.deferral import Deferred, defer, worth_deferring

DEFAULT_TOLERANCE_M = 500.0
"""How far (metres) a point may lie outside its jurisdiction's boundary."""

_LOGS = {"cases": ("case_events",)}
"""Tables a kind's load also writes (its follow-up rows)."""
_QUIET = {"case_events": ("notify_live",)}
"""Per-row live-notification triggers not fired by a deferred (bulk) load."""


@dataclass(frozen=True)
class LoadOptions:
    """How to load.

    Attributes
    ----------
    partial : bool
        Load the valid rows even if some were rejected.
    import_id : int or None
        ``import_runs.id`` to stamp on rows of tables that have ``import_id``.
    user : str
        Who imports (case events' actor).
    tolerance_m : float
        Jurisdiction boundary tolerance.
    defer : bool or None
        Defer index and foreign-key upkeep to the end of the load (:mod:`layers.deferral`):
        ``None`` when the staged rows are at least :data:`layers.deferral.DEFAULT_MIN_ROWS`
        and outnumber the table's, ``True`` always, ``False`` never.
    """

    partial: bool
    import_id: int | None
    user: str
    tolerance_m: float = DEFAULT_TOLERANCE_M
    defer: bool | None = None


@dataclass(frozen=True)
class _Staged:
    name: str
    part: Part
    columns: list[str]


def load(
    conn: psycopg.Connection[Any],
    kind: Kind,
    parts: list[Part],
    checks: RowChecks,
    options: LoadOptions,
    progress: Callable[[int], None] | None = None,
) -> UpsertCounts | None:
    """Stage, check and upsert; return what changed, or ``None`` if the file is refused.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    kind : Kind
        What is imported.
    parts : list of Part
        From the kind's ``prepare``.
    checks : RowChecks
        The file's checks; database problems are added to it.
    options : LoadOptions
        Partial or all-or-nothing, provenance, tolerance.
    progress : callable, optional
        Called with the number of rows of each COPY batch.

    Returns
    -------
    UpsertCounts or None
        ``None`` when rows were rejected and ``options.partial`` is false (nothing written
        by this function has been undone: the caller rolls back).
    """
    staged: list[_Staged] = []
    tune_transaction(conn)
    for number, part in enumerate(parts):
        records = part.records[~checks.bad.reindex(part.records.index, fill_value=False)]
        records = records.copy()
        if "import_id" in kind.table.c and options.import_id is not None:
            records["import_id"] = options.import_id
        columns = [c for c in records.columns if not str(c).startswith("_")]
        point = kind.geometry if LON_COLUMN in records.columns else None
        if point is not None:
            columns.append(point)
        helpers = {c: t for c, t in kind.helpers.items() if c in records.columns}
        name = f"zz_staging_{kind.name}_{number}"
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        create_staging(conn, kind.table, columns, name, helpers, point=point)
        copy_frame(conn, name, records, progress=progress)
        analyze_staging(conn, name)
        checks.add(_database_checks(conn, kind, name, columns, checks, options))
        staged.append(_Staged(name, part, columns))
    rejected = {p.row for p in checks.problems if p.severity == "rejected"}
    if rejected and not options.partial:
        return None
    total = UpsertCounts(0, 0, 0)
    for stage in staged:
        if rejected:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(
                    sql.Identifier(stage.name), sql.Identifier(ROW_COLUMN)
                ),
                (sorted(rejected),),
            )
        follow_up = None
        computed: dict[str, sql.Composable] = {}
        if kind.name == "cases":
            follow_up = case_import.first_events(options.user)
            computed["code"] = case_import.case_code()
        key = stage.part.key
        deferred = _defer_if_worth_it(conn, kind, stage, options)
        counts = upsert(
            conn,
            kind.table,
            stage.name,
            stage.columns,
            key,
            update=kind.update,
            conflict=stage.part.conflict,
            follow_up=follow_up,
            returning=case_import.EVENT_COLUMNS if follow_up is not None else None,
            locked=deferred is not None,
            computed=computed,
        )
        if deferred is not None:
            deferred.restore(conn)
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(stage.name)))
        total = UpsertCounts(
            total.inserted + counts.inserted,
            total.updated + counts.updated,
            total.unchanged + counts.unchanged,
        )
    return total


def _defer_if_worth_it(
    conn: psycopg.Connection[Any], kind: Kind, stage: _Staged, options: LoadOptions
) -> Deferred | None:
    """Defer index and key upkeep when the staged rows outnumber the table's."""
    table = kind.table.name
    if options.defer is False:
        return None
    if options.defer is None and not worth_deferring(conn, table, staged_rows(conn, stage.name)):
        return None
    tables = (table, *_LOGS.get(kind.name, ()))
    return defer(conn, tables, quiet={t: _QUIET[t] for t in tables if t in _QUIET})


def _rows(
    conn: psycopg.Connection[Any],
    query: sql.Composed | sql.SQL,
    params: tuple[Any, ...] | None = None,
) -> list[tuple[Any, ...]]:
    return list(conn.execute(query, params).fetchall())


def _problems(
    checks: RowChecks,
    field: str,
    rows: list[tuple[Any, ...]],
    rule: Callable[[tuple[Any, ...]], str],
) -> list[Problem]:
    values = checks.text(field)
    return [
        Problem(
            int(r[0]),
            checks.header(field),
            shown_value(field, values.get(int(r[0]))),
            rule(r),
        )
        for r in rows
    ]


def _database_checks(
    conn: psycopg.Connection[Any],
    kind: Kind,
    staging: str,
    columns: list[str],
    checks: RowChecks,
    options: LoadOptions,
) -> list[Problem]:
    s = sql.Identifier(staging)
    row = sql.Identifier(ROW_COLUMN)
    found: list[Problem] = []
    geom = kind.geometry if kind.geometry in columns else None
    if kind.name == "visits":
        found += _resolve_visits(conn, s, row, checks)
    if "area_code" in columns and geom is not None and kind.name != "visits":
        conn.execute(
            sql.SQL(
                "UPDATE {s} AS s SET area_code = j.code FROM jurisdictions AS j "
                "WHERE s.area_code IS NULL AND s.{g} IS NOT NULL AND j.level = 5 "
                "AND j.boundary IS NOT NULL AND ST_Covers(j.boundary, s.{g})"
            ).format(s=s, g=sql.Identifier(geom))
        )
    if "area_code" in columns and kind.name != "visits":
        missing = _rows(
            conn, sql.SQL("SELECT {row} FROM {s} WHERE area_code IS NULL").format(row=row, s=s)
        )
        found += _problems(
            checks,
            "area_code",
            missing,
            lambda r: (
                "required: no area code given, none derivable from the grid code, and the "
                "point lies in no village boundary in the database"
            ),
        )
        unknown = _rows(
            conn,
            sql.SQL(
                "SELECT s.{row}, s.area_code FROM {s} AS s WHERE s.area_code IS NOT NULL AND NOT "
                "EXISTS (SELECT 1 FROM jurisdictions AS j WHERE j.code = s.area_code)"
            ).format(row=row, s=s),
        )
        found += _problems(
            checks,
            "area_code",
            unknown,
            lambda r: f"jurisdiction {r[1]} is not in the database (import jurisdictions first)",
        )
    if kind.name == "jurisdictions":
        orphans = _rows(
            conn,
            sql.SQL(
                "SELECT s.{row}, s.parent_code FROM {s} AS s WHERE s.parent_code IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM jurisdictions AS j WHERE j.code = s.parent_code) "
                "AND NOT EXISTS (SELECT 1 FROM {s} AS p WHERE p.code = s.parent_code)"
            ).format(row=row, s=s),
        )
        found += _problems(
            checks,
            "code",
            orphans,
            lambda r: f"parent jurisdiction {r[1]} is neither in the database nor in this file",
        )
    for column, field in (("grid_code", "grid_code"), ("home_grid", "home_grid")):
        if column in columns:
            unknown = _rows(
                conn,
                sql.SQL(
                    "SELECT s.{row}, s.{c} FROM {s} AS s WHERE s.{c} IS NOT NULL AND NOT EXISTS "
                    "(SELECT 1 FROM grids AS g WHERE g.code = s.{c})"
                ).format(row=row, s=s, c=sql.Identifier(column)),
            )
            found += _problems(
                checks, field, unknown, lambda r: f"grid {r[1]} is not in the database"
            )
    if geom is not None and "area_code" in columns:
        found += _outside_jurisdiction(conn, s, row, geom, checks, options.tolerance_m)
    return found


def _outside_jurisdiction(
    conn: psycopg.Connection[Any],
    s: sql.Identifier,
    row: sql.Identifier,
    geom: str,
    checks: RowChecks,
    tolerance_m: float,
) -> list[Problem]:
    g = sql.Identifier(geom)
    probe = sql.SQL("ST_PointOnSurface(s.{g})" if geom == "boundary" else "s.{g}").format(g=g)
    rows = _rows(
        conn,
        sql.SQL(
            "SELECT s.{row}, j.code, round(ST_Distance(j.boundary::geography, {p}::geography)), "
            "ST_X({p}), ST_Y({p}) FROM {s} AS s JOIN jurisdictions AS j ON j.code = s.area_code "
            "WHERE s.{g} IS NOT NULL AND j.boundary IS NOT NULL "
            "AND NOT ST_Intersects(j.boundary, {p}) "
            "AND NOT ST_DWithin(j.boundary::geography, {p}::geography, %s)"
        ).format(row=row, s=s, g=g, p=probe),
        (tolerance_m,),
    )
    field = "wkt" if geom == "boundary" else "lon"
    return [
        Problem(
            int(r[0]),
            checks.header(field),
            f"{r[3]:.6f}, {r[4]:.6f} (CGCS2000)",
            f"{'boundary' if geom == 'boundary' else 'point'} is {int(r[2])} m outside "
            f"jurisdiction {r[1]} (tolerance {tolerance_m:g} m)",
        )
        for r in rows
    ]


def _resolve_visits(
    conn: psycopg.Connection[Any], s: sql.Identifier, row: sql.Identifier, checks: RowChecks
) -> list[Problem]:
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET person_id = p.id, area_code = p.area_code FROM ("
            "SELECT DISTINCT ON (id_hash, category) id, id_hash, category, area_code "
            "FROM persons ORDER BY id_hash, category, id) AS p "
            "WHERE p.id_hash = s._id_hash AND (s._category IS NULL OR p.category = s._category)"
        ).format(s=s)
    )
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET visitor_id = w.id FROM workers AS w "
            "WHERE w.external_id = s._visitor"
        ).format(s=s)
    )
    nobody = _rows(
        conn, sql.SQL("SELECT {row} FROM {s} WHERE person_id IS NULL").format(row=row, s=s)
    )
    found = _problems(
        checks,
        "resident_id",
        nobody,
        lambda r: "no person with this resident ID (and category) in the database",
    )
    stranger = _rows(
        conn,
        sql.SQL(
            "SELECT {row}, _visitor FROM {s} WHERE _visitor IS NOT NULL AND visitor_id IS NULL"
        ).format(row=row, s=s),
    )
    found += _problems(checks, "visitor", stranger, lambda r: f"no worker with external ID {r[1]}")
    return found
