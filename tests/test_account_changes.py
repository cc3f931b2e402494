"""An account's password and post change in place: own password, reset, change of post.

A user changes their own password (``POST /api/me/password``): the current one is checked like
a login (a wrong one counts towards the lock), the new one against the policy, and every other
session ends. An administrator gives a new password (``zongzhi user password``: the lock lifted,
open sessions ended) or a new post (``zongzhi user change``: role, scope, shown name, worker
record; the unmask right and the worker link dropped where the new post may not keep them),
each audited with the OS user who ran it. Open sessions follow at their next request, and an
open live stream ends at its next event.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from api.app import create_app
from api.auth import issue_token
from api.settings import ApiSettings
from importers.demo.plan import DEMO_PASSWORD
from layers import accounts
from layers.cli import app
from layers.database import apply_scope
from layers.errors import WeakPassword
from layers.model import User
from tests.browser import RecordedPage
from tests.conftest import SuiteDatabase
from tests.console_fixtures import ConsoleDemo, login
from tests.workflow_data import (
    COUNTY,
    add_user,
    add_worker,
    create_account,
    ensure_world,
    township,
    village,
    village_centre,
    world_for_commands,
)

PASSWORD = "Zz-Account-Changes-2026!"
NEW_PASSWORD = "Zz-New-Password-2027?"
PREFIX = "acc_"
CLERK = "li.min"
"""The OS user the commands run as (``LOGNAME``)."""
V1 = village(100, 1)
TOWN = township(100)
OTHER_TOWN = township(200)


@pytest.fixture(scope="module")
def env(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The environment of a command run by the OS user :data:`CLERK`, with the test world."""
    home = tmp_path_factory.mktemp("acc-home")
    with world_for_commands(database, home, COLUMNS="200", LOGNAME=CLERK, USER=CLERK) as env:
        yield env


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, env=env)


def _create(database: SuiteDatabase, name: str, role: str, scope: str, **more: Any) -> int:
    display_name = name
    return create_account(
        database, PREFIX + name, role, scope, password=PASSWORD, display_name=display_name, **more
    )


def _row(database: SuiteDatabase, user_id: int) -> Any:
    with database.owner.connect() as conn:
        return conn.execute(
            text(
                "SELECT role, scope_code, display_name, worker_id, can_unmask, failed_logins,"
                " locked_until FROM users WHERE id = :id"
            ),
            {"id": user_id},
        ).one()


def _audits(database: SuiteDatabase, user_id: int) -> list[tuple[str, str, str, Any]]:
    """Each audit entry of account ``user_id`` but logins: action, actor, outcome, and its
    reason (a refusal) or else its detail."""
    with database.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, actor_name, outcome, detail, reason FROM audit_log"
                " WHERE object_type = 'user' AND object_id = :id AND action <> 'login'"
                " ORDER BY id"
            ),
            {"id": str(user_id)},
        )
        return [(r.action, r.actor_name, r.outcome, r.reason or r.detail) for r in rows]


