"""An index holding every column of a session the flag pass and the figures kept on a case
aggregate (case, status, day, format, hours), so that they read the index and no session row.

Revision ID: 0011_session_facts_index
Revises: 0010_case_scores
Create Date: 2026-12-07 14:15:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_session_facts_index"
down_revision = "0010_case_scores"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('engagement_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_engagement_sessions_case_facts',
                              ['engagement_id', 'status', 'held_on', 'format', 'hours'])


def downgrade():
    with op.batch_alter_table('engagement_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_engagement_sessions_case_facts')
