"""Round phases and the application status workflow."""
from __future__ import annotations

from datetime import date

from consultancy.enums import ApplicationStatus as S, RoundState


def round_state(opens_on: date, closes_on: date, today: date) -> RoundState:
    """Open from the opening day through the closing day, both included."""
    if today < opens_on:
        return RoundState.UPCOMING
    if today > closes_on:
        return RoundState.CLOSED
    return RoundState.OPEN


TRANSITIONS: dict[S, frozenset[S]] = {
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.WITHDRAWN}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.WAITLISTED, S.REJECTED, S.WITHDRAWN}),
    # A waitlisted application can still get a place that frees up, or be turned down.
    S.WAITLISTED: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

DECISIONS = (S.APPROVED, S.WAITLISTED, S.REJECTED)
CLOSED = frozenset(status for status, moves in TRANSITIONS.items() if not moves)


def can_move(current: S, new: S) -> bool:
    return new in TRANSITIONS[current]
