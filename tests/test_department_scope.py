"""A functional department reads only the cases sent or 吹哨'd to it (trial AQ S1, S2).

Every read path of cases a department account reaches (the case, its events and details, the
lists, the search) filters through :func:`layers.department_scope.case_condition`; a county's
account acting for a bureau without an account of its own says for which in the event.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from layers import case_lists, cases, department_scope, dispatch
from layers.errors import InvalidInput, NotFound
from layers.model import Case
from layers.workflow import Actor
from tests.api_fixtures import COUNTY_A
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_user,
    add_worker,
    ensure_world,
    village,
    village_centre,
)

Headers = Callable[[str], dict[str, str]]
HOUSING, LABOUR = "测部县住建局", "测部县人社局"


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _register(db: Session, who: Actor, title: str, offset_m: float) -> Case:
    lon, lat = village_centre(village())
    return cases.register(
        db,
        actor=who,
        channel="phone",
        category="dispute",
        subcategory="neighbours",
        title=title,
        reported_at=NOW,
        lon=lon + offset_m / 101_000,
        lat=lat,
    ).case


def _department(name: str) -> Actor:
    return Actor(user_id=None, name=name, role="department", scope_code=COUNTY)


def _four_cases(db: Session) -> dict[str, Case]:
    """A case with a grid worker, one sent to 住建, one 吹哨'd to 人社, one left alone."""
    who = actor("commander", COUNTY)
    lon, lat = village_centre(village())
    worker_id = add_worker(db, area_code=village(), lon=lon, lat=lat)
    made = {
        key: _register(db, who, f"部门范围测试{key}", 300.0 * n)
        for n, key in enumerate(("worker", "housing", "summoned", "alone"))
    }
    for case in made.values():
        cases.act(db, case.id, "triage", actor=who, now=NOW)
    cases.act(
        db, made["worker"].id, "dispatch", actor=who, now=NOW, params={"worker_id": worker_id}
    )
    cases.act(
        db, made["housing"].id, "dispatch", actor=who, now=NOW, params={"department": HOUSING}
    )
    cases.act(
        db,
        made["summoned"].id,
        "summon",
        actor=who,
        now=NOW,
        params={"departments": [LABOUR], "new_departments": True},  # no account yet
    )
    return made


def _ids(found: list[Case], made: dict[str, Case]) -> set[str]:
    names = {c.id: k for k, c in made.items()}
    return {names[c.id] for c in found if c.id in names}


def test_a_department_reads_only_the_cases_sent_or_summoned_to_it(world: Session) -> None:
    made = _four_cases(world)
    labour = _department(LABOUR)
    # no account of 住建 yet: the county's account acts for it too, as the shared one did
    assert department_scope.served_departments(world, labour) == [LABOUR, HOUSING]
    assert _ids(case_lists.search(world, actor=labour, q="部门范围测试"), made) == {
        "housing",
        "summoned",
    }
    # 住建 gets an account of its own: 人社 reads only what was 吹哨'd to it
    add_user(world, username=HOUSING, role="department", scope_code=COUNTY)
    assert department_scope.served_departments(world, labour) == [LABOUR]
    for stage in (case_lists.Stage.QUEUE, case_lists.Stage.RECENT):
        listed = case_lists.stage_list(world, actor=labour, stage=stage, now=NOW)
        assert _ids(listed, made) <= {"summoned"}, stage
    assert _ids(case_lists.search(world, actor=labour, q="部门范围测试"), made) == {"summoned"}
    assert cases.get_case(world, made["summoned"].id, actor=labour).id == made["summoned"].id
    for key in ("worker", "housing", "alone"):
        with pytest.raises(NotFound):
            cases.get_case(world, made[key].id, actor=labour)
        with pytest.raises(NotFound):
            cases.events(world, made[key].id, actor=labour)
        with pytest.raises(NotFound):
            cases.detail(world, made[key].id, actor=labour)
    housing = _department(HOUSING)
    # 人社 without an account: 住建's account acts for it; once it has one, no more
    assert _ids(case_lists.search(world, actor=housing, q="部门范围测试"), made) == {
        "housing",
        "summoned",
    }
    add_user(world, username=LABOUR, role="department", scope_code=COUNTY)
    assert _ids(case_lists.search(world, actor=housing, q="部门范围测试"), made) == {"housing"}
    # the county's commander still reads all four
    county = actor("commander", COUNTY)
    assert _ids(case_lists.search(world, actor=county, q="部门范围测试"), made) == set(made)


