"""Real concurrency: 20 threads, 20 PostgreSQL connections of the app role, committed data.

Each thread opens its own session scoped to the township (row-level security applies), waits at
a barrier, and acts. Exactly one must win; the others must get a clean :class:`Conflict`; the
event log must hold one event per successful action, chained state to state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from layers import cases, dispatch
from layers.database import make_engine, scoped_session
from layers.errors import Conflict
from layers.model import CaseEvent, Dispatch, Worker
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    NOW,
    actor,
    add_worker,
    ensure_world,
    purge_world,
    village,
    village_centre,
)

THREADS = 20
TOWNSHIP = "520424300000"
VILLAGE = village(300, 1)


@pytest.fixture(scope="module")
def app_engine(database: SuiteDatabase) -> Iterator[Engine]:
    engine = make_engine(database.urls.app, pool_size=THREADS + 2, max_overflow=0)
    with Session(database.owner) as owner, owner.begin():
        ensure_world(owner)
    yield engine
    engine.dispose()
    with Session(database.owner) as owner, owner.begin():
        purge_world(owner)


def _race(
    engine: Engine, work: Callable[[Session, int], object]
) -> tuple[int, int, list[BaseException]]:
    factory = sessionmaker(engine)
    barrier = threading.Barrier(THREADS)
    wins, conflicts, errors = [0], [0], []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            with scoped_session(factory, TOWNSHIP) as session:
                barrier.wait(timeout=30)
                work(session, i)
            with lock:
                wins[0] += 1
        except Conflict:
            with lock:
                conflicts[0] += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return wins[0], conflicts[0], errors


def _new_case(engine: Engine, dx: float = 0.0) -> tuple[int, int]:
    lon, lat = village_centre(VILLAGE)
    with scoped_session(sessionmaker(engine), TOWNSHIP) as session:
        case = cases.register(
            session,
            actor=actor("dispatcher", TOWNSHIP),
            channel="phone",
            category="dispute",
            subcategory="neighbours",
            dedupe_radius_m=0.0,  # each its own matter: no repeat bumps another's version
            title="并发",
            reported_at=NOW,
            lon=lon + dx,
            lat=lat,
        ).case
        return case.id, case.version


def test_twenty_transitions_of_one_case_one_wins(app_engine: Engine) -> None:
    case_id, version = _new_case(app_engine)
    who = actor("dispatcher", TOWNSHIP)

    def work(session: Session, i: int) -> None:
        action, note = ("triage", None) if i % 2 else ("escalate", "纠纷涉及两个乡镇，需县级协调")
        cases.act(session, case_id, action, actor=who, now=NOW, expected_version=version, note=note)

    wins, conflicts, errors = _race(app_engine, work)
    assert errors == []
    assert (wins, conflicts) == (1, THREADS - 1)
    with scoped_session(sessionmaker(app_engine), TOWNSHIP) as session:
        log = list(
            session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
        )
        case = cases.get_case(session, case_id, actor=who)
        assert len(log) == 2 == case.version  # register + the single winner
        assert log[1].from_state == log[0].to_state == "registered"
        assert log[1].to_state == case.state


def test_twenty_transitions_without_version_serialise_cleanly(app_engine: Engine) -> None:
    """Without a client version the row lock serialises: the first triage wins, the rest see
    ``triaged`` and may re-triage; the chain of states still holds."""
    case_id, _ = _new_case(app_engine, dx=0.001)
    who = actor("dispatcher", TOWNSHIP)

    def work(session: Session, i: int) -> None:
        cases.act(session, case_id, "triage", actor=who, now=NOW)

    wins, conflicts, errors = _race(app_engine, work)
    assert errors == [] and wins + conflicts == THREADS
    with scoped_session(sessionmaker(app_engine), TOWNSHIP) as session:
        log = list(
            session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
        )
        assert len(log) == wins + 1
        for previous, current in zip(log, log[1:], strict=False):
            assert current.from_state == previous.to_state


def test_twenty_assignments_of_one_worker_three_win(
    app_engine: Engine, database: SuiteDatabase
) -> None:
    lon, lat = village_centre(VILLAGE)
    with Session(database.owner) as owner, owner.begin():
        worker_id = add_worker(owner, area_code=VILLAGE, lon=lon, lat=lat)
    who = actor("dispatcher", TOWNSHIP)
    prepared = []
    for i in range(THREADS):
        case_id, _ = _new_case(app_engine, dx=0.002 + i * 0.0001)
        with scoped_session(sessionmaker(app_engine), TOWNSHIP) as session:
            case = cases.act(session, case_id, "triage", actor=who, now=NOW)
            prepared.append((case.id, case.version))

    def work(session: Session, i: int) -> None:
        case_id, version = prepared[i]
        dispatch.assign_worker(
            session,
            case_id,
            worker_id,
            by=who,
            expected_version=version,
            now=NOW + timedelta(seconds=i),
        )

    # his row lock serialises them: the three first hold his three cases (trial AZ M3), the
    # others are refused by the count taken under the lock, none slipping past it
    wins, conflicts, errors = _race(app_engine, work)
    assert errors == []
    assert (wins, conflicts) == (dispatch.OPEN_CASES_CAP, THREADS - dispatch.OPEN_CASES_CAP)
    with scoped_session(sessionmaker(app_engine), TOWNSHIP) as session:
        active = session.scalars(select(Dispatch).where(Dispatch.worker_id == worker_id)).all()
        assert len(active) == dispatch.OPEN_CASES_CAP
        assert session.get(Worker, worker_id).status == "busy"  # type: ignore[union-attr]
        dispatched = [
            cid
            for cid, _ in prepared
            if cases.get_case(session, cid, actor=who).state == "dispatched"
        ]
        assert sorted(dispatched) == sorted(d.case_id for d in active)
        events = session.scalars(
            select(CaseEvent).where(
                CaseEvent.case_id.in_([c for c, _ in prepared]), CaseEvent.action == "dispatch"
            )
        ).all()
        assert len(events) == dispatch.OPEN_CASES_CAP


def test_his_dispatches_ending_at_once_put_him_back_on_duty(
    app_engine: Engine, database: SuiteDatabase
) -> None:
    """Two of a worker's dispatches recalled at the same time: whichever commits last frees him
    (each counted his open cases under his row's lock, after the other's commit)."""
    lon, lat = village_centre(VILLAGE)
    with Session(database.owner) as owner, owner.begin():
        worker_id = add_worker(owner, area_code=VILLAGE, lon=lon + 0.004, lat=lat)
    who = actor("dispatcher", TOWNSHIP)
    held = []
    for i in range(2):
        case_id, _ = _new_case(app_engine, dx=0.005 + i * 0.0001)
        with scoped_session(sessionmaker(app_engine), TOWNSHIP) as session:
            cases.act(session, case_id, "triage", actor=who, now=NOW)
            dispatch.assign(session, case_id, actor=who, now=NOW, worker_id=worker_id)
            held.append(case_id)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def recall(case_id: int) -> None:
        try:
            with scoped_session(sessionmaker(app_engine), TOWNSHIP) as session:
                barrier.wait(timeout=30)
                dispatch.recall(session, case_id, actor=who, now=NOW, note="暴雨转移，统一改派")
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=recall, args=(c,)) for c in held]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with scoped_session(sessionmaker(app_engine), TOWNSHIP) as session:
        assert session.get(Worker, worker_id).status == "on_duty"  # type: ignore[union-attr]
