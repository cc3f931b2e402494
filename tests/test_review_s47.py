# ruff: noqa: F811 - pytest fixtures imported from tests.test_person_move_visits
"""A privacy and scoping review of session 47's new endpoints, as attacks that must be refused.

What the helpers' own tests leave out: every role that is not an operator of a county or below
on the persons' new reads and on 划入网格 (``GET /api/persons/villages``, ``/village``,
``/grid-workers``, ``/{id}/grids``, ``POST /api/persons/{id}/grid``) and on the persons in
view (no counts per grid for a reader of counts only), another county's
person, grid and village answered as one that does not exist (no name of theirs, no oracle),
a retired grid, a code that is not a village's, the command map's points of persons in view
(``GET /api/command/{code}/points/persons``) read by a township and a village in their scope
only and audited as a page of the layer is, malformed boxes refused (4xx, never 500), and
``zongzhi_visitors_of``, a SECURITY DEFINER function, called by the app role directly for a
person its scope does not hold.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.api_fixtures import COUNTY_A, TOWN_A1, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase
from tests.test_person_move_visits import NEW_TOWN, OLD_TOWN, Moved, _as, moved  # noqa: F401
from tests.workflow_data import township

Headers = Callable[[str], dict[str, str]]
V0_GRID = f"{VILLAGES[0]}001"
B_GRID = f"{VILLAGES[3]}001"  # county B's
NOT_OPERATORS = (
    "admin",
    "auditor",
    "cmd_province",
    "cmd_city",
    "dept_a",
    "analyst_city",
    "analyst_a",
)
"""Accounts that read no person one by one (or no business data): refused everywhere here."""


def _person_of(database: SuiteDatabase, village: str) -> tuple[int, str, str | None]:
    with Session(database.owner) as session:
        row = session.execute(
            text(
                "SELECT id, name, grid_code FROM persons WHERE area_code = :v"
                " AND ended_on IS NULL ORDER BY id LIMIT 1"
            ),
            {"v": village},
        ).one()
    return int(row.id), str(row.name), row.grid_code


@pytest.mark.parametrize("who", NOT_OPERATORS)
def test_accounts_that_read_no_person_one_by_one_are_refused_every_new_read_and_the_move(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, who: str
) -> None:
    pid, name, grid = _person_of(database, VILLAGES[0])
    headers = auth_headers(who)
    reads = [
        "/api/persons/villages",
        f"/api/persons/village?community={VILLAGES[0]}",
        f"/api/persons/grid-workers?grid={V0_GRID}",
        f"/api/persons/{pid}/grids",
        # no counts per grid either: a grid's 1 or 2 would name them (the tiles withhold those)
        f"/api/command/{COUNTY_A}/points/persons?bbox=100,10,120,30&limit=1",
    ]
    for url in reads:
        answer = api_client.get(url, headers=headers)
        assert answer.status_code == 403, (url, answer.text)
        assert VILLAGES[0] not in answer.text and name not in answer.text
        assert "numberMatched" not in answer.text
    other = f"{VILLAGES[0]}00{8 if grid != f'{VILLAGES[0]}008' else 7}"
    moved = api_client.post(f"/api/persons/{pid}/grid", json={"grid_code": other}, headers=headers)
    assert moved.status_code == 403, moved.text
    assert _person_of(database, VILLAGES[0]) == (pid, name, grid)


def test_another_county_s_person_grid_and_village_are_answered_as_ones_that_do_not_exist(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, api_world: ApiWorld
) -> None:
    pid_b, name_b, _ = _person_of(database, VILLAGES[3])
    with Session(database.owner) as session:
        workers_b = session.scalars(
            text("SELECT name FROM workers WHERE area_code LIKE '460106%'")
        ).all()
    headers = auth_headers("cmd_a")
    nowhere_village, nowhere_grid = "460105001099", "460105001001099"
    pairs = [
        (
            f"/api/persons/grid-workers?grid={B_GRID}",
            f"/api/persons/grid-workers?grid={nowhere_grid}",
        ),
        (
            f"/api/persons/grid-workers?area={VILLAGES[3]}",
            f"/api/persons/grid-workers?area={nowhere_village}",
        ),
        (
            f"/api/persons/village?community={VILLAGES[3]}",
            f"/api/persons/village?community={nowhere_village}",
        ),
        (f"/api/persons/{pid_b}/grids", f"/api/persons/{2**62}/grids"),
    ]
    for theirs, nobody_s in pairs:
        answer = api_client.get(theirs, headers=headers)
        unknown = api_client.get(nobody_s, headers=headers)
        assert answer.status_code == unknown.status_code and answer.status_code in (404, 422)
        told = answer.json()["detail"].replace(B_GRID, nowhere_grid)
        assert told == unknown.json()["detail"]
        assert name_b not in answer.text and not any(w in answer.text for w in workers_b)
        assert "乙" not in answer.text  # county B's units are 乙…
    moved = api_client.post(
        f"/api/persons/{pid_b}/grid", json={"grid_code": B_GRID}, headers=headers
    )
    assert moved.status_code == 404 and moved.json()["detail"] == "该人员不存在或不在您的辖区内"
    # a grid of county B for a person of county A: refused as input, nothing moved
    pid_a, name_a, grid_a = _person_of(database, VILLAGES[0])
    into_b = api_client.post(
        f"/api/persons/{pid_a}/grid", json={"grid_code": B_GRID}, headers=headers
    )
    assert into_b.status_code == 422 and "乙" not in into_b.text
    assert _person_of(database, VILLAGES[0]) == (pid_a, name_a, grid_a)


@pytest.mark.parametrize(
    "code",
    [TOWN_A1, COUNTY_A, "460105001099", "46010500100\u0661", "4601050010\uff11\uff11"],
    ids=["township", "county", "none-such", "arabic-indic-digit", "fullwidth-digits"],
)
def test_only_a_village_of_the_scope_lists_its_grids_or_its_workers(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, code: str
) -> None:
    """A township's or the county's code, one on no record, or digits other than 0-9."""
    pid, _, _ = _person_of(database, VILLAGES[0])
    headers = auth_headers("cmd_a")
    for url in (f"/api/persons/{pid}/grids", "/api/persons/grid-workers"):
        key = "village" if "grids" in url else "area"
        answer = api_client.get(url, params={key: code}, headers=headers)
        assert answer.status_code == 404, (url, answer.text)
        assert answer.json()["detail"] == "该村（社区）不存在或不在您的辖区内"
        assert api_client.get(url, params={key: VILLAGES[1]}, headers=headers).status_code == 200


def test_a_retired_grid_is_neither_offered_nor_taken(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase
) -> None:
    pid, name, grid = _person_of(database, VILLAGES[0])
    retired = f"{VILLAGES[0]}00{5 if grid != f'{VILLAGES[0]}005' else 6}"
    headers = auth_headers("disp_a1")
    with Session(database.owner) as session, session.begin():
        session.execute(
            text("UPDATE grids SET retired_on = current_date WHERE code = :g"), {"g": retired}
        )
    try:
        listed = api_client.get(f"/api/persons/{pid}/grids", headers=headers)
        assert listed.status_code == 200 and retired not in listed.text
        offered = api_client.get(f"/api/persons/grid-workers?grid={retired}", headers=headers)
        assert offered.status_code == 422, offered.text
        assert offered.json()["detail"] == f"网格 {retired} 不存在、已撤销或不在您的辖区内"
        taken = api_client.post(
            f"/api/persons/{pid}/grid", json={"grid_code": retired}, headers=headers
        )
        assert taken.status_code == 422, taken.text
        assert _person_of(database, VILLAGES[0]) == (pid, name, grid)
    finally:
        with Session(database.owner) as session, session.begin():
            session.execute(
                text("UPDATE grids SET retired_on = NULL WHERE code = :g"), {"g": retired}
            )


@pytest.mark.parametrize(("who", "scope"), [("disp_a1", TOWN_A1), ("worker_v0", VILLAGES[0])])
def test_persons_in_view_are_the_readers_scope_only_and_their_read_audited(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, who: str, scope: str
) -> None:
    """A box over the whole city gives a township or a village its own persons, audited."""
    url = f"/api/command/{scope}/points/persons?bbox=100,10,120,30"
    page = api_client.get(url + "&limit=2000", headers=auth_headers(who))
    assert page.status_code == 200 and page.json()["shown"] == "points"
    ids = {str(f["id"]) for f in page.json()["features"]}
    assert ids and ids <= api_world.in_scope("persons", scope)
    county = api_client.get(
        f"/api/command/{COUNTY_A}/points/persons?bbox=100,10,120,30&limit=2000",
        headers=auth_headers("cmd_a"),
    )
    assert ids < {str(f["id"]) for f in county.json()["features"]}  # the box holds others
    assert not any(name in page.text for name in api_world.names.values())
    counts = api_client.get(url + "&limit=1", headers=auth_headers(who)).json()
    assert counts["numberMatched"] == len(ids)
    assert all(g["code"].startswith(scope.rstrip("0")) for g in counts["groups"])
    entries = api_client.get(
        "/api/audit",
        params={"action": "layer.read", "object_id": "persons"},
        headers=auth_headers("auditor"),
    ).json()["entries"]
    read = next(e for e in entries if e["actor_name"].endswith(who))
    assert read["detail"]["returned"] == len(ids) and read["detail"]["scope_code"] == scope
    assert not any(name in str(read) for name in api_world.names.values())


@pytest.mark.parametrize(
    "box",
    [
        "nan,20,111,21",
        "110,20,inf,21",
        "-1e400,20,1e400,21",
        "111,21,110,20",
        "110,-91,111,21",
        "110,20,111",
        "a,b,c,d",
        "",
        "0x6e,20,111,21",
    ],
)
def test_a_malformed_box_is_refused_as_a_bad_request_never_a_server_error(
    api_client: TestClient, auth_headers: Headers, box: str
) -> None:
    answer = api_client.get(
        f"/api/command/{COUNTY_A}/points/persons",
        params={"bbox": box},
        headers=auth_headers("cmd_a"),
    )
    assert answer.status_code == 400, answer.text
    assert "地图范围（bbox）" in answer.json()["detail"]
    for limit in ("nan", "0", "1e9", "10001"):
        refused = api_client.get(
            f"/api/command/{COUNTY_A}/points/persons",
            params={"bbox": "110,20,111,21", "limit": limit},
            headers=auth_headers("cmd_a"),
        )
        assert refused.status_code == 422, (limit, refused.text)


def test_the_visitors_function_gives_nothing_of_a_person_outside_the_callers_scope(
    db: Session, moved: Moved
) -> None:
    """Called by the app role directly, as a script with the app's password could."""

    def visitors(scope: str | None) -> list[str]:
        if scope is None:  # the app role with no scope set: row-level security reads nothing
            db.execute(text("RESET ROLE"))
            db.execute(text("SET LOCAL ROLE zongzhi_app"))
            db.execute(text("SELECT set_config('zongzhi.scope_lo', '', true)"))
            db.execute(text("SELECT set_config('zongzhi.scope_hi', '', true)"))
        else:
            _as(db, scope)
        return list(
            db.scalars(
                text("SELECT visitor FROM zongzhi_visitors_of(:p) ORDER BY visit_id"),
                {"p": moved.person},
            )
        )

    assert visitors(NEW_TOWN) == ["李走访（村100-1）", "李走访（村100-1）", "王新"]
    # the township the person left still reads the visits made there, and no visitor by it
    assert visitors(OLD_TOWN) == []
    assert db.scalar(
        text("SELECT count(*) FROM person_visits WHERE person_id = :p"), {"p": moved.person}
    ) == len(moved.before)
    assert visitors(township(300)) == [] and visitors(None) == []
    db.execute(text("RESET ROLE"))
