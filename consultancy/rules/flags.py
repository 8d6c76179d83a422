"""What flag conditions are judged on: the facts of an application (a case's are
`rules.phases.CaseFacts`), the milestones and what records them, and the detail a condition
returns. The conditions themselves are pure functions beside their rules, in
`consultancy.flags.catalogue`.

The database layer gathers the facts of every case in one set-based query
(`consultancy.flags.services`); nothing here queries.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from consultancy.enums import Occasion, SessionFormat

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
