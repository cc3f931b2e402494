"""Which areas of an audited layer's tiles each user has just read, so each is entered once.

The OGC items of an audited layer (the special-population layer: ``Collection.audit_reads``)
are one ``layer.read`` entry per page. Its vector tiles come many at a time: a map view at zoom
16 is a dozen tiles, a pan a few more. An entry per tile would bury the log under the chained
writes of one look, so a tile of individual points is entered once per user, zoom and block of
:data:`BLOCK` × :data:`BLOCK` tiles in :data:`WINDOW_SECONDS`, with the block's box: the auditor
sees who looked where, and when. Tiles of hexagon counts are aggregates and are not entered.

The memory is per process: after a restart, or in another worker process, the same area is
entered again; that errs on the side of the log.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache

from layers.tiles import TileBounds, tile_bounds

BLOCK = 4
"""Tiles along each side of an audited area."""
WINDOW_SECONDS = 600.0
"""How long a user's read of an area counts as one."""
MAX_AREAS = 100_000
"""Areas remembered at most (the oldest are forgotten first)."""


class TileReads:
    """The areas each user read in the last :data:`WINDOW_SECONDS`, per process."""

    def __init__(self, *, window: float = WINDOW_SECONDS, max_areas: int = MAX_AREAS) -> None:
        self._seen: TTLCache[tuple[int, str, int, int, int], bool] = TTLCache(max_areas, window)
        self._lock = threading.Lock()

    def first_read(
        self, user_id: int, collection: str, z: int, x: int, y: int
    ) -> TileBounds | None:
        """Note a read of tile ``z/x/y``; return its area's box if this user had not read it.

        Parameters
        ----------
        user_id : int
            The reader.
        collection : str
            The layer.
        z, x, y : int
            The tile.

        Returns
        -------
        TileBounds or None
            The box of the :data:`BLOCK` × :data:`BLOCK` tiles holding it, on the first read of
            that area in the window (to be entered); None on the reads after it.

        Examples
        --------
        >>> reads = TileReads()
        >>> box = reads.first_read(7, "persons", 16, 53120, 28012)
        >>> round(box.west, 4), reads.first_read(7, "persons", 16, 53121, 28013)
        (111.7969, None)
        >>> reads.first_read(8, "persons", 16, 53121, 28013) is not None
        True
        """
        key = (user_id, collection, z, x // BLOCK, y // BLOCK)
        with self._lock:
            if key in self._seen:
                return None
            self._seen[key] = True
        first = tile_bounds(z, key[3] * BLOCK, key[4] * BLOCK)
        last = tile_bounds(
            z, min(key[3] * BLOCK + BLOCK, 2**z) - 1, min(key[4] * BLOCK + BLOCK, 2**z) - 1
        )
        return TileBounds(first.west, last.south, last.east, first.north)
