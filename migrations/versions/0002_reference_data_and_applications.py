"""reference data and applications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:33:06.126077

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# The 98 municipalities with their official codes (Danmarks Statistik), by region.
MUNICIPALITIES = [
    (101, "København", "hovedstaden"),
    (147, "Frederiksberg", "hovedstaden"),
    (151, "Ballerup", "hovedstaden"),
    (153, "Brøndby", "hovedstaden"),
    (155, "Dragør", "hovedstaden"),
    (157, "Gentofte", "hovedstaden"),
    (159, "Gladsaxe", "hovedstaden"),
    (161, "Glostrup", "hovedstaden"),
    (163, "Herlev", "hovedstaden"),
    (165, "Albertslund", "hovedstaden"),
    (167, "Hvidovre", "hovedstaden"),
    (169, "Høje-Taastrup", "hovedstaden"),
    (173, "Lyngby-Taarbæk", "hovedstaden"),
    (175, "Rødovre", "hovedstaden"),
    (183, "Ishøj", "hovedstaden"),
    (185, "Tårnby", "hovedstaden"),
    (187, "Vallensbæk", "hovedstaden"),
    (190, "Furesø", "hovedstaden"),
    (201, "Allerød", "hovedstaden"),
    (210, "Fredensborg", "hovedstaden"),
    (217, "Helsingør", "hovedstaden"),
    (219, "Hillerød", "hovedstaden"),
    (223, "Hørsholm", "hovedstaden"),
    (230, "Rudersdal", "hovedstaden"),
    (240, "Egedal", "hovedstaden"),
    (250, "Frederikssund", "hovedstaden"),
    (253, "Greve", "sjaelland"),
    (259, "Køge", "sjaelland"),
    (260, "Halsnæs", "hovedstaden"),
    (265, "Roskilde", "sjaelland"),
    (269, "Solrød", "sjaelland"),
    (270, "Gribskov", "hovedstaden"),
    (306, "Odsherred", "sjaelland"),
    (316, "Holbæk", "sjaelland"),
    (320, "Faxe", "sjaelland"),
    (326, "Kalundborg", "sjaelland"),
    (329, "Ringsted", "sjaelland"),
    (330, "Slagelse", "sjaelland"),
    (336, "Stevns", "sjaelland"),
    (340, "Sorø", "sjaelland"),
    (350, "Lejre", "sjaelland"),
    (360, "Lolland", "sjaelland"),
    (370, "Næstved", "sjaelland"),
    (376, "Guldborgsund", "sjaelland"),
    (390, "Vordingborg", "sjaelland"),
    (400, "Bornholm", "hovedstaden"),
    (410, "Middelfart", "syddanmark"),
    (420, "Assens", "syddanmark"),
    (430, "Faaborg-Midtfyn", "syddanmark"),
    (440, "Kerteminde", "syddanmark"),
    (450, "Nyborg", "syddanmark"),
    (461, "Odense", "syddanmark"),
    (479, "Svendborg", "syddanmark"),
    (480, "Nordfyns", "syddanmark"),
    (482, "Langeland", "syddanmark"),
    (492, "Ærø", "syddanmark"),
    (510, "Haderslev", "syddanmark"),
    (530, "Billund", "syddanmark"),
    (540, "Sønderborg", "syddanmark"),
    (550, "Tønder", "syddanmark"),
    (561, "Esbjerg", "syddanmark"),
    (563, "Fanø", "syddanmark"),
    (573, "Varde", "syddanmark"),
    (575, "Vejen", "syddanmark"),
    (580, "Aabenraa", "syddanmark"),
    (607, "Fredericia", "syddanmark"),
    (615, "Horsens", "midtjylland"),
    (621, "Kolding", "syddanmark"),
    (630, "Vejle", "syddanmark"),
    (657, "Herning", "midtjylland"),
    (661, "Holstebro", "midtjylland"),
    (665, "Lemvig", "midtjylland"),
    (671, "Struer", "midtjylland"),
    (706, "Syddjurs", "midtjylland"),
    (707, "Norddjurs", "midtjylland"),
    (710, "Favrskov", "midtjylland"),
    (727, "Odder", "midtjylland"),
    (730, "Randers", "midtjylland"),
    (740, "Silkeborg", "midtjylland"),
    (741, "Samsø", "midtjylland"),
    (746, "Skanderborg", "midtjylland"),
    (751, "Aarhus", "midtjylland"),
    (756, "Ikast-Brande", "midtjylland"),
    (760, "Ringkøbing-Skjern", "midtjylland"),
    (766, "Hedensted", "midtjylland"),
    (773, "Morsø", "nordjylland"),
    (779, "Skive", "midtjylland"),
    (787, "Thisted", "nordjylland"),
    (791, "Viborg", "midtjylland"),
    (810, "Brønderslev", "nordjylland"),
    (813, "Frederikshavn", "nordjylland"),
    (820, "Vesthimmerland", "nordjylland"),
    (825, "Læsø", "nordjylland"),
    (840, "Rebild", "nordjylland"),
    (846, "Mariagerfjord", "nordjylland"),
    (849, "Jammerbugt", "nordjylland"),
    (851, "Aalborg", "nordjylland"),
    (860, "Hjørring", "nordjylland"),
]

ENGAGEMENT_TYPES = [
    {"id": 1, "code": "one_year", "name_da": "Etårigt rådgivnings- og vejledningsforløb",
     "name_en": "One-year advisory course", "intake": "rounds", "default_length_months": 12,
     "default_hours": None, "institutions_may_apply": False, "active": True},
    {"id": 2, "code": "mini", "name_da": "Minivejledningsforløb",
     "name_en": "Mini course (10 hours)", "intake": "continuous", "default_length_months": 3,
     "default_hours": 10, "institutions_may_apply": True, "active": True},
]

ANCHORS_EN = ["Not met", "Partly met", "Met", "Fully and convincingly met"]

CRITERIA = [
    ("documented_need", "Dokumenteret behov", "Documented need",
     "Ansøger dokumenterer, at dagtilbuddene har behov for at udvikle det pædagogiske "
     "læringsmiljø, så det fremmer deltagelsen for børn i udsatte positioner.",
     "The applicant documents that the units need to develop their pedagogical learning "
     "environment so that it furthers the participation of children in vulnerable positions.",
     ["Behovet er ikke beskrevet eller dokumenteret.",
      "Behovet er beskrevet, men kun løst underbygget.",
      "Behovet er beskrevet og underbygget med fx egne data eller tilsyn.",
      "Behovet er grundigt dokumenteret med konkrete data og knyttet til børn i udsatte positioner."],
     30, 2, True),
    ("vulnerable_share", "Andel familier i udsat position", "Share of families in a vulnerable position",
     "Dagtilbuddene har en høj andel af familier i udsatte positioner eller i risiko herfor, "
     "fx på grund af socioøkonomisk baggrund.",
     "The units have a high share of families in a vulnerable position or at risk of it, "
     "e.g. due to socio-economic background.",
     ["Andelen er lav eller ikke oplyst.",
      "Andelen er moderat.",
      "Andelen er høj i de fleste enheder.",
      "Andelen er høj i alle enheder og dokumenteret."],
     30, 1, False),
    ("motivation", "Motivation", "Motivation",
     "Motivationen for at deltage er grundigt beskrevet.",
     "The motivation for taking part is thoroughly described.",
     ["Motivationen er ikke beskrevet.",
      "Motivationen er beskrevet i generelle vendinger.",
      "Motivationen er beskrevet og knyttet til dagtilbuddenes praksis.",
      "Motivationen er grundigt beskrevet med klare forventninger til forløbet."],
     20, 1, False),
    ("leadership_backing", "Ledelsesmæssig opbakning", "Leadership backing",
     "Ledelsen bakker op om forløbet, herunder med ressourcer afsat til deltagelse.",
     "Management backs the engagement, including resources set aside for taking part.",
     ["Der er ingen tilkendegivet opbakning.",
      "Opbakningen er tilkendegivet, men uden afsatte ressourcer.",
      "Ledelsen bakker op og har afsat ressourcer.",
      "Hele ledelseskæden bakker op med konkrete, tilstrækkelige ressourcer."],
     20, 2, False),
]


def upgrade():
    op.create_table('criteria_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('vulnerable_share_threshold', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria_sets')),
    sa.UniqueConstraint('version', name=op.f('uq_criteria_sets_version'))
    )
    op.create_table('engagement_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_da', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('intake', sa.Enum('rounds', 'continuous', name='intake', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('default_length_months', sa.Integer(), nullable=False),
    sa.Column('default_hours', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('institutions_may_apply', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_types')),
    sa.UniqueConstraint('code', name=op.f('uq_engagement_types_code'))
    )
    op.create_table('municipalities',
    sa.Column('code', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('region', sa.Enum('hovedstaden', 'sjaelland', 'syddanmark', 'midtjylland', 'nordjylland', name='region', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_municipalities')),
    sa.UniqueConstraint('name', name=op.f('uq_municipalities_name'))
    )
    op.create_table('reference_counters',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'year', name=op.f('pk_reference_counters'))
    )
    op.create_table('criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('criteria_set_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_da', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('description_da', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('anchors', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('minimum', sa.Integer(), nullable=False),
    sa.Column('breaks_ties', sa.Boolean(), nullable=False),
    sa.CheckConstraint('minimum BETWEEN 0 AND 3', name=op.f('ck_criteria_minimum')),
    sa.CheckConstraint('weight > 0', name=op.f('ck_criteria_weight')),
    sa.ForeignKeyConstraint(['criteria_set_id'], ['criteria_sets.id'], name=op.f('fk_criteria_criteria_set_id_criteria_sets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria')),
    sa.UniqueConstraint('criteria_set_id', 'code', name=op.f('uq_criteria_criteria_set_id_code'))
    )
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criteria_criteria_set_id'), ['criteria_set_id'], unique=False)

    op.create_table('daycare_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('municipality_code', sa.Integer(), nullable=False),
    sa.Column('ownership', sa.Enum('municipal', 'self_owned', 'private', name='ownership', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('kind', sa.Enum('nursery', 'kindergarten', 'integrated', 'childminding', name='unit_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('children', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipalities.code'], name=op.f('fk_daycare_units_municipality_code_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daycare_units'))
    )
    with op.batch_alter_table('daycare_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_daycare_units_municipality_code'), ['municipality_code'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('engagement_type_id', sa.Integer(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('planned_start', sa.Date(), nullable=True),
    sa.Column('criteria_set_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_rounds_capacity')),
    sa.CheckConstraint('closes_on >= opens_on', name=op.f('ck_rounds_dates')),
    sa.ForeignKeyConstraint(['criteria_set_id'], ['criteria_sets.id'], name=op.f('fk_rounds_criteria_set_id_criteria_sets')),
    sa.ForeignKeyConstraint(['engagement_type_id'], ['engagement_types.id'], name=op.f('fk_rounds_engagement_type_id_engagement_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds'))
    )
    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('engagement_type_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('criteria_set_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('web', 'staff', 'import', name='channel', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'under_review', 'approved', 'waitlisted', 'rejected', 'withdrawn', name='application_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applicant_kind', sa.Enum('municipality', 'institution', name='applicant_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('applicant_name', sa.String(length=160), nullable=False),
    sa.Column('municipality_code', sa.Integer(), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=32), nullable=False),
    sa.Column('documented_need', sa.Text(), nullable=False),
    sa.Column('motivation', sa.Text(), nullable=False),
    sa.Column('leadership_backing', sa.Text(), nullable=False),
    sa.Column('resource_hours_per_month', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('resource_participants', sa.Text(), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['criteria_set_id'], ['criteria_sets.id'], name=op.f('fk_applications_criteria_set_id_criteria_sets')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_applications_decided_by_id_users')),
    sa.ForeignKeyConstraint(['engagement_type_id'], ['engagement_types.id'], name=op.f('fk_applications_engagement_type_id_engagement_types')),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipalities.code'], name=op.f('fk_applications_municipality_code_municipalities')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_applications_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('reference', name=op.f('uq_applications_reference')),
    sa.UniqueConstraint('year', 'number', name=op.f('uq_applications_year_number'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_engagement_type_id'), ['engagement_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_status'), ['status'], unique=False)

    op.create_table('application_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('children', sa.Integer(), nullable=False),
    sa.Column('vulnerable_share', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.CheckConstraint('vulnerable_share BETWEEN 0 AND 100', name=op.f('ck_application_units_vulnerable_share')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_units_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['daycare_units.id'], name=op.f('fk_application_units_unit_id_daycare_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_units')),
    sa.UniqueConstraint('application_id', 'unit_id', name=op.f('uq_application_units_application_id_unit_id'))
    )
    with op.batch_alter_table('application_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_units_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_units_unit_id'), ['unit_id'], unique=False)

    op.create_table('engagements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('engagement_type_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('municipality_code', sa.Integer(), nullable=False),
    sa.Column('applicant_name', sa.String(length=160), nullable=False),
    sa.Column('status', sa.Enum('planned', 'active', 'completed', 'cancelled', name='engagement_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_engagements_application_id_applications')),
    sa.ForeignKeyConstraint(['engagement_type_id'], ['engagement_types.id'], name=op.f('fk_engagements_engagement_type_id_engagement_types')),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipalities.code'], name=op.f('fk_engagements_municipality_code_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagements')),
    sa.UniqueConstraint('application_id', name=op.f('uq_engagements_application_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_engagements_reference')),
    sa.UniqueConstraint('year', 'number', name=op.f('uq_engagements_year_number'))
    )
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_reviews_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_reviews_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('application_id', 'reviewer_id', name=op.f('uq_reviews_application_id_reviewer_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('engagement_units',
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_engagement_units_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['daycare_units.id'], name=op.f('fk_engagement_units_unit_id_daycare_units')),
    sa.PrimaryKeyConstraint('engagement_id', 'unit_id', name=op.f('pk_engagement_units'))
    )
    op.create_table('scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.CheckConstraint('value BETWEEN 0 AND 3', name=op.f('ck_scores_value')),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_scores_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_scores_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scores')),
    sa.UniqueConstraint('review_id', 'criterion_id', name=op.f('uq_scores_review_id_criterion_id'))
    )
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scores_criterion_id'), ['criterion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scores_review_id'), ['review_id'], unique=False)

    municipalities = sa.table("municipalities", sa.column("code"), sa.column("name"),
                              sa.column("region"))
    op.bulk_insert(municipalities, [{"code": code, "name": name, "region": region}
                                    for code, name, region in MUNICIPALITIES])
    engagement_types = sa.table(
        "engagement_types", *(sa.column(key) for key in ENGAGEMENT_TYPES[0]))
    op.bulk_insert(engagement_types, ENGAGEMENT_TYPES)
    criteria_sets = sa.table("criteria_sets", sa.column("id"), sa.column("version"),
                             sa.column("name"), sa.column("vulnerable_share_threshold"),
                             sa.column("created_at", sa.DateTime(timezone=True)))
    op.bulk_insert(criteria_sets, [{
        "id": 1, "version": 1, "name": "Kriterier 2017", "vulnerable_share_threshold": 25,
        "created_at": datetime(2017, 1, 1, tzinfo=timezone.utc)}])
    criteria = sa.table(
        "criteria", *(sa.column(key) for key in (
            "criteria_set_id", "position", "code", "name_da", "name_en", "description_da",
            "description_en", "weight", "minimum", "breaks_ties")),
        sa.column("anchors", sa.JSON))
    op.bulk_insert(criteria, [{
        "criteria_set_id": 1, "position": position, "code": code, "name_da": name_da,
        "name_en": name_en, "description_da": description_da,
        "description_en": description_en, "anchors": {"da": anchors_da, "en": ANCHORS_EN},
        "weight": weight, "minimum": minimum, "breaks_ties": breaks_ties,
    } for position, (code, name_da, name_en, description_da, description_en, anchors_da,
                     weight, minimum, breaks_ties) in enumerate(CRITERIA, start=1)])
    if op.get_bind().dialect.name == "postgresql":
        # The seeded rows carry explicit ids; move the sequences past them.
        for table in ("engagement_types", "criteria_sets"):
            op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"(SELECT max(id) FROM {table}))")


def downgrade():
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scores_review_id'))
        batch_op.drop_index(batch_op.f('ix_scores_criterion_id'))

    op.drop_table('scores')
    op.drop_table('engagement_units')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_application_id'))

    op.drop_table('reviews')
    op.drop_table('engagements')
    with op.batch_alter_table('application_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_units_unit_id'))
        batch_op.drop_index(batch_op.f('ix_application_units_application_id'))

    op.drop_table('application_units')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_status'))
        batch_op.drop_index(batch_op.f('ix_applications_round_id'))
        batch_op.drop_index(batch_op.f('ix_applications_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_applications_engagement_type_id'))

    op.drop_table('applications')
    op.drop_table('rounds')
    with op.batch_alter_table('daycare_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_daycare_units_municipality_code'))

    op.drop_table('daycare_units')
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criteria_criteria_set_id'))

    op.drop_table('criteria')
    op.drop_table('reference_counters')
    op.drop_table('municipalities')
    op.drop_table('engagement_types')
    op.drop_table('criteria_sets')
