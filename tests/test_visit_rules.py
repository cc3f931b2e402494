"""The days between visits: defaults from the start, and a centre's own set from the command line.

Only the demo wrote ``visit_rules``: a centre set up without it had no interval, nobody was ever
走访逾期 and the 走访 list could not say when a visit falls due. Migration 0026 writes the
defaults (:data:`layers.visits_due.DEFAULT_RULES`), keeping a rule already set;
``zongzhi persons visit-rules`` lists them and ``visit-rule CATEGORY LEVEL DAYS`` sets one,
audited.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from layers import migrate
from layers.cli import app
from layers.cli_session import os_user
from layers.database import make_engine
from layers.visits_due import DEFAULT_RULES
from tests.conftest import SuiteDatabase, separate_database

MIGRATION = (
    Path(migrate.__file__).parent / "migrations" / "versions" / "0026_default_visit_rules.py"
)


def test_the_migration_writes_the_default_rules_a_fresh_centre_counts_by(
    database: SuiteDatabase,
) -> None:
    spec = importlib.util.spec_from_file_location("m0026", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert {(c, level): days for c, level, days in module.RULES} == DEFAULT_RULES
    urls = separate_database(database, "zongzhi_rules")
    engine = make_engine(urls.owner, pool_size=1)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT category, management_level, interval_days FROM visit_rules")
            ).all()
    finally:
        engine.dispose()
    assert {(r[0], r[1]): r[2] for r in rows} == DEFAULT_RULES


@pytest.fixture
def env(database: SuiteDatabase, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a command run against the suite's database; the rule put back."""
    with database.owner.connect() as conn:
        kept = conn.scalar(
            text(
                "SELECT interval_days FROM visit_rules"
                " WHERE category = 'youth' AND management_level = 2"
            )
        )
    yield {
        "ZONGZHI_HOME": str(tmp_path / "home"),
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_APP_DATABASE_URL": database.urls.app,
        "COLUMNS": "120",
    }
    with database.owner.begin() as conn:
        conn.execute(
            text(
                "UPDATE visit_rules SET interval_days = :d"
                " WHERE category = 'youth' AND management_level = 2"
            ),
            {"d": kept},
        )


def test_a_centre_sets_its_own_interval_from_the_command_line(
    env: dict[str, str], database: SuiteDatabase
) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["persons", "visit-rules"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "重点青少年（youth）" in listed.output and "1 重点管控" in listed.output

    done = runner.invoke(app, ["persons", "visit-rule", "重点青少年", "2", "21"], env=env)
    assert done.exit_code == 0, done.output
    assert "已设定：重点青少年、管控级别 2，每 21 天至少走访一次" in done.output
    with database.owner.connect() as conn:
        days = conn.scalar(
            text(
                "SELECT interval_days FROM visit_rules"
                " WHERE category = 'youth' AND management_level = 2"
            )
        )
        entry = conn.execute(
            text(
                "SELECT actor_name, object_type, object_id, detail FROM audit_log"
                " WHERE action = 'visit_rule.set' ORDER BY id DESC LIMIT 1"
            )
        ).one()
    assert days == 21
    assert tuple(entry[:3]) == (os_user(), "visit_rule", "youth/2")
    assert entry.detail["after"] == 21

    for args, says in (
        (["youth", "4", "30"], "管控级别应为 1"),
        (["youth", "1", "0"], "走访间隔应为 1 到 366 天"),
        (["青年", "1", "30"], "人员类别无效"),
    ):
        refused = runner.invoke(app, ["persons", "visit-rule", *args], env=env)
        assert refused.exit_code != 0 and says in refused.output, refused.output
