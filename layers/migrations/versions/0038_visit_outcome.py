"""what a special-population visit found (走访结果)

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06

A visit that did not find the person (人户分离, 失联) counted as a completed visit and cleared
the overdue (trial AW S2). ``person_visits.outcome`` says what the visit found: ``met``
(见到本人), ``contacted`` (电话/视频联系), ``absent`` (未见到本人（人户分离）) or ``missing``
(失联（去向不明）); only the first two restart the interval (:mod:`layers.visits_due`). Every
visit recorded before is ``met``, as it was counted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

OUTCOMES = ("met", "contacted", "absent", "missing")


def upgrade() -> None:
    op.add_column(
        "person_visits",
        sa.Column("outcome", sa.String(length=12), server_default="met", nullable=False),
    )
    codes = ", ".join(f"'{code}'" for code in OUTCOMES)
    op.create_check_constraint(
        op.f("ck_person_visits_outcome_code"), "person_visits", f"outcome IN ({codes})"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_person_visits_outcome_code"), "person_visits", type_="check")
    op.drop_column("person_visits", "outcome")
