"""Change notices and the caches they keep fresh: tiles and numberMatched follow committed writes.

The watch runs on an event loop in a background thread here (a blocking portal), as it runs on
uvicorn's loop in the server. Tests never sleep for a fixed time: they wait, with a deadline,
for the notice of a commit they made, and PostgreSQL delivers notices in commit order.
"""
# ruff: noqa: F811

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import mapbox_vector_tile
import psycopg
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.caches import Caches
from layers.catalog import COLLECTIONS
from layers.changes import ChangeWatch, FreshCache
from layers.embedded import OWNER_ROLE
from layers.live import listen_url
from tests.api_fixtures import COUNTY_A, VILLAGES, ApiWorld, grid_box
from tests.conftest import SuiteDatabase
from tests.test_tiles import tile_of

Headers = Callable[[str], dict[str, str]]
DEADLINE = 20.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait until ``condition()`` holds; fail after :data:`DEADLINE` seconds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


@pytest.fixture
def watch(database: SuiteDatabase) -> Iterator[ChangeWatch]:
    """A watch listening to the suite's database from a loop in a background thread."""
    running = ChangeWatch(listen_url(database.urls.owner), retry_seconds=0.1)
    portal: BlockingPortal
    with start_blocking_portal() as portal:
        future = portal.start_task_soon(running.run)
        wait_for(lambda: running.listening, "the watch to listen")
        try:
            yield running
        finally:
            future.cancel()


def commit(database: SuiteDatabase, sql: str) -> None:
    with psycopg.connect(database.cluster.info().url(OWNER_ROLE)) as conn:
        conn.execute(sql)


def test_every_table_of_every_collection_sends_change_notices(database: SuiteDatabase) -> None:
    with database.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, t.tgenabled FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = 'notify_change'"
            )
        ).all()
    enabled = {name for name, state in rows if state == "O"}
    for collection in COLLECTIONS.values():
        read = set(re.findall(r"(?:^|\bJOIN |\bFROM )(\w+) \w+", collection.from_sql))
        assert read == set(collection.tables), collection.id
        assert set(collection.tables) <= enabled, collection.id


def test_watch_counts_committed_writes_and_not_rolled_back_ones(
    database: SuiteDatabase, watch: ChangeWatch
) -> None:
    before = watch.stamp(("grids", "video_points"))
    assert before is not None
    with psycopg.connect(database.cluster.info().url(OWNER_ROLE)) as conn:
        conn.execute("UPDATE grids SET name = name WHERE false")  # a statement, no row
        conn.rollback()
    # a later commit's notice arrives after any earlier one would have
    commit(database, "UPDATE video_points SET name = name WHERE false")
    wait_for(lambda: watch.stamp(("video_points",)) != (before[0], before[2]), "the notice")
    after = watch.stamp(("grids", "video_points"))
    assert after is not None
    assert after[1] == before[1], "a rolled-back write must not count"
    assert after[2] == before[2] + 1


def test_fresh_cache_serves_only_what_no_commit_changed(
    database: SuiteDatabase, watch: ChangeWatch
) -> None:
    off = FreshCache[str](ChangeWatch("postgresql://unused"), max_bytes=1000)
    assert off.lookup("k", ("grids",)) == (None, None), "nothing is served while not listening"

    turned_off = FreshCache[str](watch, max_bytes=0)  # ZONGZHI_CACHE_MB=0
    assert turned_off.lookup("k", ("grids",)) == (None, None)

    cache = FreshCache[str](watch, max_bytes=1000)
    value, ticket = cache.lookup("k", ("grids",))
    assert value is None and ticket is not None
    cache.store(ticket, "v1", 10)
    assert cache.lookup("k", ("grids",))[0] == "v1"
    assert cache.lookup("k", ("cases",))[0] is None, "the stamp covers the tables asked"

    _, stale = cache.lookup("other", ("grids",))
    counted = watch.stamp(("grids",))
    commit(database, "UPDATE grids SET name = name WHERE false")
    wait_for(lambda: watch.stamp(("grids",)) != counted, "the grids notice")
    assert cache.lookup("k", ("grids",))[0] is None, "a committed write ends the entry"
    cache.store(stale, "read before the write", 10)
    assert cache.lookup("other", ("grids",))[0] is None, "a value read before a write is dropped"

    brief = FreshCache[str](watch, max_bytes=1000, max_age=0.5)
    _, ticket = brief.lookup("k", ("cases",))
    brief.store(ticket, "v", 10)
    assert brief.lookup("k", ("cases",))[0] == "v"
    wait_for(lambda: brief.lookup("k", ("cases",))[0] is None, "the entry to age out")

    big = FreshCache[str](watch, max_bytes=100)
    for n in range(5):
        _, ticket = big.lookup(n, ("grids",))
        big.store(ticket, f"v{n}", 40)
    assert len(big) == 2, "least recently used entries leave beyond the capacity"
    assert big.lookup(4, ("grids",))[0] == "v4" and big.lookup(0, ("grids",))[0] is None
    _, ticket = big.lookup("huge", ("grids",))
    big.store(ticket, "x", 101)
    assert big.lookup("huge", ("grids",))[0] is None


