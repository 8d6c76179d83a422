"""What `flask demo load` reports: the rounds and the counts of what the database holds."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from consultancy.applications import queries
from consultancy.extensions import db
from consultancy.models import (
    Application,
    ApplicationStatus,
    Engagement,
    EngagementSession,
    EngagementStatus,
    Occasion,
    Response,
    Round,
    SessionStatus,
)


@dataclass(frozen=True)
class DemoSummary:
    """What the database holds after `load` (all of it, not only the demo part)."""
    created: bool
    rounds: list[tuple[str, date, date, int, str]]  # name, opens, closes, capacity, state
    applications: dict[ApplicationStatus, int]
    engagements: list[str]
    cases: dict[EngagementStatus, int]
    sessions: dict[SessionStatus, int]
    responses: dict[Occasion, int] = field(default_factory=dict)  # self-assessments

    def lines(self) -> list[str]:
        lines = ["Demo data created." if self.created
                 else "Demo data already loaded; nothing new created."]
        lines.append("Rounds:")
        for name, opens_on, closes_on, capacity, state in self.rounds:
            lines.append(f"  {name:<30} {opens_on:%d-%m-%Y} - {closes_on:%d-%m-%Y}  "
                         f"capacity {capacity}  ({state})")
        counts = ", ".join(f"{status.value} {count}" for status, count in
                           self.applications.items())
        lines.append(f"Applications: {sum(self.applications.values())} ({counts})")
        counts = ", ".join(f"{status.value} {count}" for status, count in self.cases.items())
        lines.append(f"Engagements: {len(self.engagements)} ({counts})")
        counts = ", ".join(f"{status.value} {count}" for status, count in self.sessions.items())
        lines.append(f"Sessions: {sum(self.sessions.values())} ({counts})")
        counts = ", ".join(f"{occasion.value} {count}" for occasion, count in
                           self.responses.items())
        lines.append(f"Self-assessments: {sum(self.responses.values())} ({counts})")
        return lines


def summary(today: date, created: bool) -> DemoSummary:
    rounds = db.session.scalars(sa.select(Round).order_by(Round.opens_on, Round.id)).all()
    counts = dict(db.session.execute(
        sa.select(Application.status, sa.func.count()).group_by(Application.status)).all())
    return DemoSummary(
        created=created,
        rounds=[(r.name, r.opens_on, r.closes_on, r.capacity,
                 queries.round_state_of(r, today).value) for r in rounds],
        applications={status: counts.get(status, 0) for status in ApplicationStatus},
        engagements=list(db.session.scalars(
            sa.select(Engagement.reference).order_by(Engagement.reference))),
        cases=_per_status(Engagement.status, EngagementStatus),
        sessions=_per_status(EngagementSession.status, SessionStatus),
        responses=_per_status(Response.occasion, Occasion),
    )


def _per_status(column, statuses) -> dict:
    counts = dict(db.session.execute(sa.select(column, sa.func.count()).group_by(column)).all())
    return {status: counts.get(status, 0) for status in statuses}
