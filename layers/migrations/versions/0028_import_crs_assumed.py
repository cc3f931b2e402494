"""import runs: whether the source CRS was assumed (no --crs given, none the file confirmed)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05

A roster without a word of its CRS is read as CGCS2000 when its points cannot tell (trial AD:
GCJ-02 points, 170 m off). The clerk who then fixes the file and gives ``--crs gcj02`` was
refused: the records on file agreed with the old reading, and only the same file's re-import
counted as a correction. A run now says whether its CRS was assumed; records placed by runs
that assumed the CRS a later ``--crs`` contradicts are corrected by it
(:func:`layers.point_moves.assumed_crs`). Runs before this migration count as given.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "import_runs",
        sa.Column("crs_assumed", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("import_runs", "crs_assumed")
