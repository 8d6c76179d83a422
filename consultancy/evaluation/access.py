"""Load a case's response and check it belongs to the case (the case itself is loaded and
the user's right to it checked by `engagements.access.load_case`)."""
from __future__ import annotations

from flask import abort

from consultancy.extensions import db
from consultancy.models import Engagement, Response


def load_response(engagement: Engagement, response_id: int) -> Response:
    response = db.session.get(Response, response_id)
    if response is None or response.engagement_id != engagement.id:
        abort(404)
    return response
