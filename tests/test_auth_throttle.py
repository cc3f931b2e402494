"""Failed logins are throttled per client address; a lock spares its owner's address; unknown
names' counts are kept in the database.

* Failures under one name are that name's lock's, never the address's: the others behind the
  same address (a centre's NAT) log in as usual.
* An address whose failures within the window spread over ``login_throttle.max_names`` names is
  answered 429 (Chinese, ``Retry-After``) and its attempts reach no account: the right password
  of an account is not counted against it either. But an account that last logged in from that
  address is checked as usual. Successful logins never count. ``X-Forwarded-For`` is read only
  when the deployment trusts a proxy, and then its last entry.
* Wrong passwords typed elsewhere lock an account for everyone but its owner at the address of
  their last login, unless a failure came from there too.
* A name no account has is counted in ``unknown_login_names``, under a keyed hash.
* The address throttle is kept in the database (``failed_login_addresses``): a restart lifts
  none, and an administrator lists the addresses held back and lifts one (登录限制), audited.

Each test runs an app of its own (its own limits) from addresses of its own (the counts are the
database's), with accounts of this module in county A, deleted afterwards.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from api.app import create_app
from api.cli import served_in_thread
from api.settings import ApiSettings
from layers import accounts, login_throttle
from layers.errors import AccountLocked, AuthenticationFailed
from layers.model import AuditEntry, User
from layers.model.accounts import FailedLoginAddress, UnknownLoginName
from tests.api_fixtures import COUNTY_A, PASSWORD, ApiWorld, bearer_of
from tests.browser import RecordedPage
from tests.conftest import SuiteDatabase
from tests.migration_steps import app_privileges, migration_steps, table_exists

PREFIX = "thr."
HOME = "10.20.0.7"
ELSEWHERE = "10.20.9.9"
ALL_FOUR = ("SELECT", "INSERT", "UPDATE", "DELETE")


@pytest.fixture(scope="module")
def people(database: SuiteDatabase, api_world: ApiWorld) -> Iterator[dict[str, int]]:
    """Accounts of this module (deleted afterwards): name -> id."""
    made: dict[str, int] = {}
    hashed = accounts.hash_password(PASSWORD)  # one argon2 hash (~130 ms) for all seven
    with Session(database.owner) as owner, owner.begin():
        for name in (
            "target",
            "owner",
            "careless",
            "bystander",
            "forgetful",
            "stranger",
            "deskmate",
        ):
            user = accounts.create_user(
                owner,
                username=PREFIX + name,
                password=PASSWORD,
                role="commander",
                scope_code=COUNTY_A,
                display_name="限速测试",
                password_hash=hashed,
            )
            made[user.username] = user.id
    yield made
    with Session(database.owner) as owner, owner.begin():
        owner.execute(delete(User).where(User.username.startswith(PREFIX)))


def _app(
    settings: ApiSettings,
    *,
    max_names: int,
    window_minutes: int = 15,
    trust_proxy: bool = False,
    console: bool = False,
) -> FastAPI:
    throttle = accounts.LoginThrottle(max_names, window_minutes, trust_proxy)
    return create_app(replace(settings, login_throttle=throttle), plugins=console)


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def _login(client: TestClient, name: str, password: str, **headers: str) -> int:
    form = {"username": name, "password": password}
    return client.post("/api/auth/token", data=form, headers=headers).status_code


def _failed_logins(database: SuiteDatabase, name: str) -> int:
    with Session(database.owner) as owner:
        count = owner.scalar(select(User.failed_logins).where(User.username == name))
        assert count is not None
        return count


def test_an_address_that_failed_too_often_waits_and_counts_against_no_account(
    api_settings: ApiSettings, database: SuiteDatabase, people: dict[str, int]
) -> None:
    app = _app(api_settings, max_names=3, window_minutes=15)
    with TestClient(app):
        guesser = _from(app, "10.20.1.1")
        ghosts = [f"ghost.{time.time_ns()}.{i}" for i in range(3)]
        assert [_login(guesser, ghost, "Wrong-1-x") for ghost in ghosts] == [401, 401, 401]
        # the 4th attempt reaches no account: not even the right password is checked or counted
        refused = guesser.post(
            "/api/auth/token", data={"username": PREFIX + "target", "password": PASSWORD}
        )
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "TooManyAttempts"
        wait = int(refused.headers["retry-after"])
        assert 0 < wait <= 15 * 60 and body["retry_after"] == wait
        minutes = -(-wait // 60)
        assert body["detail"] == (
            f"此地址登录失败次数过多，请 {minutes} 分钟后再试；忘记密码请联系管理员"
        )
        assert _login(guesser, PREFIX + "target", "Wrong-1-x") == 429
        assert _failed_logins(database, PREFIX + "target") == 0
        # another address logs in as usual
        assert _login(_from(app, "10.20.1.2"), PREFIX + "target", PASSWORD) == 200
    with Session(database.owner) as owner:
        reasons = owner.scalars(
            select(AuditEntry.reason)
            .where(AuditEntry.action == "login", AuditEntry.actor_name == PREFIX + "target")
            .order_by(AuditEntry.id.desc())
            .limit(3)
        ).all()
        assert reasons == [None, "throttled", "throttled"]


def test_successful_logins_never_count(api_settings: ApiSettings, people: dict[str, int]) -> None:
    app = _app(api_settings, max_names=2)
    with TestClient(app):
        office = _from(app, "10.20.2.1")
        assert [_login(office, PREFIX + "bystander", PASSWORD) for _ in range(6)] == [200] * 6
        assert _login(office, f"ghost.{time.time_ns()}", "Wrong-1-x") == 401
        assert _login(office, PREFIX + "bystander", PASSWORD) == 200
        assert _login(office, f"ghost.{time.time_ns()}", "Wrong-1-x") == 401
        assert _login(office, PREFIX + "stranger", PASSWORD) == 429


def test_failures_under_one_name_leave_the_others_at_that_address_alone(
    api_settings: ApiSettings, database: SuiteDatabase, people: dict[str, int]
) -> None:
    """One person at the centre's NAT address forgets a password: the lock is theirs alone."""
    app = _app(api_settings, max_names=10)
    with TestClient(app):
        centre = _from(app, "10.20.8.1")
        codes = [_login(centre, PREFIX + "forgetful", f"Wrong-{i}-x") for i in range(25)]
        assert codes == [401] * 4 + [423] * 21  # the account's lock, never the address's 429
        ghost = f"ghost.{time.time_ns()}"  # a script at it under a name no account has
        assert [_login(centre, ghost, "Wrong-1-x") for _ in range(25)] == [401] * 4 + [423] * 21
        # an account that never logged in from there, with the right password, gets in
        assert _login(centre, PREFIX + "stranger", PASSWORD) == 200
        assert _failed_logins(database, PREFIX + "stranger") == 0


