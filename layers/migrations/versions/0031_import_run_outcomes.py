"""import runs: what each wrote (new, updated, unchanged, ended) and why one wrote nothing

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05

A county supervisor follows every import of the jurisdiction in the console (督导); the ones
run by ``zongzhi import`` on the server showed only 「导入 N 行」, and one refused whole (rows
rejected, or a file or option unusable) left no record at all: its transaction rolled back the
run with the rows (trial AL M7). A run now records its rows inserted, updated, unchanged and
ended (NULL for runs before this migration), and a refused import leaves a run of its own,
written after the rollback, with status ``rejected`` or ``refused`` and ``refusal``, why in
one line.
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

COUNTS = ("rows_inserted", "rows_updated", "rows_unchanged", "rows_ended")


def upgrade() -> None:
    for name in COUNTS:
        op.add_column("import_runs", sa.Column(name, sa.Integer(), nullable=True))
    op.add_column("import_runs", sa.Column("refusal", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("import_runs", "refusal")
    for name in reversed(COUNTS):
        op.drop_column("import_runs", name)
