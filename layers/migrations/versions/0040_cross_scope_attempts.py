"""a registration that met a record of another township: a notice to that township

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06

A registrar who types an ID on record outside their scope is refused in one neutral answer
(trial AW M7), and the match was audited only: the township holding the person learnt nothing of
it, and nothing stopped a registrar trying ID after ID. ``cross_scope_attempts`` keeps one row per
such match, filed under the township holding the record (``area_code``, its 9-digit code padded
with zeros: the township and the county above read it, the village and the registrar's own
township do not), with the person's masked ID only (no name), the record's id, and who tried
(account, its unit and the unit's name, which the reader's scope may not see) when.

The registrar's scope cannot write a row of another township (row-level security): the app role
only reads the table, in its scope, and adds a row through ``zongzhi_note_cross_scope_attempt``,
which runs as its owner, writes only for a record the caller's scope does not hold, and answers
how many such matches the account has had since the given time (the probe limit of
:mod:`layers.cross_scope`); ``zongzhi_cross_scope_attempts`` answers that count alone. Both run as
their owner, the cluster's superuser in the embedded database, as 0030's function does. The
downgrade drops the functions and the table (its notices with it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"
NOTE = "zongzhi_note_cross_scope_attempt(bigint, bigint, text, bpchar, timestamptz, timestamptz)"
COUNT = "zongzhi_cross_scope_attempts(bigint, timestamptz)"


def upgrade() -> None:
    op.create_table(
        "cross_scope_attempts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("area_code", sa.CHAR(length=12, collation="C"), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("id_masked", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_name", sa.Text(), nullable=False),
        sa.Column("actor_unit", sa.CHAR(length=12, collation="C"), nullable=False),
        sa.Column("actor_unit_name", sa.Text(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_cross_scope_attempts_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cross_scope_attempts")),
    )
    op.create_index(
        op.f("ix_cross_scope_attempts_area_code"), "cross_scope_attempts", ["area_code"]
    )
    op.create_index(
        op.f("ix_cross_scope_attempts_person_id"), "cross_scope_attempts", ["person_id"]
    )
    op.create_index("ix_cross_scope_attempts_actor_at", "cross_scope_attempts", ["actor_id", "at"])
    op.execute(f"REVOKE ALL ON cross_scope_attempts FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ON cross_scope_attempts TO {APP_ROLE}")
    op.execute("ALTER TABLE cross_scope_attempts ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE cross_scope_attempts FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY scope ON cross_scope_attempts FOR SELECT USING (zongzhi_in_scope(area_code))"
    )
    op.execute(r"""
        CREATE FUNCTION zongzhi_note_cross_scope_attempt(
            person bigint, actor bigint, actor_name text, actor_unit bpchar,
            at timestamptz, since timestamptz)
        RETURNS bigint
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            INSERT INTO cross_scope_attempts
                   (area_code, person_id, id_masked, actor_id, actor_name, actor_unit,
                    actor_unit_name, at)
            SELECT rpad(left(p.area_code, 9), 12, '0'), p.id, p.id_masked, actor, actor_name,
                   actor_unit, (SELECT j.name FROM jurisdictions AS j WHERE j.code = actor_unit),
                   at
              FROM persons AS p
             WHERE p.id = person AND zongzhi_in_scope(p.area_code) IS NOT TRUE;
            SELECT count(*) FROM cross_scope_attempts AS a
             WHERE a.actor_id = actor AND a.at >= since;
        $$""")
    op.execute(r"""
        CREATE FUNCTION zongzhi_cross_scope_attempts(actor bigint, since timestamptz)
        RETURNS bigint
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT count(*) FROM cross_scope_attempts AS a
             WHERE a.actor_id = actor AND a.at >= since
        $$""")
    for function in (NOTE, COUNT):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {COUNT}")
    op.execute(f"DROP FUNCTION {NOTE}")
    op.execute("DROP POLICY scope ON cross_scope_attempts")
    op.drop_index("ix_cross_scope_attempts_actor_at", table_name="cross_scope_attempts")
    op.drop_index(op.f("ix_cross_scope_attempts_person_id"), table_name="cross_scope_attempts")
    op.drop_index(op.f("ix_cross_scope_attempts_area_code"), table_name="cross_scope_attempts")
    op.drop_table("cross_scope_attempts")
