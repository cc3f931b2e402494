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

An import for a jurisdiction (``--within``, a console job's account scope) looks persons up by
resident ID inside it only (trial AJ S1–S3: a township's roster took over, renamed and moved
another township's person, and its dry run, like a visits file's, told any ID's category, village
and whether a guessed name was right). A row whose ID is on record outside it, live in any
category, or in the row's category even ended (its unique key), is refused before any other
look-up (:func:`on_record_elsewhere`), with one reason whatever the category, the place and the
name (:data:`ELSEWHERE_ROW`, the registration form's :data:`layers.person_entry.ELSEWHERE` for a
file's row), in a dry run as in an import; each such row is audited under the record it met
(:func:`audit_refusals`, ``person.import.refused``), so that a person's look-up in the audit log
finds who imported their ID. The notes compare with the persons inside it only (``area`` of
:class:`PersonNotes`). Without a jurisdiction (a county's command-line import of the whole
database) nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from layers import audit
from layers.bulk import ROW_COLUMN
from layers.database import psycopg_connection
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
ELSEWHERE_ROW = (
    "该公民身份号码不能由本辖区导入：请核对身份证号；核对无误的，请联系县综治中心，"
    "由县综治中心核实后办理登记"
)
"""Why a row of a file imported for a jurisdiction is refused when its resident ID is on record
outside it: whatever the category, the place and the name (:func:`on_record_elsewhere`), and
neutral, not saying that a record exists elsewhere (trial AW M7), as the registration form's
:data:`layers.person_entry.ELSEWHERE`."""
REFUSED_ACTION = "person.import.refused"
"""Audit action of such a row, one entry under the record it met (:func:`audit_refusals`)."""

Area = tuple[str, str]
"""A jurisdiction's codes as the half-open range ``(lo, hi)`` (:func:`geo.codes.scope_range`)."""
_ROW = sql.Identifier(ROW_COLUMN)


def _inside(alias: str, area: Area | None) -> sql.Composable:
    """Return the condition that a person ``alias`` lies in ``area`` (true without one)."""
    if area is None:
        return sql.SQL("TRUE")
    return sql.SQL("{a}.area_code >= {lo} AND {a}.area_code < {hi}").format(
        a=sql.Identifier(alias), lo=sql.Literal(area[0]), hi=sql.Literal(area[1])
    )


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


def lookalike_notes(
    conn: psycopg.Connection[Any], staging: str, keys: Keys, area: Area | None = None
) -> list[str]:
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
    area : tuple of str, optional
        The jurisdiction the file is imported for: only the persons in it are compared with.

    Returns
    -------
    list of str
        One :data:`NOTE` per staged row, by row number (the closest record's digits).
    """
    query = sql.SQL(
        "SELECT s._row, s.id_sealed, p.id_sealed FROM {staging} AS s"
        " JOIN persons AS p ON p.category = s.category AND p.name = btrim(s.name)"
        " AND left(p.area_code, 9) = left(s.area_code, 9) AND p.id_hash <> s.id_hash"
        " AND {p_inside}"
        " WHERE NOT EXISTS (SELECT 1 FROM persons AS q"
        " WHERE q.category = s.category AND q.id_hash = s.id_hash AND {q_inside})"
        " ORDER BY s._row"
    ).format(
        staging=sql.Identifier(staging), p_inside=_inside("p", area), q_inside=_inside("q", area)
    )
    closest: dict[int, int] = {}
    for row, staged, on_record in conn.execute(query).fetchall():
        try:
            apart = digits_apart(unseal(keys, staged), unseal(keys, on_record))
        except SecretError:  # sealed under other keys: nothing to compare
            continue
        if apart is not None and 0 < apart <= MOST_DIGITS:
            closest[int(row)] = min(apart, closest.get(int(row), apart))
    return [NOTE.format(row=row, digits=digits) for row, digits in sorted(closest.items())]


def another_name_notes(
    conn: psycopg.Connection[Any], staging: str, area: Area | None = None
) -> list[str]:
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
    area : tuple of str, optional
        The jurisdiction the file is imported for: only the records in it are read (a row whose
        ID is on record outside it is refused before, :func:`on_record_elsewhere`).

    Returns
    -------
    list of str
        One :data:`ANOTHER_NAME_NOTE` per staged row and other category, in row order.
    """
    query = sql.SQL(
        "SELECT DISTINCT s._row, p.category FROM {staging} AS s"
        " JOIN persons AS p ON p.id_hash = s.id_hash AND p.category <> s.category"
        " AND p.ended_on IS NULL AND p.name <> btrim(s.name) AND {inside}"
        " ORDER BY s._row, p.category"
    ).format(staging=sql.Identifier(staging), inside=_inside("p", area))
    return [
        ANOTHER_NAME_NOTE.format(row=row, category=PersonCategory.label_of(category))
        for row, category in conn.execute(query).fetchall()
    ]


def person_notes(
    conn: psycopg.Connection[Any], staging: str, keys: Keys, area: Area | None = None
) -> list[str]:
    """Return what a roster's summary says of its persons against those on record.

    :func:`lookalike_notes` (a mistyped ID of a person on record), then
    :func:`another_name_notes` (an ID on record under another name); with ``area``, of the
    persons on record in it only.
    """
    return [
        *lookalike_notes(conn, staging, keys, area),
        *another_name_notes(conn, staging, area),
    ]


@dataclass(frozen=True)
class PersonNotes:
    """:func:`person_notes` as a roster's recognition calls it: ``(conn, staging) -> notes``.

    Attributes
    ----------
    keys : Keys
        The platform keys.
    area : tuple of str or None
        The jurisdiction the file is imported for (``--within``): the load sets it
        (:func:`dataclasses.replace`) so that the notes read the persons in it only.
    """

    keys: Keys
    area: Area | None = None

    def __call__(self, conn: psycopg.Connection[Any], staging: str) -> list[str]:
        """Return the notes of the staged persons (:func:`person_notes`)."""
        return person_notes(conn, staging, self.keys, self.area)


@dataclass(frozen=True)
class MetElsewhere:
    """A row of a file imported for a jurisdiction whose resident ID is on record outside it.

    Attributes
    ----------
    row : int
        The row's number in the file.
    person_id : int
        The record it met (the lowest id of those that refuse it): its audit entry's object.
    """

    row: int
    person_id: int


def on_record_elsewhere(
    conn: psycopg.Connection[Any],
    staging: str,
    area: Area,
    *,
    id_hash: str = "id_hash",
    category: str = "category",
) -> list[MetElsewhere]:
    """Return the staged rows whose resident ID is on record outside ``area``.

    A live record of any category refuses the row (a resident ID is one person's, and the
    person is another jurisdiction's), and so does a record of the row's category even ended
    (the unique key: an import would update it, moving it into ``area``); a row without a
    category (a visit's) is refused by any record. This is the registration form's rule
    (:func:`layers.person_entry._on_record_elsewhere`), read as the import's owner role.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    staging : str
        The staging table (``_row``, the resident-ID hash, the category).
    area : tuple of str
        The jurisdiction the file is imported for, ``(lo, hi)``.
    id_hash, category : str
        The staging table's columns of the resident-ID hash and of the category (``_id_hash``,
        ``_category`` for visits).

    Returns
    -------
    list of MetElsewhere
        One per such row, in row order, with the record it met.
    """
    query = sql.SQL(
        "SELECT s.{row}, min(p.id) FROM {staging} AS s JOIN persons AS p ON p.id_hash = s.{hash}"
        " WHERE NOT (p.area_code >= %(lo)s AND p.area_code < %(hi)s)"
        " AND (p.ended_on IS NULL OR s.{category} IS NULL OR p.category = s.{category})"
        " GROUP BY s.{row} ORDER BY s.{row}"
    ).format(
        row=_ROW,
        staging=sql.Identifier(staging),
        hash=sql.Identifier(id_hash),
        category=sql.Identifier(category),
    )
    rows = conn.execute(query, {"lo": area[0], "hi": area[1]}).fetchall()
    return [MetElsewhere(int(row), int(person)) for row, person in rows]


def audit_refusals(
    conn: Connection, met: Sequence[MetElsewhere], *, user: str, detail: Mapping[str, Any]
) -> int:
    """Write one audit entry per row refused so, under the record it met, in ``conn``'s transaction.

    ``person.import.refused`` (:data:`REFUSED_ACTION`), ``denied``, the reason the row was given
    (:data:`ELSEWHERE_ROW`), and the row's number with ``detail`` (the import's kind, masked file
    name, checksum, dry run or not): never the row's data. Written after the import's transaction
    ended, so that a dry run, or an import refused, leaves them too; in one batch
    (:func:`layers.audit.record_each`: the chain's lock taken and its last hash read once).

    Parameters
    ----------
    conn : sqlalchemy.Connection
        Owner-role connection, in a transaction the caller commits.
    met : sequence of MetElsewhere
        The rows refused (:func:`on_record_elsewhere`).
    user : str
        Who imported (the entries' actor).
    detail : mapping
        What the entries say of the import; no personal data.

    Returns
    -------
    int
        Entries written.
    """
    with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
        written = audit.record_each(
            psycopg_connection(session),
            [str(found.person_id) for found in met],
            actor_name=user,
            action=REFUSED_ACTION,
            object_type="person",
            outcome="denied",
            reason=ELSEWHERE_ROW,
            detail=detail,
            details=[{"row": found.row} for found in met],
        )
        session.commit()
    return written
