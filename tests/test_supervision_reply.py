# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""The township answers the county's 督办, over HTTP (usability trial AQ M2).

盘溪镇 found the county's 督办 only by opening 处置中, and could answer it only with a generic
处置反馈. The desk of the level handling a case now lists the 督办 it has not answered
(``stage=under_supervision``, 被督办) with their 督办时限 and 督办意见, and answers one with a
督办回复 (``supervision_reply``, a note in the timeline), which the county's 我督办的 shows as
the answer (``acted_since``, ``latest.replied``) and which ends the 督办's being new to the
township's command page (:func:`layers.command.new_supervisions`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from tests.api_fixtures import act, bearer_of
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    COUNTY,
    township,
    village,
    village_centre,
    world_accounts,
)

TOWN = township(400)
V1 = village(400, 1)
Headers = Callable[[str], dict[str, str]]
USERS = {
    "county": ("commander", COUNTY),
    "town": ("dispatcher", TOWN),
    "town_commander": ("commander", TOWN),
    "village": ("commander", V1),
}


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    """A county commander, a township's dispatcher and commander, a village's commander."""
    with world_accounts(database, USERS, "supreply") as ids:
        yield bearer_of(api_settings, ids)


def _township_case(client: TestClient, users: Headers, title: str, where: str = V1) -> int:
    lon, lat = village_centre(where)
    body = {"channel": "phone", "category": "dispute", "title": title, "lon": lon, "lat": lat}
    made = client.post("/api/cases", json=body, headers=users("town"))
    assert made.status_code == 201, made.text
    assert made.json()["handling_level"] == 4
    return int(made.json()["id"])


def _supervise(client: TestClient, users: Headers, case_id: int, note: str) -> datetime:
    until = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    done = act(
        client,
        users("county"),
        case_id,
        "supervise",
        note=note,
        params={"deadline": until.isoformat()},
    )
    assert done.status_code == 200, done.text
    return until


def _listed(client: TestClient, headers: dict[str, str], stage: str) -> dict[int, Any]:
    got = client.get(f"/api/cases?stage={stage}", headers=headers)
    assert got.status_code == 200, got.text
    return {row["id"]: row for row in got.json()}


def _offered(client: TestClient, headers: dict[str, str], case_id: int) -> dict[str, Any]:
    got = client.get(f"/api/cases/{case_id}/allowed", headers=headers)
    assert got.status_code == 200, got.text
    return {a["action"]: a for a in got.json()["allowed"]}


def test_the_township_lists_and_answers_the_countys_supervision(
    api_client: TestClient, users: Headers
) -> None:
    case_id = _township_case(api_client, users, "督办回复测试：老堡村劳资欠薪")
    assert case_id not in _listed(api_client, users("town"), "under_supervision")
    assert "supervision_reply" not in _offered(api_client, users("town"), case_id)
    until = _supervise(api_client, users, case_id, "该案已超期，请于12月9日前办结并报送结果")
    other = _township_case(api_client, users, "督办回复测试：另一件被督办的案件", village(400, 2))
    _supervise(api_client, users, other, "限期办结")

    row = _listed(api_client, users("town"), "under_supervision")[case_id]
    assert datetime.fromisoformat(row["supervision_deadline"]) == until
    assert row["latest"]["supervised"]["note"] == "该案已超期，请于12月9日前办结并报送结果"
    assert row["latest"]["replied"] is None
    assert case_id in _listed(api_client, users("town_commander"), "under_supervision")
    # the county issued it, the village does not handle it: neither lists nor answers it
    assert case_id not in _listed(api_client, users("county"), "under_supervision")
    assert "supervision_reply" not in _offered(api_client, users("county"), case_id)
    assert "supervision_reply" not in _offered(api_client, users("village"), case_id)
    town_feed = api_client.get(f"/api/command/{TOWN}", headers=users("town")).json()
    assert case_id in [s["case_id"] for s in town_feed["supervisions"]]

    reply = _offered(api_client, users("town"), case_id)["supervision_reply"]
    assert reply["note_required"] == "督办回复内容"
    for empty in (None, "  "):
        refused = act(api_client, users("town"), case_id, "supervision_reply", note=empty)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == "请填写督办回复内容"
    refused = act(api_client, users("county"), case_id, "supervision_reply", note="已办")
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "督办回复须由办理该案件的乡镇级填写：您在县级"

    answer = "已约谈用工方，12月8日前兑付欠薪后报结"
    done = act(api_client, users("town"), case_id, "supervision_reply", note=answer)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "registered"  # a note: the state stays
    assert done.json()["latest"]["replied"]["note"] == answer
    listed = _listed(api_client, users("town"), "under_supervision")
    assert case_id not in listed and other in listed  # one answer answers its own case only
    # the county's 我督办的 reads the answer; the 督办 is no longer new to the township
    row = _listed(api_client, users("county"), "supervised")[case_id]
    assert (row["acted_since"]["action"], row["acted_since"]["label"]) == (
        "supervision_reply",
        "督办回复",
    )
    assert row["latest"]["replied"]["note"] == answer
    assert row["latest"]["supervised"]["note"] == "该案已超期，请于12月9日前办结并报送结果"
    town_feed = api_client.get(f"/api/command/{TOWN}", headers=users("town")).json()
    assert case_id not in [s["case_id"] for s in town_feed["supervisions"]]
    log = api_client.get(f"/api/cases/{case_id}/events", headers=users("county")).json()
    assert [(e["action"], e["note"]) for e in log][-1] == ("supervision_reply", answer)


def test_a_case_under_no_supervision_has_nothing_to_answer(
    api_client: TestClient, users: Headers
) -> None:
    case_id = _township_case(api_client, users, "督办回复测试：无督办的案件")
    refused = act(api_client, users("town"), case_id, "supervision_reply", note="已办理")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "该案件没有上级督办，无需督办回复；办理情况请用处置反馈"
