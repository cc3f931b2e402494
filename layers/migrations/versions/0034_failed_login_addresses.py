"""the address throttle of failed logins kept in the database

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06

Failed logins per client address (the throttle of one address failing under many names) were
counted in the server's memory: a restart lifted every throttle, and no administrator could see
or lift one. ``failed_login_addresses`` keeps the latest failure of each name (a keyed hash of
it, as ``unknown_login_names``) from each address. No row-level security (as ``users``); the
app role counts, lists and lifts.
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"


def upgrade() -> None:
    op.create_table(
        "failed_login_addresses",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("name_digest", sa.LargeBinary(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", "name_digest", name=op.f("pk_failed_login_addresses")),
    )
    op.create_index(
        op.f("ix_failed_login_addresses_failed_at"), "failed_login_addresses", ["failed_at"]
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON failed_login_addresses TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_index(op.f("ix_failed_login_addresses_failed_at"), table_name="failed_login_addresses")
    op.drop_table("failed_login_addresses")
