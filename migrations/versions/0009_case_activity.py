"""What a case's sessions add up to, kept on the case: hours used, the last session held and
the next planned, so lists sort and show them without summing every session.

Revision ID: 0009_case_activity
Revises: 0008
Create Date: 2026-12-07 14:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_case_activity'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hours_used', sa.Numeric(precision=8, scale=2),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_session_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_session_on', sa.Date(), nullable=True))
    # Filled in as `consultancy.engagements.activity.refresh_activity` keeps them, written
    # out here so that this step stays what it was when the app's code moves on.
    op.execute(BACK_FILL)


BACK_FILL = """
UPDATE engagements SET
  hours_used = COALESCE((SELECT SUM(s.hours) FROM engagement_sessions s
                         WHERE s.engagement_id = engagements.id AND s.status = 'held'), 0),
  last_session_on = (SELECT MAX(s.held_on) FROM engagement_sessions s
                     WHERE s.engagement_id = engagements.id AND s.status = 'held'),
  next_session_on = (SELECT MIN(s.held_on) FROM engagement_sessions s
                     WHERE s.engagement_id = engagements.id AND s.status = 'planned')
"""


def downgrade():
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_column('next_session_on')
        batch_op.drop_column('last_session_on')
        batch_op.drop_column('hours_used')
