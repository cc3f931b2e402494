"""who left: grid workers who left the job, special-population records that left the register

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

A monthly roster says who has left: a grid worker marked 离职 must never be dispatched again,
and a 社区矫正 record whose supervision ended (解除矫正), a person who died or moved away, leaves
the map and the follow-up counts while its visits stay on record. Workers get a fourth status,
``left`` (已离职); persons get ``ended_on`` and ``ended_reason``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _worker_statuses(codes: str) -> None:
    op.drop_constraint(op.f("ck_workers_status_code"), "workers", type_="check")
    op.create_check_constraint(op.f("ck_workers_status_code"), "workers", f"status IN ({codes})")


def upgrade() -> None:
    _worker_statuses("'on_duty', 'off_duty', 'busy', 'left'")
    op.add_column("persons", sa.Column("ended_on", sa.Date(), nullable=True))
    op.add_column("persons", sa.Column("ended_reason", sa.String(length=50), nullable=True))


def downgrade() -> None:
    op.drop_column("persons", "ended_reason")
    op.drop_column("persons", "ended_on")
    op.execute("UPDATE workers SET status = 'off_duty' WHERE status = 'left'")
    _worker_statuses("'on_duty', 'off_duty', 'busy'")
