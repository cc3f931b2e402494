# ruff: noqa: F811 - pytest fixtures imported from tests.test_person_grid_change
"""The persons' open ends of session 47, closed in session 48 (pp).

* A county's operator reads the whole county's workers and could name another township's as
  a person's 帮扶责任人, at registration and at 划入网格: the responsibles are now workers of the
  person's township (their unit or their home grid in it), the refusal naming the worker's id.
* A retired village merged into a unit out of the registrar's scope was refused as 撤销 (row-level
  security hid its successor); it is said 撤并 now, naming no unit the registrar may not read.
* ``GET /api/persons/{id}/grids`` (the 划入网格 dialog: the person's village, grid and 帮扶责任人)
  was read without an audit entry, where every read of the persons layer has one.

The world is :mod:`tests.api_fixtures`'s: 甲一街道 (villages 0 and 1) and 甲二镇 (village 2) of
county A, whose commander reads both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id
from layers.database import apply_scope
from tests.api_fixtures import TOWN_A1, VILLAGES, grid_centre
from tests.conftest import SuiteDatabase
from tests.test_person_grid_change import V0_GRID1, _entries, unplaced  # noqa: F401

Headers = Callable[[str], dict[str, str]]
PERSONS = "/api/persons"
RETIRED = TOWN_A1[:9] + "188"
"""A village of 甲一街道 a re-division merged into 甲二镇's 测试村3 (added for a test)."""
RETIRED_NAME = "并出试点村"


def _worker_of(database: SuiteDatabase, village: str) -> int:
    with Session(database.owner) as session:
        return int(
            session.scalars(
                text(
                    "SELECT id FROM workers WHERE area_code = :v AND status <> 'left' ORDER BY id"
                ),
                {"v": village},
            ).first()
            or 0
        )


def _form(serial: int, **changes: Any) -> dict[str, Any]:
    lon, lat = grid_centre(0, 0)
    return {
        "category": "drug",
        "name": "开放登记",
        "resident_id": make_resident_id("460105", date(1983, 2, 7), 460 + serial, "F"),
        "management_level": 2,
        "lon": lon,
        "lat": lat,
    } | changes


@pytest.fixture
def registered(database: SuiteDatabase) -> Iterator[None]:
    """Delete the persons a test registers (named 开放…) afterwards."""
    yield
    with database.owner.begin() as db:
        db.execute(text("DELETE FROM persons WHERE name LIKE '开放%'"))


