"""A case registered on the console whose address names another township (trial BC).

The county's commander registered a 来电 at a point of 华溪镇南河村 with the address
「盘溪镇老堡村工业园区大门口」 and handed it down with the note 「请盘溪镇当日到场疏导」: the case
went to 华溪镇, said address_mismatch null, and the 交办 dialog and the timeline named only the
level. A registration is now checked as an imported order is and marked 地址与位置不符 the same
way, for the county and for a township's desk (whose scope reads no other township's name);
the dialog asks first (``POST /api/cases/address-check``); and a 交办 names its unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from tests.api_fixtures import bearer_of
from tests.conftest import SuiteDatabase
from tests.migration_steps import function_executors, migration_steps
from tests.workflow_data import (
    COUNTY,
    township,
    village,
    village_centre,
    world_accounts,
)

Headers = Callable[[str], dict[str, str]]
USERS = {
    "county": ("commander", COUNTY),
    "town300": ("dispatcher", township(300)),
    "analyst": ("analyst", COUNTY),
}
V200, V300 = village(200, 1), village(300, 1)


@pytest.fixture(scope="module")
def users(database: SuiteDatabase, api_settings: ApiSettings) -> Iterator[Headers]:
    with world_accounts(database, USERS, "am") as ids:
        yield bearer_of(api_settings, ids)


def _at(village_code: str, dx: float) -> dict[str, float]:
    lon, lat = village_centre(village_code)
    return {"lon": lon + dx, "lat": lat}


def _check(client: TestClient, headers: dict[str, str], address: str, where: Any) -> Any:
    answer = client.post(
        "/api/cases/address-check", json={"address": address, **where}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _register(client: TestClient, headers: dict[str, str], address: str, where: Any) -> Any:
    body = {"channel": "phone", "category": "dispute", "title": "工业园区门口聚集", **where}
    made = client.post("/api/cases", json=body | {"address": address}, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _register_event(client: TestClient, headers: dict[str, str], case_id: int) -> Any:
    events = client.get(f"/api/cases/{case_id}/events", headers=headers).json()
    return next(e for e in events if e["action"] == "register")


def test_a_county_registration_whose_address_names_another_township_is_marked(
    api_client: TestClient, users: Headers
) -> None:
    county = users("county")
    where = _at(V200, 0.001)  # 镇200's 村200-1
    address = "镇300老堡村工业园区大门口"
    said = {
        "named": "镇300",
        "placed": "镇200村200-1",
        "text": "地址与位置不符：地址写镇300，点位在镇200村200-1",
    }
    # asked before: the dialog's warning
    assert _check(api_client, county, address, where) == {
        "area_code": V200,
        "address_mismatch": said,
    }
    case = _register(api_client, county, address, where)
    assert case["area_code"] == V200
    assert case["address_mismatch"] == said
    assert (
        api_client.get(f"/api/cases/{case['id']}", headers=county).json()["address_mismatch"]
        == said
    )
    # the 调度台's lists carry it (its queue: the county's own registration)
    stages = api_client.get("/api/cases/stages", params={"stage": "queue"}, headers=county).json()
    queued = {c["id"]: c for c in stages["queue"]}
    assert queued[case["id"]]["address_mismatch"] == said
    # recorded on the registration as an import records it
    registered = _register_event(api_client, county, case["id"])
    assert registered["note"] == said["text"] + "，请核对地址或点位"
    assert registered["payload"]["address_elsewhere"] == {
        "named": "镇300",
        "placed": "镇200村200-1",
        "address": address,
        "area_code": V200,
    }

    # 交办: the dialog and the timeline name the township, not only the level
    allowed = api_client.get(f"/api/cases/{case['id']}/allowed", headers=county).json()
    down = next(a for a in allowed["allowed"] if a["action"] == "hand_down")
    assert (down["to_level"], down["to_unit"]) == (4, {"code": township(200), "name": "镇200"})
    handed = api_client.post(
        f"/api/cases/{case['id']}/actions/hand_down",
        json={"version": case["version"], "note": "请镇300当日到场疏导"},
        headers=county,
    )
    assert handed.status_code == 200, handed.text
    events = api_client.get(f"/api/cases/{case['id']}/events", headers=county).json()
    moved = next(e for e in events if e["action"] == "hand_down")
    assert (moved["payload"]["unit_code"], moved["payload"]["unit_name"]) == (
        township(200),
        "镇200",
    )


def test_a_townships_registration_naming_a_township_it_cannot_read_is_marked(
    api_client: TestClient, users: Headers
) -> None:
    town = users("town300")
    where = _at(V300, 0.002)  # its own 村300-1
    address = "镇200村口菜市场旁"  # a township its scope reads no row of
    said = {
        "named": "镇200",
        "placed": "镇300村300-1",
        "text": "地址与位置不符：地址写镇200，点位在镇300村300-1",
    }
    assert _check(api_client, town, address, where)["address_mismatch"] == said
    case = _register(api_client, town, address, where)
    assert case["address_mismatch"] == said
    assert (
        api_client.get(f"/api/cases/{case['id']}", headers=town).json()["address_mismatch"] == said
    )
    # the county reads the same mark
    county = api_client.get(f"/api/cases/{case['id']}", headers=users("county")).json()
    assert county["address_mismatch"] == said

    # a point in another township is not the township's to register, nor to ask about
    elsewhere = _at(V200, 0.003)
    assert _check(api_client, town, "镇300老街", elsewhere) == {
        "area_code": None,
        "address_mismatch": None,
    }
    body = {"channel": "phone", "category": "dispute", "title": "越界登记", **elsewhere}
    refused = api_client.post("/api/cases", json=body | {"address": "镇300老街"}, headers=town)
    assert refused.status_code == 403, refused.text


@pytest.mark.parametrize(
    "address",
    [
        "镇200村200-1老街12号",  # its own township
        "镇200与镇300交界处",  # its own and another: no mark
        "朝阳路18号",  # no township
        None,
    ],
)
def test_no_mark_when_the_address_agrees_or_names_no_township(
    api_client: TestClient, users: Headers, address: str | None
) -> None:
    county = users("county")
    where = _at(V200, -0.004)
    checked = _check(api_client, county, address or "", where)
    assert checked == {"area_code": V200, "address_mismatch": None}
    body = {"channel": "walk_in", "category": "dispute", "title": "邻里纠纷", **where}
    made = api_client.post("/api/cases", json=body | {"address": address}, headers=county)
    assert made.status_code == 201, made.text
    assert made.json()["address_mismatch"] is None
    registered = _register_event(api_client, county, made.json()["id"])
    assert registered["note"] is None
    assert "address_elsewhere" not in registered["payload"]


def test_an_analyst_may_not_ask(api_client: TestClient, users: Headers) -> None:
    answer = api_client.post(
        "/api/cases/address-check",
        json={"address": "镇300老街", **_at(V200, 0.0)},
        headers=users("analyst"),
    )
    assert answer.status_code == 403, answer.text


def test_migration_0046_drops_and_restores_the_function(db: Session) -> None:
    # the app role may run it, no other role
    assert function_executors(db, "zongzhi_address_elsewhere") == [True, False]
    with migration_steps(db, "0046_address_elsewhere.py") as (module, _conn):
        module.downgrade()
        assert function_executors(db, "zongzhi_address_elsewhere") == []
        module.upgrade()
        assert function_executors(db, "zongzhi_address_elsewhere") == [True, False]
