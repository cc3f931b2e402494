"""photos of a case's events: the on-site evidence of 处置反馈 and 办结

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06

A grid worker proves what he did on site with photos (before and after, the signed mediation
agreement; trial AO M8). ``case_photos`` keeps each as the server re-encoded it (JPEG at most
1600 px, no EXIF) with a thumbnail, linked to the case event it documents. Row-level security
as ``case_events``: written in the case's unit, read wherever the case is readable (a moved
case keeps its photos). The app role reads and adds; a photo is evidence, never changed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"


def upgrade() -> None:
    op.create_table(
        "case_photos",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("area_code", sa.CHAR(length=12, collation="C"), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("uploaded_by", sa.BigInteger(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_photos_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["case_events.id"],
            name=op.f("fk_case_photos_event_id_case_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_case_photos_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_photos")),
    )
    op.create_index(op.f("ix_case_photos_area_code"), "case_photos", ["area_code"])
    op.create_index(op.f("ix_case_photos_case_id"), "case_photos", ["case_id"])
    op.create_index(op.f("ix_case_photos_event_id"), "case_photos", ["event_id"])
    op.execute(f"GRANT SELECT, INSERT ON case_photos TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON SEQUENCE case_photos_id_seq TO {APP_ROLE}")
    op.execute("ALTER TABLE case_photos ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE case_photos FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY scope ON case_photos USING (zongzhi_in_scope(area_code))"
        " WITH CHECK (zongzhi_in_scope(area_code))"
    )
    op.execute(
        "CREATE POLICY with_its_case ON case_photos FOR SELECT"
        " USING ((SELECT true FROM cases AS c WHERE c.id = case_photos.case_id))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY with_its_case ON case_photos")
    op.execute("DROP POLICY scope ON case_photos")
    op.drop_index(op.f("ix_case_photos_event_id"), table_name="case_photos")
    op.drop_index(op.f("ix_case_photos_case_id"), table_name="case_photos")
    op.drop_index(op.f("ix_case_photos_area_code"), table_name="case_photos")
    op.drop_table("case_photos")
