"""Repeat reports (重复反映) among imported cases, by the rule a case registered here follows.

A case registered in the console repeats an open case of the same category and subcategory
reported at most :data:`layers.cases.DEDUPE_DAYS` days before it, within
:data:`layers.cases.DEDUPE_RADIUS_M` metres (:func:`layers.cases.register`). An import applies
the same rule to its new cases, in time order, against each other and against the cases on
record (:func:`geo.nearrepeat.repeat_originals`). A 12345 history then counts each matter once
in hot spots and trends, which leave repeats out, as live registration does; and a matter
reported again and again stands out by its risk.

Before the staged cases are inserted, :func:`link_staged_repeats`

* writes a TEMP table of links, one row per staged case that repeats or is repeated: a new
  case that others repeat gets its id from the cases' sequence now, so that its repeats can
  point to it in the same ``INSERT … SELECT``, which joins the links to the staged rows
  (:attr:`RepeatLinks.joined`, :attr:`RepeatLinks.columns`);
* raises each case on record that new cases repeat, as registering them would: its
  ``repeat_count`` by their number, its risk one level for each (at most to red), with one
  ``repeat_linked`` event.

An original's deadlines stay those of the risk it was reported with, as for a case registered
here: :func:`layers.case_import.computed_columns` reads the staged (reported) risk level.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
from psycopg import sql

from geo.crs import metres_per_degree
from geo.nearrepeat import repeat_originals
from layers.bulk import LAT_COLUMN, LON_COLUMN, ROW_COLUMN, copy_frame
from layers.case_import import SAME_CASE
from layers.cases import DEDUPE_DAYS, DEDUPE_RADIUS_M

LINKS = "zz_repeat_links"
"""TEMP table of the links (``_row``, ``id``, ``duplicate_of``, ``repeat_count``; 0 for none)."""
_DAY_S = 86_400.0


@dataclass(frozen=True)
class RepeatLinks:
    """What :func:`link_staged_repeats` found.

    Attributes
    ----------
    repeats : int
        New cases that repeat an earlier report.
    on_record : int
        Cases on record (before this import) that new cases repeat.
    columns : dict
        Columns of ``cases`` the insert computes from the links (``id``, ``duplicate_of``,
        ``repeat_count``, ``risk_level``) → SQL expression over the staged row ``s`` and its
        link ``l``; empty when no case repeats another.
    joined : psycopg.sql.Composable or None
        The ``LEFT JOIN`` of the links to ``s``; ``None`` when no case repeats another.
    """

    repeats: int
    on_record: int
    columns: dict[str, sql.Composable] = field(default_factory=dict)
    joined: sql.Composable | None = None


def link_staged_repeats(
    conn: psycopg.Connection[Any],
    staging: str,
    *,
    actor: str,
    radius_m: float = DEDUPE_RADIUS_M,
    days: int = DEDUPE_DAYS,
) -> RepeatLinks:
    """Find which staged new cases repeat an earlier report, and record it.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases, with their points as :data:`layers.bulk.LON_COLUMN` and
        :data:`layers.bulk.LAT_COLUMN` (CGCS2000), and ``closed_at``. Staged cases already on
        record (same channel and number) are not new.
    actor : str
        Who imports (the ``repeat_linked`` events' ``actor_name``).
    radius_m, days : float, int
        Repeat window, as for :func:`layers.cases.register`.

    Returns
    -------
    RepeatLinks
        How many new cases repeat an earlier one, how many cases on record they repeat, and
        how the insert reads the links.
    """
    new = _frame(
        conn,
        sql.SQL(
            "SELECT s.{row} AS ref, s.{lon} AS lon, s.{lat} AS lat, s.category,"
            " s.category || chr(31) || coalesce(s.subcategory, '') AS kind,"
            " date_part('epoch', s.reported_at) AS reported,"
            " date_part('epoch', s.closed_at) AS closed"
            " FROM {staging} AS s WHERE s.{lon} IS NOT NULL AND s.{lat} IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM cases AS c WHERE {same})"
        ).format(
            row=sql.Identifier(ROW_COLUMN),
            lon=sql.Identifier(LON_COLUMN),
            lat=sql.Identifier(LAT_COLUMN),
            staging=sql.Identifier(staging),
            same=SAME_CASE,
        ),
    )
    if new.empty:
        return RepeatLinks(0, 0)
    # The box around the new cases, widened by twice the radius in degrees of longitude at
    # the case nearest a pole (where a degree spans the fewest metres); geo checks the
    # exact distance afterwards.
    east, _ = metres_per_degree(float(new["lat"].abs().max()))
    record = _on_record(conn, new, days, 2.0 * radius_m / east)
    both = pd.concat([record, new], ignore_index=True)
    reported = both["reported"].to_numpy(dtype=np.float64)
    original = repeat_originals(
        both["lon"].to_numpy(dtype=np.float64),
        both["lat"].to_numpy(dtype=np.float64),
        reported / _DAY_S,
        distance_m=radius_m,
        window_days=float(days),
        categories=pd.factorize(both["kind"])[0].astype(np.int64),
        open_days=(both["closed"].to_numpy(dtype=np.float64) - reported) / _DAY_S,
        fixed=np.arange(len(both)) < len(record),
    )[len(record) :]
    linked = original >= 0
    if not linked.any():
        return RepeatLinks(0, 0)
    to_record = linked & (original < len(record))
    to_new = linked & ~to_record
    sequence = _write_links(conn, new, record, original, to_record, to_new)
    raised = np.bincount(original[to_record], minlength=len(record))
    on_record = np.flatnonzero(raised)
    _raise_on_record(
        conn, record["ref"].to_numpy()[on_record].tolist(), raised[on_record].tolist(), actor
    )
    return RepeatLinks(
        int(linked.sum()),
        int(on_record.size),
        {
            "id": sql.SQL("coalesce(nullif(l.id, 0), nextval({}::regclass))").format(
                sql.Literal(sequence)
            ),
            "duplicate_of": sql.SQL("nullif(l.duplicate_of, 0)"),
            "repeat_count": sql.SQL("coalesce(l.repeat_count, 0)"),
            "risk_level": sql.SQL("greatest(1, s.risk_level - coalesce(l.repeat_count, 0))"),
        },
        sql.SQL("LEFT JOIN {links} AS l ON l.{row} = s.{row}").format(
            links=sql.Identifier(LINKS), row=sql.Identifier(ROW_COLUMN)
        ),
    )


def _frame(conn: psycopg.Connection[Any], query: sql.Composable) -> pd.DataFrame:
    """Read a query's rows through ``COPY … TO STDOUT`` (a million rows in about a second)."""
    buffer = io.BytesIO()
    with conn.cursor().copy(
        sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, HEADER)").format(query)
    ) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    return pd.read_csv(
        buffer,
        dtype={"category": str, "kind": str},
        keep_default_na=False,
        na_values={"closed": [""]},
    )


