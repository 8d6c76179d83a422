"""Signing in and out, and passwords. Callers own the transaction."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from consultancy import audit, throttle
from consultancy.extensions import db
from consultancy.models import User
from consultancy.models.users import normalise_email
from consultancy.rules.text import shown

LOGIN_BUCKET = "login"
# Checked against when the email is unknown, so that a miss costs as much time as a hit.
_DUMMY_HASH = generate_password_hash("not a password")


class Outcome(enum.Enum):
    SIGNED_IN = "signed_in"
    REFUSED = "refused"  # unknown email or wrong password: the user is not told which
    INACTIVE = "inactive"
    THROTTLED = "throttled"


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
    attempt = throttle.begin(LOGIN_BUCKET, [email_subject, throttle.address_subject(
        client_address)], limit, window, now)
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


def change_password(user: User, current: str, new: str) -> bool:
    if not user.check_password(current):
        return False
    user.set_password(new)
    return True
