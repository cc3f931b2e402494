"""A grid worker holds up to three open cases at once (trial AZ M3).

The unique index ``uq_dispatches_active_worker`` allowed one active dispatch per worker: the
worker on site at a landslide could not be sent the second report from the same spot. Now a
worker takes a second and a third case, a fourth is refused naming his 在办 3 件; the ranking
offers a worker holding one or two (after an idle one as near), and he is on duty again only
once the last of his cases has ended. Migration 0039 swaps the unique index for a plain one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from layers import cases, dispatch, dispatch_picks, worker_duty
from layers.errors import Conflict
from layers.workflow import Actor
from tests.migration_steps import migration_steps
from tests.workflow_data import NOW, actor, add_worker, ensure_world, village, village_centre

M = 1 / 101_000  # about one metre of longitude at 24.3° N, in degrees
V = village(200, 1)
WHO = actor("dispatcher", V[:9] + "000")


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    # the ranking below counts the workers of township 200: start it empty in this transaction
    db.execute(text("DELETE FROM workers WHERE area_code LIKE '520424200%'"))
    return db


def _triaged(db: Session, title: str, dx_m: float = 0.0) -> int:
    lon, lat = village_centre(V)
    case = cases.register(
        db,
        actor=WHO,
        channel="phone",
        category="safety_hazard",
        title=title,
        reported_at=NOW,
        dedupe_radius_m=0.0,  # each its own matter, though at the same spot
        lon=lon + dx_m * M,
        lat=lat,
    ).case
    cases.act(db, case.id, "triage", actor=WHO, now=NOW)
    return case.id


def _status(db: Session, worker_id: int) -> str:
    return str(
        db.execute(text("SELECT status FROM workers WHERE id = :w"), {"w": worker_id}).one()[0]
    )


def test_a_worker_takes_a_second_and_third_case_and_a_fourth_is_refused(world: Session) -> None:
    lon, lat = village_centre(V)
    on_site = add_worker(world, area_code=V, lon=lon, lat=lat, name="杨洁兰")
    reports = [_triaged(world, f"山体滑坡（第 {i + 1} 报）", dx_m=i) for i in range(4)]
    for i, case_id in enumerate(reports[:3]):
        # before each: offered with what he holds, and taken
        ranked = dispatch.candidates(world, case_id, actor=WHO, now=NOW).candidates
        assert [(c.worker_id, c.open_cases) for c in ranked] == [(on_site, i)]
        dispatch.assign(world, case_id, actor=WHO, now=NOW, worker_id=on_site)
        assert _status(world, on_site) == "busy"
    mine = cases.tasks_of(world, actor=_worker_actor(on_site))
    assert sorted(c.id for c in mine) == sorted(reports[:3])

    with pytest.raises(Conflict) as refused:
        dispatch.assign(world, reports[3], actor=WHO, now=NOW, worker_id=on_site)
    said = str(refused.value)
    assert "网格员杨洁兰在办 3 件，已达上限" in said and "最多同时办理 3 件" in said
    assert cases.get_case(world, reports[3], actor=WHO).state == "triaged"
    # full: not ranked (nobody else: all busy), and listed by hand as not to be sent
    nobody = dispatch.candidates(world, reports[3], actor=WHO, now=NOW)
    assert (nobody.candidates, nobody.reason) == ([], "all_busy")
    picked = dispatch_picks.workers_to_pick(world, reports[3], actor=WHO, now=NOW, query="杨洁兰")
    [full] = picked.workers
    assert (full.left_out, full.pickable, full.open_cases) == (["busy"], False, 3)
    duty = worker_duty.duty(world, on_site, actor=WHO, actor_worker_id=None)
    assert (duty.status, duty.open_cases) == ("busy", 3)


def _worker_actor(worker_id: int) -> Actor:
    return Actor(user_id=None, name="网格员", role="grid_worker", scope_code=V, worker_id=worker_id)


def test_an_idle_worker_as_near_comes_first_and_a_busy_one_below_the_cap_is_offered(
    world: Session,
) -> None:
    lon, lat = village_centre(V)
    busy = add_worker(world, area_code=V, lon=lon, lat=lat, name="在办一件")
    first = _triaged(world, "路面塌陷")
    dispatch.assign(world, first, actor=WHO, now=NOW, worker_id=busy)
    idle = add_worker(world, area_code=V, lon=lon + 400 * M, lat=lat, name="空闲")
    second = _triaged(world, "路面塌陷（旁边）", dx_m=1)
    ranked = dispatch.candidates(world, second, actor=WHO, now=NOW).candidates
    assert [(c.worker_id, c.open_cases) for c in ranked] == [(idle, 0), (busy, 1)]
    listed = dispatch_picks.workers_to_pick(world, second, actor=WHO, now=NOW, query="在办一件")
    [one] = listed.workers
    assert (one.status, one.left_out, one.pickable, one.open_cases) == ("busy", [], True, 1)


def test_recalling_one_leaves_the_others_and_the_last_to_end_frees_him(world: Session) -> None:
    lon, lat = village_centre(V)
    worker = add_worker(world, area_code=V, lon=lon, lat=lat)
    held = [_triaged(world, f"积水（第 {i + 1} 处）", dx_m=10 * i) for i in range(3)]
    for case_id in held:
        dispatch.assign(world, case_id, actor=WHO, now=NOW, worker_id=worker)
    dispatch.recall(world, held[0], actor=WHO, now=NOW, note="改派给离得更近的网格员")
    assert cases.open_cases(world, worker) == 2 and _status(world, worker) == "busy"
    mine = {c.id for c in cases.tasks_of(world, actor=_worker_actor(worker))}
    assert mine == {held[1], held[2]}
    # he may be sent another again, and may not go off duty while holding any
    again = _triaged(world, "积水（第 4 处）", dx_m=40)
    dispatch.assign(world, again, actor=WHO, now=NOW, worker_id=worker)
    with pytest.raises(Conflict, match="在办 3 件"):
        dispatch.set_status(world, worker, actor=WHO, actor_worker_id=None, status="off_duty")
    # his own 退回 of one, the desk's 撤回派单 of another: still busy with the last
    cases.act(world, held[1], "return", actor=WHO, now=NOW, note="不属于网格员处置范围")
    dispatch.recall(world, again, actor=WHO, now=NOW, note="群众已自行处理")
    assert _status(world, worker) == "busy"
    cases.act(world, held[2], "accept", actor=WHO, now=NOW)
    cases.act(
        world,
        held[2],
        "resolve",
        actor=WHO,
        now=NOW,
        params={"outcome": "resolved"},
        note="已疏通排水沟",
    )
    assert cases.open_cases(world, worker) == 0 and _status(world, worker) == "on_duty"


def test_migration_0039_swaps_the_unique_index_and_its_downgrade_needs_one_per_worker(
    world: Session,
) -> None:
    lon, lat = village_centre(V)
    worker = add_worker(world, area_code=V, lon=lon, lat=lat)
    one = _triaged(world, "倒伏树木")
    dispatch.assign(world, one, actor=WHO, now=NOW, worker_id=worker)

    def indexes() -> dict[str, str]:
        rows = world.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE tablename IN ('dispatches', 'workers')"
            )
        )
        return {str(name): str(ddl) for name, ddl in rows}

    now = indexes()
    assert "uq_dispatches_active_worker" not in now
    assert "UNIQUE" not in now["ix_dispatches_active_worker"]
    assert "'busy'" in now["ix_workers_dispatchable_position"]
    with migration_steps(world, "0039_open_cases_cap.py") as (module, _conn):
        module.downgrade()  # one active dispatch per worker: it works
        before = indexes()
        assert "ix_dispatches_active_worker" not in before
        assert "UNIQUE" in before["uq_dispatches_active_worker"]
        assert "'busy'" not in before["ix_workers_dispatchable_position"]
        module.upgrade()
        assert indexes() == now
    # a worker holding two: the downgrade stops on the unique index and changes nothing
    two = _triaged(world, "倒伏树木（另一棵）", dx_m=30)
    dispatch.assign(world, two, actor=WHO, now=NOW, worker_id=worker)
    with migration_steps(world, "0039_open_cases_cap.py") as (module, _conn):
        with pytest.raises(IntegrityError, match="uq_dispatches_active_worker"):
            module.downgrade()
    assert indexes() == now


def test_the_ranking_still_walks_the_knn_index_with_busy_workers_in_it(world: Session) -> None:
    """The ranking's workers (on duty, or busy below the cap) are those the partial GiST index
    ``ix_workers_dispatchable_position`` holds since migration 0039: its KNN order stays usable."""
    lon, lat = village_centre(V)
    add_worker(world, area_code=V, lon=lon, lat=lat)
    case_id = _triaged(world, "道路积水")
    # the plan, not the planner's guess on a small table: no sequential scan, and no sort where
    # an index gives the order (without it the planner may read ix_workers_area_code and sort)
    world.execute(text("SET LOCAL enable_seqscan = off"))
    world.execute(text("SET LOCAL enable_sort = off"))
    lo, hi = "520424200", "520424201"
    params = {
        "case_id": case_id,
        "lo": lo,
        "hi": hi,
        "now": NOW,
        "fresh_after": NOW - dispatch.STALE_AFTER,
        "radius": dispatch.RADIUS_M,
        "cap": dispatch.OPEN_CASES_CAP,
        "day_ago": NOW - dispatch.STALE_AFTER,
        "pool": 40,
    }

    def plan() -> str:
        explained = world.execute(text("EXPLAIN " + dispatch._RANK.text), params).scalars()
        return "\n".join(str(line) for line in explained)

    assert "ix_workers_dispatchable_position" in plan(), plan()
    # the index of before 0039 (on duty only) does not cover the busy workers the query asks for
    with migration_steps(world, "0039_open_cases_cap.py") as (module, _conn):
        module.downgrade()
        assert "ix_workers_dispatchable_position" not in plan()
