"""Which worker on record a grid list's 网格长 names: each grid's leader (``grids.leader_id``).

A township's grid list (网格调整一览表) and a grid layer's attribute table name each grid's
网格长 by name, often with the leader's phone, now and then with their 工号. The leader is a
worker on record who has not left, found as a person's 帮扶责任人 is
(:func:`layers.worker_matches.match_workers`): by 工号 anywhere (the name the row gives, if any,
must be theirs), else by name among the workers of the grid's township. Namesakes are told
apart by the phone the row gives, else by the grid's village (the only one of that name
there). A leader the database lacks, has only as having left, or cannot tell from a namesake
leaves the grid's leader as it is: the grid loads, and the summary names each such leader once
(their phone masked), for the roster to be imported (or the 工号 written) first.

:func:`assign_leaders` runs on the staged grids before the upsert and writes each row's
``leader_id``: a NULL one keeps the leader on record (the grids kind keeps ``leader_id``), and a
grid whose leader changed is counted as updated like any other change.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from layers.bulk import ROW_COLUMN
from layers.worker_matches import match_workers

LEADER = "_leader"
"""Staging column of grids: the 网格长's 工号 if the row gives one, else their name."""
LEADER_NAME = "_leader_name"
"""Staging column of grids: the 网格长's name as the row gives it (``NULL``: none)."""
LEADER_PHONE = "_leader_phone"
"""Staging column of grids: the 网格长's phone, digits only (``NULL``: none)."""
HELPERS = {LEADER: "text", LEADER_NAME: "text", LEADER_PHONE: "text"}
"""The staging helper columns of a file that names its grids' 网格长."""

LISTED = 20
"""How many leaders a note names before it says 等."""

_ROW = sql.Identifier(ROW_COLUMN)


def _picks(staging: str) -> sql.Identifier:
    return sql.Identifier(f"{staging}_leader_picks")


def _pick_leaders(conn: psycopg.Connection[Any], staging: str) -> None:
    """Keep in a TEMP table, per staged row naming a 网格长, the worker it names (or why none).

    ``id``: the one worker not left among those the 工号 or name may be (name matching), by
    phone, else the only one in the grid's village, else the only one; ``why``: ``ambiguous``
    (several, untold), ``left`` (only workers who left), ``unknown`` (none), NULL when found.
    """
    matches = sql.Identifier(f"{staging}_leader_matches")
    match_workers(conn, staging, LEADER, matches)
    picks = _picks(staging)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(picks))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {p} AS WITH c AS ("
            " SELECT m.row, w.id, w.status = 'left' AS gone,"
            " w.phone = s.{phone} AS same_phone,"
            " w.area_code = left(s.code, 12) AS here"
            " FROM {m} AS m JOIN {s} AS s ON s.{row} = m.row"
            " CROSS JOIN LATERAL unnest(m.ids) AS i(id) JOIN workers AS w ON w.id = i.id"
            " WHERE s.{name} IS NULL OR w.name = s.{name}),"
            " n AS (SELECT m.row, count(c.id) FILTER (WHERE NOT c.gone) AS live,"
            " count(c.id) FILTER (WHERE c.gone) AS gone,"
            " count(c.id) FILTER (WHERE NOT c.gone AND c.same_phone) AS by_phone,"
            " min(c.id) FILTER (WHERE NOT c.gone AND c.same_phone) AS phone_id,"
            " count(c.id) FILTER (WHERE NOT c.gone AND c.here) AS by_village,"
            " min(c.id) FILTER (WHERE NOT c.gone AND c.here) AS village_id,"
            " min(c.id) FILTER (WHERE NOT c.gone) AS only_id"
            " FROM {m} AS m LEFT JOIN c ON c.row = m.row GROUP BY m.row)"
            " SELECT row, live, CASE WHEN by_phone = 1 THEN phone_id"
            " WHEN by_village = 1 THEN village_id WHEN live = 1 THEN only_id END AS id,"
            " CASE WHEN by_phone = 1 OR by_village = 1 OR live = 1 THEN NULL"
            " WHEN live > 1 THEN 'ambiguous' WHEN gone > 0 THEN 'left' ELSE 'unknown' END AS why"
            " FROM n"
        ).format(
            p=picks,
            m=matches,
            s=sql.Identifier(staging),
            row=_ROW,
            name=sql.Identifier(LEADER_NAME),
            phone=sql.Identifier(LEADER_PHONE),
        )
    )
    conn.execute(sql.SQL("DROP TABLE {}").format(matches))


