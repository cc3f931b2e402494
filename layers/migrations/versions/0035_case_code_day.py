"""case codes by their day: an index of the code after its county

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06

An operator finds the cases of a day by the date in their numbers (``20261206`` for
``530424-20261206-00004241``, trial AN N8). The code's own index answers a prefix, which starts
with the county; this one, on the code after its county (``substr(code, 8)``) in the C
collation, answers a day as a range (from ``20261206`` up to ``20261207``) in whatever counties
the searching unit covers, and ``20261206-4241`` as that range with the number's last digits.
"""

from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('CREATE INDEX ix_cases_code_day ON cases ((substr(code, 8) COLLATE "C"))')


def downgrade() -> None:
    op.execute("DROP INDEX ix_cases_code_day")
