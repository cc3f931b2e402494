"""A case whose address names another township than the one its point lies in (地址与位置不符).

A 12345 order's 地址 says ``宁州街道新城社区朝阳路18号`` while its coordinates fall in 盘溪镇:
the import placed it by the point, in 盘溪镇's queue, and said nothing (trial AX M4). The point
or the address is wrong, and only a person can tell which. So the import warns of each such row
(:func:`staged_elsewhere`, the row loads as placed) and records it on the case, an ``import``
event whose payload says what the address named and where the point lies (:func:`record`); the
case carries the mark the desk and the case page show while its address and place are still
those (:func:`for_cases`). A township's operators cannot read another township's name (row-level
security on ``jurisdictions``), so the mark is found by the import, which reads them all.

A case registered on the console is checked the same way (:func:`at_place`, trial BC: the
county's commander registered 「盘溪镇老堡村工业园区大门口」 at a point of 华溪镇南河村 and nothing
said so): its ``register`` event carries the same payload (:func:`registered`), and the
registration dialog asks first (:func:`at_point`). Those read the townships' names through
``zongzhi_address_elsewhere`` (migration 0046), which answers for a unit of the caller's scope
only and names no township the address does not spell out, so a township's operator is
checked as the county's is.

The address is compared with the full names of the townships (乡镇、街道) of the county the case
is placed in: it names another one and not its own. A name written short (``宁州``) is not read
(a road is often named so), nor a village's (two townships may have a 新村). The check is one
statement over the staged rows, run only for a file with an address column: the county's
townships are read once, then each address is searched for their names (a dozen or two a
county), never per row in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.bulk import ROW_COLUMN
from layers.point_units import units_at

MARK = "地址与位置不符"
"""The mark's words, on the desk and the case page."""
FOUND = "{staging}_elsewhere"
"""Temporary table of the staged rows :func:`staged_elsewhere` found (``key``: the row), by
staging table."""


@dataclass(frozen=True)
class Mismatch:
    """The township an address names, and where the point lies.

    Attributes
    ----------
    named : str
        The township (乡镇、街道) the address names.
    placed : str
        The township the point lies in, with its village (``宁州街道测试社区``) when placed in
        one.
    """

    named: str
    placed: str

    def text(self) -> str:
        """Return what the mark says in full.

        Examples
        --------
        >>> Mismatch("盘溪镇", "宁州街道新城社区").text()
        '地址与位置不符：地址写盘溪镇，点位在宁州街道新城社区'
        """
        return f"{MARK}：地址写{self.named}，点位在{self.placed}"

    def as_json(self) -> dict[str, str]:
        """Return it as the API gives it (``named``, ``placed``, ``text``)."""
        return {"named": self.named, "placed": self.placed, "text": self.text()}


def _elsewhere(source: str) -> str:
    """Return the statement finding the rows of ``source`` whose address names another township.

    ``source`` yields ``key``, ``address``, ``area_code`` and ``located`` (the row has a point).
    The result: ``key``, the township named (the longest name, if several), and where the point
    lies.
    """
    return (
        f"WITH r AS MATERIALIZED ({source}),"
        " towns AS MATERIALIZED ("
        " SELECT left(j.code, 6) AS county, j.code, j.name FROM jurisdictions AS j"
        " WHERE j.level = 4 AND j.retired_on IS NULL AND left(j.code, 6) IN"
        " (SELECT DISTINCT left(r.area_code, 6) FROM r WHERE r.located))"
        " SELECT DISTINCT ON (r.key) r.key, n.name AS named,"
        " p.name || coalesce((SELECT v.name FROM jurisdictions AS v WHERE v.code = r.area_code"
        " AND v.level = 5), '') AS placed"
        " FROM r JOIN towns AS p ON p.code = left(r.area_code, 9) || '000'"
        " JOIN towns AS n ON n.county = p.county AND n.code <> p.code"
        " AND strpos(r.address, n.name) > 0"
        " WHERE r.located AND strpos(r.address, p.name) = 0"
        " ORDER BY r.key, length(n.name) DESC, n.code"
    )


