"""`flask users create|list`: user accounts, for the first administrator and for scripts."""
from __future__ import annotations

import click
import sqlalchemy as sa

from consultancy.admin import bp
from consultancy.admin.services import create_user
from consultancy.extensions import db
from consultancy.models import LANGUAGES, Role, User
from consultancy.services import Refusal

ROLE_CHOICE = click.Choice([role.value for role in Role])


@bp.cli.group("users")
def users_cli() -> None:
    """Manage user accounts."""


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, type=ROLE_CHOICE)
@click.option("--language", default="da", type=click.Choice(list(LANGUAGES)), show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
def users_create(email: str, name: str, role: str, language: str, password: str) -> None:
    """Create a user account."""
    try:
        user = create_user(email, name, Role(role), password, language=language)
    except Refusal as error:  # the account's rules and the password policy
        raise click.ClickException(f"{error.field}: {error.message}") from error
    db.session.commit()
    click.echo(f"created user {user.id}: {user.email} ({user.role.value})")


@users_cli.command("list")
def users_list() -> None:
    """List user accounts."""
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    click.echo(f"{'id':>4}  {'email':<32} {'role':<11} {'active':<6} name")
    for user in users:
        click.echo(f"{user.id:>4}  {user.email:<32} {user.role.value:<11} "
                   f"{'yes' if user.active else 'no':<6} {user.name}")
