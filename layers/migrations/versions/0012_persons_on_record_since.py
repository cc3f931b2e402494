"""persons on record since: a person never visited is overdue counting from that day

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

A roster imported today, of people followed on paper for years, made every one of them 走访逾期
at once: a person never visited counted as overdue from the beginning of time. ``on_record_since``
is the day a person was put on record (the import's day; today by default); the follow-up
counts start there. Persons already on record take the day of the import that brought them,
else stay NULL: unknown, counted as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("persons", sa.Column("on_record_since", sa.Date(), nullable=True))
    op.execute(
        "UPDATE persons AS p SET on_record_since = CAST(r.started_at AT TIME ZONE 'Asia/Shanghai'"
        " AS date) FROM import_runs AS r WHERE r.id = p.import_id"
    )
    op.alter_column(
        "persons",
        "on_record_since",
        server_default=sa.text("CAST(now() AT TIME ZONE 'Asia/Shanghai' AS date)"),
    )


def downgrade() -> None:
    op.drop_column("persons", "on_record_since")
