"""The API's answers are kept out of caches unless their route says otherwise (api.no_store).

A trial on a slow link (session 49) noticed that no answer of the API said how it may be kept:
a person's clear identity from the audited ``/unmasked`` read could be stored by a browser's or
a proxy's cache. Every answer under ``/api/`` and ``/ogc/`` now carries ``no-store`` unless its
route set its own ``Cache-Control`` (tiles, the trends map); static files keep theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api_fixtures import ApiWorld
from tests.test_tiles import tile_of
from web.static_assets import LONG_CACHE, asset_url

Headers = Callable[[str], dict[str, str]]


def test_data_answers_say_no_store(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    h = auth_headers("cmd_a_unmask")
    scope = api_world.users["cmd_a_unmask"].scope_code
    person = min(api_world.in_scope("persons", scope), key=int)
    answers = {
        "me": api_client.get("/api/me", headers=h),
        "persons": api_client.get("/ogc/collections/persons/items", headers=h),
        "unmasked": api_client.post(
            f"/api/persons/{person}/unmasked", json={"reason": "核实走访对象身份"}, headers=h
        ),
        "refused": api_client.get("/api/me"),  # no login: 401
    }
    said = {name: (a.status_code, a.headers.get("cache-control")) for name, a in answers.items()}
    assert said == {
        "me": (200, "no-store"),
        "persons": (200, "no-store"),
        "unmasked": (200, "no-store"),
        "refused": (401, "no-store"),
    }


def test_routes_that_say_how_to_keep_their_answers_are_left_alone(
    api_client: TestClient, auth_headers: Headers
) -> None:
    x, y = tile_of(110.2, 20.04, 9)
    tile = api_client.get(f"/tiles/grids/9/{x}/{y}.mvt", headers=auth_headers("cmd_a"))
    assert tile.status_code == 200
    assert tile.headers["cache-control"].startswith("private, max-age=")
    static = api_client.get(asset_url("vendor/leaflet/leaflet.js"))
    assert static.headers["cache-control"] == LONG_CACHE
