"""Which worker on record a roster row names, and what the roster may change of their status.

A township's 网格员花名册 rarely has 工号: a row names its worker by name and phone. Next month's
roster gives the same worker a new phone number when it changed, and a match on name and phone
alone would register them again, beside themselves, in dispatch lists and responsibilities. So a
row that no worker matches by 工号, or by name and phone, names the only worker of its name in
its grid, if there is one and no other row of the file names that worker. A row whose 工号 is
new names a worker on record without one the same way (the roster that gives 工号 for the first
time). A new worker whose name a worker of the county has is still a new worker, but the
summary names them (:func:`namesakes`): a worker who changed both village and phone.

The roster's 在岗状态 is a fact of employment; whether a worker is free this minute is the
worker app's and dispatch's (on duty, off duty, busy with a case). So the roster gives a new
worker their status, and of a worker on record it changes only what it knows
(:data:`STATUS_RULE`): 离职 always makes them ``left`` (never dispatched, and nothing puts them
back on duty), 离岗 takes them off duty unless they are busy with a case, 在岗 keeps their live
status, and a worker who had left and is on the roster again is rehired off duty.

:func:`review_roster` writes each staged row's worker ``id`` and status and returns what the
summary says; the upsert then matches on ``id`` (:data:`NEW_ID` gives the rows it leaves empty a
new one), and a new phone number or status is an update like any other.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import ROW_COLUMN, Recognition
from layers.model.dispatches import ACTIVE_DISPATCH

NEW_ID = sql.SQL("coalesce(s.id, nextval(pg_get_serial_sequence('workers', 'id')::regclass))")
"""The id a staged worker is written with: the one recognised, else a new one."""

STATUS_RULE = sql.SQL(
    "CASE WHEN s.status IS NULL THEN w.status"
    " WHEN s.status = 'left' THEN 'left'"
    " WHEN w.status = 'left' THEN 'off_duty'"
    " WHEN s.status = 'off_duty' AND w.status <> 'busy' THEN 'off_duty'"
    " ELSE w.status END"
)
"""The status a worker on record ``w`` takes from a roster row ``s`` (``s.status`` as the roster
gives it, NULL when it says nothing)."""

NEW_STATUS = "off_duty"
"""The status of a new worker the roster gives none, or gives 处置中 (no case is theirs yet)."""

LISTED = 5
"""How many workers or cases a note names before it says 等."""

_ROW = sql.Identifier(ROW_COLUMN)
_PHONES_CHANGED = (
    "{n} 名网格员的手机号与库中不同，按姓名和所属网格认出是同一人，已改为本文件的手机号"
)


def _candidates(staged: sql.Identifier, match: str) -> sql.Composed:
    """Return the workers on record a staged row not yet matched may name (``match``).

    A worker another row of the file names is not one; a row with a 工号 names only a worker
    without one. Each pair carries how many workers its row finds and how many rows find its
    worker.
    """
    return sql.SQL(
        "SELECT s.{row} AS row, w.id, count(*) OVER (PARTITION BY s.{row}) AS per_row,"
        " count(*) OVER (PARTITION BY w.id) AS per_worker"
        " FROM {s} AS s JOIN workers AS w ON w.name = s.name AND {match}"
        " WHERE s.id IS NULL AND (s.external_id IS NULL OR w.external_id IS NULL)"
        " AND NOT EXISTS (SELECT 1 FROM {s} AS named WHERE named.id = w.id)"
    ).format(s=staged, row=_ROW, match=sql.SQL(match))


def recognise_workers(conn: psycopg.Connection[Any], staging: str) -> int:
    """Set each staged worker's ``id`` to the worker on record its row names.

    By 工号 first; then, for the rows still unmatched, by name and phone (the lowest id, should
    two workers share both); then by name and grid: the only worker of that name in the row's
    grid. A worker is matched so to one row only, and not when another row names them.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of workers (``id``, ``external_id``, ``name``, ``phone``, ``home_grid``).

    Returns
    -------
    int
        Rows recognised by name and grid only (their worker's phone number changes).
    """
    staged = sql.Identifier(staging)
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET id = w.id FROM workers AS w WHERE w.external_id = s.external_id"
        ).format(s=staged)
    )
    conn.execute(
        sql.SQL(
            "WITH lowest AS (SELECT row, min(id) AS id FROM ({candidates}) AS c GROUP BY row),"
            " single AS (SELECT row, id, count(*) OVER (PARTITION BY id) AS n FROM lowest)"
            " UPDATE {s} AS s SET id = c.id FROM single AS c WHERE s.{row} = c.row AND c.n = 1"
        ).format(candidates=_candidates(staged, "w.phone = s.phone"), s=staged, row=_ROW)
    )
    return conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET id = c.id FROM ({candidates}) AS c"
            " WHERE s.{row} = c.row AND c.per_row = 1 AND c.per_worker = 1"
        ).format(candidates=_candidates(staged, "w.home_grid = s.home_grid"), s=staged, row=_ROW)
    ).rowcount


def _listed(items: list[str], total: int) -> str:
    """Return the first :data:`LISTED` of ``total`` items joined by 、, and 等 after."""
    return "、".join(items[:LISTED]) + ("等" if total > LISTED else "")


def namesakes(conn: psycopg.Connection[Any], staging: str) -> list[str]:
    """Return the note naming the new workers whom a worker of their county shares a name with.

    Run once each staged row has its worker (``id`` NULL: a new worker). A worker on record
    that another row of the file names is accounted for and not counted, nor one whose 工号
    differs from the row's (two numbers, two people).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of workers (``id``, ``name``, ``area_code``, ``_row``).

    Returns
    -------
    list of str
        One note (``新增网格员与已有网格员同名：…``), or none.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT s.name, s.{row}, string_agg(DISTINCT coalesce(g.name, j.name)"
            " || coalesce('，工号 ' || w.external_id, ''), '、')"
            " FROM {s} AS s JOIN workers AS w ON w.name = s.name"
            " AND left(w.area_code, 6) = left(s.area_code, 6)"
            " JOIN jurisdictions AS j ON j.code = w.area_code"
            " LEFT JOIN grids AS g ON g.code = w.home_grid"
            " WHERE s.id IS NULL AND (s.external_id IS NULL OR w.external_id IS NULL)"
            " AND NOT EXISTS (SELECT 1 FROM {s} AS named WHERE named.id = w.id)"
            " GROUP BY s.{row}, s.name ORDER BY s.{row}"
        ).format(s=sql.Identifier(staging), row=_ROW)
    ).fetchall()
    if not rows:
        return []
    named = [f"{name}（第 {row} 行；已有的在{places}）" for name, row, places in rows]
    return [
        f"新增网格员 {len(rows)} 人与已有网格员同名：{_listed(named, len(rows))}，"
        "如为同一人请填写其工号后重新导入"
    ]


