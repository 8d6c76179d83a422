"""Counting events per subject in the database, so limits hold across workers and restarts."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import ThrottleEvent


def is_limited(bucket: str, subjects: Iterable[str], limit: int, window: timedelta,
               now: datetime) -> bool:
    """True when any one subject has `limit` or more events in the window ending now."""
    busiest = db.session.scalar(
        sa.select(sa.func.count())
        .where(ThrottleEvent.bucket == bucket,
               ThrottleEvent.subject.in_(list(subjects)),
               ThrottleEvent.occurred_at > now - window)
        .group_by(ThrottleEvent.subject)
        .order_by(sa.func.count().desc())
        .limit(1)
    )
    return (busiest or 0) >= limit


def record(bucket: str, subjects: Iterable[str], window: timedelta, now: datetime) -> None:
    """Count one event for each subject; events that no window can see any more are dropped."""
    db.session.execute(sa.delete(ThrottleEvent).where(
        ThrottleEvent.bucket == bucket, ThrottleEvent.occurred_at <= now - window))
    db.session.add_all(ThrottleEvent(bucket=bucket, subject=subject, occurred_at=now)
                       for subject in subjects)


def forget(bucket: str, subjects: Iterable[str]) -> None:
    """Drop the events of these subjects, e.g. an email's failures once it signs in."""
    db.session.execute(sa.delete(ThrottleEvent).where(
        ThrottleEvent.bucket == bucket, ThrottleEvent.subject.in_(list(subjects))))
