"""PostGIS bounding-box operators LEAKPROOF, so row-level security keeps the GiST indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Why
---
Every scoped table has ``FORCE ROW LEVEL SECURITY`` and the app role owns none of them, so the
planner treats the scope policy as a security barrier: a condition of the query itself may be
evaluated before (or instead of) the policy only if all its functions are ``LEAKPROOF``, and
an index condition is such an early evaluation. PostGIS ships its operators without that mark,
so the app role's ``point && ST_MakeEnvelope(...)`` (tiles, ``bbox`` items pages, the command
map) could never use the GiST index: every city tile read all 400,000 cases. Measured with
``bench/api.py`` on a shared 2-core machine: the densest z14 tile's query went from a
sequential scan of 340 ms to a bitmap index scan of 10 ms, and the tile over HTTP from 1.2 s to
0.1 s at the p50 (8 connections).

Why it is safe
--------------
A leakproof function must not reveal anything about its arguments except through its result:
no error, notice or side effect that depends on the values. ``geometry_overlaps`` (``&&``),
``geometry_within`` (``@``) and ``geometry_contains`` (``~``) are PostGIS's 2-D bounding-box
predicates (C functions ``gserialized_overlaps_2d``, ``gserialized_within_2d``,
``gserialized_contains_2d``): they read the float box cached in each geometry's header (or
compute it), compare four floats and return a boolean. They raise no data-dependent error (an
empty geometry is simply ``false``; they do not even check that the SRIDs agree), emit no
notice and write nothing. A malicious query can therefore learn nothing through them that the
policy hides. The exact predicates (``ST_Intersects``, ``ST_DWithin``...) are *not* marked:
they run GEOS, which can raise on invalid geometries; queries pair them with an explicit ``&&``
for the index. The geography ``&&`` is not marked either: no query uses it (the dispatch
candidates and nearest searches order by geometry ``<->``, which needs no mark since ORDER BY is
not a filter).

Who can apply it
----------------
``ALTER FUNCTION ... LEAKPROOF`` needs a superuser. The embedded cluster's owner role is one,
so there it is applied here. On an external server whose migrating role is not a superuser
the migration logs a warning with the statements a DBA must run and carries on (everything
works, bbox queries of the app role are just slow).

``ALTER EXTENSION postgis UPDATE`` re-creates these functions and drops the mark, and Alembic
does not run an applied revision again: :func:`layers.migrate.upgrade` (``zongzhi db migrate``,
``zongzhi db start``) therefore calls :func:`layers.database.ensure_leakproof_bbox` after every
upgrade to head (idempotent), or a DBA runs the ``ALTER FUNCTION ... LEAKPROOF`` statements
it logs.
"""

from alembic import op

from layers.database import LEAKPROOF_BBOX_FUNCTIONS, ensure_leakproof_bbox

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_leakproof_bbox(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    is_superuser = bind.exec_driver_sql(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
    ).scalar()
    if is_superuser:
        for signature in LEAKPROOF_BBOX_FUNCTIONS:
            bind.exec_driver_sql(f"ALTER FUNCTION {signature} NOT LEAKPROOF")
