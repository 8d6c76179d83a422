"""Table and property tests of the pure engagement rules."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from consultancy.models import EngagementStatus as E, SessionFormat as F, SubFormat as Sub
from consultancy.models.engagements import is_current_member
from consultancy.rules.engagements import (
    HeldSession,
    add_months,
    budget,
    can_change_status,
    is_quarter_hours,
    sub_format_allowed,
)

PROPERTY = settings(derandomize=True, max_examples=200, deadline=None)


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


# --- who is on a case ------------------------------------------------------------------------

DAY = date(2026, 6, 17)


# (started, ended) in days from today, and whether that membership is current today; the
# SQL side is checked against the same table (test_case_facts.py).
MEMBERSHIPS = [
    (-10, None, True),     # on the case, no end
    (0, None, True),       # from the start day itself
    (1, None, False),      # joins tomorrow
    (-10, 1, True),        # leaves tomorrow: still on it today
    (-10, 0, False),       # ended today: off it from that day
    (-10, -1, False),      # a former member
    (-400, -300, False),   # long gone
    (0, 0, False),         # started and ended today
    (1, 5, False),         # a future stint
]


@pytest.mark.parametrize("started, ended, member", MEMBERSHIPS)
def test_is_current_member_from_the_start_day_until_the_day_it_ended(started, ended, member):
    ended_on = None if ended is None else DAY + timedelta(days=ended)
    assert is_current_member(DAY + timedelta(days=started), ended_on, DAY) is member


days = st.dates(min_value=date(2017, 1, 1), max_value=date(2035, 12, 31))


@PROPERTY
@given(start=days, length=st.integers(1, 2000), today=days)
def test_a_membership_runs_from_its_start_up_to_the_day_before_it_ended(start, length, today):
    ended = start + timedelta(days=length)
    assert is_current_member(start, ended, today) is (start <= today < ended)


@PROPERTY
@given(start=days, ended=days, after=st.integers(0, 5000))
def test_a_former_member_never_gets_access_back(start, ended, after):
    later = ended + timedelta(days=after)
    assert not is_current_member(start, ended, later)


@PROPERTY
@given(start=days, today=days)
def test_an_open_membership_holds_from_its_start_day_on(start, today):
    assert is_current_member(start, None, today) is (today >= start)


# --- budgets without a budget --------------------------------------------------------------

@pytest.mark.parametrize("hour_budget", [None, D(0)])
@pytest.mark.parametrize("used", ["0", "0.25", "10", "500"])
def test_a_case_without_a_budget_never_warns_nor_refuses(hour_budget, used):
    result = budget(hour_budget, [HeldSession(D(used), 2)])
    assert result.share_used is None
    assert not result.nearly_used
    assert result.session_hours == D(used) and result.consultant_hours == D(used) * 2
    if hour_budget is None:
        assert (result.remaining, result.warning_at) == (None, None)
        assert not result.exceeded and not result.would_exceed(D(1000))


@PROPERTY
@given(hours=st.lists(st.integers(1, 80).map(lambda quarters: D(quarters) / 4), max_size=12),
       consultants=st.integers(0, 4), more=st.integers(0, 200).map(lambda q: D(q) / 4))
def test_without_a_budget_nothing_is_exceeded_or_would_be(hours, consultants, more):
    result = budget(None, [HeldSession(h, consultants) for h in hours])
    assert result.session_hours == sum(hours, D(0))
    assert result.consultant_hours == sum(hours, D(0)) * max(consultants, 1)
    assert (result.remaining, result.share_used, result.warning_at) == (None, None, None)
    assert not (result.nearly_used or result.exceeded or result.would_exceed(more))


@PROPERTY
@given(budget_quarters=st.integers(1, 400), used_quarters=st.integers(0, 800),
       more_quarters=st.integers(0, 400))
def test_with_a_budget_the_warnings_follow_the_hours(budget_quarters, used_quarters,
                                                    more_quarters):
    hour_budget, used, more = (D(q) / 4 for q in (budget_quarters, used_quarters, more_quarters))
    result = budget(hour_budget, [HeldSession(used, 1)])
    assert result.remaining == hour_budget - used
    assert result.share_used == used / hour_budget
    assert result.warning_at == hour_budget * D("0.8")
    assert result.nearly_used is (used >= hour_budget * D("0.8"))
    assert result.exceeded is (used > hour_budget)
    assert result.would_exceed(more) is (used + more > hour_budget)
