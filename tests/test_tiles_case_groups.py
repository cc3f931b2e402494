"""The cases layer's tiles by 案件范围 (open, overdue, recent): the case points' definitions.

At county zoom the console draws the cases as hexagon counts from vector tiles; 案件范围 must
change those counts exactly as it changes the case points of ``/api/console/{code}/cases``.
"""
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.caches import Caches
from layers import cases, command_map, tiles
from layers.case_groups import CaseGroup, StateGroup
from layers.catalog import COLLECTIONS
from layers.errors import InvalidInput
from tests.api_fixtures import COUNTY_A, ApiWorld
from tests.test_tiles import tile_of
from tests.workflow_data import NOW, actor, ensure_world, village, village_centre

Headers = Callable[[str], dict[str, str]]
V1 = village(100, 1)
Z = 10
"""A county zoom: the cases layer is hexagon counts below zoom 12."""
GROUPS: tuple[StateGroup | None, ...] = (None, *StateGroup)

# title -> (state, deadline in days from NOW or None, reported days before NOW)
CASES = {
    "未超期": ("registered", 5, 2),  # open, recent
    "刚超期": ("dispatched", -1, 10),  # open, overdue, recent
    "早超期": ("accepted", -3, 60),  # open, overdue
    "已办结": ("resolved", -5, 5),  # recent (past its deadline, but no longer open)
    "已销号": ("archived", None, 90),  # none of the groups
    "无时限": ("registered", None, 45),  # open (no deadline: never overdue)
}
#: One subcategory of the code table per case (trial AU m1: no made-up ones).
KINDS = ("marriage_family", "neighbours", "land", "labour_wages", "property_management", "medical")
EXPECTED = {None: 6, StateGroup.OPEN: 4, StateGroup.OVERDUE: 2, StateGroup.RECENT: 3}


def _tile(session: Session, group: StateGroup | None, *, aggregate: bool = True) -> dict[str, Any]:
    lon, lat = village_centre(V1)
    x, y = tile_of(lon, lat, Z)
    data = tiles.tile(
        session,
        COLLECTIONS["cases"],
        Z,
        x,
        y,
        scope_code=V1,
        aggregate=aggregate,
        cases=CaseGroup(group, NOW) if group is not None else None,
    )
    layer: dict[str, Any] = mapbox_vector_tile.decode(data).get("cases", {"features": []})
    return layer


def _count(session: Session, group: StateGroup | None) -> int:
    return sum(f["properties"]["count"] for f in _tile(session, group)["features"])


def _add_cases(session: Session) -> dict[str, int]:
    lon, lat = village_centre(V1)
    ids = {}
    for i, (title, (state, deadline, reported)) in enumerate(CASES.items()):
        case = cases.register(
            session,
            actor=actor("dispatcher"),
            channel="phone",
            category="dispute",
            subcategory=KINDS[i],  # no two alike: none is a repeat of another
            title=title,
            reported_at=NOW - timedelta(days=reported),
            lon=lon + (i - 3) * 0.001,
            lat=lat + 0.002,
        ).case
        session.execute(
            text("UPDATE cases SET state = :s, deadline = :d WHERE id = :id"),
            {
                "s": state,
                "d": NOW + timedelta(days=deadline) if deadline is not None else None,
                "id": case.id,
            },
        )
        ids[title] = case.id
    session.flush()
    return ids


def test_hexagon_counts_follow_the_case_group(db: Session) -> None:
    ensure_world(db)
    lon, lat = village_centre(V1)
    bounds = tiles.tile_bounds(Z, *tile_of(lon, lat, Z))
    assert bounds.west < lon - 0.01 and lon + 0.01 < bounds.east  # the village is in the tile
    before = {group: _count(db, group) for group in GROUPS}
    _add_cases(db)
    after = {group: _count(db, group) for group in GROUPS}
    assert {group: after[group] - before[group] for group in GROUPS} == EXPECTED
    # the very cases the console's case points hold for the same group
    for group in StateGroup:
        points = json.loads(
            command_map.case_points(db, V1, actor=actor("commander", V1), now=NOW, group=group)
        )
        assert after[group] == len(points["features"]), group


