"""The daily digest: one mail per person about the flags raised since the last digest.

A consultant hears about the new flags of the cases they are on; Team Dagtilbud about all
new flags, applications waiting for a decision included. Someone with nothing new gets no
mail. A mail names a case only by its reference and its applicant (a municipality or an
institution) and links to it: never a contact person, a note or a session summary.

New flags: raised since the start of the last digest that went out (the first: the last
24 hours), still open and not snoozed. A digest that fails is recorded as failed, so the
next one covers its flags again. Off unless `DIGEST_ENABLED`.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from itertools import groupby
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _, ngettext

from consultancy.extensions import db
from consultancy.flags import texts
from consultancy.models import (
    Application,
    Engagement,
    EngagementMember,
    Flag,
    FlagRule,
    JobRun,
    Role,
    Severity,
    User,
)
from consultancy.services.jobs import last_run, run_job

log = logging.getLogger("consultancy.digest")

FIRST_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class NewFlag:
    """A new flag and the little a mail may say about its subject."""
    id: int
    rule_code: str
    detail: dict
    severity: Severity
    engagement_id: int | None
    application_id: int | None
    reference: str
    applicant: str


def _describe(flag: NewFlag) -> tuple[str, str]:
    """The rule's name and the flag's message, in the current language."""
    return texts.rule_name(flag.rule_code), texts.message(flag)


def new_flags(since: datetime, today: date) -> list[NewFlag]:
    """The flags raised since `since` that are still open and not snoozed (one query),
    ordered by subject and then as the rules are ordered."""
    reference = sa.func.coalesce(Engagement.reference, Application.reference).label("reference")
    applicant = sa.func.coalesce(Engagement.applicant_name,
                                 Application.applicant_name).label("applicant")
    rows = db.session.execute(
        sa.select(Flag.id, Flag.rule_code, Flag.detail, FlagRule.severity, Flag.engagement_id,
                  Flag.application_id, reference, applicant)
        .join(FlagRule, FlagRule.code == Flag.rule_code)
        .outerjoin(Engagement, Engagement.id == Flag.engagement_id)
        .outerjoin(Application, Application.id == Flag.application_id)
        .where(Flag.raised_at >= since, Flag.shown(today))
        .order_by(reference, FlagRule.position, Flag.id))
    return [NewFlag(row.id, row.rule_code, row.detail or {}, row.severity, row.engagement_id,
                    row.application_id, row.reference, row.applicant) for row in rows]


def recipients(flags: list[NewFlag], today: date) -> list[tuple[User, list[NewFlag]]]:
    """Who hears about which of `flags` (two queries, whatever the number of people):
    active team users about all of them, active consultants about those of the cases they
    are on `today`. People with nothing to hear about are left out."""
    if not flags:
        return []
    users = db.session.scalars(
        sa.select(User).where(User.active, User.role.in_((Role.TEAM, Role.CONSULTANT)))
        .order_by(User.id)).all()
    cases_of: dict[int, set[int]] = defaultdict(set)
    for user_id, engagement_id in db.session.execute(
            sa.select(EngagementMember.user_id, EngagementMember.engagement_id)
            .join(User, User.id == EngagementMember.user_id)
            .where(EngagementMember.is_current(today), User.active, User.role == Role.CONSULTANT)):
        cases_of[user_id].add(engagement_id)
    result = []
    for user in users:
        if user.role is Role.TEAM:
            theirs = flags
        else:
            theirs = [flag for flag in flags if flag.engagement_id in cases_of[user.id]]
        if theirs:
            result.append((user, theirs))
    return result


def _link_builder():
    """Absolute links to a case or an application, starting with `BASE_URL`."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "http")

    def link(flag: NewFlag) -> str:
        if flag.engagement_id is not None:
            return adapter.build("engagements.case", {"engagement_id": flag.engagement_id},
                                 force_external=True)
        return adapter.build("applications.detail", {"application_id": flag.application_id},
                             force_external=True)
    return link


def _body(user: User, flags: list[NewFlag], link) -> str:
    if user.role is Role.TEAM:
        lines = [_("New flags since the last digest:")]
    else:
        lines = [_("New flags on your cases since the last digest:")]
    for (reference, applicant), group in groupby(flags, key=lambda f: (f.reference,
                                                                       f.applicant)):
        group = list(group)
        lines += ["", f"{reference} · {applicant}"]
        for flag in group:
            name, message = _describe(flag)
            line = f"  {texts.severity_mark(flag.severity)} {flag.severity.label}: {name}"
            lines.append(f"{line}. {message}" if message else line)
        lines.append(f"  {link(group[0])}")
    lines += ["", "-- ",
              _("A mail is sent each morning when there are new flags. All open flags are "
                "listed in the application.")]
    return "\n".join(lines) + "\n"


def compose(user: User, flags: list[NewFlag], link) -> EmailMessage:
    """One person's mail about their new flags, in their language."""
    config = current_app.config
    with force_locale(user.language or "da"):
        subject = ngettext("Practice consultants: %(num)d new flag",
                           "Practice consultants: %(num)d new flags", len(flags))
        body = _body(user, flags, link)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = user.email
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2]
                                       or "localhost")
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies, please
    message.set_content(body, cte="quoted-printable")
    message["Content-Language"] = user.language or "da"  # after set_content, which clears it
    return message


def deliver(mails: list[tuple[EmailMessage, list[NewFlag], int]]) -> tuple[int, set[int]]:
    """Send the mails over one SMTP connection. A recipient the server refuses is logged
    and skipped; any other failure stops the digest. Returns (mails sent, flag ids in
    them)."""
    if not mails:
        return 0, set()
    config = current_app.config
    sent, flag_ids = 0, set()
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                      timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        for message, flags, user_id in mails:
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused:
                log.warning("digest: the mail server refused a recipient",
                            extra={"fields": {"job": "digest", "user_id": user_id}})
                continue
            sent += 1
            flag_ids.update(flag.id for flag in flags)
    return sent, flag_ids


def send_digest(now: datetime, today: date) -> dict:
    """Mail everyone their new flags. Returns {"mails": sent, "flags": flags in them}.
    The work of the "digest" job: call it through `run_digest`."""
    previous = last_run("digest")
    since = previous.started_at if previous else now - FIRST_WINDOW
    flags = new_flags(since, today)
    link = _link_builder()
    mails = [(compose(user, theirs, link), theirs, user.id)
             for user, theirs in recipients(flags, today)]
    sent, flag_ids = deliver(mails)
    return {"mails": sent, "flags": len(flag_ids)}


def run_digest(now: datetime, today: date) -> JobRun | None:
    """The digest as the job "digest" (once at a time, recorded), or None when digests are
    switched off. A failure is recorded and raised."""
    if not current_app.config["DIGEST_ENABLED"]:
        return None
    return run_job("digest", today, lambda: send_digest(now, today))
