# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""最近撤回 in the grid worker's command feed, over HTTP (usability trial AN M1).

A worker whose phone was closed when the dispatcher took a dispatch of his back (撤回派单) learns
of it when he opens it later: the feed his phone reads (``GET /api/command/{code}``) lists under
``recalled`` his own dispatches recalled in the last days, with the case, who recalled it and the
撤回原因; never another worker's, nothing for an operator; not once older than
:data:`layers.dispatch.RECALLS_SHOWN_DAYS`, nor a case dispatched to him again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from layers import dispatch
from tests.api_fixtures import act, bearer_of
from tests.conftest import SuiteDatabase
from tests.test_dispatch_recall import V1, Headers, _dispatched, desk  # noqa: F401
from tests.workflow_data import add_user, add_worker, village_centre


@pytest.fixture(scope="module")
def other(
    database: SuiteDatabase, api_settings: ApiSettings, desk: tuple[Headers, int]
) -> tuple[Headers, int]:
    """A second grid worker of the same village, with his own account (purged with the desk's)."""
    lon, lat = village_centre(V1)
    with Session(database.owner) as owner, owner.begin():
        worker_id = add_worker(
            owner, area_code=V1, lon=lon, lat=lat, seen_at=datetime.now(UTC), name="撤回旁观员"
        )
        user_id = add_user(owner, username="recall_other", role="grid_worker", scope_code=V1)
        owner.execute(
            text("UPDATE users SET worker_id = :w WHERE id = :u"), {"w": worker_id, "u": user_id}
        )
    return bearer_of(api_settings, {"other": user_id}), worker_id


def _recalled(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The feed's 最近撤回 as the phone reads it."""
    feed = client.get(f"/api/command/{V1}", headers=headers)
    assert feed.status_code == 200, feed.text
    listed: list[dict[str, Any]] = feed.json()["recalled"]
    return listed


def test_a_worker_sees_his_own_recalled_dispatches_with_who_and_why(
    api_client: TestClient,
    desk: tuple[Headers, int],
    other: tuple[Headers, int],
    database: SuiteDatabase,
) -> None:
    users, worker_id = desk
    others, other_id = other
    town = users("town")
    mine = _dispatched(api_client, users, worker_id, "最近撤回：楼道消防门被杂物堵住")
    theirs = _dispatched(api_client, users, other_id, "最近撤回：邻里排水沟堵塞纠纷")
    code = api_client.get(f"/api/cases/{mine}", headers=town).json()["code"]
    # before any recall, nothing is listed
    assert [r["case_id"] for r in _recalled(api_client, users("worker"))] == []

    reason = "改派本网格专职网格员"
    assert act(api_client, town, mine, "recall", note=reason).status_code == 200
    assert act(api_client, town, theirs, "recall", note="另行安排").status_code == 200
    with database.owner.connect() as conn:
        dispatch_id = conn.execute(
            text("SELECT id FROM dispatches WHERE case_id = :c"), {"c": mine}
        ).scalar_one()

    listed = _recalled(api_client, users("worker"))
    assert [r["case_id"] for r in listed] == [mine]  # his own only, not the other worker's
    entry = listed[0]
    assert entry["dispatch_id"] == dispatch_id
    assert (entry["case_code"], entry["title"]) == (code, "最近撤回：楼道消防门被杂物堵住")
    assert (entry["by"], entry["note"]) == ("recall_town", reason)
    assert datetime.fromisoformat(entry["at"]) <= datetime.now(UTC)
    # the other worker sees his, and the township's operator none (he has no worker record)
    assert [(r["case_id"], r["note"]) for r in _recalled(api_client, others("other"))] == [
        (theirs, "另行安排")
    ]
    assert _recalled(api_client, town) == []

    # dispatched to him again: his task, no longer a recall
    seen = api_client.get(f"/api/cases/{theirs}", headers=town).json()
    again = api_client.post(
        f"/api/cases/{theirs}/dispatch",
        json={"worker_id": other_id, "version": seen["version"]},
        headers=town,
    )
    assert again.status_code == 200, again.text
    assert _recalled(api_client, others("other")) == []

    # a recall older than the days shown is listed no more
    with database.owner.begin() as conn:
        conn.execute(
            text(
                "UPDATE dispatches SET finished_at = finished_at - make_interval(days => :d)"
                " WHERE id = :i"
            ),
            {"d": dispatch.RECALLS_SHOWN_DAYS + 1, "i": dispatch_id},
        )
    assert _recalled(api_client, users("worker")) == []


def _redispatch(client: TestClient, town: dict[str, str], case_id: int, worker_id: int) -> None:
    """Dispatch a recalled case to the worker again."""
    seen = client.get(f"/api/cases/{case_id}", headers=town).json()
    again = client.post(
        f"/api/cases/{case_id}/dispatch",
        json={"worker_id": worker_id, "version": seen["version"]},
        headers=town,
    )
    assert again.status_code == 200, again.text


def test_a_case_is_listed_once_by_its_latest_recall_and_not_after_a_later_dispatch(
    api_client: TestClient, desk: tuple[Headers, int]
) -> None:
    """Trial AP m1: a recall undone by a re-dispatch came back, twice, even after his 退回."""
    users, worker_id = desk
    town = users("town")
    case = _dispatched(api_client, users, worker_id, "最近撤回：复安社区楼道堆物")
    assert act(api_client, town, case, "recall", note="地址有误，请勿前往").status_code == 200
    _redispatch(api_client, town, case, worker_id)
    assert act(api_client, town, case, "recall", note="当事人已自行协商解决").status_code == 200

    mine = [r for r in _recalled(api_client, users("worker")) if r["case_id"] == case]
    assert [r["note"] for r in mine] == ["当事人已自行协商解决"]  # the latest only

    # dispatched to him again, 受理'd and sent back by himself: his 退回 is no recall, and the
    # recalls before that dispatch were overtaken by it
    _redispatch(api_client, town, case, worker_id)
    assert act(api_client, users("worker"), case, "accept").status_code == 200
    assert act(api_client, users("worker"), case, "return", note="不属本网格").status_code == 200
    listed = _recalled(api_client, users("worker"))
    assert [r for r in listed if r["case_id"] == case] == []