def test_a_responsible_of_another_township_is_refused_naming_him(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    unplaced: Callable[..., int],
    registered: None,
) -> None:
    county = auth_headers("cmd_a")
    other_town = _worker_of(database, VILLAGES[2])  # 甲二镇
    same_town = _worker_of(database, VILLAGES[1])  # 甲一街道's other village
    assert other_town and same_town
    said = (
        f"责任人（网格员编号 {other_town}）不是该人员所在甲一街道的人员："
        "帮扶责任人应为所在网格或本乡镇（街道）的网格员、社区民警、司法所等人员"
    )
    # at registration: refused, nobody registered
    refused = api_client.post(
        PERSONS, json=_form(1, responsible_ids=[same_town, other_town]), headers=county
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(said), refused.json()["detail"]
    with database.owner.connect() as db:
        assert db.scalar(text("SELECT count(*) FROM persons WHERE name = '开放登记'")) == 0
    # a worker of the township's other village may follow the person up
    taken = api_client.post(PERSONS, json=_form(1, responsible_ids=[same_town]), headers=county)
    assert taken.status_code == 201, taken.text

    # at 划入网格: refused, nothing moved, nobody named
    pid = unplaced()
    moved = api_client.post(
        f"{PERSONS}/{pid}/grid",
        json={"grid_code": V0_GRID1, "responsible_ids": [other_town]},
        headers=county,
    )
    assert moved.status_code == 422, moved.text
    assert moved.json()["detail"].startswith(said), moved.json()["detail"]
    with database.owner.connect() as db:
        grid, named = db.execute(
            text(
                "SELECT grid_code, (SELECT count(*) FROM person_responsibles r"
                " WHERE r.person_id = p.id) FROM persons p WHERE id = :id"
            ),
            {"id": pid},
        ).one()
    assert (grid, named) == (None, 0)
    # the township is the grid's: a person moved to 甲二镇 takes 甲二镇's worker
    there = api_client.post(
        f"{PERSONS}/{pid}/grid",
        json={"grid_code": f"{VILLAGES[2]}001", "responsible_ids": [other_town]},
        headers=county,
    )
    assert there.status_code == 200, there.text
    assert there.json()["responsibles"] == 1


@pytest.fixture
def merged_away(database: SuiteDatabase) -> Iterator[None]:
    """A retired village of 甲一街道, merged into 甲二镇's 测试村3."""
    try:
        with Session(database.owner) as owner, owner.begin():
            apply_scope(owner, None)
            owner.execute(
                text(
                    "INSERT INTO jurisdictions (code, name, level, parent_code, retired_on,"
                    " successor_code) VALUES (:c, :n, 5, :p, DATE '2025-03-01', :s)"
                ),
                {"c": RETIRED, "n": RETIRED_NAME, "p": TOWN_A1, "s": VILLAGES[2]},
            )
        yield
    finally:
        with Session(database.owner) as owner, owner.begin():
            apply_scope(owner, None)
            owner.execute(text("DELETE FROM jurisdictions WHERE code = :c"), {"c": RETIRED})


def test_a_village_merged_out_of_the_scope_is_said_merged_naming_nothing_unseen(
    api_client: TestClient,
    auth_headers: Headers,
    unplaced: Callable[..., int],
    merged_away: None,
    registered: None,
) -> None:
    township = auth_headers("disp_a1")  # 甲一街道: 甲二镇 is out of its scope
    for words in ({"community": RETIRED}, {"community": RETIRED_NAME}):
        form = _form(2, lon=None, lat=None) | words
        refused = api_client.post(PERSONS, json=form, headers=township)
        assert refused.status_code == 422, refused.text
        said = refused.json()["detail"]
        assert said.startswith(
            f"所属村（社区）甲一街道{RETIRED_NAME}已于 2025-03-01 撤并，并入的单位不在您的辖区内"
        ), said
        assert VILLAGES[2] not in said and "测试村3" not in said and "甲二镇" not in said
        asked = api_client.get(f"{PERSONS}/village", params=words, headers=township)
        assert (asked.status_code, asked.json()["detail"]) == (422, said)
    # the county reads the successor, and is told it
    county = api_client.post(
        PERSONS, json=_form(2, lon=None, lat=None, community=RETIRED), headers=auth_headers("cmd_a")
    )
    assert county.status_code == 422, county.text
    assert f"撤并，现为甲二镇测试村3（{VILLAGES[2]}）" in county.json()["detail"]
    # the 划入网格 dialog asked for that village's grids: refused, naming nothing unseen
    pid = unplaced()
    grids = api_client.get(f"{PERSONS}/{pid}/grids?village={RETIRED}", headers=township)
    assert grids.status_code == 422, grids.text
    assert grids.json()["detail"] == (
        f"{RETIRED_NAME}（{RETIRED}）已于2025-03-01撤销（已撤并，继承单位不在您的辖区内），"
        "请选用现有辖区"
    )


def test_the_grid_dialog_s_read_of_a_person_is_audited_with_codes_only(
    api_client: TestClient, auth_headers: Headers, unplaced: Callable[..., int]
) -> None:
    pid = unplaced()
    assert not [e for e in _entries(api_client, auth_headers, pid) if e["action"] == "layer.read"]
    read = api_client.get(f"{PERSONS}/{pid}/grids", headers=auth_headers("disp_a1"))
    assert read.status_code == 200, read.text
    [entry] = [e for e in _entries(api_client, auth_headers, pid) if e["action"] == "layer.read"]
    assert entry["actor_name"] == "t46_disp_a1" and entry["outcome"] == "ok"
    assert entry["detail"] == {
        "collection": "persons",
        "scope_code": TOWN_A1,
        "returned": 1,
        "matched": 1,
        "view": "grid",
    }
    assert entry["texts"]["reason"] == "划入网格：返回 1 条（共 1 条）"
    assert "赵划网" not in str(entry)  # the person's name (the fixture's) is never written
    # a refused read (another township's dispatcher: not found) reads nothing and writes nothing
    other = api_client.get(f"{PERSONS}/{pid}/grids", headers=auth_headers("disp_b1"))
    assert other.status_code == 404, other.text
    reads = [e for e in _entries(api_client, auth_headers, pid) if e["action"] == "layer.read"]
    assert len(reads) == 1
