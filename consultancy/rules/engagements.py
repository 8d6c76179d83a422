"""Pure rules of engagement cases: hours, budgets, formats, status changes."""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from consultancy.enums import EngagementStatus as E
from consultancy.enums import SessionFormat as F
from consultancy.enums import SubFormat as Sub

QUARTER = Decimal("0.25")
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
    """Hours of a case: session hours count against the budget, consultant hours are shown."""
    budget: Decimal | None
    session_hours: Decimal
    consultant_hours: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.session_hours

    @property
    def share_used(self) -> Decimal | None:
        if not self.budget:
            return None
        return self.session_hours / self.budget

    @property
    def warning_at(self) -> Decimal | None:
        return None if self.budget is None else self.budget * BUDGET_WARNING_SHARE

    @property
    def nearly_used(self) -> bool:
        return self.share_used is not None and self.share_used >= BUDGET_WARNING_SHARE

    @property
    def exceeded(self) -> bool:
        return self.remaining is not None and self.remaining < 0

    def would_exceed(self, more_hours: Decimal) -> bool:
        return self.remaining is not None and more_hours > self.remaining


def budget(hour_budget: Decimal | None, held: Iterable[HeldSession]) -> Budget:
    held = list(held)
    return Budget(
        budget=hour_budget,
        session_hours=sum((s.hours for s in held), Decimal(0)),
        consultant_hours=sum((s.hours * max(s.consultants, 1) for s in held), Decimal(0)),
    )


def is_current_member(started_on: date, ended_on: date | None, today: date) -> bool:
    """On the case from the start day; off it from the day the membership ended."""
    return started_on <= today and (ended_on is None or ended_on > today)


STATUS_TRANSITIONS: dict[E, frozenset[E]] = {
    E.PLANNED: frozenset({E.ACTIVE, E.CANCELLED}),
    E.ACTIVE: frozenset({E.COMPLETED, E.CANCELLED}),
    E.COMPLETED: frozenset({E.ACTIVE}),  # reopened when closed by mistake
    E.CANCELLED: frozenset(),
}


def can_change_status(current: E, new: E) -> bool:
    return new in STATUS_TRANSITIONS[current]


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
