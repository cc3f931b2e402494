"""Tiles put their EPSG:4490 geometries in Web Mercator through EPSG:4326 (layers.tiles).

The cheaper path must give the very coordinates the direct EPSG:4490 transform gives, and the
tile query must take it for every collection, points and hexagon counts alike.
"""

from __future__ import annotations

from sqlalchemy import text

from layers.catalog import COLLECTIONS
from layers.tiles import mercator_sql, tile_query
from tests.conftest import SuiteDatabase

# China's corners and the demo county: points, a line and a polygon
SHAPES = (
    "POINT(73.5 39.4)",
    "POINT(135.0 48.4)",
    "POINT(109.5 18.2)",
    "POINT(102.9 24.2)",
    "LINESTRING(102.8 24.1, 103.0 24.3, 103.1 24.25)",
    "POLYGON((102.8 24.1, 103.0 24.1, 103.0 24.3, 102.8 24.3, 102.8 24.1))",
)


def test_mercator_through_4326_gives_the_direct_transforms_coordinates(
    database: SuiteDatabase,
) -> None:
    with database.owner.connect() as conn:
        for shape in SHAPES:
            direct, cheap = conn.execute(
                text(
                    "WITH s AS (SELECT ST_GeomFromText(:wkt, 4490) AS g)"
                    " SELECT ST_AsText(ST_Transform(g, 3857), 15),"
                    f" ST_AsText({mercator_sql('g')}, 15) FROM s"
                ),
                {"wkt": shape},
            ).one()
            assert cheap == direct, shape


def test_tile_query_transforms_no_geometry_from_4490() -> None:
    for collection in COLLECTIONS.values():
        for aggregate in (False, True):
            if aggregate and collection.geometry_type != "Point":
                continue
            sql, _ = tile_query(
                collection, 14, 13_066, 6_971, scope_code="530000000000", aggregate=aggregate
            )
            column = collection.geometry_column
            assert f"ST_Transform({column}, 3857)" not in sql, collection.id
            assert mercator_sql(column) in sql, collection.id
