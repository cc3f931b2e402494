"""initial schema of every layer

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_name', sa.String(length=50), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=30), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('prev_hash', sa.LargeBinary(length=32), nullable=True),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('import_runs',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('source_crs', sa.String(length=30), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_loaded', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    op.create_index(op.f('ix_import_runs_sha256'), 'import_runs', ['sha256'], unique=False)
    op.create_geospatial_table('jurisdictions',
    sa.Column('code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('parent_code', sa.CHAR(length=12, collation='C'), nullable=True),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_jurisdictions_level_range')),
    sa.ForeignKeyConstraint(['parent_code'], ['jurisdictions.code'], name=op.f('fk_jurisdictions_parent_code_jurisdictions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_jurisdictions'))
    )
    op.create_geospatial_index('idx_jurisdictions_boundary', 'jurisdictions', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_jurisdictions_parent_code'), 'jurisdictions', ['parent_code'], unique=False)
    op.create_table('visit_rules',
    sa.Column('category', sa.String(length=12), nullable=False),
    sa.Column('management_level', sa.SmallInteger(), nullable=False),
    sa.Column('interval_days', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint("category IN ('released', 'correction', 'mental', 'drug', 'aids_risk', 'youth')", name=op.f('ck_visit_rules_category_code')),
    sa.PrimaryKeyConstraint('category', 'management_level', name=op.f('pk_visit_rules'))
    )
    op.create_geospatial_table('cases',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('external_no', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('subcategory', sa.String(length=30), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('risk_level', sa.SmallInteger(), nullable=False),
    sa.Column('point', Geometry(geometry_type='POINT', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('handling_level', sa.SmallInteger(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('contact_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('supervision_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reporter_name', sa.String(length=50), nullable=True),
    sa.Column('reporter_phone', sa.String(length=30), nullable=True),
    sa.Column('duplicate_of', sa.BigInteger(), nullable=True),
    sa.Column('repeat_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('import_id', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("category IN ('dispute', 'safety_hazard', 'public_opinion')", name=op.f('ck_cases_category_code')),
    sa.CheckConstraint("channel IN ('grid_worker', 'hotline_12345', 'non_police_110', 'walk_in', 'phone', 'letter', 'online', 'superior', 'subordinate', 'petition', 'video')", name=op.f('ck_cases_channel_code')),
    sa.CheckConstraint("state IN ('registered', 'triaged', 'dispatched', 'accepted', 'on_site', 'resolved', 'legal_route', 'evaluated', 'visited', 'archived', 'escalated')", name=op.f('ck_cases_state_code')),
    sa.CheckConstraint('handling_level BETWEEN 1 AND 5', name=op.f('ck_cases_handling_level_range')),
    sa.CheckConstraint('risk_level BETWEEN 1 AND 4', name=op.f('ck_cases_risk_range')),
    sa.ForeignKeyConstraint(['area_code'], ['jurisdictions.code'], name=op.f('fk_cases_area_code_jurisdictions')),
    sa.ForeignKeyConstraint(['duplicate_of'], ['cases.id'], name=op.f('fk_cases_duplicate_of_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['import_id'], ['import_runs.id'], name=op.f('fk_cases_import_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('code', name=op.f('uq_cases_code'))
    )
    op.create_geospatial_index('idx_cases_point', 'cases', ['point'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_cases_area_code_state', 'cases', ['area_code', 'state'], unique=False)
    op.create_index(op.f('ix_cases_duplicate_of'), 'cases', ['duplicate_of'], unique=False)
    op.create_index(op.f('ix_cases_grid_code'), 'cases', ['grid_code'], unique=False)
    op.create_index('ix_cases_reported_at', 'cases', ['reported_at'], unique=False)
    op.create_index('uq_cases_channel_external_no', 'cases', ['channel', 'external_no'], unique=True)
    op.create_geospatial_table('grids',
    sa.Column('code', sa.CHAR(length=15, collation='C'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('boundary', Geometry(geometry_type='POLYGON', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('leader_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['area_code'], ['jurisdictions.code'], name=op.f('fk_grids_area_code_jurisdictions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_grids'))
    )
    op.create_geospatial_index('idx_grids_boundary', 'grids', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_grids_area_code'), 'grids', ['area_code'], unique=False)
    op.create_geospatial_table('video_points',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('device_id', sa.CHAR(length=20, collation='C'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('ptz_type', sa.SmallInteger(), nullable=True),
    sa.Column('position_type', sa.SmallInteger(), nullable=True),
    sa.Column('direction_type', sa.SmallInteger(), nullable=True),
    sa.Column('azimuth_deg', sa.Float(), nullable=True),
    sa.Column('fov_deg', sa.Float(), nullable=False),
    sa.Column('range_m', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('last_heartbeat', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stream_url', sa.String(length=300), nullable=True),
    sa.Column('point', Geometry(geometry_type='POINT', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.CheckConstraint("status IN ('online', 'offline')", name=op.f('ck_video_points_status_code')),
    sa.CheckConstraint('direction_type BETWEEN 1 AND 8', name=op.f('ck_video_points_direction_range')),
    sa.CheckConstraint('fov_deg > 0 AND fov_deg <= 360', name=op.f('ck_video_points_fov_range')),
    sa.CheckConstraint('range_m > 0', name=op.f('ck_video_points_range_positive')),
    sa.ForeignKeyConstraint(['area_code'], ['jurisdictions.code'], name=op.f('fk_video_points_area_code_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_video_points')),
    sa.UniqueConstraint('device_id', name=op.f('uq_video_points_device_id'))
    )
    op.create_geospatial_index('idx_video_points_point', 'video_points', ['point'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_video_points_area_code'), 'video_points', ['area_code'], unique=False)
    op.create_geospatial_table('persons',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('category', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('id_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('id_masked', sa.String(length=18), nullable=False),
    sa.Column('id_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('management_level', sa.SmallInteger(), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('residence', Geometry(geometry_type='POINT', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('grid_code', sa.CHAR(length=15, collation='C'), nullable=True),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('import_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("category IN ('released', 'correction', 'mental', 'drug', 'aids_risk', 'youth')", name=op.f('ck_persons_category_code')),
    sa.CheckConstraint("jsonb_typeof(attributes) = 'object'", name=op.f('ck_persons_attributes_object')),
    sa.CheckConstraint('management_level BETWEEN 1 AND 3', name=op.f('ck_persons_management_level_range')),
    sa.ForeignKeyConstraint(['area_code'], ['jurisdictions.code'], name=op.f('fk_persons_area_code_jurisdictions')),
    sa.ForeignKeyConstraint(['grid_code'], ['grids.code'], name=op.f('fk_persons_grid_code_grids')),
    sa.ForeignKeyConstraint(['import_id'], ['import_runs.id'], name=op.f('fk_persons_import_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('category', 'id_hash', name=op.f('uq_persons_category_id_hash'))
    )
    op.create_geospatial_index('idx_persons_residence', 'persons', ['residence'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_persons_area_code'), 'persons', ['area_code'], unique=False)
    op.create_geospatial_table('workers',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=True),
    sa.Column('home_grid', sa.CHAR(length=15, collation='C'), nullable=True),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_position', Geometry(geometry_type='POINT', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("role IN ('grid_worker', 'part_time', 'grid_leader', 'mediator', 'police', 'department')", name=op.f('ck_workers_role_code')),
    sa.CheckConstraint("status IN ('on_duty', 'off_duty', 'busy')", name=op.f('ck_workers_status_code')),
    sa.ForeignKeyConstraint(['area_code'], ['jurisdictions.code'], name=op.f('fk_workers_area_code_jurisdictions')),
    sa.ForeignKeyConstraint(['home_grid'], ['grids.code'], name=op.f('fk_workers_home_grid_grids')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workers')),
    sa.UniqueConstraint('external_id', name=op.f('uq_workers_external_id'))
    )
    op.create_index(op.f('ix_workers_area_code'), 'workers', ['area_code'], unique=False)
    op.create_geospatial_index('ix_workers_dispatchable_position', 'workers', ['last_position'], unique=False, postgresql_using='gist', postgresql_where=sa.text("status = 'on_duty'"), postgresql_ops={})
    op.create_index(op.f('ix_workers_home_grid'), 'workers', ['home_grid'], unique=False)
    op.create_foreign_key(op.f('fk_grids_leader_id_workers'), 'grids', 'workers', ['leader_id'], ['id'], ondelete='SET NULL')
    op.create_table('person_responsibles',
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('worker_id', sa.BigInteger(), nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('duty', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_responsibles_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_person_responsibles_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'worker_id', name=op.f('pk_person_responsibles'))
    )
    op.create_index(op.f('ix_person_responsibles_area_code'), 'person_responsibles', ['area_code'], unique=False)
    op.create_geospatial_table('person_visits',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('visitor_id', sa.BigInteger(), nullable=True),
    sa.Column('point', Geometry(geometry_type='POINT', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_visits_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visitor_id'], ['workers.id'], name=op.f('fk_person_visits_visitor_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_visits'))
    )
    op.create_geospatial_index('idx_person_visits_point', 'person_visits', ['point'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_person_visits_area_code'), 'person_visits', ['area_code'], unique=False)
    op.create_index('ix_person_visits_person_id_visited_on', 'person_visits', ['person_id', 'visited_on'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('display_name', sa.String(length=50), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('scope_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('can_unmask', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('worker_id', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('failed_logins', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'auditor', 'commander', 'dispatcher', 'grid_worker', 'department', 'analyst')", name=op.f('ck_users_role_code')),
    sa.ForeignKeyConstraint(['scope_code'], ['jurisdictions.code'], name=op.f('fk_users_scope_code_jurisdictions')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_users_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_geospatial_table('worker_positions',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('worker_id', sa.BigInteger(), nullable=False),
    sa.Column('point', Geometry(geometry_type='POINT', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_worker_positions_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_positions'))
    )
    op.create_geospatial_index('idx_worker_positions_point', 'worker_positions', ['point'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_worker_positions_area_code'), 'worker_positions', ['area_code'], unique=False)
    op.create_index('ix_worker_positions_worker_id_at', 'worker_positions', ['worker_id', 'at'], unique=False)
    op.create_table('case_events',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_name', sa.String(length=50), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    op.create_index(op.f('ix_case_events_area_code'), 'case_events', ['area_code'], unique=False)
    op.create_index('ix_case_events_case_id_at', 'case_events', ['case_id', 'at'], unique=False)
    op.create_table('dispatches',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('assignee_kind', sa.String(length=12), nullable=False),
    sa.Column('worker_id', sa.BigInteger(), nullable=True),
    sa.Column('unit_code', sa.CHAR(length=12, collation='C'), nullable=True),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('assigned_by', sa.BigInteger(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.CheckConstraint("(assignee_kind = 'worker') = (worker_id IS NOT NULL)", name=op.f('ck_dispatches_worker_assignee')),
    sa.CheckConstraint("assignee_kind IN ('worker', 'unit', 'department')", name=op.f('ck_dispatches_assignee_kind_code')),
    sa.CheckConstraint("status IN ('assigned', 'accepted', 'arrived', 'finished', 'returned', 'cancelled')", name=op.f('ck_dispatches_status_code')),
    sa.ForeignKeyConstraint(['assigned_by'], ['users.id'], name=op.f('fk_dispatches_assigned_by_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_dispatches_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_code'], ['jurisdictions.code'], name=op.f('fk_dispatches_unit_code_jurisdictions')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_dispatches_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatches'))
    )
    op.create_index(op.f('ix_dispatches_area_code'), 'dispatches', ['area_code'], unique=False)
    op.create_index('uq_dispatches_active_case', 'dispatches', ['case_id'], unique=True, postgresql_where=sa.text("status IN ('assigned', 'accepted', 'arrived')"))
    op.create_index('uq_dispatches_active_worker', 'dispatches', ['worker_id'], unique=True, postgresql_where=sa.text("status IN ('assigned', 'accepted', 'arrived') AND worker_id IS NOT NULL"))
    op.create_table('hotspot_runs',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_hotspot_runs_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotspot_runs'))
    )
    op.create_index(op.f('ix_hotspot_runs_area_code'), 'hotspot_runs', ['area_code'], unique=False)
    op.create_geospatial_table('hotspot_cells',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('unit_id', sa.String(length=32), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POLYGON', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('z', sa.Float(), nullable=False),
    sa.Column('p', sa.Float(), nullable=False),
    sa.Column('bin', sa.SmallInteger(), nullable=False),
    sa.Column('pattern', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['hotspot_runs.id'], name=op.f('fk_hotspot_cells_run_id_hotspot_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotspot_cells'))
    )
    op.create_geospatial_index('idx_hotspot_cells_geom', 'hotspot_cells', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_hotspot_cells_run_id_area_code', 'hotspot_cells', ['run_id', 'area_code'], unique=False)
    op.create_table('alerts',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('area_code', sa.CHAR(length=12, collation='C'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('run_id', sa.BigInteger(), nullable=True),
    sa.Column('cell_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('acknowledged_by', sa.BigInteger(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('open', 'acknowledged', 'closed')", name=op.f('ck_alerts_state_code')),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], name=op.f('fk_alerts_acknowledged_by_users')),
    sa.ForeignKeyConstraint(['cell_id'], ['hotspot_cells.id'], name=op.f('fk_alerts_cell_id_hotspot_cells'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['hotspot_runs.id'], name=op.f('fk_alerts_run_id_hotspot_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    op.create_index(op.f('ix_alerts_area_code'), 'alerts', ['area_code'], unique=False)


def downgrade() -> None:
    op.drop_constraint(op.f('fk_grids_leader_id_workers'), 'grids', type_='foreignkey')
    op.drop_index(op.f('ix_alerts_area_code'), table_name='alerts')
    op.drop_table('alerts')
    op.drop_index('ix_hotspot_cells_run_id_area_code', table_name='hotspot_cells')
    op.drop_geospatial_index('idx_hotspot_cells_geom', table_name='hotspot_cells', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('hotspot_cells')
    op.drop_index(op.f('ix_hotspot_runs_area_code'), table_name='hotspot_runs')
    op.drop_table('hotspot_runs')
    op.drop_index('uq_dispatches_active_worker', table_name='dispatches', postgresql_where=sa.text("status IN ('assigned', 'accepted', 'arrived') AND worker_id IS NOT NULL"))
    op.drop_index('uq_dispatches_active_case', table_name='dispatches', postgresql_where=sa.text("status IN ('assigned', 'accepted', 'arrived')"))
    op.drop_index(op.f('ix_dispatches_area_code'), table_name='dispatches')
    op.drop_table('dispatches')
    op.drop_index('ix_case_events_case_id_at', table_name='case_events')
    op.drop_index(op.f('ix_case_events_area_code'), table_name='case_events')
    op.drop_table('case_events')
    op.drop_index('ix_worker_positions_worker_id_at', table_name='worker_positions')
    op.drop_index(op.f('ix_worker_positions_area_code'), table_name='worker_positions')
    op.drop_geospatial_index('idx_worker_positions_point', table_name='worker_positions', postgresql_using='gist', column_name='point')
    op.drop_geospatial_table('worker_positions')
    op.drop_table('users')
    op.drop_index('ix_person_visits_person_id_visited_on', table_name='person_visits')
    op.drop_index(op.f('ix_person_visits_area_code'), table_name='person_visits')
    op.drop_geospatial_index('idx_person_visits_point', table_name='person_visits', postgresql_using='gist', column_name='point')
    op.drop_geospatial_table('person_visits')
    op.drop_index(op.f('ix_person_responsibles_area_code'), table_name='person_responsibles')
    op.drop_table('person_responsibles')
    op.drop_index(op.f('ix_workers_home_grid'), table_name='workers')
    op.drop_geospatial_index('ix_workers_dispatchable_position', table_name='workers', postgresql_using='gist', postgresql_where=sa.text("status = 'on_duty'"), column_name='last_position')
    op.drop_index(op.f('ix_workers_area_code'), table_name='workers')
    op.drop_geospatial_table('workers')
    op.drop_index(op.f('ix_persons_area_code'), table_name='persons')
    op.drop_geospatial_index('idx_persons_residence', table_name='persons', postgresql_using='gist', column_name='residence')
    op.drop_geospatial_table('persons')
    op.drop_index(op.f('ix_video_points_area_code'), table_name='video_points')
    op.drop_geospatial_index('idx_video_points_point', table_name='video_points', postgresql_using='gist', column_name='point')
    op.drop_geospatial_table('video_points')
    op.drop_index(op.f('ix_grids_area_code'), table_name='grids')
    op.drop_geospatial_index('idx_grids_boundary', table_name='grids', postgresql_using='gist', column_name='boundary')
    op.drop_geospatial_table('grids')
    op.drop_index('uq_cases_channel_external_no', table_name='cases')
    op.drop_index('ix_cases_reported_at', table_name='cases')
    op.drop_index(op.f('ix_cases_grid_code'), table_name='cases')
    op.drop_index(op.f('ix_cases_duplicate_of'), table_name='cases')
    op.drop_index('ix_cases_area_code_state', table_name='cases')
    op.drop_geospatial_index('idx_cases_point', table_name='cases', postgresql_using='gist', column_name='point')
    op.drop_geospatial_table('cases')
    op.drop_table('visit_rules')
    op.drop_index(op.f('ix_jurisdictions_parent_code'), table_name='jurisdictions')
    op.drop_geospatial_index('idx_jurisdictions_boundary', table_name='jurisdictions', postgresql_using='gist', column_name='boundary')
    op.drop_geospatial_table('jurisdictions')
    op.drop_index(op.f('ix_import_runs_sha256'), table_name='import_runs')
    op.drop_table('import_runs')
    op.drop_table('audit_log')
