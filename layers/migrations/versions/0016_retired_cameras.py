"""retired cameras: a camera the platform's export no longer lists leaves the live map, on record

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

The 雪亮工程 platform's monthly export is the word on which cameras exist in an area, but an
import could only add or update cameras: a removed camera stayed on the live map as online for
ever, and a replaced one (same place and name, new 国标编码) showed twice. A camera is never
deleted (where it was and what it was called are the answer to a question about last month):
it is retired. ``retired_on`` says since when (NULL: in use), ``retired_by`` which import
retired it (``zongzhi import video … --within … --complete``, :mod:`layers.camera_retirement`).
A later export that lists the camera again puts it back in use (both NULL again). Row-level
security is unchanged: the camera's ``area_code`` still scopes the row (policy ``scope`` of 0002).
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("video_points", sa.Column("retired_on", sa.Date(), nullable=True))
    op.add_column("video_points", sa.Column("retired_by", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_video_points_retired_by_import_runs"),
        "video_points",
        "import_runs",
        ["retired_by"],
        ["id"],
    )
    op.create_index(op.f("ix_video_points_retired_by"), "video_points", ["retired_by"])
    op.create_check_constraint(
        op.f("ck_video_points_retired_by_retired"),
        "video_points",
        "retired_by IS NULL OR retired_on IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_video_points_retired_by_retired"), "video_points", type_="check")
    op.drop_index(op.f("ix_video_points_retired_by"), table_name="video_points")
    op.drop_constraint(
        op.f("fk_video_points_retired_by_import_runs"), "video_points", type_="foreignkey"
    )
    op.drop_column("video_points", "retired_by")
    op.drop_column("video_points", "retired_on")
