"""The demo data: every state, both rounds, cases with teams and sessions, and the same data
on every load."""
import re
import shutil
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from consultancy import create_app, demo
from consultancy.admin.services import create_user
from consultancy.applications import queries
from consultancy.cli import DEMO_PASSWORD, DEMO_USERS
from consultancy.engagements.queries import case_budget
from consultancy.extensions import db
from consultancy.models import (
    ApplicantKind,
    Application,
    ApplicationStatus,
    Engagement,
    EngagementMember,
    EngagementSession,
    EngagementStatus,
    Ownership,
    Role,
    Round,
    SessionFormat,
    SessionStatus,
)
from consultancy.rules import engagements as case_rules
from consultancy.rules.applications import RoundState
from consultancy.services.clock import COPENHAGEN
from tests.conftest import ON_POSTGRES, _joined_transaction, app_config

TODAY = date(2026, 11, 23)
NOW = datetime.combine(TODAY, time(9, 30), tzinfo=COPENHAGEN)
DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.WAITLISTED, ApplicationStatus.REJECTED)


def add_reviewers() -> None:
    """The demo's Team Dagtilbud users and practice consultants, as `demo load` creates them."""
    for email, name, role in DEMO_USERS:
        if role in (Role.TEAM, Role.CONSULTANT):
            create_user(email, name, role, DEMO_PASSWORD)


def all_cases() -> list[Engagement]:
    return db.session.scalars(sa.select(Engagement).order_by(Engagement.reference).options(
        selectinload(Engagement.members), selectinload(Engagement.themes),
        selectinload(Engagement.status_changes),
        selectinload(Engagement.sessions))).all()


def everything() -> list:
    """The demo as plain values, for comparing two loads."""
    applications = db.session.scalars(queries.with_reviews(
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
    ] + [
        (e.reference, e.applicant_name, e.status.value, e.start_date, e.planned_end,
         e.hour_budget, e.goals, e.documentation_form, e.cancel_reason,
         sorted(t.theme.code for t in e.themes), sorted(u.unit.name for u in e.units),
         [(m.user.email, m.role.value, m.started_on, m.ended_on) for m in e.members],
         [(c.from_status, c.to_status, c.at, c.by.email if c.by else None, c.reason)
          for c in e.status_changes],
         [(s.held_on, s.status.value, s.hours, s.format.value, s.sub_format, s.leaders,
           s.pedagogical_staff, s.assistants, s.municipal_consultants, s.summary,
           s.next_steps, s.overrun, s.created_by.email,
           sorted(c.user.email for c in s.consultants), sorted(u.unit.name for u in s.units),
           sorted(t.theme.code for t in s.themes)) for s in e.sessions])
        for e in all_cases()
    ]


def counts() -> dict:
    def count(model) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))
    return {
        "rounds": count(Round), "engagements": count(Engagement),
        "members": count(EngagementMember), "sessions": count(EngagementSession),
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
    for heading in ("Applications", "Engagements", "Sessions"):
        summary_of = [line for line in first.output.splitlines() if line.startswith(heading)]
        assert summary_of and summary_of[0] in second.output.splitlines()
    assert re.search(r"^Engagements: \d+ \(planned \d+, active \d+, completed \d+, "
                     r"cancelled \d+\)$", first.output, re.MULTILINE)
    assert re.search(r"^Sessions: \d+ \(planned \d+, held \d+\)$", first.output, re.MULTILINE)


def test_the_demo_shows_a_living_system(app):
    with app.test_request_context():
        add_reviewers()
        summary = demo.load(TODAY, NOW)
        assert summary.created
        db.session.commit()

        applications = db.session.scalars(queries.with_reviews(sa.select(Application))).all()
        assert len(applications) >= 25
        assert {a.status for a in applications} == set(ApplicationStatus)
        assert summary.applications == {status: sum(a.status is status for a in applications)
                                        for status in ApplicationStatus}

        rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on)).all()
        assert [r.name for r in rounds] == ["Ansøgningsrunde forår 2026",
                                            "Ansøgningsrunde efterår 2026"]
        closed, open_ = rounds
        assert [queries.round_state_of(r, TODAY) for r in rounds] == [RoundState.CLOSED,
                                                                       RoundState.OPEN]
        assert (closed.capacity, open_.capacity) == (3, 4)
        assert all(r.engagement_type.code == "one_year" for r in rounds)
        assert all(r.planned_start > r.closes_on for r in rounds)
        assert all(r.criteria_set_id == queries.current_criteria_set().id for r in rounds)
        assert open_.opens_on < TODAY < open_.closes_on

        # The closed round is decided, and its ranking agrees with the decisions.
        in_closed = [a for a in applications if a.round_id == closed.id]
        assert {a.status for a in in_closed} >= set(DECIDED)
        assert all(a.status in (*DECIDED, ApplicationStatus.WITHDRAWN) for a in in_closed)
        ranked = queries.ranking(closed)
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
            assessment = queries.assess(application)
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
        assert any(queries.assess(a).disagreements for a in applications)

        engagements = all_cases()
        approved = [a for a in applications if a.status is ApplicationStatus.APPROVED]
        assert sorted(e.application_id for e in engagements if e.application_id) == \
            sorted(a.id for a in approved)
        assert all(re.fullmatch(r"FORL-\d{4}-\d{3}", e.reference) for e in engagements)
        assert summary.engagements == sorted(e.reference for e in engagements)
        check_cases(engagements, summary)

        again = demo.load(TODAY, NOW)
        assert not again.created and again.applications == summary.applications