def test_a_returned_dispatch_stays_readable_to_the_department(world: Session) -> None:
    """ "Now or before": what it sent back is still the department's to read."""
    made = _four_cases(world)
    add_user(world, username=HOUSING, role="department", scope_code=COUNTY)
    housing = _department(HOUSING)
    cases.act(world, made["housing"].id, "return", actor=housing, now=NOW, note="不属本局职责")
    assert cases.get_case(world, made["housing"].id, actor=housing).state == "triaged"


def test_a_shared_account_names_the_bureau_it_acted_for(world: Session) -> None:
    """Trial AQ S1: 华宁县部门处置人员 退回'd a 住建 case and nobody could tell which bureau."""
    made = _four_cases(world)
    shared = _department("测部县部门处置人员")
    cases.act(world, made["housing"].id, "accept", actor=shared, now=NOW)
    cases.act(world, made["housing"].id, "return", actor=shared, now=NOW, note="不属本局职责")
    log = cases.events(world, made["housing"].id, actor=actor("commander", COUNTY))
    accepted, returned = log[-2], log[-1]
    assert (accepted.action, returned.action) == ("accept", "return")
    for event in (accepted, returned):
        assert event.actor_name == f"测部县部门处置人员（{HOUSING}）"
        assert event.payload is not None and event.payload["department"] == HOUSING
    # a department acting on its own name writes no bureau beside it
    add_user(world, username=LABOUR, role="department", scope_code=COUNTY)
    who = actor("commander", COUNTY)
    cases.act(
        world, made["alone"].id, "dispatch", actor=who, now=NOW, params={"department": LABOUR}
    )
    cases.act(world, made["alone"].id, "accept", actor=_department(LABOUR), now=NOW)
    last = cases.events(world, made["alone"].id, actor=who)[-1]
    assert last.actor_name == LABOUR and not (last.payload or {}).get("department")


def test_a_department_gets_no_command_centre_view(
    api_client: TestClient, auth_headers: Headers
) -> None:
    """The command feed, the map, hot spots, trends, workers, alerts, persons refuse it (S2)."""
    department, county = auth_headers("dept_a"), auth_headers("cmd_a")
    for path in (
        f"/api/command/{COUNTY_A}",
        f"/api/console/{COUNTY_A}/cases?bbox=100,10,120,30",
        f"/api/console/{COUNTY_A}/hotspots",
        f"/api/console/{COUNTY_A}/heat",
        f"/api/console/{COUNTY_A}/cameras/offline",
        "/api/hotspots/runs",
        f"/api/trends/{COUNTY_A}/categories",
        "/api/alerts",
        "/api/persons/visits",
        "/ogc/collections/cases/items",
        "/tiles/cases/12/3300/1900.mvt",
    ):
        refused = api_client.get(path, headers=department)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["detail"] == department_scope.COMMAND_VIEW_REFUSED, path
        assert api_client.get(path, headers=county).status_code != 403, path
    # the unit's outline stays (the desk's map draws it)
    assert api_client.get(f"/api/console/{COUNTY_A}/outline", headers=department).status_code == 200
    # its lists hold none of the county's cases: none was sent to it
    for stage in ("queue", "recent", "overdue", "escalated"):
        listed = api_client.get(f"/api/cases?stage={stage}", headers=department)
        assert listed.status_code == 200 and listed.json() == [], stage
    found = api_client.get("/api/cases", params={"q": "测试事件", "code": COUNTY_A}, headers=county)
    assert found.status_code == 200 and found.json(), found.text
    assert api_client.get("/api/cases", params={"q": "测试事件"}, headers=department).json() == []
    for case in found.json()[:3]:
        for tail in ("", "/events", "/detail"):
            got = api_client.get(f"/api/cases/{case['id']}{tail}", headers=department)
            assert got.status_code == 404, (tail, got.text)


