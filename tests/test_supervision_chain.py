# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""A superior's 督办 reaches the unit on site, and its orders stay in sight once closed (trial AU).

M1: the city 督办'd a county case the county had dispatched to 宁州街道's centre; the county's
console said 新督办, but the township on site (and a village a case was dispatched to) saw
nothing: not in 被督办 (``stage=under_supervision``), not in the command feed's 新督办
(``supervisions``). M2: 我督办的, 我交办的 and 下级上报 dropped a case the moment it was 办结,
so the city never saw its order carried out; they now keep the cases settled in the last 30
days after the open ones, each saying who closed it and when (``settled``).
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
from layers import case_lists
from tests.api_fixtures import act, bearer_of
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    CITY,
    COUNTY,
    township,
    village,
    village_centre,
    world_accounts,
)

TOWN = township(200)
V1 = village(200, 1)
Headers = Callable[[str], dict[str, str]]
USERS = {
    "city": ("commander", CITY),
    "county": ("commander", COUNTY),
    "town": ("dispatcher", TOWN),
    "town_commander": ("commander", TOWN),
    "village": ("commander", V1),
}
NOTE = "市督办：请县市场监管局会同街道12月8日前办结并回复。"


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    """A city's and a county's commander, a township's dispatcher and commander, a village's."""
    with world_accounts(database, USERS, "auchain") as ids:
        yield bearer_of(api_settings, ids)


def _county_case(client: TestClient, users: Headers, title: str) -> int:
    """A case the county registered in 村 1 and triaged: handled at the county."""
    lon, lat = village_centre(V1)
    body = {"channel": "phone", "category": "dispute", "title": title, "lon": lon, "lat": lat}
    made = client.post("/api/cases", json=body, headers=users("county"))
    assert made.status_code == 201, made.text
    case_id = int(made.json()["id"])
    triaged = act(client, users("county"), case_id, "triage")
    assert triaged.status_code == 200, triaged.text
    assert triaged.json()["handling_level"] == 3
    return case_id


def _dispatch_to(client: TestClient, headers: dict[str, str], case_id: int, unit: str) -> None:
    seen = client.get(f"/api/cases/{case_id}", headers=headers).json()
    sent = client.post(
        f"/api/cases/{case_id}/dispatch",
        json={"unit_code": unit, "version": seen["version"]},
        headers=headers,
    )
    assert sent.status_code == 200, sent.text


def _supervise(client: TestClient, users: Headers, case_id: int) -> datetime:
    until = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    done = act(
        client,
        users("city"),
        case_id,
        "supervise",
        note=NOTE,
        params={"deadline": until.isoformat()},
    )
    assert done.status_code == 200, done.text
    return until


def _listed(client: TestClient, headers: dict[str, str], stage: str) -> dict[int, Any]:
    got = client.get(f"/api/cases?stage={stage}", headers=headers)
    assert got.status_code == 200, got.text
    return {row["id"]: row for row in got.json()}


def _new_to(client: TestClient, headers: dict[str, str], unit: str) -> list[int]:
    feed = client.get(f"/api/command/{unit}", headers=headers)
    assert feed.status_code == 200, feed.text
    return [s["case_id"] for s in feed.json()["supervisions"]]


def test_the_citys_supervision_reaches_the_unit_the_county_dispatched_to(
    api_client: TestClient, users: Headers
) -> None:
    to_town = _county_case(api_client, users, "督办链测试：消费维权（派至街道）")
    _dispatch_to(api_client, users("county"), to_town, TOWN)
    to_village = _county_case(api_client, users, "督办链测试：物业纠纷（派至社区）")
    _dispatch_to(api_client, users("county"), to_village, V1)
    until = _supervise(api_client, users, to_town)
    _supervise(api_client, users, to_village)

    # the county handles both: new to it, as before
    new_to_county = _new_to(api_client, users("county"), COUNTY)
    assert {to_town, to_village} <= set(new_to_county)
    # the township on site with the county's case: 被督办 with 时限 and 督办意见, and 新督办
    for key in ("town", "town_commander"):
        listed = _listed(api_client, users(key), "under_supervision")
        assert to_town in listed and to_village not in listed, key
    row = _listed(api_client, users("town"), "under_supervision")[to_town]
    assert datetime.fromisoformat(row["supervision_deadline"]) == until
    assert row["latest"]["supervised"]["note"] == NOTE
    town_new = _new_to(api_client, users("town"), TOWN)
    assert to_town in town_new and to_village not in town_new
    # the village the other case was sent to sees that one
    assert list(_listed(api_client, users("village"), "under_supervision")) == [to_village]
    assert _new_to(api_client, users("village"), V1) == [to_village]

    # the township acts on it: no longer new to it, still to answer
    accepted = act(api_client, users("town"), to_town, "accept")
    assert accepted.status_code == 200, accepted.text
    assert to_town not in _new_to(api_client, users("town"), TOWN)
    assert to_town in _listed(api_client, users("town"), "under_supervision")
    # and it answers the city itself, being on site; a village not sent the case may not
    allowed = api_client.get(f"/api/cases/{to_town}/allowed", headers=users("town")).json()
    assert "supervision_reply" in [a["action"] for a in allowed["allowed"]], allowed
    refused = act(api_client, users("village"), to_town, "supervision_reply", note="社区回复")
    assert refused.status_code == 403, refused.text
    answered = act(
        api_client,
        users("town"),
        to_town,
        "supervision_reply",
        note="街道已约谈商户，8日前办结。",
    )
    assert answered.status_code == 200, answered.text
    assert to_town not in _listed(api_client, users("town"), "under_supervision")


