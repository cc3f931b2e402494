"""The audit log: hash chain, tamper detection, no personal data, auditor-only access."""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from layers import audit
from layers.database import psycopg_connection
from layers.errors import InvalidInput
from layers.model import AuditEntry
from layers.person_lookalikes import ELSEWHERE_ROW, REFUSED_ACTION, MetElsewhere, audit_refusals
from tests.api_fixtures import TOWN_A1, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
REASON = "岗位职责需核实走访对象身份"


def test_chain_links_and_detects_tampering(db: Session) -> None:
    first = audit.record(db, actor_id=None, actor_name="t", action="test.one", detail={"n": 1})
    second = audit.record(db, actor_id=None, actor_name="t", action="test.two", reason="因为")
    assert second.prev_hash == first.hash
    assert audit.verify_chain(db) is True
    # tamper as the owner, bypassing the append-only trigger
    db.execute(text("ALTER TABLE audit_log DISABLE TRIGGER append_only"))
    db.execute(text("UPDATE audit_log SET reason = 'changed' WHERE id = :id"), {"id": second.id})
    db.execute(text("ALTER TABLE audit_log ENABLE TRIGGER append_only"))
    db.expire_all()
    assert audit.verify_chain(db) == second.id


def test_append_only(db: Session) -> None:
    entry = audit.record(db, actor_id=None, actor_name="t", action="test.x")
    with pytest.raises(Exception, match="append-only"):
        with db.begin_nested():
            db.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entry.id})


def test_personal_data_is_refused(db: Session) -> None:
    with pytest.raises(InvalidInput):
        audit.record(db, actor_id=None, actor_name="t", action="x", detail={"name": "张三"})
    with pytest.raises(InvalidInput):
        audit.record(
            db, actor_id=None, actor_name="t", action="x", detail={"note": "11010519491231002X"}
        )
    grid_and_device = {"grid": "530424100001001", "device": "53042400001320000001"}
    audit.record(db, actor_id=None, actor_name="t", action="x", detail=grid_and_device)
    # an imported file's SHA-256 may hold 18 digits in a row: it is no ID
    digest = "a198635503127417504f" + "0a" * 22
    audit.record(db, actor_id=None, actor_name="t", action="x", detail={"sha256": digest})
    with pytest.raises(InvalidInput):  # the same digits in words still are
        audit.record(
            db, actor_id=None, actor_name="t", action="x", detail={"note": "号码198635503127417504"}
        )


def test_concurrent_writers_keep_the_chain_linear(database: SuiteDatabase) -> None:
    def write(n: int) -> None:
        with Session(database.app) as session, session.begin():
            audit.record(
                session,
                actor_id=None,
                actor_name="writer",
                action="test.concurrent",
                detail={"n": n},
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(40)))
    with Session(database.owner) as session:
        assert audit.verify_chain(session) is True


def test_record_each_writes_per_object_details_outcome_and_reason(db: Session) -> None:
    """``record_each`` writes what ``record`` would, an object's facts added to the shared ones."""
    conn = psycopg_connection(db)
    with pytest.raises(InvalidInput):
        audit.record_each(
            conn, ["1"], actor_name="t", action="x", object_type="person", outcome="no"
        )
    with pytest.raises(InvalidInput):  # one object's facts are checked too
        audit.record_each(
            conn,
            ["1"],
            actor_name="t",
            action="x",
            object_type="person",
            details=[{"name": "张三"}],
        )
    before = db.scalar(select(func.max(AuditEntry.id))) or 0
    written = audit.record_each(
        conn,
        ["7", "3"],
        actor_name="importer.each",
        action="test.each",
        object_type="person",
        outcome="denied",
        reason="refused here",
        detail={"kind": "persons"},
        details=[{"row": 2}, {"row": 5}],
    )
    assert written == 2
    entries = db.scalars(select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id))
    assert [
        (e.actor_id, e.actor_name, e.object_id, e.outcome, e.reason, e.detail) for e in entries
    ] == [
        (None, "importer.each", "7", "denied", "refused here", {"kind": "persons", "row": 2}),
        (None, "importer.each", "3", "denied", "refused here", {"kind": "persons", "row": 5}),
    ]
    assert audit.verify_chain(db) is True


def test_refused_import_rows_are_audited_as_one_entry_each(db: Session) -> None:
    """``audit_refusals`` writes the entries its loop of ``record`` wrote, the chain intact."""
    audit.record(db, actor_id=None, actor_name="t", action="test.before")
    db.flush()
    before = db.scalar(select(func.max(AuditEntry.id))) or 0
    met = [MetElsewhere(row=4, person_id=11), MetElsewhere(row=9, person_id=12)]
    detail = {"kind": "persons", "dry_run": True}
    assert audit_refusals(db.connection(), met, user="importer.x", detail=detail) == 2
    entries = list(
        db.scalars(select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id))
    )
    assert [
        (e.actor_id, e.actor_name, e.action, e.object_type, e.object_id)
        + (e.outcome, e.reason, e.detail)
        for e in entries
    ] == [
        (None, "importer.x", REFUSED_ACTION, "person", str(found.person_id))
        + ("denied", ELSEWHERE_ROW, {**detail, "row": found.row})
        for found in met
    ]
    assert entries[0].prev_hash is not None
    assert audit.verify_chain(db) is True


