"""A flag's states are said once (`Flag.is_open`, `snoozed`, `shown`, `needs_attention`)
and mean the same on a loaded flag (Python, templates) and in a where-clause (SQL)."""
from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.flags.catalogue import CATALOGUE
from consultancy.flags.queries import STATES, in_state
from consultancy.models import Flag
from consultancy.services.clock import utcnow
from tests.conftest import TODAY

# snoozed_until, as days from today (None: never snoozed); 0 is the day it comes back.
SNOOZES = (None, -1, 0, 1)


@pytest.fixture
def flags(app, make_case) -> dict[int, tuple]:
    """A flag of every combination of snoozed, acknowledged and resolved, on one case: the
    combination by flag id."""
    engagement_id = make_case()
    codes = iter(CATALOGUE)  # one rule per open flag: one open flag per rule and case
    combinations = {}
    with app.app_context():
        db.session.execute(sa.delete(Flag))  # those the case's commit raised
        for snooze, acknowledged, resolved in product(SNOOZES, (False, True), (False, True)):
            flag = Flag(rule_code="baseline_missing" if resolved else next(codes),
                        engagement_id=engagement_id, raised_on=TODAY - timedelta(days=5),
                        resolved_on=TODAY if resolved else None,
                        acknowledged_at=utcnow() if acknowledged else None,
                        snoozed_until=None if snooze is None else TODAY + timedelta(days=snooze))
            db.session.add(flag)
            db.session.flush()
            combinations[flag.id] = (snooze, acknowledged, resolved)
        db.session.commit()
    return combinations


STATE_OF = {  # each state, by Python and by SQL
    "is_open": (lambda flag: flag.is_open, lambda: Flag.is_open),
    "snoozed": (lambda flag: flag.snoozed(TODAY), lambda: Flag.snoozed(TODAY)),
    "shown": (lambda flag: flag.shown(TODAY), lambda: Flag.shown(TODAY)),
    "needs_attention": (lambda flag: flag.needs_attention(TODAY),
                        lambda: Flag.needs_attention(TODAY)),
}


@pytest.mark.parametrize("state", list(STATE_OF))
@pytest.mark.parametrize("negated", [False, True])
def test_python_and_sql_agree_on_every_flag(app, flags, state, negated):
    python, sql = STATE_OF[state]
    with app.app_context():
        by_python = {flag.id for flag in db.session.scalars(sa.select(Flag))
                     if python(flag) is not negated}
        clause = sa.not_(sql()) if negated else sql()
        by_sql = set(db.session.scalars(sa.select(Flag.id).where(clause)))
    assert by_python == by_sql
    assert len(by_python | by_sql) > 0


def test_the_boundaries_of_the_states(app, flags):
    with app.app_context():
        loaded = {flag.id: flag for flag in db.session.scalars(sa.select(Flag))}
    for flag_id, (snooze, acknowledged, resolved) in flags.items():
        flag = loaded[flag_id]
        assert flag.snoozed(TODAY) is (snooze == 1)  # back on the day it was snoozed to
        assert flag.shown(TODAY) is (not resolved and snooze != 1)
        assert flag.needs_attention(TODAY) is (not resolved and snooze != 1
                                                 and not acknowledged)


def test_the_flags_page_states_split_the_open_flags(app, flags):
    with app.app_context():
        found = {state: set(db.session.scalars(sa.select(Flag.id).where(
            in_state(state, TODAY)))) for state in STATES}
    open_ids = {flag_id for flag_id, (_s, _a, resolved) in flags.items() if not resolved}
    parts = [found["active"], found["acknowledged"], found["snoozed"]]
    assert set().union(*parts) == open_ids and sum(map(len, parts)) == len(open_ids)
    assert found["resolved"] == set(flags) - open_ids and found["all"] == set(flags)
    assert found["snoozed"] == {flag_id for flag_id, (snooze, _a, resolved) in flags.items()
                                if snooze == 1 and not resolved}
