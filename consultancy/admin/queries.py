"""Reading what the administrator manages: users, types of course, instruments and the
audit trail. Nothing here writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from consultancy.extensions import db
from consultancy.models import (
    AuditEntry,
    EngagementType,
    Instrument,
    InstrumentKind,
    Intake,
    Item,
    Response,
    Theme,
    User,
)
from consultancy.services.clock import local_zone

# --- users and types of course -------------------------------------------------------------

def users_query() -> sa.Select:
    """Every user, by name (for a paged list)."""
    return sa.select(User).order_by(User.name, User.id)


def user_names() -> list[tuple[int, str]]:
    """(id, name) of every user, by name."""
    return list(db.session.execute(sa.select(User.id, User.name).order_by(User.name)).all())


def engagement_types(*, active_only: bool = False,
                     intake: Intake | None = None) -> list[EngagementType]:
    """The types of course, in the order they were made: all, the active ones, or those
    taking applications one way."""
    query = sa.select(EngagementType).order_by(EngagementType.id)
    if active_only:
        query = query.where(EngagementType.active)
    if intake is not None:
        query = query.where(EngagementType.intake == intake)
    return list(db.session.scalars(query))


# --- the audit trail -----------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    table: str | None = None
    record_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _start_of_day(day: date) -> datetime:
    """Midnight in TIMEZONE, the day users mean when they pick a date."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def audit_query(criteria: AuditFilter) -> sa.Select:
    query = (sa.select(AuditEntry).options(joinedload(AuditEntry.actor))
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    if criteria.user_id is not None:
        query = query.where(AuditEntry.actor_id == criteria.user_id)
    if criteria.table:
        query = query.where(AuditEntry.table_name == criteria.table)
    if criteria.record_id:
        query = query.where(AuditEntry.record_id == criteria.record_id)
    if criteria.date_from:
        query = query.where(AuditEntry.at >= _start_of_day(criteria.date_from))
    if criteria.date_to:
        query = query.where(AuditEntry.at < _start_of_day(criteria.date_to + timedelta(days=1)))
    return query


# --- instruments ---------------------------------------------------------------------------

def instruments() -> list[Instrument]:
    """Every instrument with its versions, the self-assessments first, then by code."""
    found = db.session.scalars(sa.select(Instrument).options(selectinload(Instrument.versions)))
    return sorted(found, key=lambda i: (i.kind is not InstrumentKind.SELF_ASSESSMENT, i.code))


def item_counts(version_ids) -> dict[int, int]:
    """How many items each of these instrument versions has."""
    return dict(db.session.execute(
        sa.select(Item.version_id, sa.func.count()).where(Item.version_id.in_(version_ids))
        .group_by(Item.version_id)).all()) if version_ids else {}


def response_counts(version_ids) -> dict[int, int]:
    """How many responses were given against each of these instrument versions."""
    return dict(db.session.execute(
        sa.select(Response.instrument_version_id, sa.func.count())
        .where(Response.instrument_version_id.in_(version_ids))
        .group_by(Response.instrument_version_id)).all()) if version_ids else {}


def active_themes() -> dict[int, Theme]:
    """The themes an item can be given, by id, in the order they are shown."""
    return {t.id: t for t in db.session.scalars(
        sa.select(Theme).where(Theme.active).order_by(Theme.group, Theme.position))}
