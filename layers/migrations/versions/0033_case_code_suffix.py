"""case codes by their last digits: an index of the reversed code

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06

An operator finds a case again by the last digits of its number (``4241`` for
``530424-20261204-00004241``, trial AK M1). The code's own index answers a prefix; this one,
on the reversed code in the C collation, answers a suffix as a range (``reverse(code)`` from
``1424`` up to ``1425``), so the search stays one index probe in a county's 100 000 cases.
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('CREATE INDEX ix_cases_code_reversed ON cases ((reverse(code) COLLATE "C"))')


def downgrade() -> None:
    op.execute("DROP INDEX ix_cases_code_reversed")
