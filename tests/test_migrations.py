"""The migrations are the schema: they agree with the models and run both ways."""
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from consultancy import create_app
from consultancy.config import database_url
from consultancy.extensions import db
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, app_config


def test_models_and_migrations_agree(app):
    with app.app_context():
        context = MigrationContext.configure(db.session.connection(),
                                             opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


@contextmanager
def scratch_database(tmp_path):
    """An empty database of the kind under test, dropped afterwards."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = make_url(database_url(TEST_DATABASE_URL))
    name = f"{url.database}_migrations"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


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
