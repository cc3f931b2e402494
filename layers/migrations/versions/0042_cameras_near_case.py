"""the cameras near a case the reader can read, whatever township they belong to

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07

``video_points`` has row-level security by area (0002): a case's 附近视频 listed only the
cameras of the reader's scope, so a township's desk was not offered the neighbouring township's
camera 113 m from its case near the boundary (trial BB M5). Camera positions are not personal
data and the 雪亮 network is shared. ``zongzhi_cameras_near_case`` gives, for one case the
caller's scope holds (the same test as the policy on ``cases``; any other case gives nothing),
the cameras in use (not retired) within the search radius of the case's point (clamped to
1 m … 2 km), at most 200 of them, and always its 5 nearest however far, whatever their area,
with the names of their county, township and own unit (the caller's scope may not read those
units). It cannot list cameras near any other point. It runs as its owner, the cluster's
superuser in the embedded database, as 0030's function does; an owner without that right reads
only the caller's scope, as before. The downgrade drops the function.
"""

from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

APP_ROLE = "zongzhi_app"
FUNCTION = "zongzhi_cameras_near_case(bigint, double precision)"


def upgrade() -> None:
    op.execute(r"""
        CREATE FUNCTION zongzhi_cameras_near_case(near_case bigint, radius double precision)
        RETURNS TABLE (
            id bigint, device_id text, name text, ptz_type integer, direction_type integer,
            azimuth_deg double precision, fov_deg double precision, range_m double precision,
            status text, last_heartbeat timestamptz, area_code text, lon double precision,
            lat double precision, distance_m double precision, within_radius boolean,
            county_name text, township_name text, unit_name text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            WITH c AS (
                SELECT geography(k.point) AS g, k.point,
                       least(greatest(coalesce(radius, 500.0), 1.0), 2000.0) AS r
                  FROM cases AS k
                 WHERE k.id = near_case AND k.point IS NOT NULL
                   AND zongzhi_in_scope(k.area_code)
            ),
            in_use AS NOT MATERIALIZED (
                SELECT v.* FROM video_points AS v WHERE v.retired_on IS NULL
            ),
            picked AS (
                (SELECT v.id AS vid FROM in_use AS v, c
                  WHERE ST_DWithin(geography(v.point), c.g, c.r)
                  ORDER BY ST_Distance(geography(v.point), c.g), v.id LIMIT 200)
                UNION
                (SELECT v.id FROM in_use AS v, c ORDER BY v.point <-> c.point, v.id LIMIT 20)
            ),
            measured AS (
                SELECT v.*, ST_Distance(geography(v.point), c.g) AS dist,
                       ST_DWithin(geography(v.point), c.g, c.r) AS near
                  FROM in_use AS v JOIN picked AS p ON p.vid = v.id, c
            ),
            ranked AS (
                SELECT m.*, row_number() OVER (ORDER BY m.dist, m.id) AS rank FROM measured AS m
            )
            SELECT k.id, k.device_id::text, k.name::text, k.ptz_type::integer,
                   k.direction_type::integer, k.azimuth_deg, k.fov_deg, k.range_m,
                   k.status::text, k.last_heartbeat, k.area_code::text, ST_X(k.point),
                   ST_Y(k.point), k.dist, k.near,
                   (SELECT j.name FROM jurisdictions AS j
                     WHERE j.code = rpad(left(k.area_code, 6), 12, '0')::bpchar)::text,
                   (SELECT j.name FROM jurisdictions AS j
                     WHERE j.code = rpad(left(k.area_code, 9), 12, '0')::bpchar)::text,
                   (SELECT j.name FROM jurisdictions AS j WHERE j.code = k.area_code)::text
              FROM ranked AS k
             WHERE k.near OR k.rank <= 5
             ORDER BY k.dist, k.id
        $$""")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {FUNCTION}")
