"""What the start page shows each role. Which flags and cases a user sees is decided where
they are read (`flags.access.visible_to`, `engagements.queries.cases_of`)."""
from __future__ import annotations

from datetime import date

from consultancy.applications import queries as applications
from consultancy.engagements.queries import my_active_cases
from consultancy.extensions import db
from consultancy.flags.queries import FlagFilters, attention_by_severity, flag_query, subjects
from consultancy.models import Role, User
from consultancy.security.permissions import sees_every_flag

START_PAGE_FLAGS = 10


def start_page(user: User, today: date) -> dict:
    """The start page's sections for `user`: the team's scores and applications, a
    consultant's flags and cases, the flag counts of those who see every flag."""
    context: dict = {}
    if user.role is Role.TEAM:
        context = {"awaiting": applications.awaiting_scores(user),
                   "by_status": applications.count_by_status()}
    elif user.role is Role.CONSULTANT:
        # What needs attention first, with the step that resolves it; then the cases.
        attention = db.session.scalars(
            flag_query(user, FlagFilters(), today).limit(START_PAGE_FLAGS)).all()
        context = {"attention": attention, "attention_subjects": subjects(attention),
                   "my_cases": my_active_cases(user, today), "today": today}
    if sees_every_flag(user):
        context["flag_counts"] = attention_by_severity(user, today)
    return context
