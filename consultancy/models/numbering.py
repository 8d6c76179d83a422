"""Counters behind human-readable references (ANS-2026-0001, FORL-2026-001)."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consultancy.extensions import db


class ReferenceCounter(db.Model):
    __tablename__ = "reference_counters"
    __audited__ = False

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]
