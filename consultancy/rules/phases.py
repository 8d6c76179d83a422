"""The phase of an engagement, from its type's phase template: a pure function.

A template is a list of phases in order, each `{"code", "name_da", "name_en", "enters"}`.
`enters` lists conditions, any one of which puts the case in that phase (or a later one):

- `{"from": "start" | "end", "months": n, "days": n}` — on or after the start date or the
  planned end, moved by whole calendar months and days (month ends kept, leap years too);
- `{"hours_share": 0.8}` — that share of the hour budget used by held sessions;
- `{"first_session": true}` — a session has been held.

The first phase (no conditions) holds until a later one is entered; the case is in the
latest phase whose condition holds. Dates are calendar days in Europe/Copenhagen, so the
clock changes of summer time cannot move a boundary.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from consultancy.rules.engagements import add_months


@dataclass(frozen=True)
class CaseFacts:
    """What the phase and flag rules know of a case, gathered for all cases in one query."""
    start_date: date | None
    planned_end: date | None
    hour_budget: Decimal | None
    hours_used: Decimal
    first_session_on: date | None
    cancelled: bool = False
    completed: bool = False
    engagement_type: str = ""
    last_session_on: date | None = None
    # Milestones: the first day each was recorded (a session of its format so far).
    baseline_on: date | None = None
    midway_on: date | None = None
    end_on: date | None = None
    consultants: int = 0
    min_consultants: int = 0

    @property
    def is_open(self) -> bool:
        return not (self.cancelled or self.completed)


def _anchor_day(condition: dict, facts: CaseFacts) -> date | None:
    anchor = facts.start_date if condition["from"] == "start" else facts.planned_end
    if anchor is None:
        return None
    return add_months(anchor, condition.get("months", 0)) + timedelta(
        days=condition.get("days", 0))


def _condition_day(condition: dict, facts: CaseFacts) -> date | None:
    """The day a condition began to hold, where a day can be told."""
    if "from" in condition:
        return _anchor_day(condition, facts)
    if condition.get("first_session"):
        return facts.first_session_on
    return None


def _holds(condition: dict, facts: CaseFacts, today: date) -> bool:
    if "from" in condition:
        day = _anchor_day(condition, facts)
        return day is not None and today >= day
    if "hours_share" in condition:
        return bool(facts.hour_budget) and (
            facts.hours_used / facts.hour_budget >= Decimal(str(condition["hours_share"])))
    if condition.get("first_session"):
        return facts.first_session_on is not None and facts.first_session_on <= today
    raise ValueError(f"unknown phase condition {condition!r}")


def phase_of(template: list[dict], facts: CaseFacts, today: date) -> str | None:
    """The code of the phase the case is in today; None for a cancelled case."""
    if facts.cancelled or not template:
        return None
    if facts.completed:
        return template[-1]["code"]
    for phase in reversed(template[1:]):  # the latest phase entered, so from the last
        if any(_holds(condition, facts, today) for condition in phase["enters"]):
            return phase["code"]
    return template[0]["code"]


def entered_on(template: list[dict], facts: CaseFacts, code: str | None, today: date) -> date:
    """The day the case entered phase `code`: the earliest day one of the phase's holding
    conditions began to hold, or `today` when no day can be told (a share of hours used,
    a status change). A pass that catches up after days of downtime still dates it right."""
    phase = next((p for p in template if p["code"] == code), None)
    if phase is None or not facts.is_open:
        return today
    days = [day for condition in phase["enters"]
            if _holds(condition, facts, today)
            and (day := _condition_day(condition, facts)) is not None and day <= today]
    return min(days, default=today)


def phase_entry(template: list[dict], code: str | None) -> dict | None:
    """The entry of a phase template for a stored phase code (names in Danish and English),
    or None."""
    if code is None:
        return None
    return next((phase for phase in template if phase["code"] == code), None)
