"""The OGC collection ``hotspots`` and its tiles give small counts only to those who may see them.

Trial AJ M4 closed the hot-spot runs by number, the command map and the alerts, but the OGC
layer ``hotspots`` (``/ogc/collections/hotspots/items``, ``/items/{id}``, ``/tiles/hotspots``)
still gave every reader each cell's exact ``count``, ``z`` and ``p``: the 445 blanked counts
again. A reader who may not list a cell's cases (:func:`layers.trends.min_count_for` with
``of="cases"`` 3: an analyst, of a county or of a city) reads a count of 1 or 2 as null and no z
or p (:meth:`layers.catalog.Collection.read_by`); the commanders, a city's and a province's too,
whose 查看案件 lists those cases (trial AM M4), read them exactly.
"""
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import mapbox_vector_tile
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from layers import catalog, features, tiles, trends
from tests.api_fixtures import CASES_PER_VILLAGE
from tests.test_suppression_hotspot_runs import _run
from tests.test_tiles import tile_of
from tests.workflow_data import CITY, COUNTY, actor

Headers = Callable[[str], dict[str, str]]
HOTSPOTS = catalog.get_collection("hotspots")


def _items(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    body = client.get("/ogc/collections/hotspots/items?limit=1000", headers=headers).json()
    features_: list[dict[str, Any]] = body["features"]
    return features_


def _tile_props(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    x, y = tile_of(110.2, 20.04, 9)
    response = client.get(f"/tiles/hotspots/9/{x}/{y}.mvt", headers=headers)
    assert response.status_code == 200
    decoded = mapbox_vector_tile.decode(response.content)
    return [f["properties"] for f in decoded["hotspots"]["features"]]


def test_the_api_gives_a_reader_of_counts_only_no_z_or_p(
    api_client: TestClient, auth_headers: Headers
) -> None:
    # the world's cells hold 6 cases each, z 2.5, p 0.01: shown to the commander exactly
    exact = _items(api_client, auth_headers("cmd_a"))
    assert exact and all(f["properties"]["z"] == 2.5 for f in exact)
    assert all(f["properties"]["p"] == 0.01 for f in exact)
    assert {f["properties"]["count"] for f in exact} == {CASES_PER_VILLAGE}
    one = api_client.get(
        f"/ogc/collections/hotspots/items/{exact[0]['id']}", headers=auth_headers("cmd_a")
    ).json()
    assert one["properties"]["z"] == 2.5
    for key in ("cmd_city", "cmd_province"):  # they list the cells' cases: exact figures
        wide = {f["id"]: f["properties"] for f in _items(api_client, auth_headers(key))}
        assert all(wide[f["id"]] == f["properties"] for f in exact), key
    for key in ("analyst_a", "analyst_city"):
        shown = _items(api_client, auth_headers(key))
        assert shown, key
        assert all(f["properties"]["z"] is None and f["properties"]["p"] is None for f in shown)
        # 6 is no small count: still given, with the bin and the pattern
        assert {f["properties"]["count"] for f in shown} == {CASES_PER_VILLAGE}
        assert all(f["properties"]["bin"] == 3 for f in shown)
        fid = shown[0]["id"]
        one = api_client.get(
            f"/ogc/collections/hotspots/items/{fid}", headers=auth_headers(key)
        ).json()
        assert one["properties"]["z"] is None and one["properties"]["p"] is None
        assert set(one["properties"]) == set(exact[0]["properties"])  # the same names
        props = _tile_props(api_client, auth_headers(key))
        assert props and all(p["count"] == CASES_PER_VILLAGE for p in props)


def _by_id(page: str) -> dict[int, dict[str, Any]]:
    return {f["id"]: f["properties"] for f in json.loads(page)["features"]}


def test_items_and_tiles_withhold_small_counts(db: Session) -> None:
    run = _run(db)
    commander = actor("commander", COUNTY)
    exact = _by_id(
        features.collection_items(
            db, HOTSPOTS.read_by(commander.role, COUNTY), scope_code=COUNTY, limit=10_000
        ).body
    )
    mine = {fid: p for fid, p in exact.items() if p["run_id"] == run.run_id}
    small = {fid for fid, p in mine.items() if p["count"] in (1, 2)}
    assert small and any(p["count"] >= 3 for p in mine.values())
    assert all(isinstance(p["z"], float) for p in mine.values())
    city = _by_id(
        features.collection_items(
            db, HOTSPOTS.read_by("commander", CITY), scope_code=CITY, limit=10_000
        ).body
    )
    assert all(city[fid] == p for fid, p in mine.items())  # the city lists these cases
    for role, scope in (("analyst", COUNTY), ("analyst", CITY)):
        assert trends.min_count_for(actor(role, scope), of="cases") == 3
        layer = HOTSPOTS.read_by(role, scope)
        shown = _by_id(features.collection_items(db, layer, scope_code=scope, limit=10_000).body)
        assert set(mine) <= set(shown)
        for fid, p in mine.items():
            assert shown[fid]["count"] == (None if fid in small else p["count"])
            assert shown[fid]["z"] is None and shown[fid]["p"] is None
            assert shown[fid]["bin"] == p["bin"] and shown[fid]["pattern"] == p["pattern"]
        fid = min(small)
        one = json.loads(features.collection_item(db, layer, str(fid), scope_code=scope))
        assert one["properties"]["count"] is None and one["properties"]["z"] is None
        assert one["properties"]["p"] is None
    # the tiles: a tile holding the cells, as the commander and as the analyst read it
    lon, lat = _centre(db, min(small))
    x, y = tile_of(lon, lat, 11)
    read = {
        who: {
            f["id"]: f["properties"]
            for f in mapbox_vector_tile.decode(
                tiles.tile(db, HOTSPOTS.read_by(who, COUNTY), 11, x, y, scope_code=COUNTY)
            )["hotspots"]["features"]
        }
        for who in ("commander", "analyst")
    }
    in_tile = small & set(read["commander"])
    assert in_tile and all(read["commander"][fid]["count"] in (1, 2) for fid in in_tile)
    assert all(read["analyst"][fid].get("count") is None for fid in in_tile)
    assert all("bin" in read["analyst"][fid] for fid in in_tile)
    assert all(
        read["analyst"][fid].get("count") == p.get("count")
        for fid, p in read["commander"].items()
        if fid not in small and fid in mine
    )


def _centre(db: Session, fid: int) -> tuple[float, float]:
    shown = json.loads(
        features.collection_item(
            db, HOTSPOTS.read_by("commander", COUNTY), str(fid), scope_code=COUNTY
        )
    )
    ring = shown["geometry"]["coordinates"][0]
    return (
        sum(p[0] for p in ring[:-1]) / (len(ring) - 1),
        sum(p[1] for p in ring[:-1]) / (len(ring) - 1),
    )


def test_every_other_collection_reads_alike() -> None:
    for collection in catalog.COLLECTIONS.values():
        for role in ("analyst", "commander"):
            read = collection.read_by(role, CITY)
            assert list(read.properties) == list(collection.properties)
            if collection.id != "hotspots":
                assert read is collection
    assert catalog.SMALL_COUNT == trends.ANALYST_MIN_COUNT
