"""Change notices of the layer tables, and a cache that serves only what no commit changed.

Migration ``0006_notify_changes`` gives every table a collection reads from a statement-level
trigger: a writing statement sends ``NOTIFY zongzhi_changes, '<table>'``, which PostgreSQL
delivers when the transaction commits (and drops on rollback). A :class:`ChangeWatch` listens on
one connection per process and counts the notices per table. A :class:`FreshCache` entry keeps
the counts of its tables as they were when its value was read, and is served only while they
are the same.

Why no entry outlives a committed change (by more than the notice's way from PostgreSQL):
the counts are taken *before* the statement that computes the value takes its snapshot (under
READ COMMITTED every statement takes its own). A change that snapshot missed commits later, so
its notice arrives after the counts were taken: either before the value is stored (the store
sees other counts and drops it) or after (the entry no longer matches). While the watch is not
listening (starting, or reconnecting after an error) nothing is served or stored, and each new
connection starts a new epoch, so notices lost in between cannot leave an old entry valid.

Only values computed by a transaction that has not itself written to the tables may be stored
(an uncommitted write would be cached and a rollback sends no notice): read-only routes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import psycopg
from cachetools import LRUCache

log = logging.getLogger(__name__)

CHANNEL = "zongzhi_changes"
"""The NOTIFY channel of the change triggers; the payload is the table's name."""

V = TypeVar("V")

Stamp = tuple[int, ...]
"""The watch's epoch followed by the notice count of each table, in the order asked."""


class ChangeWatch:
    """Counts the change notices of each table, for as long as :meth:`run` runs.

    Parameters
    ----------
    conninfo : str
        libpq connection string or ``postgresql://`` URL of the listening connection (any role:
        ``LISTEN`` needs no privilege).
    retry_seconds : float
        Pause before reconnecting after the connection failed.
    """

    def __init__(self, conninfo: str, *, retry_seconds: float = 1.0) -> None:
        self.conninfo = conninfo
        self.retry_seconds = retry_seconds
        self._counts: dict[str, int] = {}
        self._epoch = 0
        self._listening = threading.Event()

    @property
    def listening(self) -> bool:
        """Whether notices are being received (stamps are only given then)."""
        return self._listening.is_set()

    def stamp(self, tables: Sequence[str]) -> Stamp | None:
        """Return the current stamp of ``tables``; ``None`` while not listening.

        Parameters
        ----------
        tables : sequence of str
            Table names.

        Returns
        -------
        tuple of int or None
            Equal to a later stamp of the same tables only if no notice of theirs arrived
            in between and the connection was not lost.
        """
        if not self._listening.is_set():
            return None
        epoch = self._epoch
        return (epoch, *(self._counts.get(table, 0) for table in tables))

    def changed(self, table: str) -> None:
        """Count a change of ``table`` (what a notice does).

        Parameters
        ----------
        table : str
            Table name.
        """
        self._counts[table] = self._counts.get(table, 0) + 1

    async def run(self) -> None:
        """Listen until cancelled, reconnecting after connection errors (logged once each)."""
        failing = False
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo,
                    autocommit=True,
                    keepalives=1,
                    keepalives_idle=10,
                    keepalives_interval=5,
                    keepalives_count=3,
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._epoch += 1
                    self._listening.set()
                    if failing:
                        log.warning("change notices back; caches in use again")
                        failing = False
                    async for message in conn.notifies():
                        self.changed(message.payload)
            except (psycopg.Error, OSError) as error:
                if not failing:
                    log.warning("change notices lost (%s); caches bypassed until back", error)
                    failing = True
            finally:
                self._listening.clear()
            await asyncio.sleep(self.retry_seconds)


@dataclass(frozen=True)
class Ticket:
    """What :meth:`FreshCache.store` needs after a miss: the key and the stamp taken before.

    Attributes
    ----------
    key : Hashable
        Cache key.
    tables : tuple of str
        Tables the value is read from.
    stamp : tuple of int
        Their stamp before the value was read.
    """

    key: Hashable
    tables: tuple[str, ...]
    stamp: Stamp


@dataclass(frozen=True)
class _Entry(Generic[V]):
    tables: tuple[str, ...]
    stamp: Stamp
    value: V
    size: int
    stored_at: float


class FreshCache(Generic[V]):
    """A least-recently-used cache of values read from tables, bounded in bytes.

    Parameters
    ----------
    watch : ChangeWatch
        The process's watch.
    max_bytes : int
        Capacity (sum of the sizes given to :meth:`store`); ``0`` turns the cache off.
    max_age : float
        Seconds an entry is served at most, changes or not: a bound on staleness should notices
        ever be lost without the connection failing (a proxy that does not pass ``LISTEN`` on,
        such as PgBouncer in transaction mode).

    Examples
    --------
    >>> watch = ChangeWatch("postgresql://unused")
    >>> cache: FreshCache[bytes] = FreshCache(watch, max_bytes=1000)
    >>> cache.lookup("k", ("cases",))  # not listening: no value, no ticket
    (None, None)
    """

    def __init__(self, watch: ChangeWatch, *, max_bytes: int, max_age: float = 60.0) -> None:
        self.watch = watch
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._entries: LRUCache[Hashable, _Entry[V]] = LRUCache(
            maxsize=max(1, max_bytes), getsizeof=lambda entry: entry.size
        )
        self._lock = threading.Lock()

    def lookup(self, key: Hashable, tables: Sequence[str]) -> tuple[V | None, Ticket | None]:
        """Return the value of ``key`` if still fresh, and a ticket to store it after a miss.

        Parameters
        ----------
        key : Hashable
            Cache key: everything the value depends on except the tables' contents.
        tables : sequence of str
            Tables the value is read from.

        Returns
        -------
        tuple
            ``(value, None)`` on a hit; ``(None, ticket)`` on a miss; ``(None, None)`` when
            the cache is off or the watch is not listening (then nothing can be stored).
        """
        if self.max_bytes <= 0:
            return None, None
        stamp = self.watch.stamp(tables)
        if stamp is None:
            return None, None
        tables = tuple(tables)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                fresh = time.monotonic() - entry.stored_at <= self.max_age
                if fresh and entry.stamp == stamp and entry.tables == tables:
                    return entry.value, None
                del self._entries[key]
        return None, Ticket(key, tables, stamp)

    def store(self, ticket: Ticket | None, value: V, size: int) -> None:
        """Keep ``value`` under the ticket's key unless its tables changed since the lookup.

        Parameters
        ----------
        ticket : Ticket or None
            From :meth:`lookup` (``None``: nothing is stored).
        value : object
            The value read from the database after the lookup.
        size : int
            Its size in bytes (values larger than the capacity are not kept).
        """
        if ticket is None or size > self.max_bytes:
            return
        if self.watch.stamp(ticket.tables) != ticket.stamp:
            return
        with self._lock:
            self._entries[ticket.key] = _Entry(
                ticket.tables, ticket.stamp, value, max(1, size), time.monotonic()
            )

    def __len__(self) -> int:
        """Return the number of entries held (fresh or not)."""
        return len(self._entries)
