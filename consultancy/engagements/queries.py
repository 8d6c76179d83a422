"""Where-clauses and subqueries about cases shared by pages, exports and the flag pass."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from consultancy.extensions import db

from consultancy.models import (
    Engagement, EngagementMember, EngagementSession, EngagementStatus, SessionStatus,
)
from consultancy.services.clock import local_zone

OPEN_STATUSES = (EngagementStatus.PLANNED, EngagementStatus.ACTIVE)


def is_current_member(today: date):
    """The membership runs on `today` (a where-clause on EngagementMember)."""
    return sa.and_(EngagementMember.started_on <= today,
                   sa.or_(EngagementMember.ended_on.is_(None),
                          EngagementMember.ended_on > today))  # as rules.is_current_member


def cases_of(user_id: int, today: date):
    """The ids of the cases `user_id` is currently on (a subquery)."""
    return sa.select(EngagementMember.engagement_id).where(
        EngagementMember.user_id == user_id, is_current_member(today))


HELD = EngagementSession.status == SessionStatus.HELD


def starting_in(year: int):
    """Cases starting in `year`, or, without a start date, created in it (in TIMEZONE)."""
    first, after, zone = date(year, 1, 1), date(year + 1, 1, 1), local_zone()
    return sa.or_(
        sa.and_(Engagement.start_date >= first, Engagement.start_date < after),
        sa.and_(Engagement.start_date.is_(None),
                Engagement.created_at >= datetime(year, 1, 1, tzinfo=zone),
                Engagement.created_at < datetime(year + 1, 1, 1, tzinfo=zone)))


def case_years() -> list[int]:
    """The years cases start (or, without a start date, were created) in, newest first."""
    first_start, last_start, first_created, last_created = db.session.execute(sa.select(
        sa.func.min(Engagement.start_date), sa.func.max(Engagement.start_date),
        sa.func.min(Engagement.created_at), sa.func.max(Engagement.created_at))).one()
    years = [d.year for d in (first_start, last_start) if d is not None]
    years += [d.astimezone(local_zone()).year for d in (first_created, last_created)
              if d is not None]
    if not years:
        return []
    return list(range(max(years), min(years) - 1, -1))
