"""Engagement cases (forløb): the team on them, their themes, contacts and logged sessions."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from consultancy.enums import (
    EngagementStatus,
    MemberRole,
    SessionFormat,
    SessionStatus,
    SubFormat,
    ThemeGroup,
    set_labels,
)
from consultancy.extensions import db
from consultancy.models.applications import Application
from consultancy.models.audit import Json
from consultancy.models.flags import Flag

if TYPE_CHECKING:
    from consultancy.models.evaluation import Response
from consultancy.models.reference import DaycareUnit, EngagementType, Municipality
from consultancy.models.types import UTCDateTime, enum_column
from consultancy.models.users import User
from consultancy.rules.engagements import HOURS_COUNTED, PLANNED
from consultancy.services.clock import utcnow

set_labels({
    EngagementStatus.PLANNED: _l("Planned"),
    EngagementStatus.ACTIVE: _l("Active"),
    EngagementStatus.COMPLETED: _l("Completed"),
    EngagementStatus.CANCELLED: _l("Cancelled"),
})
set_labels({
    MemberRole.LEAD: _l("Lead consultant"),
    MemberRole.CO: _l("Co-consultant"),
})
set_labels({
    ThemeGroup.FOCUS: _l("Focus themes of the initiative"),
    ThemeGroup.FOUNDATION: _l("Common pedagogical foundation"),
    ThemeGroup.CURRICULUM: _l("Curriculum themes"),
    ThemeGroup.OTHER: _l("Other themes"),
})
set_labels({
    SessionFormat.PRACTICE_MEETING: _l("Practice meeting"),
    SessionFormat.LEADERSHIP_SPARRING: _l("Leadership sparring"),
    SessionFormat.CONSULTANT_SPARRING: _l("Sparring with municipal consultants"),
    SessionFormat.THEME_DAY: _l("Theme day"),
    SessionFormat.KICKOFF: _l("Kick-off meeting"),
    SessionFormat.MIDWAY_STATUS: _l("Midway status"),
    SessionFormat.EVALUATION_MEETING: _l("Evaluation meeting"),
    SessionFormat.OTHER: _l("Other"),
})
set_labels({
    SubFormat.SIDE_BY_SIDE: _l("Side by side in daily practice"),
    SubFormat.PRESENTATION: _l("Professional presentation"),
    SubFormat.INTERNAL_MEETING: _l("Taking part in an internal meeting"),
    SubFormat.FORMAL_INDIVIDUAL: _l("Formal, individual"),
    SubFormat.FORMAL_GROUP: _l("Formal, group"),
    SubFormat.INFORMAL_INDIVIDUAL: _l("Informal, individual"),
    SubFormat.INFORMAL_GROUP: _l("Informal, group"),
    SubFormat.FORMAL: _l("Formal"),
    SubFormat.INFORMAL: _l("Informal"),
})
set_labels({
    SessionStatus.PLANNED: _l("Planned"),
    SessionStatus.HELD: _l("Held"),
})


class Theme(db.Model):
    """The controlled vocabulary of themes; administrators may add to it."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(48), unique=True)
    group: Mapped[ThemeGroup] = mapped_column(enum_column(ThemeGroup, "theme_group"))
    position: Mapped[int]
    name_da: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)

    def name(self, language: str) -> str:
        return self.name_da if language == "da" else self.name_en


