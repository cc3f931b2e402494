"""audit by object: who read person 4539 is one index probe, not a scan of the whole log

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

The auditor filters the audit log by the object an entry is about (``GET /api/audit?
object_type=person&object_id=4539``), and every read of the special-population layer is now an
entry (``layer.read``), so the log grows with each pan of a commander's map. An index on
``(object_type, object_id)`` keeps that question quick however long the log; the log stays
append-only (its triggers are unchanged).
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_audit_log_object_type_object_id"), "audit_log", ["object_type", "object_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_object_type_object_id"), table_name="audit_log")
