"""cameras listed by: the import whose file last listed a camera, so a part of a list spares it

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

Trial V: a county's camera export refused for mixed CRS was split by source into two files
(30 and 60 of 90 cameras), each imported with ``--complete``. The 60-camera part retired the
30 cameras the other part had listed minutes before: a third of the area's, under the
half-an-area guard. ``listed_by`` is the import (``import_runs.id``) whose file last listed the
camera (a row rejected with ``--partial`` lists its camera too); a ``--complete`` list does not
retire, without ``--again``, a camera that another import of the same day listed
(:mod:`layers.camera_retirement`). The cameras on record keep NULL: no import is known to have
listed them. Row-level security is unchanged (policy ``scope`` of 0002).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("video_points", sa.Column("listed_by", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_video_points_listed_by_import_runs"),
        "video_points",
        "import_runs",
        ["listed_by"],
        ["id"],
    )
    op.create_index(op.f("ix_video_points_listed_by"), "video_points", ["listed_by"])


def downgrade() -> None:
    op.drop_index(op.f("ix_video_points_listed_by"), table_name="video_points")
    op.drop_constraint(
        op.f("fk_video_points_listed_by_import_runs"), "video_points", type_="foreignkey"
    )
    op.drop_column("video_points", "listed_by")
