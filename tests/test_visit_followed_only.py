"""A visit's outcome through the API, and a grid worker reaching only his persons (trial AW S2, M4).

Trial AW: a visit that found nobody cleared the overdue (the toast said 「下次应访 …」), and the
demo's grid worker recorded a drive-by visit of, and read in clear, another grid's person
followed by another worker. ``POST /api/persons/{id}/visits`` takes 走访结果 and says whether the
due day moved; a grid worker's account visits and reads in clear only the persons of his home
grid or naming him responsible, others refused in Chinese saying what to do.
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from layers import visits_due
from tests.conftest import SuiteDatabase
from tests.test_visit_schedule import VISITS, Followed, _audit, followed  # noqa: F401

Headers = Callable[[str], dict[str, str]]


def test_a_visit_that_found_nobody_keeps_the_due_day_and_is_said(
    api_client: TestClient, auth_headers: Headers, followed: Followed
) -> None:
    worker = auth_headers("worker_v0")
    day = followed.today - timedelta(days=1)
    due_on = followed.today - timedelta(days=10)
    absent = api_client.post(
        f"/api/persons/{followed.mine}/visits",
        json={
            "visited_on": day.isoformat(),
            "note": "家中无人，邻居称外出务工",
            "outcome": "absent",
        },
        headers=worker,
    )
    assert absent.status_code == 201, absent.text
    body = absent.json()
    assert (body["outcome"], body["due_moved"], body["due_on"]) == (
        "absent",
        False,
        due_on.isoformat(),
    )
    assert body["notice"] == (
        f"未见到本人（人户分离），仍按原应访日期 {due_on.isoformat()} 计，已逾期 10 天"
    )
    listed = api_client.get(VISITS, headers=worker).json()
    assert listed["overdue"] == 1
    (person,) = listed["persons"]
    assert person["overdue"] is True
    assert person["notices"] == [f"最近一次走访（{day:%m-%d}）未见到本人：人户分离"]
    # the clear record's visit history says it too
    clear = api_client.post(
        f"/api/persons/{followed.mine}/unmasked",
        json={"reason": "核实走访对象身份"},
        headers=auth_headers("cmd_a_unmask"),
    ).json()
    assert [(v["visited_on"], v["outcome"]) for v in clear["visits"]] == [
        (day.isoformat(), "absent")
    ]
    # 失联 the next day: the county's list counts and lists them apart
    missing = api_client.post(
        f"/api/persons/{followed.mine}/visits", json={"outcome": "missing"}, headers=worker
    )
    assert missing.status_code == 201 and missing.json()["due_moved"] is False
    county = api_client.get(VISITS, headers=auth_headers("cmd_a")).json()
    assert (county["overdue"], county["missing"]) == (1, 1)
    flagged = api_client.get(
        VISITS, params={"status": "missing"}, headers=auth_headers("cmd_a")
    ).json()
    assert [p["id"] for p in flagged["persons"]] == [followed.mine]
    # reached by phone after all: the due day moves, the flag goes
    phoned = api_client.post(
        f"/api/persons/{followed.mine}/visits", json={"outcome": "contacted"}, headers=worker
    )
    assert phoned.json()["due_moved"] is True and phoned.json()["notice"] is None
    assert phoned.json()["due_on"] == (followed.today + timedelta(followed.interval)).isoformat()
    county = api_client.get(VISITS, headers=auth_headers("cmd_a")).json()
    assert (county["overdue"], county["missing"]) == (0, 0)
    unknown = api_client.post(
        f"/api/persons/{followed.mine}/visits", json={"outcome": "seen"}, headers=worker
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith("走访结果无效，可选：见到本人、电话/视频联系")


def test_a_grid_worker_visits_and_reads_in_clear_only_the_persons_he_follows(
    api_client: TestClient,
    auth_headers: Headers,
    followed: Followed,
    database: SuiteDatabase,
) -> None:
    worker = auth_headers("worker_v0")
    # followed.other is of his village, of a grid not his, named to nobody: his list says so
    village = api_client.get(VISITS + "?mine=false&status=all", headers=worker).json()
    yours = {p["id"]: p["yours"] for p in village["persons"]}
    assert (yours[followed.mine], yours[followed.other]) == (True, False)
    county = api_client.get(VISITS + "?status=all", headers=auth_headers("cmd_a")).json()
    assert {p["yours"] for p in county["persons"]} == {None}  # visits anyone of the scope
    refused = api_client.post(
        f"/api/persons/{followed.other}/visits", json={"note": "路过顺便看看"}, headers=worker
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == visits_due.NOT_FOLLOWED
    assert _audit(database, "visit.record", "t46_worker_v0")[-1][:2] == (
        "denied",
        str(followed.other),
    )
    with database.owner.begin() as db:
        db.execute(text("UPDATE users SET can_unmask = true WHERE username = 't46_worker_v0'"))
    try:
        reason = {"reason": "入户走访核对身份"}
        other = api_client.post(
            f"/api/persons/{followed.other}/unmasked", json=reason, headers=worker
        )
        assert other.status_code == 403
        assert other.json()["detail"] == visits_due.NOT_FOLLOWED_UNMASK
        own = api_client.post(f"/api/persons/{followed.mine}/unmasked", json=reason, headers=worker)
        assert own.status_code == 200, own.text
    finally:
        with database.owner.begin() as db:
            db.execute(text("UPDATE users SET can_unmask = false WHERE username = 't46_worker_v0'"))
    assert [e[:2] for e in _audit(database, "person.unmask", "t46_worker_v0")[-2:]] == [
        ("denied", str(followed.other)),
        ("ok", str(followed.mine)),
    ]
    with database.owner.connect() as db:
        written = db.scalar(
            text("SELECT count(*) FROM person_visits WHERE person_id = :p"), {"p": followed.other}
        )
    assert written == 0
