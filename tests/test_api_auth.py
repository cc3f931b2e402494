"""Accounts, login (JWT + cookie), lockout, password policy, unmasking, the user CLI."""
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from layers import accounts
from layers.cli_session import os_user
from layers.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    WeakPassword,
)
from layers.model import AuditEntry, User
from layers.users_cli import register
from tests.api_fixtures import COUNTY_A, PASSWORD, ApiWorld
from tests.conftest import SuiteDatabase

Headers = Callable[[str], dict[str, str]]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
JURISDICTION = "530000000000"


def _seed_province(db: Session) -> None:
    from sqlalchemy import text

    db.execute(
        text(
            "INSERT INTO jurisdictions (code, name, level) VALUES (:c, '云南省', 1) "
            "ON CONFLICT DO NOTHING"
        ),
        {"c": JURISDICTION},
    )


def _user(db: Session, name: str = "zhang.san", password: str = "Zz-20261123!") -> User:
    _seed_province(db)
    return accounts.create_user(
        db,
        username=name,
        password=password,
        role="commander",
        scope_code=JURISDICTION,
        display_name="张三",
    )


def test_password_policy_rules() -> None:
    policy = accounts.PasswordPolicy()
    assert policy.problems("Abcdefg1") == []
    assert "包含用户名" in policy.problems("Wang-2026-x", "wang")
    assert any("至少需要 3 类" in p for p in policy.problems("abcdefgh1"))
    assert accounts.PasswordPolicy(min_length=12).problems("Abcdefg1!") == ["少于 12 个字符"]
    with pytest.raises(WeakPassword) as info:
        policy.check("short")
    assert len(info.value.problems) == 2
    assert str(info.value) == "密码不符合要求：" + "；".join(info.value.problems)


def test_create_user_checks_and_hashes(db: Session) -> None:
    user = _user(db)
    assert user.password_hash.startswith("$argon2id$")
    with pytest.raises(Conflict):
        _user(db)
    with pytest.raises(InvalidInput):
        accounts.create_user(
            db,
            username="x y",
            password="Zz-20261123!",
            role="commander",
            scope_code=JURISDICTION,
            display_name="x",
        )
    with pytest.raises(InvalidInput):
        accounts.create_user(
            db,
            username="lisi",
            password="Zz-20261123!",
            role="king",
            scope_code=JURISDICTION,
            display_name="x",
        )
    with pytest.raises(NotFound):
        accounts.create_user(
            db,
            username="lisi",
            password="Zz-20261123!",
            role="commander",
            scope_code="110000000000",
            display_name="x",
        )
    with pytest.raises(WeakPassword):
        _user(db, "lisi", "password")


def test_authenticate_and_lockout(db: Session) -> None:
    user = _user(db)
    assert accounts.authenticate(db, "zhang.san", "Zz-20261123!", now=NOW).id == user.id
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, "nobody", "Zz-20261123!", now=NOW)
    rules = accounts.LockoutPolicy(max_failures=3, lock_minutes=30)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed) as info:
            accounts.authenticate(db, "zhang.san", "wrong", now=NOW, lockout=rules)
        assert not isinstance(info.value, AccountLocked)
    with pytest.raises(AccountLocked):
        accounts.authenticate(db, "zhang.san", "wrong", now=NOW, lockout=rules)
    # locked: even the right password is refused until the lock ends
    with pytest.raises(AccountLocked):
        accounts.authenticate(
            db, "zhang.san", "Zz-20261123!", now=NOW + timedelta(minutes=29), lockout=rules
        )
    later = NOW + timedelta(minutes=31)
    assert (
        accounts.authenticate(
            db, "zhang.san", "Zz-20261123!", now=later, lockout=rules
        ).failed_logins
        == 0
    )


def test_success_resets_the_failure_count(db: Session) -> None:
    _user(db)
    rules = accounts.LockoutPolicy(max_failures=3)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(db, "zhang.san", "wrong", now=NOW, lockout=rules)
    accounts.authenticate(db, "zhang.san", "Zz-20261123!", now=NOW, lockout=rules)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed) as info:
            accounts.authenticate(db, "zhang.san", "wrong", now=NOW, lockout=rules)
        assert not isinstance(info.value, AccountLocked)


def _audits(database: SuiteDatabase, action: str, actor: str) -> list[AuditEntry]:
    with Session(database.owner) as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action, AuditEntry.actor_name == actor
                )
            )
        )


