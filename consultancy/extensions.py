"""Extensions, created unbound and bound to an app in `create_app`."""
import sqlite3
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints from day one: Alembic can only alter or drop what has a name,
# and SQLite's batch mode rebuilds tables by constraint name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()


def _local_moment(stored: str | None, zone: str) -> str | None:
    """SQLite's `local_moment(instant, zone)` (`models.types.local_moment`): a UTC instant
    as SQLAlchemy stores it, as the wall-clock time in `zone`, in the same text form."""
    if stored is None:
        return None
    instant = datetime.fromisoformat(stored).replace(tzinfo=timezone.utc)
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S.%f")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite enforces foreign keys only when asked, per connection; it knows no time zones,
    so it is given the one function that needs them."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_function("local_moment", 2, _local_moment, deterministic=True)