def _on_record(
    conn: psycopg.Connection[Any], new: pd.DataFrame, days: int, margin_deg: float
) -> pd.DataFrame:
    """Read the cases on record that could be the originals of the new ones.

    Those not repeats themselves, located, of the new ones' categories, reported in their
    time span (and the window before it) and near them.
    """
    return _frame(
        conn,
        sql.SQL(
            "SELECT id AS ref, ST_X(point) AS lon, ST_Y(point) AS lat, category,"
            " category || chr(31) || coalesce(subcategory, '') AS kind,"
            " date_part('epoch', reported_at) AS reported,"
            " date_part('epoch', closed_at) AS closed"
            " FROM cases WHERE duplicate_of IS NULL AND category = ANY({categories})"
            " AND reported_at BETWEEN to_timestamp({first}) - make_interval(days => {days})"
            " AND to_timestamp({last})"
            " AND point && ST_MakeEnvelope({west}, {south}, {east}, {north}, 4490)"
        ).format(
            categories=sql.Literal(sorted(new["category"].unique().tolist())),
            first=sql.Literal(float(new["reported"].min())),
            last=sql.Literal(float(new["reported"].max())),
            days=sql.Literal(days),
            west=sql.Literal(float(new["lon"].min()) - margin_deg),
            south=sql.Literal(float(new["lat"].min()) - margin_deg),
            east=sql.Literal(float(new["lon"].max()) + margin_deg),
            north=sql.Literal(float(new["lat"].max()) + margin_deg),
        ),
    )


