"""Whose visits are due, person by person, and a visit the worker records (trial AB S2, S3).

Trial AB (a township 综治专干's week with the special-population records) found that nobody could
see *whose* visits were due, only counts (走访超期 251), and that a grid worker could not record
a visit at all: visits came only from a clerk's spreadsheet. ``GET /api/persons/visits`` lists
the persons, masked, the most overdue first, to those who see persons one by one (audited as a
page of the layer); ``POST /api/persons/{id}/visits`` records a visit by the account's worker.
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from layers.china_time import CHINA
from layers.department_scope import COMMAND_VIEW_REFUSED
from tests.api_fixtures import COUNTY_A, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
VISITS = "/api/persons/visits"


@dataclass(frozen=True)
class Followed:
    """The persons the test plays with: ``mine`` names the test worker as its responsible."""

    mine: int
    other: int
    outside: int
    worker_id: int
    interval: int
    today: date


def _village_persons(world: ApiWorld, village: str) -> list[int]:
    return sorted(int(fid) for fid, area in world.objects["persons"].items() if area == village)


@pytest.fixture
def followed(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[Followed]:
    """Two persons of the worker's village (one his, overdue), one of another county; undone."""
    villages = sorted(set(api_world.objects["persons"].values()))
    mine, other = _village_persons(api_world, villages[0])[:2]
    outside = next(
        int(fid) for fid, area in api_world.objects["persons"].items() if area[:6] != COUNTY_A[:6]
    )
    today = datetime.now(UTC).astimezone(CHINA).date()
    with database.owner.begin() as db:
        worker_id = db.scalar(text("SELECT worker_id FROM users WHERE username = 't46_worker_v0'"))
        added_rule = db.scalar(
            text(
                "INSERT INTO visit_rules VALUES ('released', 2, 30) ON CONFLICT DO NOTHING"
                " RETURNING interval_days"
            )
        )
        interval = db.scalar(
            text(
                "SELECT interval_days FROM visit_rules WHERE category = 'released'"
                " AND management_level = 2"
            )
        )
        db.execute(
            text(
                "INSERT INTO person_responsibles (person_id, worker_id, area_code, duty)"
                " SELECT id, :w, area_code, '帮扶责任人' FROM persons WHERE id = :p"
            ),
            {"p": mine, "w": worker_id},
        )
        # on record long ago, never visited: overdue by 10 days
        db.execute(
            text("UPDATE persons SET on_record_since = :since WHERE id = :p"),
            {"p": mine, "since": today - timedelta(days=interval + 10)},
        )
    try:
        yield Followed(mine, other, outside, int(worker_id), int(interval), today)
    finally:
        with database.owner.begin() as db:
            db.execute(
                text("DELETE FROM person_visits WHERE person_id IN (:a, :b, :c)"),
                {"a": mine, "b": other, "c": outside},
            )
            db.execute(
                text("DELETE FROM person_responsibles WHERE person_id = :p AND worker_id = :w"),
                {"p": mine, "w": worker_id},
            )
            db.execute(
                text(
                    "UPDATE persons SET on_record_since = :t, ended_on = NULL,"
                    " ended_reason = NULL WHERE id IN (:a, :b)"
                ),
                {"a": mine, "b": other, "t": today},
            )
            if added_rule is not None:
                db.execute(
                    text(
                        "DELETE FROM visit_rules WHERE category = 'released'"
                        " AND management_level = 2"
                    )
                )


