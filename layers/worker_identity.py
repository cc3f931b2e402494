"""Which worker on record a roster row names, and what the roster may change of their status.

A township's 网格员花名册 rarely has 工号: a row names its worker by name and phone. Next month's
roster gives the same worker a new phone number when it changed, and a match on name and phone
alone would register them again, beside themselves, in dispatch lists and responsibilities. So a
row that no worker matches by 工号, or by name and phone, names the only worker of its name in
its grid, if there is one and no other row of the file names that worker. A row whose 工号 is
new names a worker on record without one the same way (the roster that gives 工号 for the first
time). A new worker whose name a worker of the county has is still a new worker, but the
summary names them (:func:`namesakes`): a worker who changed both village and phone, or one
whom only a 工号 tells apart from a worker of their township.

The roster's 在岗状态 is a fact of employment; whether a worker is free this minute is the
worker app's and dispatch's (on duty, off duty, busy with a case). So the roster gives a new
worker their status, and of a worker on record it changes only what it knows
(:data:`STATUS_RULE`): 离职 always makes them ``left`` (never dispatched, and nothing puts them
back on duty), 离岗 takes them off duty unless they are busy with a case, 在岗 keeps their live
status, and a worker who had left and is on the roster again is rehired off duty.

The workers of the roster's villages that no row names are listed, as perhaps gone
(:func:`_unlisted`). A rejected row (a bad phone number …) still names its worker: the loader
hands the 工号 and names of those rows to :func:`hold_rejected`, and a worker on record with that
工号, or of that name where the row or the worker has no 工号, is not listed as missing.

A worker with a login account stays inside the account's scope: a row filing them elsewhere
keeps their unit and home grid, and the summary says so (:func:`_kept_in_account_scopes`).

:func:`review_roster` writes each staged row's worker ``id`` and status and returns what the
summary says; the upsert then matches on ``id`` (:data:`NEW_ID` gives the rows it leaves empty a
new one), and a new phone number or status is an update like any other. After the upsert,
:func:`stop_accounts` disables the login accounts of the workers who left, each in the audit
log as the import's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from geo.codes import scope_range
from layers import audit
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

UNLISTED = 20
"""How many villages, or workers left off a roster, a note names before it says 等."""

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
    """Return the notes naming the new workers whom a worker on record shares a name with.

    Run once each staged row has its worker (``id`` NULL: a new worker). The first note names
    the workers of the county no row of the file names: the new worker may be one of them who
    changed both village and phone. A worker whose 工号 differs from the row's is not counted
    (two numbers, two people). The second names, for a new worker without 工号, the workers
    of their township whom other rows of the file name: not the same worker, but one that
    only a 工号 tells apart from them.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of workers (``id``, ``name``, ``area_code``, ``_row``).

    Returns
    -------
    list of str
        Up to two notes (``新增网格员 … 与已有网格员同名：…``).
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
    named = [f"{name}（第 {row} 行；已有的在{places}）" for name, row, places in rows]
    notes = [
        f"新增网格员 {len(rows)} 人与已有网格员同名：{_listed(named, len(rows))}，"
        "如为同一人请填写其工号后重新导入"
    ]
    return (notes if rows else []) + _listed_namesakes(conn, staging)


def _place(unit: str, grid: str) -> sql.Composed:
    """Return the SQL of a worker's village and grid: the grid's name alone if it names both.

    ``流泉村第4网格``, not ``流泉村流泉村第4网格`` (trial Y).
    """
    j, g = sql.Identifier(unit), sql.Identifier(grid)
    return sql.SQL(
        "CASE WHEN starts_with({g}.name, {j}.name) THEN {g}.name"
        " ELSE coalesce({j}.name, '') || coalesce({g}.name, '') END"
    ).format(j=j, g=g)