def _listed(env: dict[str, str], name: str) -> str:
    """The row of account ``name`` in ``user list``: its first line and the lines folded under
    it (which start with a space: the table has no left edge)."""
    lines = _run(env, "user", "list").output.splitlines()
    at = next(i for i, line in enumerate(lines) if f" {name} " in f" {line} ")
    end = next((i for i in range(at + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return "\n".join(lines[at:end])


def _bearer(settings: ApiSettings, user_id: int, seconds_ago: int = 2) -> dict[str, str]:
    """A token issued ``seconds_ago`` (tokens carry whole seconds)."""
    issued = issue_token(settings, user_id, now=datetime.now(UTC) - timedelta(seconds=seconds_ago))
    return {"Authorization": f"Bearer {issued.token}"}


# --- a change of post -----------------------------------------------------------------------


def test_a_change_of_post_keeps_the_account_and_drops_what_the_new_post_may_not_hold(
    env: dict[str, str],
    database: SuiteDatabase,
    api_client: TestClient,  # noqa: F811
    api_settings: ApiSettings,  # noqa: F811
) -> None:
    with Session(database.owner) as owner, owner.begin():
        lon, lat = village_centre(V1)
        worker = add_worker(owner, area_code=V1, lon=lon, lat=lat, name="王涛")
    user_id = _create(database, "wang", "grid_worker", V1, can_unmask=True, worker_id=worker)
    bearer = _bearer(api_settings, user_id)

    moved = _run(
        env, "user", "change", PREFIX + "wang", "--role", "dispatcher", "--scope", "520424100"
    )
    assert moved.exit_code == 0, moved.output
    lines = moved.output.splitlines()
    assert lines[0] == (
        f"已调整账号 {PREFIX}wang：角色 网格员 → 乡镇调度员；"
        f"管辖范围 村100-1（{V1}） → 镇100（{TOWN}）；不再对应网格员记录 {worker}"
    )
    assert "收回" not in moved.output  # a township dispatcher may keep the right
    assert lines[-1] == "已登录的在下一次操作时即按调整后的角色和管辖范围"
    row = _row(database, user_id)
    assert (row.role, row.scope_code, row.worker_id, row.can_unmask) == (
        "dispatcher",
        TOWN,
        None,
        True,
    )
    # the open session's next request is the new post's
    answer = api_client.get("/api/me", headers=bearer)
    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert (me["role"], me["scope_code"], me["worker_id"], me["can_unmask"]) == (
        "dispatcher",
        TOWN,
        None,
        True,
    )

    to_department = _run(
        env, "user", "change", PREFIX + "wang", "--role", "department", "--scope", "520424"
    )
    assert to_department.exit_code == 0, to_department.output
    assert (
        "已收回其查看个人信息明文的权限：部门处置人员不能查看个人信息明文："
        "此权限只能授予指挥中心值班员、乡镇调度员、网格员"
    ) in to_department.output
    assert _row(database, user_id).can_unmask is False
    assert api_client.get("/api/me", headers=bearer).json()["role_label"] == "部门处置人员"

    renamed = _run(env, "user", "change", PREFIX + "wang", "--display-name", "王涛")
    assert renamed.exit_code == 0 and "显示姓名 wang → 王涛" in renamed.output
    same = _run(env, "user", "change", PREFIX + "wang", "--role", "department")
    assert (
        same.exit_code == 0 and same.output.strip() == f"账号 {PREFIX}wang 本来就是这样，未作改动"
    )

    assert _audits(database, user_id) == [
        (
            "user.changed",
            CLERK,
            "ok",
            {
                "role": ["grid_worker", "dispatcher"],
                "scope_code": [V1, TOWN],
                "worker_id": [worker, None],
            },
        ),
        (
            "user.changed",
            CLERK,
            "ok",
            {
                "role": ["dispatcher", "department"],
                "scope_code": [TOWN, COUNTY],
                "can_unmask": [True, False],
            },
        ),
        ("user.changed", CLERK, "ok", {"display_name": ["wang", "王涛"]}),
    ]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "错误：请至少给出 --role、--scope、--display-name、--worker-id 中的一项"),
        (("--role", "boss"), "错误：角色无效，可选：admin（系统管理员）"),
        (("--scope", "520424999"), "错误：辖区 520424999000 不存在"),
        (("--scope", "52042"), "错误："),
        (("--worker-id", "1"), "错误：只有网格员账号可以对应网格员记录，该账号调整后为乡镇调度员"),
        (("--display-name", " "), "错误：显示名称应为 1–50 个字"),
    ],
    ids=["nothing", "role", "unknown-scope", "bad-code", "worker-of-dispatcher", "blank-name"],
)
def test_a_change_of_post_is_refused_whole_with_the_reason(
    env: dict[str, str], database: SuiteDatabase, args: tuple[str, ...], said: str
) -> None:
    user_id = _create(database, "zhao", "dispatcher", TOWN)
    try:
        refused = _run(env, "user", "change", PREFIX + "zhao", *args)
        assert refused.exit_code == 1, refused.output
        assert refused.output.startswith(said) and "Traceback" not in refused.output
        assert _row(database, user_id)[:3] == ("dispatcher", TOWN, "zhao")
        assert _audits(database, user_id) == []
    finally:
        with database.owner.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})
    missing = _run(env, "user", "change", PREFIX + "nobody", "--role", "analyst")
    assert missing.exit_code == 1 and missing.output.strip() == f"错误：没有账号 {PREFIX}nobody"


# --- passwords ------------------------------------------------------------------------------


