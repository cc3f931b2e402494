"""The demo's case timelines name their actors as a live action of the same account does.

A planner reading a demo case read 「华宁县综治中心」 where a case acted on in the console says
「华宁县指挥中心值班员」 (the account's display name, :class:`layers.workflow.Actor`): two wordings
for one desk. The demo's events now name the account that would have acted
(:func:`importers.demo.users.account_name`). A case is acted on through the API by the demo's
township dispatcher, county commander and county bureau, and its timeline's actors are those
of the demo's own cases at the same desks, read through the same API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from sqlalchemy import text

from layers.database import apply_scope
from layers.model import Role
from tests.console_fixtures import ConsoleDemo
from tests.test_console_dispatch import _act, _desk, _register, _token

TITLE = "时间线测试：务工人员反映被拖欠工资"
DEPARTMENT = "县人社局"


def _events(client: httpx2.Client, headers: dict[str, str], case_id: int) -> list[Any]:
    answer = client.get(f"/api/cases/{case_id}/events", headers=headers)
    assert answer.status_code == 200, answer.text
    events: list[Any] = answer.json()
    return events


def _actor(events: list[Any], action: str) -> str:
    return str(next(e["actor_name"] for e in events if e["action"] == action))


def _demo_case(demo: ConsoleDemo, where: str, params: dict[str, Any]) -> int:
    """The first of the demo's cases (before any test's) meeting ``where`` over ``c``."""
    with demo.owner.connect() as conn:
        apply_scope(conn, None)
        found = conn.execute(
            text(
                "SELECT c.id FROM cases AS c WHERE c.registered_at <= :now"
                f" AND {where} ORDER BY c.id LIMIT 1"
            ),
            {"now": demo.now} | params,
        ).scalar_one()
    return int(found)


def test_a_demo_case_names_its_actors_as_a_case_acted_on_at_the_same_desks(
    console_demo: ConsoleDemo,
) -> None:
    demo = console_demo
    county = demo.data.county_code
    _, _, village, _, dispatcher, spot = _desk(demo)
    township = village[:9] + "000"
    with httpx2.Client(base_url=demo.origin, timeout=30) as client:
        desk = _token(client, dispatcher)
        made = _register(client, desk, spot, TITLE, "labour_wages", 0.0011)
        _act(client, desk, made["id"], "triage")
        sent = client.post(
            f"/api/cases/{made['id']}/dispatch",
            json={"department": DEPARTMENT, "version": made["version"] + 1},
            headers=desk,
        )
        assert sent.status_code == 200, sent.text
        bureau = _token(client, demo.username("department", county))
        _act(client, bureau, made["id"], "accept")
        above = _token(client, demo.username("commander", county))
        _act(client, above, made["id"], "remind", "请加快办理")
        seen = client.get(f"/api/cases/{made['id']}", headers=above).json()
        due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        supervised = client.post(
            f"/api/cases/{made['id']}/actions/supervise",
            json={"version": seen["version"], "params": {"deadline": due}, "note": "请按时办结"},
            headers=above,
        )
        assert supervised.status_code == 200, supervised.text
        live = _events(client, above, made["id"])
        # the township's desk registered, triaged and dispatched one of its own cases
        own = _demo_case(
            demo,
            "c.area_code LIKE :township AND c.handling_level = 4 AND c.channel = 'walk_in'"
            " AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id"
            "  AND e.action = 'dispatch')",
            {"township": township[:9] + "%"},
        )
        # the county's commander reminded and supervised a township's case
        overdue = _demo_case(
            demo,
            "c.area_code LIKE :county AND c.handling_level = 4 AND EXISTS (SELECT 1"
            " FROM case_events e WHERE e.case_id = c.id AND e.action = 'supervise')",
            {"county": county[:6] + "%"},
        )
        # the bureau accepted a case dispatched to it
        handled = _demo_case(
            demo,
            "EXISTS (SELECT 1 FROM dispatches d WHERE d.case_id = c.id"
            " AND d.department = :department AND d.accepted_at IS NOT NULL)",
            {"department": DEPARTMENT},
        )
        demo_events = {
            case_id: _events(client, above, case_id) for case_id in (own, overdue, handled)
        }
        # the 调度台's 被督办 card names who issued it (华宁县督办), of the demo's 督办 too
        issuers = [
            client.get(f"/api/cases/{case_id}", headers=above).json()["latest"]["supervised"]
            for case_id in (made["id"], overdue)
        ]
    names = {u.code: u.name for u in demo.data.territory.units}
    at_desk = f"{names[township]}{Role.DISPATCHER.label}"
    on_duty = f"{names[county]}{Role.COMMANDER.label}"
    for action in ("register", "triage", "dispatch"):
        assert _actor(live, action) == _actor(demo_events[own], action) == at_desk, action
    for action in ("remind", "supervise"):
        assert _actor(live, action) == _actor(demo_events[overdue], action) == on_duty, action
    assert [i["payload"].get("by_unit_name") for i in issuers] == [names[county]] * 2
    assert _actor(live, "accept") == _actor(demo_events[handled], "accept") == DEPARTMENT


def test_every_demo_event_names_an_account_a_worker_or_a_desk(console_demo: ConsoleDemo) -> None:
    """Each actor of the demo's events is a demo account's display name, a grid worker's name,
    or the display name an account of a unit without one would have (a unit and its role)."""
    demo = console_demo
    labels = [Role.COMMANDER.label, Role.DISPATCHER.label]
    with demo.owner.connect() as conn:
        apply_scope(conn, None)
        odd = (
            conn.execute(
                text(
                    "SELECT DISTINCT e.actor_name FROM case_events AS e"
                    " WHERE e.actor_id IS NULL AND e.at <= :now"
                    " AND e.actor_name NOT IN (SELECT display_name FROM users)"
                    " AND e.actor_name NOT IN (SELECT name FROM workers)"
                    " AND e.actor_name NOT IN (SELECT j.name || r.label FROM jurisdictions AS j,"
                    "  unnest(CAST(:labels AS text[])) AS r(label))"
                    " ORDER BY 1 LIMIT 10"
                ),
                {"now": demo.now, "labels": labels},
            )
            .scalars()
            .all()
        )
        # a dispatch's worker names the 受理, 到场 and 办结 he did; a grid worker his reports
        wrong = conn.execute(
            text(
                "SELECT count(*) FROM case_events AS e JOIN dispatches AS d"
                " ON d.case_id = e.case_id AND d.worker_id IS NOT NULL"
                " JOIN workers AS w ON w.id = d.worker_id"
                " AND d.assigned_at <= :now WHERE e.actor_id IS NULL AND e.at <= :now"
                " AND e.action IN ('accept', 'arrive') AND e.actor_name <> w.name"
            ),
            {"now": demo.now},
        ).scalar_one()
        reports = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE e.actor_name IN (SELECT w.name FROM workers AS w"
                "   WHERE w.home_grid = c.grid_code)), count(*)"
                " FROM case_events AS e JOIN cases AS c ON c.id = e.case_id"
                " WHERE e.actor_id IS NULL AND e.at <= :now AND e.action = 'register'"
                " AND c.channel = 'grid_worker' AND EXISTS (SELECT 1 FROM workers AS w"
                "   WHERE w.home_grid = c.grid_code AND w.role IN ('grid_worker', 'part_time',"
                "   'grid_leader'))"
            ),
            {"now": demo.now},
        ).one()
    assert odd == []
    assert wrong == 0
    assert reports[1] > 100 and reports[0] == reports[1]
