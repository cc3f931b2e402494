"""Renewing a login while it is still valid (trial AZ M6): ``POST /api/auth/renew``.

A login lasted its 8 hours with no renewal: a desk or phone logged in at 19:00 dropped at 03:00
in the middle of a storm. The console now renews it while its user is active; the API issues a
fresh token for a still-valid one, audited as 登录续期, and refuses a locked account, one whose
password must change first, and a login whose password was given more than a day ago.
"""
# ruff: noqa: F811

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.auth import RENEW_MAX, issue_token, token_subject
from api.settings import ApiSettings
from layers import accounts
from layers.database import apply_scope
from layers.model import AuditEntry, User
from tests.api_fixtures import COUNTY_A, PASSWORD, ApiWorld
from tests.conftest import SuiteDatabase

NAME = "renew.night." + secrets.token_hex(4)
"""The account's name: the audit log, append-only, keeps its entries after the test."""


@pytest.fixture
def night_desk(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[int]:
    """A dispatcher account of county A of its own (removed afterwards), and its id."""
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        owner.execute(delete(User).where(User.username == NAME))
        user_id = accounts.create_user(
            owner,
            username=NAME,
            password=PASSWORD,
            role="dispatcher",
            scope_code=COUNTY_A,
            display_name="夜班调度员",
        ).id
        # set two days ago: the tests' tokens, issued hours back, are not older than the password
        owner.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_changed_at=datetime.now(UTC) - timedelta(days=2))
        )
    try:
        yield user_id
    finally:
        with Session(database.owner) as owner, owner.begin():
            apply_scope(owner, None)
            owner.execute(delete(User).where(User.id == user_id))


def _set(database: SuiteDatabase, user_id: int, **values: object) -> None:
    with Session(database.owner) as owner, owner.begin():
        apply_scope(owner, None)
        owner.execute(update(User).where(User.id == user_id).values(**values))


def _bearer(settings: ApiSettings, user_id: int, now: datetime) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, user_id, now=now).token}"}


def _renewals(database: SuiteDatabase, user_id: int) -> list[tuple[str, str | None]]:
    with Session(database.owner) as owner:
        rows = owner.execute(
            select(AuditEntry.outcome, AuditEntry.reason)
            .where(AuditEntry.action == "login.renew", AuditEntry.actor_id == user_id)
            .order_by(AuditEntry.id)
        )
        return [(outcome, reason) for outcome, reason in rows]


def test_a_valid_login_is_renewed_and_audited(
    api_client: TestClient,
    api_settings: ApiSettings,
    database: SuiteDatabase,
    night_desk: int,
) -> None:
    now = datetime.now(UTC)
    # logged in 7 h 55 min ago: 5 minutes left
    old = now - timedelta(minutes=api_settings.token_minutes - 5)
    headers = _bearer(api_settings, night_desk, old)
    before = api_client.get("/api/me", headers=headers).json()["session_expires_at"]
    renewed = api_client.post("/api/auth/renew", headers=headers)
    assert renewed.status_code == 200, renewed.text
    token = renewed.json()["access_token"]
    assert renewed.json()["expires_in"] == api_settings.token_minutes * 60
    assert "HttpOnly" in renewed.headers["set-cookie"]
    fresh = {"Authorization": f"Bearer {token}"}
    after = api_client.get("/api/me", headers=fresh).json()["session_expires_at"]
    assert datetime.fromisoformat(after) - datetime.fromisoformat(before) >= timedelta(minutes=470)
    # the renewed token keeps the time the password was given
    claims = token_subject(api_settings, token)
    assert abs(claims.signed_in_at - old) < timedelta(seconds=2)
    assert _renewals(database, night_desk) == [("ok", None)]


def test_renewal_is_refused_to_a_locked_or_must_change_account_and_an_old_login(
    api_client: TestClient,
    api_settings: ApiSettings,
    database: SuiteDatabase,
    night_desk: int,
) -> None:
    now = datetime.now(UTC)
    headers = _bearer(api_settings, night_desk, now - timedelta(minutes=30))
    _set(database, night_desk, locked_until=now + timedelta(minutes=15))
    locked = api_client.post("/api/auth/renew", headers=headers)
    assert locked.status_code == 423 and "账户已锁定" in locked.json()["detail"]
    _set(database, night_desk, locked_until=None, must_change_password=True)
    due = api_client.post("/api/auth/renew", headers=headers)
    assert due.status_code == 403 and due.json()["detail"].startswith("请先修改密码")
    _set(database, night_desk, must_change_password=False)
    # a chain of renewals ends a day after the password was given
    first = now - RENEW_MAX - timedelta(minutes=5)
    stale = issue_token(
        api_settings, night_desk, now=now - timedelta(minutes=5), signed_in_at=first
    )
    old = api_client.post("/api/auth/renew", headers={"Authorization": f"Bearer {stale.token}"})
    assert old.status_code == 403 and "请保存后重新登录" in old.json()["detail"]
    # a disabled account: no login to renew
    _set(database, night_desk, active=False)
    assert api_client.post("/api/auth/renew", headers=headers).status_code == 401
    assert [outcome for outcome, _ in _renewals(database, night_desk)] == ["denied", "denied"]
    assert api_client.post("/api/auth/renew").status_code == 401