def test_audit_routes_are_for_auditors(api_client: TestClient, auth_headers: Headers) -> None:
    for key in ("admin", "cmd_province", "analyst_city"):
        assert api_client.get("/api/audit", headers=auth_headers(key)).status_code == 403
    page = api_client.get("/api/audit?limit=5", headers=auth_headers("auditor"))
    assert page.status_code == 200 and len(page.json()["entries"]) <= 5
    check = api_client.get("/api/audit/verify", headers=auth_headers("auditor")).json()
    assert check == {"intact": True, "first_bad_id": None}


def test_who_read_a_person_is_an_index_probe(db: Session) -> None:
    """The auditor's filter by object reads the index of migration 0017, not the whole log."""
    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = db.execute(
        text(
            "EXPLAIN SELECT id FROM audit_log"
            " WHERE object_type = 'person' AND object_id = '4539' ORDER BY id"
        )
    ).scalars()
    assert "ix_audit_log_object_type_object_id" in "\n".join(plan)


def test_an_entry_about_an_account_names_it(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    """Trial: 授予查看明文权限 named the account by its number only; now by login, post, scope.

    The grant and the revocation through the API, and an entry written before the label
    existed (``user.unlock``, only the number): all three read as the account is today, by its
    shown name as its top bar says it (a user trial: 「甲一街道乡镇调度员」, by scope and role,
    read alike for every account of a post, such as a county's seven bureaus).
    """
    admin = auth_headers("admin")
    account = api_world.users["disp_a1"]
    grant = f"/api/users/{account.id}/unmask"
    given = api_client.post(grant, json={"allowed": True, "reason": REASON}, headers=admin)
    assert given.status_code == 200, given.text
    taken = api_client.post(grant, json={"allowed": False}, headers=admin)
    assert taken.status_code == 200, taken.text
    with Session(database.owner) as session, session.begin():
        audit.record(
            session,
            actor_id=None,
            actor_name="root",
            action="user.unlock",
            object_type="user",
            object_id=str(account.id),
        )
    page = api_client.get(
        "/api/audit",
        params={"object_type": "user", "object_id": str(account.id), "limit": 3},
        headers=auth_headers("auditor"),
    ).json()
    entries = page["entries"]
    assert [e["action"] for e in entries] == [
        "user.unlock",
        "user.unmask_revoked",
        "user.unmask_granted",
    ]
    named = {
        "username": account.username,
        "display_name": "测试disp_a1",
        "role": "dispatcher",
        "role_label": "乡镇调度员",
        "scope_code": TOWN_A1,
        "scope_name": "甲一街道",
    }
    assert [e["account_label"] for e in entries] == [named] * 3
    assert all(e["object_label"] is None for e in entries)
    shown = f"账号 {account.username}（测试disp_a1，乡镇调度员，甲一街道） · 编号 {account.id}"
    assert [e["texts"]["object"] for e in entries] == [shown] * 3
    with Session(database.owner) as session:  # no account on record: labelled as before
        assert audit.account_labels(session, ["999999999", "x", None]) == {}


def test_an_account_s_shown_name_is_masked_of_resident_ids(
    api_world: ApiWorld, db: Session
) -> None:
    """A shown name is free text: a resident ID typed into it never reaches the audit log's page."""
    made = db.execute(
        text(
            "INSERT INTO users (username, display_name, password_hash, role, scope_code)"
            " VALUES ('label.masked', '王五530424197001012010', 'x', 'dispatcher', :scope)"
            " RETURNING id"
        ),
        {"scope": TOWN_A1},
    ).scalar_one()
    label = audit.account_labels(db, [str(made)])[str(made)]
    assert label.display_name == "王五530424********2010"


def test_a_refused_registration_is_listed_under_the_person_it_names(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    """A duplicate registration refused names the record it repeats: listed under that person."""
    person_id = sorted(api_world.objects["persons"], key=int)[0]
    refusal = f"AlreadyOnRecord: 该人员已在册（编号 {person_id}），不能重复登记"
    with Session(database.owner) as session, session.begin():
        refused_id = audit.record(
            session,
            actor_id=api_world.users["cmd_a"].id,
            actor_name=api_world.users["cmd_a"].username,
            action="person.register",
            object_type="person",
            object_id=person_id,
            outcome="failed",
            reason=refusal,
        ).id
    page = api_client.get(
        "/api/audit",
        params={"object_type": "person", "object_id": person_id},
        headers=auth_headers("auditor"),
    ).json()
    listed = next(e for e in page["entries"] if e["id"] == refused_id)
    assert (listed["action"], listed["outcome"], listed["reason"]) == (
        "person.register",
        "failed",
        refusal,
    )
    assert listed["object_label"]["name_masked"].endswith("*")
