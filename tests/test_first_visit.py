"""A newcomer's first visit is due within days, not a whole interval after registration (s48).

A township registered a 刑满释放人员 released a fortnight before, with his grid and his
帮扶责任人; the worker's 走访 list (overdue and due within 7 days) left him out, since a person
never visited was first due one interval (60 days at 关注) after being put on record. The
安置帮教 rules want a newly released person visited within 7 days (a 社区矫正人员 likewise, who
reports within days of the judgment): :data:`layers.visits_due.FIRST_VISITS`. Checked at the
API (the worker's default list, its due words) and against the figures that count 走访逾期
elsewhere (the command KPI, the trends' table, a month's 走访逾期 at its end), which must
agree with the list.
"""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from geo.codes import make_resident_id
from layers import command, trend_tables, visit_history
from layers.china_time import CHINA
from layers.database import scoped_session
from tests.api_fixtures import VILLAGES, ApiWorld, grid_centre
from tests.conftest import SuiteDatabase
from tests.workflow_data import actor

Headers = Callable[[str], dict[str, str]]
PERSONS = "/api/persons"
VISITS = "/api/persons/visits"
PREFIX = "欧阳首访"


def _today() -> date:
    return datetime.now(UTC).astimezone(CHINA).date()


def _form(serial: int, category: str, attributes: dict[str, Any], **changes: Any) -> dict[str, Any]:
    lon, lat = grid_centre(0, 2)
    return {
        "category": category,
        "name": PREFIX + "甲乙丙"[serial - 1],
        "resident_id": make_resident_id("460105", date(1985, 5, serial), 50 + serial, "M"),
        "management_level": 2,
        "address": f"测试村5组{serial}号",
        "lon": lon,
        "lat": lat,
        "attributes": attributes,
    } | changes


@pytest.fixture
def newcomers(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, api_world: ApiWorld
) -> Iterator[dict[str, int]]:
    """Three persons the township registers today for worker_v0 to follow; deleted after.

    ``released``: released 17 days ago; ``correction``: correction began 5 days ago;
    ``paper``: released three years ago (a person followed on paper long since).
    """
    today = _today()
    worker = api_client.get("/api/me", headers=auth_headers("worker_v0")).json()["worker_id"]
    forms = {
        "released": _form(1, "released", {"release_date": str(today - timedelta(days=17))}),
        "correction": _form(
            2,
            "correction",
            {
                "correction_type": "缓刑",
                "start_date": str(today - timedelta(days=5)),
                "end_date": str(today + timedelta(days=360)),
            },
        ),
        "paper": _form(3, "released", {"release_date": str(today - timedelta(days=3 * 365))}),
    }
    ids: dict[str, int] = {}
    try:
        for key, form in forms.items():
            answer = api_client.post(
                PERSONS, json=form | {"responsible_ids": [worker]}, headers=auth_headers("disp_a1")
            )
            assert answer.status_code == 201, answer.text
            ids[key] = answer.json()["id"]
        yield ids
    finally:
        with database.owner.begin() as db:
            db.execute(text("DELETE FROM persons WHERE name LIKE :n"), {"n": PREFIX + "%"})


def _intervals(database: SuiteDatabase) -> dict[str, int]:
    with database.owner.connect() as db:
        rows = db.execute(
            text(
                "SELECT category, interval_days FROM visit_rules"
                " WHERE management_level = 2 AND category IN ('released', 'correction')"
            )
        ).all()
    return {str(r.category): int(r.interval_days) for r in rows}


def test_a_newcomer_is_on_the_workers_default_list_due_within_a_week(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    newcomers: dict[str, int],
) -> None:
    today = _today()
    intervals = _intervals(database)
    assert intervals["released"] > 7 and intervals["correction"] > 7  # the rule shortens them
    body = api_client.get(VISITS, headers=auth_headers("worker_v0")).json()
    listed = {p["id"]: p for p in body["persons"]}
    for key, who in (("released", "新释放人员"), ("correction", "新入矫人员")):
        person = listed[newcomers[key]]
        due = today + timedelta(days=7)
        assert (person["due_on"], person["overdue_days"], person["overdue"]) == (
            due.isoformat(),
            -7,
            False,
        )
        assert person["notices"] == [f"{who}，首次走访应在 7 日内（{due:%m-%d} 前）"]
        assert person["yours"] is True
    # released long ago: one interval after being put on record, not on the week's list
    assert newcomers["paper"] not in listed
    everyone = api_client.get(VISITS + "?status=all&limit=500", headers=auth_headers("worker_v0"))
    paper = {p["id"]: p for p in everyone.json()["persons"]}[newcomers["paper"]]
    assert paper["due_on"] == (today + timedelta(days=intervals["released"])).isoformat()
    assert paper["notices"] == []
    # the popup's due day (the persons layer) is the list's
    feature = api_client.get(
        f"/ogc/collections/persons/items/{newcomers['released']}",
        headers=auth_headers("worker_v0"),
    ).json()
    assert feature["properties"]["visit_due"] == (today + timedelta(days=7)).isoformat()


