"""Vector tiles: decode with mapbox-vector-tile, expected features, aggregation, cache headers."""
# ruff: noqa: F811

from __future__ import annotations

import math
from collections.abc import Callable

import mapbox_vector_tile
from fastapi.testclient import TestClient

from layers.tiles import tile_bounds
from tests.api_fixtures import CASES_PER_VILLAGE, GRIDS_PER_VILLAGE, VILLAGES, ApiWorld

Headers = Callable[[str], dict[str, str]]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _tile(
    client: TestClient,
    headers: dict[str, str],
    layer: str,
    z: int,
    lon: float = 110.2,
    lat: float = 20.04,
):
    x, y = tile_of(lon, lat, z)
    b = tile_bounds(z, x, y)
    assert b.west <= 110.0 and b.east >= 110.38 or z >= 12
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt", headers=headers)


def test_grid_tile_holds_the_grids_in_scope(api_client: TestClient, auth_headers: Headers) -> None:
    response = _tile(api_client, auth_headers("cmd_a"), "grids", 9)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert response.headers["cache-control"].startswith("private")
    decoded = mapbox_vector_tile.decode(response.content)
    codes = {f["properties"]["code"] for f in decoded["grids"]["features"]}
    # county A holds the first three villages
    assert codes == {f"{v}{s + 1:03d}" for v in VILLAGES[:3] for s in range(GRIDS_PER_VILLAGE)}


def test_etag_revalidation(api_client: TestClient, auth_headers: Headers) -> None:
    first = _tile(api_client, auth_headers("cmd_a"), "grids", 9)
    x, y = tile_of(110.2, 20.04, 9)
    again = api_client.get(
        f"/tiles/grids/9/{x}/{y}.mvt",
        headers={**auth_headers("cmd_a"), "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304


def test_cases_are_points_at_high_zoom(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    # zoom 12 tile containing the first village box (110.00-110.08)
    response = _tile(api_client, auth_headers("cmd_city"), "cases", 12, lon=110.02, lat=20.04)
    layer = mapbox_vector_tile.decode(response.content)["cases"]
    ids = {str(f["id"]) for f in layer["features"]}
    assert ids and ids <= api_world.in_scope("cases", VILLAGES[0])
    assert all(f["geometry"]["type"] == "Point" for f in layer["features"])
    assert {"category", "risk_level", "state", "code"} <= set(layer["features"][0]["properties"])


def test_cases_are_hexagon_counts_at_low_zoom(
    api_client: TestClient, auth_headers: Headers
) -> None:
    response = _tile(api_client, auth_headers("cmd_city"), "cases", 8)
    layer = mapbox_vector_tile.decode(response.content)["cases"]
    assert all(f["geometry"]["type"] == "Polygon" for f in layer["features"])
    assert sum(f["properties"]["count"] for f in layer["features"]) == CASES_PER_VILLAGE * len(
        VILLAGES
    )
    scoped = mapbox_vector_tile.decode(_tile(api_client, auth_headers("cmd_b"), "cases", 8).content)
    assert sum(f["properties"]["count"] for f in scoped["cases"]["features"]) == CASES_PER_VILLAGE


def test_analysts_get_suppressed_counts_only(api_client: TestClient, auth_headers: Headers) -> None:
    response = _tile(api_client, auth_headers("analyst_city"), "persons", 15, lon=110.05, lat=20.05)
    assert response.status_code == 200
    decoded = mapbox_vector_tile.decode(response.content)
    for feature in decoded.get("persons", {"features": []})["features"]:
        assert set(feature["properties"]) == {"count"} and feature["properties"]["count"] >= 3
    low = mapbox_vector_tile.decode(
        _tile(api_client, auth_headers("analyst_city"), "cases", 8).content
    )
    assert all(f["properties"]["count"] >= 3 for f in low["cases"]["features"])
    assert _tile(api_client, auth_headers("admin"), "grids", 9).status_code == 403


def test_tile_outside_the_matrix_is_404(api_client: TestClient, auth_headers: Headers) -> None:
    h = auth_headers("cmd_a")
    assert api_client.get("/tiles/grids/3/8/0.mvt", headers=h).status_code == 404
    assert api_client.get("/tiles/grids/23/0/0.mvt", headers=h).status_code == 404
    assert api_client.get("/tiles/grids/-1/0/0.mvt", headers=h).status_code == 404
    world = api_client.get("/tiles/grids/0/0/0.mvt", headers=h)
    assert world.status_code == 200
    assert isinstance(mapbox_vector_tile.decode(world.content), dict)
