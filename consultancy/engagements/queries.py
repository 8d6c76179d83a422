"""Where-clauses and subqueries about cases shared by pages, exports and the flag pass."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from consultancy.models import EngagementMember, EngagementSession, EngagementStatus, SessionStatus

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
