"""Fixtures: an app on a freshly migrated database per test, clients per role, factories.

SQLite (default): migrations run once into a template file, copied for every test.
PostgreSQL (TEST_DATABASE_URL): migrations run once; every test runs inside a
transaction that is rolled back, the app's sessions joining it through savepoints.

The clock: every test starts at the same instant, `FROZEN_AT` (time-machine), and its
clock runs on from there, so no test depends on the day or the hour it is run at.
`TEST_NOW` moves that instant (ISO 8601; without an offset it is Copenhagen time), e.g.
`TEST_NOW=2026-12-31T23:59:30` runs the suite 30 seconds before a new year. `TODAY` is
that instant's day in Copenhagen: what `local_today()` answers inside a test.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import NamedTuple

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from consultancy import create_app
from consultancy.config import database_url
from consultancy.extensions import db
from consultancy.models import (
    DaycareUnit,
    EngagementStatus,
    EngagementType,
    MemberRole,
    Ownership,
    Role,
    SessionFormat,
    UnitKind,
    User,
)
from consultancy.services.clock import COPENHAGEN

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)
PASSWORD = "correct horse battery"
# Seconds a test waits for a thread or a process before it gives up: only so that a broken
# test ends. No test may depend on it elapsing, or race it: a loaded machine is slow.
HANG_TIMEOUT = 300


def frozen_at(text: str) -> datetime:
    """The instant `text` names; without an offset, in Copenhagen time."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=COPENHAGEN)


# A Wednesday in June: no month end, no clock change, no new year within weeks of it.
FROZEN_AT = frozen_at(os.environ.get("TEST_NOW") or "2026-06-17T10:00:00")
TODAY = FROZEN_AT.astimezone(COPENHAGEN).date()


@pytest.fixture(autouse=True)
def clock(request):
    """Every test starts at FROZEN_AT (the clock ticks on from there): the time-machine
    traveller, to `shift` or `move_to` in tests of time itself. Browser tests (e2e) run
    against a real server on the real clock and are left alone."""
    if request.node.get_closest_marker("e2e"):
        yield None
        return
    with time_machine.travel(FROZEN_AT, tick=True) as traveller:
        yield traveller


# What the public form /apply posts for a valid application (a municipality, one unit).
APPLICATION_FORM = {
    "engagement_type": "2", "applicant_kind": "municipality", "municipality": "773",
    "contact_name": "Mette Madsen", "contact_email": "mette@morsoe.example",
    "contact_phone": "12 34 56 78",
    "units-0-name": "Børnehuset Mælkebøtten", "units-0-kind": "integrated",
    "units-0-ownership": "municipal", "units-0-children": "58",
    "units-0-vulnerable_share": "32,5",
    "documented_need": "Vores egne data viser, at børn i udsatte positioner deltager for lidt.",
    "motivation": "Hele personalegruppen vil arbejde med læringsmiljøet.",
    "leadership_backing": "Dagtilbudschefen har afsat tid til forløbet.",
    "resource_hours_per_month": "6,5", "resource_participants": "Leder og tre pædagoger",
    "consent": "y",
}


