"""engagement cases and sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:12:38.071747

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


# The controlled vocabulary of DOMAIN.md: the initiative's focus themes, the common
# pedagogical foundation and the six curriculum themes of the strengthened curriculum.
THEMES = [
    ("focus", "organisation_of_learning_environments", "Organisering af læringsmiljøerne",
     "Organising the learning environments"),
    ("focus", "parent_collaboration", "Forældresamarbejde", "Collaboration with parents"),
    ("focus", "professional_leadership", "Faglig ledelse", "Professional leadership"),
    ("focus", "interdisciplinary_collaboration", "Tværfagligt samarbejde",
     "Interdisciplinary collaboration"),
    ("foundation", "view_of_children", "Børnesyn", "View of children"),
    ("foundation", "formation_and_child_perspective", "Dannelse og børneperspektiv",
     "Formation and the child's perspective"),
    ("foundation", "play", "Leg", "Play"),
    ("foundation", "learning", "Læring", "Learning"),
    ("foundation", "children_communities", "Børnefællesskaber", "Children's communities"),
    ("foundation", "pedagogical_learning_environment", "Pædagogisk læringsmiljø",
     "Pedagogical learning environment"),
    ("foundation", "parents_and_learning", "Samarbejde med forældre om børns læring",
     "Working with parents on children's learning"),
    ("foundation", "children_in_vulnerable_positions", "Børn i udsatte positioner",
     "Children in vulnerable positions"),
    ("foundation", "transition_to_school", "Sammenhæng til børnehaveklassen",
     "Continuity with the school's reception class"),
    ("curriculum", "personal_development", "Alsidig personlig udvikling",
     "All-round personal development"),
    ("curriculum", "social_development", "Social udvikling", "Social development"),
    ("curriculum", "communication_and_language", "Kommunikation og sprog",
     "Communication and language"),
    ("curriculum", "body_senses_movement", "Krop, sanser og bevægelse",
     "Body, senses and movement"),
    ("curriculum", "nature_outdoor_science", "Natur, udeliv og science",
     "Nature, outdoor life and science"),
    ("curriculum", "culture_aesthetics_community", "Kultur, æstetik og fællesskab",
     "Culture, aesthetics and community"),
    ("other", "evaluation_culture", "Evalueringskultur", "Evaluation culture"),
    ("other", "pedagogical_documentation", "Pædagogisk dokumentation",
     "Pedagogical documentation"),
]

# Each phase is entered by the first of its conditions that holds: a date offset from the
# start or the planned end, a share of the hour budget used, or the first held session.
PHASE_TEMPLATES = {
    "one_year": [
        {"code": "planning", "name_da": "Planlægning", "name_en": "Planning", "enters": []},
        {"code": "startup", "name_da": "Opstart", "name_en": "Startup",
         "enters": [{"from": "start", "months": 0}]},
        {"code": "implementation", "name_da": "Gennemførelse", "name_en": "Implementation",
         "enters": [{"from": "start", "months": 1}]},
        {"code": "closing", "name_da": "Afslutning", "name_en": "Closing",
         "enters": [{"from": "end", "months": -1}]},
        {"code": "completed", "name_da": "Afsluttet", "name_en": "Completed",
         "enters": [{"from": "end", "months": 0}]},
    ],
    "mini": [
        {"code": "planning", "name_da": "Planlægning", "name_en": "Planning", "enters": []},
        {"code": "startup", "name_da": "Opstart", "name_en": "Startup",
         "enters": [{"from": "start", "months": 0}]},
        {"code": "sparring", "name_da": "Sparring", "name_en": "Sparring",
         "enters": [{"first_session": True}]},
        {"code": "closing", "name_da": "Afslutning", "name_en": "Closing",
         "enters": [{"hours_share": 0.8}, {"from": "start", "months": 3}]},
        {"code": "completed", "name_da": "Afsluttet", "name_en": "Completed",
         "enters": [{"from": "end", "months": 0}]},
    ],
}
MIN_CONSULTANTS = {"one_year": 2, "mini": 1}


def upgrade():
    op.create_table('themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('group', sa.Enum('focus', 'foundation', 'curriculum', 'other', name='theme_group', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name_da', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_themes')),
    sa.UniqueConstraint('code', name=op.f('uq_themes_code'))
    )
    op.create_table('engagement_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_engagement_contacts_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['daycare_units.id'], name=op.f('fk_engagement_contacts_unit_id_daycare_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_contacts'))
    )
    with op.batch_alter_table('engagement_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_contacts_engagement_id'), ['engagement_id'], unique=False)

    op.create_table('engagement_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('lead', 'co', name='member_role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= started_on', name=op.f('ck_engagement_members_dates')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_engagement_members_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_engagement_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_members'))
    )
    with op.batch_alter_table('engagement_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_members_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_members_user_id'), ['user_id'], unique=False)

    op.create_table('engagement_sessions',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'held', name='session_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('format', sa.Enum('practice_meeting', 'leadership_sparring', 'consultant_sparring', 'theme_day', 'kickoff', 'midway_status', 'evaluation_meeting', 'other', name='session_format', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('sub_format', sa.Enum('side_by_side', 'presentation', 'internal_meeting', 'formal_individual', 'formal_group', 'informal_individual', 'informal_group', 'formal', 'informal', name='sub_format', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('leaders', sa.Integer(), nullable=False),
    sa.Column('pedagogical_staff', sa.Integer(), nullable=False),
    sa.Column('assistants', sa.Integer(), nullable=False),
    sa.Column('municipal_consultants', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('overrun', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('hours > 0 AND hours <= 24', name=op.f('ck_engagement_sessions_hours')),
    sa.CheckConstraint('leaders >= 0 AND pedagogical_staff >= 0 AND assistants >= 0 AND municipal_consultants >= 0', name=op.f('ck_engagement_sessions_participants')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_engagement_sessions_created_by_id_users')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_engagement_sessions_engagement_id_engagements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_sessions'))
    )
    with op.batch_alter_table('engagement_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_engagement_sessions_engagement_day', ['engagement_id', 'held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_sessions_held_on'), ['held_on'], unique=False)

    op.create_table('engagement_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('planned', 'active', 'completed', 'cancelled', name='from_status', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('to_status', sa.Enum('planned', 'active', 'completed', 'cancelled', name='to_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_engagement_status_changes_by_id_users')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_engagement_status_changes_engagement_id_engagements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_status_changes'))
    )
    with op.batch_alter_table('engagement_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_status_changes_engagement_id'), ['engagement_id'], unique=False)

    op.create_table('engagement_themes',
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_engagement_themes_engagement_id_engagements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_engagement_themes_theme_id_themes')),
    sa.PrimaryKeyConstraint('engagement_id', 'theme_id', name=op.f('pk_engagement_themes'))
    )
    op.create_table('session_consultants',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['engagement_sessions.id'], name=op.f('fk_session_consultants_session_id_engagement_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_consultants_user_id_users')),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_session_consultants'))
    )
    op.create_table('session_themes',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['engagement_sessions.id'], name=op.f('fk_session_themes_session_id_engagement_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_session_themes_theme_id_themes')),
    sa.PrimaryKeyConstraint('session_id', 'theme_id', name=op.f('pk_session_themes'))
    )
    op.create_table('session_units',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['engagement_sessions.id'], name=op.f('fk_session_units_session_id_engagement_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['daycare_units.id'], name=op.f('fk_session_units_unit_id_daycare_units')),
    sa.PrimaryKeyConstraint('session_id', 'unit_id', name=op.f('pk_session_units'))
    )
    with op.batch_alter_table('engagement_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase_template', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('min_consultants', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('planned_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('hour_budget', sa.Numeric(precision=6, scale=2), nullable=True))
        batch_op.add_column(sa.Column('goals', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('documentation_form', sa.Text(), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_engagements_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagements_status'), ['status'], unique=False)

    themes = sa.table("themes", sa.column("code"), sa.column("group"), sa.column("position"),
                      sa.column("name_da"), sa.column("name_en"), sa.column("active"))
    op.bulk_insert(themes, [
        {"code": code, "group": group, "position": position, "name_da": name_da,
         "name_en": name_en, "active": True}
        for position, (group, code, name_da, name_en) in enumerate(THEMES, start=1)])
    engagement_types = sa.table("engagement_types", sa.column("code"),
                                sa.column("phase_template", sa.JSON),
                                sa.column("min_consultants"))
    for code, template in PHASE_TEMPLATES.items():
        op.execute(engagement_types.update().where(engagement_types.c.code == code).values(
            phase_template=template, min_consultants=MIN_CONSULTANTS[code]))
    # Cases opened before this migration take their type's hour budget.
    op.execute("UPDATE engagements SET hour_budget = (SELECT default_hours FROM engagement_types"
               " WHERE engagement_types.id = engagements.engagement_type_id)")


def downgrade():
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagements_status'))
        batch_op.drop_index(batch_op.f('ix_engagements_municipality_code'))
        batch_op.drop_column('documentation_form')
        batch_op.drop_column('goals')
        batch_op.drop_column('hour_budget')
        batch_op.drop_column('planned_end')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('version')

    with op.batch_alter_table('engagement_types', schema=None) as batch_op:
        batch_op.drop_column('min_consultants')
        batch_op.drop_column('phase_template')

    op.drop_table('session_units')
    op.drop_table('session_themes')
    op.drop_table('session_consultants')
    op.drop_table('engagement_themes')
    with op.batch_alter_table('engagement_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_status_changes_engagement_id'))

    op.drop_table('engagement_status_changes')
    with op.batch_alter_table('engagement_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_sessions_held_on'))
        batch_op.drop_index('ix_engagement_sessions_engagement_day')

    op.drop_table('engagement_sessions')
    with op.batch_alter_table('engagement_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_engagement_members_engagement_id'))

    op.drop_table('engagement_members')
    with op.batch_alter_table('engagement_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_contacts_engagement_id'))

    op.drop_table('engagement_contacts')
    op.drop_table('themes')
