"""Mapbox vector tiles ``/tiles/{collection}/{z}/{x}/{y}.mvt``, scoped, with cache validators."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from api.deps import CurrentUser, SessionDep, SettingsDep
from layers import tiles
from layers.catalog import check_readable, get_collection
from layers.model import Role

router = APIRouter(prefix="/tiles", tags=["tiles"])

MVT = "application/vnd.mapbox-vector-tile"
ANALYST_MIN_COUNT = 3
"""Hexagons with fewer points are suppressed in analysts' tiles of personal layers."""


@router.get(
    "/{collection_id}/{z}/{x}/{y}.mvt",
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
) -> Response:
    """Return one vector tile of a collection inside the user's scope.

    Point layers are hexagon counts below their aggregation zoom; analysts always get counts
    for layers about individual people, with small counts suppressed.
    """
    layer = get_collection(collection_id)
    analyst_counts = user.role == Role.ANALYST and layer.personal
    check_readable(user.role, layer, aggregated=analyst_counts)
    data = tiles.tile(
        session,
        layer,
        z,
        x,
        y,
        scope_code=user.scope_code,
        aggregate=True if analyst_counts else None,
        min_count=ANALYST_MIN_COUNT if analyst_counts else 1,
    )
    etag = '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'
    headers = {
        "Cache-Control": f"private, max-age={settings.tile_max_age}",
        "ETag": etag,
        "Vary": "Authorization, Cookie",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content=data, media_type=MVT, headers=headers)
