"""Who may do what: the only place that says so.

Every view declares its access with one decorator: `public`, `signed_in`,
`role_required(...)`, or for the API `token_required(...)`. One `before_request` hook
enforces the declaration, and a view that declares nothing is refused to everyone, so a
forgotten decorator fails closed.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from flask import abort, current_app, g, request
from flask_login import current_user

from consultancy.extensions import db, login_manager
from consultancy.models import ApiToken, Role
from consultancy.models.engagements import is_current_member
from consultancy.security import audit
from consultancy.services.clock import utcnow
from consultancy.web.errors import json_error

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


class TokenAccess(frozenset):
    """The roles whose bearer tokens open an API view. A session cookie does not."""


def token_required(*roles: Role) -> Callable:
    """Open to requests with `Authorization: Bearer <token>`: a token issued to an active
    user with one of `roles` and not revoked. Without one: 401 with a JSON error."""
    return _declare(TokenAccess(roles))


def hash_token(token: str) -> str:
    """How a token is stored: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def current_token():
    """The bearer token of this request (in a `token_required` view); `.user` its user."""
    return g.api_token


def _enforce_token(access: TokenAccess):
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return json_error(401, "missing_token", "Send a token: Authorization: Bearer <token>.")
    found = db.session.scalar(sa.select(ApiToken).where(
        ApiToken.token_hash == hash_token(token.strip())))
    if found is None or found.revoked_at is not None or not found.user.active:
        return json_error(401, "invalid_token", "The token is unknown, revoked or expired.")
    if found.user.role not in access:
        return json_error(403, "insufficient_scope",
                          "The token's user may not use this part of the API.")
    g.api_token = found
    audit.set_actor(found.user_id)
    found.last_used_at = utcnow()
    return None


def is_static_file(endpoint: str | None) -> bool:
    """The app's and the extensions' static files (`static`, `bootstrap.static`)."""
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def access_of(endpoint: str | None):
    """The declared access of an endpoint: PUBLIC, a set of roles (a TokenAccess for the
    API), or None if undeclared."""
    if endpoint is None:
        return PUBLIC  # no route matched: let the 404 handler answer
    if is_static_file(endpoint):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


def enforce_access():
    access = access_of(request.endpoint)
    if access == PUBLIC:
        return None  # the user is loaded only if the view needs it (healthz must not)
    if isinstance(access, TokenAccess):
        return _enforce_token(access)
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
    case, pseudonymised (`pseudonymised`)."""
    if user.role in CASE_WIDE_ROLES or user.role is Role.EVALUATOR:
        return True
    return user.role is Role.CONSULTANT and is_on_case(user, engagement, today)


def can_write_case(user, engagement, today: date) -> bool:
    if user.role in CASE_WIDE_ROLES:
        return True
    return user.role is Role.CONSULTANT and is_on_case(user, engagement, today)


def pseudonymised(user) -> bool:
    """External evaluators see cases, units and respondents by the pseudonyms of their
    exports (`consultancy.security.identities`), and no names of people, units or applicants, no
    case or application references, no contacts and no free text."""
    return user.role is Role.EVALUATOR


def sees_case_notes(user) -> bool:
    """Summaries, next steps, goals and contact persons are not for external evaluators."""
    return not pseudonymised(user)


# --- applications --------------------------------------------------------------------------

def own_review(user, application):
    """The review `user` is assigned on `application`, if any: only an assigned reviewer
    scores it."""
    return next((r for r in application.reviews if r.reviewer_id == user.id), None)


def sees_scores(user, application) -> bool:
    """Reviewers score independently: until their own scores are in, they see no others."""
    own = own_review(user, application)
    return own is None or own.submitted_at is not None


# --- flags ---------------------------------------------------------------------------------

def sees_every_flag(user) -> bool:
    """Team and admin see every flag, the applications' included; consultants only those
    of the cases they are on (`consultancy.flags.access`)."""
    return user.role in CASE_WIDE_ROLES


def decides_applications(user) -> bool:
    """Team Dagtilbud decides the applications (and so resolves their flags)."""
    return user.role is Role.TEAM
