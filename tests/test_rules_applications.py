"""Table tests of the pure application rules."""
from datetime import date
from decimal import Decimal

import pytest

from consultancy.models import ApplicationStatus as S
from consultancy.rules.applications import RoundState, can_move, round_state
from consultancy.rules.eligibility import (
    Candidate,
    CriterionRule,
    criterion_means,
    disagreements,
    minimums_met,
    prescreen,
    rank,
    weighted_total,
)

CRITERIA = [CriterionRule("need", 30, 2), CriterionRule("share", 30, 1),
            CriterionRule("motivation", 20, 1), CriterionRule("backing", 20, 2)]


@pytest.mark.parametrize("means, total", [
    ({"need": 3, "share": 3, "motivation": 3, "backing": 3}, 100.0),
    ({"need": 0, "share": 0, "motivation": 0, "backing": 0}, 0.0),
    ({"need": 2, "share": 2, "motivation": 2, "backing": 2}, 66.7),
    ({"need": 3, "share": 0, "motivation": 3, "backing": 0}, 50.0),
    ({"need": 2.5, "share": 1.5, "motivation": 2, "backing": 3}, 73.3),
    ({"need": 3, "share": 3, "motivation": 3}, None),  # a criterion not yet scored
])
def test_weighted_total(means, total):
    assert weighted_total(CRITERIA, means) == total


@pytest.mark.parametrize("means, met", [
    ({"need": 2, "share": 1, "motivation": 1, "backing": 2}, True),
    ({"need": 1.5, "share": 3, "motivation": 3, "backing": 3}, False),
    ({"need": 3, "share": 0, "motivation": 3, "backing": 3}, False),
    ({"need": 3}, None),
])
def test_minimums_met(means, met):
    assert minimums_met(CRITERIA, means) is met


def test_means_average_over_reviewers():
    assert criterion_means([("need", 2), ("need", 3), ("share", 1)]) == {"need": 2.5,
                                                                        "share": 1.0}


@pytest.mark.parametrize("scores, codes", [
    ({1: {"need": 1, "share": 2}, 2: {"need": 3, "share": 3}}, ["need"]),
    ({1: {"need": 1}, 2: {"need": 2}}, []),
    ({1: {"need": 0}}, []),
    ({1: {"need": 0, "share": 3}, 2: {"need": 2, "share": 1}, 3: {"need": 1, "share": 2}},
     ["need", "share"]),
])
def test_disagreements_of_two_or_more(scores, codes):
    assert disagreements(scores) == codes


def test_prescreen_is_high_only_when_every_unit_is_at_the_threshold():
    threshold = Decimal("25")
    assert prescreen([Decimal("25"), Decimal("40")], threshold).high
    assert not prescreen([Decimal("24.9"), Decimal("40")], threshold).high
    assert prescreen([], threshold).highest_share is None


def test_prescreen_counts_the_units_at_or_above_the_threshold_and_keeps_the_highest():
    result = prescreen([Decimal("10"), Decimal("25"), Decimal("40")], Decimal("25"))
    assert (result.highest_share, result.units_at_or_above, result.units, result.threshold) \
        == (Decimal("40"), 2, 3, Decimal("25"))
    assert not result.high
    nothing = prescreen([], Decimal("25"))
    assert (nothing.units, nothing.units_at_or_above, nothing.high) == (0, 0, False)


@pytest.mark.parametrize("candidates, order", [
    # A complete score of 0 still ranks before an application not yet scored.
    ([Candidate(1, None, None, 1), Candidate(2, 0.0, None, 2)], [2, 1]),
    ([Candidate(1, 0.0, None, 1), Candidate(2, 0.5, None, 2)], [2, 1]),
    # A tie-breaking mean of 0 ranks after one above 0, and after none only by arrival.
    ([Candidate(1, 50.0, 0.0, 1), Candidate(2, 50.0, 0.5, 2)], [2, 1]),
    ([Candidate(1, 50.0, None, 2), Candidate(2, 50.0, 0.0, 1)], [2, 1]),
])
def test_zero_totals_and_tie_breakers_rank_by_their_value(candidates, order):
    assert [c.application_id for c in rank(candidates)] == order


def test_ranking_by_total_then_tie_breaker_then_arrival():
    ranked = rank([
        Candidate(1, 70.0, 2.0, 1), Candidate(2, 80.0, 1.0, 2), Candidate(3, 70.0, 3.0, 3),
        Candidate(4, None, None, 0), Candidate(5, 70.0, 3.0, 2),
    ])
    assert [c.application_id for c in ranked] == [2, 5, 3, 1, 4]


@pytest.mark.parametrize("today, state", [
    (date(2026, 2, 28), RoundState.UPCOMING),
    (date(2026, 3, 1), RoundState.OPEN),
    (date(2026, 3, 31), RoundState.OPEN),
    (date(2026, 4, 1), RoundState.CLOSED),
])
def test_round_state_by_dates_both_days_included(today, state):
    assert round_state(date(2026, 3, 1), date(2026, 3, 31), today) is state


@pytest.mark.parametrize("current, new, allowed", [
    (S.SUBMITTED, S.UNDER_REVIEW, True),
    (S.SUBMITTED, S.APPROVED, False),
    (S.UNDER_REVIEW, S.APPROVED, True),
    (S.UNDER_REVIEW, S.WITHDRAWN, True),
    (S.WAITLISTED, S.APPROVED, True),
    (S.APPROVED, S.WITHDRAWN, False),
    (S.REJECTED, S.APPROVED, False),
    (S.WITHDRAWN, S.UNDER_REVIEW, False),
])
def test_status_workflow(current, new, allowed):
    assert can_move(current, new) is allowed
