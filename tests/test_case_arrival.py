"""到场 keeps where the phone stood and how far that was from the case (trial AZ M4).

The trial's worker tapped 到场 at the spot: the event had no payload and his last position
stayed the login's, 400 m away, so nobody could check the arrival.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from layers import cases
from layers.errors import InvalidInput
from layers.model import Case, CaseEvent
from tests.workflow_data import (
    NOW,
    actor,
    add_worker,
    ensure_world,
    village,
    village_centre,
    worker_actor,
)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _accepted_case(db: Session, worker_id: int) -> Case:
    """A case at the village centre, dispatched to the worker and 受理'd by him."""
    lon, lat = village_centre(village())
    who = actor()
    case = cases.register(
        db,
        actor=who,
        channel="grid_worker",
        category="dispute",
        subcategory="neighbours",
        title="邻里噪音纠纷",
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case
    cases.act(db, case.id, "triage", actor=who, now=NOW)
    cases.act(db, case.id, "dispatch", actor=who, now=NOW, params={"worker_id": worker_id})
    cases.act(db, case.id, "accept", actor=worker_actor(worker_id), now=NOW)
    return case


def _arrival(db: Session, case_id: int) -> CaseEvent:
    return db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == "arrive")
    ).one()


def test_arrive_keeps_the_phones_position_and_its_distance_and_moves_the_worker(
    world: Session,
) -> None:
    lon, lat = village_centre(village())
    # his last position is the login's, about 400 m away and an hour old
    worker_id = add_worker(
        world, area_code=village(), lon=lon + 0.004, lat=lat, seen_at=NOW - timedelta(hours=1)
    )
    case = _accepted_case(world, worker_id)
    at = NOW + timedelta(minutes=20)
    here = {"lon": lon, "lat": lat + 35 / 110_800, "accuracy": 12.4}  # 35 m north of the case
    cases.act(world, case.id, "arrive", actor=worker_actor(worker_id), now=at, params=here)
    payload = _arrival(world, case.id).payload or {}
    assert payload["located"] is True
    assert (payload["lon"], payload["lat"]) == (round(here["lon"], 7), round(here["lat"], 7))
    assert payload["distance_m"] == 35 and payload["accuracy_m"] == 12
    seen = world.execute(
        text(
            "SELECT ST_X(last_position) AS lon, ST_Y(last_position) AS lat, last_seen_at,"
            " (SELECT count(*) FROM worker_positions p WHERE p.worker_id = w.id AND p.at = :at)"
            " AS kept FROM workers w WHERE id = :id"
        ),
        {"id": worker_id, "at": at},
    ).one()
    assert (seen.lon, seen.lat) == pytest.approx((here["lon"], here["lat"]))
    assert seen.last_seen_at == at and seen.kept == 1


def test_arrive_without_a_position_still_counts_and_says_so(world: Session) -> None:
    lon, lat = village_centre(village())
    worker_id = add_worker(world, area_code=village(), lon=lon + 0.004, lat=lat)
    case = _accepted_case(world, worker_id)
    done = cases.act(world, case.id, "arrive", actor=worker_actor(worker_id), now=NOW)
    assert done.state == "on_site"
    assert _arrival(world, case.id).payload == {"located": False}
    moved = world.execute(
        text("SELECT ST_X(last_position) FROM workers WHERE id = :id"), {"id": worker_id}
    ).scalar_one()
    assert moved == pytest.approx(lon + 0.004), "no fix: his position stays as it was"


def test_a_dispatcher_registering_arrive_for_him_does_not_move_the_worker(
    world: Session,
) -> None:
    lon, lat = village_centre(village())
    worker_id = add_worker(world, area_code=village(), lon=lon + 0.004, lat=lat)
    case = _accepted_case(world, worker_id)
    # the desk's own position is not the worker's: kept in the event, not as his position
    cases.act(world, case.id, "arrive", actor=actor(), now=NOW, params={"lon": lon, "lat": lat})
    assert (_arrival(world, case.id).payload or {})["distance_m"] == 0
    moved = world.execute(
        text("SELECT ST_X(last_position) FROM workers WHERE id = :id"), {"id": worker_id}
    ).scalar_one()
    assert moved == pytest.approx(lon + 0.004)


@pytest.mark.parametrize(
    "params",
    [{"lon": 102.9}, {"lon": 200.0, "lat": 24.0}, {"lon": "东经", "lat": 24.0}],
)
def test_a_bad_arrival_position_is_refused_in_chinese(
    world: Session, params: dict[str, object]
) -> None:
    lon, lat = village_centre(village())
    worker_id = add_worker(world, area_code=village(), lon=lon, lat=lat)
    case = _accepted_case(world, worker_id)
    with pytest.raises(InvalidInput, match="到场位置|经纬度"):
        cases.act(world, case.id, "arrive", actor=worker_actor(worker_id), now=NOW, params=params)
