"""``zongzhi user add --unmask`` states its grounds, as ``grant-unmask`` does (trial AV M4).

An account created with the unmask right reads clear names and resident IDs at once: the
command asks the same 授权依据 as ``grant-unmask`` and the console (``--reason``), checks it
with the same rules (:func:`layers.audit.check_reason`) and writes it to the ``user.add`` audit
entry. Without it, or with a hollow one, the account is not created and the refusal points to
``--reason``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from layers.cli import app
from tests.conftest import SuiteDatabase
from tests.workflow_data import COUNTY, world_for_commands

PASSWORD = "Zz-Add-Unmask-2026!"
PREFIX = "aur_"
CLERK = "wang.li"
GROUNDS = "县综治中心主任批准，负责重点人员研判"


@pytest.fixture(scope="module")
def env(
    database: SuiteDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The environment of a command run by the OS user :data:`CLERK`, with the test world."""
    home: Path = tmp_path_factory.mktemp("aur-home")
    with world_for_commands(database, home, COLUMNS="100", LOGNAME=CLERK, USER=CLERK) as env:
        yield env


def _add(env: dict[str, str], name: str, *more: str) -> Result:
    args = ["user", "add", PREFIX + name, "--role", "commander", "--scope", COUNTY[:6]]
    return CliRunner().invoke(
        app, [*args, "--password-stdin", *more], input=PASSWORD + "\n", env=env
    )


def _added(database: SuiteDatabase, name: str) -> tuple[bool, str | None, object] | None:
    """Return the account's unmask flag and its ``user.add`` audit entry's reason and detail."""
    with database.owner.connect() as conn:
        row = conn.execute(
            text(
                "SELECT u.can_unmask, a.reason, a.detail FROM users u"
                " LEFT JOIN audit_log a ON a.object_type = 'user'"
                " AND a.object_id = u.id::text AND a.action = 'user.add'"
                " WHERE u.username = :u"
            ),
            {"u": PREFIX + name},
        ).one_or_none()
    return (row.can_unmask, row.reason, row.detail) if row is not None else None


def test_unmask_without_a_reason_is_refused_pointing_to_it(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    refused = _add(env, "bare", "--unmask")
    assert refused.exit_code == 1, refused.output
    assert refused.output.startswith("错误：授予查看明文的权限须写明依据：请用 --reason 写明")
    assert "Traceback" not in refused.output
    assert _added(database, "bare") is None


def test_a_hollow_reason_is_refused_as_grant_unmask_refuses_it(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    for hollow, name in (("aaaa", "hollow"), ("负责人电话13912345678核准", "phone")):
        refused = _add(env, name, "--unmask", "--reason", hollow)
        assert refused.exit_code == 1, refused.output
        assert refused.output.startswith("错误：授权依据不合要求："), refused.output
        assert "13912345678" not in refused.output
        assert _added(database, name) is None


def test_the_reason_is_written_to_the_user_add_audit_entry(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    added = _add(env, "granted", "--unmask", "--reason", f"  {GROUNDS} ")
    assert added.exit_code == 0, added.output
    assert _added(database, "granted") == (
        True,
        GROUNDS,
        {"role": "commander", "scope": COUNTY, "can_unmask": True},
    )


def test_a_reason_without_unmask_is_refused_not_recorded_for_nothing(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    refused = _add(env, "plain", "--reason", GROUNDS)
    assert refused.exit_code == 1, refused.output
    assert "--reason" in refused.output and "--unmask" in refused.output
    assert _added(database, "plain") is None
    plain = _add(env, "plain")
    assert plain.exit_code == 0, plain.output
    assert _added(database, "plain") == (
        False,
        None,
        {"role": "commander", "scope": COUNTY, "can_unmask": False},
    )
