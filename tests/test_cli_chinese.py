"""The ``db`` and ``user`` commands speak Chinese and take a scope as short as a county's code.

An IT officer setting up a county types ``--scope 620702`` as ``import --within`` and
``divisions`` take it, reads ``user list`` in an 80-column terminal (a county account and a
township account must not look alike), and never sees ``error:`` or an English line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from rich.cells import cell_len
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from layers.cli import app
from layers.migrate import head_revision
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    COUNTY,
    add_worker,
    township,
    village,
    village_centre,
    world_for_commands,
)

PASSWORD = "Zz-Cli-Chinese-2026!"
PREFIX = "zhcli_"
LATIN_WORD = re.compile(r"[A-Za-z_]+")


@pytest.fixture(scope="module")
def env(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The environment of a command run against the suite's database, with the test world."""
    with world_for_commands(database, tmp_path_factory.mktemp("cli-home"), COLUMNS="80") as env:
        yield env


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, env=env)


def _add(env: dict[str, str], name: str, role: str, scope: str) -> Result:
    args = ["user", "add", PREFIX + name, "--role", role, "--scope", scope, "--password-stdin"]
    return _run(env, *args, stdin=PASSWORD + "\n")


def _latin(output: str, *allowed: str) -> list[str]:
    return [w for w in LATIN_WORD.findall(output) if w not in allowed]


def _scope_of(database: SuiteDatabase, name: str) -> str:
    with database.owner.connect() as conn:
        return str(
            conn.execute(
                text("SELECT scope_code FROM users WHERE username = :u"), {"u": PREFIX + name}
            ).scalar_one()
        )


def test_user_add_takes_a_county_or_township_code_as_typed(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    county = _add(env, "county", "commander", COUNTY[:6])
    assert county.exit_code == 0, county.output
    assert _scope_of(database, "county") == COUNTY
    said = county.output.strip()
    assert said.startswith(f"已新建账号 {PREFIX}county（编号 ")
    assert said.endswith(f"：指挥中心值班员，管辖范围 通海县（{COUNTY}）；本人首次登录须先修改密码")
    town = _add(env, "town", "dispatcher", f" {township(100)[:9]} ")
    assert town.exit_code == 0, town.output
    assert _scope_of(database, "town") == township(100)
    assert f"乡镇调度员，管辖范围 镇100（{township(100)}）" in town.output


def test_user_add_refusals_are_chinese(env: dict[str, str]) -> None:
    short = _add(env, "seven", "dispatcher", COUNTY[:7])
    assert short.exit_code == 1
    assert short.output.startswith("错误：区划代码 ")
    assert "应写 12 位区划代码" in short.output and "只写前 2、4、6、9 位" in short.output
    unknown = _add(env, "unknown", "dispatcher", "620702")
    assert unknown.exit_code == 1 and "错误：辖区 620702000000 不存在" in unknown.output
    for result in (short, unknown):
        assert "error" not in result.output.lower() and "Traceback" not in result.output


def test_user_password_prompt_and_account_commands_are_chinese(env: dict[str, str]) -> None:
    typed = _run(
        env,
        *("user", "add", PREFIX + "typed", "--role", "analyst", "--scope", COUNTY[:6]),
        stdin=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert typed.exit_code == 0, typed.output
    assert "密码" in typed.output and "两次输入的密码不一致，请重新输入" in typed.output
    assert f"已新建账号 {PREFIX}typed" in typed.output
    steps = {
        ("user", "disable", PREFIX + "typed"): f"已停用账号 {PREFIX}typed",
        ("user", "enable", PREFIX + "typed"): f"已启用账号 {PREFIX}typed",
        ("user", "unlock", PREFIX + "typed"): f"已解除账号 {PREFIX}typed 的锁定",
    }
    for args, said in steps.items():
        done = _run(env, *args)
        assert done.exit_code == 0 and done.output.strip() == said
    missing = _run(env, "user", "unlock", PREFIX + "nobody")
    assert missing.exit_code == 1 and missing.output.strip() == f"错误：没有账号 {PREFIX}nobody"


def test_user_list_shows_names_and_whole_codes_in_80_columns(env: dict[str, str]) -> None:
    assert _add(env, "list_county", "commander", COUNTY).exit_code == 0
    assert _add(env, "list_town", "dispatcher", township(200)).exit_code == 0
    listing = _run(env, "user", "list")
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert max(cell_len(line.rstrip()) for line in lines) <= 80
    assert lines[0].split() == ["编号", "登录名", "姓名", "角色", "管辖范围", "状态"]
    codes = set(re.findall(r"\b\d{12}\b", listing.output))
    assert {COUNTY, township(200)} <= codes  # never cut to 6207020…
    assert "…" not in listing.output
    assert "通海县" in listing.output and "镇200" in listing.output
    assert "乡镇调度员" in listing.output and "启用" in listing.output


def test_db_commands_on_a_server_of_ones_own_are_chinese(env: dict[str, str]) -> None:
    started = _run(env, "db", "start")
    assert started.exit_code == 0, started.output
    assert started.output.splitlines() == [
        "已设置 ZONGZHI_DATABASE_URL：使用该地址的数据库服务器，无需启动。",
        f"表结构已是版本 {head_revision()}，无需升级",
    ]
    stopped = _run(env, "db", "stop")
    assert stopped.output.strip() == (
        "已设置 ZONGZHI_DATABASE_URL：使用该地址的数据库服务器，不由本平台停止。"
    )
    status = _run(env, "db", "status")
    assert status.exit_code == 0, status.output
    assert "外部服务器（ZONGZHI_DATABASE_URL）" in status.output
    assert re.search(rf"表结构版本 +│ {head_revision()} ", status.output)
    assert not _latin(
        status.output, "ZONGZHI_DATABASE_URL", "PostGIS", "USE_GEOS", "USE_PROJ", "USE_STATS"
    )


def test_a_grid_workers_account_made_unlinked_names_its_namesake_on_the_roster(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    """trial Y: user add … --role grid_worker made an account no one on the roster stood for."""
    home = village(100, 1)
    with Session(database.owner) as session, session.begin():
        worker = add_worker(session, area_code=home, lon=village_centre(home)[0],
                            lat=village_centre(home)[1], name="王建国")  # fmt: skip
    named = _run(
        env, "user", "add", PREFIX + "wjg", "--role", "grid_worker", "--scope", home,
        "--display-name", "王建国", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert named.exit_code == 0, named.output
    said = " ".join(named.output.split())
    assert "此网格员账号未关联网格员名册记录，不能上岗、上报位置，调度员也不能向其派单" in said
    assert f"名册中同名的网格员：王建国（编号 {worker}，" in said
    assert f"zongzhi user change {PREFIX}wjg --worker-id {worker}" in said
    nobody = _run(
        env, "user", "add", PREFIX + "lsi", "--role", "grid_worker", "--scope", home,
        "--display-name", "李四", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert nobody.exit_code == 0, nobody.output
    assert "名册中没有未开通账号、名为“李四”的网格员" in " ".join(nobody.output.split())
    linked = _run(
        env, "user", "add", PREFIX + "wjg2", "--role", "grid_worker", "--scope", home,
        "--worker-id", str(worker), "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert linked.exit_code == 0 and "未关联" not in linked.output
