"""Who must phone a case's reporter reads the contact, with a reason, audited (trial AS, M2).

The platform asks the grid worker a case is dispatched to to contact the parties within two
days (联系时限) and the township to make the 回访, yet both saw 「李** 138****2345」 and had to
ask an administrator for the unmask right (or phone the dispatcher, who had typed the number
in himself). Now the worker the case is dispatched to and the operators (值班员, 调度员) of the
level handling it read the reporter's name and phone without that right, each read with a
stated reason and audited as a read with the right is; everyone else still needs the right or
is refused as before, and a grid worker reads only the reporter of a case dispatched to him.
``GET /api/cases/{id}/detail`` says whether the reader may (``can_reveal_reporter``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from layers import cases, workflow
from layers.errors import Forbidden, InvalidInput, NotFound
from layers.model import AuditEntry, Case
from tests.api_fixtures import TOWN_A1, ApiWorld
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_user,
    add_worker,
    ensure_world,
    township,
    village,
    village_centre,
    worker_actor,
)

NAME, PHONE = "周晓梅", "13700003333"
Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _case(world: Session) -> Case:
    lon, lat = village_centre(village())
    return cases.register(
        world,
        actor=actor(),
        channel="phone",
        category="dispute",
        subcategory="neighbours",
        title="反映人联系方式测试",
        reported_at=NOW,
        lon=lon,
        lat=lat,
        reporter_name=NAME,
        reporter_phone=PHONE,
    ).case


def _read(
    world: Session, case: Case, who: workflow.Actor, reason: str = "联系反映人了解情况"
) -> tuple[str | None, str | None]:
    """Read the reporter as ``who`` without the unmask right."""
    return cases.reporter_contact(world, case.id, actor=who, can_unmask=False, reason=reason)


def _audited(world: Session, case: Case) -> list[tuple[str, str | None, str | None]]:
    rows = world.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "case.reporter.unmask", AuditEntry.object_id == str(case.id))
        .order_by(AuditEntry.id)
    )
    return [(e.actor_name, e.outcome, e.reason) for e in rows]


def test_the_worker_it_is_dispatched_to_reads_the_reporter_without_the_right(
    world: Session,
) -> None:
    lon, lat = village_centre(village())
    mine = add_worker(world, area_code=village(), lon=lon, lat=lat, name="承办人")
    other = add_worker(world, area_code=village(), lon=lon, lat=lat, name="他人")
    case = _case(world)
    with pytest.raises(Forbidden, match="网格员只能查看派给本人的案件的反映人信息"):
        _read(world, case, worker_actor(mine))  # not dispatched yet
    cases.act(world, case.id, "triage", actor=actor(), now=NOW)
    cases.act(world, case.id, "dispatch", actor=actor(), now=NOW, params={"worker_id": mine})
    assert cases.reporter_refusal(world, case, worker_actor(mine), can_unmask=False) is None
    assert _read(world, case, worker_actor(mine)) == (NAME, PHONE)
    with pytest.raises(Forbidden, match="网格员只能查看派给本人的案件的反映人信息"):
        _read(world, case, worker_actor(other))
    with pytest.raises(InvalidInput):  # a reason that is none, as with the right
        _read(world, case, worker_actor(mine), reason=" 看 ")
    with pytest.raises(InvalidInput):  # nor the reporter's own number in the audit log
        _read(world, case, worker_actor(mine), reason=f"拨打{PHONE}")
    # once he 办结'd it, the case is no longer his to phone about
    cases.act(world, case.id, "accept", actor=worker_actor(mine), now=NOW)
    cases.act(
        world,
        case.id,
        "resolve",
        actor=worker_actor(mine),
        now=NOW,
        params={"outcome": "mediated"},
        note="已调解",
    )
    with pytest.raises(Forbidden):
        _read(world, case, worker_actor(mine))
    # audited as a read with the right is: who, ok, the reason (and never the values); each
    # refusal too, denied or failed (trial AU m4)
    assert [e for e in _audited(world, case) if e[1] == "ok"] == [
        ("网格员", "ok", "联系反映人了解情况")
    ]
    logged = world.scalars(select(AuditEntry).where(AuditEntry.object_id == str(case.id)))
    assert all(NAME not in str(e.detail) and PHONE not in str(e.detail) for e in logged)


def test_the_operators_of_the_level_handling_the_case_read_it_until_its_archive(
    world: Session,
) -> None:
    case = _case(world)
    assert case.handling_level == 4
    dispatcher = actor(
        user_id=add_user(world, username="rc_disp", role="dispatcher", scope_code=township())
    )
    commander = actor("commander", township())
    for who in (dispatcher, commander):
        assert _read(world, case, who, reason="回访反映人核实诉求") == (NAME, PHONE)
    # above or below the handling level, or another role: the right is needed, as before
    for who in (actor("commander", COUNTY), actor("dispatcher", village())):
        with pytest.raises(Forbidden, match="^您没有查看反映人完整信息的权限$"):
            _read(world, case, who)
        assert cases.reporter_contact(
            world, case.id, actor=who, can_unmask=True, reason="核实来电内容"
        ) == (NAME, PHONE)
    with pytest.raises(NotFound):  # another township does not see the case at all
        _read(world, case, actor("dispatcher", township(200)))
    with pytest.raises(Forbidden):  # an analyst never
        cases.reporter_contact(
            world, case.id, actor=actor("analyst", COUNTY), can_unmask=True, reason="统计核对"
        )
    # escalated to the county: now the county handles it and phones, the township needs the right
    cases.act(world, case.id, "escalate", actor=dispatcher, now=NOW, note="涉及多个部门")
    assert _read(world, case, actor("commander", COUNTY)) == (NAME, PHONE)
    with pytest.raises(Forbidden):
        _read(world, case, dispatcher)
    # settled and archived: nobody phones about it any more without the right
    county = actor("commander", COUNTY)
    cases.act(world, case.id, "triage", actor=county, now=NOW)
    cases.act(world, case.id, "dispatch", actor=county, now=NOW, params={"department": "县住建局"})
    cases.act(world, case.id, "accept", actor=county, now=NOW)
    params = {"outcome": "resolved"}
    cases.act(world, case.id, "resolve", actor=county, now=NOW, params=params, note="已修复")
    cases.act(world, case.id, "visit", actor=county, now=NOW, note="电话回访，满意")
    assert _read(world, case, county, reason="回访反映人核实诉求") == (NAME, PHONE)
    cases.act(world, case.id, "archive", actor=county, now=NOW)
    with pytest.raises(Forbidden):
        _read(world, case, county)
    assert cases.reporter_contact(
        world, case.id, actor=county, can_unmask=True, reason="核实来电内容"
    ) == (NAME, PHONE)
    names = [name for name, outcome, _ in _audited(world, case) if outcome == "ok"]
    assert len(names) == 2 + 2 + 1 + 1 + 1


# ------------------------------------------------------------------ over HTTP


def _world_case(api_world: ApiWorld) -> str:
    """A case of township A1, handled at the township's level (4), registered."""
    return next(k for k, a in api_world.objects["cases"].items() if a.startswith(TOWN_A1[:9]))


