"""Persons a roster gives a 现住址 only are placed in their village's only grid (trial AV M1).

司法局's and 卫健局's rosters give 现住址 (and often 所属社区), no 网格 and no coordinates: every
person loaded on no map and on no worker's 走访 list. The address now gives the village, as a
case's does (:mod:`importers.names`); a village with one grid in use gives that grid, so the
grid's worker visits the person; no point is made up (:mod:`layers.person_places`). A village
of several grids does not tell which (said, left without a grid); an address naming no known
place is refused, never placed somewhere made up. The test adds two villages to the shared API
world (one grid, two grids), a worker of the one grid with his account, and removes all of it
afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from geo.codes import make_resident_id
from importers.pipeline import ImportOptions, ImportOutcome, run_import
from layers import accounts
from layers.database import apply_scope
from tests.api_fixtures import PASSWORD, TOWN_A2, ApiWorld, bearer_of, village_box
from tests.conftest import SuiteDatabase
from tests.import_fixtures import csv_text

ONE = "460105002101"
"""A village of 甲二镇 with one grid."""
TWO = "460105002102"
"""A village of 甲二镇 with two grids."""
ONE_GRID = ONE + "001"
ONE_NAME, TWO_NAME = "单格试点社区", "双格试点社区"
VISITS = "/api/persons/visits"


def _box(index: int, west: float = 0.0, east: float = 1.0) -> str:
    """Return a part (``west``…``east`` of its width) of ``village_box(index)`` as EWKT."""
    w, s, e, n = village_box(index)
    left, right = w + (e - w) * west, w + (e - w) * east
    return f"SRID=4490;POLYGON(({left} {s}, {right} {s}, {right} {n}, {left} {n}, {left} {s}))"


@dataclass(frozen=True)
class Placed:
    """The world's added villages: the one grid's worker's account."""

    worker_headers: dict[str, str]


@pytest.fixture
def villages(
    database: SuiteDatabase, api_settings: ApiSettings, api_world: ApiWorld
) -> Iterator[Placed]:
    """Two villages of 甲二镇 (one grid, two grids) and the one grid's worker; removed after."""
    user_id = None
    try:
        with Session(database.owner) as owner, owner.begin():
            apply_scope(owner, None)
            for code, name, index in ((ONE, ONE_NAME, 8), (TWO, TWO_NAME, 9)):
                owner.execute(
                    text(
                        "INSERT INTO jurisdictions (code, name, level, parent_code, boundary)"
                        " VALUES (:c, :n, 5, :p, ST_Multi(ST_GeomFromEWKT(:b)))"
                    ),
                    {"c": code, "n": name, "p": TOWN_A2, "b": _box(index)},
                )
            for code, index, west, east in (
                (ONE_GRID, 8, 0.0, 1.0),
                (TWO + "001", 9, 0.0, 0.5),
                (TWO + "002", 9, 0.5, 1.0),
            ):
                owner.execute(
                    text(
                        "INSERT INTO grids (code, name, area_code, boundary)"
                        " VALUES (:c, :n, :a, ST_GeomFromEWKT(:b))"
                    ),
                    {
                        "c": code,
                        "n": f"试点{code[-1]}网格",
                        "a": code[:12],
                        "b": _box(index, west, east),
                    },
                )
            worker_id = owner.scalar(
                text(
                    "INSERT INTO workers (name, role, home_grid, area_code, status)"
                    " VALUES ('试点网格员', 'grid_worker', :g, :a, 'on_duty') RETURNING id"
                ),
                {"g": ONE_GRID, "a": ONE},
            )
            user = accounts.create_user(
                owner,
                username="pc.placing.worker",
                password=PASSWORD,
                role="grid_worker",
                scope_code=ONE,
                display_name="试点网格员",
                worker_id=worker_id,
            )
            user_id = user.id
        yield Placed(bearer_of(api_settings, {"me": user_id})("me"))
    finally:
        with Session(database.owner) as owner, owner.begin():
            apply_scope(owner, None)
            villages = {"a": [ONE, TWO]}
            owner.execute(text("DELETE FROM persons WHERE area_code = ANY(:a)"), villages)
            owner.execute(
                text(
                    "DELETE FROM import_runs WHERE id NOT IN"
                    " (SELECT import_id FROM persons WHERE import_id IS NOT NULL)"
                    " AND file_name = '司法局社区矫正名单.csv'"
                )
            )
            if user_id is not None:
                owner.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})
            owner.execute(text("DELETE FROM workers WHERE area_code = ANY(:a)"), villages)
            owner.execute(text("DELETE FROM grids WHERE area_code = ANY(:a)"), villages)
            owner.execute(text("DELETE FROM jurisdictions WHERE code = ANY(:a)"), villages)