def _audit(database: SuiteDatabase, action: str, username: str) -> list[tuple[str, str, dict]]:
    with database.owner.connect() as db:
        rows = db.execute(
            text(
                "SELECT outcome, coalesce(object_id, ''), coalesce(detail, '{}'::jsonb)"
                " FROM audit_log WHERE action = :a AND actor_name = :u ORDER BY id"
            ),
            {"a": action, "u": username},
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def test_the_county_lists_whose_visits_are_due_masked_and_audited(
    api_client: TestClient,
    auth_headers: Headers,
    api_world: ApiWorld,
    followed: Followed,
    database: SuiteDatabase,
) -> None:
    reads = len(_audit(database, "layer.read", "t46_cmd_a"))
    listed = api_client.get(VISITS, headers=auth_headers("cmd_a"))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["mine"] is False
    people = {p["id"]: p for p in body["persons"]}
    # the overdue person first; the others are on record today, not due within the week
    assert list(people) == [followed.mine]
    assert body["overdue"] == 1 and body["matched"] == 1
    assert body["followed"] == len(api_world.in_scope("persons", COUNTY_A))
    due = people[followed.mine]
    assert due["overdue"] is True and due["last_visit"] is None
    assert due["due_on"] == (followed.today - timedelta(days=10)).isoformat()
    assert due["overdue_days"] == 10
    name = api_world.names[followed.mine]
    assert due["name_masked"] == name[0] + "*" * (len(name) - 1)
    assert api_world.resident_ids[followed.mine] not in listed.text
    assert name not in listed.text
    assert "帮扶责任人" in due["responsibles"]
    # everyone followed, on request: the county's persons only
    everyone = api_client.get(VISITS + "?status=all", headers=auth_headers("cmd_a")).json()
    assert {str(p["id"]) for p in everyone["persons"]} == api_world.in_scope("persons", COUNTY_A)
    assert followed.outside not in {p["id"] for p in everyone["persons"]}
    entries = _audit(database, "layer.read", "t46_cmd_a")[reads:]
    assert [(e[0], e[2]["collection"], e[2]["returned"], e[2]["view"]) for e in entries] == [
        ("ok", "persons", 1, "visits"),  # told apart from the map's reads (trial AC)
        ("ok", "persons", len(everyone["persons"]), "visits"),
    ]


def test_the_list_is_narrowed_to_a_place_or_a_category_and_read_page_by_page(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, followed: Followed
) -> None:
    # trial AC: 全部在册人员 showed the first 200 of 2,653, with no way to the others
    county = api_world.in_scope("persons", COUNTY_A)
    body = api_client.get(VISITS + "?status=all", headers=auth_headers("cmd_a")).json()
    # the county's townships, the one with the overdue person first
    mine_town = api_world.objects["persons"][str(followed.mine)][:9] + "000"
    by_town: dict[str, int] = {}
    for fid in county:
        town = api_world.objects["persons"][fid][:9] + "000"
        by_town[town] = by_town.get(town, 0) + 1
    assert [(c["code"], c["followed"], c["overdue"]) for c in body["places"]] == sorted(
        ((town, n, int(town == mine_town)) for town, n in by_town.items()),
        key=lambda t: (-t[2], -t[1], t[0]),
    )
    assert all(c["name"] for c in body["places"])
    # one village: its persons only, and the counts are of that village
    village = api_world.objects["persons"][str(followed.other)]
    there = api_client.get(
        VISITS, params={"status": "all", "place": village}, headers=auth_headers("cmd_a")
    ).json()
    assert {p["id"] for p in there["persons"]} == set(_village_persons(api_world, village))
    assert (there["followed"], there["overdue"]) == (len(_village_persons(api_world, village)), 1)
    # one grid
    grid = next(p["grid_code"] for p in there["persons"] if p["id"] == followed.other)
    one_grid = api_client.get(
        VISITS, params={"status": "all", "place": grid}, headers=auth_headers("cmd_a")
    ).json()
    assert [p["id"] for p in one_grid["persons"]] == [followed.other]
    # a category nobody of the county is in
    none = api_client.get(
        VISITS, params={"status": "all", "category": "drug"}, headers=auth_headers("cmd_a")
    ).json()
    assert (none["persons"], none["followed"], none["places"]) == ([], 0, [])
    # page by page: the pages are the whole list, in its order, each person once
    pages = [
        api_client.get(
            VISITS,
            params={"status": "all", "limit": 2, "offset": offset},
            headers=auth_headers("cmd_a"),
        ).json()
        for offset in range(0, len(county), 2)
    ]
    assert [p["id"] for page in pages for p in page["persons"]] == [
        p["id"] for p in body["persons"]
    ]
    assert {page["matched"] for page in pages} == {len(county)}
    assert pages[0]["places"] == body["places"] and pages[0]["workers"] == body["workers"]
    assert all(page["places"] == page["workers"] == [] for page in pages[1:])  # first page only


def test_a_township_sees_whose_visits_lag_and_reads_one_workers_list(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    followed: Followed,
) -> None:
    # the test world's persons live in grids no worker has; the test worker is named to one
    body = api_client.get(VISITS + "?status=all", headers=auth_headers("cmd_a")).json()
    assert body["worker"] is None
    assert [
        (w["id"], w["name"], w["role"], w["followed"], w["overdue"]) for w in body["workers"]
    ] == [(followed.worker_id, "网格员00", "grid_worker", 1, 1)]
    his = api_client.get(
        VISITS,
        params={"status": "all", "worker": followed.worker_id},
        headers=auth_headers("cmd_a"),
    ).json()
    assert [p["id"] for p in his["persons"]] == [followed.mine]
    assert (his["worker"], his["mine"], his["followed"], his["overdue"]) == (
        followed.worker_id,
        False,
        1,
        1,
    )
    # a person of his grid is his too, beside the one named to him
    with database.owner.begin() as db:
        grid = db.scalar(text("SELECT grid_code FROM persons WHERE id = :p"), {"p": followed.other})
        db.execute(
            text(
                "UPDATE persons SET grid_code = (SELECT home_grid FROM workers WHERE id = :w)"
                " WHERE id = :p"
            ),
            {"w": followed.worker_id, "p": followed.other},
        )
    try:
        both = api_client.get(
            VISITS,
            params={"status": "all", "worker": followed.worker_id},
            headers=auth_headers("cmd_a"),
        ).json()
        assert {p["id"] for p in both["persons"]} == {followed.mine, followed.other}
        counted = {w["id"]: (w["followed"], w["overdue"]) for w in both["workers"]}
        assert counted[followed.worker_id] == (2, 1)
    finally:
        with database.owner.begin() as db:
            db.execute(
                text("UPDATE persons SET grid_code = :g WHERE id = :p"),
                {"g": grid, "p": followed.other},
            )
    unknown = api_client.get(VISITS, params={"worker": 999999}, headers=auth_headers("cmd_a"))
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "网格员（编号 999999）不存在或不在您的辖区"


def test_the_badge_reads_the_counts_without_the_places_and_workers(
    api_client: TestClient, auth_headers: Headers, followed: Followed
) -> None:
    """``choices=false`` (the tab's badge) leaves out what the first page offers to narrow to."""
    query = {"status": "overdue", "limit": 1}
    full = api_client.get(VISITS, params=query, headers=auth_headers("cmd_a")).json()
    badge = api_client.get(
        VISITS, params=query | {"choices": "false"}, headers=auth_headers("cmd_a")
    ).json()
    assert full["places"] and full["workers"]
    assert badge["places"] == badge["workers"] == []
    rest = ("places", "workers")
    assert {k: v for k, v in badge.items() if k not in rest} == {
        k: v for k, v in full.items() if k not in rest
    }
    assert (badge["overdue"], [p["id"] for p in badge["persons"]]) == (1, [followed.mine])


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"place": "460106001001"}, "不是您辖区内的村（社区）或网格"),  # county B's village
        ({"place": "46010500100"}, "不是您辖区内的村（社区）或网格"),
        ({"category": "nobody"}, "人员类别无效"),
    ],
)
def test_a_place_off_the_scope_or_an_unknown_category_is_refused(
    api_client: TestClient, auth_headers: Headers, params: dict[str, str], says: str
) -> None:
    refused = api_client.get(VISITS, params=params, headers=auth_headers("cmd_a"))
    assert refused.status_code == 422
    assert says in refused.json()["detail"]


