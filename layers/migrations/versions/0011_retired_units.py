"""retired units: grids and villages abolished by a re-division, and what took their place

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

A township's annual grid re-division (网格调整) merges, splits and re-codes grids, and a
村改居 or a merger of villages (撤并村) abolishes villages. Such a unit cannot be deleted: the
closed cases, visits and events of years name it. It is retired instead: ``retired_on`` says
since when, and ``successor_code`` names the unit that took it over (a merged grid's, a
re-coded village's new code), where one did. A retired unit places no new record, is named by
no file (its name leads to its successor), and leaves the map, the scopes and the lists.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_CODE_LENGTH = {"jurisdictions": 12, "grids": 15}


def upgrade() -> None:
    for table, length in _CODE_LENGTH.items():
        op.add_column(table, sa.Column("retired_on", sa.Date(), nullable=True))
        op.add_column(
            table, sa.Column("successor_code", sa.CHAR(length, collation="C"), nullable=True)
        )
        op.create_foreign_key(
            op.f(f"fk_{table}_successor_code_{table}"),
            table,
            table,
            ["successor_code"],
            ["code"],
        )
        op.create_index(op.f(f"ix_{table}_successor_code"), table, ["successor_code"])
        op.create_check_constraint(
            op.f(f"ck_{table}_successor_retired"),
            table,
            "successor_code IS NULL OR retired_on IS NOT NULL",
        )


def downgrade() -> None:
    for table in _CODE_LENGTH:
        op.drop_constraint(op.f(f"ck_{table}_successor_retired"), table, type_="check")
        op.drop_index(op.f(f"ix_{table}_successor_code"), table_name=table)
        op.drop_constraint(op.f(f"fk_{table}_successor_code_{table}"), table, type_="foreignkey")
        op.drop_column(table, "successor_code")
        op.drop_column(table, "retired_on")
