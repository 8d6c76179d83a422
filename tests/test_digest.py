"""The daily digest, sent to a real SMTP server on 127.0.0.1: who gets which flags, once,
in their language, and nothing personal."""
from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask_babel import force_locale

from consultancy.engagements import services
from consultancy.extensions import db
from consultancy.flags import texts
from consultancy.flags.digest import new_flags, recipients
from consultancy.flags.services import run_pass
from consultancy.models import (
    Application,
    DaycareUnit,
    Engagement,
    EngagementType,
    Flag,
    JobRun,
    MemberRole,
    Ownership,
    Role,
    RunStatus,
    SessionFormat,
    UnitKind,
    User,
)
from consultancy.scheduler import scheduled_pass
from consultancy.services.clock import utcnow
from tests.conftest import TODAY

SUMMARY = "Fortroligt referat om Emma og hendes mor"
NEXT_STEPS = "Ring til Lone om Emma"
CONTACT = ("Lone Leder", "lone@morsoe.example")
BASE_URL = "https://praksis.example/app"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict[str, list[EmailMessage]]:
        mails: dict[str, list[EmailMessage]] = {}
        for recipients_, message in self.received:
            for address in recipients_:
                mails.setdefault(address, []).append(message)
        return mails


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def app(make_app, smtp):
    return make_app(DIGEST_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                    MAIL_FROM="praksis@socialstyrelsen.example", BASE_URL=BASE_URL)


def make_case(app, consultants, applicant="Morsø Kommune", municipality=773) -> tuple[int, str]:
    """A mini course started 200 days ago with its kick-off held, a contact person and a
    confidential summary: by now it has open flags (no recent activity, overdue)."""
    start = TODAY - timedelta(days=200)
    with app.test_request_context():
        kind = db.session.scalar(sa.select(EngagementType).where(EngagementType.code == "mini"))
        unit = DaycareUnit(name="Børnehuset Mælkebøtten", municipality_code=municipality,
                           ownership=Ownership.MUNICIPAL, kind=UnitKind.INTEGRATED, children=60)
        engagement = services.create_case(kind, municipality, applicant, start, [unit], None,
                                          utcnow())
        people = [db.session.get(User, user.id) for user in consultants]
        for person in people:
            services.assign_consultant(engagement, person, MemberRole.LEAD, start)
        services.add_contact(engagement, CONTACT[0], "Dagtilbudsleder", CONTACT[1], "12345678",
                             None)
        services.log_session(engagement, services.SessionData(
            held_on=start + timedelta(days=5), hours=Decimal("2"), format=SessionFormat.KICKOFF,
            sub_format=None, consultant_ids=[people[0].id], unit_ids=[unit.id],
            summary=SUMMARY, next_steps=NEXT_STEPS), people[0], TODAY)
        db.session.commit()
        return engagement.id, engagement.reference


def log_long_session(app, engagement_id: int, consultant: User) -> None:
    """Nine more hours on a ten-hour course: the budget is exceeded (a new flag)."""
    with app.test_request_context():
        engagement = db.session.get(Engagement, engagement_id)
        services.log_session(engagement, services.SessionData(
            held_on=TODAY, hours=Decimal("9"), format=SessionFormat.KICKOFF, sub_format=None,
            consultant_ids=[consultant.id], unit_ids=[engagement.units[0].unit_id],
            summary=SUMMARY), db.session.get(User, consultant.id), TODAY, confirm_overrun=True)
        db.session.commit()


def overdue_application(app, make_application) -> tuple[int, str]:
    """An application waiting 30 days for a decision, flagged by the daily pass."""
    application_id = make_application()
    with app.app_context():
        db.session.execute(sa.update(Application).where(Application.id == application_id)
                           .values(submitted_at=utcnow() - timedelta(days=30)))
        db.session.commit()
        run_pass(TODAY)
        return application_id, db.session.get(Application, application_id).reference


def open_flags(app, engagement_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            sa.select(Flag.rule_code).where(Flag.engagement_id == engagement_id,
                                            Flag.resolved_on.is_(None))))


def rule_names(app, codes, language: str) -> list[str]:
    with app.app_context(), force_locale(language):
        return [texts.rule_name(code) for code in codes]


def digest(app) -> str:
    result = app.test_cli_runner().invoke(args=["flags", "digest"])
    assert result.exit_code == 0, result.output
    return result.output


def bodies(smtp) -> list[str]:
    return [message.get_content() for _to, message in smtp.received]


