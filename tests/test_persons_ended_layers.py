"""Persons who left the register are off the map and out of the counts; their record stays.

The persons collection (OGC items, single items, extent, vector tiles and their hexagon counts),
the command view's overdue visits and the trend tables' follow-up counts leave out a person with
``ended_on``; the unmasked read still finds them, with the day and the reason they left, and
their visits stay on record.
"""

from __future__ import annotations

from datetime import date, timedelta

import mapbox_vector_tile
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import accounts, command, disclosure, features, tiles, trend_tables
from layers.catalog import get_collection
from layers.errors import NotFound
from layers.secrets import Keys, seal
from tests.test_tiles import tile_of
from tests.workflow_data import (
    COUNTY,
    MENTAL_KEY_EVERY_14_DAYS,
    NOW,
    actor,
    ensure_world,
    grid,
    township,
    village,
)

V1 = village(100, 1)
KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
RESIDENT_ID = "530424198001010011"


def _person(db: Session, n: int, lon: float, lat: float, visited: date | None) -> int:
    """Insert a followed, overdue-to-be person of V1 (14-day rule) and their last visit."""
    pid = int(
        db.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, grid_code, residence, on_record_since)"
                " VALUES ('mental', :name, :h, '5304**********0011', :s, 1, '{}', :a, :g,"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4490), DATE '2025-01-01') RETURNING id"
            ),
            {
                "name": f"测试人{n}",
                "h": n.to_bytes(32, "big"),
                "s": seal(KEYS, RESIDENT_ID),
                "a": V1,
                "g": grid(V1),
                "x": lon,
                "y": lat,
            },
        ).scalar_one()
    )
    if visited is not None:
        db.execute(
            text(
                "INSERT INTO person_visits (person_id, area_code, visited_on) VALUES (:p, :a, :d)"
            ),
            {"p": pid, "a": V1, "d": visited},
        )
    return pid


@pytest.fixture
def people(db: Session) -> dict[str, int]:
    """Three overdue persons in V1, two of whom left the register (one had been visited)."""
    ensure_world(db)
    db.execute(text(MENTAL_KEY_EVERY_14_DAYS))
    lon, lat = 102.505, 24.305
    month_ago = (NOW - timedelta(days=30)).date()
    ids = {
        "followed": _person(db, 7001, lon, lat, None),
        "died": _person(db, 7002, lon + 0.001, lat, None),
        "released": _person(db, 7003, lon + 0.002, lat, month_ago),
    }
    for who, reason in (("released", "解除矫正"), ("died", "死亡")):
        db.execute(
            text("UPDATE persons SET ended_on = '2026-03-01', ended_reason = :r WHERE id = :p"),
            {"r": reason, "p": ids[who]},
        )
    return ids


def test_the_persons_layer_leaves_out_who_left(db: Session, people: dict[str, int]) -> None:
    persons = get_collection("persons")
    page = features.collection_items(db, persons, scope_code=COUNTY)
    assert (page.matched, page.returned) == (1, 1)
    assert f'"id":{people["followed"]},' in page.body
    assert features.collection_item(db, persons, str(people["followed"]), scope_code=COUNTY)
    with pytest.raises(NotFound):
        features.collection_item(db, persons, str(people["died"]), scope_code=COUNTY)
    extent = features.collection_extent(db, persons, scope_code=COUNTY)
    assert extent is not None and extent[2] == pytest.approx(102.505)  # the followed one only


def test_tiles_and_their_counts_leave_out_who_left(db: Session, people: dict[str, int]) -> None:
    persons = get_collection("persons")
    x, y = tile_of(102.506, 24.305, 15)
    body = tiles.tile(db, persons, 15, x, y, scope_code=COUNTY, aggregate=False)
    shown = mapbox_vector_tile.decode(body)["persons"]["features"]
    assert [f["id"] for f in shown] == [people["followed"]]
    x, y = tile_of(102.506, 24.305, 10)
    counts = tiles.tile(db, persons, 10, x, y, scope_code=COUNTY, aggregate=True)
    cells = mapbox_vector_tile.decode(counts)["persons"]["features"]
    assert sum(f["properties"]["count"] for f in cells) == 1


def test_command_and_trend_counts_leave_out_who_left(db: Session, people: dict[str, int]) -> None:
    feed = command.feed(db, township(), actor=actor("dispatcher", township()), now=NOW)
    assert feed["unit"]["kpis"]["overdue_visits"] == 1
    assert {c["code"]: c["kpis"]["overdue_visits"] for c in feed["children"]}[V1] == 1
    follow_up = trend_tables.overdue_visits(db, COUNTY, now=NOW, min_count=1)
    assert (follow_up["total"], follow_up["overdue"]) == (1, 1)
    assert [g["persons"] for g in follow_up["grids"]] == [1]


def test_who_left_stays_on_record_with_their_visits(db: Session, people: dict[str, int]) -> None:
    reader = accounts.Reader(1, "cmd", "commander", COUNTY, can_unmask=True)
    person = disclosure.unmask_person(
        db, reader, people["released"], reason="核实解矫情况", keys=KEYS
    )
    assert person.resident_id == RESIDENT_ID
    assert (person.ended_on, person.ended_reason) == (date(2026, 3, 1), "解除矫正")
    followed = disclosure.unmask_person(
        db, reader, people["followed"], reason="核实解矫情况", keys=KEYS
    )
    assert (followed.ended_on, followed.ended_reason) == (None, None)
    visits = db.execute(
        text("SELECT count(*) FROM person_visits WHERE person_id = :p"), {"p": people["released"]}
    ).scalar_one()
    assert visits == 1
