"""A superior who gives a lower level's case to a bureau handles it from then on (trial AX S1).

The county's 12345 desk imported an order, filed in the township its point lies in, and sent
it to 县人社局; once the bureau closed it, the desk was offered nothing but 重新办理: 评价, 回访
and 销号 were the township's, which had never seen the order.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from layers import cases, workflow
from layers.model import Case
from layers.workflow import Actor
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_user,
    ensure_world,
    township,
    village,
    village_centre,
)

BUREAU = "测提县人社局"
TOWN = township(200)
COUNTY_DESK = actor("commander", COUNTY)
TOWN_DESK = actor("dispatcher", TOWN)


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    add_user(db, username=BUREAU, role="department", scope_code=COUNTY)
    return db


def _order(db: Session) -> Case:
    lon, lat = village_centre(village(200, 1))
    case = cases.register(
        db,
        actor=TOWN_DESK,
        channel="hotline_12345",
        category="dispute",
        subcategory="labour_wages",
        title="工地拖欠工资",
        reported_at=NOW,
        lon=lon,
        lat=lat,
    ).case
    cases.act(db, case.id, "triage", actor=TOWN_DESK, now=NOW)
    assert case.handling_level == 4
    return case


def _allowed(db: Session, case: Case, who: Actor) -> set[str]:
    return set(cases.actions_open_to(db, case, who, now=NOW))


def test_the_county_that_sends_a_townships_order_to_a_bureau_closes_it_with_the_citizen(
    world: Session,
) -> None:
    case = _order(world)
    cases.act(world, case.id, "dispatch", actor=COUNTY_DESK, now=NOW, params={"department": BUREAU})
    assert case.handling_level == 3
    bureau = Actor(user_id=None, name=BUREAU, role="department", scope_code=COUNTY)
    cases.act(world, case.id, "accept", actor=bureau, now=NOW)
    cases.act(
        world,
        case.id,
        "resolve",
        actor=bureau,
        now=NOW,
        note="已督促企业支付工资",
        params={"outcome": "resolved"},
    )
    assert {"evaluate"} <= _allowed(world, case, COUNTY_DESK)
    cases.act(world, case.id, "evaluate", actor=COUNTY_DESK, now=NOW)
    assert case.state == "evaluated"


def test_a_township_sending_its_own_case_to_a_bureau_keeps_it(world: Session) -> None:
    case = _order(world)
    cases.act(world, case.id, "dispatch", actor=TOWN_DESK, now=NOW, params={"department": BUREAU})
    assert case.handling_level == 4
    assert workflow.OPERATORS  # the rule is the operators'
