"""live updates: NOTIFY zongzhi_live on case events and worker changes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The payload is tiny (kind, id, area_code): listeners read the row themselves under their
    # own scope, so nothing confidential travels on the channel. NOTIFY is sent on commit.
    op.execute("""
        CREATE FUNCTION zongzhi_notify_case_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('zongzhi_live', json_build_object(
                'kind', 'case_event', 'id', NEW.id, 'area_code', NEW.area_code)::text);
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE FUNCTION zongzhi_notify_worker() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('zongzhi_live', json_build_object(
                'kind', 'worker', 'id', NEW.id, 'area_code', NEW.area_code)::text);
            RETURN NULL;
        END $$""")
    op.execute(
        "CREATE TRIGGER notify_live AFTER INSERT ON case_events "
        "FOR EACH ROW EXECUTE FUNCTION zongzhi_notify_case_event()"
    )
    op.execute(
        "CREATE TRIGGER notify_live AFTER UPDATE OF last_position, last_seen_at, status "
        "ON workers FOR EACH ROW "
        "WHEN (OLD.last_position IS DISTINCT FROM NEW.last_position "
        "      OR OLD.last_seen_at IS DISTINCT FROM NEW.last_seen_at "
        "      OR OLD.status IS DISTINCT FROM NEW.status) "
        "EXECUTE FUNCTION zongzhi_notify_worker()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER notify_live ON workers")
    op.execute("DROP TRIGGER notify_live ON case_events")
    op.execute("DROP FUNCTION zongzhi_notify_worker()")
    op.execute("DROP FUNCTION zongzhi_notify_case_event()")
