"""photos of a special-population visit (走访)

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06

A 走访 of a 刑满释放 or 社区矫正 person is documented with a photo in a grid worker's app
(trial AO M8). ``visit_photos`` keeps each as the server re-encoded it (JPEG at most 1600 px,
no EXIF) with a thumbnail, linked to the visit (``person_visits``) and its person, in the visit's
unit. A photo shows the person: it is their personal data. Row-level security as
``person_visits`` (read and written in the unit's scope); who in the scope sees the photo is
:mod:`layers.visit_photos`' rule (the worker who took it; else an audited unmasked read). The
app role reads and adds; a photo goes with its visit and its person (``ON DELETE CASCADE``:
an erased person's photos go with them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"


def upgrade() -> None:
    op.create_table(
        "visit_photos",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("visit_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
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
            ["visit_id"],
            ["person_visits.id"],
            name=op.f("fk_visit_photos_visit_id_person_visits"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_visit_photos_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_visit_photos_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_photos")),
    )
    op.create_index(op.f("ix_visit_photos_area_code"), "visit_photos", ["area_code"])
    op.create_index(op.f("ix_visit_photos_visit_id"), "visit_photos", ["visit_id"])
    op.create_index(op.f("ix_visit_photos_person_id"), "visit_photos", ["person_id"])
    op.execute(f"GRANT SELECT, INSERT ON visit_photos TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON SEQUENCE visit_photos_id_seq TO {APP_ROLE}")
    op.execute("ALTER TABLE visit_photos ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE visit_photos FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY scope ON visit_photos USING (zongzhi_in_scope(area_code))"
        " WITH CHECK (zongzhi_in_scope(area_code))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY scope ON visit_photos")
    op.drop_index(op.f("ix_visit_photos_person_id"), table_name="visit_photos")
    op.drop_index(op.f("ix_visit_photos_visit_id"), table_name="visit_photos")
    op.drop_index(op.f("ix_visit_photos_area_code"), table_name="visit_photos")
    op.drop_table("visit_photos")