def test_a_first_visit_sets_the_schedule_and_ends_the_notice(
    api_client: TestClient, auth_headers: Headers, newcomers: dict[str, int]
) -> None:
    today = _today()
    person = newcomers["released"]
    visit = api_client.post(
        f"{PERSONS}/{person}/visits",
        json={"visited_on": today.isoformat(), "note": "上门走访，已落实帮教"},
        headers=auth_headers("worker_v0"),
    )
    assert visit.status_code == 201, visit.text
    body = api_client.get(VISITS + "?status=all&limit=500", headers=auth_headers("worker_v0"))
    listed = {p["id"]: p for p in body.json()["persons"]}[person]
    assert listed["last_visit"] == today.isoformat() == visit.json()["visited_on"]
    assert listed["due_on"] == visit.json()["due_on"] > (today + timedelta(days=7)).isoformat()
    assert listed["notices"] == []


def _figures(database: SuiteDatabase, today: date) -> tuple[int, int, int]:
    """走访逾期 of worker_v0's village: the command KPI, the trends' table, at yesterday's end.

    At a day's end a person due that day is late (:func:`layers.visit_history.overdue_at_end`),
    so yesterday's end is today's KPI.
    """
    now = datetime.now(UTC)
    village = VILLAGES[0]
    with scoped_session(sessionmaker(database.app), village) as session:
        kpis = command.feed(session, village, actor=actor("commander", village), now=now)
        table = trend_tables.overdue_visits(session, village, now=now, min_count=1)
        at_end = visit_history.overdue_at_end(
            session, village, [], today - timedelta(days=1), min_count=1
        )
    return (
        int(kpis["unit"]["kpis"]["overdue_visits"]),
        int(table["overdue"]),
        int(at_end[village] or 0),
    )


def test_every_overdue_figure_counts_a_newcomer_late_from_the_eighth_day(
    api_client: TestClient,
    auth_headers: Headers,
    database: SuiteDatabase,
    newcomers: dict[str, int],
) -> None:
    today = _today()
    before = _figures(database, today)
    person = newcomers["released"]

    def put_on_record(days_ago: int) -> dict[str, Any]:
        with database.owner.begin() as db:
            db.execute(
                text("UPDATE persons SET on_record_since = :d WHERE id = :p"),
                {"d": today - timedelta(days=days_ago), "p": person},
            )
        body = api_client.get(VISITS, headers=auth_headers("worker_v0")).json()
        return {p["id"]: p for p in body["persons"]}[person]

    # on record 7 days: due today, not late
    listed = put_on_record(7)
    assert (listed["due_on"], listed["overdue"]) == (today.isoformat(), False)
    assert _figures(database, today) == before
    # 8 days: a day late, in every figure (one interval, 60 days, counted none)
    listed = put_on_record(8)
    assert (listed["overdue_days"], listed["overdue"]) == (1, True)
    assert _figures(database, today) == tuple(n + 1 for n in before)


def test_the_command_kpi_counts_by_the_centres_day_past_midnight(
    database: SuiteDatabase, newcomers: dict[str, int]
) -> None:
    # 00:30 in China is 16:30 UTC the day before: the KPI took the session's (UTC) day, so a
    # newcomer due yesterday was not late until 08:00 (a clean-clone run at 16:20 UTC)
    today = _today()
    early = datetime.combine(today, time(0, 30), tzinfo=CHINA)
    person = newcomers["released"]
    village = VILLAGES[0]

    def kpi(days_ago: int) -> int:
        with database.owner.begin() as db:
            db.execute(
                text("UPDATE persons SET on_record_since = :d WHERE id = :p"),
                {"d": today - timedelta(days=days_ago), "p": person},
            )
        with scoped_session(sessionmaker(database.app), village) as session:
            feed = command.feed(session, village, actor=actor("commander", village), now=early)
        return int(feed["unit"]["kpis"]["overdue_visits"])

    assert kpi(8) == kpi(7) + 1  # first due yesterday (within 7 days): late today