def test_each_person_gets_one_mail_about_the_new_flags_of_their_cases(
        app, smtp, make_user, make_application):
    karen, kasper = make_user(Role.CONSULTANT), make_user(Role.CONSULTANT)
    idle = make_user(Role.CONSULTANT)  # on no case: nothing to hear about
    gone = make_user(Role.CONSULTANT)  # on case A, then deactivated
    team = make_user(Role.TEAM, language="en")
    make_user(Role.TEAM, active=False), make_user(Role.ADMIN), make_user(Role.EVALUATOR)
    case_a, reference_a = make_case(app, [karen, gone])
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    case_b, reference_b = make_case(app, [kasper], "Vordingborg Kommune", 390)
    application_id, application_reference = overdue_application(app, make_application)
    flags_a, flags_b = open_flags(app, case_a), open_flags(app, case_b)
    assert flags_a and flags_b
    total = len(flags_a) + len(flags_b) + 1

    assert digest(app) == f"sent 3 mail(s) about {total} flag(s)\n"
    mails = smtp.by_recipient()
    assert sorted(mails) == sorted([karen.email, kasper.email, team.email])
    assert idle.email not in mails and gone.email not in mails

    [to_karen] = mails[karen.email]
    assert to_karen["Subject"] == f"Praksiskonsulent: {len(flags_a)} nye flag"
    assert to_karen["From"] == "praksis@socialstyrelsen.example"
    assert to_karen["Auto-Submitted"] == "auto-generated"
    assert to_karen["Content-Language"] == "da"
    body = to_karen.get_content()
    assert "Nye flag på dine sager siden sidste oversigt:" in body
    assert f"{reference_a} · Morsø Kommune" in body
    assert f"{BASE_URL}/engagements/{case_a}" in body
    assert all(name in body for name in rule_names(app, flags_a, "da"))
    assert reference_b not in body and application_reference not in body

    [to_kasper] = mails[kasper.email]
    assert to_kasper["Subject"] == f"Praksiskonsulent: {len(flags_b)} nye flag"
    assert reference_b in to_kasper.get_content() and reference_a not in to_kasper.get_content()

    [to_team] = mails[team.email]  # in English, as the team member chose
    assert to_team["Subject"] == f"Practice consultants: {total} new flags"
    body = to_team.get_content()
    assert "New flags since the last digest:" in body
    for text in (reference_a, reference_b, application_reference, "Vordingborg Kommune",
                 f"{BASE_URL}/engagements/{case_b}",
                 f"{BASE_URL}/applications/{application_id}"):
        assert text in body
    assert all(name in body for name in rule_names(app, flags_a + flags_b, "en"))

    # Nothing personal: no summary, next step, contact person, applicant's contact or name
    # of a colleague.
    for body in bodies(smtp):
        for secret in (SUMMARY, "Emma", NEXT_STEPS, *CONTACT, "Mette Madsen",
                       "mette@morsoe.example", karen.name, kasper.name, gone.name):
            assert secret not in body

    # Right after: nothing new, no mail.
    assert digest(app) == "sent 0 mail(s) about 0 flag(s)\n"
    assert len(smtp.received) == 3

    # A flag raised later goes to the people on that case and the team, alone.
    log_long_session(app, case_a, karen)
    assert "hours_exceeded" in open_flags(app, case_a)
    assert digest(app) == "sent 2 mail(s) about 1 flag(s)\n"
    later = smtp.by_recipient()
    assert len(later[karen.email]) == 2 and len(later[team.email]) == 2
    assert len(later[kasper.email]) == 1
    assert later[karen.email][1]["Subject"] == "Praksiskonsulent: 1 nyt flag"
    assert rule_names(app, ["hours_exceeded"], "da")[0] in later[karen.email][1].get_content()
    with app.app_context():
        statuses = db.session.scalars(sa.select(JobRun.status).where(JobRun.job == "digest"))
        assert list(statuses) == [RunStatus.DONE] * 3


def test_the_scheduler_sends_the_digest_after_the_pass(app, smtp, make_user):
    karen, team = make_user(Role.CONSULTANT), make_user(Role.TEAM)
    make_case(app, [karen])
    scheduled_pass(app)
    with app.app_context():
        jobs = db.session.execute(sa.select(JobRun.job, JobRun.status).order_by(JobRun.id))
        assert list(jobs) == [("flags", RunStatus.DONE), ("digest", RunStatus.DONE)]
    assert sorted(smtp.by_recipient()) == sorted([karen.email, team.email])


def test_a_switched_off_digest_sends_nothing(make_app, app, smtp, make_user):
    off = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)  # DIGEST_ENABLED is off
    karen = make_user(Role.CONSULTANT)
    make_case(app, [karen])
    result = off.test_cli_runner().invoke(args=["flags", "digest"])
    assert result.exit_code == 0
    assert "disabled" in result.output and "mail(s)" not in result.output
    scheduled_pass(off)
    assert smtp.received == []
    with app.app_context():
        assert list(db.session.scalars(sa.select(JobRun.job))) == ["flags"]


def test_a_failed_digest_is_recorded_and_the_next_one_sends_its_flags(make_app, app, smtp,
                                                                       make_user):
    karen = make_user(Role.CONSULTANT)
    make_case(app, [karen])
    broken = make_app(DIGEST_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
                      MAIL_TIMEOUT=5)
    result = broken.test_cli_runner().invoke(args=["flags", "digest"])
    assert result.exit_code == 1 and "the digest failed" in result.output
    with app.app_context():
        [run] = db.session.scalars(sa.select(JobRun).where(JobRun.job == "digest"))
        assert run.status is RunStatus.FAILED
    assert digest(app).startswith("sent 1 mail(s)")
    assert list(smtp.by_recipient()) == [karen.email]


def test_the_digest_is_gathered_with_the_same_queries_for_few_or_many_people(
        app, make_user, query_counter):
    since = utcnow() - timedelta(hours=1)

    def gather():
        with app.app_context(), query_counter() as statements:
            mails = recipients(new_flags(since, TODAY), TODAY)
        return len(statements), len(mails)

    make_case(app, [make_user(Role.CONSULTANT)])
    make_user(Role.TEAM)
    few = gather()
    for _ in range(3):
        make_case(app, [make_user(Role.CONSULTANT), make_user(Role.CONSULTANT)])
        make_user(Role.TEAM)
    many = gather()
    assert many[1] > few[1]
    assert many[0] == few[0], f"{few[0]} queries became {many[0]}"
