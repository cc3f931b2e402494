"""the township an address names, read past the scope, for a case the caller places

Revision ID: 0046
Revises: 0044
Create Date: 2026-12-07

A case registered on the console whose 地址 names another township than the one its point lies
in (「盘溪镇老堡村工业园区大门口」 at a point of 华溪镇南河村) was placed by its point and
marked nowhere, while an imported order was marked 地址与位置不符 (layers/address_townships.py).
The check compares the address with the names of the county's townships, and a township's
operator reads no other township's row (row-level security on ``jurisdictions``, 0002).
``zongzhi_address_elsewhere`` answers, for an address and a unit the caller's scope holds (the
same test as the policies; any other unit gives nothing), the live township of the same county
whose full name the address contains while it does not contain the name of the unit's own
township (the longest such name), and where the unit lies (its township and village names, in
the caller's scope). It gives no township the address does not spell out, so it tells the
caller nothing of another township but that a name it typed is one. It runs as its owner, the
cluster's superuser in the embedded database, as 0042's function does; an owner without that
right reads only the caller's scope, as before. The downgrade drops the function.
"""

from alembic import op

revision = "0046"
down_revision = "0044"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"
FUNCTION = "zongzhi_address_elsewhere(text, text)"


def upgrade() -> None:
    op.execute(r"""
        CREATE FUNCTION zongzhi_address_elsewhere(said text, area text)
        RETURNS TABLE (named text, placed text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT n.name::text,
                   (p.name || coalesce((SELECT v.name FROM jurisdictions AS v
                                         WHERE v.code = area::bpchar AND v.level = 5), ''))::text
              FROM jurisdictions AS p
              JOIN jurisdictions AS n
                ON n.code BETWEEN (left(area, 6) || '000000')::bpchar
                              AND (left(area, 6) || '999999')::bpchar
               AND n.level = 4 AND n.retired_on IS NULL AND n.code <> p.code
               AND strpos(said, n.name) > 0
             WHERE length(area) = 12 AND zongzhi_in_scope(area::bpchar)
               AND p.code = (left(area, 9) || '000')::bpchar
               AND p.level = 4 AND p.retired_on IS NULL
               AND strpos(said, p.name) = 0
             ORDER BY length(n.name) DESC, n.code
             LIMIT 1
        $$""")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {FUNCTION}")
