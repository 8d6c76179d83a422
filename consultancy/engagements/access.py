"""Load a case or one of its sessions and check the signed-in user's right to it: every case
view starts here, and answers 404 for what is not there and 403 for what is not theirs."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from consultancy.engagements.queries import case_query
from consultancy.extensions import db
from consultancy.models import Engagement, EngagementSession, Role
from consultancy.security.permissions import can_read_case, can_write_case
from consultancy.services.clock import local_today


def load_case(engagement_id: int, write: bool = False, loads=()) -> Engagement:
    """The case, for reading or (`write`) changing it. Its team comes with it, for the
    check; `loads` are the eager loads of what the page shows (`queries.CASE_PAGE`)."""
    engagement = db.session.scalars(case_query(engagement_id, *loads)).first()
    if engagement is None:
        abort(404)
    allowed = can_write_case if write else can_read_case
    if not allowed(current_user, engagement, local_today()):
        abort(403)
    return engagement


def child_of(items, item_id: int):
    """The record with `item_id` among a case's `items` (its members, its contacts), or 404."""
    found = next((item for item in items if item.id == item_id), None)
    if found is None:
        abort(404)
    return found


def may_change_session(user, session: EngagementSession) -> bool:
    """Consultants change the sessions they logged or were present at; team and admin any."""
    if user.role is not Role.CONSULTANT:
        return True
    return session.created_by_id == user.id or any(
        link.user_id == user.id for link in session.consultants)


def load_session(engagement: Engagement, session_id: int) -> EngagementSession:
    """A session of a case loaded by `load_case(..., write=True)` that the user may change."""
    session = db.session.get(EngagementSession, session_id)
    if session is None or session.engagement_id != engagement.id:
        abort(404)
    if not may_change_session(current_user, session):
        abort(403)
    return session
