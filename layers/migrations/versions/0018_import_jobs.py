"""import jobs: files uploaded in the console, imported by ``zongzhi import`` one at a time

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

Township staff and command-centre clerks import from the console (数据导入) instead of the
server's shell. Each upload is a job: queued, run by the API's runner as ``zongzhi import`` in
a child process, ended (finished with the command's exit code and output, interrupted by a
restart, or cancelled). Jobs are rows so that they survive a restart. A job belongs to the
account that submitted it (the API shows it to that account only); ``scope_code`` is the
account's scope at submission, given to the command as ``--within``. No row-level security:
a job is no jurisdiction's data, and it holds no personal data (the upload lives on disk, in
``$ZONGZHI_HOME/imports/<id>/``, deleted after a real import or 24 hours after a dry run).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"
STATES = ("queued", "running", "finished", "interrupted", "cancelled")


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("scope_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.CHAR(length=64), nullable=False),
        sa.Column("file_bytes", sa.BigInteger(), nullable=False),
        sa.Column("options", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("upload_kept", sa.Boolean(), nullable=False),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follows_job_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")",
            name=op.f("ck_import_jobs_state_code"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["users.id"], name=op.f("fk_import_jobs_account_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["follows_job_id"],
            ["import_jobs.id"],
            name=op.f("fk_import_jobs_follows_job_id_import_jobs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index(
        "ix_import_jobs_account_id_submitted_at",
        "import_jobs",
        ["account_id", sa.text("submitted_at DESC")],
    )
    op.create_index(op.f("ix_import_jobs_follows_job_id"), "import_jobs", ["follows_job_id"])
    # the runner takes the oldest queued job: a small partial index, whatever the history
    op.create_index(
        "ix_import_jobs_queued",
        "import_jobs",
        ["submitted_at"],
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON import_jobs TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON SEQUENCE import_jobs_id_seq TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_index("ix_import_jobs_queued", table_name="import_jobs")
    op.drop_index(op.f("ix_import_jobs_follows_job_id"), table_name="import_jobs")
    op.drop_index("ix_import_jobs_account_id_submitted_at", table_name="import_jobs")
    op.drop_table("import_jobs")
