"""The append-only audit log, each row chained to the previous one by a SHA-256 hash.

``hash = sha256(prev_hash || canonical_json(row))`` where the canonical JSON holds every column
but the hashes (keys sorted, compact separators, UTF-8, ``at`` in UTC ISO format). Writers take
a transaction-level advisory lock, so concurrent writers append one after the other and the
chain stays linear. Table triggers refuse UPDATE and DELETE; :func:`verify_chain` finds any row
that was altered, inserted or removed behind the platform's back.

Details must never carry personal data (resident IDs, names of persons): :func:`record` refuses
details with name-like keys or values that look like resident ID numbers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from layers.errors import InvalidInput
from layers.model import AuditEntry

LOCK_KEY = 0x7A6F6E677A686901
"""Advisory-lock key serialising writers of ``audit_log``."""

OUTCOMES = ("ok", "denied", "failed", "error")
"""Allowed values of the ``outcome`` column."""

_PERSONAL_KEYS = frozenset(
    {"name", "person_name", "resident_id", "id_number", "id_card", "idcard", "sfzh", "phone"}
)
_RESIDENT_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries, newest first.

    Attributes
    ----------
    entries : list of AuditEntry
        The rows.
    matched : int
        How many rows match the filters in total.
    """

    entries: list[AuditEntry]
    matched: int


def canonical_json(row: Mapping[str, Any]) -> bytes:
    """Return the canonical UTF-8 JSON of an audit row (keys sorted, no spaces).

    Parameters
    ----------
    row : mapping
        Column values; datetimes are written in UTC ISO format.

    Returns
    -------
    bytes
        The bytes that are hashed.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": "x y"})
    b'{"a":"x y","b":1}'
    """

    def default(value: object) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        raise TypeError(f"cannot hash {type(value).__name__}")

    return json.dumps(
        row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    ).encode("utf-8")


def chain_hash(prev_hash: bytes | None, row: Mapping[str, Any]) -> bytes:
    """Return ``sha256(prev_hash || canonical_json(row))``.

    Parameters
    ----------
    prev_hash : bytes or None
        Hash of the previous row (``None`` for the first row).
    row : mapping
        The row's column values (see :func:`canonical_json`).

    Returns
    -------
    bytes
        32-byte digest.

    Examples
    --------
    >>> len(chain_hash(None, {"id": 1}))
    32
    """
    return hashlib.sha256((prev_hash or b"") + canonical_json(row)).digest()


def _hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "detail": entry.detail,
    }


def _check_detail(value: object) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if str(key).lower() in _PERSONAL_KEYS:
                raise InvalidInput("个人信息不能写入审计日志，请删去姓名、身份证号等内容")
            _check_detail(inner)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for inner in value:
            _check_detail(inner)
    elif isinstance(value, str) and _RESIDENT_ID.search(value):
        raise InvalidInput("内容中有疑似公民身份号码，不能写入审计日志，请删去后重试")


