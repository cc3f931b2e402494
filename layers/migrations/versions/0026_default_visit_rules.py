"""default visit intervals: every category and management level followed from the start

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05

Only the demo wrote ``visit_rules``: a centre set up without it had no interval for any person,
so nobody was ever 走访逾期 and the 走访 list could not say when a visit falls due. These are
the intervals the demo uses (:data:`layers.visits_due.DEFAULT_RULES`, which a test holds to
these rows); a centre's own rules replace them (``zongzhi persons visit-rule``), and a rule
set before this migration is kept.
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

RULES = (
    ("released", 1, 30), ("released", 2, 60), ("released", 3, 90),
    ("correction", 1, 7), ("correction", 2, 15), ("correction", 3, 30),
    ("mental", 1, 7), ("mental", 2, 30), ("mental", 3, 90),
    ("drug", 1, 15), ("drug", 2, 30), ("drug", 3, 90),
    ("aids_risk", 1, 30), ("aids_risk", 2, 60), ("aids_risk", 3, 90),
    ("youth", 1, 15), ("youth", 2, 30), ("youth", 3, 60),
)  # fmt: skip
"""(category, management level, days between visits), as the migration wrote them."""


def _values() -> str:
    return ", ".join(f"('{c}', {level}, {days})" for c, level, days in RULES)


def upgrade() -> None:
    op.execute(
        "INSERT INTO visit_rules (category, management_level, interval_days)"
        f" VALUES {_values()} ON CONFLICT (category, management_level) DO NOTHING"
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM visit_rules WHERE (category, management_level, interval_days)"
        f" IN ({_values()})"
    )
