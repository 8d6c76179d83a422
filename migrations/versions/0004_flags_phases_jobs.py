"""Flags and their rules, stored phases with their history, and background job runs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:44:06.992864

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The rules of DOMAIN.md with their default severities and thresholds (admins change them).
FLAG_RULES = [
    ("baseline_missing", "warning", {"days_after_start": 30}, {}),
    ("no_recent_activity", "warning", {"days": 42}, {"mini": {"days": 30}}),
    ("hours_nearly_used", "info", {"percent": 80}, {}),
    ("hours_exceeded", "critical", {"percent": 100}, {}),
    ("midway_status_missing", "warning", {"months_after_start": 6, "grace_days": 14}, {}),
    ("end_assessment_due", "warning", {"days_before_end": 30}, {}),
    ("overdue_close", "critical", {"days_after_end": 30}, {}),
    ("team_incomplete", "warning", {}, {}),
    ("review_overdue", "warning", {"days": 14}, {}),
]
JOBS = ["flags", "digest"]


def upgrade():
    op.create_table('flag_rules',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('severity', sa.Enum('info', 'warning', 'critical', name='severity', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default='{}', nullable=False),
    sa.Column('type_params', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_flag_rules'))
    )
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=32), nullable=False),
    sa.Column('run_on', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('running', 'done', 'skipped', 'failed', name='run_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default='{}', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_job_started', ['job', 'started_at'], unique=False)

    op.create_table('job_claims',
    sa.Column('job', sa.String(length=32), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['job_runs.id'], name=op.f('fk_job_claims_run_id_job_runs')),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_job_claims'))
    )
    op.create_table('engagement_phase_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('from_phase', sa.String(length=32), nullable=True),
    sa.Column('phase', sa.String(length=32), nullable=True),
    sa.Column('entered_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_engagement_phase_changes_engagement_id_engagements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_phase_changes'))
    )
    with op.batch_alter_table('engagement_phase_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_phase_changes_engagement_id'), ['engagement_id'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=32), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default='{}', nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledgement', sa.Text(), nullable=True),
    sa.Column('snoozed_until', sa.Date(), nullable=True),
    sa.CheckConstraint('(engagement_id IS NULL) <> (application_id IS NULL)', name=op.f('ck_flags_one_subject')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_flags_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_flags_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_flags_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_code'], ['flag_rules.code'], name=op.f('fk_flags_rule_code_flag_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags'))
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flags_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flags_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index('ix_flags_open', ['resolved_on', 'engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flags_raised_at'), ['raised_at'], unique=False)
        batch_op.create_index('uq_flags_open_application', ['rule_code', 'application_id'], unique=True, postgresql_where=sa.text('resolved_on IS NULL'), sqlite_where=sa.text('resolved_on IS NULL'))
        batch_op.create_index('uq_flags_open_engagement', ['rule_code', 'engagement_id'], unique=True, postgresql_where=sa.text('resolved_on IS NULL'), sqlite_where=sa.text('resolved_on IS NULL'))

    op.create_table('flag_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('acknowledged', 'snoozed', name='flag_event_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('snoozed_until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_flag_events_by_id_users')),
    sa.ForeignKeyConstraint(['flag_id'], ['flags.id'], name=op.f('fk_flag_events_flag_id_flags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag_events'))
    )
    with op.batch_alter_table('flag_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flag_events_flag_id'), ['flag_id'], unique=False)

    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase', sa.String(length=32), nullable=True))

    flag_rules = sa.table("flag_rules", sa.column("code"), sa.column("position"),
                          sa.column("severity"), sa.column("enabled"),
                          sa.column("params", sa.JSON), sa.column("type_params", sa.JSON))
    op.bulk_insert(flag_rules, [
        {"code": code, "position": position, "severity": severity, "enabled": True,
         "params": params, "type_params": type_params}
        for position, (code, severity, params, type_params) in enumerate(FLAG_RULES, start=1)])
    op.bulk_insert(sa.table("job_claims", sa.column("job")), [{"job": job} for job in JOBS])


def downgrade():
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_column('phase')

    with op.batch_alter_table('flag_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flag_events_flag_id'))

    op.drop_table('flag_events')
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('uq_flags_open_engagement', postgresql_where=sa.text('resolved_on IS NULL'), sqlite_where=sa.text('resolved_on IS NULL'))
        batch_op.drop_index('uq_flags_open_application', postgresql_where=sa.text('resolved_on IS NULL'), sqlite_where=sa.text('resolved_on IS NULL'))
        batch_op.drop_index(batch_op.f('ix_flags_raised_at'))
        batch_op.drop_index('ix_flags_open')
        batch_op.drop_index(batch_op.f('ix_flags_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_flags_application_id'))

    op.drop_table('flags')
    with op.batch_alter_table('engagement_phase_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_phase_changes_engagement_id'))

    op.drop_table('engagement_phase_changes')
    op.drop_table('job_claims')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_job_started')

    op.drop_table('job_runs')
    op.drop_table('flag_rules')
