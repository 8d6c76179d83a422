"""Application rounds, criteria, applications, reviews and scores."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultancy.enums import ApplicantKind, ApplicationStatus, Channel, RoundState, set_labels
from consultancy.extensions import db
from consultancy.models.audit import Json
from consultancy.models.reference import DaycareUnit, EngagementType, Municipality
from consultancy.models.types import UTCDateTime, enum_column
from consultancy.models.users import User
from consultancy.services.clock import utcnow

if TYPE_CHECKING:
    from consultancy.models.engagements import Engagement


set_labels({
    ApplicantKind.MUNICIPALITY: _l("Municipality"),
    ApplicantKind.INSTITUTION: _l("Self-owned or private daycare"),
})
set_labels({
    ApplicationStatus.SUBMITTED: _l("Submitted"),
    ApplicationStatus.UNDER_REVIEW: _l("Under review"),
    ApplicationStatus.APPROVED: _l("Approved"),
    ApplicationStatus.WAITLISTED: _l("Waitlisted"),
    ApplicationStatus.REJECTED: _l("Rejected"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
})
set_labels({
    Channel.WEB: _l("Public form"),
    Channel.STAFF: _l("Registered by staff"),
    Channel.IMPORT: _l("Imported"),
})
set_labels({
    RoundState.UPCOMING: _l("Upcoming"),
    RoundState.OPEN: _l("Open"),
    RoundState.CLOSED: _l("Closed"),
})


class CriteriaSet(db.Model):
    """A version of the eligibility criteria; once scored against, it is never changed."""

    __tablename__ = "criteria_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # Pre-screen hint: a unit share of vulnerable families at or above this is "high".
    vulnerable_share_threshold: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="criteria_set", order_by="Criterion.position", lazy="selectin")


class Criterion(db.Model):
    __tablename__ = "criteria"
    __table_args__ = (
        sa.UniqueConstraint("criteria_set_id", "code"),
        sa.CheckConstraint("minimum BETWEEN 0 AND 3", name="minimum"),
        sa.CheckConstraint("weight > 0", name="weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    criteria_set_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria_sets.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(32))
    name_da: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    description_da: Mapped[str] = mapped_column(sa.Text)
    description_en: Mapped[str] = mapped_column(sa.Text)
    # What each score 0-3 means: {"da": [four texts], "en": [four texts]}
    anchors: Mapped[dict] = mapped_column(Json)
    weight: Mapped[int]
    minimum: Mapped[int]
    # Ties in a round's ranking are broken by the mean score of this criterion.
    breaks_ties: Mapped[bool] = mapped_column(default=False)

    criteria_set: Mapped[CriteriaSet] = relationship(back_populates="criteria")

    def name(self, language: str) -> str:
        return self.name_da if language == "da" else self.name_en

    def description(self, language: str) -> str:
        return self.description_da if language == "da" else self.description_en


class Round(db.Model):
    """A half-yearly application round for a type with round intake."""

    __tablename__ = "rounds"
    __table_args__ = (
        sa.CheckConstraint("closes_on >= opens_on", name="dates"),
        sa.CheckConstraint("capacity >= 0", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    engagement_type_id: Mapped[int] = mapped_column(sa.ForeignKey("engagement_types.id"))
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    capacity: Mapped[int]
    planned_start: Mapped[date | None]
    criteria_set_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria_sets.id"))

    engagement_type: Mapped[EngagementType] = relationship(lazy="joined")
    criteria_set: Mapped[CriteriaSet] = relationship(lazy="joined")


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (sa.UniqueConstraint("year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    year: Mapped[int]
    number: Mapped[int]
    engagement_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagement_types.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    criteria_set_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria_sets.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "application_status"), index=True,
        default=ApplicationStatus.SUBMITTED)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    applicant_kind: Mapped[ApplicantKind] = mapped_column(
        enum_column(ApplicantKind, "applicant_kind"))
    applicant_name: Mapped[str] = mapped_column(sa.String(160))
    municipality_code: Mapped[int] = mapped_column(
        sa.ForeignKey("municipalities.code"), index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(120))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    contact_phone: Mapped[str] = mapped_column(sa.String(32))
    documented_need: Mapped[str] = mapped_column(sa.Text)
    motivation: Mapped[str] = mapped_column(sa.Text)
    leadership_backing: Mapped[str] = mapped_column(sa.Text)
    resource_hours_per_month: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    resource_participants: Mapped[str] = mapped_column(sa.Text)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The random token the form carried when it was rendered: the same form sent twice
    # (a double click, a resend) finds this application instead of making another.
    submission_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)

    engagement_type: Mapped[EngagementType] = relationship(lazy="joined")
    municipality: Mapped[Municipality] = relationship(lazy="joined")
    round: Mapped[Round | None] = relationship()
    criteria_set: Mapped[CriteriaSet] = relationship()
    decided_by: Mapped[User | None] = relationship()
    units: Mapped[list[ApplicationUnit]] = relationship(
        back_populates="application", order_by="ApplicationUnit.position",
        cascade="all, delete-orphan")
    reviews: Mapped[list[Review]] = relationship(
        back_populates="application", cascade="all, delete-orphan")
    engagement: Mapped[Engagement | None] = relationship(back_populates="application")


class ApplicationUnit(db.Model):
    """A unit taking part, with the figures the application gave for it."""

    __tablename__ = "application_units"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "unit_id"),
        sa.CheckConstraint("vulnerable_share BETWEEN 0 AND 100", name="vulnerable_share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("daycare_units.id"), index=True)
    position: Mapped[int]
    children: Mapped[int]
    vulnerable_share: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))

    application: Mapped[Application] = relationship(back_populates="units")
    unit: Mapped[DaycareUnit] = relationship(lazy="joined")


class Review(db.Model):
    """A reviewer assigned to an application; `submitted_at` is set when the scores are final."""

    __tablename__ = "reviews"
    __table_args__ = (sa.UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship(lazy="joined")
    scores: Mapped[list[Score]] = relationship(
        back_populates="review", cascade="all, delete-orphan", lazy="selectin")


class Score(db.Model):
    __tablename__ = "scores"
    __table_args__ = (
        sa.UniqueConstraint("review_id", "criterion_id"),
        sa.CheckConstraint("value BETWEEN 0 AND 3", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"), index=True)
    value: Mapped[int]
    justification: Mapped[str] = mapped_column(sa.Text)

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()