def test_login_returns_token_and_cookie_and_is_audited(
    api_client: TestClient, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    name = api_world.users["cmd_b"].username
    response = api_client.post("/api/auth/token", data={"username": name, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["access_token"]
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    me = api_client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == name and me["role_label"] == "指挥中心值班员"
    # the cookie alone authenticates the console
    fresh = TestClient(api_client.app)
    fresh.cookies.set("zongzhi_token", token)
    assert fresh.get("/api/me").json()["username"] == name
    bad = api_client.post("/api/auth/token", data={"username": name, "password": "Wrong-pass-1"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    outcomes = [e.outcome for e in _audits(database, "login", name)]
    assert "ok" in outcomes and "denied" in outcomes
    assert (
        api_client.post(
            "/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 204
    )
    assert _audits(database, "logout", name)


def test_a_login_sent_as_json_is_told_to_send_a_form(
    api_client: TestClient, api_world: ApiWorld
) -> None:
    """Trial AB: a JSON login was answered 「请填写用户名」, though the name was in it."""
    name = api_world.users["cmd_b"].username
    sent = api_client.post("/api/auth/token", json={"username": name, "password": PASSWORD})
    assert sent.status_code == 422
    assert "表单方式" in sent.json()["message"] and "不接受 JSON" in sent.json()["message"]
    # a form without a name is still told what it lacks
    empty = api_client.post("/api/auth/token", data={"password": PASSWORD})
    assert empty.status_code == 422 and "用户名" in empty.json()["message"]


def test_login_lockout_over_http(api_client: TestClient, api_world: ApiWorld) -> None:
    name = api_world.users["dept_a"].username
    codes = [
        api_client.post(
            "/api/auth/token", data={"username": name, "password": "Wrong-pass-1"}
        ).status_code
        for _ in range(5)
    ]
    assert codes == [401, 401, 401, 401, 423]
    locked = api_client.post("/api/auth/token", data={"username": name, "password": PASSWORD})
    assert locked.status_code == 423 and "locked_until" in locked.json()


def test_bad_tokens_are_refused(api_client: TestClient) -> None:
    assert api_client.get("/api/me").status_code == 401
    assert (
        api_client.get("/api/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    )


def test_unmask_needs_permission_and_reason(
    api_client: TestClient, auth_headers: Headers, api_world: ApiWorld, database: SuiteDatabase
) -> None:
    person_id = next(
        i for i in api_world.resident_ids if str(i) in api_world.in_scope("persons", COUNTY_A)
    )
    url = f"/api/persons/{person_id}/unmasked"
    assert (
        api_client.post(
            url, json={"reason": "核查走访记录"}, headers=auth_headers("cmd_a")
        ).status_code
        == 403
    )
    assert (
        api_client.post(url, json={"reason": " "}, headers=auth_headers("cmd_a_unmask")).status_code
        == 422
    )
    ok = api_client.post(url, json={"reason": "核查走访记录"}, headers=auth_headers("cmd_a_unmask"))
    assert ok.status_code == 200
    body = ok.json()
    assert body["resident_id"] == api_world.resident_ids[person_id]
    assert body["name"] == api_world.names[person_id]
    entries = _audits(database, "person.unmask", api_world.users["cmd_a_unmask"].username)
    assert any(e.outcome == "ok" and e.reason == "核查走访记录" for e in entries)
    assert any(
        e.outcome == "denied"
        for e in _audits(database, "person.unmask", api_world.users["cmd_a"].username)
    )
    for entry in entries:
        assert api_world.resident_ids[person_id] not in str(entry.detail)
    # a person of county B is not found for a county-A user
    other = next(
        i for i in api_world.resident_ids if str(i) not in api_world.in_scope("persons", COUNTY_A)
    )
    missing = api_client.post(
        f"/api/persons/{other}/unmasked",
        json={"reason": "核查走访记录"},
        headers=auth_headers("cmd_a_unmask"),
    )
    assert missing.status_code == 404


def test_user_add_cli(database: SuiteDatabase, api_world: ApiWorld) -> None:
    app = typer.Typer()
    register(app)
    env = {
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_APP_DATABASE_URL": database.urls.app,
    }
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "user",
            "add",
            "t46_cli_user",
            "--role",
            "dispatcher",
            "--scope",
            COUNTY_A,
            "--password-stdin",
        ],
        input="Zz-Cli-2026!\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    weak = runner.invoke(
        app,
        [
            "user",
            "add",
            "t46_cli_weak",
            "--role",
            "dispatcher",
            "--scope",
            COUNTY_A,
            "--password-stdin",
        ],
        input="weak\n",
        env=env,
    )
    assert weak.exit_code == 1 and "密码不符合要求" in weak.output
    listing = runner.invoke(app, ["user", "list"], env=env)
    assert listing.exit_code == 0
    with Session(database.owner) as session:
        added = session.scalar(select(User).where(User.username == "t46_cli_user"))
        assert added is not None and added.role == "dispatcher" and added.scope_code == COUNTY_A
    assert _audits(database, "user.add", os_user())  # the OS user who ran the command


def test_serve_command_is_registered() -> None:
    from api.cli import register as register_serve

    app = typer.Typer()
    register_serve(app)
    register(app)
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output


def test_me_says_the_unmask_right_only_where_it_works(
    api_client: TestClient,
    api_world: ApiWorld,
    auth_headers: Callable[[str], dict[str, str]],
    database: SuiteDatabase,
) -> None:
    """A flag a department got before the rule does not make the console offer an unmask."""
    user_id = api_world.users["dept_a"].id

    def flag(value: bool) -> None:
        with Session(database.owner) as session, session.begin():
            session.get_one(User, user_id).can_unmask = value

    flag(True)
    try:
        me = api_client.get("/api/me", headers=auth_headers("dept_a")).json()
    finally:
        flag(False)
    assert me["role"] == "department" and me["can_unmask"] is False
