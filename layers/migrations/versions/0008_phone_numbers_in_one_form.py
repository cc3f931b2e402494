"""phone numbers in one form: digits only, no +86 before a mobile

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A grid worker without a staff number is told again on the next import by name and phone. The
importer now writes phones in one form (``importers.values.phone_numbers``: full-width digits
as ASCII; no spaces, hyphens or brackets; no ``+86``, ``0086`` or ``86`` before a mobile), so
the phones stored before are brought into the same form; otherwise ``138 0000 0000`` stored
yesterday and ``13800000000`` imported today would be two workers. Cases' reporter phones
likewise. The downgrade keeps the new form (the old spellings are not kept anywhere).
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PHONE_SQL = (
    "nullif(regexp_replace(regexp_replace(normalize({column}, NFKC), '[[:space:]()-]', '', 'g'), "
    "'^(\\+|00)?86(?=1[3-9][0-9]{{9}}$)', ''), '')"
)
"""The SQL of ``importers.values.phone_numbers`` over ``{column}``."""


def statements() -> list[str]:
    """Return the upgrade's statements (also run by the test of the phones' one form)."""
    # Row-level security is forced on both tables: the whole country in scope, this transaction.
    scope = "SELECT set_config('zongzhi.scope_lo', '', true), set_config('zongzhi.scope_hi', '~', true)"
    updates = [
        f"UPDATE {table} SET {column} = {PHONE_SQL.format(column=column)} "
        f"WHERE {column} IS DISTINCT FROM {PHONE_SQL.format(column=column)}"
        for table, column in (("workers", "phone"), ("cases", "reporter_phone"))
    ]
    return [scope, *updates]


def upgrade() -> None:
    for statement in statements():
        op.execute(statement)


def downgrade() -> None:
    pass
