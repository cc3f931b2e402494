"""an ID on record out of the registrar's scope: the records' ids only, for the audit

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05

Migration 0027 told a registrar, for an ID on record out of its scope, the category and whether
the name was the same: a township learned that anyone's ID was a 刑满释放人员 elsewhere, and
confirmed a guessed name by a registration that went through (trial AI S4). The answer is now
one refusal that names neither; this function gives the records' ids, categories and whether
they are live, which the registration only uses to refuse (a live record, or one of the category
registered, its unique key) and to file the refusal's audit entry (a person's look-up in the
audit log then finds who typed their ID). It runs as its owner, as 0027's did.
"""

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"


def upgrade() -> None:
    op.execute("DROP FUNCTION zongzhi_person_elsewhere(bytea, text)")
    op.execute(r"""
        CREATE FUNCTION zongzhi_person_records_elsewhere(hash bytea)
        RETURNS TABLE (id bigint, category text, live boolean)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT p.id, p.category::text, p.ended_on IS NULL FROM persons AS p
             WHERE p.id_hash = hash AND zongzhi_in_scope(p.area_code) IS NOT TRUE
        $$""")
    op.execute("REVOKE ALL ON FUNCTION zongzhi_person_records_elsewhere(bytea) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION zongzhi_person_records_elsewhere(bytea) TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION zongzhi_person_records_elsewhere(bytea)")
    op.execute(r"""
        CREATE FUNCTION zongzhi_person_elsewhere(hash bytea, person_name text)
        RETURNS TABLE (category text, same_name boolean)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT p.category::text,
                   btrim(regexp_replace(p.name, '\s+', ' ', 'g')) = person_name
              FROM persons AS p
             WHERE p.id_hash = hash AND p.ended_on IS NULL
               AND zongzhi_in_scope(p.area_code) IS NOT TRUE
        $$""")
    op.execute("REVOKE ALL ON FUNCTION zongzhi_person_elsewhere(bytea, text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION zongzhi_person_elsewhere(bytea, text) TO {APP_ROLE}")
