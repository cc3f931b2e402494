# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""撤回派单 and a 督办 that stands, over HTTP (usability trials: M11, the overdue list's 督办).

A township operator takes back a dispatch its worker has not 受理'd: the case is 已分流 again and
may be dispatched anew, the dispatch is closed (``cancelled``), the timeline and the audit log say
so, and the worker's 我的任务 no longer lists the case; a dispatch once 受理'd is refused in Chinese
(409), and only an operator at or above the case's handling level recalls. A case under a 督办
whose 督办时限 has not passed is not offered 督办 again (lists, the case, ``/allowed``, the
command feed) and a second one is refused; once the 督办时限 passed it is offered again. The
county's own case offers 上报 and 交办 with their target level (the desk's dialogs, trial AK M2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from layers import workflow
from layers.china_time import CHINA
from tests.api_fixtures import act, bearer_of
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    CITY,
    COUNTY,
    add_user,
    add_worker,
    ensure_world,
    purge_world,
    village,
    village_centre,
)

TOWN = "520424200000"
V1 = village(200, 1)
Headers = Callable[[str], dict[str, str]]
USERS = {
    "city": ("commander", CITY),
    "county": ("commander", COUNTY),
    "town": ("dispatcher", TOWN),
    "village": ("commander", V1),
    "worker": ("grid_worker", V1),
}


