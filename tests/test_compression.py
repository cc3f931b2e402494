"""Answers are gzipped when the client asks, never the live stream nor PNG (api.compression).

A user trial on Slow 3G found a grid worker's first open was about 1 MB, nothing compressed.
These tests go through the platform's app (``create_app``, the console mounted): a client
sending ``Accept-Encoding: gzip`` gets gzip bytes that decompress to the identical answer, a
client not asking gets the plain bytes; revalidation (``304``) and ``Range`` requests of static
files work as before; caching headers are those of the plain answer; ``/api/events`` is not
compressed and delivers an event while the stream is still open.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.compression import MINIMUM_SIZE
from layers.live import CHANNEL
from tests.api_fixtures import ApiWorld
from tests.conftest import SuiteDatabase
from tests.test_tiles import tile_of
from web.static_assets import LONG_CACHE, STATIC_DIR, asset_url

Headers = Callable[[str], dict[str, str]]
GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}
LEAFLET_JS = "vendor/leaflet/leaflet.js"


def _raw(client: TestClient, url: str, headers: dict[str, str]) -> tuple[httpx2.Response, bytes]:
    """GET ``url``; return the response and the bytes as sent (not decoded)."""
    with client.stream("GET", url, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def _vary(response: httpx2.Response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("vary", "").split(",") if v.strip()}


def test_static_file_is_gzipped_when_asked_and_plain_otherwise(api_client: TestClient) -> None:
    body = (STATIC_DIR / LEAFLET_JS).read_bytes()
    url = asset_url(LEAFLET_JS)
    zipped, raw = _raw(api_client, url, GZIP)
    assert zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == body
    assert len(raw) < len(body) / 2
    assert "accept-encoding" in _vary(zipped)
    assert zipped.headers["cache-control"] == LONG_CACHE
    assert zipped.headers["etag"].startswith('W/"')
    plain, raw = _raw(api_client, url, PLAIN)
    assert "content-encoding" not in plain.headers
    assert raw == body
    assert plain.headers["content-length"] == str(len(body))
    assert plain.headers["cache-control"] == LONG_CACHE
    assert not plain.headers["etag"].startswith("W/")


def test_gzipped_static_file_revalidates_and_serves_ranges(api_client: TestClient) -> None:
    body = (STATIC_DIR / LEAFLET_JS).read_bytes()
    url = f"/static/{LEAFLET_JS}"
    weak = api_client.get(url, headers=GZIP).headers["etag"]
    strong = api_client.get(url, headers=PLAIN).headers["etag"]
    assert weak == "W/" + strong
    again = api_client.get(url, headers={**GZIP, "If-None-Match": weak})
    assert again.status_code == 304
    assert again.headers["etag"] == weak  # the browser keeps the tag of its gzipped copy
    assert api_client.get(url, headers={**PLAIN, "If-None-Match": strong}).status_code == 304
    # a range is of the file's bytes, never compressed
    part, raw = _raw(api_client, url, {**GZIP, "Range": "bytes=100-299"})
    assert part.status_code == 206
    assert "content-encoding" not in part.headers
    assert raw == body[100:300]
    # a range resumed against the gzipped copy's tag gets the whole answer, not file bytes
    whole, raw = _raw(api_client, url, {**GZIP, "Range": "bytes=100-299", "If-Range": weak})
    assert whole.status_code == 200
    assert gzip.decompress(raw) == body
    # the same range against the plain copy's tag is honoured
    ranged = api_client.get(url, headers={**PLAIN, "Range": "bytes=100-299", "If-Range": strong})
    assert ranged.status_code == 206
    assert ranged.content == body[100:300]


def test_rewritten_stylesheet_from_memory_is_gzipped_and_revalidates(
    api_client: TestClient,
) -> None:
    url = asset_url("vendor/leaflet/leaflet.css")
    plain, plain_raw = _raw(api_client, url, PLAIN)
    zipped, raw = _raw(api_client, url, GZIP)
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == plain_raw
    assert b"?v=" in plain_raw  # the rewritten text, not the file
    etag = zipped.headers["etag"]
    assert api_client.get(url, headers={**GZIP, "If-None-Match": etag}).status_code == 304


def test_images_and_small_answers_are_sent_as_they_are(
    api_client: TestClient, auth_headers: Headers
) -> None:
    png = "vendor/leaflet/images/marker-icon-2x.png"
    body = (STATIC_DIR / png).read_bytes()
    assert len(body) > MINIMUM_SIZE
    image, raw = _raw(api_client, asset_url(png), GZIP)
    assert image.headers["content-type"] == "image/png"
    assert "content-encoding" not in image.headers
    assert raw == body
    me, raw = _raw(api_client, "/api/me", {**GZIP, **auth_headers("cmd_a")})
    assert me.status_code == 200
    assert len(raw) < MINIMUM_SIZE
    assert "content-encoding" not in me.headers
    assert json.loads(raw)["username"]


def test_api_answers_are_gzipped_with_their_caching_headers(
    api_client: TestClient, auth_headers: Headers
) -> None:
    h = auth_headers("cmd_a")
    for url in ("/ogc/collections/grids/items?limit=100", "/ogc/collections/persons/items"):
        plain, plain_raw = _raw(api_client, url, {**PLAIN, **h})
        zipped, raw = _raw(api_client, url, {**GZIP, **h})
        assert plain.status_code == zipped.status_code == 200, url
        assert len(plain_raw) > MINIMUM_SIZE, url
        assert "content-encoding" not in plain.headers
        assert zipped.headers["content-encoding"] == "gzip", url
        assert json.loads(gzip.decompress(raw)) == json.loads(plain_raw)
        assert zipped.headers.get("cache-control") == plain.headers.get("cache-control"), url


def test_vector_tiles_are_gzipped_and_revalidate(
    api_client: TestClient, auth_headers: Headers
) -> None:
    x, y = tile_of(110.2, 20.04, 9)
    url = f"/tiles/grids/9/{x}/{y}.mvt"
    h = auth_headers("cmd_a")
    plain, plain_raw = _raw(api_client, url, {**PLAIN, **h})
    assert len(plain_raw) > MINIMUM_SIZE
    zipped, raw = _raw(api_client, url, {**GZIP, **h})
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == plain_raw
    assert len(raw) < len(plain_raw)
    assert zipped.headers["cache-control"] == plain.headers["cache-control"]
    assert zipped.headers["cache-control"].startswith("private")
    assert {"authorization", "cookie", "accept-encoding"} <= _vary(zipped)
    etag = zipped.headers["etag"]
    assert etag == "W/" + plain.headers["etag"]
    assert api_client.get(url, headers={**GZIP, **h, "If-None-Match": etag}).status_code == 304


def test_live_stream_is_not_compressed_and_delivers_an_event_while_open(
    live_server: str, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    scope = api_world.users["cmd_a"].scope_code
    worker_id = int(min(api_world.in_scope("workers", scope), key=int))
    area = api_world.objects["workers"][str(worker_id)]
    notice = json.dumps({"kind": "worker", "id": worker_id, "area_code": area})
    lines: list[str] = []
    # a buffered stream would hold back ``ready`` until the stream ends, and it ends only
    # after the event this test sends once it has read ``ready`` (the read would time out)
    params = {"max_events": 1, "keepalive": 300}
    with (
        httpx2.Client(base_url=live_server, timeout=30) as client,
        client.stream(
            "GET", "/api/events", params=params, headers={**GZIP, **auth_headers("cmd_a")}
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in response.headers
        for line in response.iter_lines():
            lines.append(line)
            if line == "event: ready":
                with database.owner.begin() as conn:
                    conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": notice})
    assert "event: ready" in lines
    assert f"id: worker-{worker_id}" in lines
    assert lines.index("event: worker") > lines.index("event: ready")
