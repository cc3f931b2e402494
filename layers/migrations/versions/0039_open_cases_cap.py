"""a grid worker holds up to 3 open cases (在办 3 件), not one

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06

The unique index ``uq_dispatches_active_worker`` let a worker hold one active dispatch at a
time, so the worker on site at a landslide could not be sent the second report from the same
spot (trial AZ M3). It gives way to a plain partial index ``ix_dispatches_active_worker``, by
which :func:`layers.dispatch.assign` counts a worker's open dispatches under a lock of his row
and refuses a fourth (:data:`layers.dispatch.OPEN_CASES_CAP`); ``uq_dispatches_active_case``
still keeps one active dispatch per case. The ranking's KNN index
``ix_workers_dispatchable_position`` now also holds the busy workers (``status IN ('on_duty',
'busy')``), since one below the cap is still offered.

The downgrade restores the unique index and the on-duty-only KNN index. It works while every
worker holds at most one active dispatch; if one holds two or more, creating the unique index
fails with a unique violation on ``uq_dispatches_active_worker`` and, DDL being transactional,
the downgrade changes nothing: finish, return or recall (撤回派单) the extra dispatches first.
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('assigned', 'accepted', 'arrived') AND worker_id IS NOT NULL"


def upgrade() -> None:
    op.drop_index("uq_dispatches_active_worker", table_name="dispatches")
    op.create_index(
        "ix_dispatches_active_worker",
        "dispatches",
        ["worker_id"],
        postgresql_where=sa.text(ACTIVE),
    )
    op.drop_index("ix_workers_dispatchable_position", table_name="workers")
    op.create_index(
        "ix_workers_dispatchable_position",
        "workers",
        ["last_position"],
        postgresql_using="gist",
        postgresql_where=sa.text("status IN ('on_duty', 'busy')"),
    )


def downgrade() -> None:
    op.drop_index("ix_workers_dispatchable_position", table_name="workers")
    op.create_index(
        "ix_workers_dispatchable_position",
        "workers",
        ["last_position"],
        postgresql_using="gist",
        postgresql_where=sa.text("status = 'on_duty'"),
    )
    op.drop_index("ix_dispatches_active_worker", table_name="dispatches")
    op.create_index(
        "uq_dispatches_active_worker",
        "dispatches",
        ["worker_id"],
        unique=True,
        postgresql_where=sa.text(ACTIVE),
    )