def _listed_namesakes(conn: psycopg.Connection[Any], staging: str) -> list[str]:
    """Name the new workers without 工号 whose name a worker of their township on the roster has.

    The worker on record that another row names is not the new one, but two workers of one
    name in a township are told apart by 工号 only (帮扶责任人, 走访人 are found by name in the
    person's township): the note names both rows and their places (never a phone number).
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT s.name, s.{row}, {own},"
            " string_agg('第 ' || o.{row} || ' 行，' || {other}"
            " || coalesce('，工号 ' || w.external_id, ''), '；'"
            " ORDER BY o.{row})"
            " FROM {s} AS s JOIN {s} AS o ON o.name = s.name AND o.id IS NOT NULL"
            " JOIN workers AS w ON w.id = o.id"
            " LEFT JOIN jurisdictions AS sj ON sj.code = s.area_code"
            " LEFT JOIN grids AS sg ON sg.code = s.home_grid"
            " LEFT JOIN jurisdictions AS oj ON oj.code = coalesce(o.area_code, w.area_code)"
            " LEFT JOIN grids AS og ON og.code = coalesce(o.home_grid, w.home_grid)"
            " WHERE s.id IS NULL AND s.external_id IS NULL"
            " AND left(coalesce(o.area_code, w.area_code), 9) = left(s.area_code, 9)"
            " GROUP BY s.{row}, s.name, sj.name, sg.name ORDER BY s.{row}"
        ).format(
            s=sql.Identifier(staging), row=_ROW, own=_place("sj", "sg"), other=_place("oj", "og")
        )
    ).fetchall()
    if not rows:
        return []
    named = [f"{name}（第 {row} 行，{place}；{others}）" for name, row, place, others in rows]
    return [
        f"新增网格员 {len(rows)} 人与本文件所列本乡镇已有的网格员同名："
        f"{_listed(named, len(rows))}；"
        "请核对是否为同一人重复填报，如确为两人，请在花名册中为其填写工号"
        "（帮扶责任人、走访人按姓名无法区分同一乡镇的同名网格员）"
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
    leavers = conn.execute(  # staff, named so the township can check the roster
        sql.SQL(
            "SELECT s.name || coalesce('（' || w.external_id || '）', '') FROM {s} AS s"
            " JOIN workers AS w ON w.id = s.id WHERE s.status = 'left' AND w.status <> 'left'"
            " ORDER BY s.{row}"
        ).format(s=staged, row=_ROW)
    ).fetchall()
    return _status_notes(said, [str(n) for (n,) in leavers]) + _open_cases(conn, staged)


def _status_notes(pairs: dict[tuple[str, str], int], leavers: list[str]) -> list[str]:
    """Say what the roster did to live statuses, from the workers by (roster's, live status).

    ``leavers`` names the workers it marks as having left, in the file's order.
    """

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
        notes.append(f"{left} 名网格员标记为已离职，不再派单：{_listed(leavers, left)}")
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


def _accounts_held(staging: str) -> sql.Identifier:
    """Return the TEMP table of the accounts :func:`stop_accounts` stops for ``staging``."""
    return sql.Identifier(f"{staging}_accounts")


def _hold_accounts(conn: psycopg.Connection[Any], staging: str) -> None:
    """Keep the active accounts of the workers who left, with their worker's row as it is.

    Run before the upsert: the row version (``ctid``) tells :func:`stop_accounts` the workers
    the upsert left as they were (a row it rewrites moves).
    """
    held = _accounts_held(staging)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(held))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {a} ON COMMIT DROP AS SELECT u.id AS user_id, w.id AS worker_id,"
            " w.ctid AS place FROM users AS u JOIN {s} AS s ON s.id = u.worker_id"
            " JOIN workers AS w ON w.id = s.id WHERE s.status = 'left' AND u.active"
        ).format(a=held, s=sql.Identifier(staging))
    )


def _rehired_accounts(conn: psycopg.Connection[Any], staged: sql.Identifier) -> list[str]:
    """Say which accounts of the workers listed again stay disabled.

    A worker listed again is not given their account back: an administrator re-enables it
    (``zongzhi user enable``) once they have checked.
    """
    kept = conn.execute(
        sql.SQL(
            "SELECT u.username || '（' || w.name || '）' FROM users AS u"
            " JOIN workers AS w ON w.id = u.worker_id JOIN {s} AS s ON s.id = w.id"
            " WHERE w.status = 'left' AND s.status <> 'left' AND NOT u.active ORDER BY 1"
        ).format(s=staged)
    ).fetchall()
    if not kept:
        return []
    names = [str(r[0]) for r in kept]
    return [
        f"重新列入花名册的网格员有 {len(names)} 个登录账号仍为停用："
        f"{_listed(names, len(names))}；核实后请管理员用 zongzhi user enable 启用"
    ]


@dataclass(frozen=True)
class StoppedAccounts:
    """What :func:`stop_accounts` did.

    Attributes
    ----------
    notes : list of str
        What the summary says: the accounts stopped.
    unchanged : int
        Rows of the file whose worker the upsert left as they were (counted unchanged) while
        their accounts stopped: they are updated.
    """

    notes: list[str]
    unchanged: int


def stop_accounts(
    conn: psycopg.Connection[Any], staging: str, import_id: int | None, user: str
) -> StoppedAccounts:
    """Disable the login accounts of the workers the roster says left, each audited.

    A worker who left must not read the persons of their grid a minute longer: their accounts
    are made inactive, which refuses the next login and every request of a session already
    open (each request reads the account). Each account stopped is written to the audit log
    as ``zongzhi user disable`` writes it (``user.disable``), with the import's user as actor
    and the import and its file in the detail, in the import's transaction: a dry run or a
    refused file leaves no entry, as it leaves the accounts active. Run after the upsert, with
    the accounts :func:`review_roster` held before it.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of workers, as :func:`review_roster` left it.
    import_id : int or None
        ``import_runs.id`` of the import (``None``: not recorded).
    user : str
        Who imports.

    Returns
    -------
    StoppedAccounts
        The note naming the accounts stopped, and the rows to count as updated.
    """
    held = _accounts_held(staging)
    stopped = conn.execute(
        sql.SQL(
            "WITH stopped AS (UPDATE users AS u SET active = false FROM {a} AS a"
            " WHERE u.id = a.user_id AND u.active RETURNING u.id, u.username, u.worker_id)"
            " SELECT t.id, t.username || '（' || w.name || '）', w.id, w.ctid = a.place"
            " FROM stopped AS t JOIN {a} AS a ON a.user_id = t.id"
            " JOIN workers AS w ON w.id = t.worker_id ORDER BY t.username"
        ).format(a=held)
    ).fetchall()
    conn.execute(sql.SQL("DROP TABLE {}").format(held))
    if not stopped:
        return StoppedAccounts([], 0)
    audit.record_each(
        conn,
        [str(user_id) for user_id, *_ in stopped],
        actor_name=user,
        action="user.disable",
        object_type="user",
        detail=_import_detail(conn, import_id),
    )
    names = [str(name) for _, name, *_ in stopped]
    note = (
        f"{len(names)} 个登录账号已停用（已离职网格员的账号，已登录的也随即失效）："
        f"{_listed(names, len(names))}"
    )
    as_they_were = {worker for *_, worker, same in stopped if same}  # one row per worker
    return StoppedAccounts([note], len(as_they_were))


def _import_detail(conn: psycopg.Connection[Any], import_id: int | None) -> dict[str, Any] | None:
    """Return the audit detail naming the import and its file (``None`` when not recorded)."""
    run = conn.execute("SELECT file_name FROM import_runs WHERE id = %s", (import_id,)).fetchone()
    return {"import_id": import_id, "file": run[0]} if run is not None else None


def _unattended(conn: psycopg.Connection[Any], staged: sql.Identifier) -> list[str]:
    """Count, by village, the persons on the register whose responsible workers have all left.

    The persons followed up by a worker the roster says has left, and by no worker who has
    not: counts only (these are persons of the special populations), for the township to name
    someone else.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT j.name, count(*) FROM (SELECT DISTINCT r.person_id FROM person_responsibles"
            " AS r JOIN {s} AS s ON s.id = r.worker_id WHERE s.status = 'left') AS c"
            " JOIN persons AS p ON p.id = c.person_id"
            " JOIN jurisdictions AS j ON j.code = p.area_code"
            " WHERE p.ended_on IS NULL AND NOT EXISTS (SELECT 1 FROM person_responsibles AS r"
            " JOIN workers AS w ON w.id = r.worker_id LEFT JOIN {s} AS s ON s.id = w.id"
            " WHERE r.person_id = p.id AND coalesce(s.status, w.status) <> 'left')"
            " GROUP BY j.code, j.name ORDER BY count(*) DESC, j.code"
        ).format(s=staged)
    ).fetchall()
    if not rows:
        return []
    total = sum(int(n) for _, n in rows)
    villages = [f"{name} {n} 人" for name, n in rows]
    return [
        f"{total} 名在册人员的帮扶责任人均已离职，现无在职的帮扶责任人，请重新指定："
        + "、".join(villages[:UNLISTED])
        + (f"等 {len(villages)} 个村（社区）" if len(villages) > UNLISTED else "")
    ]


