"""A special-population person registered by hand, one at a time (trial AB S1).

Trial AB found the only way to put a person on record was the 43-column spreadsheet import.
``POST /api/persons`` registers one from a form: the resident ID checked and kept as an import
keeps it (hash, masked, sealed), the place from the point picked (or the grid named), a person
on record in the category refused (named masked in scope, not at all out of it), and no answer
repeating the resident ID or the full name.
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from geo.codes import make_resident_id
from layers.china_time import CHINA
from layers.department_scope import COMMAND_VIEW_REFUSED
from layers.secrets import hash_resident_id, unseal
from tests.api_fixtures import VILLAGES, ApiWorld, grid_centre
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
PERSONS = "/api/persons"
NAME = "欧阳登记"
RESIDENT_ID = make_resident_id("460105", date(1990, 3, 7), 41, "M")


def _form(**changes: Any) -> dict[str, Any]:
    lon, lat = grid_centre(0, 2)
    form: dict[str, Any] = {
        "category": "drug",
        "name": NAME,
        "resident_id": RESIDENT_ID,
        "management_level": 1,
        "address": "测试村3组12号",
        "lon": lon,
        "lat": lat,
    }
    return form | changes


@pytest.fixture
def registered(database: SuiteDatabase) -> Iterator[list[int]]:
    """The ids of the persons a test registers: deleted afterwards (their visits cascade)."""
    ids: list[int] = []
    yield ids
    with database.owner.begin() as db:
        db.execute(
            text("DELETE FROM persons WHERE name LIKE '欧阳%' OR id = ANY(:ids)"), {"ids": ids}
        )


def test_a_township_registers_a_person_kept_as_an_import_keeps_one(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    database: SuiteDatabase,
    registered: list[int],
) -> None:
    worker = api_client.get("/api/me", headers=auth_headers("worker_v0")).json()["worker_id"]
    answer = api_client.post(
        PERSONS, json=_form(responsible_ids=[worker]), headers=auth_headers("disp_a1")
    )
    assert answer.status_code == 201, answer.text
    person = answer.json()
    registered.append(person["id"])
    assert RESIDENT_ID not in answer.text and NAME not in answer.text
    assert person["name_masked"] == "欧***"
    assert person["id_masked"] == RESIDENT_ID[:6] + "*" * 8 + RESIDENT_ID[-4:]
    assert person["area_code"] == VILLAGES[0]
    assert person["grid_code"] == f"{VILLAGES[0]}003"
    today = datetime.now(UTC).astimezone(CHINA).date()
    with database.owner.connect() as db:
        row = db.execute(
            text(
                "SELECT name, category, management_level, id_hash, id_sealed, address,"
                " on_record_since, import_id, ended_on, ST_X(residence) AS lon,"
                " (SELECT array_agg(worker_id) FROM person_responsibles WHERE person_id = p.id)"
                " AS responsibles FROM persons p WHERE id = :id"
            ),
            {"id": person["id"]},
        ).one()
    assert (row.name, row.category, row.management_level) == (NAME, "drug", 1)
    assert bytes(row.id_hash) == hash_resident_id(api_world.keys, RESIDENT_ID)
    assert unseal(api_world.keys, bytes(row.id_sealed)) == RESIDENT_ID
    assert (row.address, row.on_record_since, row.import_id, row.ended_on) == (
        "测试村3组12号",
        today,
        None,
        None,
    )
    assert row.lon == pytest.approx(_form()["lon"])
    assert row.responsibles == [worker]
    with database.owner.connect() as db:
        entry = db.execute(
            text(
                "SELECT outcome, object_type, object_id, detail::text FROM audit_log"
                " WHERE action = 'person.register' ORDER BY id DESC LIMIT 1"
            )
        ).one()
    assert tuple(entry[:3]) == ("ok", "person", str(person["id"]))
    assert RESIDENT_ID not in entry[3] and NAME not in entry[3]
    # on the register at once: listed among the persons followed, due one interval from today
    listed = api_client.get(PERSONS + "/visits?status=all", headers=auth_headers("disp_a1"))
    assert person["id"] in {p["id"] for p in listed.json()["persons"]}

    # the same person again, in the same category: refused, named masked
    again = api_client.post(PERSONS, json=_form(), headers=auth_headers("disp_a1"))
    assert again.status_code == 409
    assert "不能重复登记" in again.json()["detail"] and "欧***" in again.json()["detail"]
    assert RESIDENT_ID not in again.text
    # another category of the same person is another record
    other = api_client.post(
        PERSONS,
        json=_form(category="released", attributes={"release_date": "2026-11-28"}),
        headers=auth_headers("disp_a1"),
    )
    assert other.status_code == 201, other.text
    registered.append(other.json()["id"])


def test_a_person_on_record_out_of_sight_is_not_registered_twice_nor_named(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    database: SuiteDatabase,
    registered: list[int],
) -> None:
    # a 刑满释放人员 of county B (the world's), registered again in county A's township
    elsewhere = next(
        pid for pid, area in api_world.objects["persons"].items() if area == VILLAGES[3]
    )
    number = api_world.resident_ids[int(elsewhere)]
    try:
        refused = api_client.post(
            PERSONS,
            json=_form(
                category="released",
                resident_id=number,
                name="欧阳别处",
                attributes={"release_date": "2026-11-28"},
            ),
            headers=auth_headers("disp_a1"),
        )
    finally:  # its township's notice (layers.cross_scope) goes: disp_a1's probes count per day
        with database.owner.begin() as db:
            db.execute(
                text("DELETE FROM cross_scope_attempts WHERE person_id = :p"), {"p": int(elsewhere)}
            )
    assert refused.status_code == 409
    # neutral (trial AW M7): it does not say the ID is on record elsewhere, only whom to ask
    detail = refused.json()["detail"]
    assert "县综治中心" in detail and not any(w in detail for w in ("其他", "已在", "在册"))
    assert api_world.names[int(elsewhere)][0] not in refused.json()["detail"]
    assert number not in refused.text


def test_the_grid_named_places_a_person_without_a_point(
    api_client: TestClient, auth_headers: Headers, registered: list[int]
) -> None:
    grid = f"{VILLAGES[1]}005"
    answer = api_client.post(
        PERSONS,
        json=_form(lon=None, lat=None, grid_code=grid),
        headers=auth_headers("disp_a1"),
    )
    assert answer.status_code == 201, answer.text
    registered.append(answer.json()["id"])
    assert (answer.json()["area_code"], answer.json()["grid_code"]) == (VILLAGES[1], grid)


@pytest.mark.parametrize(
    ("changes", "status", "says"),
    [
        (
            {"resident_id": RESIDENT_ID[:17] + ("1" if RESIDENT_ID[17] != "1" else "2")},
            422,
            "校验码",
        ),
        ({"resident_id": RESIDENT_ID[:16]}, 422, "必须是 18 个字符"),
        ({"name": "欧阳 13800138000"}, 422, "姓名中不能有数字"),
        ({"category": "other"}, 422, "人员类别无效"),
        ({"lon": None, "lat": None}, 422, "请在地图上点选居住地"),
        ({"lon": grid_centre(3, 1)[0], "lat": grid_centre(3, 1)[1]}, 403, "不在您的辖区内"),
        ({"on_record_since": "2999-01-01"}, 422, "列管日期不能晚于今天"),
        ({"responsible_ids": [999999]}, 422, "责任人"),
    ],
)
def test_a_form_breaking_a_rule_is_refused_without_repeating_the_id(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    registered: list[int],
    changes: dict[str, Any],
    status: int,
    says: str,
) -> None:
    form = _form(**changes)
    refused = api_client.post(PERSONS, json=form, headers=auth_headers("disp_a1"))
    assert refused.status_code == status, refused.text
    assert says in refused.json()["detail"]
    assert str(form["resident_id"]) not in refused.text
    with database.owner.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM persons WHERE name LIKE '欧阳%'")) == 0
        entry = db.execute(
            text(
                "SELECT outcome, reason FROM audit_log WHERE action = 'person.register'"
                " ORDER BY id DESC LIMIT 1"
            )
        ).one()
    assert entry.outcome in {"failed", "denied"}
    assert str(form["resident_id"]) not in (entry.reason or "")


@pytest.mark.parametrize("who", ["cmd_city", "analyst_a", "dept_a"])
def test_those_who_see_persons_as_counts_register_nobody(
    api_client: TestClient, auth_headers: Headers, who: str, registered: list[int]
) -> None:
    refused = api_client.post(PERSONS, json=_form(), headers=auth_headers(who))
    assert refused.status_code == 403
    said = COMMAND_VIEW_REFUSED if who == "dept_a" else "您的角色或层级不能查看特殊人群名单"
    assert refused.json()["detail"].startswith(said)  # a department: sent to its desk


def test_a_person_followed_on_paper_keeps_the_day_put_on_record(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, registered: list[int]
) -> None:
    since = datetime.now(UTC).astimezone(CHINA).date() - timedelta(days=40)
    answer = api_client.post(
        PERSONS, json=_form(on_record_since=since.isoformat()), headers=auth_headers("cmd_a")
    )
    assert answer.status_code == 201, answer.text
    registered.append(answer.json()["id"])
    with database.owner.connect() as db:
        kept = db.scalar(
            text("SELECT on_record_since FROM persons WHERE id = :id"), {"id": answer.json()["id"]}
        )
    assert kept == since  # a visit is due from there, not from today
