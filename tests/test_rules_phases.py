"""Table tests of phase_of across every boundary of the seeded templates."""
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import EngagementType
from consultancy.rules.engagements import add_months
from consultancy.rules.phases import CaseFacts, entered_on, phase_of


@pytest.fixture
def templates(app):
    """The phase templates as the migration seeded them."""
    with app.app_context():
        return dict(db.session.execute(sa.select(EngagementType.code,
                                                 EngagementType.phase_template)).all())


def one_year(start, end=None, **facts):
    return CaseFacts(start_date=start, planned_end=end or add_months(start, 12),
                     hour_budget=None, hours_used=D(0), first_session_on=None, **facts)


@pytest.mark.parametrize("start, today, phase", [
    (date(2026, 3, 1), date(2026, 2, 28), "planning"),        # the day before the start
    (date(2026, 3, 1), date(2026, 3, 1), "startup"),          # on the start
    (date(2026, 3, 1), date(2026, 3, 31), "startup"),         # the last day of month one
    (date(2026, 3, 1), date(2026, 4, 1), "implementation"),   # a month after the start
    (date(2026, 3, 1), date(2027, 1, 31), "implementation"),  # the day before closing
    (date(2026, 3, 1), date(2027, 2, 1), "closing"),          # a month before the end
    (date(2026, 3, 1), date(2027, 2, 28), "closing"),         # the day before the end
    (date(2026, 3, 1), date(2027, 3, 1), "completed"),        # the planned end
    # Month ends and leap years: started 31 January 2028 (a leap year).
    (date(2028, 1, 31), date(2028, 2, 28), "startup"),
    (date(2028, 1, 31), date(2028, 2, 29), "implementation"),
    (date(2028, 1, 31), date(2028, 12, 30), "implementation"),
    (date(2028, 1, 31), date(2028, 12, 31), "closing"),
    # The nights the clocks change in Copenhagen move no boundary (dates, not times).
    (date(2026, 3, 29), date(2026, 3, 28), "planning"),
    (date(2026, 3, 29), date(2026, 3, 29), "startup"),
    (date(2025, 9, 26), date(2025, 10, 25), "startup"),
    (date(2025, 9, 26), date(2025, 10, 26), "implementation"),
])
def test_one_year_phases_by_date(templates, start, today, phase):
    assert phase_of(templates["one_year"], one_year(start), today) == phase


def mini(hours_used="0", first_session_on=None, start=date(2026, 9, 1)):
    return CaseFacts(start_date=start, planned_end=date(2026, 12, 1), hour_budget=D("10"),
                     hours_used=D(hours_used), first_session_on=first_session_on)


@pytest.mark.parametrize("facts, today, phase", [
    (mini(), date(2026, 8, 31), "planning"),
    (mini(), date(2026, 9, 1), "startup"),
    (mini("1.5", date(2026, 9, 3)), date(2026, 9, 2), "startup"),    # session not yet held
    (mini("1.5", date(2026, 9, 3)), date(2026, 9, 3), "sparring"),
    (mini("7.75", date(2026, 9, 3)), date(2026, 10, 1), "sparring"),
    (mini("8", date(2026, 9, 3)), date(2026, 10, 1), "closing"),      # 80 % of the hours
    (mini("2", date(2026, 9, 3)), date(2026, 11, 30), "sparring"),
    (mini("2", date(2026, 9, 3)), date(2026, 12, 1), "completed"),    # three months passed
])
def test_mini_phases_by_hours_first_session_and_time(templates, facts, today, phase):
    assert phase_of(templates["mini"], facts, today) == phase


def test_a_mini_case_three_months_in_is_closing_before_its_planned_end(templates):
    facts = CaseFacts(start_date=date(2026, 9, 1), planned_end=date(2027, 1, 15),
                      hour_budget=D("10"), hours_used=D("2"),
                      first_session_on=date(2026, 9, 3))
    assert phase_of(templates["mini"], facts, date(2026, 12, 1)) == "closing"


def test_cancelled_and_completed_cases(templates):
    one_year_template = templates["one_year"]
    cancelled = one_year(date(2026, 3, 1), cancelled=True)
    completed = one_year(date(2026, 3, 1), completed=True)
    assert phase_of(one_year_template, cancelled, date(2026, 5, 1)) is None
    assert phase_of(one_year_template, completed, date(2026, 5, 1)) == "completed"


