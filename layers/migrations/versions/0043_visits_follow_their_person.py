"""a moved person's visits are read wherever the person is: the file follows the person

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-07

A visit (``person_visits``) keeps the unit the person lived in when it was made, and row-level
security reads it there (0002). When a person moves to another village or township (a county's
roster, a re-registration after 迁出, a grid re-division), the new unit saw none of the visits
made before the move: the person's last visit was missing from its 走访 list and due day, the
person counted overdue from the day put on record in its 走访逾期 and the command feed, their
history and its photos empty, while the old unit, which no longer sees the person, kept the
visits of someone it no longer follows.

A second permissive policy, for reading only, lets a visit (and a visit photo) be read by whoever
can read its person, as 0013 lets a moved case's events be read with their case. The old unit
still reads the visits made in its unit (policy ``scope``): its own figures of the work it did
(the trends page's 走访逐期统计 counts a visit where it was made), though it no longer sees the
person, so no list, history or clear record of theirs. Writing is unchanged: a visit is written,
corrected or deleted in its own unit, a photo added in its visit's.

A visit made before the move names its 走访人, a worker of the unit left, whom the new unit's
scope does not read (``workers``): its clear record said 走访人未记. ``zongzhi_visitors_of``
gives, for a person the caller's scope holds (any other person gives nothing), the worker of each
of their visits by name, with the visit's unit in brackets where the caller's scope does not
hold it (``李四（高寨村）``): no other field of the worker, and no visit of another person. It
runs as its owner, the cluster's superuser in the embedded database, as 0042's function does;
an owner without that right reads only the caller's scope, as before.

The new policy tests the row's own unit first, then looks the person up (one primary-key probe,
itself under the policy of ``persons``; the scalar sub-query, unlike EXISTS, is never turned into
a hash of every person in scope): PostgreSQL ORs a table's policies in an order of its own (it
put this one before ``scope``), and each visit of the scope would otherwise probe its person.
"""

from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"
FOLLOWING = ("person_visits", "visit_photos")
"""The tables whose rows are read with their person (both carry ``person_id``)."""
VISITORS = "zongzhi_visitors_of(bigint)"


def upgrade() -> None:
    for table in FOLLOWING:
        op.execute(
            f"CREATE POLICY with_its_person ON {table} FOR SELECT USING"
            f" (zongzhi_in_scope(area_code)"
            f" OR (SELECT true FROM persons AS p WHERE p.id = {table}.person_id))"
        )
    op.execute(r"""
        CREATE FUNCTION zongzhi_visitors_of(person bigint)
        RETURNS TABLE (visit_id bigint, visitor text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT v.id, w.name::text || CASE WHEN zongzhi_in_scope(v.area_code) THEN ''
                   ELSE coalesce('（' || (SELECT j.name FROM jurisdictions AS j
                                          WHERE j.code = v.area_code) || '）', '') END
              FROM persons AS p
              JOIN person_visits AS v ON v.person_id = p.id
              JOIN workers AS w ON w.id = v.visitor_id
             WHERE p.id = person AND zongzhi_in_scope(p.area_code)
        $$""")
    op.execute(f"REVOKE ALL ON FUNCTION {VISITORS} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {VISITORS} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {VISITORS}")
    for table in FOLLOWING:
        op.execute(f"DROP POLICY with_its_person ON {table}")
