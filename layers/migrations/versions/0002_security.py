"""row-level security by jurisdiction, append-only logs, grants to the app role

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"

# Tables whose rows belong to one jurisdiction through their area_code column.
SCOPED = (
    "grids", "workers", "worker_positions", "cases", "case_events", "dispatches",
    "video_points", "persons", "person_responsibles", "person_visits", "hotspot_runs",
    "hotspot_cells", "alerts",
)
APPEND_ONLY = ("case_events", "audit_log")


def upgrade() -> None:
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
        END $$""")
    # The scope of the current transaction is the half-open code range [lo, hi), set with
    # SET LOCAL zongzhi.scope_lo / zongzhi.scope_hi. Unset means: nothing is visible.
    op.execute("""
        CREATE FUNCTION zongzhi_in_scope(code bpchar) RETURNS boolean
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT code >= current_setting('zongzhi.scope_lo', true)::bpchar COLLATE "C"
               AND code <  current_setting('zongzhi.scope_hi', true)::bpchar COLLATE "C"
        $$""")
    # A jurisdiction is visible inside the scope, and so are the ancestors of the scope
    # (breadcrumbs): their code's significant prefix starts the scope's lower bound.
    op.execute("""
        CREATE FUNCTION zongzhi_is_scope_ancestor(code bpchar) RETURNS boolean
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT starts_with(current_setting('zongzhi.scope_lo', true),
                               rtrim(code::text, '0'))
               AND length(current_setting('zongzhi.scope_lo', true)) > 0
        $$""")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON jurisdictions FROM {APP_ROLE}")
    op.execute(f"REVOKE UPDATE, DELETE ON alembic_version FROM {APP_ROLE}")
    for table in SCOPED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY scope ON {table} USING (zongzhi_in_scope(area_code)) "
            "WITH CHECK (zongzhi_in_scope(area_code))"
        )
    op.execute("ALTER TABLE jurisdictions ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE jurisdictions FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY scope ON jurisdictions USING "
        "(zongzhi_in_scope(code) OR zongzhi_is_scope_ancestor(code))"
    )
    op.execute("""
        CREATE FUNCTION zongzhi_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""")
    for table in APPEND_ONLY:
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {APP_ROLE}")
        op.execute(
            f"CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION zongzhi_append_only()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER append_only ON {table}")
    op.execute("DROP FUNCTION zongzhi_append_only()")
    op.execute("DROP POLICY scope ON jurisdictions")
    op.execute("ALTER TABLE jurisdictions NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE jurisdictions DISABLE ROW LEVEL SECURITY")
    for table in SCOPED:
        op.execute(f"DROP POLICY scope ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION zongzhi_is_scope_ancestor(bpchar)")
    op.execute("DROP FUNCTION zongzhi_in_scope(bpchar)")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
