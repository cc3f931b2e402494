"""password history: an owner's new password is none of their last ones

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04

With passwords to be changed periodically (``ZONGZHI_PASSWORD_MAX_DAYS``), a user could change
theirs and change it straight back. ``users.previous_password_hashes`` keeps the argon2 hashes
of the passwords before the current one, the latest first, as many as the policy remembers
(``ZONGZHI_PASSWORD_HISTORY``, :class:`layers.accounts.PasswordPolicy`); existing accounts start
with none.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "previous_password_hashes",
            postgresql.ARRAY(sa.String(length=200)),
            server_default="{}",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("users", "previous_password_hashes")