CPR = re.compile(r"\b\d{6}-?\d{4}\b")


def check_cases(engagements: list[Engagement], summary: demo.DemoSummary) -> None:
    """About twenty cases in every status of both types, staffed, with realistic sessions."""
    assert 18 <= len(engagements) <= 24
    assert summary.cases == {status: sum(e.status is status for e in engagements)
                             for status in EngagementStatus}
    for status in EngagementStatus:
        assert {e.engagement_type.code for e in engagements if e.status is status} == \
            {"one_year", "mini"}, status
    assert any(e.start_date.year <= 2025 and e.application_id is None for e in engagements)
    for engagement in engagements:
        assert engagement.goals and engagement.documentation_form and engagement.themes
        path = [change.to_status for change in engagement.status_changes]
        assert path[0] is EngagementStatus.PLANNED and path[-1] is engagement.status
        assert all(change.at <= NOW for change in engagement.status_changes)
        if engagement.status is EngagementStatus.CANCELLED:
            assert engagement.cancel_reason
        if engagement.status in (EngagementStatus.ACTIVE, EngagementStatus.COMPLETED):
            assert EngagementStatus.ACTIVE in path and engagement.start_date <= TODAY
        for member in engagement.members:
            assert member.user.role is Role.CONSULTANT
        if engagement.engagement_type.code == "one_year" and \
                engagement.status is EngagementStatus.ACTIVE:
            assert len([m for m in engagement.members if m.ended_on is None]) == 2
        assert 1 <= len([m for m in engagement.members if m.ended_on is None]) <= 2
    # A team change: one membership ended, another started on the same case that day.
    assert any(any(m.ended_on == other.started_on for other in e.members if other is not m)
               for e in engagements for m in e.members if m.ended_on)
    assert len({m.user_id for e in engagements for m in e.members}) >= 4

    sessions = [s for e in engagements for s in e.sessions]
    assert len(sessions) >= 250
    assert summary.sessions == {status: sum(s.status is status for s in sessions)
                                for status in SessionStatus}
    assert {s.format for s in sessions} == set(SessionFormat)
    assert any(TODAY < s.held_on <= TODAY + timedelta(weeks=6) for s in sessions)
    for session in sessions:
        engagement = session.engagement
        assert (session.status is SessionStatus.HELD) == (session.held_on <= TODAY)
        assert case_rules.sub_format_allowed(session.format, session.sub_format)
        assert case_rules.is_quarter_hours(session.hours)
        assert session.consultants and session.units and session.themes
        on_case = {m.user_id for m in engagement.members
                   if m.started_on <= session.held_on
                   and (m.ended_on is None or m.ended_on >= session.held_on)}
        assert {c.user_id for c in session.consultants} <= on_case
        assert {u.unit_id for u in session.units} <= {u.unit_id for u in engagement.units}
        assert engagement.start_date <= session.held_on
        assert session.held_on.weekday() < 5
        if session.status is SessionStatus.HELD:
            assert session.summary and session.next_steps
            assert session.leaders + session.pedagogical_staff + session.assistants \
                + session.municipal_consultants > 0
        assert not CPR.search(session.summary + session.next_steps)
    # Mini cases: one near 80 % of its hours, one past its budget with the overrun logged.
    minis = [case_budget(e) for e in engagements if e.engagement_type.code == "mini"]
    assert all(b.budget == 10 for b in minis)
    assert any(b.nearly_used and not b.exceeded and b.share_used < 1 for b in minis)
    assert any(b.exceeded for b in minis)
    assert any(s.overrun for s in sessions)
    assert all(not s.overrun for e in engagements if e.hour_budget is None for s in e.sessions)


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
