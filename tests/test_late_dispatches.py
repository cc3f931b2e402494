"""辖区派单超时未受理: the levels above see their area's dispatches nobody took up (trial AZ M7).

On the storm night a township's dispatch not 受理'd in time was flagged on that township's own
desk and wall only; the county's commander saw nothing. The command feed of every level now
carries ``late_dispatches``: how many of its area's dispatches (every level's) wait past their
risk's limit, and which, with the township, to whom and since when. A township reads its own
only, row-level security as everywhere; an analyst the count alone. A grid worker's 我的任务
lists first the tasks he has not 受理'd in time. Dispatch times are moved back in the
database, not waited for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import cases
from tests.api_fixtures import CITY, COUNTY_A, TOWN_A1, TOWN_B1, VILLAGES, ApiWorld, act
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    NOW,
    actor,
    add_worker,
    ensure_world,
    village,
    village_centre,
    worker_actor,
)

Headers = Callable[[str], dict[str, str]]


def _dispatched(
    client: TestClient, desk: dict[str, str], made: list[int], title: str, village: str, risk: int
) -> int:
    """Register a case of ``village``, triage it and dispatch it to the village's centre."""
    response = client.post(
        "/api/cases",
        json={
            "channel": "phone",
            "category": "dispute",
            "subcategory": "neighbours",
            "title": title,
            "area_code": village,
            "risk_level": risk,
        },
        headers=desk,
    )
    assert response.status_code == 201, response.text
    made.append(response.json()["id"])
    triaged = act(client, desk, made[-1], "triage")
    assert triaged.status_code == 200, triaged.text
    sent = client.post(
        f"/api/cases/{made[-1]}/dispatch",
        json={"unit_code": village, "version": triaged.json()["version"]},
        headers=desk,
    )
    assert sent.status_code == 200, sent.text
    return made[-1]


def _ago(database: SuiteDatabase, case_id: int, minutes: int) -> None:
    with database.owner.begin() as conn:
        conn.execute(
            text(
                "UPDATE dispatches SET assigned_at = now() - make_interval(mins => :m)"
                " WHERE case_id = :c AND status = 'assigned'"
            ),
            {"m": minutes, "c": case_id},
        )


def _late(client: TestClient, headers: dict[str, str], code: str) -> dict[str, Any]:
    feed = client.get(f"/api/command/{code}", headers=headers)
    assert feed.status_code == 200, feed.text
    return feed.json()["late_dispatches"]  # type: ignore[no-any-return]


def test_the_levels_above_see_their_areas_dispatches_not_taken_up(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    database: SuiteDatabase,
    made: list[int],
) -> None:
    a1, b1 = auth_headers("disp_a1"), auth_headers("disp_b1")
    ours = _dispatched(api_client, a1, made, "超时未受理：甲一楼道堆物", VILLAGES[0], 4)
    theirs = _dispatched(api_client, b1, made, "超时未受理：乙一噪音", VILLAGES[3], 2)
    fresh = _dispatched(api_client, a1, made, "超时未受理：甲一刚派出", VILLAGES[1], 1)
    _ago(database, ours, 61)  # blue: an hour to wait
    _ago(database, theirs, 31)  # orange: half an hour

    # the county sees its township's dispatch, with the township, to whom, since when
    county = _late(api_client, auth_headers("cmd_a"), COUNTY_A)
    listed = {c["id"]: c for c in county["cases"]}
    assert ours in listed and theirs not in listed and fresh not in listed
    row = listed[ours]
    assert row["place"] == "甲一街道" and row["township_name"] == "甲一街道"
    assert row["awaiting"]["assignee"] == "测试村1" and row["awaiting"]["limit_minutes"] == 60
    assert row["waited_minutes"] >= 61 and row["risk_level"] == 4
    assert row["handling_level"] == 4 and row["code"] and row["title"] == "超时未受理：甲一楼道堆物"
    assert county["total"] == len(county["cases"])  # all listed: fewer than 100
    # the red one just dispatched is late within a quarter of an hour: the page reads again
    # then (another test's dispatch waiting may come sooner)
    next_at = datetime.fromisoformat(county["next_at"])
    assert datetime.now(UTC) < next_at <= datetime.now(UTC) + timedelta(minutes=15)

    # the city sees both counties'; each township its own only
    city = {c["id"] for c in _late(api_client, auth_headers("cmd_city"), CITY)["cases"]}
    assert {ours, theirs} <= city
    own = {c["id"] for c in _late(api_client, a1, TOWN_A1)["cases"]}
    assert ours in own and theirs not in own
    other = {c["id"] for c in _late(api_client, b1, TOWN_B1)["cases"]}
    assert theirs in other and ours not in other
    assert api_client.get(f"/api/command/{TOWN_A1}", headers=b1).status_code == 404
    # an analyst: how many, not which
    counted = _late(api_client, auth_headers("analyst_a"), COUNTY_A)
    assert counted["cases"] == [] and counted["total"] == county["total"]

    # 受理'd by the village: no longer late anywhere
    assert act(api_client, auth_headers("cmd_village"), ours, "accept").status_code == 200
    assert ours not in {
        c["id"] for c in _late(api_client, auth_headers("cmd_a"), COUNTY_A)["cases"]
    }


def test_a_workers_tasks_not_taken_up_in_time_come_first(db: Session) -> None:
    """我的任务: the blue task he has not 受理'd for two hours before the red one just sent."""
    ensure_world(db)
    lon, lat = village_centre(village())
    worker = add_worker(db, area_code=village(), lon=lon, lat=lat)
    who = actor()
    ids = {}
    for risk in (4, 1):
        case = cases.register(
            db,
            actor=who,
            channel="phone",
            category="dispute",
            subcategory="neighbours",
            title=f"任务排序：风险{risk}",
            reported_at=NOW,
            area_code=village(),
            risk_level=risk,
        ).case
        cases.act(db, case.id, "triage", actor=who, now=NOW)
        cases.act(db, case.id, "dispatch", actor=who, now=NOW, params={"worker_id": worker})
        ids[risk] = case.id
    db.execute(
        text("UPDATE dispatches SET assigned_at = :at WHERE case_id = :c"),
        {"at": NOW - timedelta(hours=2), "c": ids[4]},
    )
    mine = cases.tasks_of(db, actor=worker_actor(worker), now=NOW + timedelta(minutes=5))
    assert [c.id for c in mine] == [ids[4], ids[1]]
    # once the red one is late too, it leads again (highest risk first)
    later = cases.tasks_of(db, actor=worker_actor(worker), now=NOW + timedelta(minutes=16))
    assert [c.id for c in later] == [ids[1], ids[4]]