class Engagement(db.Model):
    __tablename__ = "engagements"
    __table_args__ = (sa.UniqueConstraint("year", "number"),)
    # A save based on an older version is refused instead of silently overwriting.
    version: Mapped[int] = mapped_column(server_default="1")
    __mapper_args__ = {"version_id_col": version}
    # Figures of its sessions (below): the sessions' own entries say what changed.
    __audit_ignored__ = frozenset({"hours_used", "last_session_on", "next_session_on",
                                   "consultant_hours"})

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    year: Mapped[int]
    number: Mapped[int]
    engagement_type_id: Mapped[int] = mapped_column(sa.ForeignKey("engagement_types.id"))
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id"), unique=True)
    municipality_code: Mapped[int] = mapped_column(
        sa.ForeignKey("municipalities.code"), index=True)
    applicant_name: Mapped[str] = mapped_column(sa.String(160))
    status: Mapped[EngagementStatus] = mapped_column(
        enum_column(EngagementStatus, "engagement_status"), default=EngagementStatus.PLANNED,
        index=True)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    start_date: Mapped[date | None]
    planned_end: Mapped[date | None]
    hour_budget: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    goals: Mapped[list] = mapped_column(Json, default=list, server_default="[]")
    documentation_form: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The phase code of the type's template the case is in, kept by the flag pass (and by
    # every change to the case); None for a cancelled case.
    phase: Mapped[str | None] = mapped_column(sa.String(32))
    # What its sessions add up to (`case_activity`), kept in the transaction that changes
    # them (`engagements.activity.refresh_activity`), so lists read them without summing.
    hours_used: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2), default=0,
                                                server_default="0")
    """Session hours held on the case, which count against its hour budget."""
    last_session_on: Mapped[date | None]
    """The day of its last session held."""
    next_session_on: Mapped[date | None]
    """The day of its earliest planned session (one whose day has passed is due)."""

    engagement_type: Mapped[EngagementType] = relationship(lazy="joined")
    municipality: Mapped[Municipality] = relationship(lazy="joined")
    application: Mapped[Application | None] = relationship(back_populates="engagement")
    units: Mapped[list[EngagementUnit]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan")
    members: Mapped[list[EngagementMember]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan",
        order_by="[EngagementMember.started_on, EngagementMember.id]")
    themes: Mapped[list[EngagementTheme]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan")
    contacts: Mapped[list[EngagementContact]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan",
        order_by="EngagementContact.id")
    sessions: Mapped[list[EngagementSession]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan",
        order_by="[EngagementSession.held_on, EngagementSession.id]")
    status_changes: Mapped[list[EngagementStatusChange]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan",
        order_by="[EngagementStatusChange.at, EngagementStatusChange.id]")
    phase_changes: Mapped[list[EngagementPhaseChange]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan", passive_deletes=True,
        order_by="[EngagementPhaseChange.entered_on, EngagementPhaseChange.id]")
    responses: Mapped[list[Response]] = relationship(
        viewonly=True, order_by="[Response.responded_on, Response.id]")
    flags: Mapped[list[Flag]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="[Flag.raised_on, Flag.id]")


class EngagementUnit(db.Model):
    """A daycare unit taking part in an engagement (a record of its own, so it is audited)."""

    __tablename__ = "engagement_units"

    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("daycare_units.id"), primary_key=True)

    engagement: Mapped[Engagement] = relationship(back_populates="units")
    unit: Mapped[DaycareUnit] = relationship(lazy="joined")


class EngagementTheme(db.Model):
    __tablename__ = "engagement_themes"

    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("themes.id"), primary_key=True)

    engagement: Mapped[Engagement] = relationship(back_populates="themes")
    theme: Mapped[Theme] = relationship(lazy="joined")


def is_current_member(started_on: date, ended_on: date | None, today: date) -> bool:
    """On the case from the start day; off it from the day the membership ended."""
    return started_on <= today and (ended_on is None or ended_on > today)


class EngagementMember(db.Model):
    """A consultant on the case; a change of team ends one row and starts another."""

    __tablename__ = "engagement_members"
    __table_args__ = (sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on",
                                         name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole, "member_role"))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]

    engagement: Mapped[Engagement] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")

    @hybrid_method
    def is_current(self, today: date) -> bool:
        """On the case on `today`: on a loaded member in Python, in a query as SQL (the two
        sides are tested to agree)."""
        return is_current_member(self.started_on, self.ended_on, today)

    @is_current.inplace.expression
    @classmethod
    def _is_current_expression(cls, today: date) -> sa.ColumnElement[bool]:
        return sa.and_(cls.started_on <= today,
                       sa.or_(cls.ended_on.is_(None), cls.ended_on > today))


class EngagementContact(db.Model):
    """A contact person at the municipality or at one of the units."""

    __tablename__ = "engagement_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("daycare_units.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    title: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(32), default="")

    engagement: Mapped[Engagement] = relationship(back_populates="contacts")
    unit: Mapped[DaycareUnit | None] = relationship(lazy="joined")


