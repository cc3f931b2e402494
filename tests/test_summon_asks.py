"""A 吹哨 asks each department its own part, beside the shared note (trial AZ m7).

One 吹哨 to three departments carried one note for all (「请公安维护现场秩序，住建核查…，人社依法
督促…」) and each desk showed the whole text. The 吹哨 now takes ``asks`` (department to its own
line): the event keeps them, the timeline can say them, and a department's desk shows its own
under the shared note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.database import apply_scope
from tests.api_fixtures import ApiWorld, act, grid_centre
from tests.conftest import SuiteDatabase
from tests.workflow_data import delete_cases

Headers = Callable[[str], dict[str, str]]
NOTE = "老堡村工业园区群体性讨薪，请各部门协同处置"
HOUSING = "测试县住建局"


@pytest.fixture
def case(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, api_world: ApiWorld
) -> Iterator[dict[str, Any]]:
    """A case the county registered; deleted afterwards."""
    lon, lat = grid_centre(1, 5)
    body = {"channel": "hotline_12345", "category": "dispute", "subcategory": "labour_wages"}
    made = api_client.post(
        "/api/cases",
        json=body | {"title": "吹哨事项测试：工业园区讨薪", "lon": lon, "lat": lat},
        headers=auth_headers("cmd_a"),
    )
    assert made.status_code == 201, made.text
    try:
        yield made.json()
    finally:
        with database.owner.connect() as conn, conn.begin():
            session = Session(bind=conn)
            apply_scope(session, None)
            delete_cases(session, [made.json()["id"]])
            session.flush()


def test_each_department_reads_its_own_ask_under_the_note(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    api_world: ApiWorld,
    case: dict[str, Any],
) -> None:
    county = auth_headers("cmd_a")
    police = api_world.users["dept_a"]
    police_name = f"测试{police.key}"  # the department account's display name
    named = [police_name, HOUSING]
    # an ask for a department the 吹哨 does not name is refused, in Chinese, nothing kept
    stray = act(
        api_client,
        county,
        case["id"],
        "summon",
        note=NOTE,
        params={"departments": named, "new_departments": True, "asks": {"县人社局": "督促"}},
    )
    assert stray.status_code == 422
    assert stray.json()["detail"] == "“县人社局”不在本次吹哨的部门中：请只为所选的部门填写事项"
    asks = {police_name: "维护现场秩序，防止冲突升级", HOUSING: " "}
    done = act(
        api_client,
        county,
        case["id"],
        "summon",
        note=NOTE,
        params={"departments": named, "new_departments": True, "asks": asks},
    )
    assert done.status_code == 200, done.text
    with database.owner.connect() as conn:
        payload = conn.execute(
            text("SELECT payload FROM case_events WHERE case_id = :id AND action = 'summon'"),
            {"id": case["id"]},
        ).scalar_one()
    # the empty line is left out: 住建 reads the shared note alone
    assert payload["asks"] == {police_name: "维护现场秩序，防止冲突升级"}
    desk = api_client.get("/api/departments/desk", headers=auth_headers("dept_a")).json()
    row = next(c for c in desk["cases"] if c["id"] == case["id"])
    assert row["desk"]["group"] == "summoned"
    assert row["desk"]["note"] == NOTE
    assert row["desk"]["ask"] == "维护现场秩序，防止冲突升级"
