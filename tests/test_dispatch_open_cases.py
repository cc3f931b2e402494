"""The desk's 在办 N 件: the cases a worker holds now, however old (trial AZ M3).

The 「24小时任务」 column counted every dispatch of the last 24 hours, finished or returned ones
included, and no open one older than that: two busy workers read 「0 件」 next to 「处置中」.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from layers import cases, dispatch, dispatch_picks
from tests.workflow_data import NOW, actor, add_worker, ensure_world, village, village_centre


def _case(db: Session, title: str, at: object) -> int:
    lon, lat = village_centre(village())
    who = actor()
    case = cases.register(
        db,
        actor=who,
        channel="walk_in",
        category="dispute",
        subcategory="neighbours",
        title=title,
        reported_at=at,  # type: ignore[arg-type]
        lon=lon,
        lat=lat,
    ).case
    cases.act(db, case.id, "triage", actor=who, now=at)  # type: ignore[arg-type]
    return case.id


def test_open_cases_count_what_a_worker_holds_not_the_days_dispatches(db: Session) -> None:
    ensure_world(db)
    lon, lat = village_centre(village())
    who = actor()
    busy = add_worker(db, area_code=village(), lon=lon, lat=lat, name="在办测试忙")
    free = add_worker(db, area_code=village(), lon=lon + 0.001, lat=lat, name="在办测试闲")
    # the busy one holds a case dispatched four days ago
    old = NOW - timedelta(days=4)
    held = _case(db, "环境卫生：垃圾堆放", old)
    dispatch.assign(db, held, actor=who, now=old, worker_id=busy)
    # the free one finished one this morning
    done_at = NOW - timedelta(hours=3)
    finished = _case(db, "邻里纠纷：噪音", done_at)
    dispatch.assign(db, finished, actor=who, now=done_at, worker_id=free)
    cases.act(db, finished, "accept", actor=who, now=done_at)
    said = {"outcome": "resolved"}
    cases.act(db, finished, "resolve", actor=who, now=done_at, params=said, note="已调解")

    new = _case(db, "山体落石", NOW)
    ranked = {c.worker_id: c for c in dispatch.candidates(db, new, actor=who, now=NOW).candidates}
    assert (ranked[free].open_cases, ranked[free].workload) == (0, 1)
    # up to three cases at a time: he is offered, after the idle one as near
    assert ranked[busy].open_cases == 1
    assert list(ranked).index(free) < list(ranked).index(busy)

    picks = dispatch_picks.workers_to_pick(db, new, actor=who, now=NOW, query="在办测试")
    listed = {p.worker_id: p for p in picks.workers}
    assert (listed[busy].status, listed[busy].open_cases, listed[busy].workload) == ("busy", 1, 0)
    assert (listed[free].open_cases, listed[free].workload) == (0, 1)
