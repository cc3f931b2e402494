"""The process's caches of tiles and item counts, kept fresh by the change watch.

The lifespan (:func:`api.app.lifespan`) starts one :class:`layers.changes.ChangeWatch` per
process and the caches here on top of it; routes reach them with :data:`CachesDep`. Every key
holds the caller's scope and role, so an entry is only ever served to requests that would have
read exactly the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.tile_reads import TileReads
from layers.changes import ChangeWatch, FreshCache

COUNT_ENTRY_BYTES = 200
"""What a cached ``numberMatched`` is charged (key and entry overhead included)."""
COUNT_CACHE_BYTES = 4 * 2**20
"""Capacity of the count cache (about 20,000 scope and filter combinations)."""


@dataclass(frozen=True)
class CachedTile:
    """An encoded vector tile and its entity tag.

    Attributes
    ----------
    data : bytes
        The tile.
    etag : str
        Quoted strong validator of ``data``.
    """

    data: bytes
    etag: str


@dataclass(frozen=True)
class Caches:
    """The caches of one process.

    Attributes
    ----------
    watch : ChangeWatch
        Counts the change notices the caches depend on.
    tiles : FreshCache
        Encoded tiles by collection, tile address, scope and role.
    matched : FreshCache
        ``numberMatched`` of items pages by collection, filters, scope and role.
    tile_reads : TileReads
        The areas of audited layers' tiles each user has just read (entered once).
    """

    watch: ChangeWatch
    tiles: FreshCache[CachedTile]
    matched: FreshCache[int]
    tile_reads: TileReads

    @classmethod
    def create(cls, watch: ChangeWatch, *, tile_bytes: int, max_age: float = 60.0) -> Caches:
        """Create the caches over ``watch``.

        Parameters
        ----------
        watch : ChangeWatch
            The process's watch.
        tile_bytes : int
            Capacity of the tile cache (``0``: no tile or count caching).
        max_age : float
            Seconds an entry is served at most even without a change notice.

        Returns
        -------
        Caches
            The caches.
        """
        return cls(
            watch=watch,
            tiles=FreshCache(watch, max_bytes=tile_bytes, max_age=max_age),
            matched=FreshCache(
                watch, max_bytes=COUNT_CACHE_BYTES if tile_bytes > 0 else 0, max_age=max_age
            ),
            tile_reads=TileReads(),
        )


async def get_caches(request: Request) -> Caches:
    """Return the application's caches.

    Parameters
    ----------
    request : fastapi.Request
        The request.

    Returns
    -------
    Caches
        Created by the lifespan.
    """
    caches: Caches = request.app.state.caches
    return caches


CachesDep = Annotated[Caches, Depends(get_caches)]
