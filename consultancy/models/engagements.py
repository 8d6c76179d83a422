"""Engagement cases (forløb). Kept minimal here; the engagement issue deepens them."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultancy.extensions import db
from consultancy.models.applications import Application
from consultancy.models.reference import DaycareUnit, EngagementType, Municipality
from consultancy.models.types import LabelledEnum, UTCDateTime, enum_column, set_labels, utcnow

class EngagementStatus(LabelledEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


set_labels({
    EngagementStatus.PLANNED: _l("Planned"),
    EngagementStatus.ACTIVE: _l("Active"),
    EngagementStatus.COMPLETED: _l("Completed"),
    EngagementStatus.CANCELLED: _l("Cancelled"),
})


class Engagement(db.Model):
    __tablename__ = "engagements"
    __table_args__ = (sa.UniqueConstraint("year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    year: Mapped[int]
    number: Mapped[int]
    engagement_type_id: Mapped[int] = mapped_column(sa.ForeignKey("engagement_types.id"))
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id"), unique=True)
    municipality_code: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.code"))
    applicant_name: Mapped[str] = mapped_column(sa.String(160))
    status: Mapped[EngagementStatus] = mapped_column(
        enum_column(EngagementStatus, "engagement_status"), default=EngagementStatus.PLANNED)
    start_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement_type: Mapped[EngagementType] = relationship(lazy="joined")
    municipality: Mapped[Municipality] = relationship(lazy="joined")
    application: Mapped[Application | None] = relationship(back_populates="engagement")
    units: Mapped[list[EngagementUnit]] = relationship(
        back_populates="engagement", cascade="all, delete-orphan")


class EngagementUnit(db.Model):
    """A daycare unit taking part in an engagement (a record of its own, so it is audited)."""

    __tablename__ = "engagement_units"

    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("daycare_units.id"), primary_key=True)

    engagement: Mapped[Engagement] = relationship(back_populates="units")
    unit: Mapped[DaycareUnit] = relationship(lazy="joined")