def test_the_desk_leads_with_what_waits_for_受理(world: Session) -> None:
    """Trial AQ M1: the case sent to the bureau was row 15 of the county's 本级待办."""
    made = _four_cases(world)
    add_user(world, username=HOUSING, role="department", scope_code=COUNTY)
    add_user(world, username=LABOUR, role="department", scope_code=COUNTY)
    who = actor("commander", COUNTY)
    cases.act(
        world, made["alone"].id, "dispatch", actor=who, now=NOW, params={"department": LABOUR}
    )
    labour = _department(LABOUR)

    def groups() -> list[tuple[str, str]]:
        names = {c.id: k for k, c in made.items()}
        rows = department_scope.desk(world, labour, now=NOW)
        return [(r.group, names[r.case.id]) for r in rows if r.case.id in names]

    assert groups() == [("to_accept", "alone"), ("summoned", "summoned")]
    summoned = [r for r in department_scope.desk(world, labour, now=NOW) if r.group == "summoned"]
    assert summoned[0].by == "commander-tester"
    cases.act(world, made["alone"].id, "accept", actor=labour, now=NOW)
    assert groups() == [("handling", "alone"), ("summoned", "summoned")]
    # no 到场, no 回访: 处置反馈, 办结 and 退回 only, and 申请延期 (trial AX S5)
    offered = cases.actions_open_to(world, made["alone"], labour)
    assert set(offered) == {"feedback", "resolve", "return", "extension_request"}, offered
    cases.act(world, made["alone"].id, "return", actor=labour, now=NOW, note="不属本局职责")
    assert groups() == [("summoned", "summoned"), ("done", "alone")]
    # the county's commander has no desk
    assert department_scope.desk(world, who, now=NOW) == []


def test_only_a_department_has_a_desk(api_client: TestClient, auth_headers: Headers) -> None:
    refused = api_client.get("/api/departments/desk", headers=auth_headers("cmd_a"))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "本部门待办仅供职能部门账号使用"
    own = api_client.get("/api/departments/desk", headers=auth_headers("dept_a"))
    assert own.status_code == 200 and own.json()["cases"] == [], own.text


def test_a_summon_names_departments_from_the_list(world: Session) -> None:
    """Trial AQ S3: 县人设局 was taken, and became a dispatch target reaching nobody."""
    made = _four_cases(world)
    add_user(world, username=LABOUR, role="department", scope_code=COUNTY)
    who = actor("commander", COUNTY)
    case_id = made["alone"].id

    def summon(*names: str, **params: object) -> None:
        p = {"departments": list(names), **params}
        cases.act(world, case_id, "summon", actor=who, now=NOW, params=p)

    typo = LABOUR.replace("人社", "人设")
    for params in ({}, {"new_departments": True}):  # confirmed or not
        with pytest.raises(InvalidInput, match=f"是否为“{LABOUR}”？"):
            summon(typo, **params)
    with pytest.raises(InvalidInput, match="新增部门名称"):
        summon("测部县林草局")
    summon("测部县林草局", new_departments=True)
    summon(LABOUR)
    summon(HOUSING)  # named before (the dispatch of _four_cases)
    assert [e.payload for e in cases.events(world, case_id, actor=who)[-3:]] == [
        {"departments": ["测部县林草局"]},
        {"departments": [LABOUR]},
        {"departments": [HOUSING]},
    ]


def test_a_summoned_department_answers_the_summon(world: Session) -> None:
    made = _four_cases(world)
    add_user(world, username=LABOUR, role="department", scope_code=COUNTY)
    add_user(world, username=HOUSING, role="department", scope_code=COUNTY)
    labour, housing = _department(LABOUR), _department(HOUSING)
    summoned = made["summoned"]
    assert cases.actions_open_to(world, summoned, labour) == ["summon_reply"]
    with pytest.raises(InvalidInput, match="吹哨反馈内容"):
        cases.act(world, summoned.id, "summon_reply", actor=labour, now=NOW)
    cases.act(
        world, summoned.id, "summon_reply", actor=labour, now=NOW, note="已约谈用工单位，周五前付清"
    )
    last = cases.events(world, summoned.id, actor=actor("commander", COUNTY))[-1]
    assert (last.action, last.actor_name, last.note) == (
        "summon_reply",
        LABOUR,
        "已约谈用工单位，周五前付清",
    )
    assert last.payload == {"department": LABOUR}
    # a department the 吹哨 did not name neither reads nor answers it
    with pytest.raises(NotFound):
        cases.act(world, summoned.id, "summon_reply", actor=housing, now=NOW, note="收到")
    # nor is it offered on its own dispatch without a 吹哨
    assert "summon_reply" not in cases.actions_open_to(world, made["housing"], housing)


def test_a_township_case_is_offered_the_county_s_bureaus_with_accounts(world: Session) -> None:
    """Each county bureau has its own account now: it stays among a township's departments."""
    who = actor("dispatcher")
    case = _register(world, who, "部门范围测试乡镇案件", 0.0)
    cases.act(world, case.id, "triage", actor=who, now=NOW)
    add_user(world, username=HOUSING, role="department", scope_code=COUNTY)
    add_user(world, username="测部市公安局", role="department", scope_code=COUNTY[:4] + "0" * 8)
    offered = dispatch.departments_for_case(world, actor=who, case_id=case.id)["departments"]
    assert HOUSING in offered and "测部市公安局" not in offered