@pytest.fixture(scope="module")
def desk(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[tuple[Headers, int]]:
    """The users of the test world's township 200, and its one grid worker (with an account)."""
    ids = {}
    lon, lat = village_centre(V1)
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
        owner.execute(text("DELETE FROM workers WHERE area_code LIKE '520424200%'"))
        worker_id = add_worker(
            owner, area_code=V1, lon=lon, lat=lat, seen_at=datetime.now(UTC), name="撤回测试员"
        )
        for key, (role, scope) in USERS.items():
            ids[key] = add_user(owner, username=f"recall_{key}", role=role, scope_code=scope)
        owner.execute(
            text("UPDATE users SET worker_id = :w WHERE id = :u"),
            {"w": worker_id, "u": ids["worker"]},
        )

    headers = bearer_of(api_settings, ids)
    yield headers, worker_id
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


def _register(client: TestClient, headers: dict[str, str], title: str) -> Any:
    lon, lat = village_centre(V1)
    body = {"channel": "phone", "category": "dispute", "title": title, "lon": lon, "lat": lat}
    made = client.post("/api/cases", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _dispatched(client: TestClient, users: Headers, worker_id: int, title: str) -> int:
    """A case of village 1, triaged and dispatched by the township to its worker."""
    town = users("town")
    case = _register(client, town, title)
    assert act(client, town, case["id"], "triage").status_code == 200
    seen = client.get(f"/api/cases/{case['id']}", headers=town).json()
    sent = client.post(
        f"/api/cases/{case['id']}/dispatch",
        json={"worker_id": worker_id, "version": seen["version"]},
        headers=town,
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["state"] == "dispatched"
    return int(case["id"])


def _tasks(client: TestClient, users: Headers) -> list[int]:
    """The case ids of the worker's 我的任务 (his phone's list: the command feed's tasks)."""
    feed = client.get(f"/api/command/{V1}", headers=users("worker"))
    assert feed.status_code == 200, feed.text
    return [task["id"] for task in feed.json()["tasks"]]


def _allowed(client: TestClient, headers: dict[str, str], case_id: int) -> dict[str, Any]:
    body = client.get(f"/api/cases/{case_id}/allowed", headers=headers).json()
    return {a["action"]: a for a in body["allowed"]}


def test_a_dispatch_not_yet_accepted_is_recalled_and_the_case_may_be_dispatched_again(
    api_client: TestClient, desk: tuple[Headers, int], database: SuiteDatabase
) -> None:
    users, worker_id = desk
    town = users("town")
    case_id = _dispatched(api_client, users, worker_id, "撤回测试：邻里排水沟堵塞纠纷")
    assert case_id in _tasks(api_client, users)
    offered = _allowed(api_client, town, case_id)["recall"]
    assert (offered["label"], offered["note_required"]) == ("撤回派单", "撤回原因")
    # the worker cannot recall what was sent to him, nor can the village below the township
    for key in ("worker", "village"):
        refused = act(api_client, users(key), case_id, "recall", note="误派")
        assert refused.status_code == 403, refused.text
    assert "recall" not in _allowed(api_client, users("village"), case_id)
    # a reason is required, and said in Chinese
    bare = act(api_client, town, case_id, "recall", note="  ")
    assert bare.status_code == 422 and "请填写撤回原因" in bare.text
    version = api_client.get(f"/api/cases/{case_id}", headers=town).json()["version"]

    recalled = act(api_client, town, case_id, "recall", note="派错了人，应由本网格员以外的人处理")
    assert recalled.status_code == 200, recalled.text
    case = recalled.json()
    assert case["state"] == "triaged" and case["version"] == version + 1
    assert "dispatch" in case["allowed_actions"] and "recall" not in case["allowed_actions"]
    with database.owner.connect() as conn:
        closed = conn.execute(
            text("SELECT id, status, finished_at FROM dispatches WHERE case_id = :c"),
            {"c": case_id},
        ).one()
        status = conn.execute(
            text("SELECT status FROM workers WHERE id = :w"), {"w": worker_id}
        ).scalar_one()
        audited = conn.execute(
            text(
                "SELECT actor_name, detail FROM audit_log WHERE action = 'case.recall'"
                " AND object_id = :c AND outcome = 'ok'"
            ),
            {"c": str(case_id)},
        ).one()
    assert closed.status == "cancelled" and closed.finished_at is not None
    assert status == "on_duty"  # free for the next dispatch
    assert audited.actor_name == "recall_town"
    assert audited.detail["from"] == "dispatched" and audited.detail["to"] == "triaged"
    assert audited.detail["worker_id"] == worker_id
    # the timeline shows it, by whom and why; the worker's phone lists the case no more
    events = api_client.get(f"/api/cases/{case_id}/events", headers=town).json()
    last = events[-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        "recall",
        "dispatched",
        "triaged",
    )
    assert last["note"] == "派错了人，应由本网格员以外的人处理"
    assert last["payload"]["dispatch_id"] == closed.id
    assert case_id not in _tasks(api_client, users)
    detail = api_client.get(f"/api/cases/{case_id}/detail", headers=town).json()
    assert [d["status"] for d in detail["dispatches"]] == ["cancelled"]

    # dispatched again (to the same worker): a new active dispatch, on his phone again
    again = api_client.post(
        f"/api/cases/{case_id}/dispatch",
        json={"worker_id": worker_id, "version": case["version"]},
        headers=town,
    )
    assert again.status_code == 200, again.text
    assert case_id in _tasks(api_client, users)
    # the county (above the township) may recall it too
    by_county = act(api_client, users("county"), case_id, "recall", note="县级统筹另行安排")
    assert by_county.status_code == 200, by_county.text
    assert case_id not in _tasks(api_client, users)


def test_a_dispatch_the_worker_accepted_is_not_recalled(
    api_client: TestClient, desk: tuple[Headers, int], database: SuiteDatabase
) -> None:
    users, worker_id = desk
    town = users("town")
    case_id = _dispatched(api_client, users, worker_id, "撤回测试：受理后不能撤回")
    accepted = act(api_client, users("worker"), case_id, "accept")
    assert accepted.status_code == 200, accepted.text
    assert "recall" not in _allowed(api_client, town, case_id)

    refused = act(api_client, town, case_id, "recall", note="想改派他人")
    assert refused.status_code == 409, refused.text
    said = refused.json()["detail"]
    assert "网格员撤回测试员已于" in said and "受理该派单，不能再撤回派单" in said
    assert "recall" not in refused.json()["allowed"]
    with database.owner.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM dispatches WHERE case_id = :c"), {"c": case_id}
        ).scalar_one()
    assert status == "accepted"
    assert api_client.get(f"/api/cases/{case_id}", headers=town).json()["state"] == "accepted"
    assert case_id in _tasks(api_client, users)
    # the worker sends it back himself (退回) to free himself for the other tests
    back = act(api_client, users("worker"), case_id, "return", note="测试结束")
    assert back.status_code == 200, back.text


def test_a_standing_supervision_is_not_offered_again_until_its_deadline_passes(
    api_client: TestClient, desk: tuple[Headers, int], database: SuiteDatabase
) -> None:
    users, _ = desk
    county = users("county")
    case = _register(api_client, users("town"), "督办测试：征地补偿款迟迟未发放")
    case_id = case["id"]
    with database.owner.begin() as conn:  # overdue: on the county's 超期案件 list
        conn.execute(
            text("UPDATE cases SET deadline = :d WHERE id = :c"),
            {"d": datetime.now(UTC) - timedelta(days=1), "c": case_id},
        )
    overdue = api_client.get("/api/cases", params={"stage": "overdue"}, headers=county).json()
    listed = {c["id"]: c for c in overdue}
    assert "supervise" in listed[case_id]["allowed_actions"]
    until = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    first = act(
        api_client,
        county,
        case_id,
        "supervise",
        note="三日内办结",
        params={"deadline": until.isoformat()},
    )
    assert first.status_code == 200, first.text
    assert "supervise" not in first.json()["allowed_actions"]
    overdue = api_client.get("/api/cases", params={"stage": "overdue"}, headers=county).json()
    listed = {c["id"]: c for c in overdue}
    assert "supervise" not in listed[case_id]["allowed_actions"]
    assert listed[case_id]["supervision_deadline"] == until.isoformat()
    assert "remind" in listed[case_id]["allowed_actions"]  # 催办 stays
    assert (
        "supervise"
        not in api_client.get(f"/api/cases/{case_id}", headers=county).json()["allowed_actions"]
    )
    assert "supervise" not in _allowed(api_client, county, case_id)
    # the city above is not offered a second one either, and the API refuses it in Chinese
    assert "supervise" not in _allowed(api_client, users("city"), case_id)
    later = until + timedelta(days=2)
    again = act(
        api_client,
        users("city"),
        case_id,
        "supervise",
        note="再督办",
        params={"deadline": later.isoformat()},
    )
    assert again.status_code == 409, again.text
    shown = until.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    assert again.json()["detail"].startswith(f"该案件已督办，督办时限 {shown} 未到，不能重复督办")
    assert "supervise" not in again.json()["allowed"]

    # the 督办时限 passed with the case still open: a new 督办 is offered and taken
    with database.owner.begin() as conn:
        conn.execute(
            text("UPDATE cases SET supervision_deadline = :d WHERE id = :c"),
            {"d": datetime.now(UTC) - timedelta(minutes=1), "c": case_id},
        )
    assert "supervise" in _allowed(api_client, county, case_id)
    renewed = act(
        api_client,
        county,
        case_id,
        "supervise",
        note="逾期未办，再次督办",
        params={"deadline": later.isoformat()},
    )
    assert renewed.status_code == 200, renewed.text


def test_the_command_feed_offers_no_second_supervision(
    api_client: TestClient, desk: tuple[Headers, int]
) -> None:
    """The county's queue as the city reads it (the command view's list of the county)."""
    users, _ = desk
    city = users("city")
    case = _register(api_client, users("county"), "督办测试：县级案件，市级督办")
    assert case["handling_level"] == 3

    def offered() -> list[str]:
        feed = api_client.get(f"/api/command/{COUNTY}", headers=city)
        assert feed.status_code == 200, feed.text
        row = next(c for c in feed.json()["queue"] if c["id"] == case["id"])
        return list(row["allowed_actions"])

    assert "supervise" in offered()
    until = datetime.now(UTC) + timedelta(days=2)
    done = act(
        api_client,
        city,
        case["id"],
        "supervise",
        note="限期化解",
        params={"deadline": until.isoformat()},
    )
    assert done.status_code == 200, done.text
    assert "supervise" not in offered() and "remind" in offered()


def test_the_countys_own_case_offers_escalate_and_hand_down_with_their_levels(
    api_client: TestClient, desk: tuple[Headers, int]
) -> None:
    """What the county's desk offers beside 分流 (trial AK M2): 上报至市级, 交办至乡镇（街道）级."""
    users, _ = desk
    county = users("county")
    case = _register(api_client, county, "交办测试：跨村山林权属争议")
    assert {"triage", "escalate", "hand_down"} <= set(case["allowed_actions"])
    offered = _allowed(api_client, county, case["id"])
    assert (offered["escalate"]["to_level"], offered["hand_down"]["to_level"]) == (2, 4)
    assert offered["escalate"]["note_required"] == workflow.NOTE_REQUIRED.get("escalate")
    assert offered["hand_down"]["note_required"] == "交办意见"
    handed = act(api_client, county, case["id"], "hand_down", note="请属地乡镇先行调处")
    assert handed.status_code == 200, handed.text
    assert (handed.json()["state"], handed.json()["handling_level"]) == ("triaged", 4)
