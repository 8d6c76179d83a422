"""The effect summary's sufficient statistics: per response and dimension, the sum and the
count of the scored answers (reverse-coded items flipped, missing codes left out), kept
with the answers by `evaluation.services.refresh_scores`; back-filled here from the
answers already given.

Revision ID: 0009_response_scores
Revises: 0008
Create Date: 2026-12-07 14:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_response_scores'
down_revision = '0008'
branch_labels = None
depends_on = None

# The same statement as `evaluation.services.refresh_scores` over every response (the
# migration does not import the application, whose code moves on).
BACK_FILL = """
INSERT INTO evaluation_response_scores (response_id, dimension_id, value_sum, value_count)
SELECT a.response_id, i.dimension_id,
       coalesce(sum(CASE WHEN i.reverse_coded THEN v.scale_min + v.scale_max - a.value
                         ELSE a.value END), 0),
       count(a.value)
FROM evaluation_answers a
JOIN instrument_items i ON i.id = a.item_id
JOIN instrument_versions v ON v.id = i.version_id
GROUP BY a.response_id, i.dimension_id
"""


def upgrade():
    op.create_table(
        'evaluation_response_scores',
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('dimension_id', sa.Integer(), nullable=False),
        sa.Column('value_sum', sa.Integer(), nullable=False),
        sa.Column('value_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['dimension_id'], ['instrument_dimensions.id'],
            name=op.f('fk_evaluation_response_scores_dimension_id_instrument_dimensions'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['response_id'], ['evaluation_responses.id'],
            name=op.f('fk_evaluation_response_scores_response_id_evaluation_responses'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('response_id', 'dimension_id',
                                name=op.f('pk_evaluation_response_scores')),
    )
    op.execute(BACK_FILL)


def downgrade():
    op.drop_table('evaluation_response_scores')
