"""imports notify once: case events written by an import send no live notice of their own

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

An import of 5,000 work orders used to NOTIFY once per case, and every open console then read
each case back. The import now sets ``zongzhi.live_quiet`` for its transaction and announces
itself once when it finishes (:func:`layers.live.announce_import`); the trigger of migration
0003 is recreated with a ``WHEN`` that skips its function call while that setting is on.
Consoles count an import's new cases in their scope by ``cases.import_id``, now indexed.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

QUIET_SETTING = "zongzhi.live_quiet"
"""The transaction-local setting an import turns ``on`` (:func:`layers.live.quiet_case_events`)."""


def upgrade() -> None:
    op.create_index(op.f("ix_cases_import_id"), "cases", ["import_id"], unique=False)
    op.execute("DROP TRIGGER notify_live ON case_events")
    op.execute(
        "CREATE TRIGGER notify_live AFTER INSERT ON case_events FOR EACH ROW "
        f"WHEN (current_setting('{QUIET_SETTING}', true) IS DISTINCT FROM 'on') "
        "EXECUTE FUNCTION zongzhi_notify_case_event()"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_import_id"), table_name="cases")
    op.execute("DROP TRIGGER notify_live ON case_events")
    op.execute(
        "CREATE TRIGGER notify_live AFTER INSERT ON case_events "
        "FOR EACH ROW EXECUTE FUNCTION zongzhi_notify_case_event()"
    )
