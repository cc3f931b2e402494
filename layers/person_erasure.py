"""Erasing the records of persons who left the register before a day.

A person who left the register (解除矫正, 死亡, 迁出 …: ``persons.ended_on``) is off the map and
out of the counts, and their record stays readable with the unmask permission. Once the
retention period the centre follows is over, the record is to be deleted (个人信息保护法
第四十七条): :func:`erase` deletes the records of the persons of a scope who left before a day,
with their visits and their responsible workers (foreign keys ``ON DELETE CASCADE``), in the
caller's transaction. :func:`erasable` counts them first, for a dry run.

What stays is the row of ``erased_persons`` (:class:`layers.model.ErasedPerson`): what keeps the
audit log answerable, nothing more. Each erased record is an audit entry of its own
(:data:`ACTION`, with the day asked for), so the auditor sees the erasure among the reads.
A person still on the register is never erased, whatever the day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import audit
from layers.catalog import MASKED_NAME_SQL
from layers.database import psycopg_connection
from layers.errors import InvalidInput

ACTION = "person.erase"
"""Audit action of one erased record."""

_TOWNSHIP = "coalesce(j.name, rpad(left(t.area_code, 9), 12, '0'))"
"""The township of a record: its name, or its 12-digit code when it has none on record."""
_TOWNSHIP_JOIN = "LEFT JOIN jurisdictions AS j ON j.code = rpad(left(t.area_code, 9), 12, '0')"
_LEFT_BEFORE = (
    "t.ended_on IS NOT NULL AND t.ended_on < :before AND t.area_code >= :lo AND t.area_code < :hi"
)
"""The records erased: of the scope, their person left the register before the day."""


@dataclass(frozen=True)
class Erasure:
    """How many records an erasure deletes (or would delete), never whose.

    Attributes
    ----------
    by_category : collections.Counter of str
        Records per special-population category code.
    by_township : collections.Counter of str
        Records per township: its name (its 12-digit code when it has none on record).
    """

    by_category: Counter[str] = field(default_factory=Counter)
    by_township: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Records in all."""
        return sum(self.by_category.values())


def check_day(session: Session, before: date) -> None:
    """Refuse a day after today (Asia/Shanghai): a mistyped year would erase every record left.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (its clock is the database's).
    before : datetime.date
        The day asked for.

    Raises
    ------
    InvalidInput
        The day is after today.
    """
    today = session.execute(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")).scalar_one()
    if before > today:
        raise InvalidInput(f"日期 {before.isoformat()} 晚于今天（{today.isoformat()}）")


def erasable(session: Session, before: date, scope: tuple[str, str]) -> Erasure:
    """Count the records :func:`erase` would delete, writing nothing.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session whose row-level scope covers ``scope``.
    before : datetime.date
        Records of persons who left the register before this day (not on it).
    scope : tuple of str
        The half-open code range ``[lo, hi)`` of the jurisdiction (:func:`geo.codes.scope_range`).

    Returns
    -------
    Erasure
        The counts.
    """
    rows = session.execute(
        text(
            f"SELECT t.category, {_TOWNSHIP} FROM persons AS t {_TOWNSHIP_JOIN}"
            f" WHERE {_LEFT_BEFORE}"
        ),
        _parameters(before, scope),
    )
    return _counted(rows)


def erase(session: Session, before: date, scope: tuple[str, str], *, actor_name: str) -> Erasure:
    """Delete the records of the persons of ``scope`` who left the register before ``before``.

    Their visits and responsible workers go with them. Each record leaves its row in
    ``erased_persons`` and an audit entry (:data:`ACTION`); all of it in the session's
    transaction, so an interrupted erasure erases nothing.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Owner session whose row-level scope covers ``scope``.
    before : datetime.date
        Records of persons who left the register before this day (not on it).
    scope : tuple of str
        The half-open code range ``[lo, hi)`` of the jurisdiction.
    actor_name : str
        Who erases (the operating-system user of a command).

    Returns
    -------
    Erasure
        What was deleted, counted.

    Raises
    ------
    InvalidInput
        ``before`` is after today (:func:`check_day`).
    """
    check_day(session, before)
    rows = session.execute(
        text(
            f"WITH gone AS (DELETE FROM persons AS t WHERE {_LEFT_BEFORE}"
            f" RETURNING t.id, t.category, {MASKED_NAME_SQL} AS name_masked, t.id_hash,"
            " t.area_code, t.ended_on),"
            " kept AS (INSERT INTO erased_persons"
            " (id, category, name_masked, id_hash, area_code, ended_on)"
            " SELECT * FROM gone RETURNING id, category, area_code)"
            f" SELECT t.category, {_TOWNSHIP}, t.id FROM kept AS t {_TOWNSHIP_JOIN} ORDER BY t.id"
        ),
        _parameters(before, scope),
    ).all()
    audit.record_each(
        psycopg_connection(session),
        [str(row[2]) for row in rows],
        actor_name=actor_name,
        action=ACTION,
        object_type="person",
        detail={"left_before": before.isoformat()},
    )
    return _counted(rows)


def _counted(rows: Iterable[Sequence[Any]]) -> Erasure:
    erasure = Erasure()
    for row in rows:
        erasure.by_category[str(row[0])] += 1
        erasure.by_township[str(row[1])] += 1
    return erasure


def _parameters(before: date, scope: tuple[str, str]) -> dict[str, object]:
    return {"before": before, "lo": scope[0], "hi": scope[1]}