def _resident_id(seq: int) -> str:
    return make_resident_id("460105", date(1966, 10, 17), 470 + seq, "M")


def _roster(path: Path) -> Path:
    """A 司法局 roster: 现住址 only, no 网格, no coordinates, written in GBK."""
    headers = ["姓名", "身份证号", "人员类别", "现住址"]
    rows = [
        ["试点甲", _resident_id(1), "刑满释放人员", f"海口市甲区甲二镇{ONE_NAME}幸福路3号"],
        ["试点乙", _resident_id(2), "刑满释放人员", f"甲二镇{ONE_NAME}和平巷12号"],
        ["试点丙", _resident_id(3), "刑满释放人员", f"甲二镇{TWO_NAME}建设路5号"],
        ["试点丁", _resident_id(4), "刑满释放人员", "幸福小区5栋2单元"],
    ]
    target = path / "司法局社区矫正名单.csv"
    target.write_bytes(csv_text(headers, rows).encode("gbk"))
    return target


def _import(database: SuiteDatabase, world: ApiWorld, path: Path) -> ImportOutcome:
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        options = ImportOptions(kind="persons", partial=True, user="root")
        return run_import(session.connection(), path, options, keys=world.keys)


def _persons(database: SuiteDatabase) -> dict[str, tuple[object, ...]]:
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        rows = session.execute(
            text(
                "SELECT name, area_code, grid_code, ST_AsText(residence), id FROM persons"
                " WHERE area_code = ANY(:a)"
            ),
            {"a": [ONE, TWO]},
        ).all()
    return {str(row[0]): tuple(row[1:]) for row in rows}


def test_a_roster_of_addresses_places_its_persons_in_their_villages_only_grid(
    database: SuiteDatabase,
    api_world: ApiWorld,
    api_client: TestClient,
    villages: Placed,
    tmp_path: Path,
) -> None:
    roster = _roster(tmp_path)
    first = _import(database, api_world, roster)
    assert first.committed, first.problems
    assert first.counts is not None and first.counts.inserted == 3
    # an address that names no known place is refused, not placed somewhere made up
    refused = [p for p in first.problems if p.severity == "rejected"]
    assert [p.row for p in refused] == [5]
    assert "地址中也没有数据库中乡镇（街道）或村（社区）的全称" in refused[0].rule
    said = "".join(first.notes)
    assert (
        "2 人没有坐标和网格，已按现住址定到村（社区）：该村（社区）只有一个网格，已划入该网格，"
        "列入其网格员的走访清单（没有居住位置坐标，仍不上地图）"
    ) in said
    assert "1 人没有坐标和网格，按现住址或所属社区只能定到村（社区），而所在的" in said
    assert f"甲二镇{TWO_NAME}（2 个网格）有多个网格，无法据此划入网格" in said
    # the warning of the unplaced stays: no point is made up for the map
    assert "3 名在册人员全部未落图（没有居住位置坐标），不会出现在地图上；1 人未划入网格" in said

    persons = _persons(database)
    for name in ("试点甲", "试点乙"):
        assert persons[name][:3] == (ONE, ONE_GRID, None)
    assert persons["试点丙"][:3] == (TWO, None, None)
    assert "试点丁" not in persons

    # on the grid worker's 走访 list, through the API
    listed = api_client.get(VISITS, params={"status": "all"}, headers=villages.worker_headers)
    assert listed.status_code == 200, listed.text
    ids = {p["id"] for p in listed.json()["persons"]}
    assert ids == {persons["试点甲"][3], persons["试点乙"][3]}

    # the same roster again changes nothing
    again = _import(database, api_world, roster)
    assert again.committed, again.problems
    assert again.counts is not None
    assert (again.counts.inserted, again.counts.updated) == (0, 0)
    assert "已划入该网格" not in "".join(again.notes)
    assert _persons(database) == persons
