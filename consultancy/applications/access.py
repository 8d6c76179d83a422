"""Loading the records of the application pages, and refusing what the user may not do
with them (the rules are in `consultancy.security.permissions`)."""
from __future__ import annotations

from flask import abort

from consultancy.applications import queries
from consultancy.extensions import db
from consultancy.models import Application, DaycareUnit, Review, Round
from consultancy.security.permissions import own_review


def load_application(application_id: int) -> Application:
    return queries.application_with_reviews(application_id) or abort(404)


def load_by_reference(reference: str) -> Application:
    return queries.by_reference(reference) or abort(404)


def load_review(application: Application, review_id: int) -> Review:
    """A review of this application (another application's is not found here)."""
    return next((r for r in application.reviews if r.id == review_id), None) or abort(404)


def review_to_score(application: Application, user) -> Review:
    """The user's own review of the application: only an assigned reviewer scores."""
    return own_review(user, application) or abort(403)


def load_round(round_id: int) -> Round:
    return db.get_or_404(Round, round_id)


def load_unit(unit_id: int) -> DaycareUnit:
    return db.get_or_404(DaycareUnit, unit_id)
