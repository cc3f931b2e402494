"""Results computed once and shared: the last few kept, one computation per key at a time.

The trends analysis (:func:`layers.trends.series`) and the 走访逐期统计
(:func:`layers.visit_history.visit_series`) are costly reads keyed by what they read (a
fingerprint of their rows): a key already computed is answered from a small LRU, and reads of a
key that come while it is computed, from the server's other worker threads, wait for that one
computation instead of doing it again. They all get its result, or the exception it raised,
which is not kept (the next read computes anew). :class:`SharedResults` is that mechanism, once.

Examples
--------
>>> shared: SharedResults[str, int] = SharedResults(maxsize=2)
>>> shared.get("a", lambda: 1), shared.get("a", lambda: 2), shared.computations
(1, 1, 1)
>>> shared.in_flight(), shared.waiting()
(0, 0)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from cachetools import LRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Flight(Generic[V]):
    """One computation in flight: its result, or failure, for every reader of its key."""

    result: Future[V] = field(default_factory=Future)
    waiting: int = 0


class SharedResults(Generic[K, V]):
    """The last ``maxsize`` results by key, each computed once however many reads ask it.

    Parameters
    ----------
    maxsize : int
        How many results are kept (least recently read dropped first).

    Attributes
    ----------
    computations : int
        How many results this process has computed (neither kept nor taken from a computation
        in flight): what the cache and the single flight save, counted.
    """

    def __init__(self, maxsize: int) -> None:
        self._kept: LRUCache[K, V] = LRUCache(maxsize=maxsize)
        self._in_flight: dict[K, _Flight[V]] = {}
        self._lock = threading.Lock()
        self.computations = 0

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """Return the result of ``key``: kept, awaited from the read computing it, or computed.

        Parameters
        ----------
        key : hashable
            What the result is of (its fingerprint included).
        compute : callable
            Computes it; called by the first read of a key not kept.

        Returns
        -------
        object
            The result (the same object for every read of the key: copy what you change).

        Raises
        ------
        BaseException
            What ``compute`` raised, to the read that called it and to those that waited.
        """
        with self._lock:
            if key in self._kept:
                return self._kept[key]
            flight = self._in_flight.get(key)
            computes = flight is None
            if flight is None:
                flight = self._in_flight[key] = _Flight()
                self.computations += 1
            else:  # another read computes it: its result, or its failure
                flight.waiting += 1
        if not computes:
            return flight.result.result()
        try:
            value = compute()
        except BaseException as error:
            with self._lock:
                del self._in_flight[key]  # not kept: the next read computes it again
            flight.result.set_exception(error)
            raise
        with self._lock:
            self._kept[key] = value
            del self._in_flight[key]
        flight.result.set_result(value)
        return value

    def in_flight(self) -> int:
        """Return how many keys are being computed now."""
        with self._lock:
            return len(self._in_flight)

    def waiting(self) -> int:
        """Return how many reads wait for a computation in flight."""
        with self._lock:
            return sum(flight.waiting for flight in self._in_flight.values())
