"""Which grid a person a roster gives no point and no grid lives in: their village's only one.

司法局's and 卫健局's rosters give a 现住址 and a 所属社区, no 网格 and no coordinates (trial AV
M1): every person loaded on no worker's 走访 list. The importer finds the person's village from
the address, as it does a case's (:mod:`importers.names`), or from the 所属社区; a village that
has one grid in use lies in it, and so does the person. A village of several grids does not
tell which: the person keeps no grid, and the import says so.

The person is given no point: the address gives a village, not a home, and cases placed by
their address get none either (:data:`importers.kinds.cases.UNLOCATED_NOTE`). A made-up point
(the village's centre) would stand for a home everywhere a residence is read: the audited
unmasked read's exact point, the 导航 link, a later roster's moved-point warning and the
check of its coordinate system against the points on record, a grid re-division moving
persons by their points.

:func:`only_grids` reads the villages, :func:`placed_on_record` the persons on record who
have a residence or a grid already (a place picked on the map is never overwritten).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg


def only_grids(
    conn: psycopg.Connection[Any], villages: Sequence[str]
) -> dict[str, tuple[int, str]]:
    """Return how many grids in use each of ``villages`` has, and the first of them.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the import's transaction.
    villages : sequence of str
        12-digit codes of villages.

    Returns
    -------
    dict
        Village code → (number of grids in use, the code of the first); a village without
        grids in use, or retired, is left out.
    """
    rows = conn.execute(
        "SELECT j.code, count(*), min(g.code) FROM jurisdictions AS j"
        " JOIN grids AS g ON g.area_code = j.code AND g.retired_on IS NULL"
        " WHERE j.code = ANY(%s) AND j.retired_on IS NULL GROUP BY j.code",
        (sorted(set(villages)),),
    ).fetchall()
    return {str(code): (int(n), str(first)) for code, n, first in rows}


def placed_on_record(
    conn: psycopg.Connection[Any], records: Sequence[tuple[str, bytes]]
) -> set[tuple[str, bytes]]:
    """Return those of the records whose person on record has a residence or a grid.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the import's transaction.
    records : sequence of tuple
        Category code and keyed hash of the resident ID
        (:func:`layers.secrets.hash_resident_id`) of each record.

    Returns
    -------
    set of tuple
        Those of a record on record placed already: the place it has (picked on the map,
        given by an earlier roster) is its own.
    """
    pairs = sorted(set(records))
    rows = conn.execute(
        "SELECT p.category, p.id_hash FROM persons AS p"
        " JOIN unnest(%s::text[], %s::bytea[]) AS r(category, id_hash)"
        " ON p.category = r.category AND p.id_hash = r.id_hash"
        " WHERE p.residence IS NOT NULL OR p.grid_code IS NOT NULL",
        ([c for c, _ in pairs], [h for _, h in pairs]),
    ).fetchall()
    return {(str(row[0]), bytes(row[1])) for row in rows}
