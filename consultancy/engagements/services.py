"""Engagement cases and their session logs. Callers own the transaction (they commit)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from consultancy.extensions import db
from consultancy.models import (
    DaycareUnit,
    Engagement,
    EngagementContact,
    EngagementMember,
    EngagementSession,
    EngagementStatus,
    EngagementStatusChange,
    EngagementTheme,
    EngagementType,
    EngagementUnit,
    MemberRole,
    Role,
    SessionConsultant,
    SessionFormat,
    SessionStatus,
    SessionTheme,
    SessionUnit,
    SubFormat,
    Theme,
    User,
)
from consultancy.models.engagements import held_hours
from consultancy.rules import engagements as rules
from consultancy.services import Refusal, check_version, take_new_version_if_changed
from consultancy.services.clock import local_zone
from consultancy.services.locking import hold
from consultancy.services.numbering import engagement_reference, next_number
from consultancy.web.i18n import format_number


class EngagementError(Refusal):
    """A rule of cases, their team or their sessions that the input breaks."""


class OverrunNotConfirmed(EngagementError):
    """The session would take the case past its hour budget and that was not confirmed."""


# --- cases -----------------------------------------------------------------------------

def create_case(engagement_type: EngagementType, municipality_code: int, applicant_name: str,
                start_date: date | None, units: list[DaycareUnit], actor: User | None,
                now: datetime, application=None, planned_end: date | None = None,
                hour_budget: Decimal | None = None) -> Engagement:
    """Open a case; length and hour budget come from the type unless given."""
    year = start_date.year if start_date else now.astimezone(local_zone()).year
    number = next_number("FORL", year)
    if planned_end is None and start_date is not None:
        planned_end = rules.add_months(start_date, engagement_type.default_length_months)
    engagement = Engagement(
        reference=engagement_reference(year, number), year=year, number=number,
        engagement_type=engagement_type, application=application,
        municipality_code=municipality_code, applicant_name=applicant_name.strip(),
        status=EngagementStatus.PLANNED, start_date=start_date, planned_end=planned_end,
        hour_budget=hour_budget if hour_budget is not None else engagement_type.default_hours,
        goals=[], documentation_form="",
        units=[EngagementUnit(unit=unit) for unit in units],
        status_changes=[EngagementStatusChange(
            from_status=None, to_status=EngagementStatus.PLANNED, at=now, by=actor)],
    )
    db.session.add(engagement)
    db.session.flush()
    return engagement


def update_case(engagement: Engagement, expected_version: int | None, *, start_date, planned_end,
                hour_budget, goals: list[str], documentation_form: str,
                theme_ids: list[int]) -> None:
    check_version(engagement, expected_version)
    if start_date and planned_end and planned_end < start_date:
        raise EngagementError(_("The planned end must come after the start."), "planned_end")
    if start_date and planned_end is None:
        planned_end = rules.add_months(start_date, engagement.engagement_type.default_length_months)
    engagement.start_date, engagement.planned_end = start_date, planned_end
    engagement.hour_budget = hour_budget
    engagement.goals = [goal.strip() for goal in goals if goal.strip()]
    engagement.documentation_form = (documentation_form or "").strip()
    wanted = set(theme_ids)
    engagement.themes = [t for t in engagement.themes if t.theme_id in wanted] + [
        EngagementTheme(theme_id=theme_id) for theme_id in sorted(
            wanted - {t.theme_id for t in engagement.themes})]
    take_new_version_if_changed(engagement)
    db.session.flush()


def change_status(engagement: Engagement, new: EngagementStatus, reason: str, actor: User,
                  now: datetime) -> None:
    if not rules.can_change_status(engagement.status, new):
        raise EngagementError(_("A case that is %(current)s cannot become %(new)s.",
                                current=engagement.status.label.lower(),
                                new=new.label.lower()), "status")
    if new is EngagementStatus.CANCELLED and not reason.strip():
        raise EngagementError(_("Give the reason for cancelling the case."), "reason")
    engagement.status_changes.append(EngagementStatusChange(
        from_status=engagement.status, to_status=new, at=now, by=actor,
        reason=reason.strip() or None))
    engagement.status = new
    if new is EngagementStatus.CANCELLED:
        engagement.cancel_reason = reason.strip()
    db.session.flush()


# --- the team --------------------------------------------------------------------------

def assign_consultant(engagement: Engagement, user: User, role: MemberRole,
                      started_on: date) -> EngagementMember:
    """Put a consultant on the case from `started_on` (today, or earlier for an old case)."""
    if user.role is not Role.CONSULTANT or not user.active:
        raise EngagementError(_("Only active practice consultants can be on a case."), "user")
    hold(engagement)  # the same consultant put on the case twice at once: the second is told
    if any(m.user_id == user.id and m.is_current(started_on) for m in engagement.members):
        raise EngagementError(_("%(name)s is already on the case.", name=user.name), "user")
    member = EngagementMember(user=user, role=role, started_on=started_on)
    engagement.members.append(member)
    db.session.flush()
    return member


def end_membership(member: EngagementMember, today: date) -> None:
    """Take a consultant off the case; the row stays, so the team's history is kept."""
    if member.ended_on is not None:
        raise EngagementError(_("%(name)s has already left the case.", name=member.user.name))
    member.ended_on = today
    db.session.flush()


