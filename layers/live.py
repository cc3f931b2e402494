"""Live updates: PostgreSQL LISTEN/NOTIFY fanned out to subscribers by jurisdiction.

Triggers (migration 0003) ``NOTIFY zongzhi_live`` with a tiny JSON payload — the kind, the row
id and its ``area_code`` — when a case event is appended, when a worker's position or status
changes and (migration 0023) when a risk alert is raised, refreshed by a run, signed for or
closed; PostgreSQL delivers it on commit. An import of cases is quiet case by case (migration
0009, :func:`quiet_case_events`) and announces itself once instead (:func:`announce_import`),
with the range of the area codes of its new cases. One :class:`Hub` per process holds a single
listening connection and hands each notification to the subscribers whose scope range meets
the notice's codes. The subscriber then reads the row itself under its own scope
(:func:`fetch`), so row-level security stays the second wall and no payload ever crosses a
scope boundary.

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
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from geo.codes import scope_range

CHANNEL = "zongzhi_live"
"""The NOTIFY channel of the triggers."""
KINDS = ("case_event", "worker", "import", "alert")
"""Kinds of notification."""
QUIET_SETTING = "zongzhi.live_quiet"
"""Transaction-local setting that keeps case events from notifying one by one (migration 0009)."""


@dataclass(frozen=True)
class Notice:
    """One notification: what changed, where.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    id : int
        Row id (``case_events.id``, ``workers.id``, ``import_runs.id`` or ``alerts.id``).
    area_code : str
        The row's jurisdiction code; an import's smallest one.
    last_code : str or None
        An import's largest area code: its cases lie in ``[area_code, last_code]``.
    """

    kind: str
    id: int
    area_code: str
    last_code: str | None = None

    def meets(self, lo: str, hi: str) -> bool:
        """Whether the notice's codes meet the scope range ``[lo, hi)``.

        Parameters
        ----------
        lo, hi : str
            Scope range.

        Returns
        -------
        bool
            True when some code of the notice may lie in the range.

        Examples
        --------
        >>> notice = Notice("import", 3, "530424100001", "530424200009")
        >>> notice.meets("530424100", "530424101"), notice.meets("530425", "530426")
        (True, False)
        """
        return lo <= (self.last_code or self.area_code) and self.area_code < hi

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
        Notice(kind='worker', id=7, area_code='530424100001', last_code=None)
        >>> Notice.parse("garbage") is None
        True
        """
        try:
            data = json.loads(payload)
            last = data.get("last_code")
            notice = cls(
                str(data["kind"]),
                int(data["id"]),
                str(data["area_code"]),
                None if last is None else str(last),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
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
        """Queue ``notice`` if it meets the scope (drop the oldest one when full).

        Parameters
        ----------
        notice : Notice
            The notice.
        """
        if not notice.meets(self.lo, self.hi):
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
_IMPORT = text(
    """
    SELECT r.id AS import_id, r.finished_at AS at, count(*) AS cases,
           count(*) FILTER (WHERE c.state = 'registered') AS open,
           count(c.duplicate_of) FILTER (WHERE c.state = 'registered') AS open_repeats
      FROM import_runs r JOIN cases c ON c.import_id = r.id
     WHERE r.id = :id AND c.area_code >= :lo AND c.area_code < :hi
     GROUP BY r.id, r.finished_at
    """
)
_ALERT = text(
    """
    SELECT id, area_code, kind, level, state, refreshed_at AS at
      FROM alerts WHERE id = :id AND area_code >= :lo AND area_code < :hi
    """
)
_QUERIES = {"case_event": _CASE_EVENT, "worker": _WORKER, "import": _IMPORT, "alert": _ALERT}
_ANNOUNCE = text(
    f"""
    SELECT pg_notify('{CHANNEL}', json_build_object('kind', 'import', 'id', CAST(:id AS bigint),
           'area_code', min(area_code), 'last_code', max(area_code))::text)
      FROM cases WHERE import_id = :id HAVING count(*) > 0
    """
)
_QUIET = text(f"SELECT set_config('{QUIET_SETTING}', 'on', true)")
_LOUD = text(f"SELECT set_config('{QUIET_SETTING}', 'off', true)")


def quiet_case_events(conn: Connection) -> None:
    """Keep the case events of this transaction from notifying listeners one by one.

    An import calls it when it starts and :func:`announce_import` when it finishes.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        Connection inside the transaction.
    """
    conn.execute(_QUIET)


def announce_import(conn: Connection, import_id: int) -> None:
    """Notify listeners once of the cases import ``import_id`` added (delivered on commit).

    The payload carries the smallest and largest area code of the new cases; nothing is sent
    when the import added none. Case events written after it notify one by one again (an
    import inside a caller's transaction does not silence the caller).

    Parameters
    ----------
    conn : sqlalchemy.Connection
        The import's connection, inside its transaction.
    import_id : int
        ``import_runs.id``.
    """
    conn.execute(_ANNOUNCE, {"id": import_id})
    conn.execute(_LOUD)


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
        JSON-ready fields of the case event, the worker or the alert (its state, ``at`` when a
        run last refreshed it); of an import, the counts of its new
        cases inside the scope (``cases``; ``open``: registered, to be triaged; ``open_repeats``:
        of those, repeat reports of an earlier case), ``None`` when it has none.
    """
    lo, hi = scope_range(scope_code)
    query = _QUERIES[notice.kind]
    row = session.execute(query, {"id": notice.id, "lo": lo, "hi": hi}).mappings().first()
    if row is None:
        return None
    out = dict(row)
    for key in ("at", "last_seen_at"):
        if out.get(key) is not None:
            out[key] = out[key].isoformat()
    return out
