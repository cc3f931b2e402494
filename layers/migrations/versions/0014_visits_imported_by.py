"""visits imported by: the import that recorded a visit, so that a corrected ledger corrects it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

A clerk who imports the month's 走访台账 with a wrong 走访人, then the corrected file, got two
visits of that person that day: the wrong worker was credited with one. A later import corrects
the visitor of a visit an earlier import recorded (``layers.visit_import``), never one recorded
otherwise (the worker app): ``import_id`` tells them apart. The visits already on record take
the import that inserted them, told by the transaction time an import stamps on both its run
(``import_runs.started_at``) and the rows it inserts (``created_at``); the others stay NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("person_visits", sa.Column("import_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_person_visits_import_id_import_runs"),
        "person_visits",
        "import_runs",
        ["import_id"],
        ["id"],
    )
    op.execute(
        "UPDATE person_visits AS v SET import_id = r.id FROM import_runs AS r"
        " WHERE r.kind = 'visits' AND r.started_at = v.created_at AND NOT EXISTS ("
        " SELECT 1 FROM import_runs AS o WHERE o.kind = 'visits'"
        " AND o.started_at = r.started_at AND o.id <> r.id)"
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_person_visits_import_id_import_runs"), "person_visits", type_="foreignkey"
    )
    op.drop_column("person_visits", "import_id")
