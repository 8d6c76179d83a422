"""Accounts and roles."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from consultancy.enums import Role, set_labels
from consultancy.extensions import db
from consultancy.models.types import UTCDateTime, enum_column
from consultancy.services.clock import utcnow

set_labels({
    Role.ADMIN: _l("Administrator"),
    Role.TEAM: _l("Team Dagtilbud"),
    Role.CONSULTANT: _l("Practice consultant"),
    Role.EVALUATOR: _l("External evaluator"),
})

LANGUAGES = {"da": "Dansk", "en": "English"}  # code: the language's own name


def normalise_email(email: str) -> str:
    """Emails are unique regardless of case; store them one way."""
    return email.strip().lower()


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # The hash is a secret: the audit trail records that it changed, never its value.
    __audit_redacted__ = frozenset({"password_hash"})
    __audit_ignored__ = frozenset({"last_login_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role", length=16))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="da")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"

    @validates("email")
    def _normalise_email(self, _key: str, email: str) -> str:
        return normalise_email(email)

    # The token of the signed-in session this object was loaded for (not a column): set by
    # consultancy.auth.sessions, read by Flask-Login through get_id.
    session_token = None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Flask-Login's id: the user and the server-side session, "<user id>:<token>".
        Without a session started (login_user alone) the id has no token and opens
        nothing on the next request."""
        return f"{self.id}:{self.session_token or ''}"

    @property
    def is_active(self) -> bool:
        return self.active


class ApiToken(db.Model):
    """A bearer token for the evaluator API. Only its SHA-256 is stored; the token itself
    is shown once, when it is issued."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters, so people can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class UserSession(db.Model):
    """A signed-in browser. Its cookie carries a random token; only the token's SHA-256 is
    stored, so a copy of this table opens no session. Ending the row ends the session,
    whatever cookie a browser still holds."""

    __tablename__ = "user_sessions"
    # Signing in and out are audited as events; touches and endings are not changes of data.
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Updated at most once a minute (consultancy.auth.sessions.TOUCH_EVERY).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # logout, password, deactivated, role
    end_reason: Mapped[str | None] = mapped_column(sa.String(16))
    client_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(120))

    user: Mapped[User] = relationship(lazy="joined")
