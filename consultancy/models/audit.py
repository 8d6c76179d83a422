"""The audit trail and the counters behind throttling."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultancy.extensions import db
from consultancy.models.types import UTCDateTime
from consultancy.models.users import User
from consultancy.services.clock import utcnow

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __audited__ = False
    __table_args__ = (sa.Index("ix_audit_entries_record", "table_name", "record_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # create, update, delete for record changes; login, login_failed, login_throttled,
    # logout, password_check_failed, password_check_throttled for authentication events;
    # export for a download of data.
    action: Mapped[str] = mapped_column(sa.String(32))
    table_name: Mapped[str | None] = mapped_column(sa.String(64))
    record_id: Mapped[str | None] = mapped_column(sa.String(64))
    # {field: [old, new]}
    changes: Mapped[dict[str, Any] | None] = mapped_column(Json)
    note: Mapped[str | None] = mapped_column(sa.String(255))
    # What an event was about, for an export: {"export": kind, "format", "filters": {name:
    # value}, "rows", "channel": web|cli|api, "token": the API token's id}.
    details: Mapped[dict[str, Any] | None] = mapped_column(Json)
    client_address: Mapped[str | None] = mapped_column(sa.String(45))

    actor: Mapped[User | None] = relationship(lazy="raise")


class ThrottleEvent(db.Model):
    """One counted event (e.g. a failed login) for a subject such as an email or an address."""

    __tablename__ = "throttle_events"
    __audited__ = False
    __table_args__ = (
        sa.Index("ix_throttle_events_lookup", "bucket", "subject", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bucket: Mapped[str] = mapped_column(sa.String(32))
    subject: Mapped[str] = mapped_column(sa.String(320))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