def for_cases(session: Session, ids: Sequence[int]) -> dict[int, Mismatch]:
    """Return the cases among ``ids`` whose address names another township than their point's.

    As the last import that found it recorded it (:func:`record`), or the registration
    (:func:`registered`), while the case's address
    and area are still those it had then (a corrected address or point drops the mark). One
    read of the cases' ``import`` and ``register`` events that carry it.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the reader.
    ids : sequence of int
        The cases listed or shown.

    Returns
    -------
    dict of int to Mismatch
        By case id; the cases whose address and point agree (or that lack either) are left out.
    """
    if not ids:
        return {}
    rows = session.execute(
        text(
            "SELECT DISTINCT ON (e.case_id) e.case_id, e.payload -> 'address_elsewhere',"
            " c.address, c.area_code FROM case_events AS e JOIN cases AS c ON c.id = e.case_id"
            " WHERE e.case_id = ANY(:ids) AND e.action IN ('import', 'register')"
            " AND e.payload ? 'address_elsewhere' ORDER BY e.case_id, e.id DESC"
        ),
        {"ids": list(ids)},
    ).all()
    return {
        int(case_id): Mismatch(str(said["named"]), str(said["placed"]))
        for case_id, said, address, area in rows
        if said.get("address") == address and said.get("area_code") == str(area)
    }


def at_place(session: Session, address: str | None, area_code: str | None) -> Mismatch | None:
    """Return what an address names if it is another township than the one ``area_code`` is in.

    The rule of the import (:func:`staged_elsewhere`) for one address: the full name of a live
    township of the unit's county, not that of the unit's own township (the longest, if
    several). Read through ``zongzhi_address_elsewhere`` (migration 0046), past the row-level
    security that hides the other townships from a township's operator, for a unit of the
    caller's scope only.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the caller.
    address : str or None
        The address as given.
    area_code : str or None
        The 12-digit unit the point lies in (a village or a township).

    Returns
    -------
    Mismatch or None
        ``None`` when either is missing, the address names no other township or names the
        unit's own, or the unit is out of the caller's scope.
    """
    if not address or not address.strip() or area_code is None or len(area_code) != 12:
        return None
    row = session.execute(
        text("SELECT named, placed FROM zongzhi_address_elsewhere(:said, :area)"),
        {"said": address, "area": area_code},
    ).first()
    return Mismatch(str(row[0]), str(row[1])) if row is not None else None


def registered(mismatch: Mismatch, address: str, area_code: str) -> dict[str, Any]:
    """Return the payload key a ``register`` event carries for a mismatch (as an import's).

    Examples
    --------
    >>> said = registered(Mismatch("盘溪镇", "华溪镇南河村"), "盘溪镇老堡村", "530424102201")
    >>> said["address_elsewhere"]["placed"], said["address_elsewhere"]["area_code"]
    ('华溪镇南河村', '530424102201')
    """
    return {
        "address_elsewhere": {
            "named": mismatch.named,
            "placed": mismatch.placed,
            "address": address,
            "area_code": area_code,
        }
    }


def note(mismatch: Mismatch) -> str:
    """Return the event's note: the mark, and what to do (as an import's event says it).

    Examples
    --------
    >>> note(Mismatch("盘溪镇", "华溪镇南河村"))
    '地址与位置不符：地址写盘溪镇，点位在华溪镇南河村，请核对地址或点位'
    """
    return f"{mismatch.text()}，请核对地址或点位"


def at_point(session: Session, address: str | None, lon: float, lat: float) -> dict[str, Any]:
    """Return what the registration dialog warns of before a case is registered at a point.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session scoped to the caller: a point out of the scope finds no unit of it.
    address : str or None
        The address typed.
    lon, lat : float
        The point chosen (CGCS2000).

    Returns
    -------
    dict
        ``area_code`` (the unit the point lies in, ``None`` out of the scope: the
        registration would be refused) and
        ``address_mismatch`` (:meth:`Mismatch.as_json`, or ``None``).
    """
    area, _grid = units_at(session, lon, lat)
    # a point of another township finds the county, an ancestor the scope reads: not its own
    if area is not None and not session.scalar(
        text("SELECT zongzhi_in_scope(CAST(:area AS bpchar))"), {"area": area}
    ):
        area = None
    mismatch = at_place(session, address, area)
    return {
        "area_code": area,
        "address_mismatch": mismatch.as_json() if mismatch is not None else None,
    }


