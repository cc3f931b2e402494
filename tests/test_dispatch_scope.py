"""The API refuses to dispatch a case to a worker whose account cannot open it (trial BA m9).

A township's dispatcher sent a case of 阳南社区 to 谢浩军, whose account covers 复安社区 only:
the API said 200, the case counted against his cap of three, and his 我的任务 answered
「该案件不存在或不在您的辖区内」. The desk's list warned (其账号看不到本案件); the API now refuses
by the same rule, in Chinese, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api_fixtures import ApiWorld, act, grid_centre
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]


def test_a_worker_whose_account_cannot_open_the_case_is_refused(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    database: SuiteDatabase,
    made: list[int],
) -> None:
    town = auth_headers("disp_a1")
    lon, lat = grid_centre(1, 2)  # the township's second village
    body = {"channel": "phone", "category": "dispute", "title": "派单辖区测试：邻里噪音"}
    answer = api_client.post("/api/cases", json=body | {"lon": lon, "lat": lat}, headers=town)
    assert answer.status_code == 201, answer.text
    case_id = answer.json()["id"]
    made.append(case_id)
    assert act(api_client, town, case_id, "triage").status_code == 200
    # 网格员00 works in the first village, and his account (worker_v0) covers it only
    with database.owner.connect() as conn:
        worker = conn.execute(
            text(
                "SELECT w.id, w.status FROM workers w JOIN users u ON u.worker_id = w.id"
                " WHERE u.username = 't46_worker_v0'"
            )
        ).one()
    sent = act(api_client, town, case_id, "dispatch", params={"worker_id": worker.id})
    assert sent.status_code == 409, sent.text
    assert sent.json()["detail"].startswith("网格员网格员00的平台账号看不到本案件")
    with database.owner.connect() as conn:
        after = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM dispatches WHERE case_id = :c),"
                " (SELECT status FROM workers WHERE id = :w)"
            ),
            {"c": case_id, "w": worker.id},
        ).one()
    assert tuple(after) == (0, worker.status)
    # he can still open the cases of his own village
    mine = api_client.get("/api/cases?limit=5", headers=auth_headers("worker_v0"))
    assert mine.status_code == 200
