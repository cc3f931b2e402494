"""A department's desk tells an answered 吹哨 from an unanswered one, and who handles each case.

Trial AT M5: after 县住建局's 吹哨反馈 the desk still showed 「被吹哨 1」 with the same entry, and
each entry named only the bureau itself, which read as if it handled a case dispatched to
县公安局.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from layers import cases, department_scope
from layers.department_scope import DeskRow
from layers.model import Case
from layers.workflow import Actor
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_user,
    ensure_world,
    village,
    village_centre,
)

POLICE, LABOUR, HOUSING = "测答县公安局", "测答县人社局", "测答县住建局"


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    for name in (POLICE, LABOUR, HOUSING):
        add_user(db, username=name, role="department", scope_code=COUNTY)
    return db


def _department(name: str) -> Actor:
    return Actor(user_id=None, name=name, role="department", scope_code=COUNTY)


def _case(db: Session, title: str, offset_m: float) -> Case:
    who = actor("commander", COUNTY)
    lon, lat = village_centre(village())
    made = cases.register(
        db,
        actor=who,
        channel="phone",
        category="dispute",
        subcategory="labour_wages",
        title=title,
        reported_at=NOW,
        lon=lon + offset_m / 101_000,
        lat=lat,
    ).case
    cases.act(db, made.id, "triage", actor=who, now=NOW)
    return made


def _summon(db: Session, case: Case, *names: str) -> None:
    who = actor("commander", COUNTY)
    cases.act(db, case.id, "summon", actor=who, now=NOW, params={"departments": list(names)})


def _rows(db: Session, name: str) -> dict[int, DeskRow]:
    return {r.case.id: r for r in department_scope.desk(db, _department(name), now=NOW)}


def test_an_answered_summons_leaves_被吹哨_until_it_is_summoned_again(world: Session) -> None:
    who = actor("commander", COUNTY)
    wages = _case(world, "吹哨反馈测试：工地欠薪", 0.0)
    cases.act(world, wages.id, "dispatch", actor=who, now=NOW, params={"department": POLICE})
    _summon(world, wages, LABOUR, HOUSING)
    other = _case(world, "吹哨反馈测试：物业纠纷", 300.0)
    _summon(world, other, LABOUR)

    row = _rows(world, LABOUR)[wages.id]
    assert (row.group, row.answered_at) == ("summoned", None)
    cases.act(world, wages.id, "summon_reply", actor=_department(LABOUR), now=NOW, note="已核查")
    rows = _rows(world, LABOUR)
    row = rows[wages.id]
    assert row.group == "answered" and row.answered_at is not None
    # 被吹哨 counts only the unanswered; the answered come after them
    assert rows[other.id].group == "summoned"
    groups = [r.group for r in rows.values()]
    assert groups.index("summoned") < groups.index("answered"), groups
    # 人社's answer is not 住建's: the same 吹哨 still waits at 住建
    assert _rows(world, HOUSING)[wages.id].group == "summoned"

    # a later 吹哨 of the same case to the same department is unanswered again
    _summon(world, wages, LABOUR)
    row = _rows(world, LABOUR)[wages.id]
    assert (row.group, row.answered_at) == ("summoned", None)


def test_each_row_says_who_handles_the_case(world: Session) -> None:
    who = actor("commander", COUNTY)
    sent = _case(world, "承办测试：派给公安", 0.0)
    cases.act(world, sent.id, "dispatch", actor=who, now=NOW, params={"department": POLICE})
    _summon(world, sent, LABOUR)
    waiting = _case(world, "承办测试：尚未派单", 300.0)
    _summon(world, waiting, LABOUR)
    own = _case(world, "承办测试：派给人社", 600.0)
    cases.act(world, own.id, "dispatch", actor=who, now=NOW, params={"department": LABOUR})

    rows = _rows(world, LABOUR)
    # the 吹哨'd case is handled by 公安, not by the bureau whose desk it is
    assert (rows[sent.id].department, rows[sent.id].handler) == (LABOUR, POLICE)
    # not yet dispatched: the unit of its level, which has still to send it
    assert waiting.handling_level == 3
    assert rows[waiting.id].handler == "通海县（尚未派单）"
    assert (rows[own.id].group, rows[own.id].handler) == ("to_accept", LABOUR)


def test_a_case_settled_is_not_said_to_wait_for_a_dispatch(world: Session) -> None:
    who = actor("commander", COUNTY)
    labour = _department(LABOUR)
    settled = _case(world, "承办测试：人社已办结", 0.0)
    returned = _case(world, "承办测试：人社已退回", 300.0)
    for case in (settled, returned):
        cases.act(world, case.id, "dispatch", actor=who, now=NOW, params={"department": LABOUR})
        cases.act(world, case.id, "accept", actor=labour, now=NOW)
    cases.act(world, returned.id, "return", actor=labour, now=NOW, note="不属本局职责")
    cases.act(
        world,
        settled.id,
        "resolve",
        actor=labour,
        now=NOW,
        params={"outcome": "mediated"},
        note="已督促用工单位付清工资",
    )
    rows = _rows(world, LABOUR)
    # back at the county to dispatch again; settled, the county evaluates it
    assert (rows[returned.id].group, rows[returned.id].handler) == ("done", "通海县（尚未派单）")
    assert (rows[settled.id].group, rows[settled.id].handler) == ("done", "通海县")
