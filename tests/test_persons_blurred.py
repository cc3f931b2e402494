"""A masked home is blurred on every route; the audited unmasked read gives it (trial AW M8).

Trial AW: the masked persons feed (``/ogc/collections/persons/items``) gave each home to 7
decimals and the 走访 list's 定位 dropped a pin on the house beside 「邓**」. Every masked route now
gives the centre of the 0.005° cell the home lies in (:data:`layers.catalog.BLUR_DEGREES`): the
OGC items and single item, the vector tiles, the 走访 list's ``lon``/``lat``; a box around the
exact home finds nobody unless it holds the cell's centre; the unmasked read (permission, reason,
audited) gives the exact point.
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from geo.codes import make_resident_id, mask_resident_id
from layers.catalog import BLUR_DEGREES
from layers.secrets import hash_resident_id, seal
from tests.api_fixtures import VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase
from tests.test_tiles import tile_of

Headers = Callable[[str], dict[str, str]]
HOME = (110.0512345, 20.0623456)
"""The test person's home: inside grid 007 of the first village, off the blur's lattice."""
CENTRE = (110.05, 20.06)
"""The centre of the 0.005° cell the home lies in."""


@pytest.fixture
def at_home(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[int]:
    """A person of the first village living at :data:`HOME`, removed afterwards."""
    village = VILLAGES[0]
    resident_id = make_resident_id(village[:6], date(1979, 3, 4), 7, "M")
    with database.owner.begin() as db:
        person = db.scalar(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, residence, address, grid_code, area_code)"
                " VALUES ('released', '模糊测试', :h, :m, :s, 2, '{}',"
                " ST_SetSRID(ST_MakePoint(:x, :y), 4490), '测试地址', :g, :a) RETURNING id"
            ),
            {
                "h": hash_resident_id(api_world.keys, resident_id),
                "m": mask_resident_id(resident_id),
                "s": seal(api_world.keys, resident_id),
                "x": HOME[0],
                "y": HOME[1],
                "g": f"{village}007",
                "a": village,
            },
        )
    try:
        yield int(person)
    finally:
        with database.owner.begin() as db:
            db.execute(text("DELETE FROM persons WHERE id = :p"), {"p": person})


ITEMS = "/ogc/collections/persons/items"


def _features(api_client: TestClient, headers: dict[str, str], **params: str) -> dict[int, list]:
    answer = api_client.get(ITEMS, params={"limit": "1000", **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {f["id"]: f["geometry"]["coordinates"] for f in answer.json()["features"]}


def test_the_masked_feed_gives_the_centre_of_the_homes_cell(
    api_client: TestClient, auth_headers: Headers, at_home: int
) -> None:
    dispatcher = auth_headers("disp_a1")
    listed = _features(api_client, dispatcher)
    assert listed[at_home] == pytest.approx(list(CENTRE))
    assert BLUR_DEGREES == 0.005  # about 500 m: no single house
    one = api_client.get(f"{ITEMS}/{at_home}", headers=dispatcher)
    assert one.json()["geometry"]["coordinates"] == pytest.approx(list(CENTRE))
    assert str(HOME[0]) not in listed.__repr__() + one.text
    # a small box around the exact home does not find the person: the box tests the point shown
    x, y = HOME
    near = f"{x - 0.0001},{y - 0.0001},{x + 0.0001},{y + 0.0001}"
    assert at_home not in _features(api_client, dispatcher, bbox=near)
    cx, cy = CENTRE
    around = f"{cx - 0.0001},{cy - 0.0001},{cx + 0.0001},{cy + 0.0001}"
    assert at_home in _features(api_client, dispatcher, bbox=around)


def test_tiles_and_the_visit_list_give_the_cells_centre_too(
    api_client: TestClient, auth_headers: Headers, at_home: int
) -> None:
    dispatcher = auth_headers("disp_a1")
    z = 18
    x, y = tile_of(*HOME, z)
    home_tile = api_client.get(f"/tiles/persons/{z}/{x}/{y}.mvt", headers=dispatcher)
    assert home_tile.status_code in (200, 204), home_tile.text
    shown = mapbox_vector_tile.decode(home_tile.content) if home_tile.content else {}
    assert at_home not in [f["id"] for f in shown.get("persons", {}).get("features", [])]
    x, y = tile_of(*CENTRE, z)
    centre_tile = api_client.get(f"/tiles/persons/{z}/{x}/{y}.mvt", headers=dispatcher)
    found = mapbox_vector_tile.decode(centre_tile.content)["persons"]["features"]
    assert at_home in [f["id"] for f in found]
    listed = api_client.get(
        "/api/persons/visits", params={"status": "all", "limit": "1000"}, headers=dispatcher
    ).json()
    (card,) = [p for p in listed["persons"] if p["id"] == at_home]
    assert (card["lon"], card["lat"]) == pytest.approx(CENTRE)


def test_the_audited_unmasked_read_gives_the_exact_home(
    api_client: TestClient, auth_headers: Headers, at_home: int, database: SuiteDatabase
) -> None:
    clear = api_client.post(
        f"/api/persons/{at_home}/unmasked",
        json={"reason": "核实走访对象住址"},
        headers=auth_headers("cmd_a_unmask"),
    )
    assert clear.status_code == 200, clear.text
    assert (clear.json()["lon"], clear.json()["lat"]) == pytest.approx(HOME, abs=1e-9)
    with database.owner.connect() as db:
        entry = db.execute(
            text(
                "SELECT actor_name, reason, outcome FROM audit_log WHERE action = 'person.unmask'"
                " AND object_id = :p ORDER BY id DESC LIMIT 1"
            ),
            {"p": str(at_home)},
        ).one()
    assert tuple(entry) == ("t46_cmd_a_unmask", "核实走访对象住址", "ok")
