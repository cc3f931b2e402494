"""Query plans of the app role under row-level security: bbox conditions use the GiST index.

PostgreSQL evaluates a query's own conditions before the policy's only when they are leakproof,
and an index condition is such an early evaluation. Migration ``0005_leakproof_bbox`` marks
PostGIS's bounding-box operators leakproof; these tests EXPLAIN the real tile and items queries
as the app role with a scope set, over enough rows (analysed) that a sequential scan would be
the wrong plan, and check the spatial index is used (and is not without the mark).

The rows are inserted in a transaction that is rolled back; the table is analysed again
afterwards so that other tests plan with the real statistics.
"""
# ruff: noqa: F811

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, text

from layers import features, tiles
from layers.catalog import get_collection
from layers.database import (
    LEAKPROOF_BBOX_FUNCTIONS,
    apply_scope,
    ensure_leakproof_bbox,
    missing_leakproof_bbox,
)
from layers.embedded import APP_ROLE
from layers.features import BBox
from tests.api_fixtures import CITY, VILLAGES, ApiWorld, village_box
from tests.conftest import SuiteDatabase
from tests.test_tiles import tile_of

ROWS_PER_VILLAGE = 10_000
SPATIAL_INDEX = "idx_cases_point"


@pytest.fixture
def crowded(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[Connection]:
    """Owner connection in a transaction holding 40,000 more cases over the test villages."""
    with database.owner.connect() as conn:
        outer = conn.begin()
        try:
            apply_scope(conn, None)
            for index, village in enumerate(VILLAGES):
                west, south, east, north = village_box(index)
                conn.execute(
                    text(
                        """
                        INSERT INTO cases (code, channel, category, title, risk_level, point,
                                           area_code, grid_code, state, handling_level,
                                           reported_at)
                        SELECT 'PLAN' || :v || '-' || g, 'phone', 'dispute', 'plan test', 2,
                               ST_SetSRID(ST_MakePoint(
                                   :west + (:east - :west) * ((g * 7919) % 1000) / 1000.0,
                                   :south + (:north - :south) * ((g * 104729) % 997) / 997.0),
                                   4490),
                               :area, NULL, 'registered', 4, now()
                        FROM generate_series(1, :n) AS g
                        """
                    ),
                    {
                        "v": index,
                        "n": ROWS_PER_VILLAGE,
                        "area": village,
                        "west": west,
                        "south": south,
                        "east": east,
                        "north": north,
                    },
                )
            conn.exec_driver_sql("ANALYZE cases")
            yield conn
        finally:
            outer.rollback()
    with database.owner.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE cases")


def _explain_as_app(conn: Connection, sql: str, params: dict[str, object]) -> str:
    conn.exec_driver_sql(f"SET LOCAL ROLE {APP_ROLE}")
    apply_scope(conn, CITY)
    try:
        plan = conn.execute(text("EXPLAIN " + sql), params).scalars().all()
    finally:
        conn.exec_driver_sql("RESET ROLE")
    return "\n".join(plan)


def _z14_tile_query() -> tuple[str, dict[str, object]]:
    west, south, east, north = village_box(0)
    x, y = tile_of((west + east) / 2, (south + north) / 2, 14)
    return tiles.tile_query(get_collection("cases"), 14, x, y, scope_code=CITY)


def test_bbox_operators_are_leakproof_after_migrating(database: SuiteDatabase) -> None:
    with database.owner.connect() as conn:
        assert missing_leakproof_bbox(conn) == []


def test_tile_query_uses_the_spatial_index_under_rls(crowded: Connection) -> None:
    sql, params = _z14_tile_query()
    plan = _explain_as_app(crowded, sql, params)
    assert SPATIAL_INDEX in plan, plan


def test_items_bbox_query_uses_the_spatial_index_under_rls(crowded: Connection) -> None:
    west, south, _, _ = village_box(1)
    sql, params = features.items_query(
        get_collection("cases"),
        scope_code=CITY,
        bbox=BBox(west, south, west + 0.005, south + 0.005),
        limit=1000,
    )
    plan = _explain_as_app(crowded, sql, params)
    assert SPATIAL_INDEX in plan, plan


def test_without_the_mark_rls_keeps_the_index_out(crowded: Connection) -> None:
    """The control: the same tile query, with ``&&`` not leakproof, cannot use the index."""
    crowded.exec_driver_sql("ALTER FUNCTION geometry_overlaps(geometry, geometry) NOT LEAKPROOF")
    sql, params = _z14_tile_query()
    plan = _explain_as_app(crowded, sql, params)
    assert SPATIAL_INDEX not in plan, plan
    # The owner (a superuser, no RLS) still would: the difference is the security barrier.
    apply_scope(crowded, CITY)
    owner_plan = "\n".join(crowded.execute(text("EXPLAIN " + sql), params).scalars())
    assert SPATIAL_INDEX in owner_plan, owner_plan


def test_ensure_leakproof_bbox_warns_without_superuser_and_marks_with_one(
    database: SuiteDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    with database.owner.connect() as conn:
        outer = conn.begin()
        try:
            for signature in LEAKPROOF_BBOX_FUNCTIONS:
                conn.exec_driver_sql(f"ALTER FUNCTION {signature} NOT LEAKPROOF")
            conn.exec_driver_sql(f"SET LOCAL ROLE {APP_ROLE}")
            with caplog.at_level(logging.WARNING, logger="layers.database"):
                still = ensure_leakproof_bbox(conn)
            assert still == list(LEAKPROOF_BBOX_FUNCTIONS)
            assert "A DBA should run" in caplog.text
            assert "ALTER FUNCTION geometry_overlaps(geometry, geometry) LEAKPROOF" in caplog.text
            conn.exec_driver_sql("RESET ROLE")
            assert ensure_leakproof_bbox(conn) == []
            assert ensure_leakproof_bbox(conn) == []  # idempotent
        finally:
            outer.rollback()
