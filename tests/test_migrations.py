"""The migrations are the schema: they agree with the models and run both ways."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from consultancy import create_app
from consultancy.extensions import db
from tests.conftest import ON_POSTGRES, app_config, scratch_database


def test_models_and_migrations_agree(app):
    with app.app_context():
        context = MigrationContext.configure(db.session.connection(),
                                             opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_then_downgrade_to_base_and_back(tmp_path):
    with scratch_database(tmp_path) as url:
        app = create_app(app_config(url), instance_path=str(tmp_path / "instance"))
        with app.app_context():
            upgrade()
            assert {"users", "audit_entries", "throttle_events"} <= tables(db.engine)
            downgrade(revision="base")
            assert tables(db.engine) == set()
            upgrade()
            assert "users" in tables(db.engine)
            db.engine.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="the constraint check concerns SQLite's pragma")
def test_sqlite_enforces_foreign_keys(app):
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_the_figures_kept_on_a_case_are_filled_in_for_the_cases_there(tmp_path):
    """Migration 0009 adds hours used, last and next session to the cases and fills them in
    from the sessions already logged."""
    with scratch_database(tmp_path) as url:
        app = create_app(app_config(url), instance_path=str(tmp_path / "instance"))
        with app.app_context():
            upgrade(revision="0008")
            with db.engine.begin() as connection:
                run = connection.execute
                run(sa.text("INSERT INTO users (id, email, name, role, active, language, "
                            "password_hash, created_at) VALUES (1, 'k@example.dk', 'K', "
                            "'consultant', true, 'da', 'x', '2026-01-01 00:00:00')"))
                for case in (1, 2):
                    run(sa.text(
                        "INSERT INTO engagements (id, reference, year, number, "
                        "engagement_type_id, municipality_code, applicant_name, status, "
                        "created_at, goals, documentation_form, version) VALUES (:id, :ref, "
                        "2026, :id, 2, 773, 'Morsø', 'active', '2026-01-01 00:00:00', '[]', '', "
                        "1)"), {"id": case, "ref": f"FORL-2026-00{case}"})
                for day, status, hours in (("2026-03-01", "held", "2.5"),
                                           ("2026-03-09", "held", "1"),
                                           ("2026-05-01", "planned", "3"),
                                           ("2026-04-01", "planned", "2")):
                    run(sa.text(
                        "INSERT INTO engagement_sessions (engagement_id, status, held_on, hours, "
                        "format, leaders, pedagogical_staff, assistants, municipal_consultants, "
                        "summary, next_steps, overrun, created_by_id, created_at, version) "
                        "VALUES (1, :status, :day, :hours, 'theme_day', 0, 0, 0, 0, '', '', "
                        "false, 1, '2026-01-01 00:00:00', 1)"),
                        {"status": status, "day": day, "hours": hours})
            upgrade()
            rows = db.session.execute(sa.text(
                "SELECT id, hours_used, last_session_on, next_session_on FROM engagements "
                "ORDER BY id")).all()
            db.session.remove()
            db.engine.dispose()
    assert [(id_, float(hours), str(last), str(following))
            for id_, hours, last, following in rows] == [
        (1, 3.5, "2026-03-09", "2026-04-01"), (2, 0.0, "None", "None")]