@pytest.mark.parametrize("who", ["cmd_city", "analyst_a", "dept_a"])
def test_those_who_see_persons_as_counts_get_no_list(
    api_client: TestClient, auth_headers: Headers, followed: Followed, who: str
) -> None:
    refused = api_client.get(VISITS, headers=auth_headers(who))
    assert refused.status_code == 403
    said = COMMAND_VIEW_REFUSED if who == "dept_a" else "您的角色或层级不能查看特殊人群名单"
    assert refused.json()["detail"].startswith(said)  # a department: sent to its desk
    visit = api_client.post(
        f"/api/persons/{followed.mine}/visits", json={}, headers=auth_headers(who)
    )
    assert visit.status_code == 403
    assert visit.json()["detail"].startswith(said)


def test_a_worker_records_his_visit_and_the_person_is_due_again_later(
    api_client: TestClient,
    auth_headers: Headers,
    followed: Followed,
    database: SuiteDatabase,
) -> None:
    worker = auth_headers("worker_v0")
    mine = api_client.get(VISITS, headers=worker).json()
    assert mine["mine"] is True and mine["followed"] == 1
    assert [p["id"] for p in mine["persons"]] == [followed.mine]
    village = api_client.get(VISITS + "?mine=false&status=all", headers=worker).json()
    assert {p["id"] for p in village["persons"]} >= {followed.mine, followed.other}

    day = followed.today - timedelta(days=2)
    recorded = api_client.post(
        f"/api/persons/{followed.mine}/visits",
        json={"visited_on": day.isoformat(), "note": "  在家，情绪稳定  "},
        headers=worker,
    )
    assert recorded.status_code == 201, recorded.text
    visit = recorded.json()
    assert visit["already"] is False and visit["visited_on"] == day.isoformat()
    assert visit["due_on"] == (day + timedelta(days=followed.interval)).isoformat()
    again = api_client.post(
        f"/api/persons/{followed.mine}/visits",
        json={"visited_on": day.isoformat()},
        headers=worker,
    )
    assert again.status_code == 201 and again.json()["already"] is True
    assert again.json()["id"] == visit["id"]
    with database.owner.connect() as db:
        rows = db.execute(
            text(
                "SELECT visitor_id, visited_on, note, import_id, area_code FROM person_visits"
                " WHERE person_id = :p"
            ),
            {"p": followed.mine},
        ).all()
    assert [tuple(r) for r in rows] == [
        (followed.worker_id, day, "在家，情绪稳定", None, rows[0].area_code)
    ]
    assert _audit(database, "visit.record", "t46_worker_v0")[-1][:2] == ("ok", str(followed.mine))

    after = api_client.get(VISITS, headers=worker).json()
    assert after["overdue"] == 0
    assert followed.mine not in {p["id"] for p in after["persons"]}
    listed = api_client.get(VISITS + "?status=all", headers=worker).json()["persons"]
    assert listed[0]["last_visit"] == day.isoformat()
    # the popup's figures, from the persons layer
    feature = api_client.get(
        f"/ogc/collections/persons/items/{followed.mine}", headers=worker
    ).json()
    assert feature["properties"]["last_visit"] == day.isoformat()
    assert feature["properties"]["visit_due"] == visit["due_on"]


