"""change notices: NOTIFY zongzhi_changes with the table's name after every write to a layer

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

One statement-level trigger per table that a published collection reads (see
``layers.catalog.Collection.tables``): a statement that inserts, updates, deletes or truncates
sends ``NOTIFY zongzhi_changes, '<table>'``. PostgreSQL delivers it when the transaction
commits, drops it on rollback and sends one notice per table per transaction however many
statements wrote to it, so a bulk load costs one notice. :mod:`layers.changes` counts them to
know when a cached tile or count may no longer hold.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = (
    "jurisdictions",
    "grids",
    "cases",
    "video_points",
    "workers",
    "persons",
    "hotspot_runs",
    "hotspot_cells",
)


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION zongzhi_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('zongzhi_changes', TG_TABLE_NAME);
            RETURN NULL;
        END $$""")
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION zongzhi_notify_change()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER notify_change ON {table}")
    op.execute("DROP FUNCTION zongzhi_notify_change()")
