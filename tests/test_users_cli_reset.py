"""Account administration after trial AT: the command line keeps the console's rules.

``zongzhi user password`` takes back the unmask right as the console's 重设密码 does, audited
alike (S1); ``user grant-unmask`` asks its grounds (m2, in tests/test_unmask_rights.py);
``user list`` never breaks a login name at 80 columns (m1); ``user workers`` lists the 编号 that
``--worker-id`` takes, each worker with their village and grid (m3). A grid worker's account
narrowed to the village of their home grid is accepted and their record, filed under the
township, follows it, so that the account still reads its own record; a refusal names the units
by name and code and says what to do (M1). A login to a disabled account is answered as a wrong
one but audited as 账号已停用 (m4).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from api.auth import issue_token
from api.settings import ApiSettings
from layers import accounts, audit
from layers.account_admin import UNMASK_WITHDRAWN
from layers.cli import app
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    COUNTY,
    add_worker,
    create_account,
    grid,
    township,
    village,
    world_for_commands,
)

PASSWORD = "Zz-Cli-Reset-2026!"
NEW_PASSWORD = "Zz-Cli-Reset-New-2027?"
PREFIX = "clr_"
CLERK = "wu.fang"
TOWN = township(100)
V1, V2 = village(100, 1), village(100, 2)
WITHDRAWN_SAID = "其查看个人信息明文的权限已一并收回，如仍需要，须在本人修改密码后重新授予"


@pytest.fixture(scope="module")
def env(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Commands run by :data:`CLERK` on an 80-column terminal, with the test world."""
    home = tmp_path_factory.mktemp("clr-home")
    with world_for_commands(database, home, COLUMNS="80", LOGNAME=CLERK, USER=CLERK) as env:
        yield env


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, env=env)


def _create(database: SuiteDatabase, name: str, role: str, scope: str, **more: Any) -> int:
    display_name = more.pop("display_name", name)
    return create_account(
        database, PREFIX + name, role, scope, password=PASSWORD, display_name=display_name, **more
    )


def _worker(database: SuiteDatabase, name: str, area: str, home_grid: str | None) -> int:
    with Session(database.owner) as owner, owner.begin():
        return add_worker(owner, area_code=area, lon=0, lat=0, name=name, home_grid=home_grid)


def _audits(database: SuiteDatabase, user_id: int, action: str) -> list[tuple[Any, Any, Any]]:
    with database.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT actor_name, reason, detail FROM audit_log WHERE object_type = 'user'"
                " AND object_id = :id AND action = :action ORDER BY id"
            ),
            {"id": str(user_id), "action": action},
        )
        return [tuple(r) for r in rows]


