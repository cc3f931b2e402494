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
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id
from layers.database import apply_scope
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
