# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""After 撤回派单, over HTTP (usability trial AN M2).

A dispatch taken back before its worker 受理'd it is no workload: the dispatcher's ranking
(``/candidates``) and the list of workers to pick (``/workers``) count the worker's dispatches
of the last 24 hours without it, so a mis-click the dispatcher recalls does not push the worker
down the ranking; a dispatch that stands still counts.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api_fixtures import act as _act
from tests.test_dispatch_recall import Headers, _dispatched, _register, desk  # noqa: F401


def _workload(client: TestClient, town: dict[str, str], case_id: int, worker_id: int) -> Any:
    """The worker's 近24小时任务 in the ranking (None: not ranked) and in the list to pick."""
    ranked = client.get(f"/api/cases/{case_id}/candidates", headers=town)
    assert ranked.status_code == 200, ranked.text
    listed = client.get(f"/api/cases/{case_id}/workers", headers=town)
    assert listed.status_code == 200, listed.text
    by_rank = {c["worker_id"]: c["workload"] for c in ranked.json()["candidates"]}
    by_list = {r["worker_id"]: r["workload"] for r in listed.json()["workers"]}
    return by_rank.get(worker_id), by_list[worker_id]


def test_a_recalled_dispatch_is_not_counted_as_the_workers_workload(
    api_client: TestClient, desk: tuple[Headers, int]
) -> None:
    users, worker_id = desk
    town = users("town")
    first = _dispatched(api_client, users, worker_id, "撤回计数：误派的楼道堆物纠纷")
    recalled = _act(api_client, town, first, "recall", note="派错了人")
    assert recalled.status_code == 200, recalled.text

    second = _register(api_client, town, "撤回计数：下一件邻里纠纷")["id"]
    assert _act(api_client, town, second, "triage").status_code == 200
    # on duty again and ranked as if the recalled dispatch had never been sent
    assert _workload(api_client, town, second, worker_id) == (0, 0)

    # a dispatch that stands is counted: the first case sent to him again
    seen = api_client.get(f"/api/cases/{first}", headers=town).json()
    again = api_client.post(
        f"/api/cases/{first}/dispatch",
        json={"worker_id": worker_id, "version": seen["version"]},
        headers=town,
    )
    assert again.status_code == 200, again.text
    assert _workload(api_client, town, second, worker_id)[1] == 1
