"""partial index of escalate events: the escalations KPI reads only them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The command feed counts the escalate (上报) events of a unit in a window. Through the
``area_code`` index it read every event of the unit (a city's whole log) and kept the few
escalations; the partial index holds the escalations only, by unit and time. Imports and the
daily workflow write other actions, which the index skips.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_case_events_escalations",
        "case_events",
        ["area_code", "at"],
        postgresql_where="action = 'escalate'",
    )


def downgrade() -> None:
    op.drop_index("ix_case_events_escalations", table_name="case_events")
