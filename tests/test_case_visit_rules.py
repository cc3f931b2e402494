"""回访 and 销号 as DESIGN.md orders them: 办结 → 评价 → 回访 → 销号 (usability trial AS, M5).

The grid worker whose dispatch 办结'd a case was offered its 回访 and recorded it: the handler
checked his own work. A 回访 needed no word of what it learned, and a case could be 销号'd
straight after 评价 with no 回访 and nothing said. Now the handler is neither offered nor allowed
the 回访 (「回访须由承办人以外的人员进行」), a 回访 says what it learned (「请填写回访情况」), and a
销号 without 回访 states why none was made (「未回访的案件销号须说明不回访的原因」); a 销号 after
回访 needs no reason. Imports write history as it was and are not actions (tests of imports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from layers import cases, workflow
from layers.database import apply_scope
from layers.errors import Forbidden, InvalidInput
from layers.model import Case, CaseEvent
from tests.api_fixtures import VILLAGES, ApiWorld, act
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    NOW,
    actor,
    add_worker,
    delete_cases,
    ensure_world,
    village,
    village_centre,
    worker_actor,
)

Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _resolved(world: Session, handler: int, *, legal: bool = False) -> Case:
    """A case of township 100 dispatched to worker ``handler``, who 办结'd it."""
    desk = actor()
    lon, lat = village_centre(village())
    case = cases.register(
        world,
        actor=desk,
        channel="phone",
        category="dispute",
        subcategory="neighbours",
        title="回访规则测试：邻里噪音",
        reported_at=NOW,
        lon=lon,
        lat=lat,
        reporter_name="钱多多",
        reporter_phone="13900001111",
    ).case
    cases.act(world, case.id, "triage", actor=desk, now=NOW)
    cases.act(world, case.id, "dispatch", actor=desk, now=NOW, params={"worker_id": handler})
    cases.act(world, case.id, "accept", actor=worker_actor(handler), now=NOW)
    if legal:  # mediation failed: the worker's dispatch ends, the county court decides
        cases.act(
            world,
            case.id,
            "resolve",
            actor=worker_actor(handler),
            now=NOW,
            params={"outcome": "mediation_failed", "route": "litigation"},
            note="调解不成，当事人起诉",
        )
        params = {"outcome": "legal_concluded"}
        return cases.act(
            world, case.id, "resolve", actor=desk, now=NOW, params=params, note="法院判决已执行"
        )
    return cases.act(
        world,
        case.id,
        "resolve",
        actor=worker_actor(handler),
        now=NOW,
        params={"outcome": "mediated"},
        note="双方达成协议",
    )


def _two_workers(world: Session) -> tuple[int, int]:
    lon, lat = village_centre(village())
    return (
        add_worker(world, area_code=village(), lon=lon, lat=lat, name="承办人"),
        add_worker(world, area_code=village(), lon=lon, lat=lat, name="同村网格员"),
    )


@pytest.mark.parametrize("legal", [False, True], ids=["mediated", "legal-route"])
def test_the_worker_who_resolved_a_case_does_not_visit_it(world: Session, legal: bool) -> None:
    handler, colleague = _two_workers(world)
    case = _resolved(world, handler, legal=legal)
    assert case.state == "resolved"
    # not offered to the handler, offered to another worker and to the township's desk
    assert "visit" not in cases.actions_open_to(world, case, worker_actor(handler))
    assert "visit" in cases.actions_open_to(world, case, worker_actor(colleague))
    assert "visit" in cases.actions_open_to(world, case, actor())
    with pytest.raises(Forbidden, match="^回访须由承办人以外的人员进行"):
        cases.act(world, case.id, "visit", actor=worker_actor(handler), now=NOW, note="回访满意")
    assert case.state == "resolved"
    done = cases.act(
        world, case.id, "visit", actor=worker_actor(colleague), now=NOW, note="电话回访，对结果满意"
    )
    assert done.state == "visited"


def test_a_visit_says_what_it_learned(world: Session) -> None:
    handler, _ = _two_workers(world)
    case = _resolved(world, handler)
    for empty in (None, "", "   "):
        with pytest.raises(InvalidInput, match="^请填写回访情况$"):
            cases.act(
                world,
                case.id,
                "visit",
                actor=actor(),
                now=NOW,
                note=empty,
                params={"satisfaction": 5},
            )
    assert case.state == "resolved"
    said = "电话回访反映人，对调解结果满意，无新的诉求"
    cases.act(world, case.id, "visit", actor=actor(), now=NOW, note=said)
    visit = world.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "visit")
    ).one()
    assert visit.note == said