# --- sessions --------------------------------------------------------------------------

@dataclass
class SessionData:
    held_on: date
    hours: Decimal
    format: SessionFormat
    sub_format: SubFormat | None
    consultant_ids: list[int]
    unit_ids: list[int]
    theme_ids: list[int] = field(default_factory=list)
    leaders: int = 0
    pedagogical_staff: int = 0
    assistants: int = 0
    municipal_consultants: int = 0
    summary: str = ""
    next_steps: str = ""


def budget_for_decision(engagement: Engagement, leave_out: EngagementSession | None = None
                        ) -> rules.Budget:
    """The case's budget as committed now, with the case held until the transaction ends.

    Every path that adds hours decides on this: of two consultants logging at the same
    moment, the second waits for the first to commit and then counts its hours, so it is
    asked to confirm an overrun instead of passing the budget silently.
    """
    hold(engagement, "hour_budget")
    criteria = [EngagementSession.engagement_id == engagement.id]
    if leave_out is not None:
        criteria.append(EngagementSession.id != leave_out.id)
    return rules.Budget(engagement.hour_budget, db.session.scalar(sa.select(held_hours(*criteria))))


def _check_session(engagement: Engagement, data: SessionData, today: date) -> SessionStatus:
    if not rules.is_quarter_hours(data.hours):
        raise EngagementError(_("Give the duration in quarter hours, e.g. 1.5 or 2.25."), "hours")
    if not rules.sub_format_allowed(data.format, data.sub_format):
        raise EngagementError(_("Choose a sub-format that belongs to the format."), "sub_format")
    if not data.consultant_ids:
        raise EngagementError(_("Choose at least one consultant."), "consultant_ids")
    unit_ids = {link.unit_id for link in engagement.units}
    if not set(data.unit_ids) <= unit_ids:
        raise EngagementError(_("Choose units that take part in the case."), "unit_ids")
    held = data.held_on <= today
    if held and not data.summary.strip():
        raise EngagementError(_("Write a summary of the session."), "summary")
    return SessionStatus.HELD if held else SessionStatus.PLANNED


def _apply(session: EngagementSession, data: SessionData, status: SessionStatus) -> None:
    session.status, session.held_on, session.hours = status, data.held_on, data.hours
    session.format, session.sub_format = data.format, data.sub_format
    session.leaders, session.pedagogical_staff = data.leaders, data.pedagogical_staff
    session.assistants, session.municipal_consultants = data.assistants, data.municipal_consultants
    session.summary, session.next_steps = data.summary.strip(), data.next_steps.strip()
    session.consultants = _relink(session.consultants, data.consultant_ids, "user_id",
                                  SessionConsultant)
    session.units = _relink(session.units, data.unit_ids, "unit_id", SessionUnit)
    session.themes = _relink(session.themes, data.theme_ids, "theme_id", SessionTheme)
    take_new_version_if_changed(session)


