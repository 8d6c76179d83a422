"""Server-side sessions: a signed-in browser is a `UserSession` row, so signing out, a new
password, a deactivation or a new role end it on the server, whatever cookie a browser
(or whoever copied it) still holds. Two browsers of one user are two sessions.

Flask-Login's user id is "<user id>:<token>"; the token is random and only its SHA-256 is
stored. A session ends when it is ended, after `SESSION_IDLE_TIMEOUT` without a request
and `PERMANENT_SESSION_LIFETIME` after it began. Callers own the transaction.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, request, session as flask_session
from flask_login import login_user, logout_user

from consultancy.extensions import db
from consultancy.models import User, UserSession
from consultancy.security.permissions import hash_token
from consultancy.services.clock import utcnow

# Why a session ended (UserSession.end_reason).
LOGOUT = "logout"
PASSWORD = "password"
DEACTIVATED = "deactivated"
ROLE = "role"

# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
USER_AGENT_LENGTH = 120


def start(user: User, client_address: str | None, user_agent: str | None,
          now: datetime) -> UserSession:
    """Open a session for `user`; `user.get_id()` then names it for Flask-Login."""
    token = secrets.token_urlsafe(32)
    # The user's finished sessions are of no further use (sign-ins are in the audit trail).
    db.session.execute(sa.delete(UserSession).where(
        UserSession.user_id == user.id,
        sa.or_(UserSession.ended_at.is_not(None),
               UserSession.created_at <= now - _lifetime(),
               UserSession.last_seen_at <= now - _idle_timeout())))
    record = UserSession(user_id=user.id, token_hash=hash_token(token), created_at=now,
                         last_seen_at=now, client_address=client_address,
                         user_agent=(user_agent or "")[:USER_AGENT_LENGTH] or None)
    db.session.add(record)
    db.session.flush()
    user.session_token = token
    return record


def _lifetime() -> timedelta:
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


def _idle_timeout() -> timedelta:
    return current_app.config["SESSION_IDLE_TIMEOUT"]


def load(login_id: str, now: datetime) -> User | None:
    """The user of the session named by Flask-Login's id, if it is still open; the session
    is kept on `g` for `current` and `keep_alive`."""
    user_id, _, token = login_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    record = db.session.scalar(sa.select(UserSession).where(
        UserSession.token_hash == hash_token(token)))
    if (record is None or record.user_id != int(user_id) or record.ended_at is not None
            or now - record.created_at >= _lifetime()
            or now - record.last_seen_at >= _idle_timeout()
            or not record.user.active):
        return None
    record.user.session_token = token
    g.user_session = record
    return record.user


def current() -> UserSession | None:
    """The session of this request's signed-in user, once the user has been loaded."""
    return g.get("user_session")


def keep_alive() -> None:
    """Note that the session was used (before the view runs, with nothing else pending),
    at most once per `TOUCH_EVERY`."""
    record = current()
    if record is None:
        return
    now = utcnow()
    if now - record.last_seen_at < TOUCH_EVERY:
        return
    db.session.execute(sa.update(UserSession).where(UserSession.id == record.id)
                       .values(last_seen_at=now), execution_options={
                           "synchronize_session": False})
    db.session.commit()


def end(record: UserSession, reason: str, now: datetime) -> None:
    record.ended_at = now
    record.end_reason = reason
    db.session.flush()


def end_all(user: User, reason: str, now: datetime) -> None:
    """End every open session of `user`, in every browser."""
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason),
        execution_options={"synchronize_session": "fetch"})


# --- in a request: the browser's side ----------------------------------------------------

# What a browser's cookie keeps across signing in and out.
KEPT_ACROSS_SIGN_IN = ("language",)


def _fresh_cookie() -> None:
    """Start the browser's cookie afresh, keeping only the language, so that nothing from
    before (the CSRF token included) carries over into or out of a signed-in session."""
    kept = {key: flask_session[key] for key in KEPT_ACROSS_SIGN_IN if key in flask_session}
    flask_session.clear()
    flask_session.update(kept)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def sign_in(user: User, now: datetime) -> UserSession:
    """Open a new session for `user` in this browser."""
    record = start(user, request.remote_addr, request.user_agent.string, now)
    _fresh_cookie()
    login_user(user)
    g.user_session = record
    return record


def sign_out(reason: str, now: datetime) -> None:
    """End this browser's session."""
    record = current()
    if record is not None:
        end(record, reason, now)
    logout_user()
    _fresh_cookie()
    g.pop("user_session", None)
