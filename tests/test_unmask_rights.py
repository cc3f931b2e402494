"""Who may hold the unmask right, and how it is given and taken back (trial S, F6).

Only the roles that direct or visit their scope (指挥中心值班员, 乡镇调度员, 网格员) may read a
person's clear name and resident ID. ``user add --unmask`` refuses the others, the unmasked read
refuses them too (an account given the flag before the rule), ``user grant-unmask`` and
``user revoke-unmask`` give and take the right back, audited with the OS user who ran them, and
``user list`` says 可看明文 only of an account that can really unmask.

Re-trial S, N1: the right follows the persons layer's rule, so a province or city account (which
reads persons as counts only) is not given it either, and a flag such an account carries is void.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from layers import accounts, catalog, disclosure
from layers.cli import app
from layers.errors import Forbidden, InvalidInput
from layers.secrets import Keys, seal
from tests.conftest import SuiteDatabase
from tests.workflow_data import (
    CITY,
    COUNTY,
    PROVINCE,
    ensure_world,
    grid,
    township,
    village,
    world_for_commands,
)

PASSWORD = "Zz-Unmask-Rights-2026!"
PREFIX = "umr_"
CLERK = "zhou.jing"
"""The OS user the commands run as (``LOGNAME``)."""
V1 = village(100, 1)
KEYS = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
RESIDENT_ID = "520424198001010011"
MAY_HOLD = "指挥中心值班员、乡镇调度员、网格员"
MAY_HOLD_LEVELS = "此权限只能授予县、乡镇、村社区级的账号"
GROUNDS = "县综治中心主任批准，负责重点人员研判"


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["department", "analyst", "admin", "auditor"])
def test_a_role_that_neither_directs_nor_visits_cannot_be_given_the_right(
    db: Session, role: str
) -> None:
    ensure_world(db)
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(
            db,
            username=f"{PREFIX}{role}",
            password=PASSWORD,
            role=role,
            scope_code=COUNTY,
            display_name="测试",
            can_unmask=True,
        )
    assert MAY_HOLD in str(refused.value)
    assert not accounts.may_hold_unmask(role, COUNTY)


@pytest.mark.parametrize(
    ("role", "scope"),
    [("commander", COUNTY), ("dispatcher", township()), ("grid_worker", V1)],
)
def test_commanders_dispatchers_and_grid_workers_may_hold_it(
    db: Session, role: str, scope: str
) -> None:
    ensure_world(db)
    user = accounts.create_user(
        db,
        username=f"{PREFIX}{role}",
        password=PASSWORD,
        role=role,
        scope_code=scope,
        display_name="测试",
        can_unmask=True,
    )
    assert user.can_unmask and accounts.may_hold_unmask(role, scope)
    assert accounts.unmask_effective(role, can_unmask=True, scope_code=scope)
    assert not accounts.unmask_effective(role, can_unmask=False, scope_code=scope)


@pytest.mark.parametrize(
    ("role", "scope", "level"),
    [
        ("commander", PROVINCE, "省"),
        ("commander", CITY, "市"),
        ("dispatcher", CITY, "市"),
        ("grid_worker", PROVINCE, "省"),
    ],
)
def test_an_account_above_county_level_cannot_be_given_the_right(
    db: Session, role: str, scope: str, level: str
) -> None:
    ensure_world(db)
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(
            db,
            username=f"{PREFIX}{role}_{level}",
            password=PASSWORD,
            role=role,
            scope_code=scope,
            display_name="测试",
            can_unmask=True,
        )
    assert str(refused.value).startswith(f"{level}级账号不能查看个人信息明文")
    assert MAY_HOLD_LEVELS in str(refused.value)
    assert not accounts.may_hold_unmask(role, scope)
    assert not accounts.unmask_effective(role, can_unmask=True, scope_code=scope)
    # the same rule as the persons layer: such an account reads the persons as counts only
    assert not catalog.sees_persons_individually(role, scope)


def test_a_grid_worker_with_a_county_scope_cannot_be_given_the_right(db: Session) -> None:
    """A worker visits the persons of a grid: a county scope would unmask the whole county."""
    ensure_world(db)
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(
            db,
            username=f"{PREFIX}county_worker",
            password=PASSWORD,
            role="grid_worker",
            scope_code=COUNTY,
            display_name="测试",
            can_unmask=True,
        )
    assert str(refused.value).startswith("县级的网格员账号不能查看个人信息明文")
    assert not accounts.unmask_effective("grid_worker", can_unmask=True, scope_code=COUNTY)
    assert accounts.may_hold_unmask("grid_worker", township())


def test_an_account_above_county_level_is_not_granted_the_right(db: Session) -> None:
    ensure_world(db)
    user = accounts.create_user(
        db,
        username=f"{PREFIX}city_grant",
        password=PASSWORD,
        role="commander",
        scope_code=CITY,
        display_name="测试",
    )
    with pytest.raises(InvalidInput, match="^市级账号不能查看个人信息明文"):
        accounts.set_unmask(db, user, allowed=True)
    assert not user.can_unmask


def _person(db: Session) -> int:
    return int(
        db.execute(
            text(
                "INSERT INTO persons (category, name, id_hash, id_masked, id_sealed,"
                " management_level, attributes, area_code, grid_code, residence, on_record_since)"
                " VALUES ('mental', '测试甲', :h, '5204**********0011', :s, 1, '{}', :a, :g,"
                " ST_SetSRID(ST_MakePoint(102.505, 24.305), 4490), DATE '2025-01-01') RETURNING id"
            ),
            {"h": (8101).to_bytes(32, "big"), "s": seal(KEYS, RESIDENT_ID), "a": V1, "g": grid(V1)},
        ).scalar_one()
    )


def _unmask_audits(db: Session, person_id: int, actor: str) -> list[tuple[str, object]]:
    rows = db.execute(
        text(
            "SELECT outcome, detail FROM audit_log WHERE action = 'person.unmask'"
            " AND object_id = :p AND actor_name = :a ORDER BY id"
        ),
        {"p": str(person_id), "a": actor},
    )
    return [(row.outcome, row.detail) for row in rows]


def test_a_department_account_flagged_before_the_rule_reads_nothing_clear(db: Session) -> None:
    ensure_world(db)
    person_id = _person(db)
    department = accounts.Reader(1, f"{PREFIX}jiaoyuju", "department", COUNTY, can_unmask=True)
    with pytest.raises(Forbidden) as refused:
        disclosure.unmask_person(db, department, person_id, reason="教育局核实学生家长", keys=KEYS)
    assert str(refused.value) == "您没有查看完整个人信息的权限"
    assert _unmask_audits(db, person_id, f"{PREFIX}jiaoyuju") == [
        ("denied", {"refused": "role may not unmask"})
    ]


@pytest.mark.parametrize("scope", [PROVINCE, CITY])
def test_a_province_or_city_commander_flagged_before_the_rule_reads_nothing_clear(
    db: Session, scope: str
) -> None:
    ensure_world(db)
    person_id = _person(db)  # in the commander's scope
    wide = accounts.Reader(3, f"{PREFIX}wide", "commander", scope, can_unmask=True)
    with pytest.raises(Forbidden) as refused:
        disclosure.unmask_person(db, wide, person_id, reason="核实走访对象身份", keys=KEYS)
    assert str(refused.value).endswith(MAY_HOLD_LEVELS + "（省、市级账号只能查看特殊人群的汇总数）")
    assert "测试甲" not in str(refused.value)
    assert _unmask_audits(db, person_id, f"{PREFIX}wide") == [
        ("denied", {"refused": "scope too wide to unmask"})
    ]


def test_the_persons_own_grid_worker_with_the_right_reads_them(db: Session) -> None:
    ensure_world(db)
    person_id = _person(db)
    worker_id = db.execute(
        text(
            "INSERT INTO workers (name, role, home_grid, area_code, status)"
            " VALUES ('测试网格员', 'grid_worker', :g, :a, 'on_duty') RETURNING id"
        ),
        {"g": grid(V1), "a": V1},
    ).scalar_one()
    worker = accounts.Reader(
        2, f"{PREFIX}gridworker", "grid_worker", V1, can_unmask=True, worker_id=worker_id
    )
    person = disclosure.unmask_person(db, worker, person_id, reason="入户走访核对身份", keys=KEYS)
    assert (person.name, person.resident_id) == ("测试甲", RESIDENT_ID)
    assert _unmask_audits(db, person_id, f"{PREFIX}gridworker")[0][0] == "ok"
    # another grid's worker of the same village, not named responsible: refused (trial AW M4)
    db.execute(text("UPDATE workers SET home_grid = NULL WHERE id = :w"), {"w": worker_id})
    with pytest.raises(Forbidden) as refused:
        disclosure.unmask_person(db, worker, person_id, reason="入户走访核对身份", keys=KEYS)
    assert str(refused.value).startswith("该人员不在您负责的网格，也未将您列为帮扶责任人")
    assert _unmask_audits(db, person_id, f"{PREFIX}gridworker")[1] == (
        "denied",
        {"refused": "not followed by the reader's worker"},
    )


# --- the commands --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The environment of a command run by the OS user :data:`CLERK`, with the test world."""
    home = tmp_path_factory.mktemp("umr-home")
    with world_for_commands(database, home, COLUMNS="100", LOGNAME=CLERK, USER=CLERK) as env:
        yield env


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, env=env)


