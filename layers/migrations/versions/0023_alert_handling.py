"""alert handling: an alert is signed for and closed with what was done, and a run refreshes it

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04

Every hot-spot run raised a new alert for each new, intensifying or persistent hot spot, so a
nightly run stacked one more alert a night on a persistent one, and nobody could sign for or
close any (``layers.alerts``). ``unit_id`` is the analysis cell the alert is about (an H3 index):
a later run refreshes the unclosed alert of the same cell instead of raising another, and says
when (``refreshed_at``). ``closed_by``, ``closed_at`` and ``close_note`` record who closed it,
when and what was done (处置情况). Existing alerts take ``unit_id`` from their cell, and of the
unclosed alerts a nightly run stacked on one cell the newest stays: the older ones are closed,
their note naming it.

Consoles hear of an alert raised, refreshed, signed for or closed as they hear of case events:
``NOTIFY zongzhi_live`` with kind ``alert`` (:mod:`layers.live`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("unit_id", sa.String(length=32), nullable=True))
    op.add_column("alerts", sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("alerts", sa.Column("closed_by", sa.BigInteger(), nullable=True))
    op.add_column("alerts", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("alerts", sa.Column("close_note", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_alerts_closed_by_users"), "alerts", "users", ["closed_by"], ["id"]
    )
    op.execute(
        "UPDATE alerts AS a SET unit_id = c.unit_id FROM hotspot_cells AS c WHERE c.id = a.cell_id"
    )
    op.execute(
        "UPDATE alerts AS a SET state = 'closed', closed_at = now(),"
        " close_note = '同一热点有较新的预警（编号 ' || n.newest || '），本条合并关闭'"
        " FROM (SELECT unit_id, max(id) AS newest FROM alerts"
        " WHERE state <> 'closed' AND unit_id IS NOT NULL GROUP BY unit_id) AS n"
        " WHERE a.unit_id = n.unit_id AND a.state <> 'closed' AND a.id < n.newest"
    )
    op.execute("""
        CREATE FUNCTION zongzhi_notify_alert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('zongzhi_live', json_build_object(
                'kind', 'alert', 'id', NEW.id, 'area_code', NEW.area_code)::text);
            RETURN NULL;
        END $$""")
    op.execute(
        "CREATE TRIGGER notify_live AFTER INSERT OR UPDATE OF state, refreshed_at ON alerts"
        " FOR EACH ROW EXECUTE FUNCTION zongzhi_notify_alert()"
    )
    op.create_index(
        "ix_alerts_unclosed_unit_id",
        "alerts",
        ["unit_id"],
        postgresql_where=sa.text("state <> 'closed'"),
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER notify_live ON alerts")
    op.execute("DROP FUNCTION zongzhi_notify_alert()")
    op.drop_index("ix_alerts_unclosed_unit_id", table_name="alerts")
    op.drop_constraint(op.f("fk_alerts_closed_by_users"), "alerts", type_="foreignkey")
    for column in ("close_note", "closed_at", "closed_by", "refreshed_at", "unit_id"):
        op.drop_column("alerts", column)
