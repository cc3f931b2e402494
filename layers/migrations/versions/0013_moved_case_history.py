"""a case's whole history is visible wherever the case is: events follow a moved case

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

A re-division moves the open cases of a retired village to the unit that took it over
(``layers.unit_retirement``). ``case_events`` is append-only and each event keeps the unit it
happened in, so the new village's commander saw the case, its dispatches and the 区划网格调整
event, but not one event before the move: who registered it, who was sent, what was said.

A second permissive policy, for reading only, lets an event be read by whoever can read its
case. Policies combine with OR and the row's own unit is tested first, so the case is looked up
(one primary-key probe, itself under the policy of ``cases``) only for an event outside the
reader's scope: in practice, the events of moved cases. The scalar sub-query, unlike EXISTS,
is never turned into a hash of every case in scope. Writing is unchanged: an event is written
in its case's unit.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE POLICY with_its_case ON case_events FOR SELECT"
        " USING ((SELECT true FROM cases AS c WHERE c.id = case_events.case_id))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY with_its_case ON case_events")