def _add(env: dict[str, str], name: str, role: str, scope: str, *more: str) -> Result:
    args = ["user", "add", PREFIX + name, "--role", role, "--scope", scope, "--password-stdin"]
    return _run(env, *args, *more, stdin=PASSWORD + "\n")


def _account(database: SuiteDatabase, name: str) -> tuple[int, bool] | None:
    with database.owner.connect() as conn:
        row = conn.execute(
            text("SELECT id, can_unmask FROM users WHERE username = :u"), {"u": PREFIX + name}
        ).one_or_none()
    return (row.id, row.can_unmask) if row is not None else None


def _user_audits(database: SuiteDatabase, user_id: int) -> list[tuple[str, str, object]]:
    with database.owner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, actor_name, detail FROM audit_log"
                " WHERE object_type = 'user' AND object_id = :id ORDER BY id"
            ),
            {"id": str(user_id)},
        )
        return [(row.action, row.actor_name, row.detail) for row in rows]


def _state_of(listing: str, name: str) -> str:
    """Return the two lines of ``user list`` that hold the account ``name``."""
    lines = listing.splitlines()
    at = next(i for i, line in enumerate(lines) if f" {PREFIX}{name} " in f" {line} ")
    return "\n".join(lines[at : at + 2])


def test_user_add_refuses_the_right_to_a_department_naming_who_may(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    refused = _add(env, "jiaoyuju", "department", COUNTY[:6], "--unmask")
    assert refused.exit_code == 1, refused.output
    assert refused.output.startswith("错误：部门处置人员不能")
    assert MAY_HOLD in refused.output and "Traceback" not in refused.output
    assert _account(database, "jiaoyuju") is None


def test_user_add_is_audited_as_the_os_user(env: dict[str, str], database: SuiteDatabase) -> None:
    added = _add(env, "county", "commander", COUNTY[:6], "--unmask", "--reason", GROUNDS)
    assert added.exit_code == 0, added.output
    account = _account(database, "county")
    assert account is not None and account[1]
    assert _user_audits(database, account[0]) == [
        ("user.add", CLERK, {"role": "commander", "scope": COUNTY, "can_unmask": True})
    ]


def test_the_right_is_granted_and_revoked_audited(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    assert _add(env, "town", "dispatcher", township()[:9]).exit_code == 0
    account = _account(database, "town")
    assert account is not None and not account[1]
    assert "可看明文" not in _state_of(_run(env, "user", "list").output, "town")

    # the grounds are required, as the console's 授权依据 (trial AT, m2)
    bare = _run(env, "user", "grant-unmask", PREFIX + "town")
    assert bare.exit_code == 1, bare.output
    assert bare.output.startswith("错误：授予查看明文的权限须写明依据：请用 --reason 写明")
    hollow = _run(env, "user", "grant-unmask", PREFIX + "town", "--reason", "aaaa")
    assert hollow.exit_code == 1 and hollow.output.startswith("错误：授权依据不合要求：")
    assert _account(database, "town") == (account[0], False)
    grounds = "经综治中心负责人批准"
    granted = _run(env, "user", "grant-unmask", PREFIX + "town", "--reason", grounds)
    assert granted.exit_code == 0, granted.output
    assert granted.output.strip() == f"已授予账号 {PREFIX}town 查看个人信息明文的权限"
    assert _account(database, "town") == (account[0], True)
    assert "可看明文" in _state_of(_run(env, "user", "list").output, "town")
    again = _run(env, "user", "grant-unmask", PREFIX + "town", "--reason", grounds)
    assert again.exit_code == 0 and "已有查看个人信息明文的权限" in again.output
    with database.owner.connect() as conn:
        written = conn.scalar(
            text(
                "SELECT reason FROM audit_log WHERE object_type = 'user' AND object_id = :id"
                " AND action = 'user.unmask_granted'"
            ),
            {"id": str(account[0])},
        )
    assert written == grounds

    revoked = _run(env, "user", "revoke-unmask", PREFIX + "town")
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output.strip() == f"已收回账号 {PREFIX}town 查看个人信息明文的权限"
    assert _account(database, "town") == (account[0], False)
    assert "可看明文" not in _state_of(_run(env, "user", "list").output, "town")

    assert [(a, who) for a, who, _ in _user_audits(database, account[0])] == [
        ("user.add", CLERK),
        ("user.unmask_granted", CLERK),
        ("user.unmask_revoked", CLERK),
    ]
    missing = _run(env, "user", "revoke-unmask", PREFIX + "nobody")
    assert missing.exit_code == 1 and missing.output.strip() == f"错误：没有账号 {PREFIX}nobody"


def test_the_right_is_not_granted_to_a_department(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    assert _add(env, "zhujianju", "department", COUNTY[:6]).exit_code == 0
    refused = _run(env, "user", "grant-unmask", PREFIX + "zhujianju")
    assert refused.exit_code == 1
    assert refused.output.startswith("错误：部门处置人员不能") and MAY_HOLD in refused.output
    account = _account(database, "zhujianju")
    assert account is not None and not account[1]
    assert [a for a, _, _ in _user_audits(database, account[0])] == ["user.add"]


def test_a_flag_the_role_makes_void_is_not_listed_as_clear_and_can_be_removed(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    assert _add(env, "analyst2", "analyst", COUNTY[:6]).exit_code == 0
    with database.owner.begin() as conn:  # given before the rule existed
        conn.execute(
            text("UPDATE users SET can_unmask = true WHERE username = :u"),
            {"u": PREFIX + "analyst2"},
        )
    state = _state_of(_run(env, "user", "list").output, "analyst2")
    assert "可看明文" not in state and "明文权限无效" in state
    revoked = _run(env, "user", "revoke-unmask", PREFIX + "analyst2")
    assert revoked.exit_code == 0, revoked.output
    account = _account(database, "analyst2")
    assert account is not None and not account[1]
    assert "明文权限无效" not in _state_of(_run(env, "user", "list").output, "analyst2")


def test_user_add_refuses_the_right_above_county_level_naming_the_levels(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    refused = _add(env, "province", "commander", PROVINCE[:2], "--unmask")
    assert refused.exit_code == 1, refused.output
    assert refused.output.startswith("错误：省级账号不能查看个人信息明文")
    assert MAY_HOLD_LEVELS in refused.output and "Traceback" not in refused.output
    assert _account(database, "province") is None


def test_grant_unmask_refuses_a_city_commander_and_a_void_flag_is_listed_as_void(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    assert _add(env, "city", "commander", CITY[:4]).exit_code == 0
    refused = _run(env, "user", "grant-unmask", PREFIX + "city")
    assert refused.exit_code == 1, refused.output
    assert refused.output.startswith("错误：市级账号不能查看个人信息明文")
    assert MAY_HOLD_LEVELS in refused.output
    account = _account(database, "city")
    assert account is not None and not account[1]
    assert [a for a, _, _ in _user_audits(database, account[0])] == ["user.add"]
    with database.owner.begin() as conn:  # given before the rule existed
        conn.execute(
            text("UPDATE users SET can_unmask = true WHERE username = :u"), {"u": PREFIX + "city"}
        )
    state = _state_of(_run(env, "user", "list").output, "city")
    assert "可看明文" not in state and "明文权限无效" in state