def assign_leaders(
    conn: psycopg.Connection[Any], staging: str, header: str = "网格长"
) -> list[str]:
    """Give each staged grid the worker its 网格长 names; return what the summary says.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the load's transaction.
    staging : str
        Staging table of grids (``code``, ``area_code``, ``leader_id`` and :data:`HELPERS`),
        rejected rows deleted; run before the upsert.
    header : str
        What the notes call the leader (the kind's header of the field, 网格长).

    Returns
    -------
    list of str
        Notes naming, once each, the leaders not found, those who left and those several
        workers could be, with the number of grids whose leader stays as it was.
    """
    _pick_leaders(conn, staging)
    s, picks = sql.Identifier(staging), _picks(staging)
    conn.execute(
        sql.SQL(
            "UPDATE {s} AS s SET leader_id = p.id FROM {p} AS p"
            " WHERE p.row = s.{row} AND p.id IS NOT NULL"
        ).format(s=s, p=picks, row=_ROW)
    )
    rows = conn.execute(
        sql.SQL(
            "SELECT p.why, coalesce(s.{name}, s.{token}),"
            " CASE WHEN s.{name} IS NOT NULL AND s.{token} <> s.{name} THEN s.{token} END,"
            " s.{phone}, max(p.live), count(*) FROM {p} AS p JOIN {s} AS s ON s.{row} = p.row"
            " WHERE p.why IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY min(p.row)"
        ).format(
            s=s,
            p=picks,
            row=_ROW,
            name=sql.Identifier(LEADER_NAME),
            token=sql.Identifier(LEADER),
            phone=sql.Identifier(LEADER_PHONE),
        )
    ).fetchall()
    conn.execute(sql.SQL("DROP TABLE {}").format(picks))
    return _notes(
        [(str(w), str(n), no, phone, int(k), int(g)) for w, n, no, phone, k, g in rows], header
    )


def masked_phone(phone: str | None) -> str | None:
    """Return a phone number as a summary may show it: its first 3 and last 4 digits.

    Examples
    --------
    >>> masked_phone("18723592126"), masked_phone("08775011234"), masked_phone("12345")
    ('187****2126', '087****1234', '****')
    """
    if phone is None:
        return None
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def _leader(name: str, number: str | None, phone: str | None, grids: int) -> str:
    """Return a leader as a note names them: ``彭兰琴（187****2126，16 个网格）``."""
    said = [f"工号 {number}" if number else None, masked_phone(phone), f"{grids} 个网格"]
    return f"{name}（{'，'.join(s for s in said if s)}）"


def _listed(items: list[str]) -> str:
    return "、".join(items[:LISTED]) + ("等" if len(items) > LISTED else "")


def _notes(rows: list[tuple[str, str, str | None, str | None, int, int]], header: str) -> list[str]:
    """Say which leaders were not set: rows of (why, name, 工号, phone, workers, grids)."""
    notes = []
    unknown = [_leader(n, no, ph, g) for why, n, no, ph, _, g in rows if why == "unknown"]
    if unknown:
        grids = sum(g for why, *_, g in rows if why == "unknown")
        notes.append(
            f"{header}中有 {len(unknown)} 人不是本村（社区）或本乡镇在职的网格员，这 {grids} 个"
            f"网格照常导入，{header}未变：{_listed(unknown)}；请先导入网格员花名册"
            f"（含{header}），再加 --again 重新导入本表"
        )
    left = [_leader(n, no, ph, g) for why, n, no, ph, _, g in rows if why == "left"]
    if left:
        notes.append(f"{header}{_listed(left)}已离职，未设为{header}（其网格的{header}未变）")
    for why, name, number, phone, workers, grids in rows:
        if why == "ambiguous":
            notes.append(
                f"{header}{_leader(name, number, phone, grids)}：本乡镇有 {workers} 名在职网格员"
                f"同名，无法确定是谁，{header}未变：请填写{header}的工号或手机号后重新导入本表"
            )
    return notes