REJECTED = sql.Identifier("zz_roster_rejected")
"""Temporary table of the 工号 and names of the roster's rejected rows (:func:`hold_rejected`)."""
_REJECTED_COLUMNS = sql.SQL("(external_id text, name text) ON COMMIT DROP")


def hold_rejected(
    conn: psycopg.Connection[Any], rows: Iterable[tuple[str | None, str | None]]
) -> None:
    """Keep the 工号 and names of a roster's rejected rows until the load's transaction ends.

    Their workers are on the roster though the rows are not imported: :func:`review_roster`
    does not list them among the workers the roster leaves out.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    rows : iterable of (str or None, str or None)
        ``(工号, 姓名)`` of each rejected row.
    """
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(REJECTED))
    conn.execute(sql.SQL("CREATE TEMP TABLE {} {}").format(REJECTED, _REJECTED_COLUMNS))
    with conn.cursor() as cursor:
        cursor.executemany(
            sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(REJECTED),
            [(number, name) for number, name in rows if number or name],
        )


def _unlisted(conn: psycopg.Connection[Any], staged: sql.Identifier) -> list[str]:
    """Name the workers on record in the villages the roster lists workers of, but not listed.

    A village is the roster's when one of its rows puts a worker there (or, giving no place,
    names a worker of it); its workers of the roster's kinds (岗位) that no row names, and who
    have not left, are named: the roster that leaves a worker out may mean they left. A worker
    a rejected row names (:func:`hold_rejected`) is on the roster.
    """
    conn.execute(
        sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} {}").format(REJECTED, _REJECTED_COLUMNS)
    )
    rows = conn.execute(
        sql.SQL(
            "WITH listed AS (SELECT s.id, coalesce(s.area_code, o.area_code) AS area_code,"
            " s.role AS role, o.role AS was FROM {s} AS s LEFT JOIN workers AS o ON o.id = s.id)"
            " SELECT w.name || coalesce('（' || w.external_id || '）', '') FROM workers AS w"
            " WHERE w.status <> 'left' AND (w.area_code IN (SELECT area_code FROM listed)"
            " OR left(w.home_grid, 12) IN (SELECT area_code FROM listed))"
            " AND (w.role IN (SELECT role FROM listed) OR w.role IN (SELECT was FROM listed))"
            " AND NOT EXISTS (SELECT 1 FROM listed WHERE listed.id = w.id)"
            " AND NOT EXISTS (SELECT 1 FROM {r} AS r WHERE r.external_id = w.external_id"
            " OR (r.name = w.name AND (r.external_id IS NULL OR w.external_id IS NULL)))"
            " ORDER BY w.area_code, w.external_id, w.name"
        ).format(s=staged, r=REJECTED)
    ).fetchall()
    if not rows:
        return []
    names = [str(r[0]) for r in rows]
    shown = "、".join(names[:UNLISTED]) + ("等" if len(names) > UNLISTED else "")
    return [
        f"本文件所涉村（社区）的 {len(names)} 名网格员不在此花名册中：{shown}；"
        "如已离职，请在状态列填写离职后重新导入"
    ]


