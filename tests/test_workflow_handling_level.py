"""Operators act only on the cases their level handles, or the dispatch given to their unit.

Usability trial AU S1: a village commander 办结'd a city-level case dispatched to 县司法局; the
city and the province were offered 办结, 退回 and 处置反馈 on county cases, a township 评价 and
回访 on a county case. Now the dispatch's work (受理, 到场, 处置反馈, 办结, 退回) is its
assignee's, the handling level's acting for it, or the operators' of the unit a dispatch was
given to (the village centre the township sent it to); 评价, 回访 and 销号 are the handling
level's (a grid worker still makes a 回访 of his area's case he did not handle). The superior
levels keep 督办, 催办 and 提级办理. Refusals say who may act; the allowed lists (detail,
``/allowed``, the stage lists) follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from layers import cases
from layers.database import apply_scope
from layers.errors import Forbidden
from layers.model import Case
from layers.workflow import Actor
from tests.api_fixtures import VILLAGES, ApiWorld, act
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    CITY,
    COUNTY,
    NOW,
    PROVINCE,
    actor,
    add_worker,
    delete_cases,
    ensure_world,
    township,
    village,
    village_centre,
    worker_actor,
)

Headers = Callable[[str], dict[str, str]]
V1 = village()
#: The dispatch's work: its assignee's, the handling level's, or the unit's it was given to.
WORK = {"accept", "arrive", "feedback", "resolve", "return"}
#: Closing the loop: the handling level's.
CLOSING = {"evaluate", "visit", "archive"}


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _registered(world: Session, by: str, scope: str, title: str) -> Case:
    """A case of village 100-1 registered and triaged by ``scope``'s operator: its level's."""
    desk = actor(by, scope)
    lon, lat = village_centre(V1)
    case = cases.register(
        world,
        actor=desk,
        channel="phone",
        category="dispute",
        subcategory="property_management",
        title=title,
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case
    return cases.act(world, case.id, "triage", actor=desk, now=NOW)


def _offered(world: Session, case: Case, who: Actor) -> set[str]:
    return set(cases.actions_open_to(world, case, who, now=NOW))


def _refusal(world: Session, case: Case, action: str, who: Actor, **kw: Any) -> str:
    with pytest.raises(Forbidden) as refused:
        cases.act(world, case.id, action, actor=who, now=NOW, **kw)
    return str(refused.value)


def test_a_county_case_sent_to_a_bureau_is_the_bureaus_and_the_countys_alone(
    world: Session,
) -> None:
    county = actor("dispatcher", COUNTY)
    case = _registered(world, "commander", COUNTY, "小区物业停水，居民聚集")
    assert case.handling_level == 3
    cases.act(world, case.id, "dispatch", actor=county, now=NOW, params={"department": "县司法局"})
    below_and_above = {
        "村": actor("commander", V1),
        "乡镇": actor("dispatcher", township()),
        "市": actor("commander", CITY),
        "省": actor("commander", PROVINCE),
    }
    for who in below_and_above.values():
        assert not _offered(world, case, who) & WORK, who.scope_code
    # the superiors keep their own means: 催办, 督办, 提级办理
    assert {"remind", "supervise", "escalate"} <= _offered(world, case, below_and_above["市"])
    assert _refusal(world, case, "accept", below_and_above["村"]) == (
        "该案件由县级办理、已派给县司法局：受理须由承办单位或县级办理人员填写；您在村社区级"
    )
    # the county acts for the bureau
    assert "accept" in _offered(world, case, county)
    cases.act(world, case.id, "accept", actor=county, now=NOW)
    outcome: dict[str, Any] = {
        "params": {"outcome": "mediated"},
        "note": "社区已与物业公司沟通，居民同意，办结。",
    }
    assert _refusal(world, case, "resolve", below_and_above["村"], **outcome) == (
        "该案件由县级办理、已派给县司法局：办结须由承办单位或县级办理人员填写；您在村社区级"
    )
    assert _refusal(world, case, "resolve", below_and_above["市"], **outcome) == (
        "该案件由县级办理、已派给县司法局：办结须由承办单位或县级办理人员填写；"
        "您在市级（上级可督办、催办或提级办理）"
    )
    assert _refusal(world, case, "feedback", below_and_above["乡镇"], note="已到场") == (
        "该案件由县级办理、已派给县司法局：处置反馈须由承办单位或县级办理人员填写；您在乡镇级"
    )
    assert _refusal(world, case, "return", below_and_above["省"], note="不属本部门") == (
        "该案件由县级办理、已派给县司法局：退回须由承办单位或县级办理人员提出；"
        "您在省级（上级可督办、催办或提级办理）"
    )
    assert case.state == "accepted"
    cases.act(world, case.id, "resolve", actor=county, now=NOW, **outcome)
    # 评价, 回访, 销号: the county's; a grid worker of the village still visits
    for who in below_and_above.values():
        assert not _offered(world, case, who) & CLOSING, who.scope_code
    assert _refusal(world, case, "evaluate", below_and_above["乡镇"]) == (
        "评价须由办理该案件的县级填写：您在乡镇级"
    )
    assert _refusal(world, case, "visit", below_and_above["乡镇"], note="电话回访") == (
        "回访须由办理该案件的县级填写：您在乡镇级"
    )
    lon, lat = village_centre(V1)
    walker = worker_actor(add_worker(world, area_code=V1, lon=lon, lat=lat, name="回访员"))
    assert "visit" in _offered(world, case, walker)
    cases.act(world, case.id, "evaluate", actor=county, now=NOW)
    cases.act(world, case.id, "visit", actor=walker, now=NOW, note="上门回访，居民满意")
    assert _refusal(world, case, "archive", below_and_above["市"]) == (
        "销号须由办理该案件的县级填写：您在市级"
    )
    assert cases.act(world, case.id, "archive", actor=county, now=NOW).state == "archived"


def test_the_village_the_township_sent_it_to_does_its_work_and_the_township_closes_it(
    world: Session,
) -> None:
    town = actor("dispatcher", township())
    case = _registered(world, "dispatcher", township(), "楼道堆物，邻里争执")
    assert case.handling_level == 4
    cases.act(world, case.id, "dispatch", actor=town, now=NOW, params={"unit_code": V1})
    centre, county = actor("commander", V1), actor("commander", COUNTY)
    assert {"accept", "return"} <= _offered(world, case, centre)
    assert not _offered(world, case, county) & WORK
    for step in ("accept", "arrive"):
        cases.act(world, case.id, step, actor=centre, now=NOW)
    cases.act(world, case.id, "feedback", actor=centre, now=NOW, note="已约双方到村委会")
    failed = {"outcome": "mediation_failed", "route": "litigation"}
    cases.act(world, case.id, "resolve", actor=centre, now=NOW, params=failed, note="调解不成")
    # on the legal route the village follows it to its end; the county does not
    assert case.state == "legal_route"
    assert {"feedback", "resolve"} <= _offered(world, case, centre)
    assert not _offered(world, case, county) & WORK
    assert _refusal(world, case, "feedback", county, note="法院已立案") == (
        "该案件由乡镇级办理：处置反馈须由乡镇级办理人员填写；您在县级（上级可督办、催办或提级办理）"
    )
    done = {"outcome": "legal_concluded"}
    cases.act(world, case.id, "resolve", actor=centre, now=NOW, params=done, note="法院已判决")
    # the loop is closed by the township, which handles the case
    assert not _offered(world, case, centre) & CLOSING
    assert {"evaluate", "visit"} <= _offered(world, case, town)
    assert (
        _refusal(world, case, "evaluate", centre) == "评价须由办理该案件的乡镇级填写：您在村社区级"
    )
    cases.act(world, case.id, "evaluate", actor=town, now=NOW)


# ------------------------------------------------------------------ over HTTP


@pytest.fixture
def two_cases(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, api_world: ApiWorld
) -> Iterator[tuple[int, int]]:
    """A county case of village 0 sent to 区司法局, and a township one sent to the village."""
    made: list[int] = []
    try:
        for who, params in (
            ("cmd_a", {"department": "区司法局"}),
            ("disp_a1", {"unit_code": VILLAGES[0]}),
        ):
            headers = auth_headers(who)
            body = {"channel": "phone", "category": "dispute", "area_code": VILLAGES[0]}
            body |= {"subcategory": "property_management", "title": "物业纠纷（层级测试）"}
            got = api_client.post("/api/cases", json=body, headers=headers)
            assert got.status_code == 201, got.text
            made.append(got.json()["id"])
            assert act(api_client, headers, made[-1], "triage").status_code == 200
            sent = act(api_client, headers, made[-1], "dispatch", params=params)
            assert sent.status_code == 200, sent.text
        yield made[0], made[1]
    finally:
        with database.owner.connect() as conn, conn.begin():
            session = Session(bind=conn)
            apply_scope(session, None)
            delete_cases(session, made)
            session.flush()


def test_the_api_offers_and_allows_the_dispatch_s_work_by_level(
    api_client: TestClient, auth_headers: Headers, two_cases: tuple[int, int]
) -> None:
    county_case, unit_case = two_cases
    village_desk = auth_headers("cmd_village")

    def allowed(who: str, case_id: int) -> set[str]:
        got = api_client.get(f"/api/cases/{case_id}/allowed", headers=auth_headers(who))
        assert got.status_code == 200, got.text
        return {a["action"] for a in got.json()["allowed"]}

    for who in ("cmd_village", "disp_a1", "cmd_city", "cmd_province"):
        assert not allowed(who, county_case) & WORK, who
    assert "accept" in allowed("cmd_a", county_case)
    assert {"remind", "supervise"} <= allowed("cmd_city", county_case)
    # the lists say the same: the village's 已上报 holds both, only the unit's with its work
    listed = api_client.get("/api/cases", params={"stage": "escalated"}, headers=village_desk)
    rows = {c["id"]: set(c["allowed_actions"]) for c in listed.json()}
    assert not rows[county_case] & WORK
    assert {"accept", "return"} <= rows[unit_case]
    refused = act(api_client, village_desk, county_case, "accept")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "该案件由县级办理、已派给区司法局：受理须由承办单位或县级办理人员填写；您在村社区级"
    )
    assert allowed("cmd_village", unit_case) >= {"accept", "return"}
    assert not allowed("cmd_a", unit_case) & WORK
    assert act(api_client, village_desk, unit_case, "accept").status_code == 200
