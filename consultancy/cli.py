"""Command-line groups, added to the app so `app.test_cli_runner()` sees them."""
from __future__ import annotations

from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
import sqlalchemy as sa
from flask.cli import AppGroup

from consultancy import demo
from consultancy.admin.services import create_user
from consultancy.applications.cli import applications_cli
from consultancy.extensions import db
from consultancy.models import LANGUAGES, Role, User
from consultancy.services import Refusal
from consultancy.services.clock import local_today, utcnow

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying the application.")
translate_cli = AppGroup("translate", help="Update and compile the translation catalogues.")

ROLE_CHOICE = click.Choice([role.value for role in Role])

DEMO_USERS = [
    ("admin@demo.example", "Ada Admin", Role.ADMIN),
    ("team@demo.example", "Tove Team", Role.TEAM),
    ("team2@demo.example", "Tobias Team", Role.TEAM),
    ("konsulent@demo.example", "Karen Konsulent", Role.CONSULTANT),
    ("konsulent2@demo.example", "Kasper Konsulent", Role.CONSULTANT),
    ("konsulent3@demo.example", "Lene Kjærgaard", Role.CONSULTANT),
    ("konsulent4@demo.example", "Niels Bach", Role.CONSULTANT),
    ("konsulent5@demo.example", "Signe Vestergaard", Role.CONSULTANT),
    ("evaluator@demo.example", "Eva Evaluator", Role.EVALUATOR),
]
DEMO_PASSWORD = "demo-praksis"


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


@demo_cli.command("load")
def demo_load() -> None:
    """Create demo users and demo applications, unless they exist (safe to run again)."""
    existing = set(db.session.scalars(sa.select(User.email)))
    for email, name, role in DEMO_USERS:
        if email not in existing:
            create_user(email, name, role, DEMO_PASSWORD)
    try:
        summary = demo.load(local_today(), utcnow())
    except demo.DemoError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo("Demo logins (password for new demo users: %s):" % DEMO_PASSWORD)
    for email, _name, role in DEMO_USERS:
        state = "existing, password unchanged" if email in existing else "created"
        click.echo(f"  {role.value:<11} {email:<26} ({state})")
    for line in summary.lines():
        click.echo(line)


PACKAGE = Path(__file__).parent
ROOT = PACKAGE.parent


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", *args])


@translate_cli.command("update")
def translate_update() -> None:
    """Extract messages from code and templates and merge them into the catalogues."""
    pot = ROOT / "messages.pot"
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "--no-location",
             "--sort-output", "-o", str(pot), str(PACKAGE), str(ROOT / "templates"))
    _pybabel("update", "-i", str(pot), "-d", str(PACKAGE / "translations"), "--no-wrap",
             "--ignore-obsolete", "--no-fuzzy-matching")
    pot.unlink()


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogues (.po to .mo)."""
    for domain in ("messages", "wtforms"):
        _pybabel("compile", "-d", str(PACKAGE / "translations"), "-D", domain, "--statistics")


def init_app(app) -> None:
    from consultancy.api.cli import tokens_cli
    from consultancy.engagements.cli import sessions_cli
    from consultancy.evaluation.cli import evaluation_cli, export_cli
    from consultancy.flags.cli import flags_cli
    from consultancy.scheduler import scheduler_command
    for group in (users_cli, demo_cli, translate_cli, applications_cli, sessions_cli,
                  flags_cli, scheduler_command, evaluation_cli, export_cli, tokens_cli):
        app.cli.add_command(group)