def test_a_reset_on_the_command_line_takes_back_the_unmask_right_as_the_console_does(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    user_id = _create(database, "xie", "grid_worker", V1, can_unmask=True)
    reset = _run(env, "user", "password", PREFIX + "xie", "--password-stdin", stdin=NEW_PASSWORD)
    assert reset.exit_code == 0, reset.output
    assert WITHDRAWN_SAID in reset.output.replace("\n", "")
    with database.owner.connect() as conn:
        held = conn.scalar(text("SELECT can_unmask FROM users WHERE id = :id"), {"id": user_id})
    assert held is False
    # audited as the console's reset is (api.routers.users.reset_password)
    assert _audits(database, user_id, "user.password_reset") == [
        (CLERK, UNMASK_WITHDRAWN, {"unmask_revoked": True})
    ]

    # an account without the right is told nothing of it, and its entry says nothing either
    plain = _create(database, "he", "dispatcher", TOWN)
    again = _run(env, "user", "password", PREFIX + "he", "--password-stdin", stdin=NEW_PASSWORD)
    assert again.exit_code == 0, again.output
    assert "明文" not in again.output
    assert _audits(database, plain, "user.password_reset") == [(CLERK, None, None)]


def test_user_list_never_breaks_a_login_name_on_an_80_column_terminal(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    names = [PREFIX + "commander.county.520424", PREFIX + "auditor.520424"]
    _create(database, "commander.county.520424", "commander", COUNTY, display_name="县值班员")
    _create(database, "auditor.520424", "auditor", COUNTY, display_name="审计员")
    listed = _run(env, "user", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    for name in names:
        assert any(name in line for line in lines), listed.output


def test_user_workers_lists_the_numbers_worker_id_takes_with_village_and_grid(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    filed_in_town = _worker(database, "于洁艳", TOWN, grid(V1))
    in_village = _worker(database, "丁浩东", V1, None)
    county_desk = _worker(database, "何珍玉", COUNTY, None)
    elsewhere = _worker(database, "冯华", V2, grid(V2))
    listed = _run(env, "user", "workers", "--scope", V1)
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line for line in listed.output.splitlines() if line[:1].isdigit()}
    assert str(filed_in_town) in rows and str(in_village) in rows
    assert str(county_desk) not in rows and str(elsewhere) not in rows
    assert "于洁艳" in rows[str(filed_in_town)] and "村100-1" in rows[str(filed_in_town)]
    assert "网格100001" in rows[str(filed_in_town)]
    assert "--worker-id 编号" in listed.output
    named = _run(env, "user", "workers", "--name", "冯华")
    assert named.exit_code == 0 and str(elsewhere) in named.output, named.output
    assert "于洁艳" not in named.output


def test_a_grid_workers_account_narrows_to_the_village_of_their_home_grid(
    env: dict[str, str],
    database: SuiteDatabase,
    api_client: TestClient,  # noqa: F811
    api_settings: ApiSettings,  # noqa: F811
) -> None:
    worker = _worker(database, "林秀英", TOWN, grid(V1))
    added = _run(
        env,
        "user",
        "add",
        PREFIX + "linxy",
        "--role",
        "grid_worker",
        "--scope",
        TOWN[:9],
        "--worker-id",
        str(worker),
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert added.exit_code == 0, added.output
    elsewhere = _run(env, "user", "change", PREFIX + "linxy", "--scope", V2)
    assert elsewhere.exit_code == 1, elsewhere.output
    said = elsewhere.output.replace("\n", "")
    assert f"网格员 林秀英（编号 {worker}）的网格在 村100-1（{V1}）" in said
    assert f"不在账号的管辖范围 村100-2（{V2}） 内" in said
    assert f"请把管辖范围设为 村100-1（{V1}）" in said

    narrowed = _run(env, "user", "change", PREFIX + "linxy", "--scope", V1)
    assert narrowed.exit_code == 0, narrowed.output
    assert f"网格员记录的所属辖区随其网格 镇100（{TOWN}） → 村100-1（{V1}）" in (
        narrowed.output.replace("\n", "")
    )
    with database.owner.connect() as conn:
        user_id, scope = conn.execute(
            text("SELECT id, scope_code FROM users WHERE username = :u"), {"u": PREFIX + "linxy"}
        ).one()
        area = conn.scalar(text("SELECT area_code FROM workers WHERE id = :id"), {"id": worker})
    assert (scope, area) == (V1, V1)
    [(_, _, detail)] = _audits(database, user_id, "user.changed")
    assert detail["worker_area_code"] == [TOWN, V1]
    # the account still reads its own worker record (row-level security by the record's unit)
    token = issue_token(api_settings, user_id, now=datetime.now(UTC))
    with database.owner.begin() as conn:  # its owner changed the password set for them
        conn.execute(
            text("UPDATE users SET must_change_password = false WHERE id = :id"), {"id": user_id}
        )
    own = api_client.get(
        f"/api/workers/{worker}", headers={"Authorization": f"Bearer {token.token}"}
    )
    assert own.status_code == 200 and own.json()["name"] == "林秀英", own.text


def test_a_county_record_without_a_grid_gets_no_grid_workers_account(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    desk = _worker(database, "吴辉兴", COUNTY, None)
    refused = _run(
        env,
        "user",
        "add",
        PREFIX + "wuhx",
        "--role",
        "grid_worker",
        "--scope",
        COUNTY[:6],
        "--worker-id",
        str(desk),
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert refused.exit_code == 1, refused.output
    said = refused.output.replace("\n", "")
    assert f"网格员 吴辉兴（编号 {desk}）的名册记录只到 通海县（{COUNTY}）" in said
    assert "请先在网格员花名册中填写其所属网格" in said


def test_a_login_to_a_disabled_account_is_answered_as_a_wrong_one_and_audited_as_disabled(
    database: SuiteDatabase,
    api_client: TestClient,  # noqa: F811
) -> None:
    name = PREFIX + "disabled"
    user_id = _create(database, "disabled", "dispatcher", TOWN)
    with database.owner.begin() as conn:
        conn.execute(text("UPDATE users SET active = false WHERE id = :id"), {"id": user_id})
    try:
        answer = api_client.post("/api/auth/token", data={"username": name, "password": PASSWORD})
        assert answer.status_code == 401 and answer.json()["detail"] == accounts.WRONG_LOGIN
        wrong = api_client.post("/api/auth/token", data={"username": name, "password": "x"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == accounts.WRONG_LOGIN
        with database.owner.connect() as conn:
            reasons = conn.scalars(
                text(
                    "SELECT reason FROM audit_log WHERE action = 'login' AND actor_name = :n"
                    " ORDER BY id"
                ),
                {"n": name},
            ).all()
        assert reasons == [audit.LOGIN_DISABLED, audit.LOGIN_DISABLED]
    finally:
        with database.owner.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})
