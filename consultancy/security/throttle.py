"""Counting attempts per subject in the database, so limits hold across workers and restarts.

An attempt is recorded before it is judged, under a lock on its subjects, so that
simultaneous attempts are counted one after another and no burst slips past the limit:
PostgreSQL takes a transaction-level advisory lock per subject; SQLite's single writer
lock is taken by the insert itself.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import ThrottleEvent


def address_subject(address: str | None) -> str:
    """A client address as a subject; IPv6 clients are counted per /64, which one host owns."""
    if not address:
        return "address:unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"address:{address}"
    if parsed.version == 6:
        return f"address:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"address:{parsed}"


@dataclass
class Attempt:
    events: list[ThrottleEvent]
    limited: bool


def _lock(subjects: list[str]) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        for subject in sorted(subjects):  # one order everywhere: no deadlocks
            db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(
                sa.func.hashtextextended(subject, 0))))


def begin(bucket: str, subjects: Iterable[str], limit: int, window: timedelta,
          now: datetime) -> Attempt:
    """Count an attempt for each subject; `limited` when any subject is now over `limit`."""
    subjects = list(subjects)
    _lock(subjects)
    db.session.execute(sa.delete(ThrottleEvent).where(
        ThrottleEvent.bucket == bucket, ThrottleEvent.occurred_at <= now - window))
    events = [ThrottleEvent(bucket=bucket, subject=subject, occurred_at=now)
              for subject in subjects]
    db.session.add_all(events)
    db.session.flush()
    busiest = db.session.scalar(
        sa.select(sa.func.count())
        .where(ThrottleEvent.bucket == bucket, ThrottleEvent.subject.in_(subjects),
               ThrottleEvent.occurred_at > now - window)
        .group_by(ThrottleEvent.subject)
        .order_by(sa.func.count().desc())
        .limit(1))
    return Attempt(events, limited=busiest > limit)


def cancel(attempt: Attempt) -> None:
    """The attempt does not count after all (it succeeded, or it was refused anyway)."""
    for event in attempt.events:
        db.session.delete(event)
    db.session.flush()


def forget(bucket: str, subjects: Iterable[str]) -> None:
    """Drop the events of these subjects, e.g. an email's failures once it signs in."""
    db.session.execute(sa.delete(ThrottleEvent).where(
        ThrottleEvent.bucket == bucket, ThrottleEvent.subject.in_(list(subjects))))