def roster_statuses(conn: psycopg.Connection[Any], staging: str) -> list[str]:
    """Give each staged worker the status the roster may set (:data:`STATUS_RULE`); say what.

    The workers on record that the rows name are locked first (``FOR NO KEY UPDATE``, in id
    order), so that nobody changes their live status between this and the upsert: a worker
    dispatched meanwhile waits for the import, then finds the status it wrote. A new worker
    the roster gives no status, or 处置中, is :data:`NEW_STATUS`.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of workers, each row with its worker's ``id`` (NULL: a new worker) and
        ``status`` as the roster gives it (NULL: it says nothing).

    Returns
    -------
    list of str
        Notes: the live statuses the roster left as they are, the busy workers it said were
        off duty, the workers rehired, those marked as having left and the open cases still
        assigned to them.
    """
    staged = sql.Identifier(staging)
    conn.execute(
        sql.SQL(
            "SELECT id FROM workers WHERE id IN (SELECT id FROM {s}) ORDER BY id FOR NO KEY UPDATE"
        ).format(s=staged)
    )
    pairs = conn.execute(
        sql.SQL(
            "SELECT s.status, w.status, count(*) FROM {s} AS s JOIN workers AS w ON w.id = s.id"
            " WHERE s.status IS NOT NULL GROUP BY 1, 2"
        ).format(s=staged)
    ).fetchall()
    conn.execute(
        sql.SQL("UPDATE {s} AS s SET status = {rule} FROM workers AS w WHERE w.id = s.id").format(
            s=staged, rule=STATUS_RULE
        )
    )
    conn.execute(  # busy is dispatch's word for a worker with a case; a new one has none
        sql.SQL(
            "UPDATE {s} SET status = {new} WHERE id IS NULL AND coalesce(status, 'busy') = 'busy'"
        ).format(s=staged, new=sql.Literal(NEW_STATUS))
    )
    said = {(str(r), str(lv)): int(n) for r, lv, n in pairs}
    return _status_notes(said) + _open_cases(conn, staged)


