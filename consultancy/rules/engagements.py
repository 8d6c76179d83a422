"""Pure rules of engagement cases: hours, budgets, formats, status changes."""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from consultancy.enums import (
    EngagementStatus as E,
    SessionFormat as F,
    SessionStatus,
    SubFormat as Sub,
)

QUARTER = Decimal("0.25")

# What a case's sessions add up to, said once for Python and for SQL (the sums and the figures
# kept on the case, `models.engagements.case_activity`): a session HELD counts its hours
# against the budget and is the case's last session by its day; a session PLANNED (ahead, or
# due to be completed) is its next planned session by the earliest day.
HOURS_COUNTED = SessionStatus.HELD
PLANNED = SessionStatus.PLANNED
# The default threshold of the flag rule `hours_nearly_used` (80 %); an admin may change it.
BUDGET_WARNING_SHARE = Decimal("0.8")

SUB_FORMATS: dict[F, tuple[Sub, ...]] = {
    F.PRACTICE_MEETING: (Sub.SIDE_BY_SIDE, Sub.PRESENTATION, Sub.INTERNAL_MEETING),
    F.LEADERSHIP_SPARRING: (Sub.FORMAL_INDIVIDUAL, Sub.FORMAL_GROUP, Sub.INFORMAL_INDIVIDUAL,
                            Sub.INFORMAL_GROUP),
    F.CONSULTANT_SPARRING: (Sub.FORMAL, Sub.INFORMAL),
}


def sub_format_allowed(session_format: F, sub_format: Sub | None) -> bool:
    """A format with sub-formats needs one of its own; the others take none."""
    allowed = SUB_FORMATS.get(session_format, ())
    return sub_format in allowed if allowed else sub_format is None


def is_quarter_hours(hours: Decimal) -> bool:
    return hours > 0 and (hours / QUARTER) == (hours / QUARTER).to_integral_value()


@dataclass(frozen=True)
class HeldSession:
    hours: Decimal
    consultants: int


@dataclass(frozen=True)
class Budget:
    """Hours of a case: session hours count against the budget, consultant hours are shown.

    `warning_share` is the share of the budget at which the case warns: the threshold of the
    flag rule `hours_nearly_used` (`engagements.queries.budget_warning_share`), so the
    budget bar, the overview and the flag agree.
    """
    budget: Decimal | None
    session_hours: Decimal
    consultant_hours: Decimal | None = None
    warning_share: Decimal = BUDGET_WARNING_SHARE

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.session_hours

    @property
    def share_used(self) -> Decimal | None:
        if not self.budget:
            return None
        return self.session_hours / self.budget

    @property
    def warning_percent(self) -> Decimal:
        return self.warning_share * 100

    @property
    def warning_at(self) -> Decimal | None:
        return None if self.budget is None else self.budget * self.warning_share

    @property
    def nearly_used(self) -> bool:
        return self.share_used is not None and self.share_used >= self.warning_share

    @property
    def exceeded(self) -> bool:
        return self.remaining is not None and self.remaining < 0

    def would_exceed(self, more_hours: Decimal) -> bool:
        return self.remaining is not None and more_hours > self.remaining


def budget(hour_budget: Decimal | None, held: Iterable[HeldSession]) -> Budget:
    """The budget of the given held sessions: the rule the database sums by
    (`models.engagements.held_hours`; tests hold the two together)."""
    held = list(held)
    return Budget(
        budget=hour_budget,
        session_hours=sum((s.hours for s in held), Decimal(0)),
        consultant_hours=sum((s.hours * max(s.consultants, 1) for s in held), Decimal(0)),
    )


def warning_share(percent: int | float | str) -> Decimal:
    """The share at which a budget warns, from the flag rule's percent (whose default is
    BUDGET_WARNING_SHARE)."""
    return Decimal(str(percent)) / 100


STATUS_TRANSITIONS: dict[E, frozenset[E]] = {
    E.PLANNED: frozenset({E.ACTIVE, E.CANCELLED}),
    E.ACTIVE: frozenset({E.COMPLETED, E.CANCELLED}),
    E.COMPLETED: frozenset({E.ACTIVE}),  # reopened when closed by mistake
    E.CANCELLED: frozenset(),
}


def can_change_status(current: E, new: E) -> bool:
    return new in STATUS_TRANSITIONS[current]


@lru_cache(maxsize=16384)  # the flag pass asks for every case, of a few thousand days
def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of the calendar month holding `day`."""
    first = day.replace(day=1)
    after = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return first, date.fromordinal(after.toordinal() - 1)


def half_year_of(day: date) -> tuple[date, date]:
    """January–June or July–December holding `day`."""
    if day.month <= 6:
        return date(day.year, 1, 1), date(day.year, 6, 30)
    return date(day.year, 7, 1), date(day.year, 12, 31)
