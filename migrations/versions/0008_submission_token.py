"""The public form's submission token on applications: the same form sent twice (a double
click, a resend, two requests at once) makes one application.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:53:51.091271

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_applications_submission_token'), ['submission_token'])


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_applications_submission_token'), type_='unique')
        batch_op.drop_column('submission_token')
