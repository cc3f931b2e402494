"""historic hot-spot runs: a planner's look at the past, kept off today's console

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

A hot-spot run over a window that ended more than one of its time bins before it was made
(``layers.hotspot_current``) is a historic analysis: it raises no alert, and the console, its
map and its KPIs keep the latest run that is not historic. ``historic`` records it. The runs
already stored are judged by the same rule against the time they were made (``created_at``
and their ``bin_days``, 7 when absent), so a past window analysed before this revision stops
being the console's current run at once.

The console of a township shows the hot cells of its county's run: the run's row (its window,
whether it is historic) must be visible there. A second policy, for reading only, lets the
units inside a run's area see its row (``zongzhi_scope_inside``: the transaction's scope starts
with the significant prefix of the run's code); writing, changing and deleting a run still need
it inside the scope (policy ``scope``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "hotspot_runs",
        sa.Column("historic", sa.Boolean(), nullable=False, server_default="false"),
    )
    op.execute(
        "UPDATE hotspot_runs SET historic = window_end < created_at"
        " - make_interval(days => coalesce((params ->> 'bin_days')::int, 7))"
    )
    op.execute("""
        CREATE FUNCTION zongzhi_scope_inside(code bpchar) RETURNS boolean
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT length(current_setting('zongzhi.scope_lo', true)) > 0
               AND starts_with(current_setting('zongzhi.scope_lo', true), left(code::text,
                   CASE WHEN substr(code, 3) = '0000000000' THEN 2
                        WHEN substr(code, 5) = '00000000' THEN 4
                        WHEN substr(code, 7) = '000000' THEN 6
                        WHEN substr(code, 10) = '000' THEN 9 ELSE 12 END))
        $$""")
    op.execute(
        "CREATE POLICY inside_area ON hotspot_runs FOR SELECT"
        " USING (zongzhi_scope_inside(area_code))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY inside_area ON hotspot_runs")
    op.execute("DROP FUNCTION zongzhi_scope_inside(bpchar)")
    op.drop_column("hotspot_runs", "historic")
