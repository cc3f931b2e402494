"""erased persons: what the audit log keeps of a record erased after its person left the register

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

``zongzhi persons erase`` deletes the records of persons who left the register before a day
(the centre's retention period over: 个人信息保护法 第四十七条), with their visits and
responsible workers. The audit entries about such a record stay, and must stay answerable: the
auditor sees whose record an entry is about (masked), and a citizen asking who read their record
is found by the keyed hash of their resident ID. This table keeps exactly that, nothing else.

Row-level security as for ``persons`` (a scope's auditor sees the erased records of that scope).
The app role may only read it: erasing is a command run on the server, as the owner.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"
CATEGORIES = ("released", "correction", "mental", "drug", "aids_risk", "youth")


def upgrade() -> None:
    op.create_table(
        "erased_persons",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("name_masked", sa.String(length=50), nullable=False),
        sa.Column("id_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("area_code", sa.CHAR(length=12, collation="C"), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column(
            "erased_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "category IN (" + ", ".join(f"'{c}'" for c in CATEGORIES) + ")",
            name=op.f("ck_erased_persons_category_code"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_persons")),
    )
    op.create_index(op.f("ix_erased_persons_id_hash"), "erased_persons", ["id_hash"])
    op.create_index(op.f("ix_erased_persons_area_code"), "erased_persons", ["area_code"])
    op.execute("ALTER TABLE erased_persons ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE erased_persons FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY scope ON erased_persons USING (zongzhi_in_scope(area_code))"
        " WITH CHECK (zongzhi_in_scope(area_code))"
    )
    op.execute(f"GRANT SELECT ON erased_persons TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_table("erased_persons")