def record(
    session: Session,
    *,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    outcome: str = "ok",
    reason: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log, chained to the previous entry.

    Takes the audit advisory lock for the rest of the transaction: commit promptly.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (owner or app role; ``audit_log`` has no row-level security).
    actor_id : int or None
        User id (``None`` for an unknown user or the system).
    actor_name : str
        User name as typed or known.
    action : str
        What was done, e.g. ``login``, ``person.unmask``, ``case.dispatch``.
    object_type : str, optional
        Kind of object acted on.
    object_id : str, optional
        Its id or code.
    outcome : str
        One of :data:`OUTCOMES`.
    reason : str, optional
        The reason the user stated (unmasking) or the reason of a refusal.
    detail : mapping, optional
        Extra JSON facts; never personal data.

    Returns
    -------
    layers.model.AuditEntry
        The flushed entry.

    Raises
    ------
    InvalidInput
        Unknown outcome, or personal data in ``detail``.
    """
    if outcome not in OUTCOMES:
        raise InvalidInput(f"审计结果无效，可选：{'、'.join(OUTCOMES)}")
    if detail is not None:
        _check_detail(detail)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    prev_hash = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    new_id, at = session.execute(
        text("SELECT nextval(pg_get_serial_sequence('audit_log', 'id')), clock_timestamp()")
    ).one()
    entry = AuditEntry(
        id=new_id,
        at=at,
        actor_id=actor_id,
        actor_name=actor_name[:50],
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        reason=reason,
        detail=dict(detail) if detail is not None else None,
        prev_hash=prev_hash,
    )
    entry.hash = chain_hash(prev_hash, _hashed_fields(entry))
    session.add(entry)
    session.flush()
    return entry


_INSERT_ROW = (
    "INSERT INTO audit_log (id, at, actor_id, actor_name, action, object_type, object_id,"
    " outcome, reason, detail, prev_hash, hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def record_each(
    conn: psycopg.Connection[Any],
    object_ids: Sequence[str],
    *,
    actor_name: str,
    action: str,
    object_type: str,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Append one entry per object to the audit log through psycopg (an import's connection).

    The entries are those :func:`record` would write (actor unknown to the platform, outcome
    ``ok``), chained in the order given, in the connection's transaction: rolled back with it.
    Takes the audit advisory lock for the rest of the transaction when there is an entry.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the transaction of what is audited.
    object_ids : sequence of str
        The objects acted on, one entry each.
    actor_name : str
        Who acted (an import's user).
    action : str
        What was done, e.g. ``user.disable``.
    object_type : str
        Kind of the objects.
    detail : mapping, optional
        Extra JSON facts shared by the entries; never personal data.

    Returns
    -------
    int
        Entries written.

    Raises
    ------
    InvalidInput
        Personal data in ``detail``.
    """
    if not object_ids:
        return 0
    if detail is not None:
        _check_detail(detail)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    last = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash: bytes | None = bytes(last[0]) if last is not None else None
    made = conn.execute(
        "SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) AS id, clock_timestamp()"
        " FROM generate_series(1, %s) ORDER BY id",
        (len(object_ids),),
    ).fetchall()
    rows = []
    for object_id, (new_id, at) in zip(object_ids, made, strict=True):
        entry = AuditEntry(
            id=new_id,
            at=at,
            actor_id=None,
            actor_name=actor_name[:50],
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome="ok",
            reason=None,
            detail=dict(detail) if detail is not None else None,
            prev_hash=prev_hash,
        )
        entry.hash = chain_hash(prev_hash, _hashed_fields(entry))
        prev_hash = entry.hash
        given = Jsonb(entry.detail) if entry.detail is not None else None
        rows.append(
            (entry.id, entry.at, entry.actor_id, entry.actor_name, entry.action)
            + (entry.object_type, entry.object_id, entry.outcome, entry.reason, given)
            + (entry.prev_hash, entry.hash)
        )
    with conn.cursor() as cursor:
        cursor.executemany(_INSERT_ROW, rows)
    return len(rows)


def verify_chain(session: Session, *, batch: int = 5000) -> bool | int:
    """Check every link of the audit chain in id order.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    batch : int
        Rows fetched per round trip.

    Returns
    -------
    bool or int
        ``True`` when the chain is intact, else the id of the first row whose ``prev_hash`` or
        ``hash`` does not match.
    """
    prev: bytes | None = None
    rows = session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    )
    for entry in rows.scalars():
        if entry.prev_hash != prev or entry.hash != chain_hash(prev, _hashed_fields(entry)):
            return entry.id
        prev = entry.hash
    return True


def entries(
    session: Session,
    *,
    limit: int = 100,
    offset: int = 0,
    action: str | None = None,
    actor_name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditPage:
    """Return a page of audit entries, newest first, with optional filters.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    limit : int
        Page size (clamped to 1–1000).
    offset : int
        Rows to skip (negative counts as 0).
    action : str, optional
        Only this action.
    actor_name : str, optional
        Only this actor.
    since, until : datetime, optional
        Only entries with ``since <= at < until``.

    Returns
    -------
    AuditPage
        The page and the total match count.
    """
    query = select(AuditEntry)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if actor_name is not None:
        query = query.where(AuditEntry.actor_name == actor_name)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    matched = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 1000))).offset(max(0, offset))
    ).all()
    return AuditPage(list(page), matched)
