"""a case's events and photos are tested against the reader's own unit before their case

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-07

0013 lets a case event be read wherever its case can be read (``with_its_case``), and 0036 does
the same for a case photo: a moved case keeps its whole history. Their policy was the probe of
the case alone, ``(SELECT true FROM cases AS c WHERE c.id = case_id)``, on the belief that
PostgreSQL tests a table's permissive policies in the order they were made. It does not (it ORs
them in an order of its own and put ``with_its_case`` before ``scope``, as 0043 found for the
visits): every event of the reader's own scope looked its case up, one primary-key probe a row
(a township's read of its 13,057 events on a scale-2 demo, 13,057 probes and 40,235 buffers).

Both tables carry the unit the row was made in (``area_code``), so each policy now tests that
first, as 0043's ``with_its_person`` does, and probes the case (itself under the policy of
``cases``) only for a row outside the reader's scope: in practice, the events and photos of a
moved case. What may be read is unchanged: the rows of the scope, and the rows of a case the
scope reads; writing is unchanged too (policy ``scope``). ``scope`` ORed after the new test adds
a second, cheap range test for a row outside the scope only.
"""

from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

FOLLOWING = ("case_events", "case_photos")
"""The tables whose rows are read with their case (both carry ``case_id`` and ``area_code``)."""


def _with_its_case(table: str, *, own_unit_first: bool) -> str:
    case = f"(SELECT true FROM cases AS c WHERE c.id = {table}.case_id)"
    using = f"zongzhi_in_scope(area_code) OR {case}" if own_unit_first else case
    return f"CREATE POLICY with_its_case ON {table} FOR SELECT USING ({using})"


def upgrade() -> None:
    for table in FOLLOWING:
        op.execute(f"DROP POLICY with_its_case ON {table}")
        op.execute(_with_its_case(table, own_unit_first=True))


def downgrade() -> None:
    for table in FOLLOWING:
        op.execute(f"DROP POLICY with_its_case ON {table}")
        op.execute(_with_its_case(table, own_unit_first=False))