@pytest.mark.parametrize(
    ("days_back", "says"),
    [(-1, "不能晚于今天"), (31, "走访记录导入")],
)
def test_a_visit_out_of_the_days_a_worker_may_record_is_refused(
    api_client: TestClient, auth_headers: Headers, followed: Followed, days_back: int, says: str
) -> None:
    day = followed.today - timedelta(days=days_back)
    refused = api_client.post(
        f"/api/persons/{followed.mine}/visits",
        json={"visited_on": day.isoformat()},
        headers=auth_headers("worker_v0"),
    )
    assert refused.status_code == 422
    assert says in refused.json()["detail"]


def test_a_visit_is_refused_without_a_worker_record_out_of_scope_or_off_the_register(
    api_client: TestClient,
    auth_headers: Headers,
    followed: Followed,
    database: SuiteDatabase,
) -> None:
    commander = api_client.post(
        f"/api/persons/{followed.mine}/visits", json={}, headers=auth_headers("cmd_a")
    )
    assert commander.status_code == 403
    assert "未关联网格员名册记录" in commander.json()["detail"]
    assert _audit(database, "visit.record", "t46_cmd_a")[-1][:2] == ("denied", str(followed.mine))

    outside = api_client.post(
        f"/api/persons/{followed.outside}/visits", json={}, headers=auth_headers("worker_v0")
    )
    assert outside.status_code == 404

    with database.owner.begin() as db:
        db.execute(
            text("UPDATE persons SET ended_on = :d, ended_reason = '迁出' WHERE id = :p"),
            {"d": followed.today - timedelta(days=3), "p": followed.other},
        )
    ended = api_client.post(
        f"/api/persons/{followed.other}/visits", json={}, headers=auth_headers("worker_v0")
    )
    assert ended.status_code == 409
    assert "迁出" in ended.json()["detail"]
    with database.owner.connect() as db:
        written = db.scalar(
            text("SELECT count(*) FROM person_visits WHERE person_id IN (:a, :b, :c)"),
            {"a": followed.mine, "b": followed.other, "c": followed.outside},
        )
    assert written == 0


def test_me_says_who_sees_persons_one_by_one(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld
) -> None:
    sees = {
        key: api_client.get("/api/me", headers=auth_headers(key)).json()["sees_persons"]
        for key in ("cmd_a", "disp_a1", "worker_v0", "cmd_city", "analyst_a", "dept_a", "admin")
    }
    assert sees == {
        "cmd_a": True,
        "disp_a1": True,
        "worker_v0": True,
        "cmd_city": False,
        "analyst_a": False,
        "dept_a": False,
        "admin": False,
    }


