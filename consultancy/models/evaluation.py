"""Evaluation: versioned instruments (self-assessment or observation), and the responses
given against them at an occasion (before, midway, after, follow-up) by a respondent known
only by role and a generated code."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultancy.enums import (
    InstrumentKind,
    MissingCode,
    Occasion,
    RespondentRole,
    VersionStatus,
    set_labels,
)
from consultancy.extensions import db
from consultancy.models.audit import Json
from consultancy.models.engagements import Engagement, Theme
from consultancy.models.reference import DaycareUnit
from consultancy.models.types import UTCDateTime, enum_column
from consultancy.models.users import User
from consultancy.services.clock import utcnow

set_labels({
    InstrumentKind.SELF_ASSESSMENT: _l("Self-assessment"),
    InstrumentKind.OBSERVATION: _l("Observation"),
})
set_labels({
    VersionStatus.DRAFT: _l("Draft"),
    VersionStatus.PUBLISHED: _l("Published"),
})
set_labels({
    Occasion.BASELINE: _l("Baseline (before)"),
    Occasion.MIDWAY: _l("Midway"),
    Occasion.END: _l("End (after)"),
    Occasion.FOLLOW_UP: _l("Follow-up"),
})
set_labels({
    RespondentRole.LEADER: _l("Leader"),
    RespondentRole.PEDAGOGUE: _l("Pedagogue"),
    RespondentRole.ASSISTANT: _l("Pedagogical assistant"),
    RespondentRole.MUNICIPAL_CONSULTANT: _l("Municipal consultant"),
    RespondentRole.OBSERVER: _l("Observer"),
})
set_labels({
    MissingCode.NOT_RELEVANT: _l("Not relevant"),
    MissingCode.DONT_KNOW: _l("Don't know"),
})


class Instrument(db.Model):
    """An instrument over its versions; the kind is fixed, so kinds are never pooled."""

    __tablename__ = "instruments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[InstrumentKind] = mapped_column(enum_column(InstrumentKind, "instrument_kind"))
    name_da: Mapped[str] = mapped_column(sa.String(160))
    name_en: Mapped[str] = mapped_column(sa.String(160))
    # The instrument summaries and exports use when none is asked for.
    is_default: Mapped[bool] = mapped_column(default=False)

    versions: Mapped[list[InstrumentVersion]] = relationship(
        back_populates="instrument", order_by="InstrumentVersion.number")

    def name(self, language: str) -> str:
        return self.name_da if language == "da" else self.name_en


class InstrumentVersion(db.Model):
    """One version of an instrument: its scale, dimensions and items. Published versions
    never change (responses point at them); a change is a new version."""

    __tablename__ = "instrument_versions"
    __table_args__ = (
        sa.UniqueConstraint("instrument_id", "number"),
        sa.CheckConstraint("scale_min = 1 AND scale_max >= 5 AND scale_max <= 7", name="scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"))
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(enum_column(VersionStatus, "version_status"),
                                                  default=VersionStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    # Labels of the scale points: {"1": {"da": "...", "en": "..."}, ...}
    anchors: Mapped[dict] = mapped_column(Json, default=dict, server_default="{}")

    instrument: Mapped[Instrument] = relationship(back_populates="versions", lazy="joined")
    dimensions: Mapped[list[Dimension]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Dimension.position")
    items: Mapped[list[Item]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Item.position")

    @property
    def label(self) -> str:
        """As exports name it, e.g. `egenvurdering-v1`."""
        return f"{self.instrument.code}-v{self.number}"

    @property
    def published(self) -> bool:
        return self.status is VersionStatus.PUBLISHED


class Dimension(db.Model):
    __tablename__ = "instrument_dimensions"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("instrument_versions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(48))
    position: Mapped[int]
    name_da: Mapped[str] = mapped_column(sa.String(160))
    name_en: Mapped[str] = mapped_column(sa.String(160))

    version: Mapped[InstrumentVersion] = relationship(back_populates="dimensions")

    def name(self, language: str) -> str:
        return self.name_da if language == "da" else self.name_en


class Item(db.Model):
    __tablename__ = "instrument_items"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("instrument_versions.id", ondelete="CASCADE"), index=True)
    dimension_id: Mapped[int] = mapped_column(
        sa.ForeignKey("instrument_dimensions.id", ondelete="CASCADE"))
    # Stable across versions (e.g. LM1): the same code means the same question.
    code: Mapped[str] = mapped_column(sa.String(16))
    position: Mapped[int]
    text_da: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text)
    # Agreement means a worse state: flipped (min + max - value) before scoring.
    reverse_coded: Mapped[bool] = mapped_column(default=False)

    version: Mapped[InstrumentVersion] = relationship(back_populates="items")
    dimension: Mapped[Dimension] = relationship(lazy="joined")
    themes: Mapped[list[ItemTheme]] = relationship(
        back_populates="item", cascade="all, delete-orphan", lazy="selectin")

    def text(self, language: str) -> str:
        return self.text_da if language == "da" else self.text_en


class ItemTheme(db.Model):
    """The themes of DOMAIN.md an item speaks to, so summaries can be cut by theme."""

    __tablename__ = "instrument_item_themes"

    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("instrument_items.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("themes.id"), primary_key=True)

    item: Mapped[Item] = relationship(back_populates="themes")
    theme: Mapped[Theme] = relationship(lazy="joined")


class Response(db.Model):
    """One respondent's answers at one occasion for one unit of a case. The respondent is
    known only by role and a generated code, never by name; the same code at two
    occasions is the same person."""

    __tablename__ = "evaluation_responses"
    __table_args__ = (
        sa.UniqueConstraint("engagement_id", "occasion", "respondent_code",
                            "instrument_version_id"),
        sa.Index("ix_evaluation_responses_case", "engagement_id", "occasion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("daycare_units.id"))
    instrument_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("instrument_versions.id"), index=True)
    occasion: Mapped[Occasion] = mapped_column(enum_column(Occasion, "occasion"))
    respondent_role: Mapped[RespondentRole] = mapped_column(
        enum_column(RespondentRole, "respondent_role"))
    respondent_code: Mapped[str] = mapped_column(sa.String(16))
    responded_on: Mapped[date]
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement: Mapped[Engagement] = relationship()
    unit: Mapped[DaycareUnit] = relationship(lazy="joined")
    instrument_version: Mapped[InstrumentVersion] = relationship(lazy="joined")
    entered_by: Mapped[User | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", lazy="selectin")


class Answer(db.Model):
    """A value on the instrument's scale, or a missing code instead: never both."""

    __tablename__ = "evaluation_answers"
    __table_args__ = (
        sa.CheckConstraint("(value IS NULL) <> (missing_code IS NULL)", name="value_or_missing"),
    )

    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation_responses.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument_items.id"), primary_key=True)
    value: Mapped[int | None]
    missing_code: Mapped[MissingCode | None] = mapped_column(
        enum_column(MissingCode, "missing_code"))

    response: Mapped[Response] = relationship(back_populates="answers")
    item: Mapped[Item] = relationship(lazy="joined")


