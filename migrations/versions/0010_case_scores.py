"""The effect summary's sufficient statistics: per case, instrument and scope (overall,
dimension ""; or a dimension code), the moments of the case's unit scores (sums and
squared deviations over the units measured at baseline and end, the counts of units
improved, unchanged and worse, and of those measured once), kept with the answers by
`evaluation.services.refresh_case_scores`; back-filled here from the answers already given.

Revision ID: 0010_case_scores
Revises: 0009_case_activity
Create Date: 2026-12-07 14:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_case_scores"
down_revision = "0009_case_activity"
branch_labels = None
depends_on = None

# What `evaluation.services.refresh_case_scores` computes, for every case (the migration
# does not import the application, whose code moves on). {round} is the change rounded to
# 9 digits: PostgreSQL rounds NUMERIC only.
BACK_FILL = """
WITH scored AS (
    SELECT r.engagement_id, r.unit_id, r.occasion, r.respondent_code, v.instrument_id,
           d.code AS dimension,
           CASE WHEN i.reverse_coded THEN v.scale_min + v.scale_max - a.value
                ELSE a.value END AS value
    FROM evaluation_answers a
    JOIN evaluation_responses r ON r.id = a.response_id
    JOIN instrument_versions v ON v.id = r.instrument_version_id
    JOIN instrument_items i ON i.id = a.item_id
    JOIN instrument_dimensions d ON d.id = i.dimension_id
    WHERE r.occasion IN ('baseline', 'end')
), respondents AS (
    SELECT engagement_id, instrument_id, unit_id, occasion, respondent_code, dimension,
           CAST(sum(value) AS FLOAT) / count(value) AS score
    FROM scored
    GROUP BY engagement_id, instrument_id, unit_id, occasion, respondent_code, dimension
    HAVING count(value) > 0
    UNION ALL
    SELECT engagement_id, instrument_id, unit_id, occasion, respondent_code, '',
           CAST(sum(value) AS FLOAT) / count(value)
    FROM scored
    GROUP BY engagement_id, instrument_id, unit_id, occasion, respondent_code
    HAVING count(value) > 0
), units AS (
    SELECT engagement_id, instrument_id, dimension,
           avg(CASE WHEN occasion = 'baseline' THEN score END) AS before,
           avg(CASE WHEN occasion = 'end' THEN score END) AS after
    FROM respondents
    GROUP BY engagement_id, instrument_id, dimension, unit_id
), means AS (
    SELECT engagement_id, instrument_id, dimension,
           avg(CASE WHEN before IS NOT NULL AND after IS NOT NULL THEN before END) AS before,
           avg(CASE WHEN before IS NOT NULL AND after IS NOT NULL THEN after END) AS after,
           avg(after - before) AS change
    FROM units
    GROUP BY engagement_id, instrument_id, dimension
)
INSERT INTO evaluation_case_scores (
    engagement_id, instrument_id, dimension, n_matched, n_before_only, n_after_only,
    sum_before, sum_after, sum_change, squares_before, squares_after, squares_change,
    n_improved, n_unchanged, n_worse, sum_before_only)
SELECT u.engagement_id, u.instrument_id, u.dimension,
       count(*) FILTER (WHERE u.before IS NOT NULL AND u.after IS NOT NULL),
       count(*) FILTER (WHERE u.before IS NOT NULL AND u.after IS NULL),
       count(*) FILTER (WHERE u.before IS NULL AND u.after IS NOT NULL),
       sum(CASE WHEN u.after IS NOT NULL THEN u.before END),
       sum(CASE WHEN u.before IS NOT NULL THEN u.after END),
       sum(u.after - u.before),
       sum(CASE WHEN u.after IS NOT NULL THEN (u.before - m.before) * (u.before - m.before) END),
       sum(CASE WHEN u.before IS NOT NULL THEN (u.after - m.after) * (u.after - m.after) END),
       sum((u.after - u.before - m.change) * (u.after - u.before - m.change)),
       count(*) FILTER (WHERE {round} > 0),
       count(*) FILTER (WHERE {round} = 0),
       count(*) FILTER (WHERE {round} < 0),
       sum(CASE WHEN u.after IS NULL THEN u.before END)
FROM units u
JOIN means m ON m.engagement_id = u.engagement_id AND m.instrument_id = u.instrument_id
    AND m.dimension = u.dimension
GROUP BY u.engagement_id, u.instrument_id, u.dimension
"""
ROUNDED = {"postgresql": "round(CAST(u.after - u.before AS NUMERIC), 9)",
           "sqlite": "round(u.after - u.before, 9)"}


def upgrade():
    op.create_table(
        'evaluation_case_scores',
        sa.Column('engagement_id', sa.Integer(), nullable=False),
        sa.Column('instrument_id', sa.Integer(), nullable=False),
        sa.Column('dimension', sa.String(length=48), nullable=False),
        sa.Column('n_matched', sa.Integer(), nullable=False),
        sa.Column('n_before_only', sa.Integer(), nullable=False),
        sa.Column('n_after_only', sa.Integer(), nullable=False),
        sa.Column('sum_before', sa.Float(), nullable=True),
        sa.Column('sum_after', sa.Float(), nullable=True),
        sa.Column('sum_change', sa.Float(), nullable=True),
        sa.Column('squares_before', sa.Float(), nullable=True),
        sa.Column('squares_after', sa.Float(), nullable=True),
        sa.Column('squares_change', sa.Float(), nullable=True),
        sa.Column('n_improved', sa.Integer(), nullable=False),
        sa.Column('n_unchanged', sa.Integer(), nullable=False),
        sa.Column('n_worse', sa.Integer(), nullable=False),
        sa.Column('sum_before_only', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ['engagement_id'], ['engagements.id'],
            name=op.f('fk_evaluation_case_scores_engagement_id_engagements'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['instrument_id'], ['instruments.id'],
            name=op.f('fk_evaluation_case_scores_instrument_id_instruments'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('engagement_id', 'instrument_id', 'dimension',
                                name=op.f('pk_evaluation_case_scores')),
    )
    op.execute(BACK_FILL.format(round=ROUNDED[op.get_bind().dialect.name]))


def downgrade():
    op.drop_table('evaluation_case_scores')
