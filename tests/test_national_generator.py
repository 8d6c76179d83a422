"""The national-scale generator (tests/national, `make benchmark-national`) at a tiny scale:
its rows pass every constraint (COPY checks them), the sequences and reference counters are
moved past them, the derivation ran, the big cases have their sessions, and the pages the
benchmark measures answer. PostgreSQL only: the generator writes with COPY."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from consultancy import create_app
from consultancy.extensions import db
from consultancy.models import (
    Answer,
    Engagement,
    EngagementSession,
    EngagementStatus,
    JobRun,
    Response,
    Role,
    User,
)
from tests.conftest import ON_POSTGRES, TODAY, app_config, scratch_database
from tests.national import database, generate, pages

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="COPY needs PostgreSQL "
                                "(set TEST_DATABASE_URL)")

TINY = generate.SCALES["tiny"]


def test_the_generator_writes_consistent_data_the_pages_can_show(tmp_path, monkeypatch):
    with scratch_database(tmp_path, "national") as url:
        app = create_app(app_config(url), instance_path=str(tmp_path / "instance"))
        with app.app_context():
            upgrade()
            for role in (Role.TEAM, Role.EVALUATOR, Role.ADMIN):
                db.session.add(User(email=f"{role.value}@example.dk", name=role.value,
                                    role=role, password_hash="x"))
            db.session.commit()
            database.generate(url, "tiny", TODAY)
            big_cases = pages.big_cases()

            assert db.session.scalar(sa.select(sa.func.count(Engagement.id))) == TINY.cases
            sessions = db.session.scalar(sa.select(sa.func.count(EngagementSession.id)))
            assert abs(sessions - TINY.sessions) <= TINY.cases
            answers = db.session.scalar(sa.select(sa.func.count()).select_from(Answer))
            assert answers > 0
            assert db.session.scalar(sa.select(sa.func.count(Response.id))) * len(
                generate.default_version().items) == answers
            for table in generate.SEQUENCED:  # the next id is past every copied one
                following, highest = db.session.execute(sa.text(
                    f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')), "
                    f"(SELECT MAX(id) FROM {table})")).one()
                assert following > highest, table
            assert db.session.scalar(sa.text(
                "SELECT COUNT(*) FROM engagements e JOIN reference_counters c "
                "ON c.kind = 'FORL' AND c.year = e.year WHERE e.number > c.last")) == 0
            # Derived: the flag pass ran and gave every running case its phase.
            assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 1
            assert db.session.scalar(sa.select(sa.func.count(Engagement.id)).where(
                Engagement.status == EngagementStatus.ACTIVE, Engagement.phase.is_(None))) == 0
            assert sorted(big_cases) == sorted(TINY.big_cases)

            chosen = [page for page in pages.pages(big_cases)
                      if page.name in ("healthz (anchor)", "case overview",
                                       "overview sorted by hours", "evaluation summary")
                      or page.name.endswith("sessions")]
            users = pages.users_by_role(lead_of=big_cases[max(big_cases)])
            db.session.remove()
        monkeypatch.setattr(pages, "WARM_UPS", 0)
        monkeypatch.setattr(pages, "TIMED", 1)
        monkeypatch.setattr(pages, "MIN_TIMED", 1)
        measured = pages.measure(app, chosen, users)
        with app.app_context():
            db.engine.dispose()
    assert len(measured) == 7
    assert [m.status for m in measured] == [200] * 7
    assert all(m.statements >= 1 and m.rows >= 1 for m in measured)
    assert len(pages.table(measured)) == len(measured) + 1
