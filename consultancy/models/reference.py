"""Reference data: municipalities, daycare units and engagement types."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultancy.enums import Intake, Ownership, Region, UnitKind, set_labels
from consultancy.extensions import db
from consultancy.models.audit import Json
from consultancy.models.types import enum_column

set_labels({
    Region.HOVEDSTADEN: _l("Capital Region"),
    Region.SJAELLAND: _l("Region Zealand"),
    Region.SYDDANMARK: _l("Region of Southern Denmark"),
    Region.MIDTJYLLAND: _l("Central Denmark Region"),
    Region.NORDJYLLAND: _l("North Denmark Region"),
})
set_labels({
    Ownership.MUNICIPAL: _l("Municipal"),
    Ownership.SELF_OWNED: _l("Self-owned"),
    Ownership.PRIVATE: _l("Private"),
})
set_labels({
    UnitKind.NURSERY: _l("Nursery (vuggestue)"),
    UnitKind.KINDERGARTEN: _l("Kindergarten (børnehave)"),
    UnitKind.INTEGRATED: _l("Integrated daycare (integreret)"),
    UnitKind.CHILDMINDING: _l("Childminding (dagpleje)"),
})
set_labels({
    Intake.ROUNDS: _l("Application rounds"),
    Intake.CONTINUOUS: _l("Continuous"),
})


class Municipality(db.Model):
    __tablename__ = "municipalities"

    code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    region: Mapped[Region] = mapped_column(enum_column(Region, "region"))

    def __str__(self) -> str:
        return self.name


class DaycareUnit(db.Model):
    __tablename__ = "daycare_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    municipality_code: Mapped[int] = mapped_column(
        sa.ForeignKey("municipalities.code"), index=True)
    ownership: Mapped[Ownership] = mapped_column(enum_column(Ownership, "ownership"))
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind, "unit_kind"))
    children: Mapped[int] = mapped_column(sa.CheckConstraint("children >= 0", name="children"))

    municipality: Mapped[Municipality] = relationship(lazy="joined")


class EngagementType(db.Model):
    """A kind of course; rules that differ by type read these settings, never the code."""

    __tablename__ = "engagement_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_da: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    intake: Mapped[Intake] = mapped_column(enum_column(Intake, "intake"))
    default_length_months: Mapped[int]
    default_hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    # Whether a self-owned or private daycare may apply itself; municipalities always may.
    institutions_may_apply: Mapped[bool] = mapped_column(default=False)
    # The phases a case of this type goes through, read by the scheduler:
    # [{"code", "name_da", "name_en", "enters": {...}}, ...] (see the scheduler issue).
    phase_template: Mapped[list] = mapped_column(Json, default=list, server_default="[]")
    # Consultants a case of this type should have (a flag when fewer are assigned).
    min_consultants: Mapped[int] = mapped_column(default=1, server_default="1")
    active: Mapped[bool] = mapped_column(default=True)

    def name(self, language: str) -> str:
        return self.name_da if language == "da" else self.name_en
