"""Flags: what needs attention on a case or an application, and the rules that raise them."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultancy.enums import FlagEventKind, Severity, set_labels
from consultancy.extensions import db
from consultancy.models.audit import Json
from consultancy.models.types import UTCDateTime, enum_column
from consultancy.models.users import User
from consultancy.services.clock import utcnow

set_labels({
    Severity.INFO: _l("Information"),
    Severity.WARNING: _l("Warning"),
    Severity.CRITICAL: _l("Critical"),
})
set_labels({
    FlagEventKind.ACKNOWLEDGED: _l("Acknowledged"),
    FlagEventKind.SNOOZED: _l("Snoozed"),
})

SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


class FlagRule(db.Model):
    """The settings of one rule (its condition is code in `consultancy.flags.catalogue`).

    `params` holds the thresholds; `type_params` overrides them per engagement type code,
    e.g. {"mini": {"days": 30}}.
    """

    __tablename__ = "flag_rules"

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    position: Mapped[int]
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, "severity"))
    enabled: Mapped[bool] = mapped_column(default=True)
    params: Mapped[dict] = mapped_column(Json, default=dict, server_default="{}")
    type_params: Mapped[dict] = mapped_column(Json, default=dict, server_default="{}")

    def params_for(self, engagement_type: str | None) -> dict:
        return {**self.params, **self.type_params.get(engagement_type or "", {})}


class Flag(db.Model):
    """One rule holding for one case or application, from the day it was raised until it
    stopped holding. At most one open flag per rule and subject (partial unique indexes)."""

    __tablename__ = "flags"
    __table_args__ = (
        sa.CheckConstraint("(engagement_id IS NULL) <> (application_id IS NULL)",
                           name="one_subject"),
        sa.Index("uq_flags_open_engagement", "rule_code", "engagement_id", unique=True,
                 postgresql_where=sa.text("resolved_on IS NULL"),
                 sqlite_where=sa.text("resolved_on IS NULL")),
        sa.Index("uq_flags_open_application", "rule_code", "application_id", unique=True,
                 postgresql_where=sa.text("resolved_on IS NULL"),
                 sqlite_where=sa.text("resolved_on IS NULL")),
        sa.Index("ix_flags_open", "resolved_on", "engagement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_code: Mapped[str] = mapped_column(sa.ForeignKey("flag_rules.code"))
    engagement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    raised_on: Mapped[date]
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    resolved_on: Mapped[date | None]
    # What made the rule hold when it was raised, e.g. {"since": "2026-09-01"}.
    detail: Mapped[dict] = mapped_column(Json, default=dict, server_default="{}")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    acknowledgement: Mapped[str | None] = mapped_column(sa.Text)
    # Hidden from the lists until this day; it comes back then if it still holds.
    snoozed_until: Mapped[date | None]

    rule: Mapped[FlagRule] = relationship(lazy="joined")
    acknowledged_by: Mapped[User | None] = relationship(lazy="joined")
    events: Mapped[list[FlagEvent]] = relationship(
        back_populates="flag", cascade="all, delete-orphan", lazy="selectin",
        order_by="[FlagEvent.at, FlagEvent.id]")

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    # The states of a flag, each said once for Python (a loaded flag, a template) and for
    # SQL (`Flag.snoozed(today)` in a where-clause). The SQL forms are written for NULLs:
    # a flag never snoozed is awake, and NOT of these must say so too.

    @hybrid_property
    def is_open(self) -> bool:
        return self.resolved_on is None

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        return cls.resolved_on.is_(None)

    @hybrid_method
    def snoozed(self, today: date) -> bool:
        """Hidden until a later day (on `snoozed_until` itself it is back)."""
        return self.snoozed_until is not None and self.snoozed_until > today

    @snoozed.inplace.expression
    @classmethod
    def _snoozed_expression(cls, today: date):
        return sa.and_(cls.snoozed_until.is_not(None), cls.snoozed_until > today)

    @hybrid_method
    def shown(self, today: date) -> bool:
        """Open and not snoozed: in the lists, on the case and in the digest."""
        return self.is_open and not self.snoozed(today)

    @shown.inplace.expression
    @classmethod
    def _shown_expression(cls, today: date):
        return sa.and_(cls.is_open, sa.not_(cls.snoozed(today)))

    @hybrid_method
    def needs_attention(self, today: date) -> bool:
        """Shown and not yet acknowledged: what the bell counts."""
        return self.shown(today) and self.acknowledged_at is None

    @needs_attention.inplace.expression
    @classmethod
    def _needs_attention_expression(cls, today: date):
        return sa.and_(cls.shown(today), cls.acknowledged_at.is_(None))


class FlagEvent(db.Model):
    """What a person did with a flag: acknowledged it with a comment, or snoozed it."""

    __tablename__ = "flag_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(sa.ForeignKey("flags.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[FlagEventKind] = mapped_column(enum_column(FlagEventKind, "flag_event_kind"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    snoozed_until: Mapped[date | None]

    flag: Mapped[Flag] = relationship(back_populates="events")
    by: Mapped[User] = relationship(lazy="joined")
