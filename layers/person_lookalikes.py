"""Persons of a roster who look like a person on record: a resident ID typed wrong, or another's.

A clerk who types a person's ID with a slip (day and month swapped, one digit wrong) and then
imports the corrected list creates a second record of the same person: the ID is the person's
key, and the two IDs differ. So before a roster's new persons are written, each is compared
with the persons on record of the same category, the same name and the same township (the
first 9 digits of the area code: the village, or the township a record is placed in): one
whose ID differs from theirs in at most :data:`MOST_DIGITS` of the first 17 digits (the check
character follows from them) is named in a note, by row only (``疑似同一人：第 3 行…``), for
the clerk to check; nothing is merged or refused. The IDs are compared unsealed, in memory,
with the platform keys the import holds; neither is ever printed or logged.

A resident ID is one person's: a row whose ID is on record in another category under another
name is noted too (``身份证号与他人重合：第 3 行…``, :func:`another_name_notes`), and imported
(the registration form refuses it, :mod:`layers.person_entry`).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from layers.model import PersonCategory
from layers.secrets import Keys, SecretError, unseal

MOST_DIGITS = 2
"""How many of the first 17 digits two IDs of one name may differ in to be noted."""
NOTE = "疑似同一人：第 {row} 行与库中记录姓名相同、身份证号仅差 {digits} 位，请核对"
"""What the summary says of a new person who looks like one on record (no name, no ID)."""
ANOTHER_NAME_NOTE = (
    "身份证号与他人重合：第 {row} 行的公民身份号码已作为{category}在册，姓名与本行不同，"
    "一个身份证号只属于一人，请核对"
)
"""What the summary says of a row whose ID is on record in another category under another
name (no name, no ID)."""


def digits_apart(first: str, second: str) -> int | None:
    """Return how many of the first 17 characters two IDs differ in (``None``: lengths differ).

    Examples
    --------
    >>> digits_apart("53042419880512555X", "530424198805215555")
    2
    >>> digits_apart("530424198805215555", "530424650317151") is None
    True
    """
    if len(first) != len(second):
        return None
    return sum(a != b for a, b in zip(first[:17], second[:17], strict=True))


def lookalike_notes(conn: psycopg.Connection[Any], staging: str, keys: Keys) -> list[str]:
    """Return a note for each new staged person who looks like a person on record.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        The staging table of the persons (``_row``, ``category``, ``name``, ``area_code``,
        ``id_hash``, ``id_sealed``).
    keys : Keys
        The platform keys (to unseal both IDs).

    Returns
    -------
    list of str
        One :data:`NOTE` per staged row, by row number (the closest record's digits).
    """
    query = sql.SQL(
        "SELECT s._row, s.id_sealed, p.id_sealed FROM {staging} AS s"
        " JOIN persons AS p ON p.category = s.category AND p.name = btrim(s.name)"
        " AND left(p.area_code, 9) = left(s.area_code, 9) AND p.id_hash <> s.id_hash"
        " WHERE NOT EXISTS (SELECT 1 FROM persons AS q"
        " WHERE q.category = s.category AND q.id_hash = s.id_hash)"
        " ORDER BY s._row"
    ).format(staging=sql.Identifier(staging))
    closest: dict[int, int] = {}
    for row, staged, on_record in conn.execute(query).fetchall():
        try:
            apart = digits_apart(unseal(keys, staged), unseal(keys, on_record))
        except SecretError:  # sealed under other keys: nothing to compare
            continue
        if apart is not None and 0 < apart <= MOST_DIGITS:
            closest[int(row)] = min(apart, closest.get(int(row), apart))
    return [NOTE.format(row=row, digits=digits) for row, digits in sorted(closest.items())]


def another_name_notes(conn: psycopg.Connection[Any], staging: str) -> list[str]:
    """Return a note for each staged person whose ID is on record elsewhere under another name.

    A person may be on record in two categories, but under one name: a row whose ID a live
    record of another category bears with another name is a mistyped ID or another person's.
    The row is imported all the same (the roster is the office's list); the note names it by
    row and the other record by category only.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        The staging table of the persons (``_row``, ``category``, ``name``, ``id_hash``).

    Returns
    -------
    list of str
        One :data:`ANOTHER_NAME_NOTE` per staged row and other category, in row order.
    """
    query = sql.SQL(
        "SELECT DISTINCT s._row, p.category FROM {staging} AS s"
        " JOIN persons AS p ON p.id_hash = s.id_hash AND p.category <> s.category"
        " AND p.ended_on IS NULL AND p.name <> btrim(s.name)"
        " ORDER BY s._row, p.category"
    ).format(staging=sql.Identifier(staging))
    return [
        ANOTHER_NAME_NOTE.format(row=row, category=PersonCategory.label_of(category))
        for row, category in conn.execute(query).fetchall()
    ]


def person_notes(conn: psycopg.Connection[Any], staging: str, keys: Keys) -> list[str]:
    """Return what a roster's summary says of its persons against those on record.

    :func:`lookalike_notes` (a mistyped ID of a person on record), then
    :func:`another_name_notes` (an ID on record under another name).
    """
    return [*lookalike_notes(conn, staging, keys), *another_name_notes(conn, staging)]
