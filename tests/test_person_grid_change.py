# ruff: noqa: F811 - pytest fixtures imported from tests.api_fixtures
"""A registered person put into a grid from the console: ``POST /api/persons/{id}/grid``.

A person registered by their words in a village of several grids may be saved with no grid
(暂不划入网格), on no worker's 走访 list; a roster may give the wrong grid. The township's,
the village's or the county's operator now puts them into a grid of the scope, names their
帮扶责任人 among the grid's workers (``GET /api/persons/grid-workers``), audited under the person
with codes and no name; the new grid's worker then has them on his list, and a move to another
township takes the visits along (migration 0043).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import make_resident_id, mask_resident_id
from layers.china_time import CHINA
from layers.secrets import hash_resident_id, seal
from tests.api_fixtures import VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
_SERIAL = count(1)
TODAY = datetime.now(CHINA).date()
V0_GRID1, V0_GRID2 = f"{VILLAGES[0]}001", f"{VILLAGES[0]}002"


@pytest.fixture
def unplaced(api_world: ApiWorld, database: SuiteDatabase) -> Iterator[Callable[..., int]]:
    """Put a fresh person on record in village 0 with no grid and no point: their id.

    As the console saves a person placed by their words with 暂不划入网格; removed after.
    """
    ids: list[int] = []

    def made(grid: str | None = None) -> int:
        serial = next(_SERIAL)
        resident_id = make_resident_id("460105", date(1980, 5, 6), 300 + serial, "M")
        with Session(database.owner) as session, session.begin():
            pid = session.execute(
                text(
                    "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                    " management_level, attributes, area_code, grid_code, on_record_since)"
                    " VALUES ('drug', '赵划网', :h, :m, :s, 2, '{}', :v, :g, :since) RETURNING id"
                ),
                {
                    "h": hash_resident_id(api_world.keys, resident_id),
                    "m": mask_resident_id(resident_id),
                    "s": seal(api_world.keys, resident_id),
                    "v": VILLAGES[0],
                    "g": grid,
                    "since": TODAY - timedelta(days=200),
                },
            ).scalar_one()
        ids.append(int(pid))
        return int(pid)

    yield made
    with Session(database.owner) as session, session.begin():
        session.execute(text("DELETE FROM persons WHERE id = ANY(:ids)"), {"ids": ids})


def _worker_list(client: TestClient, headers: dict[str, str]) -> list[int]:
    listed = client.get("/api/persons/visits?status=all&mine=true&limit=1000", headers=headers)
    assert listed.status_code == 200, listed.text
    return [p["id"] for p in listed.json()["persons"]]


def _entries(client: TestClient, headers: Headers, pid: int) -> list[dict[str, Any]]:
    page = client.get(
        "/api/audit",
        params={"object_type": "person", "object_id": str(pid)},
        headers=headers("auditor"),
    )
    assert page.status_code == 200, page.text
    return page.json()["entries"]  # type: ignore[no-any-return]


def test_a_person_without_a_grid_is_put_into_one_and_on_its_workers_list(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    unplaced: Callable[..., int],
) -> None:
    pid = unplaced()
    worker = auth_headers("worker_v0")  # the worker of grid 001 of village 0
    assert pid not in _worker_list(api_client, worker)
    dispatcher = auth_headers("disp_a1")
    grids = api_client.get(f"/api/persons/{pid}/grids", headers=dispatcher)
    assert grids.status_code == 200, grids.text
    body = grids.json()
    assert (body["area_code"], body["grid_code"], body["village"]) == (
        VILLAGES[0],
        None,
        VILLAGES[0],
    )
    assert [g["code"] for g in body["grids"]] == [f"{VILLAGES[0]}{n:03d}" for n in range(1, 9)]
    assert "赵" not in grids.text  # no name read
    # the grid's workers first, as the registration form offers them for a point
    offered = api_client.get(f"/api/persons/grid-workers?grid={V0_GRID1}", headers=dispatcher)
    assert offered.status_code == 200, offered.text
    candidates = offered.json()["candidates"]
    assert candidates and candidates[0]["of_grid"] is True
    ours = [c["id"] for c in candidates if c["of_grid"]]
    with Session(database.owner) as session:
        home = session.scalars(
            text("SELECT id FROM workers WHERE home_grid = :g AND status <> 'left'"),
            {"g": V0_GRID1},
        ).all()
    assert sorted(ours) == sorted(home)
    village_only = api_client.get(
        f"/api/persons/grid-workers?area={VILLAGES[0]}", headers=dispatcher
    )
    assert village_only.status_code == 200 and village_only.json()["grid_code"] is None

    put = api_client.post(
        f"/api/persons/{pid}/grid",
        json={"grid_code": V0_GRID1, "responsible_ids": []},
        headers=dispatcher,
    )
    assert put.status_code == 200, put.text
    assert put.json()["message"] == (
        f"已将 赵** 划入 {put.json()['area_name']} {put.json()['grid_name']}，"
        "已列入该网格网格员的走访名单"
    )
    assert pid in _worker_list(api_client, worker)
    entry = next(e for e in _entries(api_client, auth_headers, pid) if e["action"] == "person.grid")
    assert entry["outcome"] == "ok" and entry["actor_name"] == "t46_disp_a1"
    assert entry["detail"]["from_grid"] is None and entry["detail"]["grid_code"] == V0_GRID1
    assert entry["texts"]["action"] == "划入或调整网格"
    assert "赵划网" not in str(entry)

    # 调整网格: to grid 002, one of its workers named; the worker of 001 no longer holds them
    other = api_client.get(f"/api/persons/grid-workers?grid={V0_GRID2}", headers=dispatcher)
    named = next(c["id"] for c in other.json()["candidates"] if c["of_grid"])
    moved = api_client.post(
        f"/api/persons/{pid}/grid",
        json={"grid_code": V0_GRID2, "responsible_ids": [named]},
        headers=dispatcher,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["message"].startswith("已将 赵** 调整到 ")
    assert moved.json()["message"].endswith("帮扶责任人 1 名")
    assert pid not in _worker_list(api_client, worker)
    again = api_client.get(f"/api/persons/{pid}/grids", headers=dispatcher).json()
    assert (again["grid_code"], again["responsible_ids"]) == (V0_GRID2, [named])
    # the same again: nothing to change, said in Chinese and audited
    same = api_client.post(
        f"/api/persons/{pid}/grid",
        json={"grid_code": V0_GRID2, "responsible_ids": [named]},
        headers=dispatcher,
    )
    assert same.status_code == 422, same.text
    assert "帮扶责任人也未改变" in same.json()["detail"]
    refused = _entries(api_client, auth_headers, pid)[0]
    assert (refused["action"], refused["outcome"]) == ("person.grid", "failed")


def test_a_move_to_another_township_takes_the_visits_along(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    unplaced: Callable[..., int],
) -> None:
    pid = unplaced(grid=V0_GRID1)
    visited = TODAY - timedelta(days=5)
    with Session(database.owner) as session, session.begin():
        session.execute(
            text(
                "INSERT INTO person_visits (person_id, area_code, visited_on, note)"
                " VALUES (:id, :v, :day, '上门走访')"
            ),
            {"id": pid, "v": VILLAGES[0], "day": visited},
        )
    township = auth_headers("disp_a1")
    # a township's operator lists the grids of its scope only
    other_town = f"{VILLAGES[2]}001"
    refused = api_client.post(
        f"/api/persons/{pid}/grid", json={"grid_code": other_town}, headers=township
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == f"网格 {other_town} 不存在、已撤销或不在您的辖区内"
    assert (
        api_client.get(f"/api/persons/{pid}/grids?village={VILLAGES[2]}", headers=township)
    ).status_code == 404
    county = auth_headers("cmd_a")
    listed = api_client.get(f"/api/persons/{pid}/grids?village={VILLAGES[2]}", headers=county)
    assert listed.status_code == 200, listed.text
    assert listed.json()["village"] == VILLAGES[2] and listed.json()["area_code"] == VILLAGES[0]
    moved = api_client.post(
        f"/api/persons/{pid}/grid", json={"grid_code": other_town}, headers=county
    )
    assert moved.status_code == 200, moved.text
    assert "已转入另一乡镇（街道）：走访记录随人员转入" in moved.json()["message"]
    with Session(database.owner) as session:
        row = session.execute(
            text("SELECT area_code, grid_code FROM persons WHERE id = :id"), {"id": pid}
        ).one()
    assert (row.area_code, row.grid_code) == (VILLAGES[2], other_town)
    # the old township no longer sees the person; the county's list keeps the last visit
    assert api_client.get(f"/api/persons/{pid}/grids", headers=township).status_code == 404
    due = api_client.get(
        f"/api/persons/visits?status=all&place={other_town}&limit=1000", headers=county
    )
    person = next(p for p in due.json()["persons"] if p["id"] == pid)
    assert person["last_visit"] == visited.isoformat()


@pytest.mark.parametrize(
    ("who", "status", "told"),
    [
        ("worker_v0", 403, "网格员不能调整人员的网格"),
        ("cmd_city", 403, "账号只查看特殊人群统计数，不能调整人员的网格"),
        ("disp_b1", 404, "该人员不存在或不在您的辖区内"),
    ],
)
def test_others_are_refused_in_chinese(
    api_client: TestClient,
    auth_headers: Headers,
    unplaced: Callable[..., int],
    who: str,
    status: int,
    told: str,
) -> None:
    pid = unplaced()
    answer = api_client.post(
        f"/api/persons/{pid}/grid", json={"grid_code": V0_GRID1}, headers=auth_headers(who)
    )
    assert answer.status_code == status, answer.text
    assert told in answer.json()["detail"]


def test_a_responsible_out_of_range_is_refused_as_input(
    api_client: TestClient, auth_headers: Headers, unplaced: Callable[..., int]
) -> None:
    pid = unplaced()
    answer = api_client.post(
        f"/api/persons/{pid}/grid",
        json={"grid_code": V0_GRID1, "responsible_ids": [2**64]},
        headers=auth_headers("disp_a1"),
    )
    assert answer.status_code == 422, answer.text


def test_a_person_off_the_register_keeps_their_place(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    unplaced: Callable[..., int],
) -> None:
    pid = unplaced()
    with Session(database.owner) as session, session.begin():
        session.execute(
            text("UPDATE persons SET ended_on = :d, ended_reason = '死亡' WHERE id = :id"),
            {"id": pid, "d": TODAY},
        )
    answer = api_client.post(
        f"/api/persons/{pid}/grid", json={"grid_code": V0_GRID1}, headers=auth_headers("disp_a1")
    )
    assert answer.status_code == 409, answer.text
    assert answer.json()["detail"].endswith("不能调整网格")
