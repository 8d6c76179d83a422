"""Who may do what: the only place that says so.

Every view declares its access with one decorator: `public`, `signed_in` or
`role_required(...)`. One `before_request` hook enforces the declaration, and a view
that declares nothing is refused to everyone, so a forgotten decorator fails closed.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from flask import abort, current_app, request
from flask_login import current_user

from consultancy import audit
from consultancy.extensions import login_manager
from consultancy.models import Role
from consultancy.rules.engagements import is_current_member

PUBLIC = "public"
ACCESS_ATTRIBUTE = "access"


def _declare(access) -> Callable:
    def decorator(view: Callable) -> Callable:
        setattr(view, ACCESS_ATTRIBUTE, access)
        return view
    return decorator


public = _declare(PUBLIC)
"""Open to anyone, signed in or not."""

signed_in = _declare(frozenset(Role))
"""Open to every signed-in user, whatever the role."""


def role_required(*roles: Role) -> Callable:
    """Open to signed-in users with one of `roles`."""
    return _declare(frozenset(roles))


def access_of(endpoint: str | None):
    """The declared access of an endpoint: PUBLIC, a set of roles, or None if undeclared."""
    if endpoint is None:
        return PUBLIC  # no route matched: let the 404 handler answer
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


def enforce_access():
    access = access_of(request.endpoint)
    if access == PUBLIC:
        return None  # the user is loaded only if the view needs it (healthz must not)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    audit.set_actor(current_user.id)
    if access is None:
        current_app.logger.error("view %s declares no access rule", request.endpoint)
        abort(403)
    if current_user.role not in access:
        abort(403)
    return None


def init_app(app) -> None:
    app.before_request(enforce_access)


# --- engagement cases --------------------------------------------------------------------

CASE_WIDE_ROLES = frozenset({Role.TEAM, Role.ADMIN})


def is_on_case(user, engagement, today: date) -> bool:
    return any(m.user_id == user.id and is_current_member(m.started_on, m.ended_on, today)
               for m in engagement.members)


def can_manage_case(user) -> bool:
    """Team and admin set a case's budget, dates, team and status; consultants do not."""
    return user.role in CASE_WIDE_ROLES


def can_read_case(user, engagement, today: date) -> bool:
    """Team and admin read every case; consultants the cases they are on; evaluators every
    case, but only what `sees_case_notes` allows."""
    if user.role in CASE_WIDE_ROLES or user.role is Role.EVALUATOR:
        return True
    return user.role is Role.CONSULTANT and is_on_case(user, engagement, today)


def can_write_case(user, engagement, today: date) -> bool:
    if user.role in CASE_WIDE_ROLES:
        return True
    return user.role is Role.CONSULTANT and is_on_case(user, engagement, today)


def sees_case_notes(user) -> bool:
    """Summaries, next steps, goals and contact persons are not for external evaluators."""
    return user.role is not Role.EVALUATOR