def test_a_case_without_dates_stays_in_planning(templates):
    facts = CaseFacts(None, None, None, D(0), None)
    assert phase_of(templates["one_year"], facts, date(2030, 1, 1)) == "planning"


@pytest.mark.parametrize("facts, today, phase, day", [
    # A pass that runs weeks late still dates the phase from its boundary.
    (one_year(date(2026, 3, 1)), date(2026, 5, 20), "implementation", date(2026, 4, 1)),
    (one_year(date(2026, 3, 1)), date(2026, 3, 1), "startup", date(2026, 3, 1)),
    (mini("1.5", date(2026, 9, 3)), date(2026, 9, 20), "sparring", date(2026, 9, 3)),
    # Entered by a share of the hours used: the day cannot be told, so the day noticed.
    (mini("8", date(2026, 9, 3)), date(2026, 10, 1), "closing", date(2026, 10, 1)),
    # Both conditions hold: the one that can be dated counts.
    (mini("9", date(2026, 8, 3), start=date(2026, 8, 1)), date(2026, 11, 20), "closing",
     date(2026, 11, 1)),
    (one_year(date(2026, 3, 1), completed=True), date(2026, 6, 1), "completed",
     date(2026, 6, 1)),
])
def test_the_day_a_phase_was_entered(templates, facts, today, phase, day):
    template = templates[facts.hour_budget and "mini" or "one_year"]
    assert phase_of(template, facts, today) == phase
    assert entered_on(template, facts, phase, today) == day


def _phase(code: str, *enters: dict) -> dict:
    return {"code": code, "name_da": code, "name_en": code, "enters": list(enters)}


# A type an administrator made: conditions with days, negative offsets and no offset at all.
CUSTOM = [
    _phase("waiting"),
    _phase("begun", {"from": "start"}),                      # on the start day itself
    _phase("settled", {"from": "start", "days": 10}),
    _phase("winding_down", {"from": "end", "months": -1}),
    _phase("last_days", {"from": "end", "days": -3}),
]
CUSTOM_CASE = CaseFacts(start_date=date(2026, 3, 1), planned_end=date(2026, 9, 1),
                        hour_budget=None, hours_used=D(0), first_session_on=None)


@pytest.mark.parametrize("today, phase", [
    (date(2026, 2, 28), "waiting"),
    (date(2026, 3, 1), "begun"),
    (date(2026, 3, 10), "begun"),
    (date(2026, 3, 11), "settled"),          # ten days after the start
    (date(2026, 7, 31), "settled"),
    (date(2026, 8, 1), "winding_down"),      # a month before the planned end
    (date(2026, 8, 28), "winding_down"),
    (date(2026, 8, 29), "last_days"),        # three days before it
    (date(2027, 1, 1), "last_days"),
])
def test_a_custom_template_counts_days_and_months_either_way(today, phase):
    assert phase_of(CUSTOM, CUSTOM_CASE, today) == phase


@pytest.mark.parametrize("phase, today, day", [
    ("begun", date(2026, 3, 5), date(2026, 3, 1)),
    ("settled", date(2026, 4, 2), date(2026, 3, 11)),
    ("winding_down", date(2026, 8, 20), date(2026, 8, 1)),
    ("last_days", date(2026, 9, 5), date(2026, 8, 29)),
    ("no_such_phase", date(2026, 9, 5), date(2026, 9, 5)),   # unknown: the day noticed
])
def test_a_custom_template_dates_each_phase_from_its_condition(phase, today, day):
    assert entered_on(CUSTOM, CUSTOM_CASE, phase, today) == day


def test_a_closed_case_enters_its_last_phase_on_the_day_it_is_noticed(templates):
    """Completed after its planned end: the day of completion, not of the planned end."""
    completed = one_year(date(2026, 3, 1), completed=True)
    assert entered_on(templates["one_year"], completed, "completed", date(2027, 5, 1)) \
        == date(2027, 5, 1)
    assert entered_on(CUSTOM, CaseFacts(**{**vars(CUSTOM_CASE), "cancelled": True}),
                      "last_days", date(2026, 9, 5)) == date(2026, 9, 5)


def test_a_condition_the_rules_do_not_know_is_refused_by_name():
    template = [_phase("waiting"), _phase("odd", {"weather": "rain"})]
    with pytest.raises(ValueError, match=r"unknown phase condition \{'weather': 'rain'\}"):
        phase_of(template, CUSTOM_CASE, date(2026, 5, 1))
