"""import job results: what the child of a console import did, in its own words

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

Trial U: a console import cancelled, or stopped by a restart, after its transaction had
committed was said to have written nothing (F9), and the job list could not tell a file refused
whole from one partly loaded (F1). ``zongzhi import --summary-json`` now writes what it did
(status, whether it committed, the import's ``import_runs.id``, row counts, the reject report)
right after the import's transaction ends and again at its end; the runner stores it in
``result`` (live, while the child runs, and at the end) and the job tells its outcome from it.
NULL for the jobs of earlier releases and for a command refused before it read a file.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "import_jobs",
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("import_jobs", "result")