def test_an_unmasked_read_gives_the_address_and_the_last_visits(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, followed: Followed
) -> None:
    """Trial AB: the unmask showed the name and ID only; the record holds more."""
    day = followed.today - timedelta(days=1)
    recorded = api_client.post(
        f"/api/persons/{followed.mine}/visits",
        json={"visited_on": day.isoformat(), "note": "谈心，无异常"},
        headers=auth_headers("worker_v0"),
    )
    assert recorded.status_code == 201, recorded.text
    clear = api_client.post(
        f"/api/persons/{followed.mine}/unmasked",
        json={"reason": "核实走访对象身份"},
        headers=auth_headers("cmd_a_unmask"),
    )
    assert clear.status_code == 200, clear.text
    body = clear.json()
    assert body["name"] == api_world.names[followed.mine]
    assert body["address"] == "测试地址"
    assert body["on_record_since"] is not None
    worker = api_client.get("/api/me", headers=auth_headers("worker_v0")).json()
    assert worker["worker_id"] == followed.worker_id
    assert [(v["visited_on"], v["note"]) for v in body["visits"]] == [
        (day.isoformat(), "谈心，无异常")
    ]
    assert body["visits"][0]["visitor"]  # the worker's name


def test_each_row_names_its_grids_workers_and_same_named_workers_are_told_apart(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, followed: Followed
) -> None:
    """Trial AF M1, M2: a worker's list held persons whose rows never named him.

    A worker follows everyone of his home grid besides the persons he is named for; the rows
    named only the latter, and a person registered with 不指定 (no one named) no one at all. Each
    row now names its grid's workers too (not one who left), and each worker to narrow to comes
    with his grid and 村（社区）: a township has hundreds, some of the same name.
    """
    with database.owner.begin() as db:
        grid, village = db.execute(
            text("SELECT grid_code, area_code FROM persons WHERE id = :p"), {"p": followed.other}
        ).one()
        added = {
            name: db.scalar(
                text(
                    "INSERT INTO workers (name, role, home_grid, area_code, status, unit)"
                    " VALUES (:n, :r, :g, :a, :s, '测试单位') RETURNING id"
                ),
                {"n": name, "r": role, "g": grid, "a": village, "s": status},
            )
            for name, role, status in (
                ("罗测福", "grid_worker", "on_duty"),
                ("刘测娟", "part_time", "off_duty"),
                ("网格员00", "part_time", "on_duty"),  # the test worker's name, another grid
                ("离职甲", "grid_worker", "left"),
            )
        }
    try:
        body = api_client.get(VISITS + "?status=all", headers=auth_headers("cmd_a")).json()
        rows = {p["id"]: p for p in body["persons"]}
        # the person nobody is named for: his grid's workers, in pinyin order, not the one who left
        unnamed = rows[followed.other]
        assert unnamed["responsibles"] is None
        assert unnamed["grid_workers"] == "刘测娟、罗测福、网格员00"
        # the person named to the test worker, in a grid nobody works in
        named = rows[followed.mine]
        assert (named["responsibles"], named["grid_workers"]) == ("网格员00（帮扶责任人）", None)
        # the two 网格员00 told apart by their grids, both of the village
        same = sorted(
            (w["grid_name"], w["area_code"], w["role"], w["followed"])
            for w in body["workers"]
            if w["name"] == "网格员00"
        )
        assert same == [
            ("测试村1第1网格", village, "grid_worker", 1),
            ("测试村1第8网格", village, "part_time", 1),
        ]
        assert {w["area_name"] for w in body["workers"] if w["name"] == "网格员00"} == {
            unnamed["area_name"]
        }
        listed = {w["id"]: w for w in body["workers"]}
        assert listed[added["刘测娟"]]["unit"] == "测试单位"
        assert added["离职甲"] not in listed
        # each worker's list: every row names him, as named responsible or of the grid
        for worker_id in (followed.worker_id, *added.values()):
            his = api_client.get(
                VISITS, params={"status": "all", "worker": worker_id}, headers=auth_headers("cmd_a")
            ).json()
            name = listed[worker_id]["name"] if worker_id in listed else "离职甲"
            for row in his["persons"]:
                assert name in f"{row['responsibles']}；{row['grid_workers']}", (name, row)
            expected = {
                followed.worker_id: [followed.mine],
                added["离职甲"]: [],  # who left follows his grid no more
            }.get(worker_id, [followed.other])
            assert [p["id"] for p in his["persons"]] == expected
    finally:
        with database.owner.begin() as db:
            db.execute(
                text("DELETE FROM workers WHERE id = ANY(:ids)"), {"ids": list(added.values())}
            )
