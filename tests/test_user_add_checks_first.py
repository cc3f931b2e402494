"""``zongzhi user add`` and ``user password`` refuse what they can before asking the password.

A login name taken or malformed, a role unknown, a scope not on record or retired, a worker
record the account may not stand for: each was said only once the administrator had typed the
password twice (``user add``), and is now said first, from one read-only transaction, with no
prompt shown and nothing written; a mistyped account of ``user password`` likewise. Each command
runs as the ``zongzhi`` script does, with no terminal and the password typed on stdin (as
``tests/test_cli_argon2_refused.py`` runs them): the prompt, when there is one, is shown.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    add_user,
    add_worker,
    grid,
    township,
    village,
    village_centre,
    world_for_commands,
)

ZONGZHI = str(Path(sys.executable).with_name("zongzhi"))
PASSWORD = "Zz-Checks-First-2026!"
TYPED = f"{PASSWORD}\n{PASSWORD}\n"
PROMPT = "密码:"
TAKEN = "ucf.taken"
RETIRED = village(100, 9)  # retired into village(100, 1)
UNKNOWN = village(100, 8)  # never on record


@pytest.fixture(scope="module")
def world(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, object]]:
    """The test world with an account, a retired village and a worker of another township."""
    with world_for_commands(database, tmp_path_factory.mktemp("ucf-home")) as env:
        with Session(database.owner) as session, session.begin():
            add_user(session, username=TAKEN, role="dispatcher", scope_code=township())
            session.execute(
                text(
                    "INSERT INTO jurisdictions (code, name, level, parent_code, retired_on,"
                    " successor_code) VALUES (:c, '已撤村', 5, :t, DATE '2026-03-10', :s)"
                ),
                {"c": RETIRED, "t": township(), "s": village(100, 1)},
            )
            elsewhere = village(200, 1)
            worker = add_worker(
                session,
                area_code=elsewhere,
                lon=village_centre(elsewhere)[0],
                lat=village_centre(elsewhere)[1],
                home_grid=grid(elsewhere),
                name="外镇网格员",
            )
        yield {"env": env, "worker": worker}


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [ZONGZHI, *args],
        input=TYPED,
        capture_output=True,
        text=True,
        env={**os.environ, **env, "COLUMNS": "400"},
        check=False,
        timeout=120,
        start_new_session=True,  # no terminal: a password prompt reads stdin, as a user types
    )
    return done.returncode, done.stdout + done.stderr


def _written(database: SuiteDatabase, name: str) -> tuple[list[str], int]:
    """Return the password hashes of the accounts named ``name`` and the count of user.add."""
    with database.owner.connect() as conn:
        hashes = conn.execute(
            text("SELECT password_hash FROM users WHERE username = :n"), {"n": name}
        ).scalars()
        added = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'user.add'"))
        return list(hashes), int(added.scalar_one())


@pytest.mark.parametrize(
    ("name", "role", "scope", "worker", "said"),
    [
        (TAKEN, "dispatcher", township(), False, f"用户名 {TAKEN} 已被占用，请换一个"),
        ("u", "dispatcher", township(), False, "用户名应为 2–50 个字符"),
        ("ucf.role", "boss", township(), False, "角色无效，可选：admin（系统管理员）"),
        ("ucf.unknown", "dispatcher", UNKNOWN, False, f"辖区 {UNKNOWN} 不存在"),
        (
            "ucf.retired",
            "grid_worker",
            RETIRED,
            False,
            f"已撤村（{RETIRED}）已于2026-03-10撤销，请用继承单位 村100-1（{village(100, 1)}）",
        ),
        (
            "ucf.not_worker",
            "dispatcher",
            township(),
            True,
            "只有网格员账号可以对应网格员记录，该账号为乡镇调度员",
        ),
        (
            "ucf.elsewhere",
            "grid_worker",
            village(100, 1),
            True,
            "网格员 外镇网格员（编号 {worker}）的网格在 村200-1",
        ),
    ],
    ids=[
        "taken",
        "malformed-name",
        "role",
        "unknown-scope",
        "retired-scope",
        "role-worker",
        "worker-scope",
    ],
)
def test_user_add_refuses_before_asking_the_password(
    world: dict[str, object],
    database: SuiteDatabase,
    name: str,
    role: str,
    scope: str,
    worker: bool,
    said: str,
) -> None:
    """The refusal the writing of the account gives, said with no prompt, nothing written."""
    env, worker_id = world["env"], world["worker"]
    assert isinstance(env, dict)
    args = ["user", "add", name, "--role", role, "--scope", scope]
    if worker:
        args += ["--worker-id", str(worker_id)]
    before = _written(database, name)
    code, out = _run(env, *args)
    assert code == 1 and "Traceback" not in out, out
    assert out.startswith("错误：" + said.format(worker=worker_id)), out
    assert PROMPT not in out and "Password input" not in out, out  # never asked
    assert _written(database, name) == before  # nothing made nor changed (the taken one's 'x')


def test_user_add_asks_the_password_once_all_else_is_checked(
    world: dict[str, object], database: SuiteDatabase
) -> None:
    """The account that can be made is, the password asked twice and hashed: the prompt shows."""
    env = world["env"]
    assert isinstance(env, dict)
    code, out = _run(env, "user", "add", "ucf.made", "--role", "dispatcher", "--scope", township())
    assert code == 0 and "已新建账号 ucf.made" in out, out
    assert PROMPT in out, out
    hashes, _ = _written(database, "ucf.made")
    assert len(hashes) == 1 and hashes[0].startswith("$argon2id$"), hashes


def test_user_password_of_an_unknown_account_is_refused_before_asking(
    world: dict[str, object],
) -> None:
    """A mistyped login name: said first, no prompt (the account taken keeps its hash)."""
    env = world["env"]
    assert isinstance(env, dict)
    code, out = _run(env, "user", "password", "ucf.nobody")
    assert code == 1 and out.startswith("错误：没有账号 ucf.nobody"), out
    assert PROMPT not in out and "Traceback" not in out, out