def as_json(found: dict[int, Mismatch], case_id: int) -> dict[str, Any]:
    """Return what a case carries of it: ``{"address_mismatch": …}`` (``None`` when none).

    Examples
    --------
    >>> as_json({7: Mismatch("盘溪镇", "宁州街道")}, 7)["address_mismatch"]["named"]
    '盘溪镇'
    >>> as_json({}, 7)
    {'address_mismatch': None}
    """
    mismatch = found.get(case_id)
    return {"address_mismatch": mismatch.as_json() if mismatch is not None else None}


def staged_elsewhere(
    conn: psycopg.Connection[Any], staging: str, geometry: str
) -> list[tuple[int, str, Mismatch]]:
    """Return the staged cases whose address names another township than their point's.

    Run once the rows are placed (their area codes filled from the points). They are kept,
    for :func:`record`, in a temporary table of the transaction (:data:`FOUND`).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases (``address`` as it loads: personal numbers masked,
        ``area_code``).
    geometry : str
        Its point column.

    Returns
    -------
    list of (int, str, Mismatch)
        Row number, the address as staged, and what it names, by row.
    """
    staged = sql.Identifier(staging).as_string(conn)
    row, point = (sql.Identifier(c).as_string(conn) for c in (ROW_COLUMN, geometry))
    source = (
        f"SELECT s.{row} AS key, s.address, s.area_code::text AS area_code,"
        f" s.{point} IS NOT NULL AS located FROM {staged} AS s WHERE s.address IS NOT NULL"
    )
    found = sql.Identifier(FOUND.format(staging=staging)).as_string(conn)
    conn.execute(sql.SQL(f"DROP TABLE IF EXISTS {found}"))
    conn.execute(sql.SQL(f"CREATE TEMP TABLE {found} ON COMMIT DROP AS {_elsewhere(source)}"))
    rows = conn.execute(
        sql.SQL(  # the address as staged: its personal numbers masked
            f"SELECT e.key, s.address, e.named, e.placed FROM {found} AS e"
            f" JOIN {staged} AS s ON s.{row} = e.key ORDER BY e.key"
        )
    ).fetchall()
    return [(int(key), str(address), Mismatch(str(n), str(p))) for key, address, n, p in rows]


def record(conn: psycopg.Connection[Any], staging: str, actor: str) -> int:
    """Record on each case written what :func:`staged_elsewhere` found of its row.

    Run after the rows are written, in the same transaction: an ``import`` event
    (``地址与位置不符：地址写盘溪镇，点位在宁州街道测试社区，请核对地址或点位``) whose payload's
    ``address_elsewhere`` holds the township named, where the point lies, and the case's
    address and area code then (:func:`for_cases`). A case that has it already, the same, is
    not told again (the same file imported twice). Nothing when the check did not run.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        Staging table of cases (``channel``, ``external_no``; the rows refused deleted).
    actor : str
        Who imports (the events' ``actor_name``).

    Returns
    -------
    int
        The events written.
    """
    found = FOUND.format(staging=staging)
    there = conn.execute("SELECT to_regclass(%s)", (f"pg_temp.{found}",)).fetchone()
    if there is None or there[0] is None:
        return 0
    written = conn.execute(
        sql.SQL(
            "WITH said AS ("
            " SELECT c.id, c.area_code, c.state, f.named, f.placed,"
            " jsonb_build_object('named', f.named, 'placed', f.placed, 'address', c.address,"
            " 'area_code', c.area_code) AS found"
            " FROM {found} AS f JOIN {s} AS s ON s.{row} = f.key"
            " JOIN cases AS c ON c.channel = s.channel AND c.external_no = s.external_no"
            ") INSERT INTO case_events (case_id, area_code, actor_name, action, from_state,"
            " to_state, note, payload) SELECT id, area_code, {actor}, 'import', state, state,"
            " {mark} || '：地址写' || named || '，点位在' || placed || '，请核对地址或点位',"
            " jsonb_build_object('address_elsewhere', found) FROM said"
            " WHERE NOT EXISTS (SELECT 1 FROM case_events AS e WHERE e.case_id = said.id"
            " AND e.action = 'import' AND e.payload -> 'address_elsewhere' = said.found)"
        ).format(
            found=sql.Identifier(found),
            s=sql.Identifier(staging),
            row=sql.Identifier(ROW_COLUMN),
            actor=sql.Literal(actor[:50]),
            mark=sql.Literal(MARK),
        )
    )
    return written.rowcount