def _status_notes(pairs: dict[tuple[str, str], int]) -> list[str]:
    """Say what the roster did to live statuses, from the workers by (roster's, live status)."""

    def count(roster: str, live: str) -> int:
        return sum(n for (r, lv), n in pairs.items() if r in roster.split() and lv in live.split())

    off, busy = count("on_duty busy", "off_duty"), count("on_duty busy", "busy")
    notes = []
    if off + busy:
        shown = "、".join(f"{label} {n} 名" for label, n in (("离岗", off), ("处置中", busy)) if n)
        notes.append(
            f"花名册为在岗的 {off + busy} 名网格员保留实时状态（{shown}），"
            "实时状态以网格员 App 和派单为准"
        )
    if kept_busy := count("off_duty", "busy"):
        notes.append(f"花名册为离岗的 {kept_busy} 名网格员正在处置案件，仍为处置中")
    if rehired := count("on_duty off_duty busy", "left"):
        notes.append(f"{rehired} 名已离职的网格员重新列入花名册，状态为离岗")
    if left := count("left", "on_duty off_duty busy"):
        notes.append(f"{left} 名网格员标记为已离职，不再派单")
    return notes


def _open_cases(conn: psycopg.Connection[Any], staged: sql.Identifier) -> list[str]:
    """Say which open cases are still dispatched to the workers the roster says have left."""
    row = conn.execute(
        sql.SQL(
            "SELECT count(*), (array_agg(c.code ORDER BY c.reported_at, c.code))[1:{n}]"
            " FROM cases AS c WHERE c.id IN (SELECT case_id FROM dispatches WHERE {active}"
            " AND worker_id IN (SELECT id FROM {s} WHERE status = 'left'))"
        ).format(n=sql.Literal(LISTED), active=sql.SQL(ACTIVE_DISPATCH), s=staged)
    ).fetchone()
    if row is None or not row[0]:
        return []
    total, codes = int(row[0]), list(row[1])
    return [f"已离职的网格员仍有 {total} 件未办结的案件：{_listed(codes, total)}，请改派"]


def review_roster(conn: psycopg.Connection[Any], staging: str) -> list[str]:
    """Find the worker each staged roster row names, set its status; return the summary's notes.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of workers (see :func:`recognise_workers` and :func:`roster_statuses`).

    Returns
    -------
    list of str
        What the summary says: the workers recognised by name and grid, the new workers who
        share a name with one on record, and what the roster did to live statuses.
    """
    found = recognise_workers(conn, staging)
    phones = [_PHONES_CHANGED.format(n=found)] if found else []
    return phones + namesakes(conn, staging) + roster_statuses(conn, staging)


WORKER_ROSTER = Recognition(review_roster, NEW_ID)
"""Workers: by 工号, by name and phone, else by name and grid; statuses as the roster may set."""
