"""partial indexes of the departments named: dispatches to one, and 吹哨 events

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04

The dispatch and 吹哨 forms suggest the departments a unit's area already named
(:func:`layers.dispatch.departments_named`). Through the ``area_code`` indexes that read every
dispatch and every event of the area; the partial indexes hold only the dispatches to a
department and the 吹哨 (``summon``) events, by unit.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_dispatches_departments",
        "dispatches",
        ["area_code"],
        postgresql_where="department IS NOT NULL",
    )
    op.create_index(
        "ix_case_events_summons",
        "case_events",
        ["area_code"],
        postgresql_where="action = 'summon'",
    )


def downgrade() -> None:
    op.drop_index("ix_case_events_summons", table_name="case_events")
    op.drop_index("ix_dispatches_departments", table_name="dispatches")
