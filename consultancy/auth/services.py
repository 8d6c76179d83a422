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


def _subjects(email: str, client_address: str | None) -> list[str]:
    return [f"email:{email}", f"address:{client_address or 'unknown'}"]


def authenticate(email: str, password: str, client_address: str | None, now: datetime,
                 limit: int, window: timedelta) -> LoginResult:
    email = normalise_email(email)
    subjects = _subjects(email, client_address)
    if throttle.is_limited(LOGIN_BUCKET, subjects, limit, window, now):
        audit.record_event("login_throttled", note=email)
        return LoginResult(Outcome.THROTTLED)

    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        password_ok = False
    else:
        password_ok = user.check_password(password)

    if not password_ok:
        throttle.record(LOGIN_BUCKET, subjects, window, now)
        audit.record_event("login_failed", user_id=user.id if user else None, note=email)
        return LoginResult(Outcome.REFUSED)
    if not user.active:
        audit.record_event("login_failed", user_id=user.id, note="inactive")
        return LoginResult(Outcome.INACTIVE, user)

    throttle.forget(LOGIN_BUCKET, subjects[:1])
    user.last_login_at = now
    audit.record_event("login", user_id=user.id)
    return LoginResult(Outcome.SIGNED_IN, user)


def record_logout(user: User) -> None:
    audit.record_event("logout", user_id=user.id)


def change_password(user: User, current: str, new: str) -> bool:
    if not user.check_password(current):
        return False
    user.set_password(new)
    return True