def test_point_tiles_follow_the_case_group(db: Session) -> None:
    ensure_world(db)
    ids = _add_cases(db)
    mine = set(ids.values())
    overdue = {f["id"] for f in _tile(db, StateGroup.OVERDUE, aggregate=False)["features"]}
    assert overdue & mine == {ids["刚超期"], ids["早超期"]}
    recent = {f["id"] for f in _tile(db, StateGroup.RECENT, aggregate=False)["features"]}
    assert recent & mine == {ids["未超期"], ids["刚超期"], ids["已办结"]}
    every = {f["id"] for f in _tile(db, None, aggregate=False)["features"]}
    assert every & mine == mine


def test_a_case_group_is_for_the_cases_layer_only(db: Session) -> None:
    with pytest.raises(InvalidInput, match="案件范围"):
        tiles.tile_query(
            COLLECTIONS["grids"], Z, 0, 0, scope_code=V1, cases=CaseGroup(StateGroup.OPEN, NOW)
        )


# ---- through the API: /tiles/cases/{z}/{x}/{y}.mvt?state= -------------------------------------


def _api_count(client: TestClient, headers: dict[str, str], query: str) -> int:
    x, y = tile_of(110.2, 20.04, 8)
    response = client.get(f"/tiles/cases/8/{x}/{y}.mvt{query}", headers=headers)
    assert response.status_code == 200, response.text
    layer = mapbox_vector_tile.decode(response.content).get("cases", {"features": []})
    return sum(f["properties"]["count"] for f in layer["features"])


def _points(client: TestClient, headers: dict[str, str], query: str) -> int:
    url = f"/api/console/{COUNTY_A}/cases?limit=5000&{query}"
    return len(client.get(url, headers=headers).json()["features"])


def test_api_tiles_take_the_state_and_keep_one_entry_per_group(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    h = auth_headers("cmd_a")
    every = _api_count(api_client, h, "")
    assert every == len(api_world.in_scope("cases", COUNTY_A))
    # the test world's cases are all open and have no deadline: none is overdue
    assert _api_count(api_client, h, "?state=open") == every == _points(api_client, h, "state=open")
    assert (
        _api_count(api_client, h, "?state=overdue") == 0 == _points(api_client, h, "state=overdue")
    )
    for days in (30, 366):
        tiled = _api_count(api_client, h, f"?state=recent&days={days}")
        assert tiled == _points(api_client, h, f"state=recent&days={days}")
    # each group is its own cache entry: the open tile, cached, is not served for overdue
    caches: Caches = api_client.app.state.caches  # type: ignore[attr-defined]
    x, y = tile_of(110.2, 20.04, 8)
    base = ("cases", 8, x, y, COUNTY_A, "commander")
    groups = {
        "": None,
        "?state=open": ("open", None),
        "?state=overdue": ("overdue", None),
        "?state=recent&days=30": ("recent", 30),
        "?state=recent&days=366": ("recent", 366),
    }
    for _ in range(5):  # a change notice of an earlier test's commit may still empty the cache
        for query in groups:
            _api_count(api_client, h, query)
        kept = {g: caches.tiles.lookup((*base, g), ("cases",))[0] for g in groups.values()}
        if all(entry is not None for entry in kept.values()):
            break
    assert all(entry is not None for entry in kept.values())
    assert kept[("open", None)].data != kept[("overdue", None)].data  # type: ignore[union-attr]
    assert _api_count(api_client, h, "?state=overdue") == 0  # served again, from its own entry


def test_api_refuses_a_state_it_does_not_know_or_on_another_layer(
    api_client: TestClient, auth_headers: Headers
) -> None:
    h = auth_headers("cmd_a")
    x, y = tile_of(110.2, 20.04, 8)
    assert api_client.get(f"/tiles/cases/8/{x}/{y}.mvt?state=closed", headers=h).status_code == 422
    grids = api_client.get(f"/tiles/grids/8/{x}/{y}.mvt?state=open", headers=h)
    assert grids.status_code == 422 and "案件范围" in grids.json()["detail"]
    # an analyst's counts (small ones suppressed) take the state as well
    analyst = auth_headers("analyst_a")
    assert _api_count(api_client, analyst, "?state=overdue") == 0
    assert _api_count(api_client, analyst, "?state=open") == _api_count(api_client, analyst, "")
