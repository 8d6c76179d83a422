"""The demo data: every state, both rounds, engagements, and the same data on every load."""
import re
import shutil
from contextlib import contextmanager
from datetime import date, datetime, time

import sqlalchemy as sa

from consultancy import create_app, demo
from consultancy.admin.services import create_user
from consultancy.applications import services
from consultancy.extensions import db
from consultancy.models import (
    ApplicantKind, Application, ApplicationStatus, Engagement, Ownership, Role, Round,
)
from consultancy.rules.applications import RoundState
from consultancy.services.clock import COPENHAGEN
from tests.conftest import ON_POSTGRES, _joined_transaction, app_config

TODAY = date(2026, 11, 23)
NOW = datetime.combine(TODAY, time(9, 30), tzinfo=COPENHAGEN)
DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.WAITLISTED, ApplicationStatus.REJECTED)


def add_reviewers() -> None:
    create_user("team@demo.example", "Tove Team", Role.TEAM, "demo-praksis")
    create_user("team2@demo.example", "Tobias Team", Role.TEAM, "demo-praksis")


def everything() -> list:
    """The demo as plain values, for comparing two loads."""
    applications = db.session.scalars(services.with_reviews(
        sa.select(Application).order_by(Application.reference))).all()
    return [
        (a.reference, a.applicant_name, a.status.value, a.round.name if a.round else None,
         a.contact_name, a.contact_email, a.contact_phone, a.submitted_at, a.decided_at,
         a.decision_note, a.documented_need, a.motivation, a.leadership_backing,
         [(u.unit.name, u.children, u.vulnerable_share) for u in a.units],
         sorted((r.reviewer.email, r.assigned_at, r.submitted_at,
                 sorted((s.criterion.code, s.value, s.justification) for s in r.scores))
                for r in a.reviews))
        for a in applications
    ] + list(db.session.execute(sa.select(Engagement.reference, Engagement.applicant_name,
                                          Engagement.start_date).order_by(Engagement.reference)))


def counts() -> dict:
    return {
        "rounds": db.session.scalar(sa.select(sa.func.count()).select_from(Round)),
        "engagements": db.session.scalar(sa.select(sa.func.count()).select_from(Engagement)),
        **dict(db.session.execute(sa.select(Application.status, sa.func.count())
                                  .group_by(Application.status)).all()),
    }


def test_demo_load_twice_creates_the_data_once(app, runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Demo data created." in first.output
    assert "team2@demo.example" in first.output
    with app.app_context():
        after_first = counts()
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert "already loaded; nothing new created" in second.output
    with app.app_context():
        assert counts() == after_first
    summary_of = [line for line in first.output.splitlines() if line.startswith("Applications")]
    assert summary_of and summary_of[0] in second.output.splitlines()


def test_the_demo_shows_a_living_system(app):
    with app.test_request_context():
        add_reviewers()
        summary = demo.load(TODAY, NOW)
        assert summary.created
        db.session.commit()

        applications = db.session.scalars(services.with_reviews(sa.select(Application))).all()
        assert len(applications) >= 25
        assert {a.status for a in applications} == set(ApplicationStatus)
        assert summary.applications == {status: sum(a.status is status for a in applications)
                                        for status in ApplicationStatus}

        rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on)).all()
        assert [r.name for r in rounds] == ["Ansøgningsrunde forår 2026",
                                            "Ansøgningsrunde efterår 2026"]
        closed, open_ = rounds
        assert [services.round_state_of(r, TODAY) for r in rounds] == [RoundState.CLOSED,
                                                                       RoundState.OPEN]
        assert (closed.capacity, open_.capacity) == (3, 4)
        assert all(r.engagement_type.code == "one_year" for r in rounds)
        assert all(r.planned_start > r.closes_on for r in rounds)
        assert all(r.criteria_set_id == services.current_criteria_set().id for r in rounds)
        assert open_.opens_on < TODAY < open_.closes_on

        # The closed round is decided, and its ranking agrees with the decisions.
        in_closed = [a for a in applications if a.round_id == closed.id]
        assert {a.status for a in in_closed} >= set(DECIDED)
        assert all(a.status in (*DECIDED, ApplicationStatus.WITHDRAWN) for a in in_closed)
        ranked = services.ranking(closed)
        assert [r.application.status for r in ranked if r.within_capacity] == \
            [ApplicationStatus.APPROVED] * closed.capacity
        for application in in_closed:
            assert application.round.opens_on <= \
                application.submitted_at.astimezone(COPENHAGEN).date() <= \
                application.round.closes_on

        # Mini applications come without a round, some from a self-owned or private daycare.
        mini = [a for a in applications if a.engagement_type.code == "mini"]
        assert mini and all(a.round_id is None for a in mini)
        institutions = [a for a in mini if a.applicant_kind is ApplicantKind.INSTITUTION]
        assert {u.unit.ownership for a in institutions for u in a.units} == \
            {Ownership.SELF_OWNED, Ownership.PRIVATE}

        for application in applications:
            assert application.contact_email.endswith(".example")
            assert len(re.sub(r"\D", "", application.contact_phone)) == 8
            assert all(5 <= u.vulnerable_share <= 60 for u in application.units)
            assert application.submitted_at <= NOW
            assessment = services.assess(application)
            if application.status in DECIDED:
                assert assessment.submitted_reviews == 2
                assert application.decided_by.role is Role.TEAM
                assert application.decision_note
                assert all(s.justification for r in application.reviews for s in r.scores)
                assert application.decided_at <= NOW
            if application.status is ApplicationStatus.APPROVED:
                assert assessment.total >= 80 and assessment.minimums_met
            if application.status is ApplicationStatus.REJECTED:
                assert assessment.minimums_met is False
            if application.status is ApplicationStatus.UNDER_REVIEW:
                assert 1 <= len(application.reviews) <= 2
        under_review = [a for a in applications if a.status is ApplicationStatus.UNDER_REVIEW]
        submitted_reviews = [r.submitted_at is not None for a in under_review for r in a.reviews]
        assert any(submitted_reviews) and not all(submitted_reviews)
        assert any(services.assess(a).disagreements for a in applications)

        engagements = db.session.scalars(sa.select(Engagement)).all()
        approved = [a for a in applications if a.status is ApplicationStatus.APPROVED]
        assert sorted(e.application_id for e in engagements) == sorted(a.id for a in approved)
        assert all(re.fullmatch(r"FORL-\d{4}-\d{3}", e.reference) for e in engagements)
        assert summary.engagements == sorted(e.reference for e in engagements)

        again = demo.load(TODAY, NOW)
        assert not again.created and again.applications == summary.applications


@contextmanager
def fresh_app(database: str, directory):
    """An app on an empty, migrated database of its own (a rolled-back one on PostgreSQL)."""
    directory.mkdir()
    if ON_POSTGRES:
        app = create_app(app_config(database), instance_path=str(directory))
        with _joined_transaction(app):
            yield app
        return
    path = directory / "test.db"
    shutil.copyfile(database.removeprefix("sqlite:///"), path)
    app = create_app(app_config(f"sqlite:///{path}"), instance_path=str(directory))
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def test_two_empty_databases_get_the_same_demo(database, tmp_path):
    loaded = []
    for name in ("first", "second"):
        with fresh_app(database, tmp_path / name) as app, app.test_request_context():
            add_reviewers()
            demo.load(TODAY, NOW)
            db.session.commit()
            loaded.append(everything())
    first, second = loaded
    assert len(first) > 25
    assert first == second
