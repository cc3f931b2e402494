"""解除锁定: an administrator lifts an account's lock before it ends, within their scope, audited.

An account locked by repeated failed logins is listed with until when and why (连续登录失败);
its county's administrator lifts the lock (the failures counted, and those at its owner's usual
address, forgotten), and the audit log says who lifted which account's lock and until when it
would have held. Another county's administrator does not find the account, a commander is
refused in Chinese, and an account not locked is said to be so; each refusal is audited. The
accounts page says the lock and lifts it in headless Chromium.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from api.app import create_app
from api.settings import ApiSettings
from layers import accounts
from layers.model import AuditEntry, User
from tests.api_fixtures import COUNTY_A, COUNTY_B, PASSWORD, ApiWorld, bearer_of
from tests.browser import RecordedPage
from tests.conftest import SuiteDatabase
from tests.console_fixtures import ConsoleDemo, login

PREFIX = "unl."


@pytest.fixture(scope="module")
def people(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[dict[str, int]]:
    """This module's accounts (deleted afterwards): key -> id."""
    made: dict[str, int] = {}
    with Session(database.owner) as owner, owner.begin():
        for key, role, scope in (
            ("admin_a", "admin", COUNTY_A),
            ("admin_b", "admin", COUNTY_B),
            ("commander_a", "commander", COUNTY_A),
            ("target", "commander", COUNTY_A),
        ):
            made[key] = accounts.create_user(
                owner,
                username=PREFIX + key,
                password=PASSWORD,
                role=role,
                scope_code=scope,
                display_name="解锁测试",
            ).id
    yield made
    with Session(database.owner) as owner, owner.begin():
        owner.execute(delete(User).where(User.username.startswith(PREFIX)))


def _login(client: TestClient, name: str, password: str) -> int:
    form = {"username": name, "password": password}
    return client.post("/api/auth/token", data=form).status_code


def _listed(client: TestClient, headers: dict[str, str], user_id: int) -> dict[str, Any]:
    listed = client.get("/api/users", headers=headers)
    assert listed.status_code == 200, listed.text
    return next(a for a in listed.json() if a["id"] == user_id)


def test_a_county_administrator_lifts_a_lock_early_and_it_is_audited(
    api_settings: ApiSettings, database: SuiteDatabase, people: dict[str, int]
) -> None:
    headers = bearer_of(api_settings, people)
    target, name = people["target"], PREFIX + "target"
    settings = replace(api_settings, lockout=accounts.LockoutPolicy(max_failures=3))
    with TestClient(create_app(settings), client=("10.30.0.1", 40000)) as client:
        started = datetime.now(UTC)
        assert [_login(client, name, "Wrong-1-x") for _ in range(3)] == [401, 401, 423]
        assert _login(client, name, PASSWORD) == 423
        with database.owner.begin() as conn:  # a failure came from the owner's address too
            conn.execute(update(User).where(User.id == target).values(failed_at_login_address=True))
        locked = _listed(client, headers("admin_a"), target)
        until = datetime.fromisoformat(locked["locked_until"])
        assert started + timedelta(minutes=30) <= until <= datetime.now(UTC) + timedelta(minutes=30)
        assert locked["lock_reason"] == "连续登录失败"

        other = client.post(f"/api/users/{target}/unlock", headers=headers("admin_b"))
        assert other.status_code == 404
        assert other.json()["detail"] == f"本辖区没有编号为 {target} 的账号"
        commander = client.post(f"/api/users/{target}/unlock", headers=headers("commander_a"))
        assert commander.status_code == 403
        assert commander.json()["detail"] == "指挥中心值班员无权执行该操作"
        assert _login(client, name, PASSWORD) == 423  # still locked

        lifted = client.post(f"/api/users/{target}/unlock", headers=headers("admin_a"))
        assert lifted.status_code == 200, lifted.text
        assert lifted.json()["locked_until"] is None and lifted.json()["lock_reason"] is None
        with Session(database.owner) as owner:
            row = owner.get_one(User, target)
            assert (row.locked_until, row.failed_logins, row.failed_at_login_address) == (
                None,
                0,
                False,
            )
        twice = client.post(f"/api/users/{target}/unlock", headers=headers("admin_a"))
        assert twice.status_code == 409
        assert twice.json()["detail"] == f"账号 {name} 未被锁定（锁定可能已到期），无需解除"
        assert _login(client, name, PASSWORD) == 200
    with Session(database.owner) as owner:
        entries = owner.execute(
            select(
                AuditEntry.actor_id,
                AuditEntry.outcome,
                AuditEntry.object_type,
                AuditEntry.object_id,
                AuditEntry.detail,
                AuditEntry.reason,
            )
            .where(AuditEntry.action == "user.unlock", AuditEntry.object_id == str(target))
            .order_by(AuditEntry.id)
        ).all()
    assert [(e.actor_id, e.outcome, e.object_type) for e in entries] == [
        (people["admin_b"], "failed", "user"),  # not found in their scope
        (people["admin_a"], "ok", "user"),
        (people["admin_a"], "failed", "user"),  # not locked any more
    ]
    assert datetime.fromisoformat(entries[1].detail["locked_until"]) == until
    assert "未被锁定" in entries[2].reason


