"""The case workflow: the pure table, deadlines, and the service functions on PostGIS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import case_history, case_lists, cases, command, deadlines, dispatch, workflow
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.model import AuditEntry, Case, CaseEvent, Dispatch, Worker
from tests.workflow_data import (
    COUNTY,
    NOW,
    actor,
    add_user,
    add_worker,
    ensure_world,
    grid,
    township,
    village,
    village_centre,
)

# ------------------------------------------------------------------ the pure table


def test_every_state_has_a_way_forward_but_archive_only_reopens() -> None:
    for state in workflow.CaseState:
        assert workflow.allowed_actions(state, handling_level=4), state
    assert workflow.allowed_actions("archived", handling_level=4) == ["reopen"]


def test_illegal_transition_lists_allowed_actions_for_the_actor() -> None:
    dispatcher = actor("dispatcher")
    with pytest.raises(Conflict) as info:
        workflow.check(dispatcher, "archive", state="registered", handling_level=4)
    assert info.value.allowed == ["triage", "escalate", "hand_down", "summon"]


def test_role_and_level_rules() -> None:
    worker = actor("grid_worker", village())
    with pytest.raises(Forbidden):
        workflow.check(worker, "triage", state="registered", handling_level=4)
    # a township dispatcher cannot remind a case waiting in its own queue: only a superior can
    with pytest.raises(Forbidden, match="催办须由上级发起"):
        workflow.check(actor("dispatcher"), "remind", state="triaged", handling_level=4)
    # once dispatched to a grid worker or a department, the township reminds them (催办) too
    for in_hands in ("dispatched", "accepted", "on_site"):
        assert (
            workflow.check(actor("dispatcher"), "remind", state=in_hands, handling_level=4)
            == in_hands
        )
        assert "remind" in workflow.allowed_actions(
            in_hands, handling_level=4, actor=actor("dispatcher")
        )
        with pytest.raises(Forbidden):  # a village below it does not
            workflow.check(
                actor("dispatcher", village()), "remind", state=in_hands, handling_level=4
            )
    county = actor("commander", "520424000000")
    assert workflow.check(county, "supervise", state="triaged", handling_level=4) == "triaged"
    # a village operator cannot act on a case escalated to the township
    with pytest.raises(Forbidden):
        workflow.check(actor("commander", village()), "triage", state="escalated", handling_level=4)
    # the province cannot escalate further
    with pytest.raises(Conflict):
        workflow.check(
            actor("commander", "520000000000"), "escalate", state="triaged", handling_level=1
        )


def test_failed_mediation_goes_on_the_legal_route() -> None:
    assert workflow.target_state("resolve", "on_site", outcome="mediation_failed") == "legal_route"
    assert workflow.target_state("resolve", "legal_route", outcome="legal_concluded") == "resolved"


def test_unknown_action_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        workflow.check(actor(), "teleport", state="registered", handling_level=4)


def test_deadlines_shorter_for_higher_risk_and_configurable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert deadlines.limits_for("dispute", 4).close_days == 30
    assert (
        deadlines.limits_for("dispute", 1).close_days
        < deadlines.limits_for("dispute", 2).close_days
    )
    config_file = tmp_path / "deadlines.toml"
    config_file.write_text(
        "[default]\nclose_days = 20\n[risk.3]\nclose_days = 10\n", encoding="utf-8"
    )
    config = deadlines.load(config_file)
    assert deadlines.limits_for("dispute", 4, config).close_days == 20
    assert deadlines.limits_for("dispute", 3, config).close_days == 10
    start = NOW
    end = start + timedelta(days=10)
    assert deadlines.status(start, end, now=start + timedelta(days=7)) == "ok"
    assert deadlines.status(start, end, now=start + timedelta(days=8, hours=1)) == "warning"
    assert deadlines.status(start, end, now=end + timedelta(seconds=1)) == "overdue"


# ------------------------------------------------------------------ on the database


@pytest.fixture
def world(db: Session) -> Session:
    ensure_world(db)
    return db


def _register(db: Session, who: workflow.Actor, offset_m: float = 0.0, **kw: object) -> Case:
    lon, lat = village_centre(village())
    options: dict[str, object] = {
        "channel": "grid_worker",
        "category": "dispute",
        "subcategory": "neighbours",
        "title": "邻里噪音纠纷",
        "reported_at": NOW,
        "lon": lon + offset_m / 101_000,
        "lat": lat,
    }
    options.update(kw)
    return cases.register(db, actor=who, **options).case  # type: ignore[arg-type]


def _worker_actor(worker_id: int | None) -> workflow.Actor:
    """A grid-worker account linked to the worker record ``worker_id``."""
    return workflow.Actor(
        user_id=None,
        name="网格员",
        role="grid_worker",
        scope_code=village(),
        worker_id=worker_id,
    )


def _chain_ok(db: Session, case_id: int) -> list[CaseEvent]:
    log = list(
        db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    )
    changes = [e for e in log if e.action not in ("repeat_linked",)]
    for previous, current in zip(changes, changes[1:], strict=False):
        assert current.from_state == previous.to_state, (previous.action, current.action)
    return log


def test_register_locates_village_and_grid_and_sets_deadlines(world: Session) -> None:
    case = _register(world, actor())
    assert case.area_code == village()
    assert case.grid_code == grid(village())
    assert case.state == "registered" and case.handling_level == 4
    assert case.deadline == NOW + timedelta(days=30)
    assert case.contact_deadline == NOW + timedelta(days=2)
    log = _chain_ok(world, case.id)
    assert [(e.action, e.from_state, e.to_state) for e in log] == [("register", None, "registered")]
    assert world.scalar(
        select(AuditEntry.id).where(
            AuditEntry.action == "case.register", AuditEntry.object_id == str(case.id)
        )
    )


def test_a_case_code_has_the_day_it_was_reported_in_beijing(world: Session) -> None:
    """Reported at 05:24 on 5 December in Beijing, 21:24 on the 4th in UTC (trial Y)."""
    early = datetime(2026, 12, 4, 21, 24, tzinfo=UTC)
    case = _register(world, actor(), reported_at=early)
    assert case.code == f"{village()[:6]}-20261205-{case.id:08d}"


def test_a_grid_worker_follows_the_cases_he_reported(world: Session) -> None:
    """我上报的: what a worker registered is not dispatched to him; he finds it here."""
    village_code = village()
    worker_id = add_user(world, username="wf_reporter", role="grid_worker", scope_code=village_code)
    reporter = actor("grid_worker", village_code, user_id=worker_id)
    other = actor("grid_worker", village_code, user_id=add_user(
        world, username="wf_other", role="grid_worker", scope_code=village_code
    ))  # fmt: skip

    def report(who: workflow.Actor, n: int, **kw: object) -> Case:
        # 300 m apart: none a repeat of another (a subcategory of the code table, trial AU m1)
        return _register(world, who, 300.0 * n, title=f"上报{n}", **kw)

    mine = [report(reporter, n) for n in range(2)]
    old = report(reporter, 2, reported_at=NOW - timedelta(days=40))
    report(other, 3)
    listed = case_lists.stage_list(
        world, actor=reporter, stage=case_lists.Stage.MINE, now=NOW + timedelta(hours=1)
    )
    assert [c.id for c in listed] == [c.id for c in sorted(mine, key=lambda c: -c.id)]
    assert old.id not in {c.id for c in listed}  # older than 30 days


def test_register_outside_scope_is_forbidden(world: Session) -> None:
    lon, lat = village_centre(village(100, 1, "520425"))
    with pytest.raises(Forbidden):
        cases.register(
            world,
            actor=actor(),
            channel="phone",
            category="dispute",
            title="x",
            reported_at=NOW,
            lon=lon,
            lat=lat,
        )


def test_repeat_report_links_and_raises_risk(world: Session) -> None:
    who = actor()
    original = _register(world, who, risk_level=3)
    repeat = cases.register(
        world,
        actor=who,
        channel="hotline_12345",
        category="dispute",
        subcategory="neighbours",
        title="又来投诉",
        reported_at=NOW + timedelta(days=1),
        lon=village_centre(village())[0] + 100 / 101_000,
        lat=village_centre(village())[1],
    )
    assert repeat.duplicate_of is original
    assert repeat.case.duplicate_of == original.id
    world.refresh(original)
    assert original.repeat_count == 1 and original.risk_level == 2
    actions = [e.action for e in _chain_ok(world, original.id)]
    assert actions == ["register", "repeat_linked"]
    # farther than 200 m, another subcategory, or a closed original: no link
    far = _register(world, who, offset_m=400)
    assert far.duplicate_of is None
    other = _register(world, who, subcategory="land")
    assert other.duplicate_of is None


def test_full_lifecycle_keeps_a_consistent_log(world: Session) -> None:
    who = actor()
    lon, lat = village_centre(village())
    worker_id = add_worker(world, area_code=village(), lon=lon, lat=lat)
    case = _register(world, who)
    v = case.version
    case = cases.act(
        world,
        case.id,
        "triage",
        actor=who,
        now=NOW,
        expected_version=v,
        params={"risk_level": 2, "handling_level": 4},
    )
    assert case.deadline == NOW + timedelta(days=15)
    case = cases.act(
        world,
        case.id,
        "dispatch",
        actor=who,
        now=NOW,
        expected_version=case.version,
        params={"worker_id": worker_id},
    )
    assert world.get(Worker, worker_id).status == "busy"  # type: ignore[union-attr]
    field = _worker_actor(worker_id)
    for action in ("accept", "arrive"):
        case = cases.act(
            world, case.id, action, actor=field, now=NOW, expected_version=case.version
        )
    case = cases.act(
        world,
        case.id,
        "resolve",
        actor=field,
        now=NOW,
        expected_version=case.version,
        params={"outcome": "mediated"},
        note="双方在村委会调解下达成协议，已签字",
    )
    assert case.state == "resolved" and case.closed_at == NOW
    worker = world.get(Worker, worker_id)
    world.refresh(worker)
    assert worker.status == "on_duty"  # type: ignore[union-attr]
    assert world.scalar(select(Dispatch.status).where(Dispatch.case_id == case.id)) == "finished"
    case = cases.act(world, case.id, "evaluate", actor=who, now=NOW, params={"satisfaction": 5})
    case = cases.act(
        world, case.id, "visit", actor=who, now=NOW, note="电话回访反映人，对调解结果满意"
    )
    case = cases.act(world, case.id, "archive", actor=who, now=NOW)  # after 回访: no reason
    log = _chain_ok(world, case.id)
    assert [e.action for e in log] == [
        "register",
        "triage",
        "dispatch",
        "accept",
        "arrive",
        "resolve",
        "evaluate",
        "visit",
        "archive",
    ]
    assert log[-1].to_state == "archived" == case.state
    assert case.version == len(log)


def _supervise(
    world: Session, case_id: int, county: workflow.Actor, deadline: datetime, note: str = "限期办结"
) -> Case:
    """督办 the case with its 督办时限 and 督办意见."""
    return cases.act(
        world,
        case_id,
        "supervise",
        actor=county,
        now=NOW,
        params={"deadline": deadline},
        note=note,
    )


def test_a_reopened_case_starts_a_new_round_without_the_old_supervision(world: Session) -> None:
    who = actor()
    county = actor("commander", "520424000000")
    case = _register(world, who)
    cases.act(world, case.id, "triage", actor=who, now=NOW)
    case = _supervise(world, case.id, county, NOW + timedelta(days=3))
    assert case.supervision_deadline is not None
    cases.act(world, case.id, "dispatch", actor=who, now=NOW, params={"department": "县住建局"})
    cases.act(world, case.id, "accept", actor=who, now=NOW)
    cases.act(
        world, case.id, "resolve", actor=who, now=NOW, params={"outcome": "mediated"}, note="已调解"
    )
    cases.act(world, case.id, "evaluate", actor=who, now=NOW)
    # 销号 without 回访 says why (trial AS M5)
    cases.act(world, case.id, "archive", actor=who, now=NOW, note="当事人不愿接受回访")
    limits = (case.contact_deadline, case.deadline)
    later = NOW + timedelta(days=40)  # long after the old 督办时限
    case = cases.act(world, case.id, "reopen", actor=who, now=later, note="当事人再次反映")
    assert case.state == "triaged" and case.closed_at is None
    assert case.supervision_deadline is None  # the 督办 stays in the log, not on the new round
    # the registration's limits stay (trial AH S2: a fresh 30 days took it off the overdue list)
    assert (case.contact_deadline, case.deadline) == limits
    assert case.deadline is not None and case.deadline < later
    assert [e.action for e in _chain_ok(world, case.id)].count("supervise") == 1


def test_failed_mediation_then_legal_route(world: Session) -> None:
    who = actor()
    case = _register(world, who)
    cases.act(world, case.id, "triage", actor=who, now=NOW)
    cases.act(world, case.id, "dispatch", actor=who, now=NOW, params={"department": "司法所"})
    cases.act(world, case.id, "accept", actor=who, now=NOW)
    tried = "两次组织调解，双方对赔偿数额分歧较大"
    with pytest.raises(InvalidInput, match="请填写法治化途径"):
        cases.act(
            world,
            case.id,
            "resolve",
            actor=who,
            now=NOW,
            params={"outcome": "mediation_failed"},
            note=tried,
        )
    case = cases.act(
        world,
        case.id,
        "resolve",
        actor=who,
        now=NOW,
        params={"outcome": "mediation_failed", "route": "arbitration"},
        note=tried,
    )
    assert case.state == "legal_route" and case.closed_at is None
    # arbitration, review or a court keep their own time: not overdue past the centre's limit
    assert case.deadline is None
    months_later = NOW + timedelta(days=90)
    overdue = case_lists.stage_list(
        world, actor=who, stage=case_lists.Stage.OVERDUE, now=months_later
    )
    assert case not in overdue
    case = cases.act(
        world,
        case.id,
        "resolve",
        actor=who,
        now=NOW,
        params={"outcome": "legal_concluded"},
        note="仲裁委已裁决，双方履行完毕",
    )
    assert case.state == "resolved"
    routed = _chain_ok(world, case.id)[-2].payload
    assert routed is not None
    # the timeline says the 办结时限 it cleared and why (trial BA M4)
    [cleared] = routed.pop("deadline_changes")
    assert (cleared["limit"], cleared["to"]) == ("deadline", None)
    assert cleared["why"] == "转法治化途径，不计办结时限"
    assert routed == {"outcome": "mediation_failed", "route": "arbitration"}


def test_escalate_and_hand_down_move_the_queue(world: Session) -> None:
    who = actor()
    case = _register(world, who)
    assert case in cases.queue(world, actor=who)
    case = cases.act(world, case.id, "escalate", actor=who, now=NOW, note="涉及多个乡镇")
    assert case.state == "escalated" and case.handling_level == 3
    assert case not in cases.queue(world, actor=who)
    county = actor("commander", "520424000000")
    assert case in cases.queue(world, actor=county)
    # the township can no longer act on it, the county can hand it down again
    with pytest.raises(Forbidden):
        cases.act(world, case.id, "triage", actor=who, now=NOW)
    case = cases.act(
        world, case.id, "hand_down", actor=county, now=NOW, note="请镇里先行组织双方调解"
    )
    assert case.handling_level == 4 and case.state == "triaged"
    with pytest.raises(InvalidInput):
        cases.act(
            world,
            case.id,
            "hand_down",
            actor=county,
            now=NOW,
            note="请该村协助处理",
            params={"unit_code": village(100, 2)},
        )


def test_supervision_reminder_and_summons_keep_state_but_bump_version(world: Session) -> None:
    who = actor()
    county = actor("commander", "520424000000")
    case = _register(world, who)
    v = case.version
    case = cases.act(world, case.id, "remind", actor=county, now=NOW, expected_version=v)
    assert case.state == "registered" and case.version == v + 1
    for deadline, said in (
        (NOW, "督办期限须晚于现在，请重新选择"),  # the picker's time already past
        ((NOW + timedelta(days=1)).replace(tzinfo=None), "督办期限须注明时区"),  # an API client's
    ):
        with pytest.raises(InvalidInput, match=said):
            _supervise(world, case.id, county, deadline)
    with pytest.raises(InvalidInput, match="请填写督办意见"):  # a 督办 says what it demands
        _supervise(world, case.id, county, NOW + timedelta(days=3), note=" ")
    case = _supervise(world, case.id, county, NOW + timedelta(days=3))
    assert case.supervision_deadline == NOW + timedelta(days=3)
    case = cases.act(
        world,
        case.id,
        "summon",
        actor=who,
        now=NOW,
        params={"departments": ["公安", "住建"], "new_departments": True},  # not in the list
    )
    assert _chain_ok(world, case.id)[-1].payload == {"departments": ["公安", "住建"]}


def test_stale_version_and_illegal_transition_conflict(world: Session) -> None:
    who = actor()
    case = _register(world, who)
    with pytest.raises(Conflict) as info:
        cases.act(world, case.id, "triage", actor=who, now=NOW, expected_version=case.version + 5)
    assert "triage" in info.value.allowed
    with pytest.raises(Conflict) as info:
        cases.act(world, case.id, "resolve", actor=who, now=NOW, params={"outcome": "mediated"})
    assert info.value.allowed == ["triage", "escalate", "hand_down", "summon"]


def test_return_frees_the_worker_and_reopen_after_archive(world: Session) -> None:
    who = actor()
    lon, lat = village_centre(village())
    worker_id = add_worker(world, area_code=village(), lon=lon, lat=lat)
    case = _register(world, who)
    cases.act(world, case.id, "triage", actor=who, now=NOW)
    dispatch.assign_worker(world, case.id, worker_id, by=who, expected_version=None, now=NOW)
    case = cases.act(
        world, case.id, "return", actor=_worker_actor(worker_id), now=NOW, note="不在本网格"
    )
    assert case.state == "triaged"
    assert world.scalar(select(Worker.status).where(Worker.id == worker_id)) == "on_duty"
    assert cases.active_dispatch(world, case.id) is None


def test_the_worker_reports_progress_before_resolving(world: Session) -> None:
    who = actor()
    lon, lat = village_centre(village())
    worker_id = add_worker(world, area_code=village(), lon=lon, lat=lat)
    other_id = add_worker(world, area_code=village(), lon=lon, lat=lat)
    case = _register(world, who)
    cases.act(world, case.id, "triage", actor=who, now=NOW)
    dispatch.assign_worker(world, case.id, worker_id, by=who, expected_version=None, now=NOW)
    me = _worker_actor(worker_id)
    with pytest.raises(Conflict):  # not taken yet: nothing done to report
        cases.act(world, case.id, "feedback", actor=me, now=NOW, note="已联系当事人")
    cases.act(world, case.id, "accept", actor=me, now=NOW)
    for blank in (None, " "):
        with pytest.raises(InvalidInput, match="请填写反馈内容"):
            cases.act(world, case.id, "feedback", actor=me, now=NOW, note=blank)
    with pytest.raises(Forbidden):  # another worker's case
        cases.act(world, case.id, "feedback", actor=_worker_actor(other_id), now=NOW, note="x")
    done = cases.act(world, case.id, "feedback", actor=me, now=NOW, note="已联系双方，约定明早调解")
    assert done.state == "accepted"
    last = _chain_ok(world, case.id)[-1]
    assert (last.action, last.from_state, last.to_state, last.note) == (
        "feedback",
        "accepted",
        "accepted",
        "已联系双方，约定明早调解",
    )
    assert workflow.ACTION_LABELS["feedback"] == "处置反馈"


def test_actor_user_id_is_written_to_the_log(world: Session) -> None:
    uid = add_user(world, username="wf_dispatcher", role="dispatcher", scope_code=township())
    who = actor(user_id=uid)
    case = _register(world, who)
    assert _chain_ok(world, case.id)[0].actor_id == uid


# ------------------------------------------------------------------ the case page's facts


def test_labels_cover_every_action_outcome_and_route() -> None:
    assert set(workflow.RULES) <= set(workflow.ACTION_LABELS)
    assert workflow.ACTION_LABELS["register"] == "登记"
    assert set(workflow.OUTCOME_LABELS) == set(workflow.OUTCOMES)
    assert set(workflow.LEGAL_ROUTE_LABELS) == set(workflow.LEGAL_ROUTES)


def test_masking_of_reporter_contact() -> None:
    assert cases.mask_name(" 欧阳娜娜 ") == "欧***"
    assert cases.mask_phone("0871-66123456") == "087******3456"
    assert cases.mask_phone("") == ""


def test_a_report_names_the_settled_cases_of_its_kind_it_may_take_up_again(
    world: Session,
) -> None:
    who = actor()

    def settled(offset_m: float, closed_days_ago: float, **kw: object) -> Case:
        made = _register(world, who, offset_m, reported_at=NOW - timedelta(days=60), **kw)
        made.state, made.closed_at = "archived", NOW - timedelta(days=closed_days_ago)
        world.flush()
        return made

    near = settled(0, 5)
    later = settled(20, 2)
    settled(30, 40)  # settled too long ago
    settled(40, 3, subcategory="land")  # another kind
    settled(600, 3)  # too far
    still_open = _register(world, who, 10, reported_at=NOW - timedelta(days=70))
    new = _register(world, who, 50, reported_at=NOW)
    assert new.duplicate_of is None, "a settled matter is linked to nothing"
    assert still_open.state == "registered"  # older than the repeat window: no repeat either
    found = case_history.settled_nearby(world, new, scope_code=township())
    assert [(s.id, s.state) for s in found] == [(later.id, "archived"), (near.id, "archived")]
    assert 25 < found[0].distance_m < 35 and 45 < found[1].distance_m < 55
    assert case_history.settled_nearby(world, new, scope_code=township(101)) == []
    assert case_history.settled_nearby(world, near, scope_code=township()) == [], "before it"
    shown = cases.detail(world, new.id, actor=who)
    assert shown.original is None and shown.repeats == []


def test_detail_links_repeats_dispatches_and_the_legal_route(world: Session) -> None:
    who = actor()
    lon, lat = village_centre(village())
    worker_id = add_worker(world, area_code=village(), lon=lon, lat=lat, name="王网格")
    original = _register(world, who)
    repeat = _register(world, who, offset_m=50, channel="walk_in", title="来访反映噪音")
    assert repeat.duplicate_of == original.id
    assert cases.lonlat(repeat) == pytest.approx((lon + 50 / 101_000, lat))
    for action, params in (
        ("triage", {}),
        ("dispatch", {"worker_id": worker_id}),
        ("accept", {}),
        ("arrive", {}),
        ("resolve", {"outcome": "mediation_failed", "route": "litigation"}),
        ("resolve", {"outcome": "legal_concluded"}),
    ):
        cases.act(world, original.id, action, actor=who, now=NOW, params=params, note=action)
    found = cases.detail(world, original.id, actor=who)
    assert found.original is None
    assert [r.id for r in found.repeats] == [repeat.id] and found.repeats[0].channel == "walk_in"
    (sent,) = found.dispatches
    assert (sent.assignee_name, sent.status, sent.worker_id) == ("王网格", "finished", worker_id)
    assert sent.accepted_at == NOW and sent.arrived_at == NOW
    assert [(s.outcome, s.route) for s in found.legal_route] == [
        ("mediation_failed", "litigation"),
        ("legal_concluded", None),
    ]
    back = cases.detail(world, repeat.id, actor=who)
    assert back.original is not None and back.original.id == original.id
    assert back.dispatches == [] and back.legal_route == []
    # another township sees neither case
    with pytest.raises(NotFound):
        cases.detail(world, original.id, actor=actor("dispatcher", township(200)))


def test_reporter_contact_is_audited_and_guarded(world: Session) -> None:
    who = actor(
        user_id=add_user(world, username="wf_unmask", role="dispatcher", scope_code=township())
    )
    case = _register(world, who, reporter_name="赵敏", reporter_phone="13987654321")
    # without the right: the county above the township handling the case (trial AS M2: the
    # township's own operators and the worker it is dispatched to read it, see
    # tests/test_case_reporter_contact.py)
    county = actor("commander", COUNTY)
    with pytest.raises(Forbidden):
        cases.reporter_contact(world, case.id, actor=county, can_unmask=False, reason="核实情况")
    lon, lat = village_centre(village())
    handler = _worker_actor(add_worker(world, area_code=village(), lon=lon, lat=lat, name="经办"))
    with pytest.raises(Forbidden, match="只能查看派给本人的案件"):
        cases.reporter_contact(world, case.id, actor=handler, can_unmask=True, reason="联系当事人")
    cases.act(world, case.id, "triage", actor=who, now=NOW)
    cases.act(
        world, case.id, "dispatch", actor=who, now=NOW, params={"worker_id": handler.worker_id}
    )
    # the grid worker the case is dispatched to phones the parties: with or without the right
    # (trial AS M2), audited
    assert cases.reporter_contact(
        world, case.id, actor=handler, can_unmask=True, reason="联系当事人"
    ) == ("赵敏", "13987654321")
    with pytest.raises(InvalidInput):
        cases.reporter_contact(world, case.id, actor=who, can_unmask=True, reason=" 看 ")
    clear = cases.reporter_contact(
        world, case.id, actor=who, can_unmask=True, reason="回访核实诉求"
    )
    assert clear == ("赵敏", "13987654321")
    entries = world.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "case.reporter.unmask", AuditEntry.object_id == str(case.id))
        .order_by(AuditEntry.id)
    ).all()
    # the refused reads too, with the reason typed (trial AU m4)
    assert [(e.actor_name, e.outcome, e.reason) for e in entries] == [
        (county.name, "denied", "核实情况"),
        (handler.name, "denied", "联系当事人"),
        (handler.name, "ok", "联系当事人"),
        (who.name, "failed", "看"),
        (who.name, "ok", "回访核实诉求"),
    ]
    assert all("赵敏" not in str(e.detail) for e in entries)


def test_a_grid_worker_acts_only_on_their_own_dispatch(world: Session) -> None:
    who = actor()
    lon, lat = village_centre(village())
    mine = add_worker(world, area_code=village(), lon=lon, lat=lat, name="本人")
    other = add_worker(world, area_code=village(), lon=lon, lat=lat, name="他人")
    case = _register(world, who)
    cases.act(world, case.id, "triage", actor=who, now=NOW)
    cases.act(world, case.id, "dispatch", actor=who, now=NOW, params={"worker_id": mine})
    for someone_else in (_worker_actor(other), _worker_actor(None)):
        for action in ("accept", "return"):
            with pytest.raises(Forbidden):
                cases.act(world, case.id, action, actor=someone_else, now=NOW)
    case = cases.act(world, case.id, "accept", actor=_worker_actor(mine), now=NOW)
    assert case.state == "accepted"
    # operators still act on the worker's behalf (a phone call to the centre)
    assert cases.act(world, case.id, "arrive", actor=who, now=NOW).state == "on_site"


def test_a_grid_workers_task_is_the_case_dispatched_to_them_until_resolved(
    world: Session,
) -> None:
    who = actor()
    lon, lat = village_centre(village())
    mine = add_worker(world, area_code=village(), lon=lon, lat=lat, name="本人")
    other = add_worker(world, area_code=village(), lon=lon, lat=lat, name="他人")
    first, second, theirs = (_register(world, who, offset_m=10.0 * n) for n in range(3))

    def send(case: Case, worker: int) -> None:
        cases.act(world, case.id, "triage", actor=who, now=NOW)
        cases.act(world, case.id, "dispatch", actor=who, now=NOW, params={"worker_id": worker})

    send(first, mine)
    send(theirs, other)
    me = _worker_actor(mine)
    assert [c.id for c in cases.tasks_of(world, actor=me)] == [first.id]
    assert first.handling_level == 4, "a township's case, not in the village's queue"
    assert first.id not in {c.id for c in cases.queue(world, actor=me)}
    feed = command.feed(world, village(), actor=me, now=NOW)
    assert [(t["id"], "accept" in t["allowed_actions"]) for t in feed["tasks"]] == [
        (first.id, True)
    ]
    assert command.feed(world, village(), actor=who, now=NOW)["tasks"] == [], "a dispatcher's"
    assert cases.tasks_of(world, actor=_worker_actor(None)) == []

    cases.act(world, first.id, "accept", actor=me, now=NOW)
    cases.act(
        world, first.id, "resolve", actor=me, now=NOW, params={"outcome": "resolved"}, note="已清理"
    )
    assert cases.tasks_of(world, actor=me) == [], "resolved: no task"
    send(second, mine)
    assert [c.id for c in cases.tasks_of(world, actor=me)] == [second.id]
    for blank in (None, "  "):  # a return says why (退回原因)
        with pytest.raises(InvalidInput, match="请填写退回原因"):
            cases.act(world, second.id, "return", actor=me, now=NOW, note=blank)
    cases.act(world, second.id, "return", actor=me, now=NOW, note="当事人不在本网格")
    assert cases.tasks_of(world, actor=me) == [], "returned: no task"


def test_a_triage_to_another_category_drops_a_subcategory_that_no_longer_fits(
    world: Session,
) -> None:
    """社情民意 / 基础设施 made 矛盾纠纷 is not "矛盾纠纷 / infrastructure" (trial Z)."""
    who = actor()
    case = _register(world, who, category="public_opinion", subcategory="infrastructure")
    case = cases.act(world, case.id, "triage", actor=who, now=NOW, params={"category": "dispute"})
    assert (case.category, case.subcategory) == ("dispute", None)
    with pytest.raises(InvalidInput, match="子类与类别“安全隐患”不符"):
        cases.act(
            world,
            case.id,
            "triage",
            actor=who,
            now=NOW,
            params={"category": "safety_hazard", "subcategory": "land"},
        )
    case = cases.act(
        world,
        case.id,
        "triage",
        actor=who,
        now=NOW,
        params={"category": "dispute", "subcategory": "land"},
    )
    assert case.subcategory == "land"
    # a triage naming no category or subcategory keeps a subcategory that fits
    case = cases.act(world, case.id, "triage", actor=who, now=NOW, params={"risk_level": 2})
    assert (case.category, case.subcategory, case.risk_level) == ("dispute", "land", 2)


def test_a_department_account_acts_only_on_cases_dispatched_to_a_department(
    world: Session,
) -> None:
    """Trial Z: the county's department account was offered 办结 on a grid worker's case."""
    who = actor()
    department = actor("department", COUNTY)
    lon, lat = village_centre(village())
    worker_id = add_worker(world, area_code=village(), lon=lon, lat=lat)
    to_worker = _register(world, who)
    cases.act(world, to_worker.id, "triage", actor=who, now=NOW)
    cases.act(world, to_worker.id, "dispatch", actor=who, now=NOW, params={"worker_id": worker_id})
    # not offered (the case page's buttons, GET /api/cases/{id}/allowed), and refused
    offered = cases.actions_open_to(world, to_worker, department)
    assert not set(offered) & workflow.OWN_DISPATCH_ACTIONS, offered
    for action in ("accept", "return"):  # nor read: it was never sent to it (trial AQ S2)
        with pytest.raises(NotFound):
            cases.act(world, to_worker.id, action, actor=department, now=NOW, note="不属本部门")
    to_department = _register(world, who, offset_m=400)
    cases.act(world, to_department.id, "triage", actor=who, now=NOW)
    cases.act(
        world,
        to_department.id,
        "dispatch",
        actor=who,
        now=NOW,
        params={"department": "县住建局"},
    )
    assert "accept" in cases.actions_open_to(world, to_department, department)
    cases.act(world, to_department.id, "accept", actor=department, now=NOW)
    # a department has no 到场 nor 回访 (trial AQ M1): 受理, 处置反馈, 办结, 退回
    assert "arrive" not in cases.actions_open_to(world, to_department, department)
    done = cases.act(
        world,
        to_department.id,
        "resolve",
        actor=department,
        now=NOW,
        params={"outcome": "resolved"},
        note="已组织施工队修复",
    )
    assert done.state == "resolved"
    assert cases.actions_open_to(world, done, department) == []  # no 回访 (trial AQ M1)


def test_a_resolve_without_its_outcome_names_the_choices(world: Session) -> None:
    """Trial AX M2: 「请填写办结结果」 beside a filled 办结说明 did not say it is a choice."""
    who = actor()
    case = _register(world, who)
    cases.act(world, case.id, "triage", actor=who, now=NOW)
    cases.act(world, case.id, "dispatch", actor=who, now=NOW, params={"department": "司法所"})
    cases.act(world, case.id, "accept", actor=who, now=NOW)
    with pytest.raises(InvalidInput) as refused:
        cases.act(world, case.id, "resolve", actor=who, now=NOW, note="已协调企业支付工资")
    assert str(refused.value).startswith("请填写办结结果：从调解成功、已解决、经核查不属实")