def test_the_detail_says_who_may_read_the_reporter_and_the_desk_reads_it(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    case_id = _world_case(api_world)

    def detail(key: str) -> dict[str, object]:
        answer = api_client.get(f"/api/cases/{case_id}/detail", headers=auth_headers(key))
        assert answer.status_code == 200, answer.text
        body: dict[str, object] = answer.json()
        return body

    # the township handling it, without the right; the county with it
    for key in ("disp_a1", "cmd_a_unmask"):
        said = detail(key)
        assert (said["can_reveal_reporter"], said["reporter_refusal"]) == (True, None)
    county = detail("cmd_a")  # above the township, without the right
    assert county["can_reveal_reporter"] is False
    assert county["reporter_refusal"] == "您没有查看反映人完整信息的权限"
    worker = detail("worker_v0")  # not dispatched to him
    assert worker["can_reveal_reporter"] is False
    assert worker["reporter_refusal"] == "网格员只能查看派给本人的案件的反映人信息"

    url = f"/api/cases/{case_id}/reporter"
    refused = api_client.post(url, json={"reason": "核实来电内容"}, headers=auth_headers("cmd_a"))
    assert refused.status_code == 403
    read = api_client.post(
        url, json={"reason": "联系反映人核实诉求"}, headers=auth_headers("disp_a1")
    )
    assert read.status_code == 200, read.text
    assert read.json()["reporter_name"] == "报告人"
    with database.owner.connect() as conn:
        entry = conn.execute(
            text(
                "SELECT actor_name, outcome, reason FROM audit_log"
                " WHERE action = 'case.reporter.unmask' AND object_id = :id"
                " ORDER BY id DESC LIMIT 1"
            ),
            {"id": case_id},
        ).one()
    assert tuple(entry) == ("t46_disp_a1", "ok", "联系反映人核实诉求")


def test_a_city_commander_flagged_before_the_rule_reads_no_reporter(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    """A flag a city account may not hold (given before the rule) opens no reporter either.

    The persons' reads checked the flag in effect; the reporter's read took the bare flag, so a
    city commander flagged before the rule read the name and phone of any case of the city.
    """
    case_id = _world_case(api_world)
    city = api_world.users["cmd_city"]
    flag = text("UPDATE users SET can_unmask = :on WHERE id = :id")
    with database.owner.begin() as conn:
        conn.execute(flag, {"on": True, "id": city.id})
    try:
        said = api_client.get(f"/api/cases/{case_id}/detail", headers=auth_headers("cmd_city"))
        assert said.status_code == 200, said.text
        assert said.json()["can_reveal_reporter"] is False
        read = api_client.post(
            f"/api/cases/{case_id}/reporter",
            json={"reason": "核实来电内容"},
            headers=auth_headers("cmd_city"),
        )
        assert read.status_code == 403, read.text
        assert "报告人" not in read.text
    finally:
        with database.owner.begin() as conn:
            conn.execute(flag, {"on": False, "id": city.id})