class CaseScore(db.Model):
    """Derived: the moments of a case's unit scores on one instrument, overall (dimension
    "") and per dimension code, so the effect summary sums a row per case instead of reading
    every answer. A unit's score at an occasion is the mean of its respondents' means
    (`rules.statistics`); a unit scored at baseline and at end is a matched pair. Over the
    case's matched pairs: the sums of the scores before and after and of the changes, and the
    sums of squared deviations from the case's own means (combined across cases exactly,
    Chan et al.); the pairs improved, unchanged and worse; the units measured at one occasion
    only. Recomputed for a case with its answers, in the same transaction, by
    `evaluation.services.refresh_case_scores`."""

    __tablename__ = "evaluation_case_scores"
    __audited__ = False  # derived from the answers, which are audited

    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), primary_key=True)
    instrument_id: Mapped[int] = mapped_column(
        sa.ForeignKey("instruments.id", ondelete="CASCADE"), primary_key=True)
    dimension: Mapped[str] = mapped_column(sa.String(48), primary_key=True)
    n_matched: Mapped[int]
    n_before_only: Mapped[int]
    n_after_only: Mapped[int]
    sum_before: Mapped[float | None] = mapped_column(sa.Float)
    sum_after: Mapped[float | None] = mapped_column(sa.Float)
    sum_change: Mapped[float | None] = mapped_column(sa.Float)
    squares_before: Mapped[float | None] = mapped_column(sa.Float)
    squares_after: Mapped[float | None] = mapped_column(sa.Float)
    squares_change: Mapped[float | None] = mapped_column(sa.Float)
    n_improved: Mapped[int]
    n_unchanged: Mapped[int]
    n_worse: Mapped[int]
    sum_before_only: Mapped[float | None] = mapped_column(sa.Float)