class EngagementStatusChange(db.Model):
    __tablename__ = "engagement_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[EngagementStatus | None] = mapped_column(
        enum_column(EngagementStatus, "from_status"))
    to_status: Mapped[EngagementStatus] = mapped_column(enum_column(EngagementStatus,
                                                                    "to_status"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(sa.Text)

    engagement: Mapped[Engagement] = relationship(back_populates="status_changes")
    by: Mapped[User | None] = relationship(lazy="joined")


class EngagementPhaseChange(db.Model):
    """The case entered `phase` on `entered_on` (the day the change was noticed)."""

    __tablename__ = "engagement_phase_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    from_phase: Mapped[str | None] = mapped_column(sa.String(32))
    phase: Mapped[str | None] = mapped_column(sa.String(32))
    entered_on: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="phase_changes")


class EngagementSession(db.Model):
    """A session logged (or planned) on a case. Hours are the session's own length."""

    __tablename__ = "engagement_sessions"
    __table_args__ = (
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours"),
        sa.CheckConstraint("leaders >= 0 AND pedagogical_staff >= 0 AND assistants >= 0 "
                           "AND municipal_consultants >= 0", name="participants"),
        sa.Index("ix_engagement_sessions_engagement_day", "engagement_id", "held_on"),
        # Holds every column the flag pass and the kept figures (`case_activity`)
        # aggregate, so they read no session row.
        sa.Index("ix_engagement_sessions_case_facts", "engagement_id", "status", "held_on",
                 "format", "hours"),
    )
    version: Mapped[int] = mapped_column(server_default="1")
    __mapper_args__ = {"version_id_col": version}

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"))
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.HELD)
    held_on: Mapped[date] = mapped_column(index=True)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    format: Mapped[SessionFormat] = mapped_column(enum_column(SessionFormat, "session_format"))
    sub_format: Mapped[SubFormat | None] = mapped_column(enum_column(SubFormat, "sub_format"))
    leaders: Mapped[int] = mapped_column(default=0)
    pedagogical_staff: Mapped[int] = mapped_column(default=0)
    assistants: Mapped[int] = mapped_column(default=0)
    municipal_consultants: Mapped[int] = mapped_column(default=0)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    next_steps: Mapped[str] = mapped_column(sa.Text, default="")
    # Logged although it took the case past its hour budget (confirmed by the consultant).
    overrun: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="sessions")
    created_by: Mapped[User] = relationship()
    consultants: Mapped[list[SessionConsultant]] = relationship(
        back_populates="session", cascade="all, delete-orphan", lazy="selectin")
    units: Mapped[list[SessionUnit]] = relationship(
        back_populates="session", cascade="all, delete-orphan", lazy="selectin")
    themes: Mapped[list[SessionTheme]] = relationship(
        back_populates="session", cascade="all, delete-orphan", lazy="selectin")


class SessionConsultant(db.Model):
    __tablename__ = "session_consultants"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagement_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)

    session: Mapped[EngagementSession] = relationship(back_populates="consultants")
    user: Mapped[User] = relationship(lazy="joined")


class SessionUnit(db.Model):
    __tablename__ = "session_units"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagement_sessions.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("daycare_units.id"), primary_key=True)

    session: Mapped[EngagementSession] = relationship(back_populates="units")
    unit: Mapped[DaycareUnit] = relationship(lazy="joined")


class SessionTheme(db.Model):
    __tablename__ = "session_themes"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagement_sessions.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("themes.id"), primary_key=True)

    session: Mapped[EngagementSession] = relationship(back_populates="themes")
    theme: Mapped[Theme] = relationship(lazy="joined")


CONSULTANTS_PRESENT = sa.func.coalesce(sa.select(sa.func.nullif(sa.func.count(), 0)).where(
    SessionConsultant.session_id == EngagementSession.id).scalar_subquery(), 1)
"""The consultants at a session, counted as one when none is recorded."""

COUNTS = EngagementSession.status == HOURS_COUNTED
"""A session whose hours count against the case's hour budget (`rules.engagements`)."""


def held_hours(*criteria, measure=EngagementSession.hours) -> sa.ScalarSelect:
    """The hours of the held sessions meeting `criteria`, 0 without any: what counts against
    an hour budget (planned sessions do not). The one sum of hours, correlated to the query
    it is used in (a case, a consultant); `measure` weighs each session's hours."""
    return (sa.select(sa.func.coalesce(sa.func.sum(measure), 0))
            .where(COUNTS, *criteria)
            .correlate_except(EngagementSession).scalar_subquery())


def case_activity() -> sa.Select:
    """Per case, what its sessions add up to, as the columns of the same names kept on it:
    `hours_used` (the sum `held_hours` makes), `last_session_on` (the last day held) and
    `next_session_on` (the earliest day planned). Every case has a row, those without
    sessions too; narrow it with a where-clause on `Engagement.id`."""
    session = EngagementSession
    return (sa.select(
        Engagement.id.label("engagement_id"),
        sa.func.coalesce(sa.func.sum(sa.case((COUNTS, session.hours))), 0).label("hours_used"),
        sa.func.max(sa.case((COUNTS, session.held_on))).label("last_session_on"),
        sa.func.min(sa.case((session.status == PLANNED, session.held_on)))
        .label("next_session_on"))
        .outerjoin(session, session.engagement_id == Engagement.id)
        .group_by(Engagement.id))


# Loaded only when asked for (`undefer`): the case page shows it, no list does.
Engagement.consultant_hours = column_property(
    held_hours(EngagementSession.engagement_id == Engagement.id,
               measure=EngagementSession.hours * CONSULTANTS_PRESENT), deferred=True)
"""Session hours times the consultants present, shown beside the budget."""
