"""已派单 N 分钟未受理: a dispatch not taken up in time leads the queue (trial AZ M7, m3).

On the trial's storm night a case dispatched to a worker reached by phone only sat at 已派单 with
no mark and no timer; the wall's first row was a case 13 days overdue and in hand. Now a case
whose dispatch waits for its 受理 past its risk's limit (:data:`layers.deadlines.ACCEPT_MINUTES`)
carries ``awaiting`` (since when, to whom, its limit) and leads the unit's queue, in the list
the desk reads and in the command feed; a 受理 ends it. The dispatch's time is moved back in the
database, not waited for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from layers import deadlines
from tests.api_fixtures import TOWN_A1, VILLAGES, ApiWorld, act
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]


def _dispatched(
    client: TestClient, desk: dict[str, str], made: list[int], title: str, risk: int
) -> dict[str, Any]:
    """Register a case of the first village, triage it and dispatch it to the village's centre."""
    response = client.post(
        "/api/cases",
        json={
            "channel": "phone",
            "category": "dispute",
            "subcategory": "neighbours",
            "title": title,
            "area_code": VILLAGES[0],
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
        json={"unit_code": VILLAGES[0], "version": triaged.json()["version"]},
        headers=desk,
    )
    assert sent.status_code == 200, sent.text
    return sent.json()  # type: ignore[no-any-return]


def _dispatched_ago(database: SuiteDatabase, case_id: int, minutes: int) -> datetime:
    """Move the case's dispatch ``minutes`` back; return its time now."""
    with database.owner.begin() as conn:
        at: datetime = conn.execute(
            text(
                "UPDATE dispatches SET assigned_at = now() - make_interval(mins => :m)"
                " WHERE case_id = :c AND status = 'assigned' RETURNING assigned_at"
            ),
            {"m": minutes, "c": case_id},
        ).scalar_one()
    return at


def _queue(client: TestClient, desk: dict[str, str]) -> list[dict[str, Any]]:
    found = client.get("/api/cases", params={"code": TOWN_A1, "stage": "queue"}, headers=desk)
    assert found.status_code == 200, found.text
    return found.json()  # type: ignore[no-any-return]


def _feed(client: TestClient, desk: dict[str, str]) -> list[dict[str, Any]]:
    feed = client.get(f"/api/command/{TOWN_A1}", headers=desk)
    assert feed.status_code == 200, feed.text
    return feed.json()["queue"]  # type: ignore[no-any-return]


def test_a_dispatch_not_accepted_in_time_leads_the_queue_until_accepted(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    database: SuiteDatabase,
    made: list[int],
) -> None:
    desk, village = auth_headers("disp_a1"), auth_headers("cmd_village")
    blue = _dispatched(api_client, desk, made, "未受理测试：楼道杂物（蓝色）", 4)
    red = _dispatched(api_client, desk, made, "未受理测试：山体滑坡（红色）", 1)
    # just dispatched: waiting, not yet late; the red case first, as a red case not taken up
    waiting = blue["latest"]["awaiting"]
    assert waiting["limit_minutes"] == 60 and waiting["assignee"] == "测试村1"
    since = datetime.fromisoformat(waiting["since"])
    assert datetime.fromisoformat(waiting["late_at"]) == since + timedelta(minutes=60)
    ids = [c["id"] for c in _queue(api_client, desk)]
    assert ids.index(red["id"]) < ids.index(blue["id"])

    # the blue one waited 61 minutes, past its hour: first, above every red case
    moved = _dispatched_ago(database, blue["id"], 61)
    for listed in (_queue(api_client, desk), [c | {"latest": c} for c in _feed(api_client, desk)]):
        first = listed[0]
        assert first["id"] == blue["id"], [c["title"] for c in listed[:5]]
        assert datetime.fromisoformat(first["latest"]["awaiting"]["since"]) == moved
        assert first["latest"]["awaiting"]["limit_minutes"] == 60
    assert api_client.get(f"/api/cases/{blue['id']}", headers=desk).json()["latest"]["awaiting"]

    # the red one's limit is a quarter of an hour: 16 minutes is late, and it leads (red first)
    assert deadlines.accept_limit(1) == timedelta(minutes=15)
    _dispatched_ago(database, red["id"], 16)
    assert [c["id"] for c in _queue(api_client, desk)[:2]] == [red["id"], blue["id"]]
    assert [c["id"] for c in _feed(api_client, desk)[:2]] == [red["id"], blue["id"]]

    # the village's centre 受理s the blue one: no longer waiting, no longer first
    accepted = act(api_client, village, blue["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["latest"]["awaiting"] is None
    listed = {c["id"]: c for c in _queue(api_client, desk)}
    assert listed[blue["id"]]["latest"]["awaiting"] is None
    feed = _feed(api_client, desk)
    assert feed[0]["id"] == red["id"]
    assert next(c for c in feed if c["id"] == blue["id"])["awaiting"] is None
    order = [c["id"] for c in feed]
    reds = [c["id"] for c in feed if c["risk_level"] == 1]
    assert order.index(blue["id"]) > max(order.index(r) for r in reds)


def test_a_red_cases_contact_limit_is_in_hours(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    made: list[int],
) -> None:
    """Trial AZ M7: a red case registered at 23:10 was to be contacted by 11:10 the next day."""
    desk = auth_headers("disp_a1")
    reported = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    limits = {}
    for risk in (1, 2, 4):
        response = api_client.post(
            "/api/cases",
            json={
                "channel": "phone",
                "category": "dispute",
                "subcategory": "neighbours",
                "title": f"联系时限测试：风险{risk}",
                "area_code": VILLAGES[1],
                "risk_level": risk,
                "reported_at": reported.isoformat(),
            },
            headers=desk,
        )
        assert response.status_code == 201, response.text
        case = response.json()
        made.append(case["id"])
        limits[risk] = datetime.fromisoformat(case["contact_deadline"]) - reported
    assert limits == {1: timedelta(hours=2), 2: timedelta(days=1), 4: timedelta(days=2)}