def _kept_in_account_scopes(conn: psycopg.Connection[Any], staged: sql.Identifier) -> list[str]:
    """Keep where they are the workers whose account's scope the roster would move them out of.

    A grid worker's account reads their own record through the scope (row-level security): a
    roster that files them elsewhere would leave the account unable to read it, go on duty or
    report its position (trial AV S2: an identical roster moved 罗敏静 back to her township).
    So a staged worker on record with an account whose scope would not hold the unit the row
    gives keeps their unit and home grid (their other details are updated as the row says),
    and the summary names them: where they stay, and what the roster says. A roster merely
    coarser (the township, of a record the account placed in its village) contradicts
    nothing; one naming another unit may mean a transfer, which the account must follow first.
    A worker the roster says left is not kept (their accounts stop, :func:`stop_accounts`).
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT DISTINCT s.{row}, w.name, u.username, u.scope_code, w.area_code,"
            " s.area_code, coalesce(wj.name, w.area_code), coalesce(sj.name, s.area_code)"
            " FROM {s} AS s JOIN workers AS w ON w.id = s.id"
            " JOIN users AS u ON u.worker_id = w.id"
            " LEFT JOIN jurisdictions AS wj ON wj.code = w.area_code"
            " LEFT JOIN jurisdictions AS sj ON sj.code = s.area_code"
            " WHERE s.status IS DISTINCT FROM 'left' AND s.area_code <> w.area_code"
            " ORDER BY 2, 3"
        ).format(s=staged, row=_ROW)
    ).fetchall()
    kept: dict[int, str] = {}
    moved = False
    for row, name, username, scope, was, given, was_name, given_name in rows:
        lo, hi = scope_range(str(scope))
        if lo <= str(given) < hi or int(row) in kept:
            continue
        kept[int(row)] = f"{name}（账号 {username}，保留在{was_name}，本表为{given_name}）"
        moved |= not str(was).startswith(scope_range(str(given))[0])
    if not kept:
        return []
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET area_code = w.area_code, home_grid = w.home_grid"
            " FROM workers AS w WHERE w.id = s.id AND s.{row} = ANY(%s)"
        ).format(s=staged, row=_ROW),
        (list(kept),),
    )
    said = list(kept.values())
    note = (
        f"{len(said)} 名网格员已开通账号，其所属单位按账号的管辖范围保留："
        f"{_listed(said, len(said))}"
    )
    if moved:
        note += (
            "；如确已调动，请先用 zongzhi user change 登录名 --scope 乡镇代码 把其账号的管辖范围"
            "放宽到包含新旧两处的乡镇（街道），再重新导入本表，之后可把管辖范围收窄到新的村（社区）"
        )
    return [note]


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
        share a name with one on record, what the roster did to live statuses, and the workers
        with an account kept in its scope (:func:`_kept_in_account_scopes`). The
        accounts of the workers who left are held for :func:`stop_accounts`.
    """
    found = recognise_workers(conn, staging)
    phones = [_PHONES_CHANGED.format(n=found)] if found else []
    notes = phones + namesakes(conn, staging) + roster_statuses(conn, staging)
    staged = sql.Identifier(staging)
    notes += _kept_in_account_scopes(conn, staged)
    _hold_accounts(conn, staging)
    notes += _rehired_accounts(conn, staged)
    return notes + _unattended(conn, staged) + _unlisted(conn, staged)


WORKER_ROSTER = Recognition(review_roster, NEW_ID)
"""Workers: by 工号, by name and phone, else by name and grid; statuses as the roster may set."""
