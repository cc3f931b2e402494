"""The audit log: hash chain, tamper detection, no personal data, auditor-only access."""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers import audit
from layers.errors import InvalidInput
from tests.api_fixtures import api_client, api_settings, api_world, auth_headers  # noqa: F401
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]


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
