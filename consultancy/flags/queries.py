"""Which flags a user sees, in which state, in what order: shared by the flags page, the
bell in the header, the start page and the case page. Who sees which: `access`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, lazyload

from consultancy.engagements.queries import cases_of
from consultancy.extensions import db
from consultancy.flags.access import Subject, sees_rule, visible_to
from consultancy.models import (
    SEVERITY_ORDER,
    Application,
    Engagement,
    Flag,
    FlagRule,
    Role,
    Severity,
    User,
)
from consultancy.security.permissions import sees_every_flag

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


def in_state(state: str, today: date):
    """A where-clause on Flag for one of STATES."""
    return {
        "active": Flag.needs_attention(today),
        "acknowledged": sa.and_(Flag.shown(today), Flag.acknowledged_at.is_not(None)),
        "snoozed": sa.and_(Flag.is_open, Flag.snoozed(today)),
        "resolved": sa.not_(Flag.is_open),
        "all": sa.true(),
    }[state]


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
    if filters.consultant and sees_every_flag(user):
        query = query.where(Flag.engagement_id.in_(cases_of(filters.consultant, today)))
    if filters.reference:
        query = query.where(sa.or_(
            Flag.engagement_id.in_(sa.select(Engagement.id).where(
                Engagement.reference.icontains(filters.reference, autoescape=True))),
            Flag.application_id.in_(sa.select(Application.id).where(
                Application.reference.icontains(filters.reference, autoescape=True)))))
    return query.order_by(SEVERITY_RANK, Flag.raised_on, Flag.id)


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


def rules_in_order() -> list[FlagRule]:
    """The stored rules, as the pages list them."""
    return db.session.scalars(sa.select(FlagRule).order_by(FlagRule.position,
                                                           FlagRule.code)).all()


def filter_rules(user: User) -> list[FlagRule]:
    """The rules whose flags `user` may filter by, in their order."""
    return [rule for rule in rules_in_order() if sees_rule(user, rule.code)]


def filter_consultants(user: User) -> list[User]:
    """The consultants whose cases' flags `user` may filter by: all of them (active first)
    for those who see every flag, else none."""
    if not sees_every_flag(user):
        return []
    return db.session.scalars(sa.select(User).where(User.role == Role.CONSULTANT)
                              .order_by(User.active.desc(), User.name)).all()
