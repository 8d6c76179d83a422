"""The statement timeout of web requests (consultancy.web.timeouts), on the database under
test: a page whose statement runs past STATEMENT_TIMEOUT_MS answers 503 with a message in
the user's language and its transaction is rolled back, the site answers on; the CLI and
the scheduler (no request) run without a limit; a view can name a longer setting."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from consultancy.extensions import db
from consultancy.models import DaycareUnit, Ownership, UnitKind
from consultancy.security.permissions import public
from consultancy.web.timeouts import request_timeout_ms, statement_timeout
from tests.conftest import ON_POSTGRES

# Seconds of work for the database, however fast the machine: a sleep on PostgreSQL, a
# long count on SQLite (about ten million steps a second).
if ON_POSTGRES:
    SLOW = "SELECT pg_sleep(30)"
    BRIEF = "SELECT pg_sleep(0.3)"
else:
    COUNT = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
             "SELECT count(*) FROM n")
    SLOW = COUNT.format(500_000_000)
    BRIEF = COUNT.format(2_000_000)
UNIT = "Tidsgrænsens børnehus"


@pytest.fixture
def timed_app(make_app):
    """An app whose requests may run 20 ms statements, with views that run longer ones."""
    app = make_app(STATEMENT_TIMEOUT_MS=20, EXPORT_STATEMENT_TIMEOUT_MS=60_000,
                   TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @public
    def slow():
        db.session.add(DaycareUnit(name=UNIT, municipality_code=773,
                                   ownership=Ownership.MUNICIPAL, kind=UnitKind.KINDERGARTEN,
                                   children=1))
        db.session.flush()
        db.session.execute(sa.text(SLOW))
        db.session.commit()
        return "done"

    @public
    @statement_timeout("EXPORT_STATEMENT_TIMEOUT_MS")
    def long_export():
        db.session.execute(sa.text(BRIEF))
        return "exported"

    @public
    def brief():
        db.session.execute(sa.text(BRIEF))
        return "done"

    @public
    def lost_connection():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    for view in (slow, long_export, brief, lost_connection):
        app.add_url_rule(f"/test/{view.__name__}", view_func=view)
    return app


def test_a_page_past_the_timeout_answers_503_in_danish_and_is_rolled_back(timed_app):
    client = timed_app.test_client()
    response = client.get("/test/slow")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "tog for lang tid" in page and "navbar" in page
    assert "Traceback" not in page
    with timed_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DaycareUnit)
                                 .where(DaycareUnit.name == UNIT)) == 0
    assert client.get("/healthz").status_code == 200  # and the site answers on


def test_the_timeout_message_in_english(timed_app):
    client = timed_app.test_client()
    with client.session_transaction() as session:
        session["language"] = "en"
    response = client.get("/test/slow")
    assert response.status_code == 503
    assert "took too long to prepare" in response.get_data(as_text=True)


def test_a_brief_statement_is_stopped_in_a_request_but_not_outside_one(timed_app):
    assert timed_app.test_client().get("/test/brief").status_code == 503
    with timed_app.app_context():  # the CLI and the scheduler: no limit
        db.session.execute(sa.text(BRIEF))


def test_a_view_can_take_a_longer_setting(timed_app):
    response = timed_app.test_client().get("/test/long_export")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "exported"


def test_other_database_errors_are_still_errors(timed_app, monkeypatch):
    monkeypatch.setattr(timed_app.logger, "disabled", True)  # the traceback is expected
    response = timed_app.test_client().get("/test/lost_connection")
    assert response.status_code == 500
    assert "Noget gik galt" in response.get_data(as_text=True)


def test_without_a_setting_there_is_no_limit(make_app):
    app = make_app(STATEMENT_TIMEOUT_MS=0)

    @public
    def brief():
        db.session.execute(sa.text(BRIEF))
        return "done"
    app.add_url_rule("/test/brief", view_func=brief)
    assert app.test_client().get("/test/brief").status_code == 200


@pytest.mark.parametrize("url", ["/evaluation/export/download", "/api/v1/effect-data",
                                 "/api/v1/activity", "/engagements/sessions/export.csv"])
def test_the_exports_run_under_the_longer_limit(timed_app, url):
    """An export of a million answers reads for tens of seconds: past the pages' limit."""
    with timed_app.test_request_context(url):
        assert request_timeout_ms() == 60_000
    with timed_app.test_request_context("/engagements/"):
        assert request_timeout_ms() == 20