def _relink(links, wanted_ids, key: str, model):
    """Keep the links still wanted, add the new ones: unchanged links are not rewritten."""
    wanted = set(wanted_ids)
    kept = [link for link in links if getattr(link, key) in wanted]
    have = {getattr(link, key) for link in kept}
    return kept + [model(**{key: item}) for item in sorted(wanted - have)]


def _check_budget(engagement: Engagement, session: EngagementSession | None, data: SessionData,
                  status: SessionStatus, confirm_overrun: bool) -> bool:
    """True when the session is an overrun; refused unless the user confirmed it.

    Only added hours are judged: correcting an older session without adding hours keeps
    its overrun mark as it was, and asks nothing.
    """
    if status is not rules.HOURS_COUNTED:
        return False
    before = session.hours if session is not None and session.status is rules.HOURS_COUNTED \
        else Decimal(0)
    if session is not None and data.hours <= before:
        return session.overrun
    overrun = budget_for_decision(engagement, leave_out=session).would_exceed(data.hours)
    if overrun and not confirm_overrun:
        raise OverrunNotConfirmed(_(
            "This session takes the case past its budget of %(budget)s hours. Confirm to log "
            "it as an overrun.", budget=format_number(engagement.hour_budget)),
            "confirm_overrun")
    return overrun


def log_session(engagement: Engagement, data: SessionData, actor: User, today: date,
                confirm_overrun: bool = False) -> EngagementSession:
    status = _check_session(engagement, data, today)
    # Checked before the new session exists: attached to the case but not yet to the
    # session, it would make the autoflush of loading the case's sessions warn.
    overrun = _check_budget(engagement, None, data, status, confirm_overrun)
    session = EngagementSession(engagement=engagement, created_by=actor, overrun=overrun)
    _apply(session, data, status)
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: EngagementSession, data: SessionData, expected_version: int | None,
                   today: date, confirm_overrun: bool = False) -> None:
    check_version(session, expected_version)
    status = _check_session(session.engagement, data, today)
    session.overrun = _check_budget(session.engagement, session, data, status, confirm_overrun)
    _apply(session, data, status)
    db.session.flush()


def delete_session(session: EngagementSession, expected_version: int | None) -> None:
    check_version(session, expected_version)
    db.session.delete(session)
    db.session.flush()


def themes() -> list[Theme]:
    return list(db.session.scalars(sa.select(Theme).where(Theme.active)
                                   .order_by(Theme.group, Theme.position)))


# --- units and contacts ----------------------------------------------------------------

def add_unit(engagement: Engagement, unit: DaycareUnit) -> None:
    if unit.municipality_code != engagement.municipality_code:
        raise EngagementError(_("Choose a unit in the case's municipality."), "unit")
    if any(link.unit_id == unit.id for link in engagement.units):
        raise EngagementError(_("The unit already takes part."), "unit")
    engagement.units.append(EngagementUnit(unit=unit))
    db.session.flush()


def add_contact(engagement: Engagement, name: str, title: str, email: str, phone: str,
                unit_id: int | None) -> None:
    if unit_id is not None and unit_id not in {link.unit_id for link in engagement.units}:
        raise EngagementError(_("Choose one of the case's units."), "unit")
    engagement.contacts.append(EngagementContact(
        name=name.strip(), title=title.strip(), email=email.strip(), phone=phone.strip(),
        unit_id=unit_id))
    db.session.flush()


def remove_contact(engagement: Engagement, contact: EngagementContact) -> None:
    engagement.contacts.remove(contact)
    db.session.flush()
