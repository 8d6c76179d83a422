"""Evaluation instruments (versioned) and the responses given against them, API tokens for
evaluators, and the default self-assessment instrument (version 1, published).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:20:11.375220

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ANCHORS = {
    "1": {"da": "Passer slet ikke", "en": "Not at all true"},
    "2": {"da": "Passer i mindre grad", "en": "Slightly true"},
    "3": {"da": "Passer i nogen grad", "en": "Somewhat true"},
    "4": {"da": "Passer i høj grad", "en": "Largely true"},
    "5": {"da": "Passer helt", "en": "Completely true"},
}

# The default self-assessment: the focus themes and the elements of the common pedagogical
# foundation (DOMAIN.md), three statements each, the unit's staff answering about their
# own practice. (dimension code = theme code, names, items: code, Danish, English, reversed)
DIMENSIONS = [
    ("pedagogical_learning_environment", "Pædagogisk læringsmiljø",
     "Pedagogical learning environment", [
         ("LM1", "Vi planlægger dagens rutiner, så de giver alle børn mulighed for at lære.",
          "We plan the day's routines so that they give every child a chance to learn.", False),
         ("LM2", "Vi tilpasser læringsmiljøet løbende efter, hvad vi ser hos børnene.",
          "We adjust the learning environment continuously to what we see in the children.",
          False),
         ("LM3", "Meget af dagen går med ventetid, hvor børnene ikke er optaget af noget.",
          "Much of the day is spent waiting, with the children not engaged in anything.", True),
     ]),
    ("play", "Leg", "Play", [
        ("LE1", "Vi giver legen tid og plads i løbet af hele dagen.",
         "We give play time and room throughout the day.", False),
        ("LE2", "Vi voksne deltager i legen, går foran, ved siden af eller bagved.",
         "We adults take part in play, leading, alongside or following.", False),
        ("LE3", "Legen bliver ofte afbrudt af voksenstyrede aktiviteter.",
         "Play is often interrupted by adult-led activities.", True),
    ]),
    ("children_communities", "Børnefællesskaber", "Children's communities", [
        ("BF1", "Vi hjælper alle børn ind i fællesskaber med andre børn.",
         "We help every child into communities with other children.", False),
        ("BF2", "Vi organiserer børnene i mindre grupper, så alle kan deltage.",
         "We organise the children in smaller groups so that everyone can take part.", False),
        ("BF3", "Vi ved, hvilke børn der står uden for fællesskabet, og gør noget ved det.",
         "We know which children are outside the community and act on it.", False),
    ]),
    ("formation_and_child_perspective", "Børneperspektiv", "The child's perspective", [
        ("BP1", "Vi inddrager børnenes perspektiver, når vi planlægger.",
         "We include the children's perspectives when we plan.", False),
        ("BP2", "Børnene har indflydelse på, hvad de laver i løbet af dagen.",
         "The children have a say in what they do during the day.", False),
        ("BP3", "Vi undersøger, hvordan børnene selv oplever hverdagen.",
         "We look into how the children themselves experience the day.", False),
    ]),
    ("children_in_vulnerable_positions", "Børn i udsatte positioner",
     "Children in vulnerable positions", [
         ("BU1", "Vi tilrettelægger læringsmiljøet, så børn i udsatte positioner trives og lærer.",
          "We arrange the learning environment so that children in vulnerable positions "
          "thrive and learn.", False),
         ("BU2", "Vi opdager tidligt, når et barn har brug for en særlig indsats.",
          "We notice early when a child needs particular support.", False),
         ("BU3", "Børn i udsatte positioner er ofte henvist til aktiviteter uden for gruppen.",
          "Children in vulnerable positions are often sent to activities outside the group.",
          True),
     ]),
    ("parent_collaboration", "Forældresamarbejde", "Collaboration with parents", [
        ("FS1", "Vi samarbejder med forældrene om at støtte børnenes læring.",
         "We work with the parents to support the children's learning.", False),
        ("FS2", "Vi giver forældrene konkrete idéer til, hvad de kan gøre derhjemme.",
         "We give parents concrete ideas for what they can do at home.", False),
        ("FS3", "Vi når alle forældre, også dem der er svære at få i tale.",
         "We reach all parents, including those who are hard to reach.", False),
    ]),
    ("evaluation_culture", "Evalueringskultur", "Evaluation culture", [
        ("EK1", "Vi evaluerer jævnligt, om vores praksis virker for børnene.",
         "We regularly evaluate whether our practice works for the children.", False),
        ("EK2", "Vi bruger pædagogisk dokumentation, når vi drøfter vores praksis.",
         "We use pedagogical documentation when we discuss our practice.", False),
        ("EK3", "Vi ændrer vores praksis på baggrund af det, vi har evalueret.",
         "We change our practice on the basis of what we have evaluated.", False),
    ]),
    ("professional_leadership", "Faglig ledelse", "Professional leadership", [
        ("FL1", "Ledelsen sætter retning for arbejdet med læringsmiljøet.",
         "The leadership sets the direction for the work on the learning environment.", False),
        ("FL2", "Ledelsen følger op på, om vi gør det, vi har aftalt.",
         "The leadership follows up on whether we do what we have agreed.", False),
        ("FL3", "Ledelsen skaber tid til faglig refleksion i hverdagen.",
         "The leadership makes time for professional reflection in everyday work.", False),
    ]),
]


def upgrade():
    op.create_table('instruments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('self_assessment', 'observation', name='instrument_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('name_da', sa.String(length=160), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instruments')),
    sa.UniqueConstraint('code', name=op.f('uq_instruments_code'))
    )
    op.create_table('instrument_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='version_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('scale_min', sa.Integer(), nullable=False),
    sa.Column('scale_max', sa.Integer(), nullable=False),
    sa.Column('anchors', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default='{}', nullable=False),
    sa.CheckConstraint('scale_min = 1 AND scale_max >= 5 AND scale_max <= 7', name=op.f('ck_instrument_versions_scale')),
    sa.ForeignKeyConstraint(['instrument_id'], ['instruments.id'], name=op.f('fk_instrument_versions_instrument_id_instruments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_versions')),
    sa.UniqueConstraint('instrument_id', 'number', name=op.f('uq_instrument_versions_instrument_id_number'))
    )
    op.create_table('instrument_dimensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name_da', sa.String(length=160), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['instrument_versions.id'], name=op.f('fk_instrument_dimensions_version_id_instrument_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_dimensions')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_instrument_dimensions_version_id_code'))
    )
    with op.batch_alter_table('instrument_dimensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_dimensions_version_id'), ['version_id'], unique=False)

    op.create_table('instrument_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('dimension_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text_da', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('reverse_coded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['dimension_id'], ['instrument_dimensions.id'], name=op.f('fk_instrument_items_dimension_id_instrument_dimensions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['instrument_versions.id'], name=op.f('fk_instrument_items_version_id_instrument_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_items')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_instrument_items_version_id_code'))
    )
    with op.batch_alter_table('instrument_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_items_version_id'), ['version_id'], unique=False)

    op.create_table('evaluation_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('instrument_version_id', sa.Integer(), nullable=False),
    sa.Column('occasion', sa.Enum('baseline', 'midway', 'end', 'follow_up', name='occasion', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('respondent_role', sa.Enum('leader', 'pedagogue', 'assistant', 'municipal_consultant', 'observer', name='respondent_role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('respondent_code', sa.String(length=16), nullable=False),
    sa.Column('responded_on', sa.Date(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_evaluation_responses_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_evaluation_responses_entered_by_id_users')),
    sa.ForeignKeyConstraint(['instrument_version_id'], ['instrument_versions.id'], name=op.f('fk_evaluation_responses_instrument_version_id_instrument_versions')),
    sa.ForeignKeyConstraint(['unit_id'], ['daycare_units.id'], name=op.f('fk_evaluation_responses_unit_id_daycare_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_responses')),
    sa.UniqueConstraint('engagement_id', 'occasion', 'respondent_code', 'instrument_version_id', name=op.f('uq_evaluation_responses_engagement_id_occasion_respondent_code_instrument_version_id'))
    )
    with op.batch_alter_table('evaluation_responses', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_responses_case', ['engagement_id', 'occasion'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_responses_instrument_version_id'), ['instrument_version_id'], unique=False)

    op.create_table('instrument_item_themes',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['instrument_items.id'], name=op.f('fk_instrument_item_themes_item_id_instrument_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_instrument_item_themes_theme_id_themes')),
    sa.PrimaryKeyConstraint('item_id', 'theme_id', name=op.f('pk_instrument_item_themes'))
    )
    op.create_table('evaluation_answers',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('missing_code', sa.Enum('not_relevant', 'dont_know', name='missing_code', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.CheckConstraint('(value IS NULL) <> (missing_code IS NULL)', name=op.f('ck_evaluation_answers_value_or_missing')),
    sa.ForeignKeyConstraint(['item_id'], ['instrument_items.id'], name=op.f('fk_evaluation_answers_item_id_instrument_items')),
    sa.ForeignKeyConstraint(['response_id'], ['evaluation_responses.id'], name=op.f('fk_evaluation_answers_response_id_evaluation_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item_id', name=op.f('pk_evaluation_answers'))
    )

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    _seed_default_instrument()


def _seed_default_instrument():
    connection = op.get_bind()
    instruments = sa.table("instruments", sa.column("id"), sa.column("code"),
                           sa.column("kind"), sa.column("name_da"), sa.column("name_en"),
                           sa.column("is_default"))
    op.bulk_insert(instruments, [{
        "id": 1, "code": "egenvurdering", "kind": "self_assessment",
        "name_da": "Egenvurdering af læringsmiljøet", "name_en": "Self-assessment of the "
        "learning environment", "is_default": True}])
    versions = sa.table("instrument_versions", sa.column("id"), sa.column("instrument_id"),
                        sa.column("number"), sa.column("status"), sa.column("published_at"),
                        sa.column("scale_min"), sa.column("scale_max"),
                        sa.column("anchors", sa.JSON))
    op.bulk_insert(versions, [{
        "id": 1, "instrument_id": 1, "number": 1, "status": "published",
        "published_at": datetime(2026, 11, 23, tzinfo=timezone.utc), "scale_min": 1,
        "scale_max": 5, "anchors": ANCHORS}])
    theme_ids = dict(connection.execute(sa.text("SELECT code, id FROM themes")).all())
    dimensions = sa.table("instrument_dimensions", sa.column("id"), sa.column("version_id"),
                          sa.column("code"), sa.column("position"), sa.column("name_da"),
                          sa.column("name_en"))
    items = sa.table("instrument_items", sa.column("id"), sa.column("version_id"),
                     sa.column("dimension_id"), sa.column("code"), sa.column("position"),
                     sa.column("text_da"), sa.column("text_en"), sa.column("reverse_coded"))
    item_themes = sa.table("instrument_item_themes", sa.column("item_id"),
                           sa.column("theme_id"))
    dimension_rows, item_rows, theme_rows = [], [], []
    for position, (code, name_da, name_en, questions) in enumerate(DIMENSIONS, start=1):
        dimension_rows.append({"id": position, "version_id": 1, "code": code,
                               "position": position, "name_da": name_da, "name_en": name_en})
        for item_code, text_da, text_en, reversed_ in questions:
            item_id = len(item_rows) + 1
            item_rows.append({"id": item_id, "version_id": 1, "dimension_id": position,
                              "code": item_code, "position": item_id, "text_da": text_da,
                              "text_en": text_en, "reverse_coded": reversed_})
            theme_rows.append({"item_id": item_id, "theme_id": theme_ids[code]})
    op.bulk_insert(dimensions, dimension_rows)
    op.bulk_insert(items, item_rows)
    op.bulk_insert(item_themes, theme_rows)
    if connection.dialect.name == "postgresql":  # explicit ids: move the sequences on
        for table in ("instruments", "instrument_versions", "instrument_dimensions",
                      "instrument_items"):
            op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"(SELECT MAX(id) FROM {table}))")


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('evaluation_answers')
    op.drop_table('instrument_item_themes')
    with op.batch_alter_table('evaluation_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_responses_instrument_version_id'))
        batch_op.drop_index('ix_evaluation_responses_case')

    op.drop_table('evaluation_responses')
    with op.batch_alter_table('instrument_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instrument_items_version_id'))

    op.drop_table('instrument_items')
    with op.batch_alter_table('instrument_dimensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instrument_dimensions_version_id'))

    op.drop_table('instrument_dimensions')
    op.drop_table('instrument_versions')
    op.drop_table('instruments')
