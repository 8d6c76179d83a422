"""Table tests of the pure engagement rules."""
from datetime import date
from decimal import Decimal as D

import pytest

from consultancy.models import EngagementStatus as E
from consultancy.models import SessionFormat as F
from consultancy.models import SubFormat as Sub
from consultancy.rules.engagements import (
    HeldSession, add_months, budget, can_change_status, is_quarter_hours, sub_format_allowed,
)


@pytest.mark.parametrize("hours, ok", [
    (D("0.25"), True), (D("1.5"), True), (D("2.75"), True), (D("24"), True),
    (D("0"), False), (D("1.3"), False), (D("0.1"), False), (D("-1"), False),
])
def test_quarter_hours(hours, ok):
    assert is_quarter_hours(hours) is ok


@pytest.mark.parametrize("session_format, sub_format, ok", [
    (F.PRACTICE_MEETING, Sub.SIDE_BY_SIDE, True),
    (F.PRACTICE_MEETING, None, False),
    (F.PRACTICE_MEETING, Sub.FORMAL, False),
    (F.LEADERSHIP_SPARRING, Sub.INFORMAL_GROUP, True),
    (F.CONSULTANT_SPARRING, Sub.FORMAL, True),
    (F.CONSULTANT_SPARRING, Sub.FORMAL_GROUP, False),
    (F.KICKOFF, None, True),
    (F.KICKOFF, Sub.PRESENTATION, False),
])
def test_sub_formats_belong_to_their_format(session_format, sub_format, ok):
    assert sub_format_allowed(session_format, sub_format) is ok


def test_budget_counts_session_hours_and_shows_consultant_hours():
    result = budget(D("10"), [HeldSession(D("2"), 2), HeldSession(D("1.5"), 1)])
    assert (result.session_hours, result.consultant_hours, result.remaining) == (
        D("3.5"), D("5.5"), D("6.5"))
    assert not result.nearly_used and not result.exceeded


@pytest.mark.parametrize("used, nearly, exceeded, would_exceed_by_one", [
    ("7.75", False, False, False),
    ("8", True, False, False),
    ("9.25", True, False, True),
    ("10", True, False, True),
    ("10.25", True, True, True),
])
def test_budget_warnings_at_80_and_100_percent(used, nearly, exceeded, would_exceed_by_one):
    result = budget(D("10"), [HeldSession(D(used), 1)])
    assert (result.nearly_used, result.exceeded, result.would_exceed(D("1"))) == (
        nearly, exceeded, would_exceed_by_one)


def test_no_budget_never_warns():
    result = budget(None, [HeldSession(D("200"), 2)])
    assert result.remaining is None and not result.nearly_used and not result.would_exceed(D(9))


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
    (date(2026, 8, 15), 12, date(2027, 8, 15)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
])
def test_add_months_keeps_to_the_months_last_day(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize("current, new, allowed", [
    (E.PLANNED, E.ACTIVE, True), (E.PLANNED, E.COMPLETED, False),
    (E.ACTIVE, E.COMPLETED, True), (E.ACTIVE, E.CANCELLED, True),
    (E.COMPLETED, E.ACTIVE, True), (E.CANCELLED, E.ACTIVE, False),
])
def test_case_status_workflow(current, new, allowed):
    assert can_change_status(current, new) is allowed
