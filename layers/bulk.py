"""Bulk loading of any table: COPY into a TEMP staging table, then one INSERT … SELECT upsert.

All of it runs on the caller's psycopg connection inside the caller's transaction, so a load is
atomic: killed halfway, nothing of it remains (the staging table is dropped at commit or with
the session). Rows travel in COPY's text format, formatted a column at a time and joined once
(no Python loop over rows). Polygons travel as hex EWKB (SRID included), which PostGIS parses
on input; points travel as two numbers, from which the staging table computes its geometry
column (``ST_MakePoint`` in a generated column), so no point object is ever built in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
from geoalchemy2 import Geometry
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Table

from layers.model.base import SRID

ROW_COLUMN = "_row"
"""Staging column carrying the source row number (for reports and ordering)."""

LON_COLUMN, LAT_COLUMN = "_lon", "_lat"
"""Staging columns carrying a point's coordinates (CGCS2000) when its geometry is generated."""

GEOMETRY_TOLERANCE = 5e-7
"""How far (degrees, about 5 cm) each vertex of a geometry may move without the geometry
counting as changed: the same boundary re-projected, or read from KML, differs in its last
digits (:func:`_differs`)."""

_NULL = "\\N"
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


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
    repeats : int
        New rows recorded as repeats of an earlier one (cases: 重复反映, see
        :mod:`layers.case_repeats`); counted among ``inserted``.
    ended : int
        Records on file the import ended beyond its rows: cameras retired, persons struck off,
        grids and jurisdictions retired by a complete list (or a row's 原编码); counted among
        ``updated`` (:func:`importers.loading.load`).
    """

    inserted: int
    updated: int
    unchanged: int
    repeats: int = 0
    ended: int = 0


def _ident_list(names: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def tune_transaction(conn: psycopg.Connection[Any]) -> None:
    """Set this transaction up for bulk statements: no JIT compilation.

    A load runs a few statements over every staged row; compiling each of them costs more
    than it saves (``SET LOCAL``: the session's settings come back at commit).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    """
    conn.execute("SET LOCAL jit = off")


def _set_local(conn: psycopg.Connection[Any], setting: str, value: str) -> str:
    """Set a planner setting for the rest of the transaction; return the value it had."""
    row = conn.execute(
        "SELECT current_setting(%(s)s), set_config(%(s)s, %(v)s, true)",
        {"s": setting, "v": value},
    ).fetchone()
    assert row is not None
    return str(row[0])


def create_staging(
    conn: psycopg.Connection[Any],
    table: Table,
    columns: Sequence[str],
    name: str,
    extra: Mapping[str, str] | None = None,
    *,
    point: str | None = None,
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
    point : str, optional
        A point column of ``columns`` to stage as :data:`LON_COLUMN` and :data:`LAT_COLUMN`
        numbers: the staging table computes it from them (NULL when either is NULL).

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
    if point is not None:
        conn.execute(
            sql.SQL("ALTER TABLE {name} DROP COLUMN {point}").format(
                name=sql.Identifier(name), point=sql.Identifier(point)
            )
        )
        helpers[LON_COLUMN] = "double precision"
        helpers[LAT_COLUMN] = "double precision"
        helpers[point] = (
            f"geometry(Point, {SRID}) GENERATED ALWAYS AS "
            f"(ST_SetSRID(ST_MakePoint({LON_COLUMN}, {LAT_COLUMN}), {SRID})) STORED"
        )
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


def analyze_staging(conn: psycopg.Connection[Any], staging: str) -> None:
    """Gather the planner's statistics of a staging table's non-geometry columns.

    The checks filter on NULLs and join on codes: their plans need the null fractions and
    distinct counts. Geometry statistics are the slow part of ``ANALYZE`` and are not needed.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    """
    typed = staged_columns(conn, staging)
    columns = [name for name, kind in typed.items() if not kind.startswith("geometry")]
    conn.execute(sql.SQL("ANALYZE {} ({})").format(sql.Identifier(staging), _ident_list(columns)))


def staged_columns(conn: psycopg.Connection[Any], staging: str) -> dict[str, str]:
    """Return the columns a staged row is written with, and their types, in table order.

    Generated columns (a point made from its lon/lat) are left out.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.

    Returns
    -------
    dict
        Column name → type as SQL writes it (``text``, ``geometry(Point,4490)`` …).
    """
    rows = conn.execute(
        "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
        " AND attgenerated = '' ORDER BY attnum",
        (staging,),
    ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def copy_frame(
    conn: psycopg.Connection[Any],
    staging: str,
    frame: pd.DataFrame,
    *,
    batch_rows: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """COPY a data frame into the staging table, in text-format batches.

    A writer thread sends each batch while the next one is formatted, so the server parses
    rows while Python builds the following ones.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.
    frame : pandas.DataFrame
        Columns named like the staging columns (``_row`` included); ``None``/NaN become NULL,
        polygon columns hold hex EWKB strings, numbers are written exactly (shortest
        round-trip form).
    batch_rows : int
        Rows per batch (memory bound; the whole COPY is one statement).
    progress : callable, optional
        Called with the number of rows of each batch once it is sent.

    Returns
    -------
    int
        Rows copied.
    """
    statement = sql.SQL("COPY {staging} ({cols}) FROM STDIN").format(
        staging=sql.Identifier(staging), cols=_ident_list([str(c) for c in frame.columns])
    )
    with conn.cursor() as cursor, cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for start in range(0, len(frame), batch_rows):
            batch = frame.iloc[start : start + batch_rows]
            copy.write(copy_text(batch))
            if progress is not None:
                progress(len(batch))
    return len(frame)


def copy_text(frame: pd.DataFrame) -> str:
    r"""Return rows as COPY text format: tab-separated, ``\N`` for NULL, specials escaped.

    Parameters
    ----------
    frame : pandas.DataFrame
        Text (``str``/``None``), float, integer or boolean columns.

    Returns
    -------
    str
        One line per row, each ending in a newline.

    Examples
    --------
    >>> copy_text(pd.DataFrame({"a": ["x", None, "t\tab"], "b": [1.5, float("nan"), 2.0]}))
    'x\t1.5\n\\N\t\\N\nt\\tab\t2.0\n'
    """
    if frame.empty:
        return ""
    width = len(frame.columns)
    cells = np.empty((len(frame), 2 * width), dtype=object)
    cells[:, 1::2] = "\t"
    cells[:, -1] = "\n"
    for i, column in enumerate(frame.columns):
        cells[:, 2 * i] = _column_text(frame[column])
    return "".join(cells.ravel().tolist())


def _column_text(values: pd.Series) -> npt.NDArray[np.object_]:
    kind = values.dtype.kind
    if kind == "f":
        numbers = values.to_numpy(dtype=float)
        text = np.array(list(map(repr, numbers.tolist())), dtype=object)
        text[np.isnan(numbers)] = _NULL
        return text
    if kind in "iu":
        return np.array(list(map(str, values.to_numpy().tolist())), dtype=object)
    if kind == "b":
        return np.where(values.to_numpy(dtype=bool), "t", "f").astype(object)
    cells = values.to_numpy(dtype=object)
    missing = pd.isna(cells)
    present = cells[~missing]
    if len(present) and pd.api.types.infer_dtype(present, skipna=False) != "string":
        present = np.array([str(v) for v in present], dtype=object)
    joined = "".join(present.tolist())
    if any(special in joined for special, _ in _ESCAPES):
        escaped = pd.Series(present, dtype=object)
        for special, replacement in _ESCAPES:
            escaped = escaped.str.replace(special, replacement, regex=False)
        present = escaped.to_numpy(dtype=object)
    text = np.empty(len(cells), dtype=object)
    text[missing] = _NULL
    text[~missing] = present
    return text


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
    returning: Sequence[str] | None = None,
    locked: bool = False,
    computed: Mapping[str, sql.Composable] | None = None,
    joined: sql.Composable | None = None,
    keep: Sequence[str] = (),
    merge: Sequence[str] = (),
    insert_only: Sequence[str] = (),
    quiet: Sequence[str] = (),
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
        ``inserted`` (the ``returning`` columns of ``table``), e.g. the first event of each
        imported case.
    returning : sequence of str, optional
        Columns the ``inserted`` CTE carries (default: all of them).
    locked : bool
        The caller holds ``table`` in ``ACCESS EXCLUSIVE`` mode (see :mod:`layers.deferral`):
        nobody else can insert a conflicting row, so a unique ``key`` is matched with ``=``
        (an anti-join, as ``ON CONFLICT`` would: NULLs never match) instead of speculative
        insertion, and needs no index. Rows already in the table are left out by that
        anti-join, and the rest inserted in the order they were staged (the file's: a
        backend-local TEMP table is never read by a synchronized or parallel scan), no sort.
        The match is planned without nested loops: with the indexes dropped, a table the
        statistics call empty (analyzed while it was, e.g. after a dry run and autovacuum)
        would otherwise be scanned once per staged row, hours for a million rows.
    computed : mapping, optional
        Columns of ``table`` (not in ``columns``) computed from the staged row: column → SQL
        expression over the staging alias ``s``.
    joined : psycopg.sql.Composable, optional
        A ``LEFT JOIN`` of another table to ``s``, one row at most per staged row, that the
        ``computed`` expressions also read (e.g. the repeat links of imported cases).
    keep : sequence of str
        Columns an empty (NULL) staged value does not overwrite when a row is updated: a file
        without boundaries renames units without erasing the boundaries they have.
    merge : sequence of str
        JSON object columns updated key by key (``old || new``): a file without some keys
        leaves them as they are.
    insert_only : sequence of str
        Columns written when a row is inserted, never when it is updated (a value made anew at
        each import, a field the file does not give).
    quiet : sequence of str
        Columns written when a matched row is updated for its other columns, whose change
        alone does not update it (a boundary's source file name).

    Returns
    -------
    UpsertCounts
        Inserted, updated and unchanged rows.
    """
    staged = staged_rows(conn, staging)
    if locked:  # no index to probe: a nested loop would scan the table once per staged row
        previous = _set_local(conn, "enable_nestloop", "off")
    if not conflict or locked:
        counts = _upsert_by_match(
            conn,
            table,
            staging,
            columns,
            key,
            update=update,
            staged=staged,
            null_safe=not conflict,
            follow_up=follow_up,
            returning=returning,
            computed=computed or {},
            joined=joined,
            keep=keep,
            merge=merge,
            insert_only=insert_only,
            quiet=quiet,
        )
        if locked:
            _set_local(conn, "enable_nestloop", previous)
        return counts
    cols = _ident_list([*columns, *(computed or {})])
    others = [c for c in columns if c not in key and c not in insert_only]
    action: sql.Composable
    if update and others:
        action = sql.SQL("DO UPDATE SET ({others}) = ROW({excluded}) WHERE {differs}").format(
            others=_ident_list(others),
            excluded=_new_values(
                sql.SQL("EXCLUDED"), sql.Identifier(table.name), others, keep, merge
            ),
            differs=_differs(
                table,
                sql.SQL("EXCLUDED"),
                sql.Identifier(table.name),
                [c for c in others if c not in quiet],
                keep,
                merge,
            ),
        )
    else:
        action = sql.SQL("DO NOTHING")
    insert = sql.SQL(
        "INSERT INTO {table} ({cols}) SELECT {scols} FROM {staging} AS s {joined} "
        "ORDER BY s.{row} ON CONFLICT ({key}) {action} RETURNING {returning}(xmax = 0) AS _inserted"
    ).format(
        table=sql.Identifier(table.name),
        cols=cols,
        scols=_select_list(columns, computed or {}),
        staging=sql.Identifier(staging),
        joined=joined or sql.SQL(""),
        row=sql.Identifier(ROW_COLUMN),
        key=_ident_list(key),
        action=action,
        returning=_returning(follow_up, returning),
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


def _select_list(columns: Sequence[str], computed: Mapping[str, sql.Composable]) -> sql.Composed:
    return sql.SQL(", ").join(
        [sql.SQL("s.{}").format(sql.Identifier(c)) for c in columns] + list(computed.values())
    )


def _columns_of(alias: sql.Composable, columns: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.SQL("{}.{}").format(alias, sql.Identifier(c)) for c in columns)


def _new_values(
    new: sql.Composable,
    old: sql.Composable,
    columns: Sequence[str],
    keep: Sequence[str],
    merge: Sequence[str] = (),
) -> sql.Composed:
    """Return what an update writes: ``new``'s values.

    A kept column keeps ``old``'s value where ``new``'s is NULL; a merged (JSON object) column
    takes ``old``'s keys overlaid with ``new``'s.
    """

    def value(column: str) -> str:
        if column in merge:
            return "coalesce({old}.{c}, '{{}}'::jsonb) || coalesce({new}.{c}, '{{}}'::jsonb)"
        return "coalesce({new}.{c}, {old}.{c})" if column in keep else "{new}.{c}"

    return sql.SQL(", ").join(
        sql.SQL(value(c)).format(new=new, old=old, c=sql.Identifier(c)) for c in columns
    )


def _differs(
    table: Table,
    new: sql.Composable,
    old: sql.Composable,
    columns: Sequence[str],
    keep: Sequence[str],
    merge: Sequence[str],
) -> sql.Composable:
    """Return whether an update would change a row: ``old``'s values differ from those written.

    A geometry differs only when a vertex moved more than :data:`GEOMETRY_TOLERANCE`, or the
    vertices are not the same in number: equal geometries are told at once, a point by its
    coordinates; other shapes are the same when, snapped to that tolerance, they are the same
    in canonical order (a Shapefile's rings run the other way), else when each vertex lies
    within it of its counterpart: the rings in canonical order, each turned to start at the
    vertex nearest the other's first one (a ring re-projected may start elsewhere, and a
    vertex near a cell of the snapping grid's edge falls in the next cell). All linear in
    their size, or nearly.
    """
    geometries = [c for c in columns if isinstance(table.c[c].type, Geometry)]
    plain = [c for c in columns if c not in geometries]
    tests: list[sql.Composable] = []
    if plain:
        tests.append(
            sql.SQL("({}) IS DISTINCT FROM ({})").format(
                _columns_of(old, plain), _new_values(new, old, plain, keep, merge)
            )
        )
    for column in geometries:
        point = str(getattr(table.c[column].type, "geometry_type", "")).upper() == "POINT"
        a = sql.SQL("{}.{}").format(old, sql.Identifier(column))
        b = _new_values(new, old, [column], keep, merge)
        tolerance = sql.Literal(GEOMETRY_TOLERANCE)
        moved = (
            _POINT_MOVED.format(a=a, b=b, tolerance=tolerance)
            if point
            else _VERTEX_MOVED.format(
                a=a,
                b=b,
                tolerance=tolerance,
                a_ring=_RING_VERTICES.format(g=a),
                b_ring=_RING_VERTICES.format(g=b),
            )
        )
        tests.append(
            sql.SQL(
                "CASE WHEN {a} IS NOT DISTINCT FROM {b} THEN false "
                "WHEN {a} IS NULL OR {b} IS NULL THEN true ELSE {moved} END"
            ).format(a=a, b=b, moved=moved)
        )
    return sql.SQL(" OR ").join(tests) if tests else sql.SQL("false")


_POINT_MOVED = sql.SQL(
    "abs(ST_X({a}) - ST_X({b})) > {tolerance} OR abs(ST_Y({a}) - ST_Y({b})) > {tolerance}"
)
_VERTEX_MOVED = sql.SQL(
    "CASE WHEN ST_NPoints({a}) <> ST_NPoints({b}) THEN true "
    "WHEN ST_OrderingEquals(ST_Normalize(ST_SnapToGrid({a}, {tolerance})), "
    "ST_Normalize(ST_SnapToGrid({b}, {tolerance}))) THEN false "
    "ELSE EXISTS (WITH p AS ({a_ring}), q AS ({b_ring}), "
    # each ring of a, turned to start at the vertex of b's ring nearest its own first one
    "k AS MATERIALIZED (SELECT p.ring, (SELECT q.i FROM q WHERE q.ring = p.ring "
    "ORDER BY q.geom <-> p.geom LIMIT 1) - 1 AS k FROM p WHERE p.i = 1), "
    "r AS (SELECT p.ring, mod(p.i - 1 + k.k, p.n) + 1 AS i, p.geom FROM p JOIN k USING (ring)) "
    "SELECT FROM r FULL JOIN q USING (ring, i) WHERE r.geom IS NULL OR q.geom IS NULL "
    "OR abs(ST_X(r.geom) - ST_X(q.geom)) > {tolerance} "
    "OR abs(ST_Y(r.geom) - ST_Y(q.geom)) > {tolerance}) END"
)
_RING_VERTICES = sql.SQL(
    "SELECT ring, i, n, geom FROM (SELECT d.path[:cardinality(d.path) - 1] AS ring, "
    "d.path[cardinality(d.path)] AS i, d.geom, "
    "count(*) OVER (PARTITION BY d.path[:cardinality(d.path) - 1]) - 1 AS n "
    "FROM ST_DumpPoints(ST_Normalize({g})) AS d) AS v WHERE i <= n"
)
"""The vertices of a polygon's rings in canonical order, each ring's closing one left out:
``ring`` (its path), ``i`` (from 1), ``n`` (the ring's vertices), ``geom``."""


def _returning(follow_up: sql.Composable | None, columns: Sequence[str] | None) -> sql.Composable:
    if follow_up is None:
        return sql.SQL("")
    if columns is None:
        return sql.SQL("*, ")
    return sql.SQL("{}, ").format(_ident_list(columns))


def staged_rows(conn: psycopg.Connection[Any], staging: str) -> int:
    """Return the number of rows in a staging table.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table name.

    Returns
    -------
    int
        Its rows.
    """
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
    null_safe: bool,
    follow_up: sql.Composable | None,
    returning: Sequence[str] | None,
    computed: Mapping[str, sql.Composable],
    joined: sql.Composable | None,
    keep: Sequence[str],
    merge: Sequence[str],
    insert_only: Sequence[str],
    quiet: Sequence[str] = (),
) -> UpsertCounts:
    target = sql.Identifier(table.name)
    source = sql.Identifier(staging)
    # NULL matches NULL in a key column that may hold it; ``=`` elsewhere, which a hash or an
    # index can serve (IS NOT DISTINCT FROM is compared row by row)
    match = sql.SQL(" AND ").join(
        sql.SQL("t.{c} {equal} s.{c}").format(
            c=sql.Identifier(c),
            equal=sql.SQL("IS NOT DISTINCT FROM" if null_safe and table.c[c].nullable else "="),
        )
        for c in key
    )
    others = [c for c in columns if c not in key and c not in insert_only]
    updated = 0
    if update and others:
        cursor = conn.execute(
            sql.SQL(
                "UPDATE {target} AS t SET ({others}) = ROW({new}) FROM {source} AS s "
                "WHERE {match} AND ({differs})"
            ).format(
                target=target,
                source=source,
                others=_ident_list(others),
                new=_new_values(sql.SQL("s"), sql.SQL("t"), others, keep, merge),
                differs=_differs(
                    table,
                    sql.SQL("s"),
                    sql.SQL("t"),
                    [c for c in others if c not in quiet],
                    keep,
                    merge,
                ),
                match=match,
            )
        )
        updated = cursor.rowcount
    # The staged rows stay (what runs after the upsert, the responsibles of persons say, reads
    # them all); those on record are left out by an anti-join.
    template = sql.SQL(
        "INSERT INTO {target} ({cols}) SELECT {scols} FROM {source} AS s {joined} "
        "WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {match}){order}"
    )
    insert = template.format(
        target=target,
        source=source,
        cols=_ident_list([*columns, *computed]),
        scols=_select_list(columns, computed),
        match=match,
        order=sql.SQL(" ORDER BY s.{}").format(sql.Identifier(ROW_COLUMN))
        if null_safe
        else sql.SQL(""),
        joined=joined or sql.SQL(""),
    )
    if follow_up is None:
        inserted = conn.execute(insert).rowcount
    else:
        row = conn.execute(
            sql.SQL(
                "WITH inserted AS ({insert} RETURNING {returning}), follow_up AS ({follow_up}) "
                "SELECT count(*) FROM inserted"
            ).format(
                insert=insert,
                returning=sql.SQL("*") if returning is None else _ident_list(returning),
                follow_up=follow_up,
            )
        ).fetchone()
        inserted = int(row[0]) if row else 0
    return UpsertCounts(inserted, updated, staged - inserted - updated)


@dataclass(frozen=True)
class Recognition:
    """How staged rows find the row on record they name when their natural key alone does not.

    Attributes
    ----------
    resolve : callable
        ``(conn, staging) -> notes``: makes each staged row name the row on record it is
        (writes its ``id``, or gives the row on record its key) and what else the row on record
        decides of it; returns what the import's summary says of it.
    new_id : psycopg.sql.Composable, optional
        The ``id`` a staged row ``s`` is written with, when the upsert matches on ``id``.
    """

    resolve: Callable[[psycopg.Connection[Any], str], list[str]]
    new_id: sql.Composable | None = None