def _caches(client: TestClient) -> Caches:
    caches: Caches = client.app.state.caches  # type: ignore[attr-defined]
    wait_for(lambda: caches.watch.listening, "the app's watch")
    return caches


def test_tile_cache_follows_a_committed_grid(
    database: SuiteDatabase, api_client: TestClient, auth_headers: Headers
) -> None:
    caches = _caches(api_client)
    west, south, east, north = grid_box(0, 0)
    lon, lat = (west + east) / 2, (south + north) / 2
    x, y = tile_of(lon, lat, 14)
    url = f"/tiles/grids/14/{x}/{y}.mvt"

    def codes() -> set[str]:
        response = api_client.get(url, headers=auth_headers("cmd_a"))
        assert response.status_code == 200
        layer = mapbox_vector_tile.decode(response.content).get("grids", {"features": []})
        return {f["properties"]["code"] for f in layer["features"]}

    before = codes()
    key = ("grids", 14, x, y, COUNTY_A, "commander", None)  # None: no 案件范围
    assert caches.tiles.lookup(key, ("grids",))[0] is not None, "the tile was kept"
    assert codes() == before

    code = f"{VILLAGES[0]}999"
    counted = caches.watch.stamp(("grids",))
    commit(
        database,
        f"INSERT INTO grids (code, name, area_code, boundary) VALUES ('{code}', '新网格', "
        f"'{VILLAGES[0]}', ST_MakeEnvelope({lon - 0.0001}, {lat - 0.0001}, {lon + 0.0001}, "
        f"{lat + 0.0001}, 4490))",
    )
    try:
        wait_for(lambda: caches.watch.stamp(("grids",)) != counted, "the grids notice")
        assert codes() == before | {code}
    finally:
        counted = caches.watch.stamp(("grids",))
        commit(database, f"DELETE FROM grids WHERE code = '{code}'")
        wait_for(lambda: caches.watch.stamp(("grids",)) != counted, "the grids notice")
    assert codes() == before


def test_number_matched_follows_a_committed_case(
    database: SuiteDatabase, api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    caches = _caches(api_client)
    url = "/ogc/collections/cases/items?limit=2"

    def matched() -> int:
        response = api_client.get(url, headers=auth_headers("cmd_a"))
        assert response.status_code == 200
        body = response.json()
        assert body["numberReturned"] == 2
        return int(body["numberMatched"])

    before = matched()
    assert matched() == before
    counted = caches.watch.stamp(("cases",))
    commit(
        database,
        "INSERT INTO cases (code, channel, category, title, risk_level, point, area_code, "
        "state, handling_level, reported_at) VALUES ('T46-CACHE-1', 'walk_in', 'dispute', "
        f"'缓存测试', 1, ST_SetSRID(ST_MakePoint(110.2, 20.04), 4490), '{VILLAGES[0]}', "
        "'registered', 4, now())",
    )
    try:
        wait_for(lambda: caches.watch.stamp(("cases",)) != counted, "the cases notice")
        assert matched() == before + 1
    finally:
        counted = caches.watch.stamp(("cases",))
        commit(database, "DELETE FROM cases WHERE code = 'T46-CACHE-1'")
        wait_for(lambda: caches.watch.stamp(("cases",)) != counted, "the cases notice")
    assert matched() == before


def test_a_lost_connection_ends_every_entry(database: SuiteDatabase, watch: ChangeWatch) -> None:
    cache = FreshCache[str](watch, max_bytes=1000)
    _, ticket = cache.lookup("k", ("grids",))
    cache.store(ticket, "v", 10)
    assert cache.lookup("k", ("grids",))[0] == "v"
    commit(
        database,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE query LIKE 'LISTEN zongzhi_changes%' AND pid <> pg_backend_pid()",
    )
    wait_for(lambda: not watch.listening, "the watch to notice")
    assert cache.lookup("k", ("grids",)) == (None, None), "nothing is served while away"
    wait_for(lambda: watch.listening, "the watch to reconnect")
    value, ticket = cache.lookup("k", ("grids",))
    assert value is None and ticket is not None, "notices may have been missed: a new epoch"
