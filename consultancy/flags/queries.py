"""Which flags a user sees, in which state, in what order: shared by the flags page, the
bell in the header, the start page and the case page.

Consultants see the flags of the cases they are on today (never the applications'); team
and admin see every flag; evaluators none in lists.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, lazyload

from consultancy.engagements.queries import cases_of
from consultancy.extensions import db
from consultancy.models import (
    SEVERITY_ORDER, Application, Engagement, Flag, FlagRule, Role, Severity, User,
)

FLAG_ROLES = (Role.CONSULTANT, Role.TEAM, Role.ADMIN)
ALL_FLAGS_ROLES = (Role.TEAM, Role.ADMIN)

# The states of a flag, as the flags page filters them. Open flags fall in exactly one of
# the first three: snoozed until a later day, else acknowledged, else needing attention.
STATES = {
    "active": _l("Needs attention"),
    "acknowledged": _l("Acknowledged"),
    "snoozed": _l("Snoozed"),
    "resolved": _l("Resolved"),
    "all": _l("All"),
}
DEFAULT_STATE = "active"

SEVERITY_RANK = sa.case(*((FlagRule.severity == severity, rank)
                          for severity, rank in SEVERITY_ORDER.items()), else_=99)


def sort_key(flag: Flag) -> tuple:
    """Critical first, then the longest waiting: as the flags page orders them."""
    return SEVERITY_ORDER.get(flag.severity, 99), flag.raised_on, flag.id


def is_snoozed(today: date):
    return Flag.snoozed_until > today


def in_state(state: str, today: date):
    """A where-clause on Flag for one of STATES."""
    is_open = Flag.resolved_on.is_(None)
    awake = sa.or_(Flag.snoozed_until.is_(None), Flag.snoozed_until <= today)
    return {
        "active": sa.and_(is_open, awake, Flag.acknowledged_at.is_(None)),
        "acknowledged": sa.and_(is_open, awake, Flag.acknowledged_at.is_not(None)),
        "snoozed": sa.and_(is_open, is_snoozed(today)),
        "resolved": Flag.resolved_on.is_not(None),
        "all": sa.true(),
    }[state]


def visible_to(user: User, today: date):
    """A where-clause on Flag: the flags `user` sees in lists."""
    if user.role in ALL_FLAGS_ROLES:
        return sa.true()
    if user.role is Role.CONSULTANT:
        return Flag.engagement_id.in_(cases_of(user.id, today))
    return sa.false()


def attention_count(user: User, today: date) -> int:
    """Open flags visible to `user` that are neither snoozed nor acknowledged: one query."""
    return db.session.scalar(sa.select(sa.func.count(Flag.id)).where(
        visible_to(user, today), in_state(DEFAULT_STATE, today))) or 0


def attention_by_severity(user: User, today: date) -> dict[Severity, int]:
    """The same flags counted by severity, most severe first (every severity present)."""
    counts = dict(db.session.execute(
        sa.select(FlagRule.severity, sa.func.count(Flag.id)).join(Flag.rule)
        .where(visible_to(user, today), in_state(DEFAULT_STATE, today))
        .group_by(FlagRule.severity)).all())
    return {severity: counts.get(severity, 0)
            for severity in sorted(SEVERITY_ORDER, key=SEVERITY_ORDER.get)}


@dataclass(frozen=True)
class FlagFilters:
    severity: Severity | None = None
    rule: str | None = None
    consultant: int | None = None
    reference: str = ""
    state: str = DEFAULT_STATE

    @property
    def narrowed(self) -> bool:
        return bool(self.severity or self.rule or self.consultant or self.reference)


def flag_query(user: User, filters: FlagFilters, today: date):
    """The flags `user` sees that pass `filters`, critical first, then the longest waiting."""
    query = (sa.select(Flag).join(Flag.rule)
             .options(contains_eager(Flag.rule), lazyload(Flag.events))
             .where(visible_to(user, today), in_state(filters.state, today)))
    if filters.severity is not None:
        query = query.where(FlagRule.severity == filters.severity)
    if filters.rule:
        query = query.where(Flag.rule_code == filters.rule)
    if filters.consultant and user.role in ALL_FLAGS_ROLES:
        query = query.where(Flag.engagement_id.in_(cases_of(filters.consultant, today)))
    if filters.reference:
        query = query.where(sa.or_(
            Flag.engagement_id.in_(sa.select(Engagement.id).where(
                Engagement.reference.icontains(filters.reference, autoescape=True))),
            Flag.application_id.in_(sa.select(Application.id).where(
                Application.reference.icontains(filters.reference, autoescape=True)))))
    return query.order_by(SEVERITY_RANK, Flag.raised_on, Flag.id)


@dataclass(frozen=True)
class Subject:
    """What a flag is about: a case or an application, with its reference and applicant."""
    kind: str  # "case" or "application"
    id: int
    reference: str
    name: str

    @property
    def endpoint(self) -> str:
        return "engagements.case" if self.kind == "case" else "applications.detail"

    @property
    def values(self) -> dict:
        key = "engagement_id" if self.kind == "case" else "application_id"
        return {key: self.id}


def subjects(flags: list[Flag]) -> dict[int, Subject]:
    """The subject of each flag, by flag id, in one query whatever the number of flags."""
    rows = db.session.execute(
        sa.select(Flag.id, Engagement.id.label("engagement_id"),
                  Engagement.reference.label("case_reference"),
                  Engagement.applicant_name.label("case_name"),
                  Application.id.label("application_id"),
                  Application.reference.label("application_reference"),
                  Application.applicant_name.label("application_name"))
        .outerjoin(Engagement, Engagement.id == Flag.engagement_id)
        .outerjoin(Application, Application.id == Flag.application_id)
        .where(Flag.id.in_([flag.id for flag in flags])))
    found = {}
    for row in rows:
        if row.engagement_id is not None:
            found[row.id] = Subject("case", row.engagement_id, row.case_reference,
                                    row.case_name)
        elif row.application_id is not None:
            found[row.id] = Subject("application", row.application_id,
                                    row.application_reference, row.application_name)
    return found