def test_failures_over_many_names_throttle_the_address_but_not_its_own_accounts(
    api_settings: ApiSettings, database: SuiteDatabase, people: dict[str, int]
) -> None:
    app = _app(api_settings, max_names=10)
    with TestClient(app):
        centre, elsewhere = _from(app, "10.20.8.2"), _from(app, "10.20.8.3")
        assert _login(centre, PREFIX + "deskmate", PASSWORD) == 200  # works at the centre
        assert _login(elsewhere, PREFIX + "target", PASSWORD) == 200  # works elsewhere
        sprayed = [f"ghost.{time.time_ns()}.{i}" for i in range(9)] + [PREFIX + "careless"]
        assert [_login(centre, name, "Spray-2026-x") for name in sprayed] == [401] * 10
        # ten names failed: a new name waits, even with the right password, and is not counted
        refused = centre.post(
            "/api/auth/token", data={"username": PREFIX + "target", "password": PASSWORD}
        )
        assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 900
        assert refused.json()["detail"].startswith("此地址登录失败次数过多")
        assert _login(centre, f"ghost.{time.time_ns()}", "Spray-2026-x") == 429
        # the colleague who last logged in from the centre is checked as usual there
        assert _login(centre, PREFIX + "deskmate", "Wrong-1-x") == 401
        assert _failed_logins(database, PREFIX + "deskmate") == 1
        assert _login(centre, PREFIX + "deskmate", PASSWORD) == 200
        assert _failed_logins(database, PREFIX + "deskmate") == 0
        assert _login(centre, PREFIX + "target", PASSWORD) == 429


