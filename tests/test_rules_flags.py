"""Table tests of the flag conditions (the day before, on and after each threshold), and
property tests of what holds for every rule, whatever the case and its thresholds."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from consultancy.flags.catalogue import (
    APPLICATION_RULES,
    CASE_RULES,
    CATALOGUE as PARAMETERS,
    baseline_missing,
    end_assessment_due,
    hours_exceeded,
    hours_nearly_used,
    midway_status_missing,
    no_recent_activity,
    overdue_close,
    review_overdue,
    team_incomplete,
)
from consultancy.rules.flags import ApplicationFacts
from consultancy.rules.phases import CaseFacts

START = date(2026, 3, 1)


def case(**facts) -> CaseFacts:
    values = dict(start_date=START, planned_end=date(2027, 3, 1), hour_budget=None,
                  hours_used=D(0), first_session_on=None, engagement_type="one_year")
    values.update(facts)
    return CaseFacts(**values)


@pytest.mark.parametrize("facts, today, holds", [
    (case(), date(2026, 3, 30), False),                       # day 29 after the start
    (case(), date(2026, 3, 31), True),                        # day 30: flagged
    (case(baseline_on=date(2026, 3, 10)), date(2026, 5, 1), False),
    (case(start_date=None), date(2026, 5, 1), False),         # no start date yet
    (case(completed=True), date(2026, 5, 1), False),
    (case(cancelled=True), date(2026, 5, 1), False),
])
def test_baseline_missing_thirty_days_after_start(facts, today, holds):
    assert (baseline_missing(facts, {"days_after_start": 30}, today) is not None) is holds


@pytest.mark.parametrize("facts, today, days, detail", [
    (case(last_session_on=date(2026, 4, 1)), date(2026, 5, 12), 42, None),  # 41 days
    (case(last_session_on=date(2026, 4, 1)), date(2026, 5, 13), 42,
     {"since": "2026-04-01", "days": 42, "session": True}),
    # No session at all: counted from the start.
    (case(), date(2026, 4, 12), 42, {"since": "2026-03-01", "days": 42, "session": False}),
    (case(), date(2026, 3, 31), 30, {"since": "2026-03-01", "days": 30, "session": False}),
    (case(start_date=date(2026, 6, 1)), date(2026, 5, 1), 30, None),  # not started
    (case(completed=True), date(2026, 8, 1), 42, None),
])
def test_no_recent_activity(facts, today, days, detail):
    assert no_recent_activity(facts, {"days": days}, today) == detail


@pytest.mark.parametrize("used, nearly, exceeded", [
    (D("7.75"), False, False),
    (D("8"), True, False),       # 80 % exactly
    (D("10"), True, False),      # the whole budget, not over it
    (D("10.25"), False, True),   # over: only the critical flag
])
def test_hours_flags_of_a_ten_hour_budget(used, nearly, exceeded):
    facts = case(hour_budget=D(10), hours_used=used, engagement_type="mini")
    assert (hours_nearly_used(facts, {"percent": 80}, START) is not None) is nearly
    assert (hours_exceeded(facts, {"percent": 100}, START) is not None) is exceeded


def test_the_hours_flags_tell_the_hours_used_and_the_budget():
    facts = case(hour_budget=D("10"), hours_used=D("10.25"), engagement_type="mini")
    assert hours_exceeded(facts, {"percent": 100}, START) == {"used": "10.25", "budget": "10"}
    facts = case(hour_budget=D("10"), hours_used=D("8.5"), engagement_type="mini")
    assert hours_nearly_used(facts, {"percent": 80}, START) == {"used": "8.5", "budget": "10"}


def test_hours_flags_need_a_budget():
    facts = case(hour_budget=None, hours_used=D(500))
    assert hours_nearly_used(facts, {"percent": 80}, START) is None
    assert hours_exceeded(facts, {"percent": 100}, START) is None


MIDWAY = {"months_after_start": 6, "grace_days": 14}


@pytest.mark.parametrize("facts, today, holds", [
    (case(), date(2026, 9, 14), False),   # month 6 + 13 days
    (case(), date(2026, 9, 15), True),    # month 6 + 14 days
    (case(midway_on=date(2026, 9, 2)), date(2026, 10, 1), False),
    # A course that ends before the midway status is due has none (the mini course),
    # nor one that ends on the very day it would be due.
    (case(planned_end=date(2026, 6, 1), engagement_type="mini"), date(2026, 9, 20), False),
    (case(planned_end=date(2026, 9, 15)), date(2026, 9, 20), False),
    (case(planned_end=date(2026, 9, 16)), date(2026, 9, 20), True),
    # Started on 31 August: month six ends on the last day of February.
    (case(start_date=date(2025, 8, 31), planned_end=date(2026, 8, 31)), date(2026, 3, 13),
     False),
    (case(start_date=date(2025, 8, 31), planned_end=date(2026, 8, 31)), date(2026, 3, 14),
     True),
])
def test_midway_status_two_weeks_after_month_six(facts, today, holds):
    assert (midway_status_missing(facts, MIDWAY, today) is not None) is holds


@pytest.mark.parametrize("facts, today, holds", [
    (case(), date(2027, 1, 29), False),   # 31 days before the planned end
    (case(), date(2027, 1, 30), True),    # 30 days before
    (case(), date(2027, 4, 1), True),     # after the end, still missing
    (case(end_on=date(2027, 2, 10)), date(2027, 2, 20), False),
    (case(planned_end=None), date(2027, 2, 20), False),
])
def test_end_assessment_due_in_the_last_thirty_days(facts, today, holds):
    assert (end_assessment_due(facts, {"days_before_end": 30}, today) is not None) is holds


@pytest.mark.parametrize("facts, today, holds", [
    (case(), date(2027, 3, 30), False),   # 29 days after the planned end
    (case(), date(2027, 3, 31), True),    # 30 days after
    (case(completed=True), date(2027, 6, 1), False),
])
def test_overdue_close_thirty_days_after_the_planned_end(facts, today, holds):
    assert (overdue_close(facts, {"days_after_end": 30}, today) is not None) is holds


@pytest.mark.parametrize("consultants, required, holds", [
    (0, 2, True), (1, 2, True), (2, 2, False), (3, 2, False), (1, 1, False), (0, 1, True),
])
def test_team_incomplete_below_the_types_minimum(consultants, required, holds):
    facts = case(consultants=consultants, min_consultants=required)
    assert (team_incomplete(facts, {}, START) is not None) is holds


@pytest.mark.parametrize("facts, today, holds", [
    (ApplicationFacts(True, date(2026, 5, 1)), date(2026, 5, 14), False),  # 13 days
    (ApplicationFacts(True, date(2026, 5, 1)), date(2026, 5, 15), True),   # 14 days
    (ApplicationFacts(False, date(2026, 5, 1)), date(2026, 9, 1), False),  # decided
])
def test_review_overdue_fourteen_days_after_the_round_closed(facts, today, holds):
    assert (review_overdue(facts, {"days": 14}, today) is not None) is holds


@pytest.mark.parametrize("rule, facts, params, today, detail", [
    (baseline_missing, case(), {"days_after_start": 30}, date(2026, 4, 2),
     {"due": "2026-03-31"}),
    (midway_status_missing, case(), MIDWAY, date(2026, 9, 20), {"due": "2026-09-15"}),
    (end_assessment_due, case(), {"days_before_end": 30}, date(2027, 2, 1),
     {"end": "2027-03-01"}),
    (overdue_close, case(), {"days_after_end": 30}, date(2027, 4, 1), {"end": "2027-03-01"}),
    (team_incomplete, case(consultants=1, min_consultants=2), {}, START,
     {"consultants": 1, "required": 2}),
])
def test_each_flag_tells_what_its_message_needs(rule, facts, params, today, detail):
    assert rule(facts, params, today) == detail


# --- properties of every rule ----------------------------------------------------------------

PROPERTY = settings(derandomize=True, max_examples=300, deadline=None)
days = st.dates(min_value=date(2017, 1, 1), max_value=date(2032, 12, 31))
maybe_days = st.none() | days
hours = st.integers(0, 200).map(lambda quarters: D(quarters) / 4)
case_facts = st.builds(
    CaseFacts, start_date=maybe_days, planned_end=maybe_days,
    hour_budget=st.none() | hours, hours_used=hours, first_session_on=maybe_days,
    cancelled=st.booleans(), completed=st.booleans(),
    engagement_type=st.sampled_from(["one_year", "mini"]), last_session_on=maybe_days,
    baseline_on=maybe_days, midway_on=maybe_days, end_on=maybe_days,
    consultants=st.integers(0, 4), min_consultants=st.integers(0, 3))


def thresholds(code: str):
    """Any thresholds an administrator may set for the rule (its settings' bounds)."""
    return st.fixed_dictionaries({p.key: st.integers(p.minimum, p.maximum)
                                  for p in PARAMETERS[code].parameters})


def rule_and_thresholds(rules):
    return st.sampled_from(sorted(rules)).flatmap(
        lambda code: st.tuples(st.just(rules[code]), thresholds(code)))


def is_detail(result) -> bool:
    return isinstance(result, dict) and all(
        isinstance(key, str) and isinstance(value, (str, int)) for key, value in result.items())


@PROPERTY
@given(rule=rule_and_thresholds(CASE_RULES), facts=case_facts, today=days)
def test_every_case_rule_judges_any_case_without_failing(rule, facts, today):
    """Cases without dates, budget or sessions included: no TypeError, a detail or None."""
    condition, params = rule
    result = condition(facts, params, today)
    assert result is None or is_detail(result)


@PROPERTY
@given(rule=rule_and_thresholds(CASE_RULES), facts=case_facts, today=days,
       closed=st.sampled_from([{"cancelled": True}, {"completed": True}]))
def test_no_rule_flags_a_closed_case(rule, facts, today, closed):
    condition, params = rule
    facts = CaseFacts(**{**vars(facts), **closed})
    assert condition(facts, params, today) is None


DATED_BY = {  # the rules that count from a date, and the date they count from
    "baseline_missing": "start_date", "no_recent_activity": "start_date",
    "midway_status_missing": "start_date", "end_assessment_due": "planned_end",
    "overdue_close": "planned_end",
}


@PROPERTY
@given(code=st.sampled_from(sorted(DATED_BY)), data=st.data(), facts=case_facts, today=days)
def test_a_rule_that_counts_from_a_date_waits_for_that_date(code, data, facts, today):
    facts = CaseFacts(**{**vars(facts), DATED_BY[code]: None})
    assert CASE_RULES[code](facts, data.draw(thresholds(code)), today) is None


@PROPERTY
@given(code=st.sampled_from(["hours_nearly_used", "hours_exceeded"]), data=st.data(),
       facts=case_facts, today=days, no_budget=st.sampled_from([None, D(0)]))
def test_the_hour_rules_need_a_budget(code, data, facts, today, no_budget):
    facts = CaseFacts(**{**vars(facts), "hour_budget": no_budget})
    assert CASE_RULES[code](facts, data.draw(thresholds(code)), today) is None


MILESTONES = {"baseline_missing": "baseline_on", "midway_status_missing": "midway_on",
              "end_assessment_due": "end_on"}


@PROPERTY
@given(code=st.sampled_from(sorted(MILESTONES)), data=st.data(), facts=case_facts,
       today=days, recorded=days)
def test_a_recorded_milestone_is_never_flagged_missing(code, data, facts, today, recorded):
    facts = CaseFacts(**{**vars(facts), MILESTONES[code]: recorded})
    assert CASE_RULES[code](facts, data.draw(thresholds(code)), today) is None


@PROPERTY
@given(code=st.sampled_from(sorted(DATED_BY)), data=st.data(), facts=case_facts, today=days,
       later=st.integers(1, 400))
def test_a_date_rule_once_met_stays_met_on_later_days(code, data, facts, today, later):
    """Nothing else changing, a flag counted from a date does not go away by waiting."""
    facts = CaseFacts(**{**vars(facts), "cancelled": False, "completed": False})
    params = data.draw(thresholds(code))
    if CASE_RULES[code](facts, params, today) is not None:
        assert CASE_RULES[code](facts, params, today + timedelta(days=later)) is not None


@PROPERTY
@given(data=st.data(), facts=case_facts, today=days)
def test_hours_exceeded_and_nearly_used_never_both_at_the_default_thresholds(data, facts, today):
    facts = CaseFacts(**{**vars(facts), "cancelled": False, "completed": False})
    nearly = hours_nearly_used(facts, {"percent": 80}, today)
    exceeded = hours_exceeded(facts, {"percent": 100}, today)
    assert not (nearly and exceeded)
    if facts.hour_budget:
        assert (exceeded is not None) is (facts.hours_used > facts.hour_budget)
        assert (nearly is not None) is (
            facts.hour_budget * D("0.8") <= facts.hours_used <= facts.hour_budget)


@PROPERTY
@given(undecided=st.booleans(), since=days, today=days, params=thresholds("review_overdue"))
def test_an_application_is_overdue_only_while_undecided_and_from_its_due_day(
        undecided, since, today, params):
    result = APPLICATION_RULES["review_overdue"](ApplicationFacts(undecided, since), params,
                                                 today)
    due = since + timedelta(days=params["days"])
    assert (result is not None) is (undecided and today >= due)
    if result is not None:
        assert result == {"since": since.isoformat()}
