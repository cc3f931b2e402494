"""Sessions end for real, and the login does not tell which names exist (trial AI: S1, M3, M4, N4).

* S1: 退出 ends the session: its token (Bearer or the cookie) is refused afterwards with the
  console's expired-login message; other sessions of the account go on; rows of expired tokens
  are purged.
* M3: a token issued before the account was disabled stays refused after it is enabled again,
  whoever disables it (the console or a roster's SQL).
* M4 / N4: a name no account has is answered as an existing one (same statuses and messages
  after the same failures), without an account being made, and is audited masked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from api.auth import ALGORITHM, EXPIRED, ISSUER, issue_token
from api.settings import ApiSettings
from layers import accounts
from layers.database import read_account_and_scope
from layers.errors import AccountLocked, AuthenticationFailed
from layers.model import AuditEntry, User
from layers.model.accounts import EndedSession
from tests.api_fixtures import COUNTY_A, PASSWORD, ApiWorld
from tests.conftest import SuiteDatabase
from tests.migration_steps import app_privileges, migration_steps, table_exists

PREFIX = "sess."
Headers = dict[str, str]


def _bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def people(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[dict[str, int]]:
    """Accounts of this module in county A (deleted afterwards): name -> id."""
    made: dict[str, int] = {}
    with Session(database.owner) as owner, owner.begin():
        for name, role in (
            ("logout", "commander"),
            ("disabled", "commander"),
            ("locked", "department"),
            ("gone", "commander"),
        ):
            user = accounts.create_user(
                owner,
                username=PREFIX + name,
                password=PASSWORD,
                role=role,
                scope_code=COUNTY_A,
                display_name="会话测试",
            )
            made[user.username] = user.id
    yield made
    with Session(database.owner) as owner, owner.begin():
        owner.execute(delete(User).where(User.username.startswith(PREFIX)))


def _login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    answer = client.post("/api/auth/token", data={"username": name, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def test_logout_ends_the_bearer_token_and_that_session_only(
    api_client: TestClient, api_world: ApiWorld, people: dict[str, int]
) -> None:
    client = TestClient(api_client.app)
    name = PREFIX + "logout"
    token, other = _login(client, name), _login(client, name)
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200
    person = next(iter(api_world.in_scope("persons", COUNTY_A)))
    items = f"/ogc/collections/persons/items/{person}"
    assert client.get(items, headers=_bearer(token)).status_code == 200

    assert client.post("/api/auth/logout", headers=_bearer(token)).status_code == 204
    for path in ("/api/me", items, "/api/cases?limit=1"):
        refused = client.get(path, headers=_bearer(token))
        assert refused.status_code == 401, path
        assert refused.json()["detail"] == EXPIRED
    # the same token as the console's cookie: refused too
    copied = TestClient(api_client.app)
    copied.cookies.set("zongzhi_token", token)
    assert copied.get("/api/me").status_code == 401
    # the account's other session goes on
    assert client.get("/api/me", headers=_bearer(other)).status_code == 200
    # logging out again with the ended token does no harm (and audits nothing new)
    assert client.post("/api/auth/logout", headers=_bearer(token)).status_code == 204


def test_logout_by_the_cookie_ends_a_copied_cookie(
    api_client: TestClient, people: dict[str, int]
) -> None:
    console = TestClient(api_client.app)
    _login(console, PREFIX + "logout")
    cookie = console.cookies.get("zongzhi_token")
    assert cookie
    stolen = TestClient(api_client.app)
    stolen.cookies.set("zongzhi_token", cookie)
    assert stolen.get("/api/me").status_code == 200
    out = console.post("/api/auth/logout")
    assert out.status_code == 204 and "zongzhi_token" in out.headers["set-cookie"]
    refused = stolen.get("/api/me")
    assert refused.status_code == 401 and refused.json()["detail"] == EXPIRED


def test_tokens_carry_an_id_and_one_without_is_refused(
    api_client: TestClient, api_settings: ApiSettings, people: dict[str, int]
) -> None:
    now = datetime.now(UTC)
    one, two = (issue_token(api_settings, people[PREFIX + "logout"], now=now) for _ in range(2))
    claims = jwt.decode(one.token, options={"verify_signature": False})
    assert claims["jti"] == one.token_id and one.token_id != two.token_id
    # a token signed by the platform but without an id (issued before ids) cannot be ended
    bare = jwt.encode(
        {"sub": claims["sub"], "iss": ISSUER, "iat": now, "exp": now + timedelta(hours=1)},
        api_settings.token_key(),
        algorithm=ALGORITHM,
    )
    refused = api_client.get("/api/me", headers=_bearer(bare))
    assert refused.status_code == 401 and refused.json()["detail"] == EXPIRED


def test_logout_purges_the_rows_of_expired_tokens(
    api_client: TestClient, database: SuiteDatabase, people: dict[str, int]
) -> None:
    user_id = people[PREFIX + "logout"]
    long_ago = datetime.now(UTC) - timedelta(days=2)
    with Session(database.owner) as owner, owner.begin():
        owner.add(EndedSession(token_id="expired-one", user_id=user_id, expires_at=long_ago))
    client = TestClient(api_client.app)
    token = _login(client, PREFIX + "logout")
    assert client.post("/api/auth/logout", headers=_bearer(token)).status_code == 204
    with Session(database.owner) as owner:
        kept = set(owner.scalars(select(EndedSession.token_id)))
        ended = jwt.decode(token, options={"verify_signature": False})["jti"]
        assert ended in kept and "expired-one" not in kept
        row = owner.get(EndedSession, ended)
        assert row is not None and row.user_id == user_id and row.expires_at > datetime.now(UTC)


def test_the_account_statement_says_whether_the_token_was_ended(
    db: Session, people: dict[str, int]
) -> None:
    """One statement per request reads the account and the ended-session look-up."""
    user_id = people[PREFIX + "logout"]
    accounts.end_session(
        db,
        user_id=user_id,
        token_id="ended-here",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        now=datetime.now(UTC),
    )
    ended = read_account_and_scope(db, user_id, "ended-here")
    going = read_account_and_scope(db, user_id, "another")
    assert ended is not None and ended.session_ended
    assert going is not None and not going.session_ended
    # the look-up is the primary key's
    plan = db.execute(
        text("EXPLAIN SELECT FROM ended_sessions WHERE token_id = :t"), {"t": "x"}
    ).scalars()
    assert any("pk_ended_sessions" in line for line in plan)


def test_disabling_ends_the_tokens_issued_before_for_good(
    api_client: TestClient,
    auth_headers: Callable[[str], Headers],
    database: SuiteDatabase,
    people: dict[str, int],
) -> None:
    admin = auth_headers("admin")
    client = TestClient(api_client.app)
    name, user_id = PREFIX + "disabled", people[PREFIX + "disabled"]
    old = _login(client, name)
    assert client.get("/api/me", headers=_bearer(old)).status_code == 200
    url = f"/api/users/{user_id}/active"
    assert client.post(url, json={"active": False}, headers=admin).status_code == 200
    assert client.get("/api/me", headers=_bearer(old)).status_code == 401
    assert client.post(url, json={"active": True}, headers=admin).status_code == 200
    revived = client.get("/api/me", headers=_bearer(old))
    assert revived.status_code == 401 and revived.json()["detail"] == EXPIRED
    time.sleep(1.05)  # tokens carry whole seconds: one of the second of the disable is refused
    fresh = _login(client, name)
    assert client.get("/api/me", headers=_bearer(fresh)).status_code == 200

    # a roster that marks the worker as gone disables in SQL: the same holds (a trigger)
    with Session(database.owner) as owner, owner.begin():
        owner.execute(text("UPDATE users SET active = false WHERE id = :i"), {"i": user_id})
        owner.execute(text("UPDATE users SET active = true WHERE id = :i"), {"i": user_id})
    refused = client.get("/api/me", headers=_bearer(fresh))
    assert refused.status_code == 401 and refused.json()["detail"] == EXPIRED


def _attempts(client: TestClient, name: str, times: int) -> list[tuple[int, str, list[str]]]:
    said = []
    for _ in range(times):
        answer = client.post("/api/auth/token", data={"username": name, "password": "Wrong-1-x"})
        body = answer.json()
        said.append((answer.status_code, body["detail"], sorted(body)))
    return said


def test_an_unknown_name_is_answered_as_an_existing_one(
    api_client: TestClient, database: SuiteDatabase, people: dict[str, int]
) -> None:
    client = TestClient(api_client.app)
    known = _attempts(client, PREFIX + "locked", 7)
    ghost = f"ghost.{time.time_ns()}"
    unknown = _attempts(client, ghost, 7)
    assert [status for status, *_ in known] == [401, 401, 401, 401, 423, 423, 423]
    assert unknown == known
    # even the right password of a locked account and any password of a locked unknown name
    right = client.post(
        "/api/auth/token", data={"username": PREFIX + "locked", "password": PASSWORD}
    )
    other = client.post("/api/auth/token", data={"username": ghost, "password": PASSWORD})
    assert (right.status_code, right.json()["detail"]) == (
        other.status_code,
        other.json()["detail"],
    )
    with Session(database.owner) as owner:
        assert owner.scalar(select(func.count()).where(User.username == ghost)) == 0


def test_a_disabled_account_is_answered_as_an_unknown_name(
    api_client: TestClient, database: SuiteDatabase, people: dict[str, int]
) -> None:
    # a user trial (s48): the body's code said DisabledAccountLogin, so anyone could learn
    # that a name is an account's, and that it is disabled, without its password
    client = TestClient(api_client.app)
    with Session(database.owner) as owner, owner.begin():
        owner.execute(
            text("UPDATE users SET active = false WHERE id = :i"), {"i": people[PREFIX + "gone"]}
        )
    ghost = f"ghost.{time.time_ns()}"
    for password in (PASSWORD, "Wrong-1-x"):
        gone = client.post(
            "/api/auth/token", data={"username": PREFIX + "gone", "password": password}
        )
        unknown = client.post("/api/auth/token", data={"username": ghost, "password": password})
        assert gone.status_code == unknown.status_code == 401
        assert gone.json() == unknown.json()


def test_an_unknown_lock_ends_as_an_account_lock_does(db: Session) -> None:
    rules = accounts.LockoutPolicy(max_failures=2, lock_minutes=30)
    now = datetime.now(UTC)
    ghost = f"ghost.{time.time_ns()}"

    def attempt(at: datetime) -> AuthenticationFailed:
        with pytest.raises(AuthenticationFailed) as info:
            accounts.authenticate(db, ghost, "Wrong-1-x", now=at, lockout=rules)
        return info.value

    assert not isinstance(attempt(now), AccountLocked)
    locked = attempt(now)
    assert isinstance(locked, AccountLocked) and locked.until == now + timedelta(minutes=30)
    held = attempt(now + timedelta(minutes=29))
    assert isinstance(held, AccountLocked) and held.until == locked.until
    assert not isinstance(attempt(now + timedelta(minutes=31)), AccountLocked)  # counts anew


def test_a_failed_login_under_an_unknown_name_is_audited_masked(
    api_client: TestClient, database: SuiteDatabase, people: dict[str, int]
) -> None:
    client = TestClient(api_client.app)
    typed = f"Zz#MyPassword-{time.time_ns()}"  # a password typed into the name box
    assert (
        client.post("/api/auth/token", data={"username": typed, "password": "x"}).status_code == 401
    )
    known = PREFIX + "logout"
    assert (
        client.post("/api/auth/token", data={"username": known, "password": "x"}).status_code == 401
    )
    with Session(database.owner) as owner:
        logins = list(
            owner.scalars(
                select(AuditEntry.actor_name)
                .where(AuditEntry.action == "login", AuditEntry.outcome == "denied")
                .order_by(AuditEntry.id.desc())
                .limit(2)
            )
        )
        assert logins == [known, "Zz***"]
        assert (
            owner.scalar(select(func.count()).where(AuditEntry.actor_name.contains("MyPassword")))
            == 0
        )


def test_the_migration_goes_down_and_up(db: Session) -> None:
    with migration_steps(db, "0029_ended_sessions.py") as (module, conn):
        module.downgrade()
        assert not table_exists(conn, "ended_sessions")
        module.upgrade()
        assert app_privileges(conn, "ended_sessions") == {
            "SELECT": True,
            "INSERT": True,
            "DELETE": True,
            "UPDATE": False,
        }
