"""login failures: unknown names' counts kept, and the address a lock spares

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

A name no account has was counted and locked in the server's memory only (trial AI, M4): a
restart forgot it, while a real account's count and lock stayed, so after a restart the answers
told the two apart again. ``unknown_login_names`` keeps them as ``users`` keeps an account's,
under a keyed hash of the name (never the name: it may be a password typed in the wrong box).

Anyone could lock anyone's account by typing wrong passwords under its name. A lock now spares
the address of the account's last successful login (``users.login_address``) unless a failure
came from there too (``users.failed_at_login_address``): its owner at their usual desk still
logs in. No row-level security (as ``users``); the app role counts and purges.
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"


def upgrade() -> None:
    op.create_table(
        "unknown_login_names",
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("failures", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_unknown_login_names")),
    )
    op.create_index(
        op.f("ix_unknown_login_names_last_failed_at"), "unknown_login_names", ["last_failed_at"]
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON unknown_login_names TO {APP_ROLE}")
    op.add_column("users", sa.Column("login_address", sa.String(length=64), nullable=True))
    op.add_column(
        "users",
        sa.Column("failed_at_login_address", sa.Boolean(), server_default="false", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("users", "failed_at_login_address")
    op.drop_column("users", "login_address")
    op.drop_index(op.f("ix_unknown_login_names_last_failed_at"), table_name="unknown_login_names")
    op.drop_table("unknown_login_names")
