"""A weak ``$ZONGZHI_ARGON2`` stops the commands that hash or check passwords, and no other.

The suite's light cost copied to a server is refused (``tests/test_argon2_cost.py``), but only
where passwords are hashed or checked: ``zongzhi serve`` and ``zongzhi demo`` as they start,
``user add`` and ``user password`` before they ask the password (not once it was typed twice).
``db stop``, ``db status``, ``--help``, ``user list`` and an import run, so that an operator
can still stop the database and look around while fixing the variable. A variable that does
not read as a cost is said in Chinese too, naming the form it takes. Each command runs as the
``zongzhi`` script does, in a process of its own: this one has long cached its password hasher
at the suite's cost.
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

from layers.settings import ARGON2_VARIABLE, ARGON2_WEAK_VARIABLE
from tests.conftest import SuiteDatabase
from tests.import_fixtures import csv_text
from tests.workflow_data import add_user, township, world_for_commands

ZONGZHI = str(Path(sys.executable).with_name("zongzhi"))
WEAK = "m=8,t=1,p=1"
REFUSED = f"错误：${ARGON2_VARIABLE} 的密码哈希强度低于 OWASP 最低要求"
UNREADABLE = f"错误：${ARGON2_VARIABLE} 的写法无法识别："
FORM = "应写成 m=内存（KiB）,t=迭代次数,p=并行度，三项都是整数，如默认的 m=65536,t=3,p=4"
NAME = "argon2_refused.520424"
PASSWORD = "Zz-Argon2-Refused-2026!"


def _weak(env: dict[str, str], cost: str = WEAK) -> dict[str, str]:
    """Return the process's environment with ``env`` and the suite's weak cost, unflagged."""
    said = {k: v for k, v in os.environ.items() if k not in (ARGON2_WEAK_VARIABLE, "COLUMNS")}
    return {**said, **env, ARGON2_VARIABLE: cost, "COLUMNS": "400"}


def _run(
    env: dict[str, str], *args: str, stdin: str = "", module: bool = False, cost: str = WEAK
) -> tuple[int, str]:
    command = [sys.executable, "-m", "layers.cli"] if module else [ZONGZHI]
    done = subprocess.run(
        [*command, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_weak(env, cost),
        check=False,
        timeout=120,
        start_new_session=True,  # no terminal: a password prompt reads stdin, as a user types
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def world(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The suite's database and the test world, for the commands that need one."""
    with world_for_commands(database, tmp_path_factory.mktemp("argon2-home")) as env:
        yield env


def test_the_database_commands_and_the_help_run_with_a_weak_cost(tmp_path: Path) -> None:
    home = {"ZONGZHI_HOME": str(tmp_path / "home")}  # an embedded cluster never started
    code, said = _run(home, "db", "stop")
    assert (code, said.strip()) == (0, "数据库没有运行，无需停止"), said
    code, said = _run(home, "db", "status")
    assert code == 3 and "运行中" in said and "Traceback" not in said, said  # 3: not running
    code, said = _run(home, "--help")
    assert code == 0 and "serve" in said and "user" in said, said
    assert not (tmp_path / "home" / "pg").exists()


@pytest.mark.parametrize(
    ("args", "module"),
    [(["serve", "--port", "8124"], False), (["demo", "--no-serve"], False), (["serve"], True)],
)
def test_serve_and_demo_refuse_a_weak_cost_as_they_start(
    tmp_path: Path, args: list[str], module: bool
) -> None:
    code, said = _run({"ZONGZHI_HOME": str(tmp_path / "home")}, *args, module=module)
    assert code == 1, said
    assert said.startswith(REFUSED) and f"{ARGON2_WEAK_VARIABLE}=1" in said, said
    assert "Traceback" not in said
    assert not (tmp_path / "home" / "pg").exists()  # refused before the database was started
    flagged = {"ZONGZHI_HOME": str(tmp_path / "home"), ARGON2_WEAK_VARIABLE: "1"}
    code, said = _run(flagged, *args, "--help", module=module)  # the flag lets it through
    assert code == 0 and REFUSED not in said, said


def test_user_add_refuses_at_its_hash_and_user_list_and_an_import_run(
    world: dict[str, str], database: SuiteDatabase, tmp_path: Path
) -> None:
    scope = township()
    code, said = _run(
        world,
        *("user", "add", NAME, "--role", "dispatcher", "--scope", scope, "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert code == 1 and said.startswith(REFUSED) and "Traceback" not in said, said
    with database.owner.connect() as conn:
        made = conn.execute(text("SELECT count(*) FROM users WHERE username = :n"), {"n": NAME})
        assert made.scalar_one() == 0
    code, said = _run(world, "user", "list")
    assert code == 0 and "登录名" in said, said
    rows = csv_text(["区划代码", "名称"], [[scope, "某镇"], [scope[:9] + "001", "某村"]])
    path = tmp_path / "辖区.csv"
    path.write_text(rows, encoding="gbk")
    code, said = _run(world, "import", "jurisdictions", str(path), "--dry-run", "--user", "t")
    assert code == 0 and "试运行" in said and REFUSED not in said, said


@pytest.mark.parametrize("command", ["add", "password"])
def test_user_add_and_password_refuse_a_weak_cost_before_asking_the_password(
    world: dict[str, str], database: SuiteDatabase, command: str
) -> None:
    """The password typed twice at the prompt was thrown away by the refusal that followed."""
    name = f"argon2_asked.{command}.520424"
    if command == "password":  # an account to give a new password to
        with Session(database.owner) as session, session.begin():
            add_user(session, username=name, role="dispatcher", scope_code=township())
    args = {"add": ["--role", "dispatcher", "--scope", township()], "password": []}[command]
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    code, said = _run(world, "user", command, name, *args, stdin=typed)
    assert code == 1 and said.startswith(REFUSED) and "Traceback" not in said, said
    assert "密码:" not in said and "Password input" not in said, said  # never asked
    with database.owner.connect() as conn:
        hashed = conn.execute(
            text("SELECT password_hash FROM users WHERE username = :n"), {"n": name}
        ).scalar()
    assert hashed == ("x" if command == "password" else None)  # nothing made nor changed


@pytest.mark.parametrize(
    ("command", "cost", "rule"),
    [
        ("user", "m=65536,t=3", ""),  # p missing
        ("serve", "m=16,t=1,p=4", "argon2 要求 t、p 至少为 1，m 至少为 8 × p；"),
    ],
)
def test_a_cost_that_does_not_read_is_said_in_chinese(
    world: dict[str, str], command: str, cost: str, rule: str
) -> None:
    args = {
        "user": ["user", "add", NAME, "--role", "dispatcher", "--scope", township()],
        "serve": ["serve", "--port", "8124"],
    }[command]
    code, said = _run(world, *args, stdin=f"{PASSWORD}\n{PASSWORD}\n", cost=cost)
    assert code == 1 and "Traceback" not in said, said
    assert said.startswith(f"{UNREADABLE}{cost}。{rule}{FORM}"), said
    assert "密码:" not in said, said
