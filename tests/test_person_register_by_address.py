"""A person registered in the console with an address and no point is placed as a roster's is.

Closing note s45 (pc): a roster's person with a 现住址 only is placed in their village's only
grid (:func:`importers.names.place_in_only_grids`), but one registered by hand
(``POST /api/persons``) had to be picked on the map: the gazetteer the address is read with
lived in ``importers``, which ``layers`` may not import. It now lives in :mod:`geo.places`,
and :mod:`layers.person_village` places the registered person: their village from the address
(or the 所属村（社区）), and its grid when it has one in use, so that the grid's worker has them on
his 走访 list; a village of several grids leaves them without a grid, and the answer says a
grid must be chosen. No point is made up. The villages are the ones of
:mod:`tests.test_person_address_placing`, added to the API world and removed afterwards.

The console's form (session 47, pf) suggests the scope's villages for the 所属村（社区）
(``GET /api/persons/villages``), asks where the words place a person before registering them
(``GET /api/persons/village``) and registers a person of a village of several grids into the
grid picked. A village a re-division retired is refused by name, as 撤并 with the village that
took it over, or 撤销 when none did (two retired villages of 甲二镇, added for those tests).
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id
from layers.database import apply_scope, psycopg_connection
from layers.unit_gazetteer import unit_places
from tests.api_fixtures import TOWN_A2
from tests.conftest import SuiteDatabase
from tests.test_person_address_placing import (  # noqa: F401  (the fixture)
    ONE,
    ONE_GRID,
    ONE_NAME,
    TWO,
    TWO_NAME,
    VISITS,
    Placed,
    villages,
)

Headers = Callable[[str], dict[str, str]]
PERSONS = "/api/persons"
MERGED, GONE = "460105002103", "460105002104"
"""Villages of 甲二镇 a re-division retired: merged into ``ONE``, and abolished."""
MERGED_NAME, GONE_NAME = "并入试点村", "撤销试点村"


def _form(seq: int, address: str | None, **changes: Any) -> dict[str, Any]:
    return {
        "category": "released",
        "name": "登记试点" + "甲乙丙丁戊"[seq - 1],
        "resident_id": make_resident_id("460105", date(1971, 5, 9), 410 + seq, "M"),
        "management_level": 3,
        "address": address,
        "attributes": {"release_date": "2026-10-01"},
    } | changes


def _residence(database: SuiteDatabase, person_id: int) -> object:
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        return session.scalar(
            text("SELECT ST_AsText(residence) FROM persons WHERE id = :id"), {"id": person_id}
        )


def test_an_address_places_a_registered_person_in_the_village_s_only_grid(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, villages: Placed
) -> None:
    registrar = auth_headers("cmd_a")
    placed = api_client.post(
        PERSONS, json=_form(1, f"甲二镇{ONE_NAME}幸福路3号"), headers=registrar
    )
    assert placed.status_code == 201, placed.text
    person = placed.json()
    assert (person["area_code"], person["grid_code"]) == (ONE, ONE_GRID)
    assert (person["area_name"], person["grid_name"]) == (ONE_NAME, "试点1网格")
    assert person["placed_by"] == "居住地址"
    assert not any("网格" in notice for notice in person["notices"])
    assert _residence(database, person["id"]) is None  # no point made up

    # on the grid worker's 走访 list
    listed = api_client.get(VISITS, params={"status": "all"}, headers=villages.worker_headers)
    assert listed.status_code == 200, listed.text
    assert person["id"] in {p["id"] for p in listed.json()["persons"]}

    # the 所属村（社区） places as the address does
    by_community = api_client.post(
        PERSONS, json=_form(2, None, community=ONE_NAME), headers=registrar
    )
    assert by_community.status_code == 201, by_community.text
    assert by_community.json()["grid_code"] == ONE_GRID
    assert by_community.json()["placed_by"] == "所属村（社区）"


def test_a_responsible_out_of_a_bigint_s_range_is_refused_as_input(
    api_client: TestClient, auth_headers: Headers, villages: Placed
) -> None:
    for wrong in (2**63, 0):
        answer = api_client.post(
            PERSONS,
            json=_form(5, f"甲二镇{ONE_NAME}幸福路9号", responsible_ids=[wrong]),
            headers=auth_headers("cmd_a"),
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"][-2:] == ["responsible_ids", 0], answer.text


def test_a_village_of_several_grids_leaves_the_person_without_one_and_says_so(
    api_client: TestClient, auth_headers: Headers, villages: Placed
) -> None:
    registrar = auth_headers("cmd_a")
    answer = api_client.post(PERSONS, json=_form(3, f"{TWO_NAME}建设路5号"), headers=registrar)
    assert answer.status_code == 201, answer.text
    person = answer.json()
    assert (person["area_code"], person["grid_code"]) == (TWO, None)
    assert person["placed_by"] == "居住地址"
    assert (
        f"按居住地址定到甲二镇{TWO_NAME}，该村（社区）有 2 个网格（试点1网格、试点2网格），"
        "无法确定所在网格：未划入网格，不在网格员的走访名单上，须指定所在网格"
    ) in person["notices"][0]

    # an address naming no village of the scope is refused, never placed somewhere made up
    refused = api_client.post(PERSONS, json=_form(4, "幸福小区5栋2单元"), headers=registrar)
    assert refused.status_code == 422, refused.text
    said = refused.json()["detail"]
    assert "未能从居住地址找到您辖区内的村（社区）：请在地图上点选居住地" in said
    # a 所属村（社区） of no such name: asked to check it (a registrar imports no units)
    unknown = api_client.post(PERSONS, json=_form(4, None, community="无名社区"), headers=registrar)
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["detail"] == (
        "所属村（社区）：数据库中没有名为“无名社区”的村（社区）或乡镇："
        "请核对名称，或写 12 位区划代码"
    )
    # nor one naming a village out of the registrar's scope (甲一街道's dispatcher)
    outside = api_client.post(
        PERSONS, json=_form(5, f"甲二镇{ONE_NAME}幸福路3号"), headers=auth_headers("disp_a1")
    )
    assert outside.status_code == 422, outside.text
    assert "未能从居住地址找到您辖区内的村（社区）" in outside.json()["detail"]


@pytest.fixture
def retired(database: SuiteDatabase, villages: Placed) -> Iterator[None]:
    """Two retired villages of 甲二镇: one merged into ``ONE``, one without successor."""
    rows = [
        {"c": MERGED, "n": MERGED_NAME, "s": ONE},
        {"c": GONE, "n": GONE_NAME, "s": None},
    ]
    try:
        with Session(database.owner) as owner, owner.begin():
            apply_scope(owner, None)
            owner.execute(
                text(
                    "INSERT INTO jurisdictions (code, name, level, parent_code, retired_on,"
                    " successor_code) VALUES (:c, :n, 5, :p, DATE '2025-03-01', :s)"
                ),
                [row | {"p": TOWN_A2} for row in rows],
            )
        yield
    finally:
        with Session(database.owner) as owner, owner.begin():
            apply_scope(owner, None)
            owner.execute(
                text("DELETE FROM jurisdictions WHERE code = ANY(:c)"), {"c": [MERGED, GONE]}
            )


def test_the_form_is_offered_the_scope_s_villages_and_the_grids_to_pick_from(
    api_client: TestClient, auth_headers: Headers, villages: Placed, retired: None
) -> None:
    registrar = auth_headers("cmd_a")
    listed = api_client.get(f"{PERSONS}/villages", headers=registrar)
    assert listed.status_code == 200, listed.text
    by_code = {v["code"]: v for v in listed.json()}
    assert by_code[ONE] == {"code": ONE, "name": ONE_NAME, "township": "甲二镇", "value": ONE_NAME}
    assert TWO in by_code
    assert MERGED not in by_code and GONE not in by_code  # retired: not suggested
    assert all(code.startswith("460105") for code in by_code)
    # a township's dispatcher (甲一街道) is offered none of 甲二镇's villages
    other = api_client.get(f"{PERSONS}/villages", headers=auth_headers("disp_a1"))
    assert other.status_code == 200, other.text
    assert {ONE, TWO}.isdisjoint(v["code"] for v in other.json())

    # where the words place a person: the village of two grids names both, with their codes
    asked = api_client.get(
        f"{PERSONS}/village", params={"address": f"{TWO_NAME}建设路5号"}, headers=registrar
    )
    assert asked.status_code == 200, asked.text
    found = asked.json()
    assert (found["area_code"], found["grid_code"], found["placed_by"]) == (TWO, None, "居住地址")
    assert found["village"] == f"甲二镇{TWO_NAME}"
    assert found["grids"] == [
        {"code": TWO + "001", "name": "试点1网格"},
        {"code": TWO + "002", "name": "试点2网格"},
    ]
    assert "有 2 个网格（试点1网格、试点2网格）" in found["note"]
    one = api_client.get(f"{PERSONS}/village", params={"community": ONE}, headers=registrar)
    assert one.status_code == 200, one.text
    assert (one.json()["grid_code"], one.json()["placed_by"], one.json()["note"]) == (
        ONE_GRID,
        "所属村（社区）",
        None,
    )
    # nothing named: the refusal the registration gives
    nothing = api_client.get(
        f"{PERSONS}/village", params={"address": "幸福小区"}, headers=registrar
    )
    assert nothing.status_code == 422, nothing.text
    assert "未能从居住地址找到您辖区内的村（社区）" in nothing.json()["detail"]

    # the grid picked: registered into it, on its grid's list
    picked = api_client.post(
        PERSONS,
        json=_form(4, f"{TWO_NAME}建设路5号", community=TWO_NAME, grid_code=TWO + "002"),
        headers=registrar,
    )
    assert picked.status_code == 201, picked.text
    person = picked.json()
    assert (person["area_code"], person["grid_code"], person["grid_name"]) == (
        TWO,
        TWO + "002",
        "试点2网格",
    )
    assert not any("网格" in notice for notice in person["notices"])


def test_a_retired_village_is_refused_naming_the_village_that_took_it_over(
    api_client: TestClient, auth_headers: Headers, villages: Placed, retired: None
) -> None:
    registrar = auth_headers("cmd_a")
    merged = f"甲二镇{MERGED_NAME}已于 2025-03-01 撤并，现为甲二镇{ONE_NAME}（{ONE}）"
    for words, said in (
        ({"address": f"甲二镇{MERGED_NAME}幸福路3号"}, f"居住地址中的{merged}"),
        ({"community": MERGED_NAME}, f"所属村（社区）{merged}"),
        ({"community": MERGED}, f"所属村（社区）{merged}"),
        (
            {"address": f"{GONE_NAME}建设路5号"},
            f"居住地址中的甲二镇{GONE_NAME}已于 2025-03-01 撤销：",
        ),
    ):
        registered = api_client.post(PERSONS, json=_form(5, None) | words, headers=registrar)
        assert registered.status_code == 422, (words, registered.text)
        assert registered.json()["detail"].startswith(said), registered.json()["detail"]
        assert "请填写现在的村（社区），或在地图上点选居住地" in registered.json()["detail"]
        asked = api_client.get(f"{PERSONS}/village", params=words, headers=registrar)
        assert asked.status_code == 422, asked.text
        assert asked.json()["detail"] == registered.json()["detail"]
    # an address naming the retired village and the live one that took it over: the live one
    both = api_client.post(
        PERSONS, json=_form(5, f"{ONE_NAME}（原{MERGED_NAME}）3组"), headers=registrar
    )
    assert both.status_code == 201, both.text
    assert (both.json()["area_code"], both.json()["grid_code"]) == (ONE, ONE_GRID)


def test_one_reader_reads_the_units_through_a_session_or_an_importer_s_connection(
    database: SuiteDatabase, villages: Placed, retired: None
) -> None:
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        every = unit_places(session)
        assert unit_places(psycopg_connection(session)) == every  # as an import reads them
        assert unit_places(session.connection()) == every
        scoped = unit_places(session, TOWN_A2)
    by_code = {p.code: p for p in every}
    assert (by_code[MERGED].retired_on, by_code[MERGED].successor_code) == (date(2025, 3, 1), ONE)
    assert (by_code[GONE].retired_on, by_code[GONE].successor_code) == (date(2025, 3, 1), None)
    assert by_code[ONE].retired_on is None and by_code[ONE].parent_code == TOWN_A2
    # a registrar's: the township's units and those above it, nothing beside it
    above = {"460000000000", "460100000000", "460105000000"}
    assert scoped == [p for p in every if p.code.startswith("460105002") or p.code in above]
    assert {p.code for p in scoped} >= {TOWN_A2, ONE, TWO, MERGED, GONE}
    assert not any(p.code.startswith("460105001") for p in scoped)
