"""Signing in and out, and passwords. Callers own the transaction."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from consultancy.auth import sessions
from consultancy.auth.passwords import check_new_password
from consultancy.extensions import db
from consultancy.models import User
from consultancy.models.users import normalise_email
from consultancy.rules.text import shown
from consultancy.security import audit, throttle

LOGIN_BUCKET = "login"
# Checked against when the email is unknown, so that a miss costs as much time as a hit.
_DUMMY_HASH = generate_password_hash("not a password")


class Outcome(enum.Enum):
    SIGNED_IN = "signed_in"
    REFUSED = "refused"  # unknown email or wrong password: the user is not told which
    INACTIVE = "inactive"
    THROTTLED = "throttled"
    CHANGED = "changed"  # the password was changed


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    user: User | None = None


def authenticate(email: str, password: str, client_address: str | None, now: datetime,
                 limit: int, window: timedelta) -> LoginResult:
    """Check a sign-in. Every refused attempt is counted against the email and the address;
    after `limit` of them within `window`, further attempts are throttled unchecked.
    An identifier holding a CPR number or a control character names no account (no email
    stored can hold one) and is kept nowhere: the throttle and the audit see a placeholder."""
    email = shown(normalise_email(email))
    email_subject = f"email:{email}"
    attempt = _begin(email_subject, client_address, limit, window, now)
    if attempt.limited:
        throttle.cancel(attempt)  # a blocked attempt does not extend the block
        audit.record_event("login_throttled", note=email)
        return LoginResult(Outcome.THROTTLED)

    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        password_ok = False
    else:
        password_ok = user.check_password(password)

    if not password_ok:
        audit.record_event("login_failed", user_id=user.id if user else None, note=email)
        return LoginResult(Outcome.REFUSED)
    throttle.cancel(attempt)
    if not user.active:
        audit.record_event("login_failed", user_id=user.id, note="inactive")
        return LoginResult(Outcome.INACTIVE, user)

    throttle.forget(LOGIN_BUCKET, [email_subject])
    user.last_login_at = now
    audit.record_event("login", user_id=user.id)
    return LoginResult(Outcome.SIGNED_IN, user)


def _begin(email_subject: str, client_address: str | None, limit: int, window: timedelta,
           now: datetime) -> throttle.Attempt:
    return throttle.begin(LOGIN_BUCKET, [email_subject, throttle.address_subject(
        client_address)], limit, window, now)


def change_password(user: User, current: str, new: str, client_address: str | None,
                    now: datetime, limit: int, window: timedelta) -> Outcome:
    """Check the current password like a sign-in (counted against the same email and
    address, audited when wrong, throttled after `limit`), then set the new one if the
    policy accepts it (PasswordRefused otherwise) and end every session of the user, this
    browser's included: it is signed in anew, with a new token."""
    email_subject = f"email:{user.email}"
    attempt = _begin(email_subject, client_address, limit, window, now)
    if attempt.limited:
        throttle.cancel(attempt)
        audit.record_event("password_check_throttled", user_id=user.id)
        return Outcome.THROTTLED
    if not user.check_password(current):
        audit.record_event("password_check_failed", user_id=user.id)
        return Outcome.REFUSED
    throttle.cancel(attempt)
    check_new_password(new, email=user.email, name=user.name, current=current,
                       field="new_password")
    throttle.forget(LOGIN_BUCKET, [email_subject])
    user.set_password(new)
    sessions.end_all(user, sessions.PASSWORD, now)
    return Outcome.CHANGED