def test_forwarded_for_is_read_only_behind_a_trusted_proxy(
    api_settings: ApiSettings, people: dict[str, int]
) -> None:
    untrusted = _app(api_settings, max_names=2)
    with TestClient(untrusted):
        client = _from(untrusted, "10.20.3.1")
        codes = [
            _login(
                client, f"ghost.{time.time_ns()}", "Wrong-1-x", **{"X-Forwarded-For": f"1.2.3.{i}"}
            )
            for i in range(3)
        ]
        assert codes == [401, 401, 429]  # one connection address, whatever the header says
    trusted = _app(api_settings, max_names=2, trust_proxy=True)
    with TestClient(trusted):
        proxy = _from(trusted, "10.20.3.2")  # every request comes through the proxy

        def through(client_address: str, forged: str = "") -> int:
            chain = f"{forged}, {client_address}" if forged else client_address
            return _login(
                proxy, f"ghost.{time.time_ns()}", "Wrong-1-x", **{"X-Forwarded-For": chain}
            )

        assert [through("203.0.113.5"), through("203.0.113.5")] == [401, 401]
        assert through("203.0.113.5") == 429
        # a forged first entry does not help: the proxy's (last) entry is what counts
        assert through("203.0.113.5", forged="198.51.100.1") == 429
        assert through("203.0.113.6") == 401  # another client behind the same proxy


def test_a_lock_spares_its_owner_at_the_address_of_the_last_login(
    api_settings: ApiSettings, database: SuiteDatabase, people: dict[str, int]
) -> None:
    name = PREFIX + "owner"
    app = _app(api_settings, max_names=100)
    with TestClient(app):
        home, elsewhere = _from(app, HOME), _from(app, ELSEWHERE)
        assert _login(home, name, PASSWORD) == 200
        assert [_login(elsewhere, name, "Wrong-1-x") for _ in range(5)] == [401] * 4 + [423]
        # locked for everyone else, even with the right password, but not for its owner at home
        assert _login(elsewhere, name, PASSWORD) == 423
        assert _login(_from(app, "10.20.5.5"), name, PASSWORD) == 423
        assert _login(home, name, PASSWORD) == 200
        assert _login(elsewhere, name, PASSWORD) == 423  # the owner's login lifted no lock
        # a wrong password at home during the lock: the lock holds there too from then on
        assert _login(home, name, "Wrong-1-x") == 423
        assert _login(home, name, PASSWORD) == 423


def test_failures_from_the_owners_address_lock_it_there_too(
    api_settings: ApiSettings, people: dict[str, int]
) -> None:
    name = PREFIX + "careless"
    app = _app(api_settings, max_names=100)
    with TestClient(app):
        home, elsewhere = _from(app, HOME), _from(app, ELSEWHERE)
        assert _login(home, name, PASSWORD) == 200
        assert _login(home, name, "Wrong-1-x") == 401
        assert [_login(elsewhere, name, "Wrong-1-x") for _ in range(4)] == [401] * 3 + [423]
        assert _login(home, name, PASSWORD) == 423


