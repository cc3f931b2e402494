"""OGC API – Features (Part 1: Core, GeoJSON) over the catalog's collections, under ``/ogc``.

Feature bodies come from the database as text (:mod:`layers.features`); this module adds the
links and picks the media type. Every collection is filtered to the caller's scope; roles that
may not read a collection get 403 on it and do not see it in ``/ogc/collections``. A read of a
collection with ``audit_reads`` (the special-population layer) is written to the audit log, one
entry per request: who, their scope, how many features it returned (never the features).

A grid or jurisdiction a re-division retired is no current feature: its item answers 404, but
with a body saying when it was retired and which unit succeeded it, and a
``Link: <…>; rel="successor-version"`` header (RFC 5829) to the live successor, so that a
bookmarked link or a GIS client's stored id still leads somewhere. A camera an import of the
platform's export retired (:mod:`layers.camera_retirement`) answers 404 the same way, with the
day it was retired and no successor.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.caches import COUNT_ENTRY_BYTES, CachesDep
from api.deps import BBoxDep, CurrentUser, DatetimeDep, NotDepartment, SessionDep
from api.errors import error_body
from layers import audit, features
from layers.catalog import COLLECTIONS, Collection, check_readable, get_collection, readable

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

GEOJSON = "application/geo+json"
JSON = "application/json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


class JSONText(Response):
    """A JSON response whose body is already serialised (or serialised with orjson)."""

    media_type = JSON

    def render(self, content: Any) -> bytes:
        """Encode ``content``: text as UTF-8, anything else with orjson."""
        if isinstance(content, bytes):
            return content
        if isinstance(content, str):
            return content.encode("utf-8")
        return orjson.dumps(content)


class GeoJSONText(JSONText):
    """A GeoJSON response (``application/geo+json``)."""

    media_type = GEOJSON


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title is not None:
        link["title"] = title
    return link


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _collection_doc(request: Request, collection: Collection) -> dict[str, Any]:
    base = f"{_base(request)}/ogc/collections/{collection.id}"
    doc: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": "http://www.opengis.net/def/crs/EPSG/0/4490",
        "links": [
            _link(base, "self", JSON),
            _link(f"{base}/items", "items", GEOJSON, "Features"),
            _link(
                f"{_base(request)}/tiles/{collection.id}/{{z}}/{{x}}/{{y}}.mvt",
                "tiles",
                "application/vnd.mapbox-vector-tile",
            ),
        ],
        "style": {
            "color": collection.style.color,
            "fill": collection.style.fill,
            "min_zoom": collection.min_zoom,
            "max_zoom": collection.max_zoom,
        },
    }
    return doc


@router.get("", response_class=JSONText, summary="Landing page")
def landing(request: Request) -> JSONText:
    """Link to the API definition, the conformance classes and the collections."""
    base = _base(request)
    return JSONText(
        {
            "title": "综治态势一张图 Zongzhi",
            "description": "Grids, cases, video points, workers, special populations, hot spots.",
            "links": [
                _link(f"{base}/ogc", "self", JSON),
                _link(
                    f"{base}/openapi.json",
                    "service-desc",
                    "application/vnd.oai.openapi+json;version=3.0",
                ),
                _link(f"{base}/docs", "service-doc", "text/html"),
                _link(f"{base}/ogc/conformance", "conformance", JSON),
                _link(f"{base}/ogc/collections", "data", JSON),
            ],
        }
    )


@router.get("/conformance", response_class=JSONText, summary="Conformance classes")
def conformance() -> JSONText:
    """List the conformance classes this service implements."""
    return JSONText({"conformsTo": CONFORMANCE})


@router.get(
    "/collections",
    dependencies=[NotDepartment],
    response_class=JSONText,
    summary="Collections",
)
def collections(request: Request, user: CurrentUser) -> JSONText:
    """List the collections the current user may read."""
    docs = [
        _collection_doc(request, c)
        for c in COLLECTIONS.values()
        if readable(user.role, c, scope_code=user.scope_code)
    ]
    base = _base(request)
    return JSONText(
        {
            "collections": docs,
            "links": [_link(f"{base}/ogc/collections", "self", JSON)],
        }
    )


CollectionId = Annotated[str, Path(description="Collection id", examples=["grids"])]


@router.get(
    "/collections/{collection_id}",
    dependencies=[NotDepartment],
    response_class=JSONText,
    summary="Collection",
)
def collection(
    request: Request, collection_id: CollectionId, user: CurrentUser, session: SessionDep
) -> JSONText:
    """Describe one collection, with its extent inside the user's scope."""
    layer = get_collection(collection_id)
    check_readable(user.role, layer, scope_code=user.scope_code)
    doc = _collection_doc(request, layer)
    extent = features.collection_extent(session, layer, scope_code=user.scope_code)
    if extent is not None:
        doc["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84}}
    return JSONText(doc)


@router.get(
    "/collections/{collection_id}/items",
    dependencies=[NotDepartment],
    response_class=GeoJSONText,
    summary="Features",
    responses={
        200: {"content": {GEOJSON: {}}},
        400: {"description": "A query parameter the API does not define"},
    },
)
def items(
    request: Request,
    collection_id: CollectionId,
    user: CurrentUser,
    session: SessionDep,
    bbox: BBoxDep,
    datetime_range: DatetimeDep,
    caches: CachesDep,
    limit: Annotated[
        int | None, Query(description="Page size; clamped to 1–10000 (default 100)")
    ] = None,
    offset: Annotated[int, Query(description="Features to skip")] = 0,
) -> JSONText:
    """Return a page of features inside the user's scope, with ``next`` links.

    ``truncated`` is true when features matching the filters follow this page (the ``next``
    link's), as the command map's case points say it: a map that draws one page (the console
    asks for 2,000 workers in view) tells the reader the page's cap cut the list (trial BC S3).

    ``numberMatched`` is counted once per scope and filters, then kept until the collection's
    tables change (:mod:`api.caches`): paging through a city's cases does not count them again
    for every page. The properties are the reader's (:meth:`layers.catalog.Collection.read_by`):
    a reader of counts only gets a hot cell's count of 1 or 2, its z and its p as null.
    """
    unknown = unknown_parameters(request.query_params.keys())
    if unknown is not None:
        return JSONText(unknown, status_code=400)
    layer = get_collection(collection_id).read_by(user.role, user.scope_code)
    check_readable(user.role, layer, scope_code=user.scope_code)
    size = features.clamp_limit(limit)
    start = max(0, min(offset, features.MAX_OFFSET))
    count_key = (layer.id, user.scope_code, user.role, bbox, datetime_range)
    matched, ticket = caches.matched.lookup(count_key, layer.tables)
    page = features.collection_items(
        session,
        layer,
        scope_code=user.scope_code,
        bbox=bbox,
        datetime_range=datetime_range,
        limit=size,
        offset=start,
        matched=matched,
    )
    if matched is None:
        caches.matched.store(ticket, page.matched, COUNT_ENTRY_BYTES)
    if layer.audit_reads:
        audit.record_layer_read(
            session,
            actor_id=user.id,
            actor_name=user.username,
            collection_id=layer.id,
            scope_code=user.scope_code,
            returned=page.returned,
            matched=page.matched,
            bbox=None if bbox is None else (bbox.minx, bbox.miny, bbox.maxx, bbox.maxy),
        )
    links = [
        _link(str(request.url), "self", GEOJSON),
        _link(f"{_base(request)}/ogc/collections/{layer.id}", "collection", JSON),
    ]
    if start + page.returned < page.matched:
        next_url = request.url.include_query_params(limit=size, offset=start + size)
        links.append(_link(str(next_url), "next", GEOJSON, "Next page"))
    if start > 0:
        prev_url = request.url.include_query_params(limit=size, offset=max(0, start - size))
        links.append(_link(str(prev_url), "prev", GEOJSON, "Previous page"))
    # as the command map's case points say it (GET /api/console/{code}/cases): the page's cap
    # cut the features that match, so that a map drawing one page does not drop the rest silently
    truncated = start + page.returned < page.matched
    return GeoJSONText(features.add_members(page.body, {"truncated": truncated, "links": links}))


ITEMS_PARAMETERS = ("bbox", "datetime", "limit", "offset", "f")
"""The query parameters of ``/items`` (``f`` is accepted and ignored: the answer is GeoJSON)."""


def unknown_parameters(names: Iterable[str]) -> dict[str, Any] | None:
    """Return the 400 body for query parameters ``/items`` does not define, or None.

    OGC API - Features Part 1 (/req/core/query-param-unknown): a parameter the API does not
    define is refused, never ignored, so a script asking for ``status=offline`` does not take
    every camera for the offline ones.

    Parameters
    ----------
    names : iterable of str
        The request's query parameter names.

    Returns
    -------
    dict or None
        ``detail`` (Chinese), ``code`` and the ``unknown`` names; None when all are known.

    Examples
    --------
    >>> unknown_parameters(["limit", "bbox"]) is None
    True
    >>> unknown_parameters(["status", "limit"])["detail"].split("：")[0]
    '本接口没有查询参数 status（可用的有 bbox、datetime、limit、offset）'
    """
    unknown = sorted(set(names) - set(ITEMS_PARAMETERS))
    if not unknown:
        return None
    known = "、".join(ITEMS_PARAMETERS[:-1])
    return {
        "detail": f"本接口没有查询参数 {'、'.join(unknown)}（可用的有 {known}）："
        "不按属性筛选，请取回后自行筛选",
        "code": "UnknownParameter",
        "unknown": unknown,
    }


SUCCESSOR_VERSION = "successor-version"
"""Link relation to the unit that took a retired one over (RFC 5829)."""


def _retired_response(
    request: Request, layer: Collection, retired: features.RetiredFeature
) -> JSONText:
    """Answer 404 for a retired unit: the usual error body, its day and its live successor.

    The successor's item is linked in the body (``links``) and in a ``Link`` header.
    """
    body = error_body(retired)
    body["retired_on"] = retired.retired_on.isoformat()
    body["successor"] = None
    body["links"] = []
    headers: dict[str, str] = {}
    if retired.successor is not None:
        href = f"{_base(request)}/ogc/collections/{layer.id}/items/{retired.successor.code}"
        body["successor"] = {"code": retired.successor.code, "name": retired.successor.name}
        body["links"] = [_link(href, SUCCESSOR_VERSION, GEOJSON, retired.successor.name)]
        headers["Link"] = f'<{href}>; rel="{SUCCESSOR_VERSION}"'
    return JSONText(body, status_code=404, headers=headers)


@router.get(
    "/collections/{collection_id}/items/{fid}",
    dependencies=[NotDepartment],
    response_class=GeoJSONText,
    summary="Feature",
    responses={
        200: {"content": {GEOJSON: {}}},
        404: {
            "description": (
                "No such feature in the caller's scope. For a grid or jurisdiction a"
                " re-division retired, the body also gives retired_on and the live successor,"
                ' linked by a Link header with rel="successor-version". For a camera an'
                " import retired (no longer in the platform's export), retired_on."
            )
        },
    },
)
def item(
    request: Request,
    collection_id: CollectionId,
    fid: Annotated[str, Path(description="Feature id")],
    user: CurrentUser,
    session: SessionDep,
) -> JSONText:
    """Return one feature; 404 if it does not exist, lies outside the user's scope, or is retired.

    A retired unit's 404 says when it was retired and links its live successor. The properties
    are the reader's, as in ``/items``.
    """
    layer = get_collection(collection_id).read_by(user.role, user.scope_code)
    check_readable(user.role, layer, scope_code=user.scope_code)
    try:
        body = features.collection_item(session, layer, fid, scope_code=user.scope_code)
    except features.RetiredFeature as retired:
        return _retired_response(request, layer, retired)
    if layer.audit_reads:
        audit.record_layer_read(
            session,
            actor_id=user.id,
            actor_name=user.username,
            collection_id=layer.id,
            scope_code=user.scope_code,
            returned=1,
            matched=1,
            feature_id=fid,
        )
    base = f"{_base(request)}/ogc/collections/{layer.id}"
    links = [
        _link(f"{base}/items/{fid}", "self", GEOJSON),
        _link(base, "collection", JSON),
    ]
    return GeoJSONText(features.add_members(body, {"links": links}))