def test_an_administrator_gives_a_new_password_ending_the_lock_and_the_sessions(
    env: dict[str, str],
    database: SuiteDatabase,
    api_client: TestClient,  # noqa: F811
    api_settings: ApiSettings,  # noqa: F811
) -> None:
    user_id = _create(database, "sun", "commander", COUNTY)
    bearer = _bearer(api_settings, user_id)
    with database.owner.begin() as conn:
        conn.execute(
            text("UPDATE users SET locked_until = now() + interval '20 minutes' WHERE id = :id"),
            {"id": user_id},
        )
    weak = _run(env, "user", "password", PREFIX + "sun", "--password-stdin", stdin="abc\n")
    assert weak.exit_code == 1
    assert weak.output.startswith("错误：密码不符合要求：少于 8 个字符")
    assert api_client.get("/api/me", headers=bearer).status_code == 200  # nothing changed

    reset = _run(env, "user", "password", PREFIX + "sun", "--password-stdin", stdin=NEW_PASSWORD)
    assert reset.exit_code == 0, reset.output
    assert reset.output.startswith(
        f"已重设账号 {PREFIX}sun 的密码：其锁定一并解除，已登录的随即失效"
    )
    assert _row(database, user_id).locked_until is None
    refused = api_client.get("/api/me", headers=bearer)
    assert refused.status_code == 401 and refused.json()["detail"] == "密码已更改，请重新登录"
    login = {"username": PREFIX + "sun", "password": NEW_PASSWORD}
    assert api_client.post("/api/auth/token", data=login).status_code == 200
    assert _audits(database, user_id) == [("user.password_reset", CLERK, "ok", None)]
    missing = _run(env, "user", "password", PREFIX + "nobody", "--password-stdin", stdin="x\n")
    assert missing.exit_code == 1 and missing.output.strip() == f"错误：没有账号 {PREFIX}nobody"