def test_attempts_without_an_address_are_never_spared(db: Session) -> None:
    """Failures without an address (a wrong current password) count, spared nowhere."""
    now = datetime.now(UTC)
    rules = accounts.LockoutPolicy(max_failures=2, lock_minutes=30)
    db.execute(
        text(
            "INSERT INTO jurisdictions (code, name, level) VALUES ('530000000000', '云南省', 1)"
            " ON CONFLICT DO NOTHING"
        )
    )
    accounts.create_user(
        db,
        username=PREFIX + "layer",
        password=PASSWORD,
        role="commander",
        scope_code="530000000000",
        display_name="限速测试",
    )
    accounts.authenticate(db, PREFIX + "layer", PASSWORD, now=now, lockout=rules, address=HOME)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(db, PREFIX + "layer", "Wrong-1-x", now=now, lockout=rules)
    with pytest.raises(AccountLocked):
        accounts.authenticate(db, PREFIX + "layer", PASSWORD, now=now, lockout=rules)
    user = accounts.authenticate(
        db, PREFIX + "layer", PASSWORD, now=now, lockout=rules, address=HOME
    )
    assert user.locked_until is not None and user.login_address == HOME


def test_unknown_names_are_counted_in_the_database_under_a_keyed_hash(
    api_settings: ApiSettings, database: SuiteDatabase
) -> None:
    ghost = f"Zz#Typed-Password-{time.time_ns()}"  # a password typed into the name box
    digest = accounts.unknown_name_digest(ghost, api_settings.login_names_key())
    assert digest != accounts.unknown_name_digest(ghost, b"another deployment's key 32 bytes")
    first = _app(api_settings, max_names=100)
    with TestClient(first):
        assert [_login(_from(first, "10.20.6.1"), ghost, "x") for _ in range(4)] == [401] * 4
    with Session(database.owner) as owner:
        row = owner.get(UnknownLoginName, digest)
        assert row is not None and row.failures == 4 and row.locked_until is None
    # the next process (a restart) goes on counting where the last stopped
    second = _app(api_settings, max_names=100)
    with TestClient(second):
        assert _login(_from(second, "10.20.6.2"), ghost, "x") == 423
    with Session(database.owner) as owner, owner.begin():
        row = owner.get(UnknownLoginName, digest)
        assert row is not None and row.locked_until is not None and row.failures == 0
        owner.delete(row)


def test_ended_and_old_unknown_names_are_forgotten(db: Session) -> None:
    now = datetime.now(UTC)
    rules = accounts.LockoutPolicy()
    ended, old, kept = (accounts.unknown_name_digest(f"purge.{i}.{now}") for i in range(3))
    db.add_all(
        [
            UnknownLoginName(
                digest=ended,
                failures=0,
                locked_until=now - timedelta(minutes=1),
                last_failed_at=now - timedelta(minutes=31),
            ),
            UnknownLoginName(digest=old, failures=3, last_failed_at=now - timedelta(days=91)),
            UnknownLoginName(digest=kept, failures=3, last_failed_at=now - timedelta(days=89)),
        ]
    )
    db.flush()
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(db, f"purge.new.{now}", "x", now=now, lockout=rules)
    left = set(
        db.scalars(
            select(UnknownLoginName.digest).where(UnknownLoginName.digest.in_([ended, old, kept]))
        )
    )
    assert left == {kept}


def test_the_migration_goes_down_and_up(db: Session) -> None:
    with migration_steps(db, "0032_login_failures.py") as (module, conn):
        module.downgrade()
        assert not table_exists(conn, "unknown_login_names")
        module.upgrade()
        assert app_privileges(conn, "unknown_login_names") == dict.fromkeys(ALL_FOUR, True)
        assert (
            conn.scalar(
                text(
                    "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'"
                    " AND column_name IN ('login_address', 'failed_at_login_address')"
                )
            )
            == 2
        )


def test_the_throttle_migration_goes_down_and_up(db: Session) -> None:
    with migration_steps(db, "0034_failed_login_addresses.py") as (module, conn):
        module.downgrade()
        assert not table_exists(conn, "failed_login_addresses")
        module.upgrade()
        assert app_privileges(conn, "failed_login_addresses") == dict.fromkeys(ALL_FOUR, True)


