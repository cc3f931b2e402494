"""The departments an area already named, offered by the dispatch and 吹哨 forms.

``GET /api/departments`` lists the departments the user's area dispatched to or 吹哨'd, the
most named first, within the user's scope only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers.database import apply_scope
from layers.dispatch import _DEPARTMENTS_NAMED
from layers.model import Case, CaseEvent, Dispatch
from tests.api_fixtures import CITY, TOWN_A1, VILLAGES, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
AT = datetime(2031, 8, 2, 9, 0, tzinfo=UTC)
# the township A1's villages name these; the other county's village names the last one
HOUSING, POLICE, WATER, ELSEWHERE = "测名县住建局", "测名县公安局", "测名县水务局", "测名乙县民政局"
CITY_POLICE = "测名市公安局"


@pytest.fixture
def named(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[None]:
    """Commit dispatches to departments and 吹哨 events: 住建 3 times, 公安 2, 水务 1."""
    ids: list[int] = []
    with Session(database.owner) as session, session.begin():
        apply_scope(session, None)
        for n, (village, department, summoned) in enumerate(
            (
                (VILLAGES[0], HOUSING, [POLICE, HOUSING]),
                (VILLAGES[1], HOUSING, [POLICE, WATER]),
                (VILLAGES[3], ELSEWHERE, [ELSEWHERE]),
            )
        ):
            case = Case(
                code=f"dept-named-{n}",
                channel="phone",
                category="dispute",
                title="部门建议测试",
                area_code=village,
                state="dispatched",
                handling_level=4,
                reported_at=AT,
            )
            session.add(case)
            session.flush()
            ids.append(case.id)
            session.add(
                Dispatch(
                    case_id=case.id,
                    area_code=village,
                    assignee_kind="department",
                    department=department,
                    status="finished",
                )
            )
            session.add(
                CaseEvent(
                    case_id=case.id,
                    area_code=village,
                    actor_name="测试",
                    action="summon",
                    from_state="dispatched",
                    to_state="dispatched",
                    payload={"departments": summoned},
                )
            )
    try:
        yield
    finally:  # case_events is append-only: its trigger is off for this one transaction
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            session.execute(text("ALTER TABLE case_events DISABLE TRIGGER append_only"))
            session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(ids)))
            session.execute(text("ALTER TABLE case_events ENABLE TRIGGER append_only"))
            session.execute(delete(Case).where(Case.id.in_(ids)))


def _named(client: TestClient, headers: dict[str, str], **params: str) -> list[str]:
    response = client.get("/api/departments", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [d for d in response.json()["departments"] if d.startswith("测名")]


def test_the_area_s_departments_are_offered_the_most_named_first(
    api_client: TestClient, auth_headers: Headers, named: None
) -> None:
    township = auth_headers("disp_a1")
    assert _named(api_client, township) == [HOUSING, POLICE, WATER]
    # the county sees its own, not those of the other county
    assert _named(api_client, auth_headers("cmd_a")) == [HOUSING, POLICE, WATER]
    assert _named(api_client, auth_headers("cmd_b")) == [ELSEWHERE]
    # a unit below: the village of the first case only
    assert _named(api_client, township, code=VILLAGES[0]) == [HOUSING, POLICE]
    outside = api_client.get("/api/departments", params={"code": VILLAGES[3]}, headers=township)
    assert outside.status_code == 404


def test_the_departments_are_read_through_their_partial_indexes(
    database: SuiteDatabase, named: None
) -> None:
    with database.owner.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            conn.execute(
                text("EXPLAIN " + _DEPARTMENTS_NAMED.text),
                dict(zip(("lo", "hi"), scope_range(TOWN_A1), strict=True), limit=30),
            ).scalars()
        )
    assert "ix_dispatches_departments" in plan and "ix_case_events_summons" in plan, plan


def test_a_city_s_list_names_its_own_departments_apart_from_its_counties(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, named: None
) -> None:
    """A user trial: the city's 吹哨 list held 市 and 县 bureaus in one row; now by level."""
    with database.owner.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, role, scope_code)"
                " VALUES ('dept.named.city', :name, 'x', 'department', :city)"
            ),
            {"name": CITY_POLICE, "city": CITY},
        )
    try:
        answer = api_client.get("/api/departments", headers=auth_headers("cmd_city")).json()
        ours = [
            (g["label"], [n for n in g["names"] if n.startswith("测名")]) for g in answer["groups"]
        ]
        assert ours == [
            ("市级部门", [CITY_POLICE]),
            ("县级及以下部门", [HOUSING, ELSEWHERE, POLICE, WATER]),  # 3, 2, 2 (by name), 1
        ]
        # every name of the list is in one group, in the list's order
        assert [n for g in answer["groups"] for n in g["names"]] == sorted(
            answer["departments"], key=lambda n: n not in answer["groups"][0]["names"]
        )
        # a county's too (a second trial: 县司法局 beside 市司法局), names of no account last
        county = api_client.get("/api/departments", headers=auth_headers("cmd_a")).json()
        theirs = [
            (g["label"], [n for n in g["names"] if n.startswith("测名")]) for g in county["groups"]
        ]
        assert [(label, names) for label, names in theirs if names] == [
            ("市级部门", [CITY_POLICE]),
            ("其他部门", [n for n in county["departments"] if n.startswith("测名县")]),
        ]
        assert POLICE in county["departments"]
        grouped = [n for g in county["groups"] for n in g["names"]]
        assert sorted(grouped) == sorted(county["departments"])  # each name in one group
    finally:
        with database.owner.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE username = 'dept.named.city'"))
