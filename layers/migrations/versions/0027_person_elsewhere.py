"""one resident ID, one person: the categories it is on record in out of the registrar's scope

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05

A person may be on record in two categories (刑满释放 and 吸毒), but a resident ID belongs to one
person: a registration under another name is a typing error or another person's ID (trial AE).
The registrar's session sees only its scope (row-level security); this function tells it, for one
ID hash, the categories the ID is on record in outside that scope and whether the name is the
same, nothing else (no name, no place, no record number). It runs as its owner, the cluster's
superuser in the embedded database, so it reads past the scope; an owner without that right
reads only the scope, and the check is then the scope's alone.

``ix_persons_id_hash`` serves the look-up by ID alone (the unique key leads with the category).
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"


def upgrade() -> None:
    op.create_index("ix_persons_id_hash", "persons", ["id_hash"])
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


def downgrade() -> None:
    op.execute("DROP FUNCTION zongzhi_person_elsewhere(bytea, text)")
    op.drop_index("ix_persons_id_hash", table_name="persons")