def test_settled_orders_stay_in_the_superiors_lists_for_30_days(
    api_client: TestClient, users: Headers, database: SuiteDatabase
) -> None:
    city, county, town = users("city"), users("county"), users("town")
    # 督办: two county cases the city 督办'd, one closed by the township it was sent to
    still_open = _county_case(api_client, users, "督办链测试：仍在办理")
    closed = _county_case(api_client, users, "督办链测试：街道办结")
    _dispatch_to(api_client, county, closed, TOWN)
    _supervise(api_client, users, still_open)
    _supervise(api_client, users, closed)
    assert act(api_client, town, closed, "accept").status_code == 200
    done = act(
        api_client,
        town,
        closed,
        "resolve",
        note="已组织调解，双方达成协议",
        params={"outcome": "mediated"},
    )
    assert done.status_code == 200, done.text

    ids = list(_listed(api_client, city, "supervised"))
    assert still_open in ids and closed in ids
    assert ids.index(still_open) < ids.index(closed)  # the open ones first
    rows = _listed(api_client, city, "supervised")
    assert rows[still_open]["settled"] is None
    settled = rows[closed]["settled"]
    assert (settled["action"], settled["label"], settled["actor_name"]) == (
        "resolve",
        "办结",
        "auchain_town",
    )
    assert settled["note"] == "已组织调解，双方达成协议"
    assert rows[closed]["state"] == "resolved"
    # 评价 and 销号 by the county: the row says 销号, by whom
    assert act(api_client, county, closed, "evaluate", note="满意").status_code == 200
    archived = act(api_client, county, closed, "archive", note="反映人已搬离，电话无法接通")
    assert archived.status_code == 200, archived.text
    row = _listed(api_client, city, "supervised")[closed]
    assert (row["state"], row["settled"]["label"]) == ("archived", "销号")
    assert row["settled"]["actor_name"] == "auchain_county"

    # 交办 and 下级上报: a case the county escalated and the city handed down, closed below
    lon, lat = village_centre(V1)
    body = {"channel": "phone", "category": "dispute", "title": "督办链测试：交办办结",
            "lon": lon, "lat": lat}  # fmt: skip
    made = api_client.post("/api/cases", json=body, headers=county)
    assert made.status_code == 201, made.text
    handed = int(made.json()["id"])
    assert act(api_client, county, handed, "escalate", note="县级协调不了").status_code == 200
    assert act(api_client, city, handed, "triage").status_code == 200
    down = act(api_client, city, handed, "hand_down", note="请县级牵头，兑付后报市销号")
    assert down.status_code == 200, down.text
    assert act(api_client, county, handed, "triage").status_code == 200
    _dispatch_to(api_client, county, handed, TOWN)
    assert act(api_client, town, handed, "accept").status_code == 200
    resolved = act(
        api_client, town, handed, "resolve", note="已兑付", params={"outcome": "resolved"}
    )
    assert resolved.status_code == 200, resolved.text
    for stage in ("handed_down", "from_below"):
        row = _listed(api_client, city, stage)[handed]
        assert (row["settled"]["label"], row["settled"]["note"]) == ("办结", "已兑付"), stage

    # settled longer ago than SETTLED_DAYS: off the lists
    with Session(database.owner) as owner, owner.begin():
        owner.execute(
            text(
                "UPDATE cases SET closed_at = now() - make_interval(days => :d) WHERE id = ANY(:i)"
            ),
            {"d": case_lists.SETTLED_DAYS + 1, "i": [closed, handed]},
        )
    assert closed not in _listed(api_client, city, "supervised")
    assert handed not in _listed(api_client, city, "handed_down")
    assert handed not in _listed(api_client, city, "from_below")
    assert still_open in _listed(api_client, city, "supervised")
    # the other lists keep to open cases: 已上报 of the township lists no settled one
    assert closed not in _listed(api_client, town, "escalated")
