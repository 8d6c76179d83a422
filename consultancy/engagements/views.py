"""The case page and the case itself: create, edit, team, status."""
import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import selectinload

from consultancy.extensions import db
from consultancy.models import Engagement, EngagementSession
from consultancy.permissions import can_read_case, can_write_case
from consultancy.services.clock import local_today


def load_case(engagement_id: int, write: bool = False) -> Engagement:
    """Load a case with what its page shows, or answer 404/403: every case view starts here."""
    engagement = db.session.scalars(
        sa.select(Engagement).where(Engagement.id == engagement_id).options(
            selectinload(Engagement.members), selectinload(Engagement.units),
            selectinload(Engagement.themes), selectinload(Engagement.contacts),
            selectinload(Engagement.status_changes),
            selectinload(Engagement.sessions))).first()
    if engagement is None:
        abort(404)
    allowed = can_write_case if write else can_read_case
    if not allowed(current_user, engagement, local_today()):
        abort(403)
    return engagement


def load_session(engagement: Engagement, session_id: int) -> EngagementSession:
    session = next((s for s in engagement.sessions if s.id == session_id), None)
    if session is None:
        abort(404)
    return session
