# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""What the summoning level reads of its 吹哨, and the supervised level of who 督办'd, over HTTP.

A user trial: after a 吹哨 to two departments the county's queue row said nothing, while the
department's desk said 已反馈; and the county's 被督办 did not say which level (云南省, 玉溪市)
issued the 督办. ``latest.summon`` (and the command feed's ``summon``) now lists each department
a 吹哨 named and whether it answered since, by the rule the desk reads
(:mod:`layers.summon_replies`), and a standing 督办's ``payload.by_unit_name`` names its unit.
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
from tests.workflow_data import CITY, COUNTY, village, village_centre, world_accounts

Headers = Callable[[str], dict[str, str]]
# a department account's display name is its username, the name a 吹哨 gives it
LABOUR, HOUSING = "smark_人社局", "smark_住建局"
USERS = {
    "county": ("commander", COUNTY),
    "city": ("commander", CITY),
    "人社局": ("department", COUNTY),
    "住建局": ("department", COUNTY),
}


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    """A county and a city commander, and two of the county's department accounts."""
    with world_accounts(database, USERS, "smark") as ids:
        yield bearer_of(api_settings, ids)


def _county_case(client: TestClient, users: Headers, title: str) -> int:
    lon, lat = village_centre(village(400, 1))
    body = {"channel": "phone", "category": "dispute", "title": title, "lon": lon, "lat": lat}
    made = client.post("/api/cases", json=body, headers=users("county"))
    assert made.status_code == 201, made.text
    case_id = int(made.json()["id"])
    triaged = act(client, users("county"), case_id, "triage", params={"handling_level": 3})
    assert triaged.status_code == 200, triaged.text
    assert triaged.json()["handling_level"] == 3
    return case_id


def _summon(client: TestClient, users: Headers, case_id: int, *names: str) -> None:
    params = {"departments": list(names), "new_departments": True}
    done = act(client, users("county"), case_id, "summon", note="请会商处置", params=params)
    assert done.status_code == 200, done.text


def _reply(client: TestClient, users: Headers, case_id: int, key: str) -> None:
    done = act(client, users(key), case_id, "summon_reply", note="已核查，正在协调")
    assert done.status_code == 200, done.text


def _summon_of(client: TestClient, users: Headers, case_id: int) -> Any:
    """The case's ``latest.summon``, checked the same in the county's command feed queue."""
    got = client.get(f"/api/cases/{case_id}", headers=users("county"))
    assert got.status_code == 200, got.text
    summon = got.json()["latest"]["summon"]
    feed = client.get(f"/api/command/{COUNTY}?parts=cases", headers=users("county")).json()
    row = next(c for c in feed["queue"] if c["id"] == case_id)
    assert row["summon"] == summon
    return summon


def _desk_group(client: TestClient, users: Headers, key: str, case_id: int) -> str:
    got = client.get("/api/departments/desk", headers=users(key))
    assert got.status_code == 200, got.text
    return str(next(c for c in got.json()["cases"] if c["id"] == case_id)["desk"]["group"])


def test_the_summoning_level_reads_how_many_departments_answered(
    api_client: TestClient, users: Headers
) -> None:
    case_id = _county_case(api_client, users, "吹哨标记测试：工地欠薪")
    assert _summon_of(api_client, users, case_id) is None  # no 吹哨, no mark
    _summon(api_client, users, case_id, LABOUR, HOUSING)

    summon = _summon_of(api_client, users, case_id)
    assert (summon["answered"], summon["total"]) == (0, 2)
    assert [(d["name"], d["answered_at"]) for d in summon["departments"]] == [
        (LABOUR, None),
        (HOUSING, None),
    ]

    _reply(api_client, users, case_id, "人社局")
    summon = _summon_of(api_client, users, case_id)
    assert (summon["answered"], summon["total"]) == (1, 2)
    labour, housing = summon["departments"]
    assert labour["name"] == LABOUR and labour["answered_at"] is not None
    assert datetime.fromisoformat(labour["answered_at"]) >= datetime.fromisoformat(
        labour["asked_at"]
    )
    assert (housing["name"], housing["answered_at"]) == (HOUSING, None)
    # the same rule as each department's desk: 已反馈 at 人社局, still 被吹哨 at 住建局
    assert _desk_group(api_client, users, "人社局", case_id) == "answered"
    assert _desk_group(api_client, users, "住建局", case_id) == "summoned"

    # a later 吹哨 naming 人社局 again waits for its answer again, there and on the desk
    _summon(api_client, users, case_id, LABOUR)
    summon = _summon_of(api_client, users, case_id)
    assert (summon["answered"], summon["total"]) == (0, 2)
    assert _desk_group(api_client, users, "人社局", case_id) == "summoned"


def test_the_supervised_level_reads_which_unit_supervised(
    api_client: TestClient, users: Headers
) -> None:
    case_id = _county_case(api_client, users, "督办单位测试：物业纠纷")
    until = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    done = act(
        api_client,
        users("city"),
        case_id,
        "supervise",
        note="请按时办结",
        params={"deadline": until.isoformat()},
    )
    assert done.status_code == 200, done.text
    got = api_client.get("/api/cases?stage=under_supervision", headers=users("county"))
    assert got.status_code == 200, got.text
    supervised = next(c for c in got.json() if c["id"] == case_id)["latest"]["supervised"]
    assert supervised["payload"]["by_unit"] == CITY
    assert supervised["payload"]["by_unit_name"] == "安顺市"
