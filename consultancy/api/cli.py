"""`flask tokens ...`: bearer tokens for the evaluator API, issued by whoever runs the
server to evaluators and Team Dagtilbud. Only a token's SHA-256 is stored; the token is
printed once, alone on the last line, so a script can take it with `tail -n 1`."""
from __future__ import annotations

import secrets

import click
import sqlalchemy as sa
from flask_babel import gettext as _

from consultancy.api import bp
from consultancy.api.tokens import TOKEN_ROLES, revoke
from consultancy.extensions import db
from consultancy.models import ApiToken, User
from consultancy.models.users import normalise_email
from consultancy.security.permissions import hash_token
from consultancy.services.clock import utcnow
from consultancy.web.i18n import format_datetime

PREFIX_LENGTH = 8


@bp.cli.group("tokens")
def tokens_cli() -> None:
    """Access tokens for the evaluator API."""


@tokens_cli.command("create")
@click.argument("email")
def tokens_create(email: str) -> None:
    """Issue a token to the evaluator or Team Dagtilbud user with EMAIL. The token is
    shown only now, on the last line: hand it over safely."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(_("There is no user with the e-mail address %(email)s.",
                                     email=email))
    if user.role not in TOKEN_ROLES:
        raise click.ClickException(_(
            "Tokens are only for external evaluators and Team Dagtilbud; %(email)s is "
            "%(role)s.", email=user.email, role=user.role.label))
    if not user.active:
        raise click.ClickException(_("The user %(email)s is deactivated.", email=user.email))
    token = secrets.token_urlsafe(32)
    record = ApiToken(user_id=user.id, token_hash=hash_token(token),
                      prefix=token[:PREFIX_LENGTH], created_at=utcnow())
    db.session.add(record)
    db.session.commit()
    click.echo(_("Token %(id)d for %(email)s (%(role)s). It is shown only now and cannot be "
                 "shown again; send it as the header Authorization: Bearer <token>.",
                 id=record.id, email=user.email, role=user.role.label))
    click.echo(token)


@tokens_cli.command("list")
def tokens_list() -> None:
    """List the tokens: id, the token's first characters, user, issued, last used, revoked."""
    tokens = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)).all()
    click.echo(f"{'id':>4}  {'token':<11} {'user':<32} {'role':<10} {'issued':<17} "
               f"{'last used':<17} revoked")
    for token in tokens:
        click.echo(f"{token.id:>4}  {token.prefix + '...':<11} {token.user.email:<32} "
                   f"{token.user.role.value:<10} {format_datetime(token.created_at):<17} "
                   f"{format_datetime(token.last_used_at) or '-':<17} "
                   f"{format_datetime(token.revoked_at) or '-'}")


@tokens_cli.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke the token with ID (see `flask tokens list`): it stops working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(_("There is no token with the id %(id)d.", id=token_id))
    if token.revoked_at is not None:
        click.echo(_("Token %(id)d was already revoked.", id=token_id))
        return
    revoke(token, utcnow())
    db.session.commit()
    click.echo(_("Revoked token %(id)d of %(email)s.", id=token_id, email=token.user.email))
