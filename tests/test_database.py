"""The migrated schema: it matches the models, stores CGCS2000, and walls rows by scope."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from geo.codes import scope_range
from layers import migrate
from layers.database import (
    _ACCOUNT_IN_SCOPE,
    SESSION_SETTINGS,
    apply_scope,
    connection_options,
    read_account_and_scope,
)
from layers.model import Base, Jurisdiction
from tests.conftest import SuiteDatabase


def test_models_and_migrated_schema_agree(database: SuiteDatabase) -> None:
    assert migrate.schema_drift(database.owner) == []
    assert migrate.current_revision(database.owner) is not None


def test_every_geometry_column_is_cgcs2000(db: Session) -> None:
    rows = db.execute(
        text(
            "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns "
            "WHERE f_table_schema = 'public'"
        )
    ).all()
    model_columns = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.type.__class__.__name__ == "Geometry"
    }
    assert {(t, c) for t, c, _ in rows} == model_columns
    assert len(model_columns) >= 9
    assert {srid for _, _, srid in rows} == {4490}


def test_spatial_indexes_exist_including_partial_dispatchable(db: Session) -> None:
    indexes = dict(
        db.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        ).all()
    )
    gist = [name for name, ddl in indexes.items() if "USING gist" in ddl]
    assert len(gist) >= 9
    partial = indexes["ix_workers_dispatchable_position"]
    assert "USING gist" in partial and "WHERE" in partial and "on_duty" in partial


def test_area_code_range_query_uses_an_index(db: Session) -> None:
    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        db.execute(
            text("EXPLAIN SELECT id FROM cases WHERE area_code >= :lo AND area_code < :hi"),
            {"lo": "530424", "hi": "530425"},
        ).scalars()
    )
    assert "ix_cases_area_code_state" in plan


def _add_units(session: Session) -> None:
    session.add_all(
        [
            Jurisdiction(code="530000000000", name="云南省", level=1),
            Jurisdiction(code="530400000000", name="玉溪市", level=2, parent_code="530000000000"),
            Jurisdiction(code="530424000000", name="华宁县", level=3, parent_code="530400000000"),
            Jurisdiction(code="530402000000", name="红塔区", level=3, parent_code="530400000000"),
        ]
    )
    session.flush()


def test_row_level_security_hides_rows_outside_the_scope(db: Session, app_db: Session) -> None:
    _add_units(db)
    db.execute(
        text(
            "INSERT INTO video_points (device_id, name, fov_deg, range_m, status, point, area_code)"
            " VALUES ('53042400001320000001', 'A', 60, 80, 'online',"
            " ST_SetSRID(ST_MakePoint(102.9, 24.2), 4490), '530424000000'),"
            " ('53040200001320000002', 'B', 60, 80, 'online',"
            " ST_SetSRID(ST_MakePoint(102.5, 24.3), 4490), '530402000000')"
        )
    )
    db.flush()
    # Act as the app role inside the test's transaction (it sees the uncommitted rows).
    # The app role owns no table and RLS is forced: with no scope set, nothing is visible.
    db.execute(text("SET LOCAL ROLE zongzhi_app"))
    db.execute(text("RESET zongzhi.scope_lo"))
    db.execute(text("RESET zongzhi.scope_hi"))
    assert db.execute(text("SELECT count(*) FROM video_points")).scalar() == 0
    apply_scope(db, "530424000000")
    names = db.execute(text("SELECT name FROM video_points")).scalars().all()
    assert names == ["A"]
    units = set(db.execute(text("SELECT name FROM jurisdictions")).scalars())
    assert units == {"云南省", "玉溪市", "华宁县"}  # its ancestors for breadcrumbs, not 红塔区
    with pytest.raises(DBAPIError, match="row-level security"):
        with db.begin_nested():
            db.execute(
                text(
                    "INSERT INTO video_points (device_id, name, fov_deg, range_m, status, point,"
                    " area_code) VALUES ('53040200001320000003', 'C', 60, 80, 'online',"
                    " ST_SetSRID(ST_MakePoint(102.5, 24.3), 4490), '530402000000')"
                )
            )
    assert app_db.execute(text("SELECT current_user")).scalar() == "zongzhi_app"


def test_case_event_log_is_append_only(db: Session) -> None:
    _add_units(db)
    db.execute(
        text(
            "INSERT INTO cases (code, channel, category, title, risk_level, area_code, state,"
            " handling_level, reported_at) VALUES ('C1', 'walk_in', 'dispute', '邻里纠纷', 3,"
            " '530424000000', 'registered', 4, now())"
        )
    )
    db.execute(
        text(
            "INSERT INTO case_events (case_id, area_code, actor_name, action, to_state)"
            " SELECT id, area_code, '测试', 'register', 'registered' FROM cases WHERE code = 'C1'"
        )
    )
    with pytest.raises(DBAPIError, match="append-only"):
        with db.begin_nested():
            db.execute(text("UPDATE case_events SET note = 'changed'"))
    with pytest.raises(DBAPIError, match="append-only"):
        with db.begin_nested():
            db.execute(text("DELETE FROM case_events"))


@pytest.mark.parametrize(
    "code",
    [
        "530000000000",
        "539900000000",
        "530424000000",
        "530429000000",
        "530424109000",
        "530424109209",
        "539999999999",
    ],
)
def test_account_statement_sets_the_scope_python_defines(db: Session, code: str) -> None:
    """The SQL that reads an account and sets its scope agrees with geo.codes.scope_range."""
    db.execute(
        text("INSERT INTO jurisdictions (code, name, level) VALUES (:c, '测试', 1)"), {"c": code}
    )
    user_id = db.execute(
        text(
            "INSERT INTO users (username, display_name, password_hash, role, scope_code)"
            " VALUES ('scope_probe', '测试', 'x', 'commander', :c) RETURNING id"
        ),
        {"c": code},
    ).scalar_one()
    row = db.execute(_ACCOUNT_IN_SCOPE, {"user_id": user_id}).one()
    assert (row.scope_lo, row.scope_hi) == scope_range(code)
    account = read_account_and_scope(db, user_id)
    assert account is not None and account.scope_code == code and account.active
    settings = db.execute(
        text("SELECT current_setting('zongzhi.scope_lo'), current_setting('zongzhi.scope_hi')")
    ).one()
    assert tuple(settings) == scope_range(code)
    assert read_account_and_scope(db, user_id + 1_000_000) is None


def test_connections_start_with_the_session_settings(database: SuiteDatabase) -> None:
    with database.app.connect() as conn:
        for name, value in SESSION_SETTINGS.items():
            assert conn.execute(text(f"SHOW {name}")).scalar() == value
    assert connection_options("postgresql+psycopg://h/db?options=-c%20jit%3Don").endswith(
        "-c jit=on"
    )
