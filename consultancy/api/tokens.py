"""Bearer tokens for the evaluator API: who may hold one, and revoking them. A revoked
token is kept (marked, not deleted) so `flask tokens list` still shows it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from consultancy.extensions import db
from consultancy.models import ApiToken, Role, User

TOKEN_ROLES = (Role.EVALUATOR, Role.TEAM)


def revoke(token: ApiToken, now: datetime) -> None:
    token.revoked_at = now
    db.session.flush()


def revoke_all(user: User, now: datetime) -> int:
    """Revoke every token of `user` still in force; a later reactivation or a new role does
    not bring them back. Returns how many."""
    tokens = db.session.scalars(sa.select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for token in tokens:  # one by one, so that the audit trail records each
        token.revoked_at = now
    db.session.flush()
    return len(tokens)
