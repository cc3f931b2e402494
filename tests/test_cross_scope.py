"""A registrar probing IDs of another township: it is told, the probes stopped (trial AW M7).

A registration meeting a person on record outside the registrar's scope is refused in a neutral
answer; the township holding the person (and its county) now reads a notice 「外辖区登记尝试」
naming the registrar's unit, account and time, the person by the masked ID alone. An account
whose registrations met such records :data:`layers.cross_scope.PROBES_PER_DAY` times today is
refused further registrations for the day, and the auditor sees it flagged. Migration 0040.
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id, mask_resident_id
from layers import accounts, cross_scope
from layers.person_entry import ELSEWHERE
from tests.api_fixtures import (
    PASSWORD,
    TOWN_B1,
    VILLAGES,
    ApiSettings,
    ApiWorld,
    bearer_of,
    grid_centre,
)
from tests.conftest import SuiteDatabase
from tests.migration_steps import app_privileges, migration_steps, table_exists

Headers = Callable[[str], dict[str, str]]
PERSONS = "/api/persons"
NOTICES = "/api/persons/cross-scope-notices"
PROBER = "probe.b1"


@pytest.fixture
def prober(
    database: SuiteDatabase, api_settings: ApiSettings, api_world: ApiWorld
) -> Iterator[dict[str, str]]:
    """A dispatcher of 乙一街道 of its own (its probes count from nought): its Bearer header.

    Its notices, its account and any person it registered go afterwards.
    """
    with Session(database.owner) as owner, owner.begin():
        user = accounts.create_user(
            owner,
            username=PROBER,
            password=PASSWORD,
            role="dispatcher",
            scope_code=TOWN_B1,
            display_name="乙一登记员",
        )
        user_id = user.id
    try:
        yield bearer_of(api_settings, {"me": user_id})("me")
    finally:
        with database.owner.begin() as db:
            db.execute(text("DELETE FROM cross_scope_attempts WHERE actor_id = :u"), {"u": user_id})
            db.execute(text("DELETE FROM persons WHERE name LIKE '欧阳%'"))
            db.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})


def _probe(client: TestClient, headers: dict[str, str], resident_id: str) -> Any:
    lon, lat = grid_centre(3, 1)
    form = {"category": "drug", "name": "欧阳试探", "resident_id": resident_id}
    return client.post(PERSONS, json=form | {"lon": lon, "lat": lat}, headers=headers)


def _in(village: str, api_world: ApiWorld) -> int:
    return next(int(p) for p, area in api_world.objects["persons"].items() if area == village)


def _mine(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get(NOTICES, headers=headers)
    assert answer.status_code == 200, answer.text
    return [n for n in answer.json()["notices"] if n["actor_name"] == PROBER]


def test_the_township_holding_the_person_is_told_masked(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    prober: dict[str, str],
) -> None:
    person = _in(VILLAGES[0], api_world)  # 甲一街道's
    number = api_world.resident_ids[person]
    refused = _probe(api_client, prober, number)
    assert (refused.status_code, refused.json()["detail"]) == (409, ELSEWHERE)
    [notice] = _mine(api_client, auth_headers("disp_a1"))  # the township holding the person
    assert notice["person_id"] == person and notice["id_masked"] == mask_resident_id(number)
    assert notice["actor_unit_name"] == "乙一街道"
    assert notice["text"].startswith("外辖区登记尝试：乙一街道 probe.b1 于 ")
    assert mask_resident_id(number) in notice["text"]
    listed = api_client.get(NOTICES, headers=auth_headers("disp_a1")).text
    assert number not in listed and api_world.names[person] not in listed  # no ID, no name
    assert _mine(api_client, auth_headers("cmd_a")) == [notice]  # its county
    assert _mine(api_client, auth_headers("disp_b1")) == []  # not the registrar's township
    assert _mine(api_client, auth_headers("cmd_b")) == []  # nor its county


def test_an_account_probing_ids_is_stopped_for_the_day_and_flagged(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    prober: dict[str, str],
) -> None:
    persons = [_in(village, api_world) for village in VILLAGES[:3]]
    answers = [_probe(api_client, prober, api_world.resident_ids[p]) for p in persons]
    assert [a.status_code for a in answers] == [409] * cross_scope.PROBES_PER_DAY
    # even an ID on record nowhere is not checked any more today, in a neutral answer
    unseen = make_resident_id("460106", date(1991, 5, 6), 77, "M")
    stopped = _probe(api_client, prober, unseen)
    assert (stopped.status_code, stopped.json()["detail"]) == (403, cross_scope.PROBES_REFUSAL)
    assert _mine(api_client, auth_headers("cmd_a"))[0]["person_id"] == persons[2]
    assert len(_mine(api_client, auth_headers("cmd_a"))) == cross_scope.PROBES_PER_DAY
    # the auditor sees the account flagged, once
    flagged = api_client.get(
        "/api/audit",
        params={"action": cross_scope.PROBES_ACTION, "actor": PROBER},
        headers=auth_headers("auditor"),
    ).json()["entries"]
    assert [(e["object_type"], e["outcome"]) for e in flagged] == [("user", "denied")]
    assert flagged[0]["texts"]["action"] == "疑似试探身份证号（暂停当日登记）"
    assert "今日第 3 次登记遇到本辖区以外的在册人员" in flagged[0]["texts"]["reason"]
    assert flagged[0]["account_label"]["username"] == PROBER


def test_the_day_starts_at_midnight_in_china() -> None:
    assert cross_scope.day_start(datetime(2026, 12, 6, 15, 59, tzinfo=UTC)).day == 6
    assert cross_scope.day_start(datetime(2026, 12, 6, 16, 0, tzinfo=UTC)).day == 7


def test_migration_0040_adds_the_notices_read_only_to_the_app_and_takes_them_away(
    db: Session,
) -> None:
    def functions() -> set[str]:
        found = db.execute(
            text("SELECT proname FROM pg_proc WHERE proname LIKE 'zongzhi_%cross_scope%'")
        )
        return {str(name) for name in found.scalars()}

    both = {"zongzhi_note_cross_scope_attempt", "zongzhi_cross_scope_attempts"}
    assert functions() == both
    with migration_steps(db, "0040_cross_scope_attempts.py") as (module, conn):
        module.downgrade()
        assert not table_exists(conn, "cross_scope_attempts") and functions() == set()
        module.upgrade()
        assert table_exists(conn, "cross_scope_attempts") and functions() == both
        # the app reads in its scope; it writes only through the function
        assert app_privileges(conn, "cross_scope_attempts") == {
            "SELECT": True,
            "INSERT": False,
            "UPDATE": False,
            "DELETE": False,
        }
