"""users must change password: a password an administrator set is changed by its owner first

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

``zongzhi user add`` and ``zongzhi user password`` set a password someone else knows; until
its owner changes it (``POST /api/me/password``, the console's 修改密码), the account may only
read who it is, change its password and log out. False for the accounts of earlier releases.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("users", "must_change_password")