def test_a_lock_that_ended_is_not_lifted_again(
    api_settings: ApiSettings,
    api_client: TestClient,
    database: SuiteDatabase,
    people: dict[str, int],
) -> None:
    headers = bearer_of(api_settings, people)
    target = people["commander_a"]
    with database.owner.begin() as conn:
        conn.execute(
            text("UPDATE users SET locked_until = now() - interval '1 minute' WHERE id = :id"),
            {"id": target},
        )
    assert _listed(api_client, headers("admin_a"), target)["lock_reason"] is None
    ended = api_client.post(f"/api/users/{target}/unlock", headers=headers("admin_a"))
    assert ended.status_code == 409 and "未被锁定" in ended.json()["detail"]


@pytest.mark.browser
def test_the_accounts_page_says_a_lock_and_lifts_it(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    name = f"{PREFIX}page.{time.time_ns() % 10**6}"
    with Session(demo.owner) as owner, owner.begin():
        user = accounts.create_user(
            owner,
            username=name,
            password=PASSWORD,
            role="analyst",
            scope_code=demo.data.county_code,
            display_name="锁定测试",
        )
        until = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=25)
        user.locked_until = until
        user_id = user.id
    try:
        login(page, demo.origin, demo.username("admin"))
        page.wait_for_url(f"{demo.origin}/accounts")
        row = page.locator(f"#ac-rows tr[data-username='{name}']")
        clock = until.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
        expect(row.locator(".ac-state")).to_have_text(f"已锁定（至 {clock}，原因：连续登录失败）")
        expect(row.locator(".ac-state")).to_have_attribute("title", re.compile("上次成功登录"))
        expect(page.locator("#ac-throttle")).to_be_visible()
        expect(page.locator("#ac-throttle-none")).to_have_text("目前没有受限制的地址。")
        page.screenshot_step("1-locked")
        row.get_by_role("button", name="解除锁定").click()
        expect(row.locator(".ac-state")).to_have_text("启用")
        expect(row.get_by_role("button", name="解除锁定")).to_have_count(0)
        expect(page.locator("#zz-toasts .alert-success")).to_contain_text(f"已解除锁定：{name}")
        with demo.owner.connect() as conn:
            locked = conn.scalar(select(User.locked_until).where(User.id == user_id))
            audited = conn.execute(
                select(AuditEntry.actor_name, AuditEntry.outcome).where(
                    AuditEntry.action == "user.unlock", AuditEntry.object_id == str(user_id)
                )
            ).all()
        assert locked is None
        assert [tuple(a) for a in audited] == [(demo.username("admin"), "ok")]
        page.assert_clean(demo.origin)
    finally:
        with Session(demo.owner) as owner, owner.begin():
            owner.execute(delete(User).where(User.id == user_id))
