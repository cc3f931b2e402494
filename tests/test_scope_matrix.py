"""Scope matrix: users of every role at several levels x objects in and out of their scope.

Zero reads outside scope through items, single items and tiles; and the same when querying as
the app role directly with only the scope set (row-level security, no layers/ filter).
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from layers.catalog import COLLECTIONS, readable
from layers.database import apply_scope
from tests.api_fixtures import USERS, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
BUSINESS_USERS = [key for key, (role, _, _) in USERS.items() if role not in ("admin", "auditor")]
TABLES = {
    "grids": ("grids", "code"),
    "cases": ("cases", "id"),
    "video_points": ("video_points", "id"),
    "workers": ("workers", "id"),
    "persons": ("persons", "id"),
    "hotspots": ("hotspot_cells", "id"),
}


@pytest.mark.parametrize("key", BUSINESS_USERS)
def test_items_and_single_items_stay_in_scope(
    key: str, api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    user = api_world.users[key]
    headers = auth_headers(key)
    for collection in COLLECTIONS.values():
        if collection.id == "jurisdictions":
            continue
        response = api_client.get(
            f"/ogc/collections/{collection.id}/items?limit=10000", headers=headers
        )
        # a department reads no layer, only the cases sent to it at its desk (trial AQ S2)
        if user.role == "department" or not readable(
            user.role, collection, scope_code=user.scope_code
        ):
            assert response.status_code == 403
            continue
        assert response.status_code == 200
        got = {str(f["id"]) for f in response.json()["features"]}
        world = set(api_world.objects[collection.id])
        expected = api_world.in_scope(collection.id, user.scope_code)
        assert got & world == expected, (key, collection.id)
        outside = sorted(world - expected)
        if outside:
            probe = api_client.get(
                f"/ogc/collections/{collection.id}/items/{outside[0]}", headers=headers
            )
            assert probe.status_code == 404
        if expected:
            inside = sorted(expected)[0]
            probe = api_client.get(
                f"/ogc/collections/{collection.id}/items/{inside}", headers=headers
            )
            assert probe.status_code == 200


def test_jurisdictions_in_scope_only(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    body = api_client.get(
        "/ogc/collections/jurisdictions/items", headers=auth_headers("disp_a1")
    ).json()
    assert {f["id"] for f in body["features"]} == {"460105001000", "460105001001", "460105001002"}


@pytest.mark.parametrize(
    "key", ["cmd_a", "cmd_b", "disp_a1", "cmd_village", "worker_v0", "analyst_a"]
)
def test_tiles_stay_in_scope(
    key: str, api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    user = api_world.users[key]
    headers = auth_headers(key)
    # the z9 tile 412/226 covers all four villages; grids carry their code
    grids = mapbox_vector_tile.decode(
        api_client.get("/tiles/grids/9/412/226.mvt", headers=headers).content
    )
    codes = {f["properties"]["code"] for f in grids.get("grids", {"features": []})["features"]}
    assert codes == api_world.in_scope("grids", user.scope_code)
    # z12: workers are points from zoom 12 on; this tile holds the first village's workers
    response = api_client.get("/tiles/workers/12/3299/1815.mvt", headers=headers)
    if user.role == "analyst":
        assert response.status_code == 200
        layer = mapbox_vector_tile.decode(response.content).get("workers", {"features": []})
        assert all(set(f["properties"]) == {"count"} for f in layer["features"])
    else:
        layer = mapbox_vector_tile.decode(response.content).get("workers", {"features": []})
        ids = {str(f["id"]) for f in layer["features"]}
        village = api_world.in_scope("workers", "460105001001")
        assert ids == api_world.in_scope("workers", user.scope_code) & village


@pytest.mark.parametrize("key", ["cmd_province", "cmd_a", "cmd_b", "disp_a1", "cmd_village"])
def test_row_level_security_alone(key: str, database: SuiteDatabase, api_world: ApiWorld) -> None:
    """As the app role with only the scope set, no row outside the scope is visible."""
    user = api_world.users[key]
    with database.app.connect() as conn, conn.begin():
        from sqlalchemy.orm import Session

        session = Session(bind=conn)
        apply_scope(session, user.scope_code)
        for collection, (table, column) in TABLES.items():
            rows = {
                str(r[0]).strip() for r in session.execute(text(f"SELECT {column} FROM {table}"))
            }
            world = set(api_world.objects[collection])
            assert rows & world == api_world.in_scope(collection, user.scope_code), (key, table)
        session.close()


def test_row_level_security_without_scope_sees_nothing(database: SuiteDatabase) -> None:
    with database.app.connect() as conn, conn.begin():
        for table, _ in TABLES.values():
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