def test_failures_out_of_the_window_are_forgotten_without_waiting_for_other_logins(
    database: SuiteDatabase,
) -> None:
    """A failing login purges what left the window, skipping rows another login is writing."""
    rules = accounts.LoginThrottle(max_names=2, window_minutes=15)
    now = datetime.now(UTC)
    old = now - timedelta(minutes=16)
    stale = {f"old.{i}".encode() for i in range(2)}
    with Session(database.owner) as owner, owner.begin():
        for digest in stale:
            owner.add(FailedLoginAddress(address="10.20.7.5", name_digest=digest, failed_at=old))
    assert _held(database, "10.20.7.5") == 2
    with Session(database.owner) as writing, Session(database.owner) as failing:
        writing.begin()  # another login refreshing one of the old names, not committed yet
        writing.execute(
            update(FailedLoginAddress)
            .where(FailedLoginAddress.name_digest == b"old.0")
            .values(failed_at=now)
        )
        with failing.begin():
            failing.execute(text("SET LOCAL lock_timeout = '10s'"))  # a wait would fail here
            login_throttle.count_failure(failing, "10.20.7.6", "someone", now, rules)
            assert login_throttle.retry_after(failing, "10.20.7.6", now, rules) is None
        assert _held(database, "10.20.7.5") == 1  # the old name no one was writing is gone
        writing.commit()
    with Session(database.owner) as owner, owner.begin():
        assert login_throttle.retry_after(owner, "10.20.7.5", now, rules) is None  # 1 of 2
        login_throttle.count_failure(owner, "10.20.7.5", "another", now, rules)
        wait = login_throttle.retry_after(owner, "10.20.7.5", now, rules)
        assert wait == 15 * 60  # two names within the window: until the older leaves it
    _forget_address(database, "10.20.7.5")
    _forget_address(database, "10.20.7.6")


def _held(database: SuiteDatabase, address: str) -> int:
    with Session(database.owner) as owner:
        return len(
            owner.scalars(
                select(FailedLoginAddress.name_digest).where(FailedLoginAddress.address == address)
            ).all()
        )


def test_a_throttle_outlasts_a_restart(api_settings: ApiSettings, people: dict[str, int]) -> None:
    """It was kept in the server's memory: a restart let the address guess again."""
    first = _app(api_settings, max_names=2)
    with TestClient(first):
        guesser = _from(first, "10.20.7.1")
        assert [_login(guesser, f"ghost.{time.time_ns()}", "Wrong-1-x") for _ in range(2)] == [
            401,
            401,
        ]
        assert _login(guesser, PREFIX + "stranger", PASSWORD) == 429
    restarted = _app(api_settings, max_names=2)
    with TestClient(restarted):
        assert _login(_from(restarted, "10.20.7.1"), PREFIX + "stranger", PASSWORD) == 429
        assert _login(_from(restarted, "10.20.7.9"), PREFIX + "stranger", PASSWORD) == 200


