"""Demo data: two application rounds, about thirty applications in every state, about
twenty cases in every status with their teams and some three hundred sessions, and the
self-assessments of the cases that have run (before, for some midway, and after).

`load` goes through the application services (submit, assign_reviewer, submit_scores,
decide, withdraw) and the case services (create_case, update_case, assign_consultant,
end_membership, change_status, log_session) and the evaluation service (record_response),
so the demo obeys the same rules as real use. It only flushes; the `demo load` command
commits. Every choice comes from seeded generators (one for the applications, one for the
cases, one for the self-assessments: `applications.py`, `cases.py`, `self_assessments.py`)
and from the `today`/`now` arguments, so two empty databases get the same data. What the
demo's people write is data, in `texts/*.toml`. Demo contacts all use the reserved
`.example` top-level domain: no real address is ever written. Session notes are about
practice, never about a named child.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from consultancy.demo.applications import already_loaded, load_applications, reviewers
from consultancy.demo.cases import load_cases
from consultancy.demo.common import DemoError
from consultancy.demo.self_assessments import load_self_assessments
from consultancy.demo.summary import DemoSummary, summary
from consultancy.extensions import db
from consultancy.models import EngagementType

__all__ = ["DemoError", "DemoSummary", "load"]


def load(today: date, now: datetime) -> DemoSummary:
    """Add the demo rounds, applications, cases and self-assessments, unless they exist.
    Flushes; the caller commits."""
    if already_loaded(today):
        return summary(today, created=False)
    types = {t.code: t for t in db.session.scalars(
        sa.select(EngagementType).where(EngagementType.code.in_(["one_year", "mini"])))}
    if set(types) != {"one_year", "mini"}:
        raise DemoError("The engagement types one_year and mini are missing; run "
                        "`flask db upgrade` first.")
    team = reviewers()
    load_applications(today, now, types, team)
    load_cases(today, now, types, team)
    load_self_assessments(today)
    return summary(today, created=True)
