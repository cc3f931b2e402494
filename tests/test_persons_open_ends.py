# ruff: noqa: F811 - pytest fixtures imported from tests.test_person_grid_change
"""The persons' open ends of session 47, closed in session 48 (pp).

* A retired village merged into a unit out of the registrar's scope was refused as 撤销 (row-level
  security hid its successor); it is said 撤并 now, naming no unit the registrar may not read.

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