def test_an_administrator_lists_and_lifts_a_throttled_address(
    api_settings: ApiSettings,
    api_world: ApiWorld,
    database: SuiteDatabase,
    people: dict[str, int],
) -> None:
    address = "10.20.7.2"
    headers = bearer_of(
        api_settings, {k: api_world.users[k].id for k in ("admin", "cmd_a", "auditor")}
    )
    app = _app(api_settings, max_names=3, window_minutes=15)
    with TestClient(app) as client:
        guesser = _from(app, address)
        before = datetime.now(UTC)
        ghosts = [f"ghost.{time.time_ns()}.{i}" for i in range(3)]
        assert [_login(guesser, ghost, "Wrong-1-x") for ghost in ghosts] == [401] * 3
        assert _login(guesser, PREFIX + "target", PASSWORD) == 429

        listed = client.get("/api/users/login-throttle", headers=headers("admin"))
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert (body["max_names"], body["window_minutes"]) == (3, 15)
        held = {each["address"]: each for each in body["addresses"]}
        assert held[address]["names"] == 3
        until = datetime.fromisoformat(held[address]["until"])
        assert before + timedelta(minutes=15) <= until <= datetime.now(UTC) + timedelta(minutes=15)
        assert "10.20.7.9" not in held  # logged in only: never held back

        for role in ("cmd_a", "auditor"):  # administrators' only, said in Chinese
            for refused in (
                client.get("/api/users/login-throttle", headers=headers(role)),
                client.post(
                    "/api/users/login-throttle/clear",
                    json={"address": address},
                    headers=headers(role),
                ),
            ):
                assert refused.status_code == 403
                assert refused.json()["detail"].endswith("无权执行该操作")
        assert _login(guesser, PREFIX + "target", PASSWORD) == 429

        lifted = client.post(
            "/api/users/login-throttle/clear", json={"address": address}, headers=headers("admin")
        )
        assert lifted.status_code == 200, lifted.text
        assert lifted.json()["address"] == address and lifted.json()["names"] == 3
        assert _login(guesser, PREFIX + "target", PASSWORD) == 200
        again = client.get("/api/users/login-throttle", headers=headers("admin")).json()
        assert address not in {each["address"] for each in again["addresses"]}

        twice = client.post(
            "/api/users/login-throttle/clear", json={"address": address}, headers=headers("admin")
        )
        assert twice.status_code == 404
        assert twice.json()["detail"] == (
            f"地址 {address} 目前没有登录限制（可能已到期或已被解除）"
        )
        bad = client.post(
            "/api/users/login-throttle/clear",
            json={"address": "10.0.0.1\x00; --"},
            headers=headers("admin"),
        )
        assert bad.status_code == 422
    with Session(database.owner) as owner:
        entries = owner.execute(
            select(AuditEntry.actor_name, AuditEntry.outcome, AuditEntry.detail)
            .where(
                AuditEntry.action == "login_throttle.clear",
                AuditEntry.object_type == "address",
                AuditEntry.object_id == address,
            )
            .order_by(AuditEntry.id)
        ).all()
    admin = api_world.users["admin"].username
    # the roles refused never reached the endpoint (403 before it); the second lift found none
    assert [(name, outcome) for name, outcome, _ in entries] == [(admin, "ok"), (admin, "failed")]
    done = next(detail for name, outcome, detail in entries if outcome == "ok")
    assert done["names"] == 3 and datetime.fromisoformat(done["until"]) == until


def _forget_address(database: SuiteDatabase, address: str) -> None:
    with Session(database.owner) as owner, owner.begin():
        owner.execute(delete(FailedLoginAddress).where(FailedLoginAddress.address == address))


@pytest.mark.browser
def test_the_login_page_says_when_to_try_again(
    page: RecordedPage, api_settings: ApiSettings, database: SuiteDatabase, people: dict[str, int]
) -> None:
    _forget_address(database, "127.0.0.1")  # the browser's: it starts afresh, and ends so
    try:
        app = _app(api_settings, max_names=2, window_minutes=10, console=True)
        with served_in_thread(app) as origin:
            page.goto(f"{origin}/login")
            message = page.locator("#login-message")
            for ghost in (f"ghost.{time.time_ns()}.{i}" for i in range(2)):  # the limit here
                page.fill("#username", ghost)
                page.fill("#password", "Wrong-1-x")
                page.click("#login-submit")
                page.wait_for_function(
                    "text => document.getElementById('login-message').innerText === text"
                    " && !document.getElementById('login-submit').disabled",
                    arg="用户名或密码错误",
                )
            # even the right password now waits: the page says for how long, not 用户名或密码错误
            page.fill("#username", PREFIX + "stranger")
            page.fill("#password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_function(
                "() => document.getElementById('login-message').innerText.includes('分钟后再试')"
            )
            said = message.inner_text()
            assert re.fullmatch(
                r"此地址登录失败次数过多，请 \d+ 分钟后再试；忘记密码请联系管理员", said
            )
            page.screenshot_step("throttled")
            page.assert_clean(origin, expected_errors=("401", "429"))
    finally:
        _forget_address(database, "127.0.0.1")
