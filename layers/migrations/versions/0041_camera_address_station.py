"""a camera's 安装位置 and 所属派出所, kept from its list

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07

A camera list's 安装位置 and 所属组织 (the 派出所) were read only to check the township and then
dropped: the operator looking at a camera on the map could not tell where to find it nor which
派出所 to phone for its video (trial BB m1). ``video_points.install_address`` and
``video_points.police_station`` keep them as the last list that gave them wrote them (NULL: none
given). The downgrade drops both columns (the values with them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("video_points", sa.Column("install_address", sa.Text(), nullable=True))
    op.add_column("video_points", sa.Column("police_station", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("video_points", "police_station")
    op.drop_column("video_points", "install_address")
