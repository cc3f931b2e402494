"""Mapbox vector tiles ``/tiles/{collection}/{z}/{x}/{y}.mvt``, scoped, with cache validators.

Encoded tiles are kept per process by scope and role (:mod:`api.caches`) until a write to one
of the collection's tables commits: the map screens of a centre ask for the same tiles over
and over, and are sent the stored bytes after one short query that checks the caller's account.
A tile of individual points of an audited layer (the special-population layer) is a read of
personal data: each user's first read of an area of such tiles is entered (:mod:`api.tile_reads`).

The cases layer's tiles take the command map's 案件范围 (``?state=open|overdue|recent``, with
``days`` for ``recent``; :mod:`layers.case_groups`), as its case points do; without ``state`` they
hold every case. The group is part of the cache key; ``overdue`` and ``recent`` also move with
the clock, so their entries are as fresh as ``ZONGZHI_TILE_MAX_AGE`` (60 s) allows.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.caches import CachedTile, CachesDep
from api.deps import CurrentUser, NotDepartment, SessionDep, SettingsDep, utcnow
from layers import audit, tiles
from layers.case_groups import DEFAULT_DAYS, MAX_DAYS, CaseGroup, StateGroup
from layers.catalog import check_readable, counts_only, get_collection

router = APIRouter(prefix="/tiles", tags=["tiles"])

MVT = "application/vnd.mapbox-vector-tile"
ANALYST_MIN_COUNT = 3
"""Hexagons with fewer points are suppressed in tiles of counts only (analysts' tiles of
personal layers, a wide scope's tiles of the special-population layer)."""
TILE_ENTRY_BYTES = 300
"""What a cached tile is charged on top of its bytes (key, tag and entry)."""


@router.get(
    "/{collection_id}/{z}/{x}/{y}.mvt",
    dependencies=[NotDepartment],
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, 304: {"description": "Not modified"}},
    summary="Vector tile",
)
def vector_tile(
    request: Request,
    collection_id: Annotated[str, Path(examples=["grids"])],
    z: Annotated[int, Path(description="Zoom 0-22")],
    x: Annotated[int, Path(description="Column")],
    y: Annotated[int, Path(description="Row (0 at the north)")],
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    caches: CachesDep,
    state: Annotated[
        StateGroup | None,
        Query(description="Cases layer only: open, overdue or recent cases (default every case)"),
    ] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="Window of state=recent")] = (
        DEFAULT_DAYS
    ),
) -> Response:
    """Return one vector tile of a collection inside the user's scope.

    Point layers are hexagon counts below their aggregation zoom; analysts always get counts
    for layers about individual people, and so do users whose scope is wider than a layer's
    ``feature_from_level`` (a city commander on the special-population layer), with small
    counts suppressed. A role outside a layer's ``feature_roles`` (a department on that layer)
    gets 403. ``state`` limits the cases layer to a state group of the command map (422 on any
    other layer). The properties are the reader's (:meth:`layers.catalog.Collection.read_by`:
    no hot cell's count of 1 or 2 to a reader of counts only); the cache key holds the role
    and the scope that decide them.
    """
    layer = get_collection(collection_id).read_by(user.role, user.scope_code)
    hexagons_only = counts_only(user.role, layer, scope_code=user.scope_code)
    check_readable(user.role, layer, scope_code=user.scope_code, aggregated=hexagons_only)
    group = CaseGroup(state, utcnow(), days) if state is not None else None
    key = (layer.id, z, x, y, user.scope_code, user.role, group.key if group else None)
    cached, ticket = caches.tiles.lookup(key, layer.tables)
    if cached is None:
        data = tiles.tile(
            session,
            layer,
            z,
            x,
            y,
            scope_code=user.scope_code,
            aggregate=True if hexagons_only else None,
            min_count=ANALYST_MIN_COUNT if hexagons_only else 1,
            cases=group,
        )
        cached = CachedTile(data, '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"')
        caches.tiles.store(ticket, cached, len(data) + TILE_ENTRY_BYTES)
    if layer.audit_reads and not hexagons_only and not tiles.aggregates_at(layer, z):
        area = caches.tile_reads.first_read(user.id, layer.id, z, x, y)
        if area is not None:
            audit.record_layer_read(
                session,
                actor_id=user.id,
                actor_name=user.username,
                collection_id=layer.id,
                scope_code=user.scope_code,
                returned=None,
                matched=None,
                bbox=(area.west, area.south, area.east, area.north),
                zoom=z,
            )
    headers = {
        "Cache-Control": f"private, max-age={settings.tile_max_age}",
        "ETag": cached.etag,
        "Vary": "Authorization, Cookie",
    }
    if cached.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content=cached.data, media_type=MVT, headers=headers)
