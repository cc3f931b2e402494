"""Dispatch recommendations and assignment on PostGIS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import cases, dispatch
from layers.errors import Conflict, InvalidInput, NotFound
from layers.model import Case
from tests.workflow_data import (
    NOW,
    actor,
    add_worker,
    ensure_world,
    grid,
    village,
    village_centre,
)

M = 1 / 101_000  # about one metre of longitude at 24.3° N, in degrees


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    # the tests below count workers of township 200: start it empty inside this transaction
    db.execute(text("DELETE FROM workers WHERE area_code LIKE '520424200%'"))
    return db


def _case(db: Session, v: str, dx_m: float = 0.0) -> Case:
    lon, lat = village_centre(v)
    return cases.register(
        db,
        actor=actor("dispatcher", v[:9] + "000"),
        channel="phone",
        category="safety_hazard",
        title="井盖缺失",
        reported_at=NOW,
        lon=lon + dx_m * M,
        lat=lat,
    ).case


def test_ranking_by_distance_workload_and_own_grid(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    case = _case(world, v)
    near = add_worker(world, area_code=v, lon=lon + 100 * M, lat=lat, name="近")
    far = add_worker(world, area_code=v, lon=lon + 900 * M, lat=lat, name="远")
    own = add_worker(
        world, area_code=v, lon=lon + 300 * M, lat=lat, home_grid=grid(v), name="本网格"
    )
    result = dispatch.candidates(world, case.id, actor=actor("dispatcher", v[:9] + "000"), now=NOW)
    assert result.reason is None
    ids = [c.worker_id for c in result.candidates]
    # own grid: 300 m − 300 m bonus ranks before the nearest (100 m)
    assert ids == [own, near, far]
    first = result.candidates[0]
    assert first.own_grid and abs(first.distance_m - 300) < 10
    # a busy day pushes the nearest worker behind the far one (500 m per dispatch)
    for _ in range(2):
        other = _case(world, v, dx_m=1000)
        world.execute(
            text(
                "INSERT INTO dispatches (case_id, area_code, assignee_kind, worker_id, status,"
                " assigned_at) VALUES (:c, :a, 'worker', :w, 'finished', :at)"
            ),
            {"c": other.id, "a": v, "w": near, "at": NOW - timedelta(hours=2)},
        )
    result = dispatch.candidates(world, case.id, actor=actor("dispatcher", v[:9] + "000"), now=NOW)
    assert [c.worker_id for c in result.candidates] == [own, far, near]
    assert result.candidates[-1].workload == 2


def test_stale_positions_are_skipped_and_radius_is_capped(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    case = _case(world, v)
    scope = actor("dispatcher", v[:9] + "000")
    stale = add_worker(world, area_code=v, lon=lon, lat=lat, seen_at=NOW - timedelta(minutes=31))
    fresh = add_worker(
        world, area_code=v, lon=lon + 2000 * M, lat=lat, seen_at=NOW - timedelta(minutes=29)
    )
    ids = [
        c.worker_id for c in dispatch.candidates(world, case.id, actor=scope, now=NOW).candidates
    ]
    assert ids == [fresh] and stale not in ids
    capped = dispatch.candidates(world, case.id, actor=scope, now=NOW, radius_m=1500)
    assert capped.candidates == [] and capped.reason == "outside_radius"
    assert capped.counts == {"in_scope": 2, "on_duty": 2, "fresh": 1, "within_radius": 0}


def test_each_reason_for_nobody(world: Session) -> None:
    v = village(200, 2)
    lon, lat = village_centre(v)
    case = _case(world, v)
    scope = actor("dispatcher", v[:9] + "000")
    assert dispatch.candidates(world, case.id, actor=scope, now=NOW).reason == "no_workers_in_scope"
    # workers of another county do not count for this township
    add_worker(world, area_code=village(100, 1, "520425"), lon=lon, lat=lat)
    assert dispatch.candidates(world, case.id, actor=scope, now=NOW).reason == "no_workers_in_scope"
    busy = add_worker(world, area_code=v, lon=lon, lat=lat, status="busy")
    off = add_worker(world, area_code=v, lon=lon, lat=lat, status="off_duty")
    assert dispatch.candidates(world, case.id, actor=scope, now=NOW).reason == "all_busy"
    world.execute(
        text("UPDATE workers SET status = 'on_duty', last_seen_at = :t WHERE id IN (:a, :b)"),
        {"t": NOW - timedelta(hours=3), "a": busy, "b": off},
    )
    stale = dispatch.candidates(world, case.id, actor=scope, now=NOW)
    assert stale.reason == "all_stale" and stale.counts["on_duty"] == 2
    world.execute(
        text(
            "UPDATE workers SET last_seen_at = :t, "
            "last_position = ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) WHERE id = :a"
        ),
        {"t": NOW, "a": busy, "lon": lon + 5000 * M, "lat": lat},
    )
    assert dispatch.candidates(world, case.id, actor=scope, now=NOW).reason == "outside_radius"


def test_candidates_never_leave_the_scope(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    case = _case(world, v)
    inside = add_worker(world, area_code=v, lon=lon + 50 * M, lat=lat)
    outside = add_worker(world, area_code=village(100, 2), lon=lon + 10 * M, lat=lat)
    township_200 = actor("dispatcher", v[:9] + "000")
    ids = [
        c.worker_id
        for c in dispatch.candidates(world, case.id, actor=township_200, now=NOW).candidates
    ]
    assert ids == [inside] and outside not in ids
    with pytest.raises(NotFound):
        dispatch.candidates(
            world, case.id, actor=actor("dispatcher", village(100, 1)[:9] + "000"), now=NOW
        )


def test_assign_worker_conflicts_when_taken(world: Session) -> None:
    v = village(200, 1)
    lon, lat = village_centre(v)
    scope = actor("dispatcher", v[:9] + "000")
    first, second = _case(world, v), _case(world, v, dx_m=500)
    for c in (first, second):
        cases.act(world, c.id, "triage", actor=scope, now=NOW)
    worker = add_worker(world, area_code=v, lon=lon, lat=lat)
    dispatch.assign_worker(world, first.id, worker, by=scope, expected_version=None, now=NOW)
    with pytest.raises(Conflict):
        dispatch.assign_worker(world, second.id, worker, by=scope, expected_version=None, now=NOW)
    with pytest.raises(NotFound):
        dispatch.assign_worker(world, second.id, 10**12, by=scope, expected_version=None, now=NOW)
    with pytest.raises(InvalidInput):
        dispatch.assign(world, second.id, actor=scope, now=NOW)
    assert dispatch.candidates(world, second.id, actor=scope, now=NOW).reason == "all_busy"
