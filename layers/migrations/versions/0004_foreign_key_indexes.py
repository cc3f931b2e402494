"""indexes on foreign-key columns (deleting a county's rows, joins from workers)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXED = (
    ("dispatches", "case_id"),
    ("dispatches", "worker_id"),
    ("dispatches", "unit_code"),
    ("person_visits", "visitor_id"),
    ("person_responsibles", "worker_id"),
    ("persons", "grid_code"),
    ("grids", "leader_id"),
    ("users", "worker_id"),
)


def upgrade() -> None:
    for table, column in INDEXED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    for table, column in INDEXED:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