def test_a_user_changes_their_own_password_and_their_other_sessions_end(
    env: dict[str, str],
    database: SuiteDatabase,
    api_client: TestClient,  # noqa: F811
    api_settings: ApiSettings,  # noqa: F811
) -> None:
    user_id = _create(database, "qian", "dispatcher", TOWN)
    own, other = _bearer(api_settings, user_id), _bearer(api_settings, user_id, seconds_ago=5)
    url = "/api/me/password"

    def change(current: str, new: str) -> Any:
        body = {"current_password": current, "new_password": new}
        return api_client.post(url, json=body, headers=own)

    wrong = change("Not-The-Password-1", NEW_PASSWORD)
    assert wrong.status_code == 422 and wrong.json()["detail"] == "当前密码不正确"
    assert _row(database, user_id).failed_logins == 1  # counted like a failed login
    weak = change(PASSWORD, "abcdefgh")
    assert weak.status_code == 422
    assert weak.json()["problems"] == [
        "只用了 1 类字符，至少需要 3 类（大写字母、小写字母、数字、符号）"
    ]
    same = change(PASSWORD, PASSWORD)
    assert same.status_code == 422 and same.json()["detail"] == "新密码不能与当前密码相同"
    assert api_client.get("/api/me", headers=own).status_code == 200

    changed = change(PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 200, changed.text
    token = changed.json()["access_token"]
    assert api_settings.cookie_name in changed.headers["set-cookie"]
    fresh = {"Authorization": f"Bearer {token}"}
    assert api_client.get("/api/me", headers=fresh).json()["username"] == PREFIX + "qian"
    for ended in (own, other):
        assert api_client.get("/api/me", headers=ended).status_code == 401
    old = {"username": PREFIX + "qian", "password": PASSWORD}
    assert api_client.post("/api/auth/token", data=old).status_code == 401
    new = {"username": PREFIX + "qian", "password": NEW_PASSWORD}
    assert api_client.post("/api/auth/token", data=new).status_code == 200

    audits = _audits(database, user_id)
    assert [(action, who, outcome) for action, who, outcome, _ in audits] == [
        ("user.password_changed", PREFIX + "qian", "denied"),
        ("user.password_changed", PREFIX + "qian", "denied"),
        ("user.password_changed", PREFIX + "qian", "denied"),
        ("user.password_changed", PREFIX + "qian", "ok"),
    ]
    assert audits[0][3] == "当前密码不正确"
    for _, _, _, said in audits:
        assert PASSWORD not in str(said) and NEW_PASSWORD not in str(said)


def test_an_owner_may_not_take_back_one_of_their_last_passwords(db: Session) -> None:
    ensure_world(db)
    passwords = [f"Zz-History-{n}-2026!" for n in range(5)]
    accounts.create_user(
        db,
        username=PREFIX + "history",
        password=passwords[0],
        role="dispatcher",
        scope_code=TOWN,
        display_name="历史",
    )
    three = accounts.PasswordPolicy(history=3)
    now = datetime(2026, 12, 4, tzinfo=UTC)

    def change(current: str, new: str, policy: accounts.PasswordPolicy = three) -> None:
        accounts.change_password(db, PREFIX + "history", current, new, now=now, policy=policy)

    change(passwords[0], passwords[1])
    change(passwords[1], passwords[2])
    for used in passwords[:2]:  # remembered: 2 (current), 1, 0
        with pytest.raises(WeakPassword, match="新密码不能与最近 3 次用过的密码相同"):
            change(passwords[2], used)
    change(passwords[2], passwords[3])  # remembered now: 3, 2, 1
    change(passwords[3], passwords[0])  # the oldest is forgotten
    user = db.scalars(select(User).where(User.username == PREFIX + "history")).one()
    assert len(user.previous_password_hashes) == 2
    assert all(passwords[0] not in h for h in user.previous_password_hashes), "hashes only"

    # an administrator's reset pushes the owner's password into the history too
    accounts.set_password(db, user, "Zz-Handed-Over-2026", now=now, policy=three, by_owner=False)
    with pytest.raises(WeakPassword, match="最近 3 次"):
        change("Zz-Handed-Over-2026", passwords[0])
    # a deployment that remembers none still refuses the current one
    none = accounts.PasswordPolicy(history=0)
    change("Zz-Handed-Over-2026", passwords[4], none)
    with pytest.raises(WeakPassword, match="新密码不能与当前密码相同"):
        accounts.set_password(db, user, passwords[4], now=now, policy=none)
    change(passwords[4], passwords[0], none)
    assert accounts.PasswordPolicy.from_env({"ZONGZHI_PASSWORD_HISTORY": "12"}).history == 12


def test_a_password_an_administrator_set_must_be_changed_before_anything_else(
    env: dict[str, str],
    database: SuiteDatabase,
    api_client: TestClient,  # noqa: F811
) -> None:
    name = PREFIX + "feng"
    added = _run(
        env,
        "user",
        "add",
        name,
        "--role",
        "dispatcher",
        "--scope",
        TOWN[:9],
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert added.output.strip().endswith("；本人首次登录须先修改密码")

    def logged_in(password: str) -> dict[str, str]:
        login = api_client.post("/api/auth/token", data={"username": name, "password": password})
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    assert "待本人改密" in _listed(env, name)
    first = logged_in(PASSWORD)
    me = api_client.get("/api/me", headers=first).json()
    assert me["must_change_password"] is True
    refused = api_client.get("/api/cases", headers=first)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "请先修改密码：管理员设置或重设的密码须由本人修改后才能使用平台"
    )
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = api_client.post("/api/me/password", json=body, headers=first)
    assert changed.status_code == 200, changed.text
    own = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert api_client.get("/api/me", headers=own).json()["must_change_password"] is False
    assert api_client.get("/api/cases", headers=own).status_code == 200
    assert "待本人改密" not in _listed(env, name)

    # a reset is the administrator's password again: changed first, once more
    reset = _run(env, "user", "password", name, "--password-stdin", stdin=PASSWORD + "-2\n")
    assert reset.exit_code == 0, reset.output
    assert reset.output.strip().endswith("本人登录后须先修改密码")
    again = logged_in(PASSWORD + "-2")
    assert api_client.get("/api/cases", headers=again).status_code == 403
    assert api_client.post("/api/auth/logout", headers=again).status_code == 204


def test_the_platform_generates_a_password_to_hand_over_shown_once(
    env: dict[str, str],
    database: SuiteDatabase,
    api_client: TestClient,  # noqa: F811
) -> None:
    name = PREFIX + "hand"
    add = ["user", "add", name, "--role", "commander", "--scope", COUNTY[:6]]
    both = _run(env, *add, "--generate-password", "--password-stdin", stdin=PASSWORD + "\n")
    assert both.exit_code == 1
    assert both.output.strip() == "错误：--generate-password 与 --password-stdin 只能选一个"

    def handed_over(result: Result, what: str) -> str:
        assert result.exit_code == 0, result.output
        said = f"{what}（只显示这一次，请当面交给本人，本人登录后须先修改）："
        line = result.output.strip().splitlines()[-1]
        assert line.startswith(said)
        return line.removeprefix(said)

    first = handed_over(_run(env, *add, "--generate-password"), "初始密码")
    assert accounts.PasswordPolicy().problems(first, name) == []
    login = {"username": name, "password": first}
    token = api_client.post("/api/auth/token", data=login)
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert api_client.get("/api/me", headers=bearer).json()["must_change_password"] is True

    reset = _run(env, "user", "password", name, "--generate-password")
    second = handed_over(reset, "新密码")
    assert second != first
    assert api_client.post("/api/auth/token", data=login).status_code == 401
    again = {"username": name, "password": second}
    assert api_client.post("/api/auth/token", data=again).status_code == 200
    with database.owner.connect() as conn:
        logged = conn.execute(
            text(
                "SELECT string_agg(coalesce(detail::text, '') || coalesce(reason, ''), ' ')"
                " FROM audit_log WHERE actor_name IN (:clerk, :name)"
            ),
            {"clerk": CLERK, "name": name},
        ).scalar_one()
    assert first not in logged and second not in logged  # never written down by the platform


def test_the_commands_follow_the_deployments_password_rules(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    stricter = {**env, "ZONGZHI_PASSWORD_MIN_LENGTH": "30"}  # as the API reads them
    name = PREFIX + "strict"
    add = ["user", "add", name, "--role", "commander", "--scope", COUNTY[:6]]
    refused = CliRunner().invoke(app, [*add, "--password-stdin"], input=PASSWORD, env=stricter)
    assert refused.exit_code == 1
    assert refused.output.strip() == "错误：密码不符合要求：少于 30 个字符"
    made = CliRunner().invoke(app, [*add, "--generate-password"], env=stricter)
    assert made.exit_code == 0, made.output
    assert len(made.output.strip().splitlines()[-1].rpartition("：")[2]) == 30


def test_a_deployment_may_have_passwords_changed_after_some_days(
    env: dict[str, str],
    database: SuiteDatabase,
    api_settings: ApiSettings,  # noqa: F811
) -> None:
    quarterly = replace(api_settings, password_policy=accounts.PasswordPolicy(max_age_days=90))
    user_id = _create(database, "old", "commander", COUNTY)
    with database.owner.begin() as conn:
        conn.execute(
            text(
                "UPDATE users SET password_changed_at = now() - interval '91 days' WHERE id = :id"
            ),
            {"id": user_id},
        )
    with TestClient(create_app(quarterly)) as client:
        login = {"username": PREFIX + "old", "password": PASSWORD}
        token = client.post("/api/auth/token", data=login)
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = client.get("/api/me", headers=bearer).json()
        assert me["must_change_password"] is True
        assert me["password_change_reason"] == "密码已使用超过 90 天，须定期更换"
        refused = client.get("/api/cases", headers=bearer)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "请先修改密码：密码已使用超过 90 天，须定期更换"
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        changed = client.post("/api/me/password", json=body, headers=bearer)
        assert changed.status_code == 200, changed.text
        fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
        assert client.get("/api/cases", headers=fresh).status_code == 200
        assert client.get("/api/me", headers=fresh).json()["password_change_reason"] is None


def test_wrong_current_passwords_lock_the_account_like_logins(
    env: dict[str, str],
    database: SuiteDatabase,
    api_client: TestClient,  # noqa: F811
    api_settings: ApiSettings,  # noqa: F811
) -> None:
    user_id = _create(database, "zhou", "commander", COUNTY)
    headers = _bearer(api_settings, user_id)
    body = {"current_password": "Not-The-Password-1", "new_password": NEW_PASSWORD}
    codes = [
        api_client.post("/api/me/password", json=body, headers=headers).status_code
        for _ in range(api_settings.lockout.max_failures)
    ]
    assert codes == [422] * (api_settings.lockout.max_failures - 1) + [423]
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    locked = api_client.post("/api/me/password", json=right, headers=headers)
    assert locked.status_code == 423 and "locked_until" in locked.json()
    login = {"username": PREFIX + "zhou", "password": PASSWORD}
    assert api_client.post("/api/auth/token", data=login).status_code == 423


# --- an open live stream --------------------------------------------------------------------


def _listen(base: str, headers: dict[str, str], ready: threading.Event, lines: list[str]) -> None:
    with (
        httpx2.Client(base_url=base, timeout=30) as client,
        client.stream(
            "GET", "/api/events", params={"max_events": 1, "keepalive": 1}, headers=headers
        ) as response,
    ):
        for line in response.iter_lines():
            if line == "event: ready":
                ready.set()
            lines.append(line)


def _listening_then_changed(
    env: dict[str, str],
    database: SuiteDatabase,
    api_settings: ApiSettings,  # noqa: F811
    live_server: str,  # noqa: F811
    name: str,
    change: str,
) -> tuple[threading.Thread, list[str]]:
    """Open a town dispatcher's live stream, then change the account (post, password, disable)
    or log its session out."""
    user_id = _create(database, name, "dispatcher", TOWN)
    lines: list[str] = []
    ready = threading.Event()
    headers = _bearer(api_settings, user_id)
    listener = threading.Thread(target=_listen, args=(live_server, headers, ready, lines))
    listener.start()
    assert ready.wait(timeout=20)
    if change == "logout":  # trial AI S1: a stream open at 退出 kept running
        with httpx2.Client(base_url=live_server, timeout=30) as client:
            ended = client.post("/api/auth/logout", headers=headers)
        assert ended.status_code == 204, ended.text
        return listener, lines
    if change == "post":
        done = _run(env, "user", "change", PREFIX + name, "--scope", OTHER_TOWN[:9])
    elif change == "password":
        done = _run(env, "user", "password", PREFIX + name, "--password-stdin", stdin=NEW_PASSWORD)
    else:
        done = _run(env, "user", "disable", PREFIX + name)
    assert done.exit_code == 0, done.output
    return listener, lines


@pytest.mark.parametrize("change", ["post", "password"])
def test_an_open_live_stream_ends_at_its_next_event_after_a_change(
    env: dict[str, str],
    database: SuiteDatabase,
    api_settings: ApiSettings,  # noqa: F811
    live_server: str,  # noqa: F811
    change: str,
) -> None:
    with Session(database.owner) as owner, owner.begin():
        colleague = add_user(
            owner, username=f"{PREFIX}colleague", role="dispatcher", scope_code=TOWN
        )
    listener, lines = _listening_then_changed(
        env, database, api_settings, live_server, f"stream_{change}", change
    )
    lon, lat = village_centre(V1)
    case = {
        "channel": "phone",
        "category": "dispute",
        "title": "旧辖区的来电",
        "lon": lon,
        "lat": lat,
    }
    with httpx2.Client(base_url=live_server, timeout=30) as client:
        headers = _bearer(api_settings, colleague, seconds_ago=0)
        registered = client.post("/api/cases", json=case, headers=headers)
    assert registered.status_code == 201, registered.text
    listener.join(timeout=30)
    assert not listener.is_alive()
    assert "event: ready" in lines
    assert not [line for line in lines if line.startswith("event: case_event")], lines


@pytest.mark.parametrize("change", ["post", "password", "disable", "logout"])
def test_a_quiet_live_stream_ends_at_its_next_keepalive_after_a_change(
    env: dict[str, str],
    database: SuiteDatabase,
    api_settings: ApiSettings,  # noqa: F811
    live_server: str,  # noqa: F811
    change: str,
) -> None:
    listener, lines = _listening_then_changed(
        env, database, api_settings, live_server, f"quiet_{change}", change
    )
    # nothing happens in the town: the stream ends at a keep-alive (one a second here)
    listener.join(timeout=20)
    assert not listener.is_alive(), lines
    assert "event: ready" in lines


# --- the console ----------------------------------------------------------------------------


def _demo_dispatcher(
    demo: ConsoleDemo, name: str, display_name: str, township: str, **more: bool
) -> str:
    """Add the dispatcher ``PREFIX + name`` of a demo township (its 3 digits); return its code."""
    town = f"{demo.data.county_code[:6]}{township}000"
    with Session(demo.owner) as owner, owner.begin():
        apply_scope(owner, None)
        accounts.create_user(
            owner,
            username=PREFIX + name,
            password=DEMO_PASSWORD,
            role="dispatcher",
            scope_code=town,
            display_name=display_name,
            **more,
        )
    return town


@pytest.mark.browser
def test_the_top_bar_changes_the_users_own_password(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    town = _demo_dispatcher(demo, "browser", "钱敏", "101")
    login(page, demo.origin, PREFIX + "browser")
    user = page.locator("#zz-user")
    expect(user).to_have_text("钱敏（乡镇调度员）")
    user.click()
    dialog = page.locator("#zz-password-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#zz-password-rule")).to_have_text(
        "新密码要求：8–128 个字符，含大写字母、小写字母、数字、符号中的至少 3 类，不含用户名。"
    )
    error = page.locator("#zz-password-error")

    def submit(current: str, new: str, again: str) -> None:
        page.fill("#zz-password-current", current)
        page.fill("#zz-password-new", new)
        page.fill("#zz-password-again", again)
        page.click("#zz-password-submit")

    submit("Not-The-Password-1", NEW_PASSWORD, NEW_PASSWORD)
    expect(error).to_have_text("当前密码不正确")
    page.screenshot_step("1-wrong-current")
    submit(DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    expect(error).to_have_text("两次输入的新密码不一致")
    submit(DEMO_PASSWORD, "abcdefgh", "abcdefgh")
    expect(error).to_contain_text("密码不符合要求：只用了 1 类字符")
    submit(DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    expect(dialog).to_be_hidden(timeout=20_000)  # a password hash: slow on a busy machine
    expect(page.locator("#zz-toasts")).to_contain_text("密码已修改")
    page.screenshot_step("2-changed")

    page.reload()  # this browser's cookie was renewed: still logged in
    expect(user).to_have_text("钱敏（乡镇调度员）")
    page.click("#zz-logout")
    page.wait_for_url(f"{demo.origin}/login")
    page.fill("#username", PREFIX + "browser")
    page.fill("#password", NEW_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{demo.origin}/dispatch/{town}")
    # a map tile still loading when the session was renewed or ended is refused (401): the
    # map asks again, and nothing the user sees fails
    page.assert_clean(demo.origin, expected_errors=(r"status of 422", r"401 .*/tiles/"))


@pytest.mark.browser
def test_the_console_asks_first_for_a_password_an_administrator_set(
    page: RecordedPage, console_demo: ConsoleDemo
) -> None:
    demo = console_demo
    _demo_dispatcher(demo, "first", "冯岚", "102", must_change_password=True)
    # every red toast the page shows, however briefly
    page.add_init_script(
        "window.zzRed = []; new MutationObserver((changes) => changes.forEach((c) =>"
        " c.addedNodes.forEach((n) => c.target.id === 'zz-toasts'"
        " && n.classList.contains('alert-danger')"
        " && window.zzRed.push(n.textContent)))).observe(document, {childList: true,"
        " subtree: true});"
    )
    login(page, demo.origin, PREFIX + "first")
    dialog = page.locator("#zz-password-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#zz-password-title")).to_have_text("请先修改密码")
    expect(page.locator("#zz-password-why")).to_be_visible()
    expect(page.locator("#zz-password-cancel")).to_have_text("退出登录")
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()  # not dismissed
    page.wait_for_load_state("networkidle")  # the page's own reads, refused meanwhile
    assert page.evaluate("window.zzRed") == [], "the dialog says why: no red toasts behind it"
    page.screenshot_step("1-asked")
    page.fill("#zz-password-current", DEMO_PASSWORD)
    page.fill("#zz-password-new", NEW_PASSWORD)
    page.fill("#zz-password-again", NEW_PASSWORD)
    page.click("#zz-password-submit")
    expect(page.locator("#zz-user")).to_have_text("冯岚（乡镇调度员）")
    expect(dialog).to_be_hidden(timeout=20_000)  # a password hash: slow on a busy machine
    expect(page.locator("#dz-unit-name")).to_have_text("华溪镇")  # the data, answered now
    page.screenshot_step("2-changed")
    page.assert_clean(demo.origin, expected_errors=(r"status of 403",))
