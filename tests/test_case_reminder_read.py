"""A case read alone carries the 催办 standing on it, as a listed one does (trial AZ S1).

The township's desk reads a case again from ``GET /api/cases/{id}`` on each live notice: a
county's 催办 never showed there, and a later change to the case wiped the mark the queue had.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from layers.database import apply_scope
from tests.api_fixtures import VILLAGES, ApiWorld, act
from tests.conftest import SuiteDatabase
from tests.workflow_data import delete_cases

Headers = Callable[[str], dict[str, str]]
NOTE = "面包车司机称车内还有老人，请立即派人！"


def test_a_case_read_alone_carries_its_standing_reminders(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    town, county = auth_headers("disp_a1"), auth_headers("cmd_a")
    made = api_client.post(
        "/api/cases",
        json={
            "channel": "walk_in",
            "category": "dispute",
            "title": "催办读取测试：积水车辆被困",
            "area_code": VILLAGES[0],
        },
        headers=town,
    )
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    try:
        url = f"/api/cases/{case_id}"
        assert api_client.get(url, headers=town).json()["reminders"] == []
        pressed = act(api_client, county, case_id, "remind", note=NOTE)
        assert pressed.status_code == 200, pressed.text
        read = api_client.get(url, headers=town)
        assert read.status_code == 200, read.text
        reminders = read.json()["reminders"]
        assert [(r["by"], r["note"]) for r in reminders] == [("测试cmd_a", NOTE)]
        assert reminders[0]["at"]
        # as the list gives it
        listed = api_client.get("/api/cases", params={"q": made.json()["code"]}, headers=town)
        assert [c["reminders"] for c in listed.json()] == [reminders]
        # the township acts on it (分流): the 催办 is answered, on the read too
        triaged = act(api_client, town, case_id, "triage")
        assert triaged.status_code == 200, triaged.text
        assert api_client.get(url, headers=town).json()["reminders"] == []
    finally:
        with Session(database.owner) as session, session.begin():
            apply_scope(session, None)
            delete_cases(session, [case_id])