def _write_links(
    conn: psycopg.Connection[Any],
    new: pd.DataFrame,
    record: pd.DataFrame,
    original: npt.NDArray[np.int64],
    to_record: npt.NDArray[np.bool_],
    to_new: npt.NDArray[np.bool_],
) -> str:
    """COPY the links into :data:`LINKS`; return the name of the cases' id sequence.

    The staged originals of repeats get their ids from the sequence here, and their repeats
    point to them.
    """
    found = conn.execute("SELECT pg_get_serial_sequence('cases', 'id')").fetchone()
    sequence = str(found[0]) if found else "cases_id_seq"
    repeated = np.bincount(original[to_new] - len(record), minlength=len(new))
    originals = np.flatnonzero(repeated)
    ids = np.zeros(len(new), dtype=np.int64)
    if originals.size:
        drawn = _frame(
            conn,
            sql.SQL("SELECT nextval({}::regclass) AS id FROM generate_series(1, {})").format(
                sql.Literal(sequence), sql.Literal(int(originals.size))
            ),
        )
        ids[originals] = drawn["id"].to_numpy(dtype=np.int64)
    duplicate_of = np.zeros(len(new), dtype=np.int64)
    duplicate_of[to_record] = record["ref"].to_numpy(dtype=np.int64)[original[to_record]]
    duplicate_of[to_new] = ids[original[to_new] - len(record)]
    marked = (duplicate_of > 0) | (ids > 0)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(LINKS)))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {} ({} integer, id bigint, duplicate_of bigint,"
            " repeat_count integer) ON COMMIT DROP"
        ).format(sql.Identifier(LINKS), sql.Identifier(ROW_COLUMN))
    )
    links = pd.DataFrame(
        {
            ROW_COLUMN: new["ref"].to_numpy(dtype=np.int64)[marked],
            "id": ids[marked],
            "duplicate_of": duplicate_of[marked],
            "repeat_count": repeated[marked],
        }
    )
    copy_frame(conn, LINKS, links)
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(LINKS)))
    return sequence


def _raise_on_record(
    conn: psycopg.Connection[Any], ids: list[int], counts: list[int], actor: str
) -> None:
    """Raise the cases on record that new cases repeat, with one event each."""
    if not ids:
        return
    conn.execute(
        "WITH raised AS ("
        " UPDATE cases AS c SET repeat_count = c.repeat_count + r.n,"
        " risk_level = greatest(1, c.risk_level - r.n), version = c.version + 1"
        " FROM (SELECT u.id, u.n, o.risk_level AS before"
        " FROM unnest(%(ids)s::bigint[], %(counts)s::integer[]) AS u (id, n)"
        " JOIN cases AS o ON o.id = u.id) AS r"
        " WHERE c.id = r.id RETURNING c.id, c.area_code, c.state, r.n, r.before, c.risk_level"
        ") INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
        " to_state, note, payload)"
        " SELECT id, area_code, %(actor)s, 'repeat_linked', state, state,"
        " '重复反映：导入 ' || n || ' 件', jsonb_build_object('imported_repeats', n,"
        " 'risk_from', before, 'risk_to', risk_level) FROM raised",
        {"ids": ids, "counts": counts, "actor": actor[:50]},
    )
