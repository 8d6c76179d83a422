"""The demo's self-assessments: before, for some one-year courses midway, and after, for
the units of the demo cases that have run, entered through the evaluation service from a
generator of their own (EVALUATION_SEED)."""
from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from consultancy.demo.common import weekday
from consultancy.evaluation import services as evaluation
from consultancy.extensions import db
from consultancy.models import (
    Engagement,
    EngagementStatus,
    InstrumentVersion,
    MissingCode,
    Occasion,
    RespondentRole,
    User,
)
from consultancy.rules import engagements as rules
from consultancy.security import audit
from consultancy.services.clock import COPENHAGEN

E = EngagementStatus

EVALUATION_SEED = 2026
# The change of a unit from before to after, on the 1-5 scale: mostly a modest gain, some
# units unchanged or a little worse (mean about +0.35).
UNIT_EFFECTS = [-0.3, -0.1, 0.0, 0.3, 0.4, 0.5, 0.5, 0.6, 0.7, 0.8]
MISSING_SHARE = 0.025


class _Assessments:
    """Before (and for cases near or past their end, after) self-assessments of the units
    of the demo cases, through the evaluation service, from a generator of their own."""

    def __init__(self, rng: random.Random, today: date,
                 version: InstrumentVersion):
        self.rng, self.today, self.version = rng, today, version

    def day(self, earliest: date, latest: date) -> date:
        """A weekday between the two days (as near as weekends allow), never after today."""
        latest = min(latest, self.today)
        span = max((latest - earliest).days, 0)
        day = earliest + timedelta(days=self.rng.randint(0, span))
        return min(weekday(day, forward=False), latest)

    def roles(self, count: int, one_year: bool) -> list[RespondentRole]:
        rng = self.rng
        roles = [RespondentRole.LEADER if rng.random() < 0.85 else RespondentRole.PEDAGOGUE]
        for _i in range(count - 1):
            roles.append(rng.choices([RespondentRole.PEDAGOGUE, RespondentRole.ASSISTANT,
                                      RespondentRole.MUNICIPAL_CONSULTANT],
                                     [6, 3, 1 if one_year else 0])[0])
        return roles

    def answers(self, level: float, dimensions: dict[int, float], bias: float,
                gain: float) -> dict:
        rng, version = self.rng, self.version
        answers = {}
        for item in version.items:
            if rng.random() < MISSING_SHARE:
                answers[item.code] = rng.choice([MissingCode.DONT_KNOW, MissingCode.DONT_KNOW,
                                                 MissingCode.NOT_RELEVANT])
                continue
            state = level + dimensions[item.dimension_id] + bias + gain + rng.gauss(0, 0.45)
            value = min(version.scale_max, max(version.scale_min, round(state)))
            # Agreement with a reverse-coded statement means a worse state.
            answers[item.code] = (version.scale_min + version.scale_max - value
                                  if item.reverse_coded else value)
        return answers

    def enterer(self, engagement: Engagement, day: date) -> User:
        members = sorted(engagement.members, key=lambda m: (m.started_on, m.user.email))
        on_case = [m.user for m in members if m.is_current(day)]
        user = (on_case or [m.user for m in members])[0]
        audit.set_actor(user.id)
        return user

    def case(self, engagement: Engagement) -> int:
        """Record the case's measurements; returns how many responses."""
        rng, today = self.rng, self.today
        start, end = engagement.start_date, engagement.planned_end
        one_year = engagement.engagement_type.code == "one_year"
        closed = next((c.at.astimezone(COPENHAGEN).date() for c in engagement.status_changes
                       if c.to_status in (E.COMPLETED, E.CANCELLED)), None)
        last = min(closed or today, today)
        if start is None or (last - start).days < 14:
            return 0
        baseline_on = self.day(start + timedelta(days=3), start + timedelta(days=21))
        measure_end = engagement.status is E.COMPLETED or (
            engagement.status is E.ACTIVE and today >= end - timedelta(days=30))
        midway = one_year and (last - start).days > 220 and rng.random() < 0.5
        units = sorted((link.unit for link in engagement.units),
                       key=lambda unit: (unit.name, unit.id))
        recorded = 0
        for position, unit in enumerate(units):
            level = rng.gauss(2.9, 0.35)
            dimensions = {d.id: rng.gauss(0, 0.3) for d in self.version.dimensions}
            effect = rng.choice(UNIT_EFFECTS)
            people = [(role, rng.gauss(0, 0.3)) for role in
                      self.roles(rng.randint(2, 4), one_year)]
            codes = []
            day = self.day(baseline_on, baseline_on + timedelta(days=4))
            for role, bias in people:
                response = evaluation.record_response(
                    engagement, unit.id, self.version, Occasion.BASELINE, role, day,
                    self.answers(level, dimensions, bias, 0.0),
                    self.enterer(engagement, day), today=today, rng=rng)
                codes.append(response.respondent_code)
                recorded += 1
            later = []
            if midway:
                later.append((Occasion.MIDWAY, rules.add_months(start, 6), 0.5))
            # Some units are not measured at the end: a leader left, the date slipped.
            if measure_end and not (position and rng.random() < 0.2):
                later.append((Occasion.END, end - timedelta(days=25), 1.0))
            for occasion, around, share in later:
                day = self.day(around, around + timedelta(days=20))
                if day <= baseline_on:
                    continue
                answering = list(zip(codes, people))
                if len(answering) > 2 and rng.random() < 0.2:
                    answering.pop()  # someone did not answer again
                for code, (role, bias) in answering:
                    if rng.random() < 0.15:
                        code, bias = None, rng.gauss(0, 0.3)  # a new colleague answers
                    evaluation.record_response(
                        engagement, unit.id, self.version, occasion, role, day,
                        self.answers(level, dimensions, bias,
                                     effect * share * (1 + rng.gauss(0, 0.2))),
                        self.enterer(engagement, day), code, today=today, rng=rng)
                    recorded += 1
        return recorded


def load_self_assessments(today: date) -> int:
    """Self-assessments for the cases that have run: a baseline for every unit, an end
    measurement for most units of the cases that are completed or near their end, a
    midway measurement for some one-year courses. Flushes; returns how many responses."""
    version = evaluation.default_version()
    if version is None:
        return 0
    builder = _Assessments(random.Random(EVALUATION_SEED), today, version)
    engagements = db.session.scalars(
        sa.select(Engagement).where(Engagement.status.in_([E.ACTIVE, E.COMPLETED]))
        .order_by(Engagement.reference)).all()
    recorded = sum(builder.case(engagement) for engagement in engagements)
    audit.set_actor(None)
    db.session.flush()
    return recorded