def test_archive_without_a_visit_states_why_none_was_made(world: Session) -> None:
    handler, _ = _two_workers(world)
    desk = actor()
    case = _resolved(world, handler)
    cases.act(world, case.id, "evaluate", actor=desk, now=NOW, params={"satisfaction": 4})
    assert "archive" in cases.actions_open_to(world, case, desk)  # still possible, with a reason
    for empty in (None, " "):
        with pytest.raises(InvalidInput, match="^未回访的案件销号须说明不回访的原因$"):
            cases.act(world, case.id, "archive", actor=desk, now=NOW, note=empty)
    assert case.state == "evaluated"
    archived = cases.act(
        world, case.id, "archive", actor=desk, now=NOW, note="反映人匿名，无法回访"
    )
    assert archived.state == "archived"
    last = world.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert last is not None and (last.action, last.note) == ("archive", "反映人匿名，无法回访")


def test_archive_after_a_visit_needs_no_reason(world: Session) -> None:
    handler, _ = _two_workers(world)
    desk = actor()
    case = _resolved(world, handler)
    cases.act(world, case.id, "evaluate", actor=desk, now=NOW)
    cases.act(world, case.id, "visit", actor=desk, now=NOW, note="上门回访，当事人满意")
    assert cases.act(world, case.id, "archive", actor=desk, now=NOW).state == "archived"


def test_the_table_says_which_note_each_step_asks() -> None:
    assert workflow.note_required("visit", "resolved") == "回访情况"
    assert workflow.note_required("archive", "evaluated") == "不回访的原因"
    assert workflow.note_required("archive", "visited") is None
    assert workflow.note_required("evaluate", "resolved") is None
    assert workflow.note_refusal("archive", "evaluated") == "未回访的案件销号须说明不回访的原因"


# ------------------------------------------------------------------ over HTTP


@pytest.fixture
def api_case(
    api_client: TestClient, auth_headers: Headers, database: SuiteDatabase, api_world: ApiWorld
) -> Iterator[tuple[int, int]]:
    """A case of village 0 dispatched to worker_v0's worker record and 办结'd by him."""
    with database.owner.connect() as conn:
        worker_id = conn.execute(
            text("SELECT worker_id FROM users WHERE username = 't46_worker_v0'")
        ).scalar_one()
        status = conn.execute(
            text("SELECT status FROM workers WHERE id = :w"), {"w": worker_id}
        ).scalar_one()
    desk, worker = auth_headers("disp_a1"), auth_headers("worker_v0")
    made = api_client.post(
        "/api/cases",
        json={
            "channel": "phone",
            "category": "dispute",
            "title": "回访规则接口测试：邻里纠纷",
            "area_code": VILLAGES[0],
            "reporter_name": "孙小美",
            "reporter_phone": "13900002222",
        },
        headers=desk,
    )
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    try:
        assert act(api_client, desk, case_id, "triage").status_code == 200
        sent = act(api_client, desk, case_id, "dispatch", params={"worker_id": worker_id})
        assert sent.status_code == 200, sent.text
        assert act(api_client, worker, case_id, "accept").status_code == 200
        done = act(
            api_client, worker, case_id, "resolve", params={"outcome": "mediated"}, note="已调解"
        )
        assert done.status_code == 200, done.text
        yield case_id, worker_id
    finally:
        with database.owner.connect() as conn, conn.begin():
            session = Session(bind=conn)
            apply_scope(session, None)
            delete_cases(session, [case_id])
            session.execute(
                text("UPDATE workers SET status = :s WHERE id = :w"),
                {"s": status, "w": worker_id},
            )
            session.flush()


def test_the_api_keeps_the_handler_from_his_visit_and_names_the_notes(
    api_client: TestClient, auth_headers: Headers, api_case: tuple[int, int]
) -> None:
    case_id, _ = api_case
    desk, worker = auth_headers("disp_a1"), auth_headers("worker_v0")
    offered = api_client.get(f"/api/cases/{case_id}/allowed", headers=worker).json()
    assert "visit" not in [a["action"] for a in offered["allowed"]]
    refused = act(api_client, worker, case_id, "visit", note="回访满意")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("回访须由承办人以外的人员进行")

    def notes() -> dict[str, str | None]:
        body = api_client.get(f"/api/cases/{case_id}/allowed", headers=desk).json()
        return {a["action"]: a["note_required"] for a in body["allowed"]}

    assert notes()["visit"] == "回访情况"
    assert act(api_client, desk, case_id, "evaluate").status_code == 200
    assert notes()["archive"] == "不回访的原因"  # the case page's label (trial AS M5)
    empty = act(api_client, desk, case_id, "archive")
    assert empty.status_code == 422
    assert empty.json()["detail"] == "未回访的案件销号须说明不回访的原因"
    empty_visit = act(api_client, desk, case_id, "visit", note=" ")
    assert (empty_visit.status_code, empty_visit.json()["detail"]) == (422, "请填写回访情况")
    assert act(api_client, desk, case_id, "visit", note="电话回访，满意").status_code == 200
    assert notes()["archive"] is None
    assert act(api_client, desk, case_id, "archive").status_code == 200