def app_config(url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    return config


def migrate_database(url: str, instance_path: Path) -> None:
    app = create_app(app_config(url), instance_path=str(instance_path))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@contextmanager
def scratch_database(tmp_path, suffix: str = "migrations"):
    """An empty database of the kind under test, dropped afterwards: for tests that need
    several connections to see each other's commits."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / f'{suffix}.db'}"
        return
    url = make_url(database_url(TEST_DATABASE_URL))
    name = f"{url.database}_{suffix}"
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


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """The URL of a migrated database, or of the template to copy (SQLite)."""
    instance = tmp_path_factory.mktemp("instance")
    if ON_POSTGRES:
        url = database_url(TEST_DATABASE_URL)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    migrate_database(url, instance)
    return url


@contextmanager
def _joined_transaction(app):
    """Run the app's sessions inside one outer transaction that is rolled back."""
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        outer = connection.begin()
        db.session.configure(join_transaction_mode="create_savepoint")
        # Flask-SQLAlchemy's get_bind ignores session.bind; swap the engine it returns.
        db._app_engines[app][None] = connection
    try:
        yield connection
    finally:
        with app.app_context():
            db.session.remove()
        outer.rollback()
        connection.close()
        db._app_engines[app][None] = engine
        engine.dispose()


class BrowserClient(FlaskClient):
    """A test client is one browser; `app.test_client(user=user)` is a browser in which
    `user` has signed in, with a server-side session of its own."""

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None:
            return
        from consultancy.auth import sessions
        from consultancy.services.clock import utcnow

        with self.application.test_request_context():
            signed_in = db.session.get(User, user.id)
            sessions.start(signed_in, "127.0.0.1", "test client", utcnow())
            login_id = signed_in.get_id()
            db.session.commit()
        with self.session_transaction() as session:
            session["_user_id"] = login_id
            session["_fresh"] = True


def _app_for(url: str, instance: Path, **overrides):
    app = create_app(app_config(url, **overrides), instance_path=str(instance))
    app.test_client_class = BrowserClient
    return app


@pytest.fixture
def make_app(database, tmp_path):
    """Build apps on this test's database; several apps share it, like several workers."""
    if ON_POSTGRES:
        shared = {}

        @contextmanager
        def joined(app):
            with app.app_context():
                real = db.engine
                db._app_engines[app][None] = shared["connection"]
            try:
                yield
            finally:
                db._app_engines[app][None] = real
                real.dispose()

        with ExitStack() as stack:
            def build(**overrides):
                app = _app_for(database, tmp_path / "instance", **overrides)
                if "connection" not in shared:
                    shared["connection"] = stack.enter_context(_joined_transaction(app))
                else:
                    stack.enter_context(joined(app))
                return app
            yield build
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(database.removeprefix("sqlite:///"), path)
        apps = []

        def build(**overrides):
            app = _app_for(f"sqlite:///{path}", tmp_path / "instance", **overrides)
            apps.append(app)
            return app
        yield build
        for app in apps:
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a committed user; returns it detached with its columns loaded."""
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.CONSULTANT, *, email: str | None = None, name: str | None = None,
             password: str = PASSWORD, active: bool = True, language: str = "da") -> User:
        number = next(counter)
        with app.app_context():
            user = User(email=email or f"{role.value}{number}@example.dk",
                        name=name or f"{role.value.title()} {number}", role=role,
                        active=active, language=language)
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user
    return make


@pytest.fixture
def login_client(app, make_user):
    """A test client signed in as a new user of `role` (or as `user`)."""
    def login(role: Role = Role.CONSULTANT, user: User | None = None, **user_fields):
        user = user or make_user(role, **user_fields)
        client = app.test_client(user=user)
        client.user = user
        return client
    return login


@pytest.fixture
def admin_client(login_client):
    return login_client(Role.ADMIN)


@pytest.fixture
def team_client(login_client):
    return login_client(Role.TEAM)


@pytest.fixture
def consultant_client(login_client):
    return login_client(Role.CONSULTANT)


@pytest.fixture
def evaluator_client(login_client):
    return login_client(Role.EVALUATOR)


@pytest.fixture
def query_counter(app):
    """Counts the SQL statements run while the context is open."""
    @contextmanager
    def count():
        statements = []

        def record(_conn, _cursor, statement, *_args):
            statements.append(statement)
        sa.event.listen(sa.Engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(sa.Engine, "before_cursor_execute", record)
    return count


class CaseSession(NamedTuple):
    """A session for `build_case`: `day` in days from today (up to today it is held, after
    today planned, as the service judges), its hours, its format (with the format's first
    sub-format, if it has any) and its next steps."""
    day: int
    hours: Decimal | int | float | str = 2
    format: SessionFormat = SessionFormat.PRACTICE_MEETING
    next_steps: str = ""


def _day(value: date | int, today: date) -> date:
    return today + timedelta(days=value) if isinstance(value, int) else value


def build_case(app, *, type_code: str = "mini", municipality: int = 773,
               applicant: str = "Morsø Kommune", start: date | int | None = 0,
               status: EngagementStatus = EngagementStatus.PLANNED,
               hour_budget: Decimal | int | str | None = None, consultants: Iterable[User] = (),
               new_consultants: int = 0, joined_on: date | int | None = None,
               sessions: Iterable[CaseSession | tuple] = ()) -> int:
    """Open a case through the engagement services and commit it (which brings its flags
    up to date as of today); returns its id.

    Defaults: a planned mini course (its type's 10 hours) for Morsø Kommune (773) with one
    unit, "Børnehuset i <applicant>", starting today, with no team and nothing logged.

    - `start`: a date, days from today (0: today, -60: 60 days ago), or None for none.
    - `status`: reached from planned through active; a cancellation gives a reason.
    - `hour_budget`: None takes the type's.
    - `consultants`: existing consultants, put on the case; `new_consultants`: how many
      more to create ("Konsulent 1", … with the test password). The first leads, the
      others are co-consultants.
    - `joined_on`: the day they join, a date or days from today; by default the start
      day, or today when the case starts later or has no start date.
    - `sessions`: `CaseSession`s, or tuples of its fields, logged by the lead with every
      consultant taking part; hours past the budget are confirmed.
    """
    from consultancy.engagements import services
    from consultancy.rules.engagements import SUB_FORMATS
    from consultancy.services.clock import local_today, utcnow

    today = local_today()
    start = None if start is None else _day(start, today)
    with app.test_request_context():
        engagement_type = db.session.scalar(sa.select(EngagementType).where(
            EngagementType.code == type_code))
        unit = DaycareUnit(name=f"Børnehuset i {applicant}", municipality_code=municipality,
                           ownership=Ownership.MUNICIPAL, kind=UnitKind.INTEGRATED, children=40)
        engagement = services.create_case(
            engagement_type, municipality, applicant, start, [unit], None, utcnow(),
            hour_budget=None if hour_budget is None else Decimal(str(hour_budget)))
        team = [db.session.get(User, user.id) for user in consultants]
        for number in range(1, new_consultants + 1):
            user = User(email=f"konsulent{engagement.id}-{number}@example.dk",
                        name=f"Konsulent {number}", role=Role.CONSULTANT, active=True,
                        language="da")
            user.set_password(PASSWORD)
            db.session.add(user)
            team.append(user)
        db.session.flush()
        if joined_on is None:
            joined_on = today if start is None else min(start, today)
        for position, user in enumerate(team):
            services.assign_consultant(engagement, user,
                                       MemberRole.CO if position else MemberRole.LEAD,
                                       _day(joined_on, today))
        for session in (CaseSession(*fields) for fields in sessions):
            if not team:
                raise ValueError("build_case: sessions need a consultant on the case")
            services.log_session(engagement, services.SessionData(
                held_on=today + timedelta(days=session.day), hours=Decimal(str(session.hours)),
                format=session.format,
                sub_format=next(iter(SUB_FORMATS.get(session.format, ())), None),
                consultant_ids=[user.id for user in team], unit_ids=[unit.id],
                summary="Vi så på legen i garderoben.", next_steps=session.next_steps),
                team[0], today, confirm_overrun=True)
        if status is not EngagementStatus.PLANNED:
            services.change_status(engagement, EngagementStatus.ACTIVE, "", None, utcnow())
        if status not in (EngagementStatus.PLANNED, EngagementStatus.ACTIVE):
            services.change_status(
                engagement, status,
                "Kommunen trak sig." if status is EngagementStatus.CANCELLED else "", None,
                utcnow())
        db.session.commit()
        return engagement.id


@pytest.fixture
def make_case(app):
    """`build_case` on this test's app: `make_case(consultants=[user], sessions=[(-1, 2)])`."""
    return partial(build_case, app)


@pytest.fixture
def make_round(app):
    """An application round for the one-year type, open today unless told otherwise."""
    from datetime import timedelta

    from consultancy.applications.queries import current_criteria_set
    from consultancy.models import EngagementType, Round
    from consultancy.services.clock import local_today

    def make(name="Runde efterår", opens_in_days=-10, closes_in_days=20, capacity=2):
        today = local_today()
        with app.app_context():
            one_year = db.session.scalar(sa.select(EngagementType).where(
                EngagementType.code == "one_year"))
            round_ = Round(name=name, engagement_type=one_year,
                           opens_on=today + timedelta(days=opens_in_days),
                           closes_on=today + timedelta(days=closes_in_days),
                           capacity=capacity, planned_start=today + timedelta(days=60),
                           criteria_set=current_criteria_set())
            db.session.add(round_)
            db.session.commit()
            return round_.id
    return make


def application_data(**changes):
    """Valid application data for a municipality applying for a mini course."""
    from decimal import Decimal

    from consultancy.applications.services import ApplicationData, UnitData
    from consultancy.models import ApplicantKind, Ownership, UnitKind

    data = dict(
        engagement_type_id=2, applicant_kind=ApplicantKind.MUNICIPALITY, municipality_code=773,
        applicant_name=None, contact_name="Mette Madsen", contact_email="mette@morsoe.example",
        contact_phone="12345678", documented_need="Vi har brug for at styrke læringsmiljøet.",
        motivation="Personalet er motiveret.", leadership_backing="Ledelsen bakker op.",
        resource_hours_per_month=Decimal("6"), resource_participants="Leder og to pædagoger",
        consent=True,
        units=[UnitData(name="Børnehuset Mælkebøtten", kind=UnitKind.INTEGRATED,
                        ownership=Ownership.MUNICIPAL, children=60,
                        vulnerable_share=Decimal("30"))],
    )
    data.update(changes)
    return ApplicationData(**data)


@pytest.fixture
def make_application(app):
    """Submit an application through the service; returns its id."""
    from consultancy.applications import services
    from consultancy.models import Channel
    from consultancy.services.clock import local_today, utcnow

    def make(**changes) -> int:
        with app.test_request_context():
            application = services.submit(application_data(**changes), Channel.WEB, utcnow(),
                                          local_today())
            db.session.commit()
            return application.id
    return make


@pytest.fixture
def assert_constant_queries(query_counter):
    """Get `url` before and after `grow()` adds rows: the page must run as many queries.

    Returns the second page's text for further checks.
    """
    def check(client, url: str, grow) -> str:
        with query_counter() as few:
            assert client.get(url).status_code == 200
        grow()
        with query_counter() as many:
            page = client.get(url).get_data(as_text=True)
        assert len(many) == len(few), f"{url}: {len(few)} queries became {len(many)}"
        return page
    return check
