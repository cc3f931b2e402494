"""Live updates: PostgreSQL LISTEN/NOTIFY fanned out to subscribers by jurisdiction.

Triggers (migration 0003) ``NOTIFY zongzhi_live`` with a tiny JSON payload — the kind, the row
id and its ``area_code`` — when a case event is appended and when a worker's position or status
changes; PostgreSQL delivers it on commit. One :class:`Hub` per process holds a single listening
connection and hands each notification to the subscribers whose scope range contains the
area code. The subscriber then reads the row itself under its own scope (:func:`fetch`), so
row-level security stays the second wall and no payload ever crosses a scope boundary.

The hub starts its listening connection with the first subscriber and closes it when the last
one leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import scope_range

CHANNEL = "zongzhi_live"
"""The NOTIFY channel of the triggers."""
KINDS = ("case_event", "worker")
"""Kinds of notification."""


@dataclass(frozen=True)
class Notice:
    """One notification: what changed, where.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    id : int
        Row id (``case_events.id`` or ``workers.id``).
    area_code : str
        The row's jurisdiction code.
    """

    kind: str
    id: int
    area_code: str

    @classmethod
    def parse(cls, payload: str) -> Notice | None:
        """Parse a NOTIFY payload; ``None`` if it is not one of ours.

        Parameters
        ----------
        payload : str
            JSON text.

        Returns
        -------
        Notice or None
            The notice.

        Examples
        --------
        >>> Notice.parse('{"kind": "worker", "id": 7, "area_code": "530424100001"}')
        Notice(kind='worker', id=7, area_code='530424100001')
        >>> Notice.parse("garbage") is None
        True
        """
        try:
            data = json.loads(payload)
            notice = cls(str(data["kind"]), int(data["id"]), str(data["area_code"]))
        except (ValueError, KeyError, TypeError):
            return None
        return notice if notice.kind in KINDS else None


@dataclass(eq=False)
class Subscription:
    """One subscriber: its scope range and its queue of notices.

    Attributes
    ----------
    lo, hi : str
        Scope range ``[lo, hi)``.
    queue : asyncio.Queue
        Notices inside the range; the oldest are dropped when it is full.
    """

    lo: str
    hi: str
    queue: asyncio.Queue[Notice] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    def offer(self, notice: Notice) -> None:
        """Queue ``notice`` if it lies in the scope (drop the oldest one when full).

        Parameters
        ----------
        notice : Notice
            The notice.
        """
        if not self.lo <= notice.area_code < self.hi:
            return
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(notice)


class Hub:
    """Fan-out of the platform's NOTIFY channel to scoped subscribers.

    Parameters
    ----------
    conninfo : str
        libpq connection string or ``postgresql://`` URL for the listening connection.
    """

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None

    @property
    def subscribers(self) -> int:
        """Number of current subscribers."""
        return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def subscribe(self, scope_code: str) -> AsyncIterator[Subscription]:
        """Subscribe to the notices inside the jurisdiction ``scope_code``.

        Parameters
        ----------
        scope_code : str
            12-digit jurisdiction code of the subscriber.

        Yields
        ------
        Subscription
            Read notices from its ``queue``; the listener is running when this yields.
        """
        lo, hi = scope_range(scope_code)
        subscription = Subscription(lo, hi)
        self._subscribers.add(subscription)
        try:
            await self._ensure_listening()
            yield subscription
        finally:
            self._subscribers.discard(subscription)
            if not self._subscribers and self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
                self._task = None

    async def _ensure_listening(self) -> None:
        if self._task is None or self._task.done():
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._listen(self._ready))
        assert self._ready is not None
        ready = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            self._task.result()  # re-raise the connection error

    async def _listen(self, ready: asyncio.Event) -> None:
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            ready.set()
            async for message in conn.notifies():
                notice = Notice.parse(message.payload)
                if notice is None:
                    continue
                for subscription in list(self._subscribers):
                    subscription.offer(notice)


def listen_url(sqlalchemy_url: str) -> str:
    """Return the libpq URL of a SQLAlchemy ``postgresql+psycopg://`` URL.

    Parameters
    ----------
    sqlalchemy_url : str
        SQLAlchemy URL (with password).

    Returns
    -------
    str
        ``postgresql://…``.

    Examples
    --------
    >>> listen_url("postgresql+psycopg://u:p@127.0.0.1:5432/db")
    'postgresql://u:p@127.0.0.1:5432/db'
    """
    head, sep, tail = sqlalchemy_url.partition("://")
    return "postgresql" + sep + tail if head.startswith("postgresql") else sqlalchemy_url


_CASE_EVENT = text(
    """
    SELECT e.id, e.case_id, c.code AS case_code, e.area_code, e.at, e.actor_name, e.action,
           e.from_state, e.to_state, e.note, c.title, c.risk_level, c.handling_level, c.version,
           ST_X(c.point) AS lon, ST_Y(c.point) AS lat
      FROM case_events e JOIN cases c ON c.id = e.case_id
     WHERE e.id = :id AND e.area_code >= :lo AND e.area_code < :hi
    """
)
_WORKER = text(
    """
    SELECT id, name, role, status, area_code, home_grid, last_seen_at,
           ST_X(last_position) AS lon, ST_Y(last_position) AS lat
      FROM workers WHERE id = :id AND area_code >= :lo AND area_code < :hi
    """
)


def fetch(session: Session, notice: Notice, *, scope_code: str) -> dict[str, Any] | None:
    """Read the row behind ``notice`` under ``scope_code``; ``None`` if it is not visible.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the subscriber (row-level security applies too).
    notice : Notice
        The notice.
    scope_code : str
        The subscriber's jurisdiction code.

    Returns
    -------
    dict or None
        JSON-ready fields of the case event or the worker.
    """
    lo, hi = scope_range(scope_code)
    query = _CASE_EVENT if notice.kind == "case_event" else _WORKER
    row = session.execute(query, {"id": notice.id, "lo": lo, "hi": hi}).mappings().first()
    if row is None:
        return None
    out = dict(row)
    for key in ("at", "last_seen_at"):
        if out.get(key) is not None:
            out[key] = out[key].isoformat()
    return out
