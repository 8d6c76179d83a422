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
