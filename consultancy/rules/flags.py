"""Flag conditions: pure functions of a case's (or an application's) facts and a rule's
thresholds. Each returns the detail to show when its condition holds today, else None.
The rules that use them, with their thresholds and texts, are listed in
`consultancy.flags.catalogue`.

The database layer gathers the facts of every case in one set-based query
(`consultancy.flags.services`); nothing here queries.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from consultancy.enums import Occasion, SessionFormat
from consultancy.rules.engagements import add_months
from consultancy.rules.phases import CaseFacts

# What records each milestone: a held session of its format, or a response to an
# instrument at its occasion, whichever came first.
MILESTONE_FORMATS = {
    "baseline_on": SessionFormat.KICKOFF,
    "midway_on": SessionFormat.MIDWAY_STATUS,
    "end_on": SessionFormat.EVALUATION_MEETING,
}
MILESTONE_OCCASIONS = {
    "baseline_on": Occasion.BASELINE,
    "midway_on": Occasion.MIDWAY,
    "end_on": Occasion.END,
}

Detail = dict[str, str | int]


@dataclass(frozen=True)
class ApplicationFacts:
    undecided: bool
    # The day the application became ready for a decision: its round's closing day, or
    # the day it arrived when it was not made in a round (continuous intake).
    waiting_since: date


def _day(value: date) -> str:
    return value.isoformat()


def baseline_missing(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.start_date is None or facts.baseline_on is not None:
        return None
    due = facts.start_date + timedelta(days=params["days_after_start"])
    return {"due": _day(due)} if today >= due else None


def no_recent_activity(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.start_date is None or facts.start_date > today:
        return None
    since = max(filter(None, (facts.start_date, facts.last_session_on)))
    days = (today - since).days
    if days < params["days"]:
        return None
    return {"since": _day(since), "days": days, "session": facts.last_session_on is not None}


def _share(facts: CaseFacts) -> Decimal | None:
    if not facts.hour_budget:
        return None
    return facts.hours_used * 100 / facts.hour_budget


def _hours(facts: CaseFacts) -> Detail:
    return {"used": str(facts.hours_used), "budget": str(facts.hour_budget)}


def hours_nearly_used(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    share = _share(facts)
    if not facts.is_open or share is None or facts.hours_used > facts.hour_budget:
        return None
    return _hours(facts) if share >= Decimal(str(params["percent"])) else None


def hours_exceeded(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    share = _share(facts)
    if not facts.is_open or share is None:
        return None
    return _hours(facts) if share > Decimal(str(params["percent"])) else None


def midway_status_missing(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.start_date is None or facts.midway_on is not None:
        return None
    due = add_months(facts.start_date, params["months_after_start"]) + timedelta(
        days=params["grace_days"])
    # Courses that end before the midway status would be due (the mini course) have none.
    if facts.planned_end is not None and facts.planned_end <= due:
        return None
    return {"due": _day(due)} if today >= due else None


def end_assessment_due(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.planned_end is None or facts.end_on is not None:
        return None
    if today < facts.planned_end - timedelta(days=params["days_before_end"]):
        return None
    return {"end": _day(facts.planned_end)}


def overdue_close(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.planned_end is None:
        return None
    if today < facts.planned_end + timedelta(days=params["days_after_end"]):
        return None
    return {"end": _day(facts.planned_end)}


def team_incomplete(facts: CaseFacts, params: dict, today: date) -> Detail | None:
    if not facts.is_open or facts.consultants >= facts.min_consultants:
        return None
    return {"consultants": facts.consultants, "required": facts.min_consultants}


def review_overdue(facts: ApplicationFacts, params: dict, today: date) -> Detail | None:
    if not facts.undecided:
        return None
    due = facts.waiting_since + timedelta(days=params["days"])
    return {"since": _day(facts.waiting_since)} if today >= due else None

